"""asyncio, watched from outside: tasks as objects, their parents and ends, the loop's
idle time, coroutines never awaited.

Nothing the program can see is touched: no task factory, no attribute on a loop, no
patched selector, no done-callback.  The cores watch a fixed set of stdlib code objects
instead (`special_codes()`), whose start and return they report here:

- `BaseEventLoop.create_task`: every task made through a loop while recording, with the
  task that made it (its start gives the coroutine; an eager task's first step runs
  before it returns; its return gives the task);
- a selector's `select()`: the loop waiting for I/O or a timer (idle time);
- `warnings._warn_unawaited_coroutine`: the interpreter finalising a coroutine that
  never ran;
- `asyncio.tasks._set_task_name` (3.11, 3.12): a name given after the task was made
  (an eager task may be over and gone by the time the trace ends).

A task's end is its coroutine's return or raise, in the same step; a task whose
coroutine is out of scope still ends with it (the core watches that coroutine's end
only).  Tasks made another way are adopted when first awaited or running.  Names are
read late: asyncio names a task after it is made.  Results are read through the
private fields (`_result`, `_exception`): `exception()` would mark it retrieved.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any
import selectors
import warnings
from asyncio import base_events
from asyncio import events as _events

from ..trace import NO_VALUE
from .protocol import (
    CLOSED,
    CREATE_TASK,
    CREATED,
    RECORD,
    SELECT,
    SUSPENDED,
    TASK,
    TASK_NAME,
    UNAWAITED,
    WAITS,
)
from .pycore import K_CANCEL, K_CLOSE, K_CREATE, K_RAISE, K_RETURN
from .waits import watched_codes

START, RETURN, RAISE = 0, 1, 2  # the events the cores report for watched code
MISSING = object()  # no argument given: read it from the frame


@functools.cache
def special_codes() -> dict:
    """The stdlib code objects the cores watch, and what each one means (they do not
    change while the interpreter runs: found once)."""
    codes = {base_events.BaseEventLoop.create_task.__code__: CREATE_TASK}
    for cls in vars(selectors).values():
        select = vars(cls).get("select") if isinstance(cls, type) else None
        if select is not None and hasattr(select, "__code__"):
            codes[select.__code__] = SELECT
    unawaited = getattr(warnings, "_warn_unawaited_coroutine", None)
    if unawaited is not None:
        codes[unawaited.__code__] = UNAWAITED
    set_name = getattr(asyncio.tasks, "_set_task_name", None)
    if set_name is not None:
        codes[set_name.__code__] = TASK_NAME
    codes.update(dict.fromkeys(watched_codes(), WAITS))  # what names a wait (waits.py)
    return codes


def _arg(frame, name: str):
    try:
        return frame.f_locals.get(name)
    except Exception:
        return None


class AsyncioWatch:
    def __init__(self, registry):
        self.registry = registry
        # the recording core: attach() sets it before any hook can run
        self.core: Any = None
        self.tasks: list[int] = []  # every task object, in order
        self.creating: list[tuple] = []  # (coro, task oid or -1) while create_task runs
        self.selecting: list[tuple[int, bool]] = []  # (start, may wait) while select() runs
        self.idle: list[tuple[int, int]] = []  # core ticks
        self.names: dict[int, str] = {}  # oid -> label given by the recorder's caller
        self.cancels: dict[int, int] = {}  # oid -> cancellation requests recorded

    def attach(self, core) -> None:
        self.core = core

    # -- the watched stdlib code ----------------------------------------------------------

    def on_code(self, decision: int, event: int, frame, value=MISSING) -> None:
        """Watched stdlib code started (its argument in `value` when the core read it),
        returned (`value`: what it returned) or raised."""
        if decision == CREATE_TASK:
            if event == START:
                self._create_start(_arg(frame, "coro") if value is MISSING else value)
            else:
                self._create_end(value if event == RETURN else None)
        elif decision == SELECT:
            if event == START:
                timeout = _arg(frame, "timeout") if value is MISSING else value
                waits = timeout is None or (isinstance(timeout, (int, float)) and timeout > 0)
                self.selecting.append((self.core.now(), waits))
            elif self.selecting:
                began, waits = self.selecting.pop()
                if waits and self.core.active:
                    self.idle.append((began, self.core.now()))
        elif decision == UNAWAITED and event == START:
            self._unawaited(_arg(frame, "coro") if value is MISSING else value)
        elif decision == TASK_NAME and event == RETURN:
            # the native core hands over the task; the Python backends its return value
            task = value if value is not None and value is not MISSING else _arg(frame, "task")
            oid = self.core.lookup(task) if task is not None else -1
            if oid >= 0:
                self._read_name(oid, task)
        elif decision == WAITS and event == RETURN:
            try:
                self.registry.waits_of().returned(frame, value)
            except Exception:  # the wait keeps its plain name; the program never sees this
                pass

    def _create_start(self, coro) -> None:
        core = self.core
        running = core.running()
        parent = core.task(running) if running >= 0 else -1
        if parent < 0:
            # only a task already in the record makes this one ours: while a cell
            # awaits, the kernel's own tasks create tasks on the same loop
            parent = self.current(adopt=False)
        if parent < 0 and running < 0 and not self._wanted(coro):
            # not ours to show: made by library code outside any traced task
            # (asyncio.run's shutdown helpers, for one)
            self.creating.append((coro, -1))
            return
        oid = self.registry.new_object(
            TASK, "Task", parent if parent >= 0 else None, CREATED, label=""
        )
        if oid >= 0:
            core.emit(core.now(), oid, K_CREATE, NO_VALUE, 0)
        self.creating.append((coro, oid))

    def _create_end(self, task) -> None:
        if not self.creating:
            return
        coro, oid = self.creating.pop()
        if oid < 0:
            return
        if task is None:  # create_task raised
            self.core.set_state(oid, CLOSED)
            return
        self._follow(task, oid, coro)

    def starting(self, gen) -> int:
        """The task whose eager first step is running `gen` inside create_task, or -1."""
        for coro, oid in reversed(self.creating):
            if coro is gen:
                return oid
        return -1

    def _wanted(self, coro) -> bool:
        code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        return (
            code is not None and frame is not None and self.registry.decide(code, frame) == RECORD
        )

    def _unawaited(self, coro) -> None:
        if coro is None:
            return
        oid = self.core.lookup(coro)
        if oid < 0:
            code = getattr(coro, "cr_code", None)
            if code is None or self.registry.decide(code) != RECORD:
                return
            oid = self.registry.object_of_code(
                code, None, CREATED, CREATED, -1, code.co_firstlineno, coro, False, None
            )
            if oid < 0:
                return
        if self.core.state(oid) != CLOSED:
            self.core.emit(self.core.now(), oid, K_CLOSE, NO_VALUE, code_line(coro))
            self.core.set_state(oid, CLOSED)
        self.registry.never_awaited.append(oid)

    # -- tasks ----------------------------------------------------------------------------

    def _follow(self, task, oid: int, coro) -> None:
        core = self.core
        core.bind(oid, task)
        self.tasks.append(oid)
        if coro is None:
            return
        c = core.lookup(coro)
        if c < 0:
            c = self.registry.adopt_coroutine(coro, oid)
        if c >= 0:
            self._link(oid, c)
        else:
            core.link_unrecorded(oid, coro)
        if _finished(task):  # an eager task, over before create_task returned
            self._read_name(oid, task)
            if core.state(oid) != CLOSED:
                self._settle(oid, task)

    def _link(self, task_oid: int, coro_oid: int) -> None:
        self.core.link(coro_oid, task_oid)
        objects = self.registry.objects
        if objects[task_oid].coro is None:
            objects[task_oid].coro = coro_oid
        if objects[coro_oid].parent is None:
            objects[coro_oid].parent = task_oid

    def register(self, task, late: bool = True, label: str | None = None) -> int:
        """The object of `task`, adopting it if it was not seen being created."""
        core = self.core
        oid = core.lookup(task)
        if oid >= 0:
            return oid
        if late and _finished(task):
            return -1
        oid = self.registry.new_object(TASK, "Task", None, SUSPENDED, label="", initial=SUSPENDED)
        if oid < 0:
            return -1
        if label:
            self.names[oid] = label
        self._read_name(oid, task)
        self._follow(task, oid, None)
        try:
            coro = task.get_coro()  # pending: safe (3.12.1 crashes only for eagerly finished tasks)
        except Exception:
            coro = None
        if coro is not None and not self._wanted(coro):
            # out of scope: its end is the task's; one in scope is adopted when it runs
            self.core.link_unrecorded(oid, coro)
        return oid

    def adopt(self, task_oid: int, coro_oid: int, gen, eager: bool = False) -> None:
        """A coroutine first seen running directly under a task: is it the task's own?
        (It may instead be awaited by code out of scope.)"""
        objects = self.registry.objects
        if objects[task_oid].coro is not None or gen is None:
            return
        if eager:  # inside create_task: the coroutine it was given
            self._link(task_oid, coro_oid)
            return
        task = self.core.alive(task_oid)
        try:
            if task is not None and task.get_coro() is gen:
                self._link(task_oid, coro_oid)
        except Exception:
            pass

    def current(self, adopt: bool = True) -> int:
        """The running task's object; adopt=False: only if it is already recorded."""
        loop = _events._get_running_loop()
        if loop is None:
            return -1
        task = asyncio.current_task(loop)
        if task is None:
            return -1
        return self.register(task) if adopt else self.core.lookup(task)

    def cancel_reached(self, task_oid: int, exc, t: int) -> None:
        """A CancelledError was thrown into the task's coroutine chain.  It is the task's
        own cancellation only if someone asked for it (cancelling() went up); otherwise it
        is an awaited task's cancellation passing through."""
        task = self.core.alive(task_oid)
        try:
            requests = task.cancelling() if task is not None else 0
        except AttributeError:
            requests = 1
        if requests <= self.cancels.get(task_oid, 0):
            return
        self.cancels[task_oid] = requests
        self.core.emit(
            t, task_oid, K_CANCEL, self.core.value(exc.args[0]) if exc.args else NO_VALUE, 0
        )

    def ended(self, oid: int) -> None:
        """Its coroutine ended it: read the name now, the task may not outlive the trace."""
        task = self.core.alive(oid)
        if task is not None:
            self._read_name(oid, task)

    def _read_name(self, oid: int, task) -> None:
        try:
            self.registry.objects[oid].name = str(task.get_name())
        except Exception:
            pass

    def _settle(self, oid: int, task) -> None:
        """A finished task whose end no event told: read how it ended, without marking
        its exception retrieved."""
        core = self.core
        try:
            state = task._state
            if state == "CANCELLED":
                kind, value = K_RAISE, core.intern("CancelledError()") if core.values else NO_VALUE
            else:
                exc = task._exception
                kind, value = (
                    (K_RAISE, core.value(exc))
                    if exc is not None
                    else (K_RETURN, core.value(task._result))
                )
        except Exception:
            kind, value = K_RETURN, NO_VALUE
        core.end_task(oid, core.now(), kind, value)

    def finish(self) -> None:
        """Read names late, settle the tasks that finished unseen, label them."""
        core = self.core
        objects = self.registry.objects
        seen: dict[str, int] = {}
        for oid in self.tasks:
            traced = objects[oid]
            task = core.alive(oid)
            if task is not None:
                self._read_name(oid, task)
                if core.state(oid) != CLOSED and _finished(task):
                    self._settle(oid, task)
            label = self.names.get(oid) or traced.name
            seen[label] = seen.get(label, 0) + 1
            traced.label = label if seen[label] == 1 else f"{label}#{seen[label]}"
            if core.state(oid) != CLOSED:
                coro = traced.coro
                started = coro is not None and core.state(coro) != CREATED
                core.set_state(oid, SUSPENDED if started or core.state(oid) != CREATED else CREATED)


def _finished(task) -> bool:
    try:
        return task.done()
    except Exception:
        return False


def code_line(coro) -> int:
    code = getattr(coro, "cr_code", None)
    return code.co_firstlineno if code is not None else 0
