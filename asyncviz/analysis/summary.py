"""One row per traced object: how often it ran, where its time went, what it waited on.

A pure function of a Trace.  Times come from the object's own events only:

- running: from a start/resume/throw to the next yield/await/return/raise/close of the
  same object (or to the end of the trace, if it was still running then);
- suspended: from a yield/await to the next resume/throw/close (or to the end of the
  trace).  An object that was already suspended when the trace began starts its first
  suspended span at its first yield/await inside the trace: time before that is unknown.

A task's row shows the steps and times of its coroutine (`Traced.coro`); the task's own
events only say how it ended.  Futures get no row: they appear as what a row waited on,
counted by label (a future's label reads like the call that made it, and ten
`sleep(0.01)` are one entry `sleep(0.01) ×10`).  Awaits that name no target (a bare
yield to the loop, as `asyncio.sleep(0)` makes) are counted in `awaits` but add nothing
to `waited_on`.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import asdict, dataclass

from ..events import KIND_CODE
from ..text import one_line
from ..trace import NO_TARGET, RECORD, Trace, value_text

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

_CELL = 40  # characters of one text-table cell; the HTML table shows everything


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

    @property
    def state_text(self) -> str:
        return f"{self.state} ({self.end})" if self.end else self.state

    @property
    def longest_text(self) -> str:
        if not self.starts and not self.resumes:
            return "–"
        at = f" @ line {self.longest_line}" if self.longest_line else ""
        return format_ns(self.longest_ns) + at

    @property
    def waited_on_text(self) -> str:
        return ", ".join(f"{label} ×{n}" for label, n in self.waited_on) or "–"


def _by_label(waited: Counter, label) -> tuple[tuple[str, int], ...]:
    """What an object awaited, counted by label: ten `sleep(0.01)` futures are one entry
    (`sleep(0.01) ×10`), most frequent first, ties in the order first awaited."""
    counts: Counter = Counter()
    for target, n in waited.items():
        counts[label(target) or f"#{target}"] += n
    return tuple(counts.most_common())


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


def _cut(text: str, limit: int = _CELL) -> str:
    text = one_line(text)  # a name or value with a newline must not break the table
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    _NUMERIC = frozenset(
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

    @classmethod
    def of(cls, trace: Trace) -> "Summary":
        objects = trace.objects
        steps = [_Steps() for _ in objects]
        strings, numbers = trace.strings, trace.numbers
        for t, obj, target, value, lk in RECORD.iter_unpack(trace.buffer):
            steps[obj].take(t, target, value, lk, strings, numbers)
        stop = trace.end
        for s in steps:
            s.finish(stop)

        def label(i):
            return objects[i].label if i is not None and 0 <= i < len(objects) else None

        rows = []
        for o in objects:
            if o.kind == "future":
                continue
            own = steps[o.id]
            s = own
            if o.kind == "task":
                s = steps[o.coro] if o.coro is not None and 0 <= o.coro < len(steps) else _Steps()
            end = own.end
            if own.cancelled and end is None:
                end = "cancel requested"
            rows.append(
                Row(
                    id=o.id,
                    label=o.label,
                    kind=o.kind,
                    state=o.state,
                    end=end,
                    parent=label(o.parent),
                    starts=s.starts,
                    resumes=s.resumes,
                    yields=s.yields,
                    awaits=s.awaits,
                    running_ns=s.running,
                    suspended_ns=s.suspended,
                    longest_ns=max(s.longest, 0),
                    longest_line=s.longest_line,
                    waited_on=_by_label(s.waited, label),
                )
            )
        meta = trace.meta
        max_events = meta.get("max_events")
        return cls(
            rows,
            events=len(trace.events),
            futures=sum(o.kind == "future" for o in objects),
            duration_ns=stop,
            backend=meta.get("backend"),
            python=meta.get("python"),
            idle_ns=sum(b - a for a, b in trace.idle),
            dropped=trace.dropped,
            max_events=int(max_events) if max_events is not None else None,
            truncation=trace.truncation,
        )

    # -- facts ----------------------------------------------------------------------------

    def header(self) -> str:
        objects = f"{len(self.rows)} object{'s' if len(self.rows) != 1 else ''}"
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

    def to_dict(self) -> dict:
        return {
            "events": self.events,
            "objects": len(self.rows),
            "futures": self.futures,
            "duration_ns": self.duration_ns,
            "backend": self.backend,
            "python": self.python,
            "idle_ns": self.idle_ns,
            "dropped": self.dropped,
            "max_events": self.max_events,
            "truncated": bool(self.dropped),
            "rows": [dict(asdict(r), waited_on=[list(w) for w in r.waited_on]) for r in self.rows],
        }

    def _cells(self, row: Row) -> tuple[str, ...]:
        return (
            row.label,
            row.kind,
            row.state_text,
            row.parent or "–",
            str(row.starts),
            str(row.resumes),
            str(row.yields),
            str(row.awaits),
            format_ns(row.running_ns),
            format_ns(row.suspended_ns),
            row.longest_text,
            row.waited_on_text,
        )

    # -- text -----------------------------------------------------------------------------

    def text(self) -> str:
        notice = [self.truncation] if self.truncation else []
        if not self.rows:
            return "\n".join([EMPTY] + notice)
        table = [self.COLUMNS] + [tuple(_cut(c) for c in self._cells(r)) for r in self.rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(self.COLUMNS))]
        lines = []
        for line in table:
            cells = [
                c.rjust(w) if name in self._NUMERIC else c.ljust(w)
                for c, w, name in zip(line, widths, self.COLUMNS)
            ]
            lines.append("  ".join(cells).rstrip())
        rule = "  ".join("-" * w for w in widths)
        return "\n".join([self.header()] + notice + [lines[0], rule] + lines[1:])

    def __str__(self) -> str:
        return self.text()

    __repr__ = __str__

    # -- html -----------------------------------------------------------------------------

    def _repr_html_(self) -> str:
        e = html.escape
        notice = (
            f'<p class="asyncviz-truncated"><strong>{e(self.truncation)}</strong></p>'
            if self.truncation
            else ""
        )
        if not self.rows:
            return f'<div class="asyncviz-summary"><p>{e(EMPTY)}</p>{notice}</div>'
        right = ' style="text-align:right"'
        head = "".join(
            f"<th{right if c in self._NUMERIC else ''}>{e(c)}</th>" for c in self.COLUMNS
        )
        body = []
        for r in self.rows:
            cells = "".join(
                f"<td{right if name in self._NUMERIC else ''}>{e(c)}</td>"
                for c, name in zip(self._cells(r), self.COLUMNS)
            )
            body.append(f"<tr>{cells}</tr>")
        return (
            f'<div class="asyncviz-summary">{notice}<table>'
            f"<caption>asyncviz summary: {e(self.header())}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            "</table></div>"
        )
