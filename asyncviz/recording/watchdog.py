"""The watchdog: while a step runs long, where does its time go?

A step's own events say where it resumed and where it next suspended; a step that blocks
the loop in between (`time.sleep(0.2)`, a slow computation, a blocking library call)
leaves no event where the time went.  The watchdog looks: a thread that wakes every half
threshold and, when the innermost running object has run for half the threshold (or
nothing was recorded for that long), samples the recording thread's stack with
`sys._current_frames()`.  A sample names the innermost frame of the program's own code
(the scope decides: `Registry.owns`) and the innermost frame when that is another (a
library call).  The analysis (`analysis/diagnostics.py`) matches samples to long steps.

Invisible: the thread is started with `_thread` (not in `threading.enumerate()`, nor in
`threading.active_count()`), never asks `threading` who it is (that would register a
dummy thread), runs only asyncviz code (out of every scope) and allocates nothing a
garbage collection counts while it only watches; it is stopped and joined when the trace
stops or its budget is spent.  Samples are bounded in number.
"""

from __future__ import annotations

import _thread
import sys

from .frames import line_of

MAX_SAMPLES = 1000  # in one trace
MAX_PER_STEP = 20  # samples of one long step, unless nothing is recorded meanwhile
_MIN_POLL_S, _MAX_POLL_S = 0.005, 1.0
_JOIN_S = 2.0  # a watchdog not done by then is left to end by itself
# how a thread started with _thread is joined: 3.13 hands out a handle; 3.11 and 3.12
# give the thread a lock released when its thread state is deleted
_joinable = getattr(_thread, "start_joinable_thread", None)
_sentinel = getattr(_thread, "_set_sentinel", None)


class Watchdog:
    """Samples the recording thread while a step runs long (`start`, `stop`)."""

    def __init__(self, core, registry, thread: int, blocked_ms: float):
        self.core = core
        self.registry = registry
        self.thread = thread
        self.poll = min(max(blocked_ms / 2000, _MIN_POLL_S), _MAX_POLL_S)
        self.after_ns = int(blocked_ms * 1_000_000) // 2
        # [ticks, oid, file, line, function, inner file, inner line, inner function]
        self.samples: list[list] = []
        self._step: tuple[int, int] = (-1, -1)  # (oid, began) of the step sampled last
        self._in_step = 0
        self._stopping = False
        self._wake = _thread.allocate_lock()  # held until stop(): the watchdog's sleep
        self._done = _thread.allocate_lock()  # held while the watchdog runs
        self._handle = None  # 3.13+: the thread's handle, to join it by
        self._sentinel = None  # 3.11, 3.12: released when the thread's state is gone
        self._running = False
        self.problem: str | None = None  # why it could not start

    def start(self) -> None:
        """Start watching; if no thread can be started, say why in `problem` (the trace
        goes on without samples)."""
        self._wake.acquire()
        self._done.acquire()
        try:
            if _joinable is not None:
                self._handle = _joinable(self._run, daemon=True)
            else:
                _thread.start_new_thread(self._run, ())
        except RuntimeError as exc:  # "can't start new thread"
            self._done.release()
            self.problem = str(exc) or type(exc).__name__
            return
        except BaseException:
            self._done.release()
            raise
        self._running = True

    def stop(self) -> None:
        """Stop and join (safe twice, and without start)."""
        if not self._running:
            return
        self._running = False
        self._stopping = True
        self._wake.release()
        if not self._done.acquire(timeout=_JOIN_S):
            return
        self._done.release()
        # its loop is over; wait for the thread itself to be gone too
        if self._handle is not None:
            self._handle.join(_JOIN_S)
        elif self._sentinel is not None and self._sentinel.acquire(timeout=_JOIN_S):
            self._sentinel.release()

    def to_meta(self, to_ns) -> list[list]:
        """The samples, their times in ns on the trace's clock."""
        return [[to_ns(s[0]), *s[1:]] for s in self.samples]

    # -- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        if _sentinel is not None:
            self._sentinel = _sentinel()
        try:
            while not self._wake.acquire(timeout=self.poll) and not self._stopping:
                if len(self.samples) >= MAX_SAMPLES:
                    break
                self._look()
        except BaseException:  # never reach _thread's "exception ignored" report
            pass
        finally:
            self._done.release()

    def _look(self) -> None:
        core = self.core
        if not core.active:
            return
        oid = core.running()
        if oid < 0:
            return
        now = core.now()
        quiet = core.to_ns(now - core.last_record_at()) >= self.after_ns
        began = core.running_since()
        if not quiet:
            if began < 0 or core.to_ns(now - began) < self.after_ns:
                return
            if (oid, began) == self._step and self._in_step >= MAX_PER_STEP:
                return  # a long step that records as it goes (a loop run inside it)
        watch = self.registry.asyncio
        if watch is not None and watch.selecting:
            return  # a loop run inside the step waits for I/O: nothing is blocked
        self._sample(now, oid, began)

    def _sample(self, now: int, oid: int, began: int) -> None:
        frame = sys._current_frames().get(self.thread)
        if frame is None:
            return
        inner = frame
        own = self.registry.own_frame(frame)
        if (oid, began) != self._step:
            self._step, self._in_step = (oid, began), 0
        self._in_step += 1
        where = _where(own) if own is not None else [None, None, None]
        beneath = _where(inner) if inner is not own else [None, None, None]
        self.samples.append([now, oid, *where, *beneath])


def _where(frame) -> list:
    code = frame.f_code
    return [code.co_filename, line_of(frame), getattr(code, "co_qualname", code.co_name)]
