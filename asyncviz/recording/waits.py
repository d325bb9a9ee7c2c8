"""Awaited futures, named after the call that made them, at record time.

A recorded coroutine's `await` yields a future the record does not know: `Waits.future`
makes it an object of the trace whose label reads like the call — `sleep(0.01)`,
`Queue.get()`, `wait_for(Queue.get(), 1.0)`, `gather(fetch#1, fetch#2)` — with its
deadline (`Traced.deadline`) and what it waits for (`Traced.members`).  The names come
from the chain of unrecorded coroutines below the awaiting one (`waitnames`), from the
future itself (a gather's), or from the return of the plain stdlib function that made it
(`shield`, `run_in_executor`: the cores report it, see `watched_codes`).  Waits inside an
`async with asyncio.timeout(d)` say so (`Queue.get() in timeout(1.0)`): the timeouts are
seen being made (`timeout()`'s return) and are active while their state says so.

The stdlib frames are gone once the wait is over, so everything is read now; only
labels that name tasks (whose labels are final at the end) are put together in
`finish()`.  Nothing the program can see is touched: private fields go through
`stdlib_fields`, values through `values.describe`; a failure names the future
`Future#N (line L)` and the program goes on.
"""

from __future__ import annotations

import functools
import time
import types
import weakref
from asyncio import base_events, events
from typing import Any

from ..values import describe
from . import stdlib_fields, waitnames
from .protocol import FUTURE, RECORD, SUSPENDED
from .stdlib_fields import Code
from .timeouts import Timeouts
from .waitnames import Named

_MAX_CHAIN = 64  # awaits below one another; deeper is not a call chain worth reading
_MAX_GROUP = 4  # labels listed in full; more are counted by name


@functools.cache
def watched_codes() -> dict:
    """The plain stdlib functions whose return names a future or a timeout: code -> key."""
    out = {}
    for key in ("shield", "run_in_executor", "timeout", "timeout_at"):
        entry = stdlib_fields.FIELDS.get(key)
        code = stdlib_fields.code_of(entry) if isinstance(entry, Code) else None
        if code is not None:
            out[code] = key
    return out


class Locals:
    """The locals of a stdlib frame that its table entry lists (others read as None)."""

    __slots__ = ("frame", "names", "_values")

    def __init__(self, frame, names: tuple[str, ...]):
        self.frame = frame
        self.names = names
        try:
            self._values = frame.f_locals if names and frame is not None else {}
        except Exception:
            self._values = {}

    def __call__(self, name: str):
        if name not in self.names:
            return None
        try:
            return self._values.get(name)
        except Exception:
            return None


_CORO = types.CoroutineType
_GEN = types.GeneratorType
_ASYNC_GEN = types.AsyncGeneratorType


def _next(obj):
    """What a coroutine, generator or async generator awaits (None for anything else: not
    followed)."""
    cls = type(obj)
    if cls is _CORO:
        return obj.cr_await
    if cls is _GEN:
        return obj.gi_yieldfrom
    if cls is _ASYNC_GEN:
        return obj.ag_await
    return None


def _code_frame(obj):
    if type(obj) is _CORO:
        return obj.cr_code, obj.cr_frame
    return obj.gi_code, obj.gi_frame


def _is_future(obj) -> bool:
    return getattr(type(obj), "_asyncio_future_blocking", None) is not None


def _is_task(obj) -> bool:
    return _is_future(obj) and getattr(type(obj), "get_coro", None) is not None


def _stem(label: str) -> str:
    head, sep, tail = label.rpartition("#")
    return head if sep and tail.isdigit() else label


def group_text(labels: list[str]) -> str:
    """`a, b, c`, or counted by name past a few (`fetch ×2000`); past a few names, the
    first ones and the count (`Task-1, Task-2, Task-3, Task-4, … 2000 in all`)."""
    if len(labels) <= _MAX_GROUP:
        return ", ".join(labels)
    counts: dict[str, int] = {}
    for label in labels:
        stem = _stem(label)
        counts[stem] = counts.get(stem, 0) + 1
    shown = [stem if n == 1 else f"{stem} ×{n}" for stem, n in counts.items()]
    if len(shown) > _MAX_GROUP:
        return ", ".join(shown[:_MAX_GROUP]) + f", … {len(labels)} in all"
    return ", ".join(shown)


class Waits:
    def __init__(self, registry):
        self.registry = registry
        self.pending: dict[int, Named] = {}  # future oid -> a label naming objects
        self.deadlines: dict[int, float] = {}  # oid -> loop time (time.monotonic) it is due
        self.made: dict[int, tuple[Any, Named]] = {}  # id(future) -> (weak ref, its name)
        self.timeouts = Timeouts()
        self._made_limit = 256
        self._see_through = waitnames.transparent()
        self._namers = waitnames.namers()
        sleep = stdlib_fields.FIELDS["sleep"]
        assert isinstance(sleep, Code) and sleep.names[0] == "delay"
        self._sleep_code = stdlib_fields.code_of(sleep)
        self._sleep_names = sleep.names
        self._sleep_texts: dict[tuple, str] = {}
        self._timer_handle = events.TimerHandle
        self._when_of = stdlib_fields.reader("TimerHandle._when")
        self._clock_at: tuple[int, float] | None = None  # (core ticks, loop time) together
        self._stock_loop: Any = None

    # -- an awaited future ----------------------------------------------------------------

    def future(self, value, gen, line: int) -> int:
        """The object of a future a recorded coroutine (`gen`) awaits at `line`."""
        first = gen.cr_await if type(gen) is _CORO else None
        if type(gen) is _ASYNC_GEN:
            first = gen.ag_await
        if type(first) is _CORO and first.cr_code is self._sleep_code:
            timeouts = self.timeouts
            if not (timeouts.fresh or timeouts.by_task):
                return self._add_sleep(value, first.cr_frame)
        chain = self._chain(gen)
        try:
            named = self._name_chain(chain) if chain else self._name_value(value)
        except Exception:
            named = None
        registry = self.registry
        if named is None:
            where = f" (line {line})" if line > 0 else ""
            named = Named([registry._label(type(value).__name__) + where])
        timeouts = self.timeouts
        if timeouts.fresh or timeouts.by_task:
            self._in_timeouts(named, chain)
        return self._add(value, named)

    def _add(self, value, named: Named) -> int:
        registry = self.registry
        pieces = named.pieces
        if len(pieces) == 1 and type(pieces[0]) is str:
            flat, label = True, pieces[0]
        else:
            flat = all(isinstance(p, str) for p in pieces)
            label = "".join(p if isinstance(p, str) else "…" for p in pieces)
        oid = registry.new_object(
            FUTURE, type(value).__name__, None, SUSPENDED, label=label, obj=value
        )
        if oid < 0:
            return oid
        if not flat:
            self.pending[oid] = named
        if named.due is not None:
            at = self._clock(named.due)
            if at is not None:
                self.deadlines[oid] = at
        if named.members is not None:
            registry.objects[oid].members = named.members
        return oid

    def _add_sleep(self, value, frame) -> int:
        """The commonest wait, a timer, read straight: once per sleep, on the hot path
        (what `_add` does for a label of one piece, without building one)."""
        delay = due = None
        try:
            values = frame.f_locals
            delay = values.get(self._sleep_names[0])
            handle = values.get(self._sleep_names[1])
            if type(handle) is self._timer_handle:  # exactly asyncio's: reading calls nothing
                due = self._when_of(handle)
        except Exception:
            pass
        # one string per delay (1 and 1.0 apart): no float repr each time
        key = (type(delay), delay) if type(delay) is float or type(delay) is int else None
        text = self._sleep_texts.get(key) if key is not None else None
        if text is None:
            text = f"sleep({waitnames.arg_text(delay)})"
            if key is not None and len(self._sleep_texts) < 1024:
                self._sleep_texts[key] = text
        oid = self.registry.new_object(
            FUTURE, type(value).__name__, None, SUSPENDED, label=text, obj=value
        )
        if oid >= 0 and due is not None and self._clock(due) is not None:
            self.deadlines[oid] = due
        return oid

    def _chain(self, gen) -> list:
        """The unrecorded coroutines and generators below `gen`'s await, outermost first
        (once per new future: kept to plain attribute reads)."""
        out: list = []
        see_through = self._see_through
        obj: Any = _next(gen)
        for _ in range(_MAX_CHAIN):
            cls = type(obj)
            if cls is _CORO:
                if obj.cr_code not in see_through:
                    out.append(obj)
                obj = obj.cr_await
            elif cls is _GEN:
                if obj.gi_code not in see_through:
                    out.append(obj)
                obj = obj.gi_yieldfrom
            else:
                break
        return out

    def _name_chain(self, chain: list) -> Named:
        code, frame = _code_frame(chain[0])
        known = self._namers.get(code)
        if known is None:
            return waitnames.generic(code)
        namer, names = known
        return namer(Locals(frame, names), self, chain[1:])

    def _name_value(self, value) -> Named | None:
        """A future no coroutine of ours made: named by its maker, or a gather."""
        made = self.made.get(id(value))
        if made is not None and made[0]() is value:
            return Named(list(made[1].pieces), made[1].due, made[1].members)
        children = stdlib_fields.read(value, "_GatheringFuture._children")
        if isinstance(children, list):
            return self.group("gather(", children, ")", keep_order=True)
        return None

    # -- what namers ask ------------------------------------------------------------------

    def locals_of(self, obj, key: str) -> Locals:
        """The listed locals of `obj`'s frame if it runs the table's `key` code."""
        entry = stdlib_fields.FIELDS.get(key)
        code, frame = _code_frame(obj) if type(obj) in (_CORO, _GEN) else (None, None)
        if not isinstance(entry, Code) or code is None or code is not stdlib_fields.code_of(entry):
            return Locals(None, ())
        return Locals(frame, entry.names)

    def when(self, handle) -> float | None:
        """The loop time a stdlib timer handle is due (None for anything else)."""
        if type(handle) is not self._timer_handle:
            return None
        try:
            when = self._when_of(handle)
        except Exception:
            return None
        return when if type(when) is float or type(when) is int else None

    def inner(self, awaitable, rest: list) -> Named:
        """What a wrapper (wait_for, shield) waits for: the rest of the chain, or the
        awaitable it was given."""
        if rest:
            return self._name_chain(rest)
        return self.of_awaitable(awaitable)

    def of_awaitable(self, obj) -> Named:
        if type(obj) in (types.CoroutineType, types.GeneratorType):
            return self._name_chain([obj])
        if _is_task(obj):
            coro = stdlib_fields.read(obj, "Task._coro")
            if self._recorded(coro) or type(coro) is not types.CoroutineType:
                oid = self.object_of(obj)
                return Named([[oid]], members=[oid]) if oid >= 0 else Named(["Task"])
            return self._name_chain([coro])
        if _is_future(obj):
            return self._name_value(obj) or Named([type(obj).__name__])
        return Named(["…"])

    def group(self, before: str, items, after: str, keep_order: bool = False) -> Named:
        """A wait for several tasks or futures: their labels, and their ids as members."""
        oids: list[int] = []
        seen: set[int] = set()
        try:
            for item in items or ():
                oid = self.object_of(item)
                if oid >= 0 and oid not in seen:
                    seen.add(oid)
                    oids.append(oid)
        except Exception:  # a set that changed size while read: what was read
            pass
        if not keep_order:
            oids.sort()
        return Named([before, oids, after], members=list(oids))

    def object_of(self, item) -> int:
        """The object of a task or future a wait waits for (registered if new)."""
        core, registry = self.registry.core, self.registry
        oid = core.lookup(item)
        if oid >= 0 or not _is_future(item):
            return oid
        if _is_task(item):
            return registry.asyncio.register(item) if registry.asyncio is not None else -1
        named = self._name_value(item) or Named([registry._label(type(item).__name__)])
        return self._add(item, named)

    def owned_due(self, frame) -> float | None:
        """The deadline of the timeout that `frame` entered (wait_for on 3.12+)."""
        for timeout, _text, owner in self.timeouts.active():
            if owner == id(frame):
                return self.timeouts.when(timeout)
        return None

    def _recorded(self, coro) -> bool:
        registry = self.registry
        if coro is None:
            return False
        if registry.core.lookup(coro) >= 0:
            return True
        code = getattr(coro, "cr_code", None) if type(coro) is types.CoroutineType else None
        frame = coro.cr_frame if code is not None else None
        return code is not None and frame is not None and registry.decide(code, frame) == RECORD

    # -- timeouts, and the futures plain functions made -----------------------------------

    def _in_timeouts(self, named: Named, chain: list) -> None:
        frames = {id(_code_frame(obj)[1]) for obj in chain}
        for timeout, text, owner in reversed(self.timeouts.active()):
            if owner not in frames:
                named.pieces.append(f" in {text}")
                named.sooner(self.timeouts.when(timeout))

    def returned(self, frame: Any, value) -> None:
        """A watched stdlib function (`watched_codes`) returned `value`."""
        if frame is None:
            return
        key = watched_codes().get(frame.f_code)
        if key is None:
            return
        entry = stdlib_fields.FIELDS[key]
        assert isinstance(entry, Code)
        loc = Locals(frame, entry.names)
        if key == "timeout":
            self.timeouts.add(value, f"timeout({describe(loc('delay'))})", frame.f_back)
        elif key == "timeout_at":
            self.timeouts.add(value, "timeout_at(…)", frame.f_back)
        elif key == "shield":
            inner = loc("inner")
            if inner is not None and inner is not value:
                self._made(value, self.of_awaitable(inner).wrap("shield(", ")"))
        elif key == "run_in_executor":
            func = loc("func")
            self._made(value, waitnames.text(f"run_in_executor({waitnames.callable_name(func)})"))

    def _made(self, future, named: Named) -> None:
        try:
            ref = weakref.ref(future)
        except TypeError:
            return
        made = self.made
        made[id(future)] = (ref, named)
        if len(made) > self._made_limit:  # forget the futures that are gone
            for key in [k for k, (r, _n) in made.items() if r() is None]:
                del made[key]
            self._made_limit = max(256, 2 * len(made))

    # -- deadlines ------------------------------------------------------------------------

    def _clock(self, due: float) -> float | None:
        """`due` if the running loop's clock is asyncio's own (time.monotonic), which is
        read once beside the trace's clock: `finish()` turns loop times into trace ns."""
        loop = events._get_running_loop()
        if loop is None:
            return None
        if loop is self._stock_loop:
            return due
        # the loop's own time(), not one of its class or instance: never loop.__dict__,
        # which would turn the loop's attributes into a plain dict and slow it down
        try:
            method = object.__getattribute__(loop, "time")
        except Exception:
            return None
        if not (
            type(method) is types.MethodType
            and method.__func__ is base_events.BaseEventLoop.time
            and method.__self__ is loop
        ):
            return None
        self._stock_loop = loop  # asked once per loop: an instance's attribute is set early
        if self._clock_at is None:
            self._clock_at = self._clock_pair()
        return due

    def _clock_pair(self) -> tuple[int, float]:
        """The trace's clock and the loop's read together: the tightest of a few tries
        (a pair split by a context switch would shift every deadline by the switch)."""
        now = self.registry.core.now
        best: tuple[int, int, float] | None = None
        for _ in range(3):
            before = now()
            loop_time = time.monotonic()
            gap = now() - before
            if best is None or gap < best[0]:
                best = (gap, before + gap // 2, loop_time)
        assert best is not None
        return best[1], best[2]

    # -- the end --------------------------------------------------------------------------

    def finish(self) -> None:
        """Labels that name objects, now that theirs are final; deadlines in ns."""
        objects = self.registry.objects
        done: dict[int, str] = {}

        def label(oid: int, depth: int = 0) -> str:
            named = self.pending.get(oid)
            if named is None or depth > 8:
                return objects[oid].label
            if oid not in done:
                done[oid] = "".join(
                    p if isinstance(p, str) else group_text([label(i, depth + 1) for i in p])
                    for p in named.pieces
                )
            return done[oid]

        for oid in self.pending:
            objects[oid].label = label(oid)
        if self._clock_at is not None:
            ticks, loop_time = self._clock_at
            at = self.registry.core.to_ns(ticks)
            for oid, due in self.deadlines.items():
                objects[oid].deadline = at + round((due - loop_time) * 1e9)
