"""The Python core's record: fixed records appended to a bytearray, values described or
kept as numbers, and the budget that bounds them all (the C core's `records.c` and
`values.c`, event for event); and `ObjState`, the state it keeps per traced object."""

from __future__ import annotations

import time
import weakref
from typing import Callable

from ..trace import (
    INLINE_BIAS,
    INLINE_INT,
    INLINE_MAX,
    INLINE_MIN,
    NO_TARGET,
    NO_VALUE,
    NUMBER_BASE,
    NUMBER_MAX,
    NUMBER_MIN,
    RECORD,
)
from .protocol import STRING_COST_BYTES

_pack = RECORD.pack
_now = time.perf_counter_ns


class PyRecord:
    def __init__(self, registry, max_events: int, values: bool):
        self.registry = registry
        self.values = values
        self.budget = max(0, int(max_events))
        self.used = 0
        self.buf = bytearray()
        self._append = self.buf.extend
        self.dropped = 0
        self.spent = False
        self.on_spent: Callable[[], None] | None = None  # what stops recording (the recorder's)
        self.strings = registry.strings
        self.numbers = registry.numbers
        self.t0 = _now()
        self._none = self.intern("None")
        self._strs: dict = {}

    # -- records, values, the budget ------------------------------------------------------

    def now(self) -> int:
        return _now() - self.t0

    def emit(
        self,
        t: int,
        oid: int,
        kind: int,
        value: int = NO_VALUE,
        line: int = 0,
        target: int = NO_TARGET,
    ) -> int:
        if not self._take(1):
            return -1
        at = len(self.buf)
        self._append(_pack(t, oid, target, value, (line << 8) | kind))
        return at

    def set_value(self, at: int, value: int) -> None:
        """The value of the record `emit()` returned `at` for (learnt later)."""
        if 0 <= at <= len(self.buf) - RECORD.size:
            self.buf[at + RECORD.size - 8 : at + RECORD.size - 4] = value.to_bytes(4, "little")

    def _take(self, cost: int) -> bool:
        """Room for `cost` more in the record's budget?  When there is none, something is
        lost (counted as a dropped event) and recording stops."""
        if self.used + cost <= self.budget:
            self.used += cost
            return True
        self._drop()
        return False

    def _drop(self) -> None:
        self.dropped += 1
        if not self.spent:
            self.spent = True
            if self.on_spent is not None:
                self.on_spent()

    def intern(self, text: str) -> int:
        table = self.strings
        i = table.index.get(text)
        if i is None:
            if not self._take(1 + len(text) // STRING_COST_BYTES):
                return NO_VALUE
            i = table.intern(text)
        return i

    def value(self, v) -> int:
        if not self.values:
            return NO_VALUE
        if v is None:
            return self._none
        cls = type(v)
        if cls is int:
            if INLINE_MIN <= v <= INLINE_MAX:
                return INLINE_INT | (v + INLINE_BIAS)
            if NUMBER_MIN <= v <= NUMBER_MAX:
                return self._number(v)
            return self.registry.describe(v)
        if cls is float:
            return self._number(v)
        if cls is str and len(v) <= 60:
            # short strings repeat (names, states): repr once per distinct string
            i = self._strs.get(v)
            if i is None:
                i = self.intern(repr(v))
                if len(self._strs) < 100_000 and i != NO_VALUE:
                    self._strs[v] = i
            return i
        return self.registry.describe(v)

    def _number(self, v) -> int:
        """A wide int or a float, kept as it is in the numbers table (its repr is its
        description; no string is made while recording)."""
        if not self._take(1):
            return NO_VALUE
        self.numbers.append(v)
        return NUMBER_BASE + len(self.numbers) - 1

    def records(self):
        return bytes(self.buf)

    def to_ns(self, t: int) -> int:
        return t


class ObjState:
    """Recording state of one traced instance (a generator, coroutine, async generator,
    task or future), by its id in the trace."""

    __slots__ = (
        "oid",
        "kind",
        "state",
        "resume_at",
        "began",
        "task",
        "line",
        "key",
        "ref",
        "info",
        "root_of",
        "root_key",
        "root_ref",
        "merged",
        "part",
        "__weakref__",
    )

    def __init__(self, oid: int, kind: int, state: int, task: int, line: int, info):
        self.oid = oid
        self.kind = kind
        self.state = state
        self.resume_at = -1  # record offset of the last start/resume (sent values patch it)
        self.began = -1  # time of its last start/resume/throw (the watchdog asks)
        self.task = task  # id of the task whose coroutine chain this belongs to
        self.line = line  # line of the last suspension point
        self.key: int | None = None  # id() of its frame, while it is known by it
        self.ref: weakref.ref | None = None  # weak reference to the object
        self.info = info  # CodeInfo of its code
        self.root_of = -1  # the task whose coroutine this is: it ends with it
        self.root_key: int | None = None  # a task: id() of its unrecorded coroutine
        self.root_ref: weakref.ref | None = None
        self.merged = False  # a cell: its statements' coroutines are its parts (merge)
        self.part: int | None = None  # id() of the part running, for a merged object
