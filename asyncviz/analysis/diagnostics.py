"""What went wrong, named — a pure function of a Trace.

`diagnostics(trace)` lists `Diagnostic`s, each with its `kind`, the `objects` it is about
(`Traced.id`s), its span `t0`–`t1` (ns on the trace's clock), the `line` (and `filename`)
to look at, and one sentence a developer in a hurry understands:

- "loop-blocked": one step held the event loop longer than the threshold (`blocked_ms`,
  default: what the trace was recorded with, else 100, as asyncio's debug mode).  A step
  is a task running from a resume to its next suspension; when a loop runs inside a step
  (nest_asyncio, an eager task) the stretches between the inner steps count, not the
  whole.  The line is where the watchdog's samples found the program's own code
  (`Trace.meta["blocked"]`); without one, the line the step resumed at, and it says so.
- "late-timer": an await on a timer or timeout (`Traced.deadline`) resumed later than
  its deadline by more than the threshold.
- "never-awaited": a coroutine created and dropped without being awaited, and where it
  was dropped (`meta["never_awaited"]`, `meta["never_awaited_at"]`).
- "unretrieved-exception": a task raised and nobody retrieved its exception — still so
  when the trace stopped, or asyncio reported it when the task was collected
  (`meta["unretrieved"]`).
- "pending-at-end": a task still pending when the trace ended (not the one that ran the
  trace itself, `meta["tracing_task"]`).
- "wait-never-completed": an await on a future or task that had not completed by the end.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import asdict, dataclass

from ..events import BEGIN_CODES, END_CODES, KIND_CODE
from ..trace import DEFAULT_BLOCKED_MS, RECORD, RECORD_SIZE, Trace, record_columns
from .summary import format_ns
from .timeline import SourceLines

KINDS = (
    "loop-blocked",
    "late-timer",
    "never-awaited",
    "unretrieved-exception",
    "pending-at-end",
    "wait-never-completed",
)
_AWAIT, _YIELD, _CLOSE, _START = (KIND_CODE[k] for k in ("await", "yield", "close", "start"))
_FRAMES = ("generator", "coroutine", "async_generator")
_LOOPISH = ("coroutine", "async_generator")
_WAITED = ("future", "task")  # what an await can wait on that completes by itself
_MAX_CHAIN = 100  # awaits followed down a coroutine chain


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One thing that went wrong (see `Trace.diagnostics`)."""

    kind: str  # one of KINDS
    # Traced.ids: the object that ran, waited, was dropped or is pending, then the others
    # named (its task, what it waited for)
    objects: tuple[int, ...]
    t0: int  # ns on the trace's clock
    t1: int
    line: int | None  # the line to look at, in `filename`
    message: str
    filename: str | None = None

    def as_dict(self) -> dict:
        return dict(asdict(self), objects=list(self.objects))


def diagnostics(trace: Trace, blocked_ms: float | None = None) -> list[Diagnostic]:
    """Every diagnostic of `trace`, in time order (module docstring)."""
    if blocked_ms is None:
        blocked_ms = trace.meta.get("blocked_ms", DEFAULT_BLOCKED_MS)
    if not (isinstance(blocked_ms, (int, float)) and blocked_ms > 0):
        raise ValueError(f"blocked_ms must be a number of ms above 0, not {blocked_ms!r}")
    scan = _Scan(trace, int(blocked_ms * 1_000_000))
    said = _Sayer(trace, scan)
    blocked = [said.blocked(*piece) for piece in scan.pieces]
    items = blocked + [said.late(w, i, blocked) for w, i in scan.late]
    items += said.never_awaited()
    items += said.unretrieved()
    items += said.pending()
    items += said.waits()
    order = {kind: n for n, kind in enumerate(KINDS)}
    return sorted(items, key=lambda d: (d.t0, order[d.kind], d.objects))


class _Scan:
    """One pass over the record: the stretches that held the loop longer than the
    threshold, the await each object was last suspended at, and the late wakes.

    A step begins when something runs while nothing does, and ends when that object
    suspends or ends; a step of another task beginning inside it (a loop run inside it)
    pauses its stretch until that step ends.  Open steps are kept flat in `steps`, four
    numbers each: base object, its task (-1: none), begin event, start of its stretch."""

    def __init__(self, trace: Trace, threshold: int):
        objects = trace.objects
        n = len(objects)
        self.objects, self.threshold = objects, threshold
        self.buffer = trace.buffer
        self.t, obj, self.target, _v, kind, self.line = record_columns(trace.buffer)
        self.end = trace.end
        self.task_of = [-1 if o.task is None else o.task for o in objects]
        self.timed = {o.id for o in objects if o.deadline is not None}
        # a step of these holds an event loop (a generator's outside any task holds none)
        self.loopish = [o.kind in _LOOPISH or o.task is not None for o in objects]
        idle = sorted(trace.idle)
        self.idle, self.idle_starts = idle, [a for a, _b in idle]
        self.first = [-1] * n
        self.waiting = [-1] * n  # the await it is suspended at now (at the end: still)
        self.abandoned = [-1] * n  # the await it was closed at
        self.ended = [-1] * n  # its return, raise or close
        self.running: list[int] = []
        self.steps: list[int] = []
        self.pieces: list[tuple[int, int, int, int]] = []  # (t0, t1, base, its begin event)
        self.late: list[tuple[int, int]] = []  # (await event, wake event)
        self._run(obj, kind)

    def _run(self, obj, kind) -> None:
        t, first, waiting, running = self.t, self.first, self.waiting, self.running
        steps, task_of = self.steps, self.task_of
        for i, (o, k) in enumerate(zip(obj, kind)):
            if first[o] < 0:
                first[o] = i
            if k in BEGIN_CODES:
                if waiting[o] >= 0:
                    self._woke(waiting[o], i)
                    waiting[o] = -1
                if not steps or (task_of[o] >= 0 and task_of[o] != steps[-3]):
                    self._open(o, i)
                running.append(o)
            elif k == _AWAIT or k == _YIELD:
                waiting[o] = i if k == _AWAIT else -1
                self._stop(o, t[i])
            elif k in END_CODES:
                self._end(i, o, k)
        if steps:  # still running at the end: its stretch lasts to the end
            self._stretch(steps[-4], steps[-2], steps[-1], self.end)

    def _woke(self, w: int, i: int) -> None:
        tg = self.target[w]
        if tg in self.timed:
            due = self.objects[tg].deadline or 0
            if self.t[i] - due > self.threshold:
                self.late.append((w, i))

    def _open(self, o: int, i: int) -> None:
        if o in self.running:
            return
        steps, t = self.steps, self.t[i]
        if steps:  # another task's step inside this one: a loop runs inside it
            self._stretch(steps[-4], steps[-2], steps[-1], t)
        steps += (o, self.task_of[o], i, t)

    def _end(self, i: int, o: int, k: int) -> None:
        if k == _CLOSE and self.waiting[o] >= 0:
            self.abandoned[o] = self.waiting[o]
        self.waiting[o] = -1
        self.ended[o] = i
        self._stop(o, self.t[i])

    def _stop(self, o: int, t: int) -> None:
        running = self.running
        if running and running[-1] == o:
            running.pop()
        elif o in running:
            running.remove(o)
        steps = self.steps
        if steps and steps[-4] == o:
            base, _task, begin, cursor = steps[-4:]
            del steps[-4:]
            self._stretch(base, begin, cursor, t)
            if steps:
                steps[-1] = t

    def _stretch(self, base: int, begin: int, a: int, b: int) -> None:
        """The loop was held from a to b but while it waited for I/O (idle)."""
        if b - a <= self.threshold or not self.loopish[base]:
            return
        idle, k = self.idle, max(bisect_right(self.idle_starts, a) - 1, 0)
        cursor = a
        for start, stop in idle[k:]:
            if start >= b:
                break
            if stop > cursor:
                self._piece(cursor, min(start, b), base, begin)
                cursor = stop
        self._piece(cursor, b, base, begin)

    def _piece(self, a: int, b: int, base: int, begin: int) -> None:
        if b - a > self.threshold:
            self.pieces.append((a, b, base, begin))

    # -- questions the sayer asks ------------------------------------------------------------

    def obj_at(self, i: int) -> int:
        return RECORD.unpack_from(self.buffer, i * RECORD_SIZE)[1]

    def kind_at(self, i: int) -> int:
        return RECORD.unpack_from(self.buffer, i * RECORD_SIZE)[4] & 0xFF

    def innermost_wait(self, o: int) -> tuple[int, int]:
        """(object, await event) at the bottom of the await chain `o` is suspended in
        (-1 when it is not suspended at an await)."""
        w = self.waiting[o]
        for _ in range(_MAX_CHAIN):
            if w < 0:
                break
            tg = self.target[w]
            if not (0 <= tg < len(self.objects) and self.objects[tg].kind in _FRAMES):
                break
            if self.waiting[tg] < 0:
                break
            o, w = tg, self.waiting[tg]
        return o, w


class _Sayer:
    """The diagnostics, as sentences."""

    def __init__(self, trace: Trace, scan: _Scan):
        self.trace, self.scan, self.objects = trace, scan, trace.objects
        self.meta = trace.meta
        self.source = SourceLines(trace)
        n = len(self.objects)
        samples = sorted((s for s in _rows(self.meta, "blocked", 8) if 0 <= s[1] < n), key=_first)
        self.samples, self.sample_times = samples, [s[0] for s in samples]

    def label(self, oid: int | None) -> str:
        if oid is None or not 0 <= oid < len(self.objects):
            return "?"
        return self.objects[oid].label

    def at(self, filename: str | None, line: int | None, home: str | None = None) -> str:
        """'line 12 (its text)', naming the file when it is not `home`."""
        if type(line) is not int or line <= 0:
            return "an unknown line"
        where = f"line {line}"
        if filename and home and filename != home:
            where += f" of {_file_name(filename)}"
        text = self.source(filename, line)
        return f"{where} ({text})" if text else where

    def where(self, oid: int, event: int) -> tuple[int | None, str]:
        """(line, 'line 12 (its text)') of an object's event."""
        line = int(self.scan.line[event]) or None
        return line, self.at(self.objects[oid].filename, line)

    # -- loop-blocked ------------------------------------------------------------------------

    def blocked(self, t0: int, t1: int, base: int, begin: int) -> Diagnostic:
        lo = bisect_left(self.sample_times, t0)
        taken = self.samples[lo : bisect_right(self.sample_times, t1)]
        objects = _unique([base, self.objects[base].task])
        held = f"the event loop was blocked for {format_ns(t1 - t0)} by"
        own = Counter((s[1], s[2], s[3], s[4]) for s in taken if s[2])
        if not own:
            return self._unsampled(t0, t1, base, begin, objects, held)
        (oid, filename, line, function), _n = own.most_common(1)[0]
        traced = self.objects[oid] if 0 <= oid < len(self.objects) else None
        where = self.at(filename, line, traced.filename if traced is not None else None)
        where = f"at {where}"
        if traced is not None and function != traced.name:
            where = f"in {function}() {where}"
        message = f"{held} {self.label(oid)} {where}{_beneath(taken, filename, line)}"
        return Diagnostic("loop-blocked", _unique([oid, *objects]), t0, t1, line, message, filename)

    def _unsampled(self, t0, t1, base, begin, objects, held) -> Diagnostic:
        traced = self.objects[base]
        line, where = self.where(base, begin)
        how = "first step, from" if self.scan.kind_at(begin) == _START else "step resumed at"
        recorded = self.meta.get("blocked_ms")
        if not isinstance(recorded, (int, float)):
            why = "it was recorded without the watchdog"
        elif recorded / 2 > (t1 - t0) / 1e6:
            why = f"it was recorded with blocked_ms={recorded:g}, which samples longer steps"
        else:
            why = "none was taken in it"
        message = f"{held} {traced.label} in the {how} {where}; no sample shows where ({why})"
        return Diagnostic("loop-blocked", objects, t0, t1, line, message, traced.filename)

    # -- late-timer --------------------------------------------------------------------------

    def late(self, w: int, i: int, blocked: list[Diagnostic]) -> Diagnostic:
        scan = self.scan
        waiter, timer = scan.obj_at(w), scan.target[w]
        due, woke = self.objects[timer].deadline or 0, scan.t[i]
        line, where = self.where(waiter, w)
        message = (
            f"{self.label(timer)}, awaited by {self.label(waiter)} at {where}, woke it "
            f"{format_ns(woke - due)} after its deadline"
        )
        cause = next((b for b in blocked if b.t0 < woke and b.t1 > due), None)
        if cause is not None:
            message += f" ({self.label(cause.objects[0])} held the loop then)"
        filename = self.objects[waiter].filename
        return Diagnostic("late-timer", (waiter, timer), due, woke, line, message, filename)

    # -- never-awaited -------------------------------------------------------------------------

    def never_awaited(self) -> list[Diagnostic]:
        sites = {s[0]: s[1:4] for s in _rows(self.meta, "never_awaited_at", 4, ints=1)}
        out = []
        for oid in _ints(self.meta.get("never_awaited")):
            if not 0 <= oid < len(self.objects):
                continue
            traced = self.objects[oid]
            end = self.scan.ended[oid]
            t = self.scan.t[end] if end >= 0 else self.trace.end
            message = f"the coroutine {traced.name}() ({traced.label}) was never awaited"
            filename, line = traced.filename, traced.firstlineno
            if oid in sites:
                filename, line, _function = sites[oid]
                message += f": it was dropped at {self.at(filename, line)} — a missing await?"
            out.append(Diagnostic("never-awaited", (oid,), t, t, line, message, filename))
        return out

    # -- unretrieved-exception ---------------------------------------------------------------

    def unretrieved(self) -> list[Diagnostic]:
        out = []
        for oid, t, how, exc in (e[:4] for e in _rows(self.meta, "unretrieved", 4)):
            raised = "raised " + (exc if isinstance(exc, str) else "an exception")
            line = filename = None
            who, objects = "a task", ()
            if 0 <= oid < len(self.objects):
                task = self.objects[oid]
                who, objects = f"task {task.label}", _unique([oid, task.coro])
                end = self._end_of(task.coro)
                if end >= 0:  # where its coroutine raised
                    coro = self.scan.obj_at(end)
                    line, where = self.where(coro, end)
                    raised += f" at {where}"
                    filename, t = self.objects[coro].filename, min(t, self.scan.t[end])
            if how == "collected":
                tail = "was collected without anyone retrieving its exception (asyncio logged it)"
            else:
                tail = "nobody retrieved its exception: await the task, or call its result()"
            message = f"{who} {raised}, and {tail}"
            out.append(Diagnostic("unretrieved-exception", objects, t, t, line, message, filename))
        return out

    def _end_of(self, oid: int | None) -> int:
        """The event that ended an object (-1: none, or no such object)."""
        if oid is None or not 0 <= oid < len(self.objects):
            return -1
        return self.scan.ended[oid]

    # -- pending-at-end ----------------------------------------------------------------------

    def pending(self) -> list[Diagnostic]:
        tracing = self.meta.get("tracing_task")
        out = []
        for task in self.objects:
            if task.kind != "task" or task.state == "CLOSED" or task.id == tracing:
                continue
            first = self.scan.first[task.id]
            t0 = self.scan.t[first] if first >= 0 else 0
            message = f"task {task.label} was still pending when the trace ended"
            line = filename = None
            if task.state == "CREATED":
                message = f"task {task.label} was created but had not started when the trace ended"
            elif task.coro is not None:
                waiter, w = self.scan.innermost_wait(task.coro)
                if w >= 0:
                    line, where = self.where(waiter, w)
                    target = self.scan.target[w]
                    waits = f" for {self.label(target)}" if target >= 0 else ""
                    message += f", waiting{waits} at {where}"
                    filename = self.objects[waiter].filename
            objects = _unique([task.id, task.coro])
            out.append(
                Diagnostic("pending-at-end", objects, t0, self.trace.end, line, message, filename)
            )
        return out

    # -- wait-never-completed ----------------------------------------------------------------

    def waits(self) -> list[Diagnostic]:
        scan, out = self.scan, []
        for o in self.objects:
            closed = scan.abandoned[o.id]
            w = scan.waiting[o.id] if closed < 0 else closed
            target = scan.target[w] if w >= 0 else -1
            if target < 0 or not 0 <= target < len(self.objects):
                continue
            waited = self.objects[target]
            if waited.kind not in _WAITED or waited.state == "CLOSED":
                continue
            line, where = self.where(o.id, w)
            if closed < 0:
                t1 = self.trace.end
                what = f"{o.label} waited for {waited.label} at {where}, and it never completed"
            else:
                t1 = scan.t[scan.ended[o.id]]
                what = f"{o.label} was closed while waiting for {waited.label} at {where}"
                what += ", which never completed"
            message = what + " before the trace ended"
            out.append(
                Diagnostic(
                    "wait-never-completed", (o.id, target), scan.t[w], t1, line, message, o.filename
                )
            )
        return out


def _beneath(taken, filename, line) -> str:
    """The library call the samples at that line were inside, if any."""
    inner = Counter((s[5], s[6], s[7]) for s in taken if s[2] == filename and s[3] == line and s[5])
    if not inner:
        return ""
    (file, at, function), _n = inner.most_common(1)[0]
    return f", inside {function}() ({os.path.basename(file)}:{at})"


def _rows(meta: dict, key: str, width: int, ints: int = 2) -> list[list]:
    """meta[key]'s rows: lists of at least `width` fields led by `ints` ints (a loaded
    file's meta is what it is: anything else is left out)."""
    rows = meta.get(key)
    if not isinstance(rows, list):
        return []
    return [
        r for r in rows if isinstance(r, list) and len(r) >= width and _ints(r[:ints]) == r[:ints]
    ]


def _ints(values) -> list[int]:
    if not isinstance(values, list):
        return []
    return [v for v in values if type(v) is int]


def _first(row: list) -> int:
    return row[0]


def _unique(ids) -> tuple[int, ...]:
    return tuple(dict.fromkeys(i for i in ids if i is not None))


# where IPython keeps a cell's code: ipykernel's temporary files, IPython's own names
_CELL_FILE = re.compile(r"(?:ipykernel_\d+[\\/]\d+\.py|<ipython-input-[\d-]+-[0-9a-f]+>)$")


def _file_name(filename: str) -> str:
    """A file as a message names it: a notebook cell's code (a temporary file whose name
    means nothing to the reader) is 'another cell'."""
    return "another cell" if _CELL_FILE.search(filename) else os.path.basename(filename)
