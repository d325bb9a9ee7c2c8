"""Cancellations, recorded when they are asked for, with who asked and why.

`Task.cancel()` only asks: the CancelledError reaches the task at its next step (the
`throw` into its coroutine).  The record keeps both moments: `cancel` when cancel() is
called — `obj` the task (or a traced future) cancelled, `target` who asked, `value` the
message — and, later, the `throw`.

Who asked: the task that called cancel() (or the cell, or a coroutine no task runs);
asyncio's own code asks on someone's behalf: a TaskGroup aborting its tasks (and its
parent task) because a child failed — that child; an `asyncio.timeout()` (and `wait_for`,
built on it from 3.12) that expired — its owner, the task it cancels; `asyncio.run()`
cancelling what is left, and Ctrl+C — nobody.

How the request is seen, without touching anything the program can see:

- 3.12+: the C `Task.cancel` has no code object, so its calls are seen as CALL events,
  enabled only locally: in code in scope that names `cancel`, and in asyncio's own code
  that cancels (`call_codes()`).  A call site that calls anything else answers DISABLE
  and is never asked again.  The message is read at the call site when it is written
  there (a constant or a variable: `t.cancel("why")`, `t.cancel(msg=m)`).
- 3.11 (no CALL events): asyncio's own code that cancels is watched as the cores watch
  `create_task` (its start and return, `watched_codes_311()`): what it cancelled is
  what its run moved to cancelling.  So is the pure-Python `Task.cancel` (the tasks
  nest_asyncio2 installs, as `%%asynctrace` does for a cell that calls asyncio.run()).
  The C `Task.cancel()` called by the program's own code is seen only when it is
  delivered: recorded then, just before its `throw`, with nobody named as the
  requester (the trace's notes say so).
- Every version: a delivery that no recorded request explains (cancel() called by code
  out of scope, through a callback such as `loop.call_soon(t.cancel)`, or passed on by
  `Task.cancel` to the task it awaits) is recorded at the delivery, requester unknown.

Private stdlib fields (3.11 only: what a TaskGroup, a Timeout and a gather will cancel)
and the names of stdlib locals read here are in `FIELDS` and `LOCALS`, tested per version.
"""

from __future__ import annotations

import dis
import functools
import sys
import threading
import types
from asyncio import futures, runners, taskgroups, tasks, timeouts

from ..trace import NO_TARGET, NO_VALUE
from .pycore import K_CANCEL
from .scope import module_of

MONITORING = hasattr(sys, "monitoring")

# who asked, by the asyncio code that calls cancel()
RUNNING, FAILED_CHILD, ABORT, OWNER, NOBODY = range(5)
RULES = {
    "TaskGroup._on_task_done": FAILED_CHILD,  # the parent's cancel: the child that failed
    "TaskGroup._abort": ABORT,  # the siblings: the failed child, or the parent's own exit
    "Timeout._on_timeout": OWNER,
    "_cancel_all_tasks": NOBODY,  # asyncio.run() cleaning up after main()
    "Runner._on_sigint": NOBODY,  # Ctrl+C
}
# the locals of stdlib functions read here: the failing child in TaskGroup._on_task_done
# (also on 3.12+); on 3.11 what a watched function cancels, and a message
LOCALS = {
    "TaskGroup._on_task_done": "task",
    "_cancel_and_wait": "fut",
    "shield.<locals>._inner_done_callback": "outer",
    "Runner._on_sigint": "main_task",
    "_cancel_all_tasks": "loop",
    "Task.cancel": "self",  # the pure-Python task's (nest_asyncio2 installs it)
}
# 3.11: the watched functions whose `msg` argument is the message
MESSAGES = ("_GatheringFuture.cancel", "Task.cancel")
# 3.11: the private field of `self` that holds what a watched method cancels
FIELDS = {
    "TaskGroup._abort": "_tasks",
    "TaskGroup._on_task_done": "_parent_task",
    "Timeout._on_timeout": "_task",
    "_GatheringFuture.cancel": "_children",
}
_MODULES = (tasks, taskgroups, timeouts, runners)
_OWN = ("Task.",)  # Task's own methods pass a cancel on: part of the request, not a new one


def _future_types() -> tuple[type, ...]:
    found: list[type] = [futures._PyFuture]  # pyright: ignore[reportAttributeAccessIssue]
    try:
        import _asyncio

        found.append(_asyncio.Future)
    except ImportError:  # pragma: no cover - the C accelerator is always built in CPython
        pass
    return tuple(found)


FUTURES = _future_types()


def _task_types() -> tuple[type, ...]:
    found: list[type] = [tasks._PyTask]  # pyright: ignore[reportAttributeAccessIssue]
    try:
        import _asyncio

        found.append(_asyncio.Task)
    except ImportError:  # pragma: no cover
        pass
    return tuple(found)


TASKS = _task_types()


def _codes(module) -> list:
    """Every code object of a module's functions and classes' methods, nested ones too."""
    out: list = []

    def walk(code) -> None:
        out.append(code)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                walk(const)

    for value in vars(module).values():
        if getattr(value, "__module__", None) != module.__name__:
            continue
        members = vars(value).values() if isinstance(value, type) else (value,)
        for member in members:
            func = getattr(member, "__func__", member)
            if isinstance(func, types.FunctionType):
                walk(func.__code__)
    return out


@functools.cache
def call_codes() -> dict:
    """3.12+: asyncio's own code that calls cancel(), by id, with its requester rule (the
    codes are kept by this cache: their ids stay theirs)."""
    found = {}
    for module in _MODULES:
        for code in _codes(module):
            if "cancel" in code.co_names and not code.co_qualname.startswith(_OWN):
                found[id(code)] = (code, RULES.get(code.co_qualname, RUNNING))
    return found


@functools.cache
def watched_codes_311() -> dict:
    """3.11: the asyncio code whose start and return the cores report, by code."""
    return {
        code: code.co_qualname
        for module in _MODULES
        for code in _codes(module)
        if code.co_qualname in FIELDS or code.co_qualname in LOCALS
    }


def names_cancel(code) -> bool:
    return "cancel" in code.co_names


def _local(frame, name: str):
    try:
        return frame.f_locals.get(name)
    except Exception:
        return None


def _count(obj) -> int:
    """How cancelled `obj` is: a task's pending requests, a future's cancelled()."""
    try:
        if issubclass(type(obj), TASKS):
            return obj.cancelling()
        return 1 if obj.cancelled() else 0
    except Exception:
        return 0


class CancelWatch:
    """The requests and deliveries of one trace (see the module docstring)."""

    def __init__(self, watch):
        self.watch = watch  # tasks.AsyncioWatch: the core, the registry, the root
        self.thread = threading.get_ident()
        self.pending: dict[int, int] = {}  # task -> requests recorded since its last delivery
        self.unread: dict[int, int] = {}  # task -> its request whose message was not read
        self.delivery: dict[int, int] = {}  # task -> id() of the exception it last got
        self.at_delivery = 0  # cancellations recorded at their delivery (requester unknown)
        self.snapshots: dict[int, tuple] = {}  # 3.11: id(frame) -> what it may cancel
        self.messages: dict[int, dict] = {}  # id(code) -> {offset: how its message is read}
        self.disable = sys.monitoring.DISABLE if MONITORING else None

    # -- recording a request ---------------------------------------------------------------

    def _request(self, oid: int, requester: int, message=None, known=True) -> None:
        """Record a request; `known`: its message (None: none) is known."""
        core = self.watch.core
        value = core.value(message) if message is not None else NO_VALUE
        target = requester if requester >= 0 else NO_TARGET
        at = core.emit(core.now(), oid, K_CANCEL, value, 0, target)
        self.pending[oid] = self.pending.get(oid, 0) + 1
        if not known and at >= 0:
            self.unread[oid] = at  # the delivery may tell it

    def _running(self) -> int:
        """The requester when the code that asks is the one running: its task, else the
        running object itself (the cell, a coroutine no task runs), else the task."""
        core = self.watch.core
        running = core.running()
        if running >= 0:
            task = core.task(running)
            return task if task >= 0 else running
        return self.watch.current(adopt=False)

    def _requester(self, rule: int, frame, cancelled: int) -> int:
        if rule == RUNNING:
            return self._running()
        if rule == OWNER:
            return cancelled
        if rule == NOBODY:
            return -1
        if rule == ABORT:
            back = frame.f_back
            if back is None or back.f_code.co_qualname != "TaskGroup._on_task_done":
                return self._running()  # the parent's body raised or was cancelled
            frame = back
        child = _local(frame, LOCALS["TaskGroup._on_task_done"])
        return self.watch.core.lookup(child) if child is not None else -1

    # -- 3.12+: CALL events --------------------------------------------------------------------

    def on_call(self, code, offset, callable_, arg0):
        """sys.monitoring CALL, enabled only in code that may call cancel()."""
        kind = type(callable_)
        if kind is types.MethodDescriptorType or kind is types.FunctionType:
            receiver = arg0
        elif kind is types.BuiltinMethodType or kind is types.MethodType:
            receiver = callable_.__self__
        else:
            return self.disable  # a class, a partial, a callable object: never cancel()
        if callable_.__name__ != "cancel":
            return self.disable
        if threading.get_ident() != self.thread:
            return None
        stdlib = call_codes().get(id(code))
        if not issubclass(type(receiver), FUTURES):
            # asyncio's sites cancel one kind of thing each (a timer handle, say)
            return self.disable if stdlib is not None else None
        try:
            self._called(code, offset, receiver, stdlib, sys._getframe(1))
        except Exception:
            pass  # a failure to record must not become the program's
        return None

    def _called(self, code, offset: int, receiver, stdlib, frame) -> None:
        if receiver.done():
            return  # cancel() will answer False: nothing is asked
        oid = self.watch.core.lookup(receiver)
        if oid < 0:
            if stdlib is not None or not issubclass(type(receiver), TASKS):
                return  # asyncio's own bookkeeping, or a future nobody awaited
            oid = self.watch.register(receiver, late=False)
            if oid < 0:
                return
        rule = stdlib[1] if stdlib is not None else RUNNING
        requester = self._requester(rule, frame, oid)
        how = self._message_at(code, offset)
        if how is None:
            self._request(oid, requester, known=False)
        else:
            self._request(oid, requester, _read(how, frame))

    def _message_at(self, code, offset: int):
        """How the message of the cancel() call at `offset` is read: ("const", value),
        ("local", name), or None (no message, or not one written at the call site)."""
        table = self.messages.get(id(code))
        if table is None:
            table = self.messages[id(code)] = call_messages(code)
        return table.get(offset)

    # -- 3.11: asyncio's own code, watched --------------------------------------------------

    def on_code(self, event: int, frame) -> None:
        """A watched asyncio function started (0) or left (1, 2)."""
        key = id(frame)
        if event == 0:
            if key not in self.snapshots:
                self.snapshots[key] = self._snapshot(frame)
            return
        taken = self.snapshots.pop(key, None)
        if taken is None:
            return
        requester, message, before = taken
        for oid, obj, count in before:
            if _count(obj) > count:
                self._request(oid, requester, message)

    def _snapshot(self, frame) -> tuple:
        name = frame.f_code.co_qualname
        lookup = self.watch.core.lookup
        before = []
        for obj in _candidates(name, frame):
            oid = lookup(obj)
            if oid >= 0:
                before.append((oid, obj, _count(obj)))
        message = _local(frame, "msg") if name in MESSAGES else None
        cancelled = before[0][0] if len(before) == 1 else -1
        return self._requester(RULES.get(name, RUNNING), frame, cancelled), message, before

    # -- deliveries -------------------------------------------------------------------------

    def delivered(self, task_oid: int, exc, t: int) -> bool:
        """A CancelledError is about to be thrown into the coroutine chain of task
        `task_oid` (the cores call this before they record the throw).  True when a
        `cancel` was recorded now: nobody's request was seen for it."""
        if self.delivery.get(task_oid) == id(exc):
            return False  # the same delivery, reaching the next frame of the chain
        self.delivery[task_oid] = id(exc)
        core = self.watch.core
        args = getattr(exc, "args", ())
        pending, unread = self.pending.pop(task_oid, 0), self.unread.pop(task_oid, -1)
        if pending:
            if pending == 1 and unread >= 0 and args:  # one request: its message came
                core.set_value(unread, core.value(args[0]))
            return False  # asked for, and recorded when it was
        task = core.alive(task_oid)
        if task is None or _count(task) <= 0:
            return False  # an awaited task's cancellation passing through
        core.emit(t, task_oid, K_CANCEL, core.value(args[0]) if args else NO_VALUE, 0, NO_TARGET)
        self.at_delivery += 1
        return True

    def call_watching(self, tool: int, local: list) -> "CallWatching":
        return CallWatching(self, tool, local)

    def watches(self, code, frame) -> bool:
        """Ordinary code (no generator) that names cancel: the program's own?"""
        registry = self.watch.registry
        return names_cancel(code) and registry.scope.owns(code, module_of(frame))

    def note(self) -> str | None:
        """What the trace's notes say when some cancellations were seen only delivered."""
        if not self.at_delivery:
            return None
        why = (
            "on Python 3.11 a cancel() called by the program's own code is seen only when "
            "it is delivered"
            if not MONITORING
            else "cancel() was called by code out of scope or through a callback"
        )
        return (
            f"{self.at_delivery} cancellation(s) were recorded when they reached their task, "
            f"with no requester: {why}"
        )


class CallWatching:
    """3.12+: CALL events, locally, in the code that may call cancel(), for one backend's
    tool id; `local` is the backend's list of codes given local events (cleared at the
    end)."""

    def __init__(self, cancels: CancelWatch, tool: int, local: list):
        self.cancels = cancels
        self.tool = tool
        self.local = local

    def start(self) -> None:
        mon = sys.monitoring
        mon.register_callback(self.tool, mon.events.CALL, self.cancels.on_call)
        for code, _rule in call_codes().values():
            self._add(code)

    def events_of(self, code) -> int:
        """The local events code in scope gets besides its yields and returns."""
        return sys.monitoring.events.CALL if names_cancel(code) else 0

    def watch(self, code, frame) -> None:
        """Ordinary code that names cancel, at its first call."""
        if self.cancels.watches(code, frame):
            self._add(code)

    def _add(self, code) -> None:
        mon = sys.monitoring
        try:
            events = mon.get_local_events(self.tool, code) | mon.events.CALL
            mon.set_local_events(self.tool, code, events)
        except ValueError:  # the tool id was released under us
            return
        self.local.append(code)


def _read(how, frame):
    kind, what = how
    return what if kind == "const" else _local(frame, what)


def _candidates(name: str, frame) -> list:
    """3.11: what the watched function `name`, running in `frame`, may cancel."""
    if name == "Task.cancel" and _called_by_task(frame):
        return []  # a task passing its own cancellation on: part of that request
    field = FIELDS.get(name)
    if field is not None:
        owner = _local(frame, "self")
        try:
            found = getattr(owner, field, None)
        except Exception:
            found = None
    else:
        found = _local(frame, LOCALS[name])
        if name == "_cancel_all_tasks":
            try:
                found = tasks.all_tasks(found)
            except Exception:
                found = None
    if found is None:
        return []
    if isinstance(found, (set, list, tuple, frozenset)):
        return list(found)
    return [found]


def _called_by_task(frame) -> bool:
    back = frame.f_back
    return back is not None and back.f_code.co_qualname.startswith(_OWN)


_LOADS_LOCAL = {"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_DEREF", "LOAD_NAME", "LOAD_GLOBAL"}


def call_messages(code) -> dict:
    """{offset of a `X.cancel(...)` call: how its message is read}, for the calls whose
    message is written at the call site: `X.cancel()` (None), `X.cancel(<constant>)`,
    `X.cancel(<name>)`, and the same with `msg=`."""
    out: dict = {}
    ins = [i for i in dis.get_instructions(code) if i.opname not in ("CACHE", "PRECALL")]
    for k, i in enumerate(ins):
        if i.opname not in ("CALL", "CALL_KW") or i.arg is None or i.arg > 1:
            continue
        j = k - 1
        if j >= 0 and ins[j].opname == "KW_NAMES":  # 3.12
            kw = ins[j].argval
            j -= 1
        elif i.opname == "CALL_KW":  # 3.13: the names are the constant just before
            kw = ins[j].argval
            j -= 1
        else:
            kw = ()
        if kw not in ((), ("msg",)):
            continue
        arg = ins[j] if i.arg == 1 and j >= 0 else None
        attr = ins[j - 1] if arg is not None else (ins[j] if j >= 0 else None)
        if attr is None or attr.opname != "LOAD_ATTR" or attr.argval != "cancel":
            continue
        if arg is None:
            out[i.offset] = ("const", None)
        elif arg.opname == "LOAD_CONST":
            out[i.offset] = ("const", arg.argval)
        elif arg.opname in _LOADS_LOCAL:
            out[i.offset] = ("local", arg.argval)
    return out
