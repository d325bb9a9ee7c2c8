"""What went wrong, as only the running program can tell: coroutines never awaited and
where they were dropped, task exceptions nobody retrieved, and the task that ran the trace
itself (it is still running when the trace stops: never "pending").

The analysis (`analysis/diagnostics.py`) reads what this leaves in `Trace.meta`; what
can be computed from the record later is computed there, not here.

- A coroutine never awaited: the interpreter calls `warnings._warn_unawaited_coroutine`
  when it finalises a coroutine that never ran (the cores watch it: `tasks.py`).  Any
  code's coroutine is kept — a library coroutine the program forgot to await is the
  program's mistake — but the machinery's (asyncviz, the kernel) and excluded modules'.
  Where it was dropped is the first frame of the program's own code above the warning
  (the line Python's own RuntimeWarning names).
- A task exception never retrieved: a task still alive when the trace stops is asked
  through `fault_fields` (private fields, read without retrieving); a task collected
  while the trace runs is reported by asyncio through `call_exception_handler(context)`,
  whose start the cores watch like the other stdlib code.
"""

from __future__ import annotations

from typing import Any

from ..events import KIND_CODE
from ..trace import NO_VALUE
from ..values import describe
from . import fault_fields
from .frames import line_of
from .protocol import CLOSED, CREATED, EXCEPTION_HANDLER, RECORD
from .scope import module_of

_K_CLOSE = KIND_CODE["close"]
_UNRETRIEVED = "exception was never retrieved"  # asyncio's message ends so (any Future type)


def fault_codes() -> dict:
    """The stdlib code watched for faults, and what each one means."""
    code = fault_fields.code_of("call_exception_handler")
    return {code: EXCEPTION_HANDLER} if code is not None else {}


class Faults:
    def __init__(self, registry):
        self.registry = registry
        self.dropped_at: dict[int, list] = {}  # never awaited: oid -> [file, line, function]
        self.unretrieved: dict[int, list] = {}  # oid -> [ticks, how, exception]
        self.unknown: list[list] = []  # unretrieved exceptions of tasks not in the record
        self.tracing_task = -1

    # -- a coroutine never awaited ----------------------------------------------------------

    def unawaited(self, coro, frame) -> None:
        """The interpreter finalises `coro`, which never ran (`frame`: the warning's)."""
        registry = self.registry
        core = registry.core
        code = getattr(coro, "cr_code", None)
        if coro is None or code is None:
            return
        oid = core.lookup(coro)
        if oid < 0:  # its collection may have recorded its end just now
            oid = core.dying(coro)
            if oid >= 0 and self.registry.objects[oid].name != code.co_qualname:
                oid = -1
        if oid < 0:
            if not self._program(coro, code):
                return
            oid = registry.object_of_code(
                code, None, CREATED, CREATED, -1, code.co_firstlineno, coro, False, None
            )
            if oid < 0:
                return
        if core.state(oid) != CLOSED:
            core.emit(core.now(), oid, _K_CLOSE, NO_VALUE, code.co_firstlineno)
            core.set_state(oid, CLOSED)
        registry.never_awaited.append(oid)
        site = registry.own_frame(frame.f_back if frame is not None else None)
        if site is not None:
            self.dropped_at[oid] = [site.f_code.co_filename, line_of(site), _name(site)]

    def _program(self, coro, code) -> bool:
        """Is a coroutine the program's to be told about (not the machinery's, not
        excluded)?  Library code counts: the program called it."""
        frame = getattr(coro, "cr_frame", None)
        module = module_of(frame) if frame is not None else None
        registry = self.registry
        return registry.decide(code, frame) == RECORD or registry.scope.allows(code, module)

    # -- task exceptions never retrieved -----------------------------------------------------

    def exception_handler(self, frame) -> None:
        """asyncio calls its loop's exception handler: a collected task whose exception
        nobody retrieved is one reason (the others are not faults of a task)."""
        context = fault_fields.local(frame, "call_exception_handler")
        if type(context) is not dict:
            return
        message, future = context.get("message"), context.get("future")
        if not (isinstance(message, str) and message.endswith(_UNRETRIEVED)) or future is None:
            return
        core = self.registry.core
        exc = context.get("exception")
        entry = [core.now(), "collected", describe(exc) if exc is not None else None]
        oid = core.lookup(future)
        if oid >= 0:
            self.unretrieved.setdefault(oid, entry)
        else:  # collected with others in a cycle: its weak reference is gone already
            self.unknown.append(entry)

    def finish(self) -> None:
        """The trace stops (the objects are still alive): which tasks hold an exception
        nobody retrieved, and which task runs the trace itself."""
        watch = self.registry.asyncio
        if watch is None:
            return
        core = self.registry.core
        self.tracing_task = watch.current(adopt=False)
        for oid in watch.tasks:
            task = core.alive(oid)
            if task is None or oid in self.unretrieved:
                continue
            if fault_fields.unretrieved(task):
                exc = fault_fields.read(task, "Future._exception")
                described = describe(exc) if exc is not None else None
                self.unretrieved[oid] = [core.now(), "end", described]

    def meta(self, to_ns) -> dict[str, Any]:
        """What the analysis reads (JSON-able), with times converted by `to_ns`."""
        out: dict[str, Any] = {}
        if self.dropped_at:
            out["never_awaited_at"] = [[oid, *site] for oid, site in self.dropped_at.items()]
        unretrieved = [[oid, to_ns(t), how, exc] for oid, (t, how, exc) in self.unretrieved.items()]
        unretrieved += [[-1, to_ns(t), how, exc] for t, how, exc in self.unknown]
        if unretrieved:
            out["unretrieved"] = unretrieved
        if self.tracing_task >= 0:
            out["tracing_task"] = self.tracing_task
        return out

    def files(self) -> set[str]:
        """Source files the meta names (the trace keeps their text for the views)."""
        return {site[0] for site in self.dropped_at.values()}


def _name(frame) -> str:
    code = frame.f_code
    return getattr(code, "co_qualname", code.co_name)
