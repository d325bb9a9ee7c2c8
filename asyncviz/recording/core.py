"""The recording state machine that both backends feed.

A backend translates its interpreter hooks into six calls — start, resume, yield,
return, unwind, throw — each with the frame it happened in.  This class decides which
object the frame belongs to (one object per generator instance: the frame lives as long
as its generator), what kind of event it is, what value crossed, and appends one fixed
record.  It also takes the hints the rewritten cell code sends (`sent`, `created`,
`sync`) and the task watcher's (`task_created`, `task_done`).
"""
from __future__ import annotations

import gc
import struct
import time
import weakref
from collections import Counter

from ..events import CLOSED, CREATED, KIND_CODE, RUNNING, SUSPENDED
from ..trace import (INLINE_BIAS, INLINE_INT, INLINE_MAX, INLINE_MIN, NO_TARGET, NO_VALUE,
                     RECORD, RECORD_SIZE, StringTable, Traced)
from ..values import describe
from . import framegen
from .scope import module_of
from .sites import sites

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

_KIND_BYTE = 20  # offset of the (line << 8 | kind) field's low byte in a record
_VALUE_FIELD = 16
_pack = RECORD.pack
_now = time.perf_counter_ns


def object_kind(flags: int) -> str:
    if flags & 0x200:
        return "async_generator"
    if flags & 0x80:
        return "coroutine"
    return "generator"


class Obj:
    """Recording state of one traced instance."""

    __slots__ = ("tid", "kind", "state", "resume_at", "task", "closing", "line", "exc",
                 "pending", "ref", "sites", "root_of", "__weakref__")

    def __init__(self, tid: int, kind: str, state):
        self.tid = tid
        self.kind = kind
        self.state = state
        self.resume_at = -1     # record offset of the last start/resume (sent values patch it)
        self.task = -1          # id of the task whose coroutine chain this belongs to
        self.closing = False    # GeneratorExit was thrown in: the rest is its cleanup
        self.line = 0           # line of the last suspension point
        self.exc = None         # 3.11: description of the last exception seen in the frame
        self.pending = None     # 3.11: (t, line) of a throw whose exception is not yet known
        self.ref = None
        self.sites = None       # CodeSites of its code: no code-object hashing per event
        self.root_of = None     # the task Obj whose coroutine this is: it ends with it


class Core:
    def __init__(self, scope, max_events: int = 1_000_000, values: bool = True,
                 thread: int | None = None):
        import threading
        self.scope = scope
        self.values = values
        self.thread = thread if thread is not None else threading.get_ident()
        self.limit = max(0, int(max_events)) * RECORD_SIZE
        self.buf = bytearray()
        self._append = self.buf.extend
        self.dropped = 0
        self.strings = StringTable()
        self.objects: list[Traced] = []
        self.state: list[Obj] = []
        self.frames: dict[int, Obj] = {}   # id(frame) -> object
        self.by_id: dict[int, Obj] = {}    # id(generator / task / future) -> object, while alive
        self.wanted: dict = {}             # code -> bool (in scope)
        self.stack: list[Obj] = []         # running objects on the recording thread
        self.pending_target = None         # (id of delegating frame, tid) after an inner yield
        self.labels: Counter = Counter()
        self.tasks = None                  # TaskWatcher, when asyncio is in play
        self.active = True
        self.t0 = _now()
        self._none = self.strings.intern("None")
        self._strs: dict = {}
        self._sites: dict = {}             # code -> CodeSites, without the module lookup

    # -- records ------------------------------------------------------------------------

    def emit(self, t: int, tid: int, kind: int, value: int = NO_VALUE, line: int = 0,
             target: int = NO_TARGET) -> int:
        at = len(self.buf)
        if at >= self.limit:
            self.dropped += 1
            return -1
        self._append(_pack(t, tid, target, value, (line << 8) | kind))
        return at

    def value(self, v) -> int:
        if not self.values:
            return NO_VALUE
        if v is None:
            return self._none
        cls = type(v)
        if cls is int:
            if INLINE_MIN <= v <= INLINE_MAX:
                return INLINE_INT | (v + INLINE_BIAS)
            return self.strings.intern(describe(v))
        if cls is str and len(v) <= 60:
            # short strings repeat (names, states): repr once per distinct string
            i = self._strs.get(v)
            if i is None:
                i = self.strings.intern(repr(v))
                if len(self._strs) < 100_000:
                    self._strs[v] = i
            return i
        return self.strings.intern(describe(v))

    # -- objects ------------------------------------------------------------------------

    def new_object(self, kind: str, name: str, filename=None, firstlineno=None,
                   parent: int | None = None, initial=None, state=CREATED,
                   label: str | None = None) -> Obj:
        tid = len(self.objects)
        if label is None:
            short = name.rsplit(".", 1)[-1]
            self.labels[short] += 1
            label = f"{short}#{self.labels[short]}"
        self.objects.append(Traced(tid, kind, name, label, filename, firstlineno,
                                   state, parent, initial))
        o = Obj(tid, kind, state)
        self.state.append(o)
        return o

    def wants(self, code, frame=None) -> bool:
        w = self.wanted.get(code)
        if w is None:
            w = self.wanted[code] = self.scope.wants(
                code, module_of(frame) if frame is not None else None)
        return w

    def driver(self):
        """(parent tid, task tid) for an object first seen now."""
        if self.stack:
            top = self.stack[-1]
            return top.tid, top.task
        if self.tasks is not None:
            task = self.tasks.current()
            if task is not None:
                return task.tid, task.tid
        return None, -1

    def first_sight(self, frame, code, initial, dying: bool = False) -> Obj:
        """A frame not seen before.  `dying`: it is first seen being closed, which may be
        its finaliser running inside its deallocation; a weak reference made then would
        outlive it (the deallocation cleared them before calling the finaliser)."""
        gen = framegen.generator_of(frame)
        starting = self.tasks.starting if self.tasks is not None else None
        if starting is not None and gen is not None and starting[0] == id(gen):
            parent = task = starting[1].tid  # an eager task's first step, inside create_task
        else:
            parent, task = self.driver()
        o = self.new_object(object_kind(code.co_flags), code.co_qualname
                            if hasattr(code, "co_qualname") else code.co_name,
                            code.co_filename, code.co_firstlineno, parent, initial, initial)
        o.task = task
        o.sites = sites(code)
        self.frames[id(frame)] = o
        if gen is not None:
            if dying:
                self.by_id[id(gen)] = o
            else:
                self.watch(gen, o)
        if task >= 0 and parent == task and self.tasks is not None:
            self.tasks.adopt(task, o, gen)
        return o

    def watch(self, obj, o: Obj) -> None:
        """Follow `obj` weakly: its end is noticed even when no event reports it."""
        key = id(obj)
        self.by_id[key] = o
        if gc.is_finalized(obj):
            # its finaliser is running, maybe from its deallocation, which cleared its
            # weak references before calling it: a new one would outlive the object
            o.ref = None
            return
        try:
            o.ref = weakref.ref(obj, lambda _r, o=o, key=key: self._collected(o, key))
        except TypeError:
            o.ref = None

    def _collected(self, o: Obj, key: int) -> None:
        if not self.active:
            return
        if self.by_id.get(key) is o:
            del self.by_id[key]
        if o.kind in ("task", "future"):
            return
        if o.state is CREATED or o.state is SUSPENDED:
            self.emit(_now() - self.t0, o.tid, K_CLOSE, NO_VALUE, o.line)
            o.state = CLOSED
            o.closing = True

    def lookup(self, obj):
        o = self.by_id.get(id(obj))
        if o is not None and o.ref is not None and o.ref() is obj:
            return o
        return None

    # -- what the backends report -------------------------------------------------------

    def on_start(self, frame, code, offset: int) -> None:
        o = self.frames.get(id(frame))
        if o is None or o.state is not CREATED:
            o = self.first_sight(frame, code, CREATED)
        line = sites(code).line(offset) or code.co_firstlineno
        o.resume_at = self.emit(_now() - self.t0, o.tid, K_START, NO_VALUE, line)
        o.state = RUNNING
        o.line = line
        self.pending_target = None
        self.stack.append(o)

    def on_resume(self, frame, code, offset: int) -> None:
        o = self.frames.get(id(frame))
        if o is None or o.state is CLOSED or o.state is CREATED:
            o = self.first_sight(frame, code, SUSPENDED)
        elif o.state is RUNNING:  # a resume we missed the suspension of; keep the record legal
            return
        at = len(self.buf)
        if at < self.limit:
            o.resume_at = at
            # a bytearray grown through a second name is copied, not extended: use extend
            self._append(_pack(_now() - self.t0, o.tid, NO_TARGET, NO_VALUE,
                               ((o.line or sites(code).line(offset)) << 8) | K_RESUME))
        else:
            o.resume_at = -1
            self.dropped += 1
        o.state = RUNNING
        self.pending_target = None
        self.stack.append(o)

    def on_throw(self, frame, code, exc, t: int | None = None, line: int = 0) -> None:
        """`exc` was thrown into the frame (throw(), close(), a task's cancellation)."""
        if t is None:
            t = _now() - self.t0
        o = self.frames.get(id(frame))
        if o is None or (o.state is CLOSED and not o.closing):
            o = self.first_sight(frame, code, CREATED if frame.f_lasti <= sites(code).start
                                 else SUSPENDED, dying=isinstance(exc, GeneratorExit))
        elif o.state is CLOSED or o.state is RUNNING:
            return
        line = line or o.line
        if type(exc) is StopIteration and frame.f_lasti in sites(code).in_send:
            # the iterator this frame delegates to finished on the throw path; CPython
            # hands its return value back by throwing StopIteration: a resume, really
            o.resume_at = self.emit(t, o.tid, K_RESUME, self.value(exc.value), line)
            o.state = RUNNING
            self.pending_target = None
            self.stack.append(o)
            return
        if isinstance(exc, GeneratorExit):
            self.emit(t, o.tid, K_CLOSE, NO_VALUE, line)
            o.state = CLOSED
            o.closing = True
            return
        o.resume_at = self.emit(t, o.tid, K_THROW, self.value(exc), line)
        o.state = RUNNING
        self.pending_target = None
        self.stack.append(o)
        self._cancel_check(o, exc, t)

    def _cancel_check(self, o: Obj, exc, t: int) -> None:
        if o.task >= 0 and self.tasks is not None and type(exc).__name__ == "CancelledError":
            self.tasks.cancel_reached(o.task, exc, t)

    def retype_as_throw(self, frame, exc) -> None:
        """3.11: the resume just recorded for `frame` was an exception thrown in."""
        o = self.frames.get(id(frame))
        if o is None or o.state is not RUNNING or o.resume_at < 0:
            return
        at = o.resume_at
        if self.buf[at + _KIND_BYTE] != K_RESUME:
            return
        if isinstance(exc, GeneratorExit):
            self.buf[at + _KIND_BYTE] = K_CLOSE
            struct.pack_into("<I", self.buf, at + _VALUE_FIELD, NO_VALUE)
            o.state = CLOSED
            o.closing = True
            self._pop(o)
            return
        self.buf[at + _KIND_BYTE] = K_THROW
        struct.pack_into("<I", self.buf, at + _VALUE_FIELD, self.value(exc))
        self._cancel_check(o, exc, RECORD.unpack_from(self.buf, at)[0])

    def on_yield(self, frame, code, offset: int, value) -> None:
        frames = self.frames
        o = frames.get(id(frame))
        if o is None or o.state is not RUNNING:
            return
        site = o.sites.yields.get(offset)
        if site is None:
            site = o.sites.yield_site(offset)
        line, delegating = site
        if delegating:
            kind = K_AWAIT
            pt = self.pending_target
            if pt is not None and pt[0] == id(frame):
                target = pt[1]
            else:
                target = self.target_of(value)
        else:
            kind = K_YIELD
            target = NO_TARGET
            if o.kind == "async_generator":
                value = framegen.unwrap_async_yield(value)
        # an inner frame of a `yield from` / `await` chain: the frame it delegates to
        # yields next, and waits on this one
        back = frame.f_back
        if back is not None:
            bo = frames.get(id(back))
            self.pending_target = (id(back), o.tid) if (
                bo is not None and back.f_lasti in bo.sites.in_send) else None
        else:
            self.pending_target = None
        if len(self.buf) < self.limit:
            if value is None:
                v = self._none if self.values else NO_VALUE
            else:
                v = self.value(value)
            self._append(_pack(_now() - self.t0, o.tid, target, v, (line << 8) | kind))
        else:
            self.dropped += 1
        o.state = SUSPENDED
        o.line = line
        stack = self.stack
        if stack and stack[-1] is o:
            stack.pop()
        elif o in stack:
            stack.remove(o)

    def on_return(self, frame, code, offset: int, value) -> None:
        o = self.frames.get(id(frame))
        if o is None or o.state is not RUNNING:
            return
        t = _now() - self.t0
        v = self.value(value)
        self.emit(t, o.tid, K_RETURN, v, sites(code).line(offset))
        o.state = CLOSED
        self.pending_target = None
        self._pop(o)
        if o.root_of is not None:
            self._task_end(o.root_of, t, K_RETURN, v)

    def on_unwind(self, frame, code, offset: int, exc, described: int | None = None,
                  line: int = 0) -> None:
        o = self.frames.get(id(frame))
        if o is None or o.state is not RUNNING:
            return
        value = self.value(exc) if described is None else described
        t = _now() - self.t0
        line = line or _raise_line(frame, exc) or sites(code).line(offset)
        self.emit(t, o.tid, K_RAISE, value, line)
        o.state = CLOSED
        self.pending_target = None
        self._pop(o)
        if o.root_of is not None:
            self._task_end(o.root_of, t, K_RAISE, value)

    def _task_end(self, task: Obj, t: int, kind: int, value: int) -> None:
        """A task ends in the step its coroutine returns or raises in."""
        if task.state is not CLOSED:
            self.emit(t, task.tid, kind, value, 0)
            task.state = CLOSED
            if self.tasks is not None:
                self.tasks.ended(task)

    def _pop(self, o: Obj) -> None:
        stack = self.stack
        if stack and stack[-1] is o:
            stack.pop()
        elif o in stack:
            stack.remove(o)

    # -- hints from rewritten code ------------------------------------------------------

    def sent(self, frame, value) -> None:
        """The suspension point in `frame` just evaluated to `value` on resumption."""
        o = self.frames.get(id(frame))
        if o is None or o.state is not RUNNING:
            return
        at = o.resume_at
        o.resume_at = -1
        if at >= 0 and self.buf[at + _KIND_BYTE] == K_RESUME and self.values:
            struct.pack_into("<I", self.buf, at + _VALUE_FIELD, self.value(value))

    def created(self, obj, frame_of_creator=None) -> None:
        """A generator, coroutine or async generator was just made by rewritten code."""
        code = getattr(obj, "gi_code", None) or getattr(obj, "cr_code", None) \
            or getattr(obj, "ag_code", None)
        frame = getattr(obj, "gi_frame", None) or getattr(obj, "cr_frame", None) \
            or getattr(obj, "ag_frame", None)
        if code is None or frame is None or self.lookup(obj) is not None:
            return
        if not self.wants(code, frame):
            return
        parent, task = self.driver()
        o = self.new_object(object_kind(code.co_flags), code.co_qualname, code.co_filename,
                            code.co_firstlineno, parent)
        o.task = task
        o.line = code.co_firstlineno
        o.sites = sites(code)
        self.frames[id(frame)] = o
        self.watch(obj, o)
        self.emit(_now() - self.t0, o.tid, K_CREATE, NO_VALUE, code.co_firstlineno)

    def adopt_coroutine(self, coro, task_obj) -> Obj | None:
        """The coroutine a task was made for, not seen being created."""
        code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if code is None or frame is None or not self.wants(code, frame):
            return None
        state = CREATED if frame.f_lasti <= sites(code).start else SUSPENDED
        o = self.new_object(object_kind(code.co_flags), code.co_qualname, code.co_filename,
                            code.co_firstlineno, task_obj.tid, state, state)
        o.task = task_obj.tid
        o.line = code.co_firstlineno
        o.sites = sites(code)
        self.frames[id(frame)] = o
        self.watch(coro, o)
        return o

    def sync(self, obj) -> None:
        """Bring the record of `obj` in line with its real state (close() without events)."""
        o = self.lookup(obj)
        if o is None or (o.state is not CREATED and o.state is not SUSPENDED):
            return
        frame = getattr(obj, "gi_frame", False)
        if frame is False:
            frame = getattr(obj, "cr_frame", False)
        if frame is False:
            frame = getattr(obj, "ag_frame", None)
        if frame is None:  # finished: closed without telling
            self.emit(_now() - self.t0, o.tid, K_CLOSE, NO_VALUE, o.line)
            o.state = CLOSED
            o.closing = True

    # -- awaited things that are not frames ---------------------------------------------

    def target_of(self, value) -> int:
        if value is None:
            return NO_TARGET
        o = self.lookup(value)
        if o is not None:
            return o.tid
        if getattr(type(value), "_asyncio_future_blocking", None) is None:
            return NO_TARGET
        if self.tasks is not None and hasattr(value, "get_coro"):
            task = self.tasks.register(value, late=True)
            if task is not None:
                return task.tid
        o = self.new_object("future", type(value).__name__, label=None, state=SUSPENDED)
        self.watch(value, o)
        return o.tid

    # -- the end ------------------------------------------------------------------------

    def finish(self) -> None:
        """Final states: sweep what ended without an event while the trace ran."""
        self.active = False
        for o in self.state:
            if o.kind in ("task", "future"):
                continue
            obj = o.ref() if o.ref is not None else None
            if obj is not None and (o.state is CREATED or o.state is SUSPENDED):
                self.active = True
                self.sync(obj)
                self.active = False
        for o, traced in zip(self.state, self.objects):
            if o.task >= 0 and o.kind != "task":
                traced.task = o.task
            if o.kind == "future":
                obj = o.ref() if o.ref is not None else None
                traced.state = CLOSED if obj is None or obj.done() else SUSPENDED
            elif o.kind == "task":
                traced.state = o.state
            else:
                traced.state = CLOSED if o.state is CLOSED else (
                    SUSPENDED if o.state in (SUSPENDED, RUNNING) else CREATED)
        # after the sweep: a close it found is stamped now, and lies within the trace
        self.duration = _now() - self.t0
        self.frames.clear()
        self.by_id.clear()
        for o in self.state:
            o.ref = None
        self.stack.clear()


def _raise_line(frame, exc) -> int:
    """Where the exception passed through `frame`, as its traceback says (3.12+ reports
    the offset of the frame's implicit handler, on another line)."""
    return traceback_line(getattr(exc, "__traceback__", None), frame)


def traceback_line(tb, frame) -> int:
    """The line the traceback gives for `frame` (0 if it does not pass through it)."""
    line = 0
    while tb is not None:
        if tb.tb_frame is frame:
            line = tb.tb_lineno or 0
        tb = tb.tb_next
    return line
