"""What a wait reads like: the name of the stdlib call that made an awaited future.

When a recorded coroutine's `await` yields a future the record does not know, the chain
of unrecorded coroutines below it (`cr_await`) leads from the call the program made
(`asyncio.sleep(0.01)`, `queue.get()`) down to the future.  The first coroutine of that
chain names the wait: its code says which call it was, its frame's locals give the
arguments worth showing (which locals, per Python version: `stdlib_fields`).  A wrapper
(`wait_for`) names what it wraps from the rest of the chain.

A namer is `namer(locals, ctx, rest) -> Named`: `locals` reads the frame's locals, `ctx`
(`waits.Waits`) knows the record (tasks, deadlines, timeouts), `rest` is the chain below.
Everything shown of a program's value goes through `values.describe` (safe); functions
are named from their code, never by calling anything.
"""

from __future__ import annotations

import functools
import os
import types

from ..values import describe
from . import stdlib_fields
from .stdlib_fields import Code


class Named:
    """A wait's label in pieces: text, and lists of object ids whose labels are only final
    when the trace ends (tasks get theirs then).  `due`: the loop time it is due by, the
    earliest of its timers and timeouts; `members`: what it waits for."""

    __slots__ = ("pieces", "due", "members")

    def __init__(self, pieces: list, due: float | None = None, members: list[int] | None = None):
        self.pieces = pieces
        self.due = due
        self.members = members

    def wrap(self, before: str, after: str) -> Named:
        self.pieces = [before, *self.pieces, after]
        return self

    def sooner(self, due: float | None) -> Named:
        if due is not None and (self.due is None or due < self.due):
            self.due = due
        return self


def text(*parts: str, due: float | None = None) -> Named:
    return Named(["".join(parts)], due)


def arg_text(value) -> str:
    cls = type(value)
    if cls is int:  # the common case (a delay, a size), without a detour
        return repr(value)
    if cls is float:
        # as the program wrote it: 0.05 * 3 reads 0.15, not 0.15000000000000002
        short = f"{value:.12g}"
        return short if "." in short or "e" in short or "n" in short else short + ".0"
    return describe(value)


def _cls(loc) -> str:
    return type(loc("self")).__name__


def callable_name(func) -> str:
    """A function's name, read from its code or type (nothing of the program runs)."""
    for _ in range(8):
        cls = type(func)
        if cls is functools.partial:
            func = func.func
        elif cls is types.MethodType:
            func = func.__func__
        else:
            break
    cls = type(func)
    if cls in (types.FunctionType, types.BuiltinFunctionType, type):
        return func.__qualname__.replace("<locals>.", "")
    return f"<{cls.__name__}>"


# -- the namers ---------------------------------------------------------------------------


def _sleep(loc, ctx, rest) -> Named:
    return text(f"sleep({arg_text(loc('delay'))})", due=ctx.when(loc("h")))


def _method(name: str):
    def namer(loc, ctx, rest) -> Named:
        return text(f"{_cls(loc)}.{name}()")

    return namer


def _plain(label: str):
    def namer(loc, ctx, rest) -> Named:
        return text(label)

    return namer


def _task_group(loc, ctx, rest) -> Named:
    tasks = stdlib_fields.read(loc("self"), "TaskGroup._tasks")
    return ctx.group("TaskGroup(", tasks, ")")


def _wait(loc, ctx, rest) -> Named:
    named = ctx.group("wait(", loc("fs"), "")
    timeout, return_when = loc("timeout"), loc("return_when")
    tail = ""
    if timeout is not None:
        tail += f", timeout={arg_text(timeout)}"
    if return_when not in (None, "ALL_COMPLETED"):
        tail += f", return_when={return_when if isinstance(return_when, str) else '?'}"
    named.pieces.append(tail + ")")
    if rest:  # _wait(): the timer that ends the wait
        inner = ctx.locals_of(rest[0], "_wait")
        named.sooner(ctx.when(inner("timeout_handle")))
    return named


def _wait_for(loc, ctx, rest) -> Named:
    fut = loc("fut")
    if rest and rest[0] is fut:  # 3.12+: it awaits the coroutine it was given
        inner = ctx.inner(fut, rest)
        due = ctx.owned_due(loc.frame)  # the timeout it entered
    else:  # its own future, or (3.11) the task it made, being cancelled: no deadline then
        inner = ctx.of_awaitable(fut)
        due = None if rest else ctx.when(loc("timeout_handle"))
        if due is None and not rest:
            due = ctx.owned_due(loc.frame)
    return inner.wrap("wait_for(", f", {arg_text(loc('timeout'))})").sooner(due)


def _to_thread(loc, ctx, rest) -> Named:
    return text(f"to_thread({callable_name(loc('func'))})")


def _read(loc, ctx, rest) -> Named:
    n = loc("n")
    return text(f"{_cls(loc)}.read({'' if n == -1 else arg_text(n)})")


def _readexactly(loc, ctx, rest) -> Named:
    return text(f"{_cls(loc)}.readexactly({arg_text(loc('n'))})")


def _readuntil(loc, ctx, rest) -> Named:
    sep = loc("separator")
    if type(sep) is list:  # 3.13 takes several separators and keeps even one in a list
        sep = sep[0] if len(sep) == 1 else tuple(sep)
    return text(f"{_cls(loc)}.readuntil({arg_text(sep)})")


def _host_port(name: str):
    def namer(loc, ctx, rest) -> Named:
        return text(f"{name}({arg_text(loc('host'))}, {arg_text(loc('port'))})")

    return namer


def _sock_connect(loc, ctx, rest) -> Named:
    return text(f"loop.sock_connect({arg_text(loc('address'))})")


def _sock_recv(loc, ctx, rest) -> Named:
    return text(f"loop.sock_recv({arg_text(loc('n'))})")


def _subprocess_exec(loc, ctx, rest) -> Named:
    program = loc("program")
    if isinstance(program, (str, bytes)):
        program = os.path.basename(program)
    more = ", …" if loc("args") else ""
    return text(f"create_subprocess_exec({arg_text(program)}{more})")


def _subprocess_shell(loc, ctx, rest) -> Named:
    cmd = loc("cmd")
    shown = arg_text(cmd[:40]) + ("…" if len(cmd) > 40 else "") if isinstance(cmd, str) else "…"
    return text(f"create_subprocess_shell({shown})")


# by key of the stdlib_fields table: the coroutines whose frames name a wait
NAMERS = {
    "sleep": _sleep,
    "wait": _wait,
    "wait_for": _wait_for,
    "to_thread": _to_thread,
    "Queue.get": _method("get"),
    "Queue.put": _method("put"),
    "Queue.join": _method("join"),
    "Lock.acquire": _method("acquire"),
    "Event.wait": _method("wait"),
    "Condition.wait": _method("wait"),
    "Condition.wait_for": _method("wait_for"),
    "Semaphore.acquire": _method("acquire"),
    "Barrier.wait": _method("wait"),
    "TaskGroup.__aexit__": _task_group,
    "as_completed": _plain("as_completed()"),
    "as_completed.__anext__": _plain("as_completed()"),
    "StreamReader.read": _read,
    "StreamReader.readline": _method("readline"),
    "StreamReader.readexactly": _readexactly,
    "StreamReader.readuntil": _readuntil,
    "StreamWriter.drain": _method("drain"),
    "StreamWriter.wait_closed": _method("wait_closed"),
    "open_connection": _host_port("open_connection"),
    "start_server": _host_port("start_server"),
    "create_connection": _host_port("loop.create_connection"),
    "create_server": _host_port("loop.create_server"),
    "getaddrinfo": _host_port("loop.getaddrinfo"),
    "Server.serve_forever": _plain("Server.serve_forever()"),
    "Server.wait_closed": _plain("Server.wait_closed()"),
    "sock_connect": _sock_connect,
    "sock_accept": _plain("loop.sock_accept()"),
    "sock_recv": _sock_recv,
    "sock_sendall": _plain("loop.sock_sendall()"),
    "create_subprocess_exec": _subprocess_exec,
    "create_subprocess_shell": _subprocess_shell,
    "Process.wait": _plain("Process.wait()"),
    "Process.communicate": _plain("Process.communicate()"),
}

# coroutines and generators that only pass a future through (a pure-Python Future's own,
# `async with lock:`'s __aenter__)
TRANSPARENT = ("Future.__await__", "_ContextManagerMixin.__aenter__")


@functools.cache
def namers() -> dict:
    """code object -> (namer, the locals it reads), for this Python (found once)."""
    table = stdlib_fields.FIELDS
    out = {}
    for key, namer in NAMERS.items():
        entry = table.get(key)
        if isinstance(entry, Code):
            code = stdlib_fields.code_of(entry)
            if code is not None:
                out[code] = (namer, entry.names)
    return out


@functools.cache
def transparent() -> frozenset:
    table = stdlib_fields.FIELDS
    codes = (stdlib_fields.code_of(table[key]) for key in TRANSPARENT)  # type: ignore[arg-type]
    return frozenset(code for code in codes if code is not None)


def generic(code) -> Named:
    """A coroutine of code out of scope that no namer knows: its name, as a call."""
    return text(code.co_qualname.replace("<locals>.", "") + "()")
