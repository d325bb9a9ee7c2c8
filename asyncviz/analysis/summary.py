"""One row per traced object: how often it ran, where its time went, what it waited on.

A pure function of a Trace.  Times come from the object's own events only:

- running: from a start/resume/throw to the next yield/await/return/raise/close of the
  same object (or to the end of the trace, if it was still running then);
- suspended: from a yield/await to the next resume/throw/close (or to the end of the
  trace).  An object that was already suspended when the trace began starts its first
  suspended span at its first yield/await inside the trace: time before that is unknown.

A task and the coroutine it drives are one row (`Row.objects` names both): the task's
label, how the task ended, and the coroutine's steps and times — the task's own events only
say how it ended.  Futures get no row: they appear as what a row waited on, by label
(ten waits on ten `sleep(0.01)` futures read `sleep(0.01) ×10`).  Awaits that name no
target (a bare yield to the loop, as `asyncio.sleep(0)` makes) are counted in `awaits` but
add nothing to `waited_on`.  A function that fell off its end says "end of function".

The text and HTML tables are summary_table.py's: a long table shows its TOP_ROWS rows with
the most running time first, and the rest behind a control.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from ..events import KIND_CODE
from ..trace import NO_TARGET, RECORD, Trace, Traced, value_text
from .endings import END_OF_FUNCTION, implicit_return
from .timeline import SourceLines, links

EMPTY = "no generator, coroutine or task ran in scope"

_START = KIND_CODE["start"]
_RESUME = KIND_CODE["resume"]
_THROW = KIND_CODE["throw"]
_YIELD = KIND_CODE["yield"]
_AWAIT = KIND_CODE["await"]
_RETURN = KIND_CODE["return"]
_RAISE = KIND_CODE["raise"]
_CLOSE = KIND_CODE["close"]
_CANCEL = KIND_CODE["cancel"]


@dataclass(frozen=True)
class Part:
    """One object a row covers (a task's row covers the task and its coroutine)."""

    id: int
    label: str
    kind: str
    name: str  # the qualified name (a task's: its asyncio name)
    state_text: str


@dataclass(frozen=True)
class Row:
    id: int
    label: str
    kind: str
    state: str  # final state: CREATED, SUSPENDED or CLOSED
    end: str | None  # how it ended: "returned 5", "raised ValueError('x')", "closed"
    parent: str | None  # label of the parent
    starts: int
    resumes: int  # throws included
    yields: int
    awaits: int
    running_ns: int
    suspended_ns: int
    longest_ns: int  # the longest running span
    longest_line: int | None  # the line that span began at
    waited_on: tuple[tuple[str, int], ...]  # (label, awaits), most frequent first
    parts: tuple[Part, ...] = ()  # the objects the row covers, the row's own first

    @property
    def objects(self) -> tuple[int, ...]:
        """The ids of the objects this row covers: a task and its coroutine, or one."""
        return tuple(p.id for p in self.parts) or (self.id,)

    @property
    def display(self) -> str:
        """The row's name: its label, and its coroutine's when that reads differently
        (`kid (child#1)`: a task the program named)."""
        others = [p.label for p in self.parts[1:] if p.label != self.label]
        return f"{self.label} ({', '.join(others)})" if others else self.label

    @property
    def state_text(self) -> str:
        return _state_text(self.state, self.end)

    @property
    def longest_text(self) -> str:
        if not self.starts and not self.resumes:
            return "–"
        at = f" @ line {self.longest_line}" if self.longest_line else ""
        return format_ns(self.longest_ns) + at

    @property
    def waited_on_text(self) -> str:
        return ", ".join(f"{label} ×{n}" for label, n in self.waited_on) or "–"


class _Steps:
    """Counters of one object while the events are read."""

    __slots__ = (
        "starts",
        "resumes",
        "yields",
        "awaits",
        "running",
        "suspended",
        "longest",
        "longest_line",
        "run_since",
        "run_line",
        "susp_since",
        "end",
        "end_line",
        "cancelled",
        "waited",
    )

    def __init__(self):
        self.starts = self.resumes = self.yields = self.awaits = 0
        self.running = self.suspended = 0
        self.longest = -1  # no running span yet: even a 0 ns first step names its line
        self.longest_line = None
        self.run_since = self.run_line = self.susp_since = None
        self.end = None
        self.end_line = 0  # the line of a return (an implicit one says "end of function")
        self.cancelled = False
        self.waited: Counter = Counter()

    def run(self, t: int, line: int) -> None:
        if self.susp_since is not None:
            self.suspended += t - self.susp_since
            self.susp_since = None
        self.run_since, self.run_line = t, line

    def stop_running(self, t: int) -> None:
        if self.run_since is None:
            return
        span = t - self.run_since
        self.running += span
        if span > self.longest:
            self.longest, self.longest_line = span, self.run_line or None
        self.run_since = None

    def take(self, t: int, target: int, value: int, lk: int, strings, numbers) -> None:
        """Count one event of this object (a record's fields, as unpacked)."""
        kind = lk & 0xFF
        if kind == _START:
            self.starts += 1
            self.run(t, lk >> 8)
        elif kind == _RESUME or kind == _THROW:
            self.resumes += 1
            self.run(t, lk >> 8)
        elif kind == _YIELD:
            self.yields += 1
            self.suspend(t)
        elif kind == _AWAIT:
            self.awaits += 1
            self.suspend(t)
            if target != NO_TARGET:
                self.waited[target] += 1
        elif kind == _RETURN or kind == _RAISE:
            self.finish(t)
            verb = "returned" if kind == _RETURN else "raised"
            said = value_text(value, strings, numbers)  # None: the record carries no value
            self.end = verb if said is None else f"{verb} {said}"
            if kind == _RETURN and said in (None, "None"):
                self.end_line = lk >> 8
        elif kind == _CLOSE:
            self.finish(t)
            self.end = "closed"
        elif kind == _CANCEL:
            self.cancelled = True

    def suspend(self, t: int) -> None:
        self.stop_running(t)
        self.susp_since = t

    def finish(self, t: int) -> None:
        self.stop_running(t)
        if self.susp_since is not None:
            self.suspended += t - self.susp_since
            self.susp_since = None


def format_ns(ns: int) -> str:
    """812 ns, 3.2 µs, 4.1 ms, 1.25 s."""
    if ns < 1000:
        return f"{ns} ns"
    for unit, scale, digits in (("µs", 1e3, 1), ("ms", 1e6, 1)):
        text = f"{ns / scale:.{digits}f}"
        if float(text) < 1000:  # 999.96 µs rounds up to the next unit, not to "1000.0 µs"
            return f"{text} {unit}"
    return f"{ns / 1e9:.2f} s"


class Summary:
    """Per-object table of a trace: `rows`, `to_dict()`, text and HTML."""

    COLUMNS = (
        "object",
        "kind",
        "state",
        "parent",
        "starts",
        "resumes",
        "yields",
        "awaits",
        "running",
        "suspended",
        "longest step",
        "waited on",
    )
    NUMERIC = frozenset(
        {"starts", "resumes", "yields", "awaits", "running", "suspended", "longest step"}
    )

    def __init__(
        self,
        rows: list[Row],
        *,
        events: int,
        futures: int,
        duration_ns: int,
        backend: str | None,
        python: str | None,
        idle_ns: int,
        dropped: int,
        max_events: int | None,
        truncation: str | None = None,
        diagnostics: list | None = None,
    ):
        self.rows = rows
        self.events = events
        self.futures = futures
        self.duration_ns = duration_ns
        self.backend = backend
        self.python = python
        self.idle_ns = idle_ns
        self.dropped = dropped
        self.max_events = max_events
        self.truncation = truncation  # what the trace says of its cut (Trace.truncation)
        self.diagnostics = diagnostics or []  # Trace.diagnostics()

    @classmethod
    def of(cls, trace: Trace) -> "Summary":
        from .diagnostics import diagnostics  # (which formats its times with format_ns)

        objects = trace.objects
        steps = [_Steps() for _ in objects]
        strings, numbers = trace.strings, trace.numbers
        for t, obj, target, value, lk in RECORD.iter_unpack(trace.buffer):
            steps[obj].take(t, target, value, lk, strings, numbers)
        stop = trace.end
        for s in steps:
            s.finish(stop)
        meta = trace.meta
        max_events = meta.get("max_events")
        return cls(
            _Rows(trace, steps).all(),
            events=len(trace.events),
            futures=sum(o.kind == "future" for o in objects),
            duration_ns=stop,
            backend=meta.get("backend"),
            python=meta.get("python"),
            idle_ns=sum(b - a for a, b in trace.idle),
            dropped=trace.dropped,
            max_events=int(max_events) if max_events is not None else None,
            truncation=trace.truncation,
            diagnostics=diagnostics(trace),
        )

    # -- facts ----------------------------------------------------------------------------

    @property
    def objects(self) -> int:
        """How many objects the rows cover (futures not counted)."""
        return sum(len(r.objects) for r in self.rows)

    def header(self) -> str:
        objects = f"{self.objects} object{'s' if self.objects != 1 else ''}"
        if self.futures:
            objects += f" (+{self.futures} future{'s' if self.futures != 1 else ''})"
        where = ", ".join(
            x for x in (self.backend, f"Python {self.python}" if self.python else None) if x
        )
        return (
            f"{self.events} events, {objects}, {format_ns(self.duration_ns)}"
            + (f" ({where})" if where else "")
            + f"; loop idle {format_ns(self.idle_ns)}"
        )

    def diagnostics_line(self) -> str | None:
        """'diagnostics: loop-blocked ×1, never-awaited ×2 — Trace.diagnostics() says
        where' (None when nothing went wrong)."""
        if not self.diagnostics:
            return None
        kinds = Counter(d.kind for d in self.diagnostics)
        listed = ", ".join(f"{kind} ×{n}" for kind, n in kinds.items())
        return f"diagnostics: {listed} — Trace.diagnostics() says what and where"

    def top(self, n: int) -> list[Row]:
        """The `n` rows with the most running time, most first (ties: in table order)."""
        return sorted(self.rows, key=lambda r: -r.running_ns)[:n]

    def to_dict(self) -> dict:
        """The facts as JSON-able data; each row's `objects` lists the ids it covers (a
        task's row: the task, then its coroutine)."""
        rows = []
        for r in self.rows:
            row = {k: v for k, v in asdict(r).items() if k != "parts"}
            row.update(waited_on=[list(w) for w in r.waited_on], objects=list(r.objects))
            rows.append(row)
        return {
            "events": self.events,
            "objects": self.objects,
            "futures": self.futures,
            "duration_ns": self.duration_ns,
            "backend": self.backend,
            "python": self.python,
            "idle_ns": self.idle_ns,
            "dropped": self.dropped,
            "max_events": self.max_events,
            "truncated": bool(self.dropped),
            "diagnostics": [d.as_dict() for d in self.diagnostics],
            "rows": rows,
        }

    # -- text and HTML (summary_table.py) --------------------------------------------------

    def text(self, limit: int | None = None) -> str:
        """The table as text; `limit`: at most that many rows, those with the most running
        time (None: every row, in the order the objects appeared)."""
        from .summary_table import text

        return text(self, limit)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        # what a notebook shows beside the HTML, and stores: bounded like the HTML's table
        from .summary_table import TOP_ROWS

        return self.text(TOP_ROWS)

    def _repr_html_(self) -> str:
        from .summary_table import html_table

        return html_table(self)


class _Rows:
    """The rows of a trace, from each object's counted steps: one per object, a task and
    the coroutine it drives (analysis.timeline.links) as one."""

    def __init__(self, trace: Trace, steps: list[_Steps]):
        self.objects = trace.objects
        self.steps = steps
        self.link = links(self.objects)
        self.lines = SourceLines(trace)

    def label(self, i: int | None) -> str | None:
        objects = self.objects
        return objects[i].label if i is not None and 0 <= i < len(objects) else None

    def all(self) -> list[Row]:
        rows, done = [], set()
        for o in self.objects:
            if o.kind == "future" or o.id in done:
                continue
            other = self.link[o.id]  # a task's coroutine, or a coroutine's task
            if other is None:
                rows.append(self.row(o, None))
            elif o.kind == "task":
                rows.append(self.row(o, other))
            else:
                rows.append(self.row(self.objects[other], o.id))
            done.update((o.id, other))
        return rows

    def end(self, o: Traced, coro: int | None = None) -> str | None:
        """How `o` ended; a task that returned what its coroutine `coro` fell off its end
        with ended the same way."""
        own = self.steps[o.id]
        if own.end_line and implicit_return("return", "None", self.lines(o.filename, own.end_line)):
            return END_OF_FUNCTION
        if own.cancelled and own.end is None:
            return "cancel requested"
        if coro is not None and own.end in ("returned", "returned None"):
            if self.end(self.objects[coro]) == END_OF_FUNCTION:
                return END_OF_FUNCTION
        return own.end

    def row(self, o: Traced, coro: int | None) -> Row:
        """The row of object `o`; for a task, with its coroutine `coro`'s steps."""
        s = self.steps[coro] if coro is not None else self.steps[o.id]
        if o.kind == "task" and coro is None:
            s = _Steps()  # a task whose coroutine ran out of scope: no steps seen
        end = self.end(o, coro)
        inner = self.objects[coro] if coro is not None else None
        parts = [o] + ([inner] if inner is not None else [])
        parent = o.parent if o.parent is not None else (inner.parent if inner else None)
        return Row(
            id=o.id,
            label=o.label,
            kind=o.kind,
            state=o.state,
            end=end,
            parent=self.label(parent) if parent not in (o.id, coro) else None,
            starts=s.starts,
            resumes=s.resumes,
            yields=s.yields,
            awaits=s.awaits,
            running_ns=s.running,
            suspended_ns=s.suspended,
            longest_ns=max(s.longest, 0),
            longest_line=s.longest_line,
            waited_on=self.waited_on(s.waited),
            parts=tuple(
                Part(p.id, p.label, p.kind, p.name, _state_text(p.state, self.end(p, c)))
                for p, c in zip(parts, (coro, None))
            ),
        )

    def waited_on(self, waited: Counter) -> tuple[tuple[str, int], ...]:
        """(label, awaits) most frequent first: futures that read alike count as one."""
        by_label: Counter = Counter()
        for i, n in waited.most_common():
            by_label[self.label(i) or f"#{i}"] += n
        return tuple(by_label.most_common())


def _state_text(state: str, end: str | None) -> str:
    return f"{state} ({end})" if end else state
