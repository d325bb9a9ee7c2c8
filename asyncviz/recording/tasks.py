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
  (an eager task may be over and gone by the time the trace ends);
- 3.11: asyncio's functions that cancel tasks (`cancels.watched_codes_311()`; 3.12+ sees
  the cancel() calls themselves).

Labels are given at the end (`tasknames.py`), cancellations recorded as they are asked
for (`cancels.py`).  With %%asynctrace the task that runs the cell is not a task of the
record: the cell (a coroutine, `Registry.cell`) stands for it.

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
from .faults import fault_codes
from . import cancels
from .protocol import (
    CANCELS,
    CLOSED,
    CREATE_TASK,
    CREATED,
    EXCEPTION_HANDLER,
    RECORD,
    SELECT,
    SUSPENDED,
    TASK,
    TASK_NAME,
    UNAWAITED,
    WAITS,
)
from .pycore import K_CREATE, K_RAISE, K_RETURN
from .tasknames import TaskNames, coroutine_name
from .waits import watched_codes

START, RETURN, RAISE = 0, 1, 2  # the events the cores report for watched code
MISSING = object()  # no argument given: read it from the frame


@functools.cache
def special_codes() -> dict:
    """The stdlib code objects the cores watch, and what each one means (they do not
    change while the interpreter runs: found once)."""
    codes = {base_events.BaseEventLoop.create_task.__code__: CREATE_TASK}
    codes.update(fault_codes())  # asyncio reporting a fault (faults.py)
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
    if not cancels.MONITORING:  # 3.12+ sees cancel() calls themselves (CALL events)
        codes.update(dict.fromkeys(cancels.watched_codes_311(), CANCELS))
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
        self.selecting: list[tuple[int, bool]] = []  # (start, may wait) while select() runs
        self.idle: list[tuple[int, int]] = []  # core ticks
        self.naming = TaskNames()
        self.cancels = cancels.CancelWatch(self)
        # %%asynctrace: the task that runs the cell and its loop (the cell stands for it)
        self.root_task: Any = None
        self.root_loop: Any = None

    def attach(self, core) -> None:
        self.core = core

    # -- the watched stdlib code ----------------------------------------------------------

    def on_code(self, decision: int, event: int, frame, value=MISSING) -> None:
        """Watched stdlib code started (its argument in `value` when the core read it),
        returned (`value`: what it returned) or raised."""
        if decision == CREATE_TASK:
            if event == START:
                coro = _arg(frame, "coro") if value is MISSING else value
                self._create_start(coro, _arg(frame, "name"))
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
            coro = _arg(frame, "coro") if value is MISSING else value
            self.registry.faults.unawaited(coro, frame)  # faults.py
        elif decision == EXCEPTION_HANDLER and event == START:
            self.registry.faults.exception_handler(frame)
        elif decision == TASK_NAME and event == RETURN:
            # the native core hands over the task; the Python backends its return value
            task = value if value is not None and value is not MISSING else _arg(frame, "task")
            oid = self.core.lookup(task) if task is not None else -1
            if oid >= 0:
                self.naming.named(oid, _arg(frame, "name"))
                self._read_name(oid, task)
        elif decision == CANCELS:
            self.cancels.on_code(event, frame)
        elif decision == WAITS and event == RETURN:
            try:
                self.registry.waits_of().returned(frame, value)
            except Exception:  # the wait keeps its plain name; the program never sees this
                pass

    def _create_start(self, coro, name) -> None:
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
            core.creating(coro, -1)
            return
        oid = self.registry.new_object(
            TASK, "Task", parent if parent >= 0 else None, CREATED, label=""
        )
        if oid >= 0:
            self.naming.created(oid, name)
            core.emit(core.now(), oid, K_CREATE, NO_VALUE, 0)
        core.creating(coro, oid)

    def _create_end(self, task) -> None:
        call = self.core.created()
        if call is None:
            return
        coro, oid = call
        if oid < 0:
            return
        if task is None:  # create_task raised
            self.core.set_state(oid, CLOSED)
            return
        self._follow(task, oid, coro)

    def starting(self, gen) -> int:
        """The task whose eager first step is running `gen` inside create_task, or -1."""
        return self.core.starting(gen)

    def _wanted(self, coro) -> bool:
        code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        return (
            code is not None and frame is not None and self.registry.decide(code, frame) == RECORD
        )

    # -- tasks ----------------------------------------------------------------------------

    def told(self, given: list[int], followed: list[int]) -> None:
        """The core made tasks by itself (csrc/tasks.c): `given` were named by the
        program, `followed` returned from create_task, in this order."""
        self.naming.given.update(given)
        objects = self.registry.objects
        for oid in followed:
            self.naming.first_name(oid, objects[oid].name)
        self.tasks.extend(followed)

    def _follow(self, task, oid: int, coro) -> None:
        core = self.core
        objects = self.registry.objects  # the tasks the core followed alone come first
        core.bind(oid, task)
        self.tasks.append(oid)
        self._read_name(oid, task)
        self.naming.first_name(oid, objects[oid].name)
        if coro is None:
            return
        c = core.lookup(coro)
        if c < 0:
            c = self.registry.adopt_coroutine(coro, oid)
        if c >= 0:
            self._link(oid, c)
        else:
            self._unrecorded(oid, coro)
        if _finished(task) and core.state(oid) != CLOSED:  # eager: over in create_task
            self._settle(oid, task)

    def _unrecorded(self, oid: int, coro) -> None:
        """The task's coroutine is out of scope: its end is the task's; its name labels
        the task."""
        self.core.link_unrecorded(oid, coro)
        name = coroutine_name(coro)
        if name:
            self.naming.coro_names[oid] = name

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
            self.naming.fixed[oid] = label
        self.naming.adopted.add(oid)
        self._follow(task, oid, None)
        try:
            coro = task.get_coro()  # pending: safe (3.12.1 crashes only for eagerly finished tasks)
        except Exception:
            coro = None
        if coro is not None and not self._wanted(coro):
            # out of scope: its end is the task's; one in scope is adopted when it runs
            self._unrecorded(oid, coro)
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
        """The running task's object (the cell, for the task that runs it); adopt=False:
        only if it is already recorded.  No task running: the cell, when it is what runs."""
        loop = _events._get_running_loop()
        task = asyncio.current_task(loop) if loop is not None else None
        if task is None:
            return self._cell_now(loop)
        if task is self.root_task:
            return self.registry.cell
        return self.register(task) if adopt else self.core.lookup(task)

    def _cell_now(self, loop) -> int:
        """The cell, when no task runs: its own code runs with no loop running, or a loop
        it runs (run_until_complete on a new loop) runs a callback; -1 else."""
        cell = self.registry.cell
        if cell < 0 or loop is None:
            return cell
        root = self.root_loop
        if root is not None and root is not loop and asyncio.current_task(root) is self.root_task:
            return cell
        return -1

    def _read_name(self, oid: int, task) -> None:
        try:
            name = self.registry.objects[oid].name = str(task.get_name())
        except Exception:
            return
        self.core.named(oid, name)  # the latest read wins, ours or the core's

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
        for oid in self.tasks:
            traced = objects[oid]
            task = core.alive(oid)
            if task is not None:
                self._read_name(oid, task)
                if core.state(oid) != CLOSED and _finished(task):
                    self._settle(oid, task)
            else:  # as last read: when its coroutine ended it (the core did), or later
                traced.name = core.last_name(oid) or traced.name
            if core.state(oid) != CLOSED:
                coro = traced.coro
                started = coro is not None and core.state(coro) != CREATED
                core.set_state(oid, SUSPENDED if started or core.state(oid) != CREATED else CREATED)
        self.naming.label_all(self.tasks, objects, self.registry._label)
        self.root_task = self.root_loop = None  # the trace keeps nothing of the program


def _finished(task) -> bool:
    try:
        return task.done()
    except Exception:
        return False
