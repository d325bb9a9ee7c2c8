"""The recording core in Python: the fallback when the native core cannot be built.

It keeps the same promises as the C core (`csrc/`), event for event: the recording
suite runs against both.  A backend feeds it six calls — start, resume, yield, return,
unwind, throw — each with the frame it happened in.  It finds the object the frame
belongs to (one object per generator instance: a frame lives as long as its generator,
so `id(frame)` names the instance while it lives), moves its state, and appends one
fixed record.  Objects it has not seen, values it cannot describe and awaited things it
does not know go to the registry.
"""

from __future__ import annotations

import gc
import struct
import weakref
from typing import Any, Callable

from ..events import KIND_CODE
from ..trace import NO_TARGET, NO_VALUE, RECORD
from . import frames
from .codeinfo import codeinfo
from .protocol import (
    ASYNC_GENERATOR,
    CLOSED,
    CREATED,
    FUTURE,
    OBJECT_COST,
    RUNNING,
    SUSPENDED,
    TASK,
)
from .pyrecord import ObjState, PyRecord
from .pytasks import TaskCalls

K_CREATE = KIND_CODE["create"]
K_START = KIND_CODE["start"]
K_RESUME = KIND_CODE["resume"]
K_THROW = KIND_CODE["throw"]
K_YIELD = KIND_CODE["yield"]
K_AWAIT = KIND_CODE["await"]
K_RETURN = KIND_CODE["return"]
K_RAISE = KIND_CODE["raise"]
K_CLOSE = KIND_CODE["close"]
K_CANCEL = KIND_CODE["cancel"]

_pack = RECORD.pack
_KIND_AT = RECORD.size - 4  # the record's (line << 8 | kind) field: kind is its low byte
_VALUE_AT = RECORD.size - 8  # the record's value field


class PyCore(PyRecord, TaskCalls):
    def __init__(self, registry, thread: int, max_events: int, values: bool = True):
        super().__init__(registry, max_events, values)
        self.thread = thread
        self.watch_end: Callable[[Any], None] | None = None  # the backend's, for task roots
        self.states: list[ObjState] = []
        self.frames: dict[int, ObjState] = {}  # id(frame) -> its object
        self.by_id: dict[int, ObjState] = {}  # id(object) -> its state, while alive
        self.roots: dict[int, ObjState] = {}  # id(unrecorded coroutine) -> its task
        self.stack: list[ObjState] = []  # running objects on the recording thread
        self.pending_target = None  # (id of delegating frame, oid) after an inner yield
        self.just_died = None  # key of the object whose weak reference just died
        self.just_died_oid = -1  # ... and its id
        self.active = True
        self.infos: dict[int, object] = {}  # id(code) -> CodeInfo, for this trace
        self.calls: list[tuple] = []  # (coro, task oid) of the create_task calls running
        self.names: dict[int, str] = {}  # task oid -> its name as last read

    def info(self, code):
        """What `code`'s bytecode says (cached for this trace)."""
        return codeinfo(code, self.infos)

    # -- the state table the registry builds --------------------------------------------

    def add(
        self, kind: int, state: int, task: int, line: int, code, obj, watch: bool, frame=None
    ) -> int:
        if not self._take(OBJECT_COST):
            return -1
        oid = len(self.states)
        o = ObjState(oid, kind, state, task, line, self.info(code) if code is not None else None)
        self.states.append(o)
        if frame is not None:
            o.key = id(frame)
            self.frames[o.key] = o
        if obj is not None:
            self.by_id[id(obj)] = o
            if watch:
                self._watch(obj, o)
        return oid

    def bind(self, oid: int, obj) -> None:
        o = self.states[oid]
        self.by_id[id(obj)] = o
        self._watch(obj, o)

    def _watch(self, obj, o: ObjState) -> None:
        """Follow `obj` weakly: its end is noticed even when no event reports it."""
        if gc.is_finalized(obj):
            return  # its finaliser ran: a new weak reference could outlive it
        key = id(obj)
        try:
            o.ref = weakref.ref(obj, lambda _r, o=o, key=key: self._collected(o, key))
        except TypeError:
            o.ref = None

    def _collected(self, o: ObjState, key: int) -> None:
        if self.by_id.get(key) is o:
            del self.by_id[key]
        if not self.active or o.kind == TASK or o.kind == FUTURE:
            return
        if o.state == CREATED or o.state == SUSPENDED:
            self.emit(self.now(), o.oid, K_CLOSE, NO_VALUE, o.line)
            o.state = CLOSED
            # the finaliser may throw GeneratorExit into it next: that is this close
            self.just_died = o.key
            self.just_died_oid = o.oid

    def lookup(self, obj) -> int:
        o = self.by_id.get(id(obj))
        if o is not None and o.ref is not None and o.ref() is obj:
            return o.oid
        return -1

    def state(self, oid: int) -> int:
        return self.states[oid].state

    def set_state(self, oid: int, state: int) -> None:
        self.states[oid].state = state

    def task(self, oid: int) -> int:
        return self.states[oid].task

    def merge(self, oid: int, frame, gen, code) -> None:
        """`frame` (of `gen`, running `code`) is a part of object `oid` from now on.  A cell
        runs each top-level statement that awaits as a coroutine of its own; the record
        shows one coroutine, the cell: a part's start is the cell's start (the first) or
        nothing, its end is nothing (the cell goes on), its suspensions are the cell's."""
        o = self.states[oid]
        self._part_done(o)
        o.merged = True
        o.info = self.info(code)
        o.key = id(frame)
        self.frames[o.key] = o
        self.by_id[id(gen)] = o
        o.part = id(gen)

    def _part_done(self, o: ObjState) -> None:
        """A merged object's running part ended: it is known by it no more."""
        if o.key is not None and self.frames.get(o.key) is o:
            del self.frames[o.key]
        if o.part is not None and self.by_id.get(o.part) is o:
            del self.by_id[o.part]
        o.key = o.part = None

    def link(self, coro_oid: int, task_oid: int) -> None:
        """`coro_oid` is the coroutine `task_oid` runs: the task ends when it does."""
        c = self.states[coro_oid]
        if c.root_of < 0:
            c.root_of = task_oid
        c.task = task_oid

    def link_unrecorded(self, task_oid: int, coro) -> None:
        """The task's coroutine is out of scope: its return or raise still ends the task."""
        t = self.states[task_oid]
        if t.root_key is not None or gc.is_finalized(coro):
            return
        key = id(coro)
        t.root_key = key
        self.roots[key] = t

        def gone(_ref, key=key, t=t):  # its address may now be another object's
            if self.roots.get(key) is t:
                del self.roots[key]

        try:
            t.root_ref = weakref.ref(coro, gone)
        except TypeError:
            pass
        code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        if code is not None and self.watch_end is not None:
            self.watch_end(code)

    def end_task(self, task_oid: int, t: int, kind: int, value: int) -> None:
        """A task ends in the step its coroutine returns or raises in."""
        task = self.states[task_oid]
        if task.state != CLOSED:
            self.emit(t, task_oid, kind, value, 0)
            task.state = CLOSED
            if task.root_key is not None:
                self.roots.pop(task.root_key, None)
            self.read_end_name(task_oid, task.ref)

    def running(self) -> int:
        return self.stack[-1].oid if self.stack else -1

    # for the watchdog thread: ints only (nothing a garbage collection would count)

    def running_since(self) -> int:
        """When the innermost running object last started, resumed or was thrown into."""
        try:
            return self.stack[-1].began
        except IndexError:
            return -1

    def last_record_at(self) -> int:
        """The time of the latest record (0 before the first)."""
        end = len(self.buf)
        if end < RECORD.size:
            return 0
        return int.from_bytes(self.buf[end - RECORD.size : end - RECORD.size + 8], "little")

    # -- what the backends report -------------------------------------------------------

    def _first_sight(self, frame, code, initial: int, dying: bool = False) -> ObjState:
        oid = self.registry.first_sight(frame, frames.generator_of(frame), code, initial, dying)
        return self.states[oid]

    def on_start(self, frame, code, offset: int) -> None:
        o = self.frames.get(id(frame))
        if o is None or o.state != CREATED:
            o = self._first_sight(frame, code, CREATED)
            if o.merged and o.state == RUNNING:
                self.stack.append(o)  # a cell's next statement: the cell runs on
                return
        line = o.info.line(offset) or code.co_firstlineno
        o.began = t = self.now()
        o.resume_at = self.emit(t, o.oid, K_START, NO_VALUE, line)
        o.state = RUNNING
        o.line = line
        self.pending_target = None
        self.just_died = None
        self.stack.append(o)

    def on_resume(self, frame, code, offset: int) -> None:
        o = self.frames.get(id(frame))
        if o is None or o.state == CLOSED or o.state == CREATED:
            o = self._first_sight(frame, code, SUSPENDED)
        elif o.state == RUNNING:  # a resume we missed the suspension of; keep the record legal
            return
        o.began = t = self.now()
        o.resume_at = self.emit(t, o.oid, K_RESUME, NO_VALUE, o.line or o.info.line(offset))
        o.state = RUNNING
        self.pending_target = None
        self.just_died = None
        self.stack.append(o)

    def on_throw(self, frame, code, exc, t: int | None = None, line: int = 0) -> None:
        """`exc` was thrown into the frame (throw(), close(), a task's cancellation)."""
        if t is None:
            t = self.now()
        key = id(frame)
        o = self.frames.get(key)
        exiting = isinstance(exc, GeneratorExit)
        if o is None or o.state == CLOSED:
            if exiting and key == self.just_died:
                self.just_died = None
                return  # its finaliser closing it: the close its collection recorded
            # a frame not seen before, or one that reuses a dead one's address
            o = self._first_sight(
                frame,
                code,
                CREATED if frame.f_lasti <= self.info(code).start else SUSPENDED,
                dying=exiting,
            )
        elif o.state == RUNNING:
            return
        self.just_died = None
        line = line or o.line
        if type(exc) is StopIteration and frame.f_lasti in o.info.in_send:
            # the iterator this frame delegates to finished on the throw path; CPython
            # hands its return value back by throwing StopIteration: a resume, really
            o.resume_at = self.emit(t, o.oid, K_RESUME, self.value(exc.value), line)
            o.began = t
            o.state = RUNNING
            self.pending_target = None
            self.stack.append(o)
            return
        if exiting:
            self.emit(t, o.oid, K_CLOSE, NO_VALUE, line)
            o.state = CLOSED
            return
        self._cancel_check(o, exc, t)  # a cancel no request explains comes before its throw
        o.resume_at = self.emit(t, o.oid, K_THROW, self.value(exc), line)
        o.began = t
        o.state = RUNNING
        self.pending_target = None
        self.stack.append(o)

    def _cancel_check(self, o: ObjState, exc, t: int) -> bool:
        """A CancelledError about to be thrown into a task's coroutine chain: True when
        the asyncio watch recorded a `cancel` for it now."""
        if o.task < 0 or self.states[o.task].kind != TASK:
            return False
        if type(exc).__name__ != "CancelledError":
            return False
        return self.registry.cancel_reached(o.task, exc, t) is True

    def retype_as_throw(self, frame, exc) -> None:
        """3.11: the resume just recorded for `frame` was an exception thrown in."""
        o = self.frames.get(id(frame))
        if o is None or o.state != RUNNING or o.resume_at < 0:
            return
        at = o.resume_at
        if self.buf[at + _KIND_AT] != K_RESUME:
            return
        if isinstance(exc, GeneratorExit):
            self.buf[at + _KIND_AT] = K_CLOSE
            struct.pack_into("<I", self.buf, at + _VALUE_AT, NO_VALUE)
            o.state = CLOSED
            self._pop(o)
            return
        size = RECORD.size
        if self._cancel_check(o, exc, RECORD.unpack_from(self.buf, at)[0]):
            if at == len(self.buf) - 2 * size:
                # the cancel it just recorded goes before the throw, as on every other path
                resumed = self.buf[at : at + size]
                self.buf[at : at + size] = self.buf[at + size : at + 2 * size]
                self.buf[at + size : at + 2 * size] = resumed
                at = o.resume_at = at + size
        value = self.value(exc)
        self.buf[at + _KIND_AT] = K_THROW
        struct.pack_into("<I", self.buf, at + _VALUE_AT, value)

    def on_yield(self, frame, code, offset: int, value) -> None:
        by_frame = self.frames
        o = by_frame.get(id(frame))
        if o is None or o.state != RUNNING:
            return
        line, delegating = o.info.yield_site(offset)
        if delegating:
            kind = K_AWAIT
            pt = self.pending_target
            if pt is not None and pt[0] == id(frame):
                target = pt[1]
            else:
                target = self.target_of(value, o, frame, line)
        else:
            kind = K_YIELD
            target = NO_TARGET
            if o.kind == ASYNC_GENERATOR:
                value = frames.unwrap_async_yield(value)
        # an inner frame of a `yield from` / `await` chain: the frame it delegates to
        # yields next, and waits on this one
        back = frame.f_back
        if back is not None and not (kind == K_YIELD and o.kind == ASYNC_GENERATOR):
            # (an async generator's value goes to its consumer: nothing waits through it)
            bo = by_frame.get(id(back))
            self.pending_target = (
                (id(back), o.oid) if (bo is not None and back.f_lasti in bo.info.in_send) else None
            )
        else:
            self.pending_target = None
        if self._take(1):
            if value is None:
                v = self._none if self.values else NO_VALUE
            else:
                v = self.value(value)
            self._append(_pack(self.now(), o.oid, target, v, (line << 8) | kind))
        o.state = SUSPENDED
        o.line = line
        self._pop(o)

    def on_return(self, frame, code, offset: int, value) -> None:
        o = self.frames.get(id(frame))
        if o is None or o.state != RUNNING:
            if o is None and self.roots:
                self._root_ends(frame, K_RETURN, value)
            return
        if o.merged:  # a cell's statement ended: the cell runs on
            self._part_done(o)
            self.pending_target = None
            self._pop(o)
            return
        t = self.now()
        v = self.value(value)
        self.emit(t, o.oid, K_RETURN, v, o.info.line(offset))
        o.state = CLOSED
        self.pending_target = None
        self._pop(o)
        if o.root_of >= 0:
            self.end_task(o.root_of, t, K_RETURN, v)

    def on_unwind(
        self, frame, code, offset: int, exc, described: int | None = None, line: int = 0
    ) -> None:
        o = self.frames.get(id(frame))
        if o is None or o.state != RUNNING:
            if o is None and self.roots:
                self._root_ends(frame, K_RAISE, exc, described)
            return
        value = self.value(exc) if described is None else described
        t = self.now()
        line = line or frames.raise_line(frame, exc) or o.info.line(offset)
        self.emit(t, o.oid, K_RAISE, value, line)
        o.state = CLOSED
        self.pending_target = None
        self._pop(o)
        if o.root_of >= 0:
            self.end_task(o.root_of, t, K_RAISE, value)

    def _root_ends(self, frame, kind: int, value, described: int | None = None) -> None:
        """An unrecorded coroutine ended: if a task runs it, the task ends."""
        gen = frames.generator_of(frame)
        task = self.roots.get(id(gen)) if gen is not None else None
        if task is not None:
            v = self.value(value) if described is None else described
            self.end_task(task.oid, self.now(), kind, v)

    def _pop(self, o: ObjState) -> None:
        stack = self.stack
        if stack and stack[-1] is o:
            stack.pop()
        elif o in stack:
            stack.remove(o)

    # -- hints from rewritten code ------------------------------------------------------

    def sent(self, frame, value) -> None:
        """The suspension point in `frame` just evaluated to `value` on resumption."""
        o = self.frames.get(id(frame))
        if o is None or o.state != RUNNING:
            return
        at = o.resume_at
        o.resume_at = -1
        if at >= 0 and self.buf[at + _KIND_AT] == K_RESUME and self.values:
            struct.pack_into("<I", self.buf, at + _VALUE_AT, self.value(value))

    def dying(self, obj) -> int:
        """The object its collection just closed, if `obj` is it: its finaliser runs next
        and may report it (a coroutine never awaited)."""
        frame = frames.frame_of(obj)
        if frame is not None and self.just_died is not None and id(frame) == self.just_died:
            return self.just_died_oid
        return -1

    def sync(self, obj) -> None:
        """Bring the record of `obj` in line with its real state (close() without events)."""
        oid = self.lookup(obj)
        if oid < 0:
            return
        o = self.states[oid]
        if o.state != CREATED and o.state != SUSPENDED:
            return
        if frames.frame_of(obj) is None:  # finished: closed without telling
            self.emit(self.now(), o.oid, K_CLOSE, NO_VALUE, o.line)
            o.state = CLOSED

    # -- awaited things that are not frames ---------------------------------------------

    def target_of(self, value, awaiting: ObjState, frame, line: int) -> int:
        if value is None:
            return NO_TARGET
        o = self.by_id.get(id(value))
        if o is not None and o.ref is not None and o.ref() is value:
            return o.oid
        # a new future: named after the call that made it, read from the awaiting
        # coroutine's chain (once per new future)
        gen = awaiting.ref() if awaiting.ref is not None else frames.generator_of(frame)
        return self.registry.target(value, gen, line)

    # -- the end ------------------------------------------------------------------------

    def alive(self, oid: int):
        """The object itself, if it is still alive (for the final sweep)."""
        o = self.states[oid]
        return o.ref() if o.ref is not None else None

    def finish(self) -> None:
        """No more events: forget the objects (the trace keeps none alive)."""
        self.active = False
        self.duration = self.now()
        self.frames.clear()
        self.by_id.clear()
        self.roots.clear()
        self.infos.clear()
        for o in self.states:
            o.ref = o.root_ref = None
        self.stack.clear()
        self.calls.clear()
