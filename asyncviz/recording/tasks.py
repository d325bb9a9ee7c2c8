"""asyncio: tasks as objects, their parents and ends, and the loop's idle time.

Watching the loop's create_task sees every task made through it while recording, with
the task that made it.  Tasks that appear another way (a loop created inside the cell,
`asyncio.Task(...)` called directly) are adopted the first time their coroutine runs.  Names are read at the end: asyncio
sets a task's name after the factory returns.
"""
from __future__ import annotations

import asyncio
import time
from asyncio import events as _events

from ..events import CLOSED, CREATED, SUSPENDED
from ..trace import NO_VALUE
from .core import K_CANCEL, K_CREATE, K_RAISE, K_RETURN, Core

_now = time.perf_counter_ns


class TaskWatcher:
    def __init__(self, core: Core):
        self.core = core
        self.loops: dict = {}          # loop -> (our create_task, patched selector)
        self.tasks: list = []          # (Obj, weakref to task)
        self.starting = None           # (id(coro), task Obj) while a factory runs
        self.idle: list[tuple[int, int]] = []
        self.names: dict = {}          # tid -> explicit label
        self.cancels: dict = {}        # tid -> cancellation requests already recorded

    # -- loops ----------------------------------------------------------------------------

    def install(self, loop) -> None:
        if loop is None or loop in self.loops or loop.is_closed():
            return
        # Watch create_task on this loop instance rather than set a task factory: on
        # CPython 3.13.0 any factory makes create_task rename unnamed tasks to 'None',
        # and the user's own factory (an eager one, say) keeps working untouched.
        original = loop.create_task

        def create_task(coro, **kwargs):
            return self._create(coro, original, kwargs)

        try:
            loop.create_task = create_task
        except AttributeError:
            create_task = None
        selector = getattr(loop, "_selector", None)
        if selector is not None and "select" not in vars(selector):
            select_original = selector.select
            core = self.core
            idle = self.idle

            def select(timeout=None):
                began = _now()
                try:
                    return select_original(timeout)
                finally:
                    if core.active and (timeout is None or timeout > 0):
                        idle.append((began - core.t0, _now() - core.t0))

            try:
                selector.select = select
            except AttributeError:
                selector = None
        else:
            selector = None
        self.loops[loop] = (create_task, selector)

    def uninstall(self) -> list[str]:
        """Put every loop back as it was."""
        for loop, (create_task, selector) in self.loops.items():
            if create_task is not None and vars(loop).get("create_task") is create_task:
                del loop.create_task
            if selector is not None and "select" in vars(selector):
                del selector.select
        self.loops.clear()
        return []

    # -- tasks ----------------------------------------------------------------------------

    def _create(self, coro, original, kwargs):
        core = self.core
        if core.stack and core.stack[-1].task >= 0:
            parent = core.state[core.stack[-1].task]
        else:
            # only a task already in the record makes this one ours: while a cell
            # awaits, the kernel's own tasks create tasks on the same loop
            parent = self.current(adopt=False) if core.active else None
        if not core.active or (parent is None and not core.stack and not self._wanted(coro)):
            # not ours to show: made by library code outside any traced task
            # (asyncio.run's shutdown helpers, for one)
            return original(coro, **kwargs)
        o = core.new_object("task", "Task", parent=parent.tid if parent else None,
                            label="", state=CREATED)
        core.emit(_now() - core.t0, o.tid, K_CREATE, NO_VALUE, 0)
        self.starting = (id(coro), o)
        try:
            task = original(coro, **kwargs)
        except BaseException:
            self.starting = None
            o.state = CLOSED
            raise
        self.starting = None
        self._follow(task, o, coro)
        return task

    def _wanted(self, coro) -> bool:
        code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        return code is not None and frame is not None and self.core.wants(code, frame)

    def _read_name(self, o, task) -> None:
        try:
            self.core.objects[o.tid].name = str(task.get_name())
        except Exception:
            pass

    def _follow(self, task, o, coro) -> None:
        core = self.core
        core.watch(task, o)
        self.tasks.append((o, o.ref))
        c = None
        if coro is not None:
            c = core.lookup(coro)
            if c is None:
                c = core.adopt_coroutine(coro, o)
            if c is not None:
                self._link(o, c)
        if c is None or c.state is CLOSED:
            # its coroutine is not recorded (or already over): only the task can say
            # when it ends.  Otherwise the coroutine's own return/raise says it, in
            # the same step, without a loop callback per task.
            try:
                task.add_done_callback(self._done)
            except Exception:
                pass

    def _link(self, task_obj, coro_obj) -> None:
        core = self.core
        if coro_obj.root_of is None:
            coro_obj.root_of = task_obj
        traced = core.objects[task_obj.tid]
        if traced.coro is None:
            traced.coro = coro_obj.tid
        coro_obj.task = task_obj.tid
        ctraced = core.objects[coro_obj.tid]
        if ctraced.parent is None:
            ctraced.parent = task_obj.tid

    def register(self, task, late: bool = True, label: str | None = None):
        """The object of `task`, adopting it if it was not created under our factory."""
        core = self.core
        o = core.lookup(task)
        if o is not None:
            return o
        if task.done() and late:
            return None
        o = core.new_object("task", "Task", label="", state=SUSPENDED, initial=SUSPENDED)
        if label:
            self.names[o.tid] = label
        self._read_name(o, task)
        self._follow(task, o, None)
        try:
            self.install(task.get_loop())
        except Exception:
            pass
        return o

    def adopt(self, task_tid: int, coro_obj, gen) -> None:
        """A coroutine first seen running directly under a task: is it the task's own?
        (It may instead be awaited by code out of scope.)  The task is running, so
        get_coro() is safe (3.12.1 crashes on it only for eagerly finished tasks)."""
        traced = self.core.objects[task_tid]
        if traced.coro is not None or gen is None:
            return
        task_obj = self.core.state[task_tid]
        task = task_obj.ref() if task_obj.ref is not None else None
        try:
            if task is not None and task.get_coro() is gen:
                self._link(task_obj, coro_obj)
        except Exception:
            pass

    def current(self, adopt: bool = True):
        """The running task's object; adopt=False: only if it is already recorded."""
        loop = _events._get_running_loop()
        if loop is None:
            return None
        task = asyncio.current_task(loop)
        if task is None:
            return None
        return self.register(task) if adopt else self.core.lookup(task)

    def cancel_reached(self, task_tid: int, exc, t: int) -> None:
        """A CancelledError was thrown into the task's coroutine chain.  It is the task's
        own cancellation only if someone asked for it (cancelling() went up); otherwise it
        is an awaited task's cancellation passing through."""
        core = self.core
        o = core.state[task_tid]
        task = o.ref() if o.ref is not None else None
        try:
            requests = task.cancelling() if task is not None else 0
        except AttributeError:
            requests = 1
        if requests <= self.cancels.get(task_tid, 0):
            return
        self.cancels[task_tid] = requests
        core.emit(t, task_tid, K_CANCEL, core.value(exc.args[0]) if exc.args else NO_VALUE, 0)

    def ended(self, o) -> None:
        """Its coroutine ended it: read the name now, the task may not outlive the trace."""
        task = o.ref() if o.ref is not None else None
        if task is not None:
            self._read_name(o, task)

    def _done(self, task) -> None:
        core = self.core
        if not core.active:
            return
        o = core.lookup(task)
        if o is None or o.state == CLOSED:
            return
        t = _now() - core.t0
        self._read_name(o, task)
        if task.cancelled():
            core.emit(t, o.tid, K_RAISE, core.strings.intern("CancelledError()")
                      if core.values else NO_VALUE, 0)
        else:
            exc = task.exception()
            if exc is None:
                core.emit(t, o.tid, K_RETURN, core.value(task.result()), 0)
            else:
                core.emit(t, o.tid, K_RAISE, core.value(exc), 0)
        o.state = CLOSED

    def finish(self) -> None:
        """Read names late, settle the final state of tasks still pending."""
        core = self.core
        seen: dict[str, int] = {}
        for o, ref in self.tasks:
            traced = core.objects[o.tid]
            task = ref() if ref is not None else None
            name = self.names.get(o.tid)
            if task is not None:
                self._read_name(o, task)
                if o.state != CLOSED and task.done():
                    self._done(task)
            label = name or traced.name
            seen[label] = seen.get(label, 0) + 1
            traced.label = label if seen[label] == 1 else f"{label}#{seen[label]}"
            if o.state != CLOSED:
                coro = core.state[traced.coro] if traced.coro is not None else None
                o.state = SUSPENDED if coro is not None and coro.state != CREATED else (
                    CREATED if o.state == CREATED else SUSPENDED)
