"""The trace as a Chrome trace: the Trace Event Format's JSON object form, which Perfetto
(ui.perfetto.dev) and chrome://tracing open.

    {"traceEvents": [...], "displayTimeUnit": "ns", "otherData": {...}}

One process (pid 1).  One thread track per timeline lane, in the timeline's order
(analysis.timeline): tid = lane index + 2 (tid 1, the pid, would read as the main thread),
named by `thread_name` metadata with the lane's label and ordered by `thread_sort_index`.
A task's lane holds its coroutine and the frames it awaits through, a free generator's
lane its own frames, and "loop idle" the event loop's waits in select().

- Each running slice (a start/resume/throw up to the yield/await/return/raise/close that
  ends it) is a complete event, `ph: "X"`, named after the object's label, `cat` the
  object's kind; `args` say how it began and ended, with the values and lines.  A slice
  still running when the trace stopped lasts to the trace's end (`args.unfinished`).
- yield, await, throw, raise, cancel and close are instant events (`ph: "i"`, thread
  scope) on the object's track, `args` with the object, value, line and target.
- Arrows are flow events (`ph: "s"` / `"f"`, `bp: "e"`, one id per arrow) between slices
  on different tracks: `spawn` (the slice that created a task or generator → its first
  slice), `await` (the slice that awaited a task → that task's next slice), `wake` (the
  awaited task's last slice → the slice it resumed), `cancel` (the requester's slice → the
  cancelled task's next slice).  Both ends sit at their slice's start, right after it in
  the file, where every reader binds them to that slice.

Times are µs since the trace started, as floats that keep the nanoseconds (`ts`, `dur`).
Events are sorted by time; on one track, slices nest (a slice that would outlast the
slice around it is cut at that one's end).  Every string is the program's text made
printable (text.one_line) and escaped by JSON; `<`, `>` and `&` are written as \\u escapes
too, so the file can be pasted into an HTML page.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right

from ..analysis.timeline import Timeline, timeline_of
from ..events import KIND_CODE
from ..events import KINDS as _KIND_NAMES
from ..text import one_line
from ..trace import NO_TARGET, Trace, record_columns, value_text

PID = 1
# a track's tid is its lane's index plus this: tid 1, the pid, would be the "main thread"
FIRST_TID = 2
INSTANT_KINDS = ("yield", "await", "throw", "raise", "cancel", "close")
_INSTANT_CODES = frozenset(KIND_CODE[k] for k in INSTANT_KINDS)
_CANCEL = KIND_CODE["cancel"]
# how each kind's value reads in a slice's args
_BEGIN_VALUE = {"resume": "sent", "throw": "thrown"}
_END_VALUE = {"yield": "yielded", "await": "awaited", "return": "returned", "raise": "raised"}
_HTML_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


def chrome_json(trace: Trace) -> str:
    """The trace as Chrome trace JSON text (see the module's docstring)."""
    text = json.dumps(chrome_trace(trace), ensure_ascii=True, separators=(",", ":"))
    for char, escape in _HTML_SAFE:  # only inside strings: JSON's own syntax has none
        text = text.replace(char, escape)
    return text


def chrome_trace(trace: Trace) -> dict:
    """The trace as the Chrome trace's JSON object (before it is written as text)."""
    return _Export(trace).document()


def _us(t: int) -> float:
    return t / 1000


class _Slice:
    __slots__ = ("obj", "begin", "end", "t0", "t1", "tid", "lane")

    def __init__(self, obj, begin, end, t0, t1, lane):
        self.obj, self.begin, self.end, self.t0, self.t1 = obj, begin, end, t0, t1
        self.lane, self.tid = lane, lane + FIRST_TID


class _Export:
    def __init__(self, trace: Trace):
        self.trace = trace
        self.tl: Timeline = timeline_of(trace)
        self.t, self.obj, self.target, self.value, self.kind, self.line = record_columns(
            trace.buffer
        )
        self.end = trace.end
        self.labels = [one_line(o.label) for o in trace.objects]
        self.texts: dict[int, str | None] = {}  # value field -> its text, made once
        self.out: list[tuple[int, int, dict]] = []  # (ns, order, event): sorted at the end
        self.slices: list[_Slice] = []
        self.slice_at: dict[int, _Slice] = {}  # begin event -> its slice
        self.flows = 0
        self.bound: set[tuple[str, int, int]] = set()  # arrows drawn: kind, tail, head

    # -- the document -------------------------------------------------------------------

    def document(self) -> dict:
        self._slices()
        self._instants()
        self._arrows()
        self._idle()
        self.out.sort(key=lambda e: (e[0], e[1]))
        return {
            "traceEvents": self._metadata() + [e for _t, _o, e in self.out],
            "displayTimeUnit": "ns",
            "otherData": self._other(),
        }

    def _metadata(self) -> list[dict]:
        started = self.trace.meta.get("started_at")
        name = "asyncviz trace" + (f" {started}" if started else "")
        events = [_meta("process_name", None, {"name": one_line(name)})]
        for lane in self.tl.lanes:
            tid = lane.id + FIRST_TID
            events.append(_meta("thread_name", tid, {"name": one_line(lane.label)}))
            events.append(_meta("thread_sort_index", tid, {"sort_index": lane.id}))
        return events

    def _other(self) -> dict:
        from .. import __version__

        meta = self.trace.meta
        other = {
            "producer": f"asyncviz {__version__}",
            "python": meta.get("python"),
            "backend": meta.get("backend"),
            "started_at": meta.get("started_at"),
            "events": len(self.kind),
            "objects": len(self.trace.objects),
        }
        if self.trace.truncation:
            other["truncated"] = self.trace.truncation
        return {k: v for k, v in other.items() if v is not None}

    # -- texts ----------------------------------------------------------------------------

    def text(self, i: int) -> str | None:
        """Event i's value, printable."""
        v = self.value[i]
        if v not in self.texts:
            raw = value_text(v, self.trace.strings, self.trace.numbers)
            self.texts[v] = None if raw is None else one_line(raw)
        return self.texts[v]

    def lane_of(self, o: int) -> int | None:
        return self.tl.lane_of[o] if 0 <= o < len(self.tl.lane_of) else None

    # -- slices ---------------------------------------------------------------------------

    def _slices(self) -> None:
        """Every running slice as an X event, each nested in the one around it on its
        track (by event order, which ties in time cannot blur)."""
        stacks: dict[int, list[_Slice]] = {}
        t, kinds = self.t, self.kind
        for o, b, e in self.tl.slices():
            lane = self.lane_of(o)
            if lane is None:
                continue
            s = _Slice(o, b, e, t[b], t[e] if e >= 0 else self.end, lane)
            stack = stacks.setdefault(lane, [])
            # the slices around this one: begun before it, not ended (nor cut) before it
            while stack and (0 <= stack[-1].end < b or stack[-1].t1 < s.t0):
                stack.pop()
            if stack and stack[-1].t1 < s.t1:  # outlasts its parent: cut at the parent's end
                s.t1 = stack[-1].t1
            stack.append(s)
            self.slices.append(s)
            self.slice_at[b] = s
            self._emit(t[b], 4 * b, self._x(s, kinds))

    def _x(self, s: _Slice, kinds) -> dict:
        kind_names = _KIND_NAMES
        b, e = s.begin, s.end
        args: dict = {"begin": kind_names[kinds[b]]}
        key = _BEGIN_VALUE.get(args["begin"])
        if key and self.text(b) is not None:
            args[key] = self.text(b)
        if self.line[b]:
            args["line"] = self.line[b]
        if e >= 0:
            args["end"] = kind_names[kinds[e]]
            key = _END_VALUE.get(args["end"])
            if key and self.text(e) is not None:
                args[key] = self.text(e)
            if self.line[e]:
                args["end_line"] = self.line[e]
            if self.target[e] != NO_TARGET:
                args["target"] = self.labels[self.target[e]]
        else:
            args["unfinished"] = True
        return {
            "name": self.labels[s.obj],
            "cat": self.trace.objects[s.obj].kind,
            "ph": "X",
            "ts": _us(s.t0),
            "dur": _us(s.t1 - s.t0),
            "pid": PID,
            "tid": s.tid,
            "args": args,
        }

    def _emit(self, t: int, order: int, event: dict) -> None:
        self.out.append((t, order, event))

    # -- instants -------------------------------------------------------------------------

    def _instants(self) -> None:
        t, obj, kinds, target = self.t, self.obj, self.kind, self.target
        for i, k in enumerate(kinds):
            if k not in _INSTANT_CODES:
                continue
            lane = self.lane_of(obj[i])
            if lane is None:
                continue
            args: dict = {"object": self.labels[obj[i]]}
            if self.text(i) is not None:
                args["value"] = self.text(i)
            if self.line[i]:
                args["line"] = self.line[i]
            if target[i] != NO_TARGET:
                args["target"] = self.labels[target[i]]
            self._emit(
                t[i],
                4 * i + 2,
                {
                    "name": _KIND_NAMES[k],
                    "cat": "event",
                    "ph": "i",
                    "s": "t",
                    "ts": _us(t[i]),
                    "pid": PID,
                    "tid": lane + FIRST_TID,
                    "args": args,
                },
            )

    # -- arrows ---------------------------------------------------------------------------

    def _arrows(self) -> None:
        finder = _SliceFinder(self)
        spawns = [(at, parent, child) for parent, child, at in self.tl.spawns]
        cancels = [
            (i, self.target[i], self.obj[i])
            for i in _positions(self.kind, _CANCEL)
            if self.target[i] != NO_TARGET
        ]
        creators = finder.enclosing([(i, o) for i, o, _ in spawns + cancels])
        for name, arrows in (("spawn", spawns), ("cancel", cancels)):
            for i, source, to in arrows:
                self._arrow(name, creators.get((i, source)), finder.next(to, i))
        for kind, tail, head, tail_obj, head_obj in self.tl.relations.rows():
            if kind == "await":
                self._arrow("await", finder.ending(tail), finder.next(head_obj, tail))
            elif kind == "wake":
                self._arrow("wake", finder.last(tail_obj, tail), self.slice_at.get(head))

    def _arrow(self, name: str, tail: _Slice | None, head: _Slice | None) -> None:
        """A flow from slice `tail` to slice `head` when both exist on different tracks
        (an arrow within a track is a frame awaiting the next one down: its nesting
        already says so); one arrow of a kind per pair of slices (a task and its
        coroutine are created together: one spawn)."""
        if tail is None or head is None or tail.tid == head.tid:
            return
        if (name, tail.begin, head.begin) in self.bound:
            return
        self.bound.add((name, tail.begin, head.begin))
        self.flows += 1
        ends = (("s", tail, {}), ("f", head, {"bp": "e"}))
        for ph, s, extra in ends:
            event = {"name": name, "cat": "flow", "ph": ph, "id": self.flows}
            event.update(ts=_us(s.t0), pid=PID, tid=s.tid, **extra)
            self._emit(s.t0, 4 * s.begin + 1, event)

    # -- idle -----------------------------------------------------------------------------

    def _idle(self) -> None:
        idle = [lane for lane in self.tl.lanes if lane.kind == "idle"]
        if not idle:
            return
        tid = idle[0].id + FIRST_TID
        for a, b in self.tl.idle:
            # after the events of its moment, before those that follow
            order = 4 * bisect_right(self.t, a) - 1
            event = {"name": "idle", "cat": "idle", "ph": "X", "ts": _us(a), "dur": _us(b - a)}
            event.update(pid=PID, tid=tid, args={"waiting": "select()"})
            self._emit(a, order, event)


class _SliceFinder:
    """Which slice an arrow leaves from or reaches."""

    def __init__(self, export: _Export):
        self.x = export
        objects = export.trace.objects
        # a task runs as its coroutine: the coroutine's slices are the task's
        self.runs_as = [
            c if o.kind == "task" and c is not None else o.id
            for o, c in zip(objects, export.tl.link)
        ]
        self.begins: dict[int, list[int]] = {}  # object -> its slices' begin events
        for s in export.slices:
            self.begins.setdefault(s.obj, []).append(s.begin)
        self.ends = {s.end: s for s in export.slices if s.end >= 0}

    def ending(self, i: int) -> _Slice | None:
        """The slice that event i ends."""
        return self.ends.get(i)

    def next(self, o: int, i: int) -> _Slice | None:
        """Object o's first slice that begins after event i."""
        begins = self.begins.get(self.runs_as[o], [])
        k = bisect_right(begins, i)
        return self.x.slice_at[begins[k]] if k < len(begins) else None

    def last(self, o: int, i: int) -> _Slice | None:
        """Object o's last slice that began before event i."""
        begins = self.begins.get(self.runs_as[o], [])
        k = bisect_left(begins, i)
        return self.x.slice_at[begins[k - 1]] if k else None

    def enclosing(self, wanted: list[tuple[int, int]]) -> dict[tuple[int, int], _Slice]:
        """For each (event i, object o): the innermost slice running at event i on o's
        track — one sweep through the slices in begin order, a stack per track."""
        found: dict[tuple[int, int], _Slice] = {}
        stacks: dict[int, list[_Slice]] = {}
        slices, k = self.x.slices, 0
        for i, o in sorted(wanted):
            while k < len(slices) and slices[k].begin < i:
                s = slices[k]
                stack = stacks.setdefault(s.lane, [])
                while stack and 0 <= stack[-1].end < s.begin:
                    stack.pop()
                stack.append(s)
                k += 1
            lane = self.x.lane_of(o)
            stack = stacks.get(lane, []) if lane is not None else []
            while stack and 0 <= stack[-1].end < i:
                stack.pop()
            if stack:
                found[(i, o)] = stack[-1]
        return found


def _meta(name: str, tid: int | None, args: dict) -> dict:
    event: dict = {"name": name, "ph": "M", "pid": PID}
    if tid is not None:
        event["tid"] = tid
    event["args"] = args
    return event


def _positions(kinds, code: int) -> list[int]:
    raw, out = bytes(kinds), []
    at = raw.find(code)
    while at >= 0:
        out.append(at)
        at = raw.find(code, at + 1)
    return out
