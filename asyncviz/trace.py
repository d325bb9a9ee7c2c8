"""Trace, Event and Traced: what a recording leaves behind, stored compactly.

Events are fixed-size little-endian records in one growable buffer (a layout a C recorder
can write directly); strings are interned once into a table.  `Trace.events` decodes
records lazily, so a million-event trace costs its buffer and little more.
Standard library only.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Literal, NamedTuple, Sequence

from .events import KINDS

# t: int64 ns since start | obj: uint32 | target: int32 (-1: none)
# value: uint32, one of
#   0 .. NUMBER_BASE - 1             an index into `strings` (a description)
#   NUMBER_BASE .. INLINE_INT - 1    an index into `numbers`: an int too wide to store
#                                    inline (64 bits at most) or a float; its repr
#   INLINE_INT | (v + INLINE_BIAS)   a small int, inline (most values are ints: no
#                                    string is made or kept for them while recording)
#   NO_VALUE                         none
# line << 8 | kind code (line 0: unknown)
RECORD = struct.Struct("<qIiII")
RECORD_SIZE = RECORD.size  # 24 bytes
NO_VALUE = 0xFFFFFFFF
INLINE_INT = 0x80000000
INLINE_BIAS = 1 << 30
INLINE_MIN, INLINE_MAX = -INLINE_BIAS, INLINE_BIAS - 2  # NO_VALUE stays free
NUMBER_BASE = 0x40000000
NUMBER_MIN, NUMBER_MAX = -(1 << 63), (1 << 63) - 1  # ints kept as numbers


def value_text(value: int, strings: Sequence[str], numbers: Sequence = ()) -> str | None:
    if value == NO_VALUE:
        return None
    if value & INLINE_INT:
        return str((value & ~INLINE_INT) - INLINE_BIAS)
    if value >= NUMBER_BASE:
        return repr(numbers[value - NUMBER_BASE])
    return strings[value]


NO_TARGET = -1

# One step longer than this blocks the event loop (asyncio's debug mode warns at 100 ms):
# the recorder's watchdog samples such steps, Trace.diagnostics() names them.
DEFAULT_BLOCKED_MS = 100


def record_columns(buffer) -> tuple:
    """The records as columns, sliced out of the buffer without decoding event by event:
    t (int64), obj (uint32), target (int32), value (uint32), kind (uint8), line (uint32),
    each an array.array.  Every column is a strided copy in C (a million events: ~50 ms)."""
    from array import array

    buf = memoryview(buffer).cast("B")
    n = len(buf) // RECORD_SIZE

    def column(code: Literal["q", "I", "i", "B"], start: int) -> array:
        out = array(code)
        if n:
            out.frombytes(buf.cast(code)[start :: RECORD_SIZE // out.itemsize].tobytes())
        return out

    # (little-endian, as RECORD is and as array reads on the machines CPython runs here)
    # the record: t (8 bytes), obj, target, value (4 each), line << 8 | kind (4): the line
    # is the last field's top three bytes, gathered with a zero top byte
    raw = bytearray(n * 4)
    for b in range(3):
        raw[b::4] = buf[RECORD_SIZE - 3 + b :: RECORD_SIZE]
    line = array("I")
    line.frombytes(raw)
    return (
        column("q", 0),
        column("I", 2),
        column("i", 3),
        column("I", 4),
        column("B", RECORD_SIZE - 4),
        line,
    )


FILE_MAGIC = b"ASYNCVIZ-TRACE\n\x00"
FILE_VERSION = 3  # 3: Traced.deadline and .members; 2: the numbers table; 1 and 2 still load


class Event(NamedTuple):
    t: int
    kind: str
    obj: int
    value: str | None
    line: int | None
    target: int | None


@dataclass(slots=True)
class Traced:
    id: int
    kind: str  # generator | coroutine | async_generator | task | future
    name: str  # qualified name (a task's name)
    label: str  # unique display name, e.g. worker#2
    filename: str | None = None
    firstlineno: int | None = None
    state: str = "CREATED"  # final state
    parent: int | None = None
    initial: str | None = None  # state when first seen, if it existed before the trace
    coro: int | None = None  # a task's coroutine
    task: int | None = None  # the task it ran under, if any
    # a timer or a timeout: when it was due, ns on the trace's clock (late wakes are diagnosed)
    deadline: int | None = None
    # a gather, TaskGroup or wait(): the ids of the tasks it waits for
    members: list[int] | None = None


class StringTable:
    """Interns strings: each distinct value is stored once and referred to by index."""

    __slots__ = ("strings", "index")

    def __init__(self, strings: Sequence[str] = ()):
        self.strings: list[str] = list(strings)
        self.index: dict[str, int] = {s: i for i, s in enumerate(self.strings)}

    def intern(self, text: str) -> int:
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.strings)
            self.strings.append(text)
        return i


class TraceFileError(ValueError):
    """A file that is not a readable asyncviz trace."""


class EventList(Sequence[Event]):
    """The events of a trace, decoded from the record buffer on access."""

    __slots__ = ("_buf", "_strings", "_numbers")

    def __init__(self, buf: bytes | memoryview, strings: list[str], numbers: Sequence = ()):
        self._buf = buf
        self._strings = strings
        self._numbers = numbers

    def __len__(self) -> int:
        return len(self._buf) // RECORD_SIZE

    def _decode(self, rec) -> Event:
        t, obj, target, value, lk = rec
        line = lk >> 8
        return Event(
            t,
            KINDS[lk & 0xFF],
            obj,
            value_text(value, self._strings, self._numbers),
            line or None,
            None if target == NO_TARGET else target,
        )

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("event index out of range")
        return self._decode(RECORD.unpack_from(self._buf, i * RECORD_SIZE))

    def __iter__(self) -> Iterator[Event]:
        decode = self._decode
        for rec in RECORD.iter_unpack(self._buf):
            yield decode(rec)

    def __repr__(self) -> str:
        return f"<{len(self)} events>"


@dataclass
class Trace:
    """A finished recording.  See `asyncviz.trace()`."""

    buffer: bytes | memoryview  # the records (a view of the native core's, not a copy)
    strings: list[str]
    objects: list[Traced]
    idle: list[tuple[int, int]] = field(default_factory=list)  # loop waiting in select()
    dropped: int = 0
    meta: dict = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # filename -> text, for views
    numbers: list = field(default_factory=list)  # wide ints and floats that crossed

    @property
    def events(self) -> EventList:
        return EventList(self.buffer, self.strings, self.numbers)

    @property
    def truncated(self) -> bool:
        return self.dropped > 0

    @property
    def truncation(self) -> str | None:
        """What a view says when the record was cut (None when it is complete)."""
        if not self.dropped:
            return None
        limit = self.meta.get("max_events")
        limit = f"{limit:,}" if isinstance(limit, int) else "?"
        if self.meta.get("dropped_at_least"):
            return (
                f"truncated: recording stopped at max_events={limit} (events, objects "
                f"and strings together); at least {self.dropped:,} more events were "
                "not recorded — raise --max-events to keep them"
            )
        return (
            f"truncated: {self.dropped:,} events dropped (max_events={limit}); "
            "raise --max-events to keep them"
        )

    @property
    def duration(self) -> int:
        """ns from the start of the trace to its stop."""
        return int(self.meta.get("duration_ns", 0))

    @property
    def end(self) -> int:
        """ns of the last thing the trace shows: its stop, its last event or the end of
        its last idle span, whichever is latest (every view's right edge)."""
        n = len(self.buffer) // RECORD_SIZE
        last = RECORD.unpack_from(self.buffer, (n - 1) * RECORD_SIZE)[0] if n else 0
        return max(self.duration, last, self.idle[-1][1] if self.idle else 0)

    def object(self, key) -> Traced:
        """An object by id or by label (a task the program did not name shares its
        coroutine's label: the label names the coroutine, the task is found by id)."""
        task = None
        for o in self.objects:
            if o.id == key:
                return o
            if o.label == key:
                if o.kind != "task":
                    return o
                task = task or o
        if task is not None:
            return task
        raise KeyError(
            f"no traced object {key!r}; labels: " + ", ".join(o.label for o in self.objects[:20])
        )

    def bytes_per_event(self) -> float:
        """Memory the record takes per event: the records plus the interned strings."""
        n = len(self.events)
        if not n:
            return 0.0
        strings = sum(len(s.encode()) + 8 for s in self.strings)
        return (len(self.buffer) + strings + 8 * len(self.numbers)) / n

    def summary(self):
        from .analysis.summary import Summary

        return Summary.of(self)

    def diagnostics(self, blocked_ms: float | None = None):
        """What went wrong, named: a list of `asyncviz.Diagnostic` (kind, objects, t0, t1,
        line, message), in time order — the loop blocked by one step longer than
        `blocked_ms` (default: what the trace was recorded with, else 100), timers that
        woke late by more than that, coroutines never awaited, task exceptions never
        retrieved, tasks still pending and waits that never completed at the end."""
        from .analysis.diagnostics import diagnostics

        return diagnostics(self, blocked_ms)

    def timeline(self):
        """The interactive timeline widget of this trace."""
        from .widgets.timeline import TimelineWidget

        return TimelineWidget.of(self)

    def lanes(self):
        """The timeline's layout, as every view draws it: a list of lanes, each with
        `label`, `kind` ("task", "free" or "idle") and `rows` — a list of rows top to
        bottom, each a list of `Traced.id`.  One lane per task (its coroutine and what
        runs inside it), one per function for free objects of one parent (three round-
        robin `worker` generators: one lane, `worker ×3`), one for loop idle time; one
        row per object alive at the same time (a row is reused only by objects whose
        lifetimes, first event to end, do not overlap).  Each lane also has `id`,
        `object`, `function` and `group` (lanes of one function fold into a group when
        there are more than eight).  See asyncviz/analysis/lanes.py."""
        from .analysis.timeline import timeline_of

        return timeline_of(self).layout.lanes

    def states(self, obj=None):
        """The state-machine widget: `obj` (an id or a label) → that object's lifecycle
        machine; None → the suspension-point machine of the user's function with the most
        events (never a `<genexpr>` or library code, when the user's own code ran)."""
        from .widgets.states import StatesWidget

        return StatesWidget.of(self, obj)

    def save(self, path) -> Path:
        """Write the trace; the name's ending picks the format:

        - .avz: the native trace file (asyncviz.load reads it back);
        - .png .svg .pdf: the timeline image;
        - .html: a self-contained page; .txt: the summary table;
        - .json: a Chrome trace (Trace Event Format) for Perfetto or chrome://tracing:
          a track per timeline lane, running slices, events and arrows;
        - .dot: the state machines as Graphviz DOT text — the suspension-point machine of
          every function that ran, one cluster each (needs no Graphviz program);
        - .states.svg .states.png: the same state machines drawn by Graphviz's `dot`
          program (these endings win over .svg/.png).  Without `dot` this raises a
          ValueError whose message gives the command that installs it.

        The file appears complete or not at all (a temporary file is renamed into place).
        Returns the path written."""
        from .exports import save

        return save(self, Path(path))

    def __repr__(self) -> str:
        cut = f", truncated ({self.dropped} dropped)" if self.dropped else ""
        return f"<Trace: {len(self.events)} events, {len(self.objects)} objects{cut}>"

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    # -- the native file ------------------------------------------------------------

    def to_bytes(self) -> bytes:
        meta = {
            "format": FILE_VERSION,
            "record": RECORD.format,
            "strings": self.strings,
            "numbers": [_number_out(x) for x in self.numbers],
            "objects": [asdict(o) for o in self.objects],
            "idle": [list(p) for p in self.idle],
            "dropped": self.dropped,
            "meta": self.meta,
            "sources": self.sources,
        }
        head = zlib.compress(json.dumps(meta).encode(), 6)
        body = zlib.compress(self.buffer, 1)
        return FILE_MAGIC + struct.pack("<HQQ", FILE_VERSION, len(head), len(body)) + head + body

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "the data") -> "Trace":
        def bad(why: str) -> TraceFileError:
            return TraceFileError(
                f"{name} is not a readable asyncviz trace ({why}); "
                "write one with Trace.save('name.avz') or %%asynctrace --save name.avz"
            )

        if not data.startswith(FILE_MAGIC):
            raise bad("it does not start with the asyncviz header")
        try:
            version, nhead, nbody = struct.unpack_from("<HQQ", data, len(FILE_MAGIC))
        except struct.error:
            raise bad("the header is cut short") from None
        if version > FILE_VERSION:
            raise bad(
                f"it is format {version}; this asyncviz reads up to {FILE_VERSION}, "
                "upgrade jupyter-asyncviz"
            )
        if version < 1:
            raise bad(f"its format number {version} was never written by asyncviz")
        start = len(FILE_MAGIC) + struct.calcsize("<HQQ")
        if len(data) != start + nhead + nbody:
            raise bad("its length does not match its header: the file is cut or padded")
        try:
            meta = json.loads(zlib.decompress(data[start : start + nhead]))
            buffer = zlib.decompress(data[start + nhead :])
        except (zlib.error, ValueError) as exc:
            raise bad(f"its contents are corrupted: {exc}") from None
        try:
            strings = [str(s) for s in meta["strings"]]
            numbers = [_number_in(x) for x in meta.get("numbers", [])]
            objects = [Traced(**o) for o in meta["objects"]]
            trace = cls(
                buffer=buffer,
                strings=strings,
                objects=objects,
                idle=[(int(a), int(b)) for a, b in meta["idle"]],
                dropped=int(meta["dropped"]),
                meta=dict(meta["meta"]),
                sources=dict(meta.get("sources", {})),
                numbers=numbers,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(f"its description is incomplete: {exc!r}") from None
        problem = trace.check()
        if problem:
            raise bad(problem)
        return trace

    def check(self) -> str | None:
        """Why the records do not fit the tables (None when they do)."""
        if len(self.buffer) % RECORD_SIZE:
            return "the event records are cut short"
        nobj, nstr, nnum = len(self.objects), len(self.strings), len(self.numbers)
        if any(o.id != i for i, o in enumerate(self.objects)):
            return "object ids are not numbered in order"
        last = None
        for t, obj, target, value, lk in RECORD.iter_unpack(self.buffer):
            if (
                obj >= nobj
                or target >= nobj
                or (
                    not value & INLINE_INT
                    and (value >= NUMBER_BASE + nnum if value >= NUMBER_BASE else value >= nstr)
                )
            ):
                return "an event refers to an object or value that is not there"
            if (lk & 0xFF) >= len(KINDS):
                return "an event has an unknown kind"
            if last is not None and t < last:
                return "events are not in time order"
            last = t
        return None


def load(path) -> Trace:
    """Read a trace written by `Trace.save(...avz)`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TraceFileError(
            f"cannot read {path}: {exc.strerror or exc}; check the path, or write a trace "
            "with Trace.save('name.avz') or %%asynctrace --save name.avz"
        ) from None
    return Trace.from_bytes(data, name=str(path))


def _number_out(x):
    """A number for the file's JSON (which has no infinities or NaN)."""
    if isinstance(x, float) and (x != x or x in (float("inf"), float("-inf"))):
        return {"float": repr(x)}
    return x


def _number_in(x):
    if isinstance(x, dict):
        return float(x["float"])
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return x
    raise ValueError(f"a number table entry is {x!r}")
