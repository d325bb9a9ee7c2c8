"""State machines, from what really happened: a pure function of the Trace.

Two machines, for one object or for all objects of one function:

- the *lifecycle* machine: the states CREATED, RUNNING, SUSPENDED, CLOSED (as inspect
  names them) and the transitions seen between them (start, send/next, throw, yield,
  await, return, raise, close), with counts;
- the *suspension-point* machine: a node for the start, one per `yield`/`await` site
  reached (its line and source text, and what was awaited there, by label), one per way
  out (return, raise, close; a function falling off its end is "end of function"); an
  edge for each observed move between them, with counts and sample values sent and
  yielded.

Every edge knows the events that took it, and `at(event)` says which node and edge an
event belongs to (a binary search), so a view can follow a timeline's cursor.  The
events are grouped by object once, from the record's columns; `suspension_points_all`
builds every function's machine from one such grouping.  Which functions ran, and which
one a view opens on, is functions.py's.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from ..events import BEGINS, ENDS, KINDS, STATE_AFTER, STATES, SUSPENDS
from ..trace import NO_TARGET, Trace, record_columns, value_text
from .endings import END_OF_FUNCTION, implicit_return
from .functions import (
    MACHINE_OBJECTS,
    Function,
    by_function as _by_function,
    default_function,
    function_of,
    functions,
)
from .timeline import SourceLines

__all__ = [
    "MACHINE_OBJECTS",
    "Function",
    "Machine",
    "Node",
    "Edge",
    "default_function",
    "function_of",
    "functions",
    "lifecycle",
    "machines_all",
    "suspension_points",
    "suspension_points_all",
    "step_at",
    "wait_text",
]

MAX_SAMPLES = 5

# the lifecycle machine's edge names: what a learner calls the transition
_VERB = {
    "start": "start",
    "resume": "send/next",
    "throw": "throw",
    "yield": "yield",
    "await": "await",
    "return": "return",
    "raise": "raise",
    "close": "close",
}


@dataclass
class Node:
    id: str
    label: str
    kind: str  # state | start | site | exit
    line: int | None = None
    text: str | None = None  # the source line of a suspension site
    count: int = 0  # times entered
    waits: Counter = field(default_factory=Counter)  # an await site: label -> times awaited

    @property
    def waits_text(self) -> str:
        """What was awaited here: "→ sleep(0.01) ×10, Queue.get()" ("" for none)."""
        return wait_text(self.waits)


def wait_text(waits: Counter, most: int = 2) -> str:
    """What was awaited, most first: `→ label ×n` for the `most` most awaited labels (×1
    unsaid), "+N more" for the rest; "" for nothing."""
    if not waits:
        return ""
    top = waits.most_common()
    said = ", ".join(label if n == 1 else f"{label} ×{n:,}" for label, n in top[:most])
    more = f", +{len(top) - most} more" if len(top) > most else ""
    return f"→ {said}{more}"


@dataclass
class Edge:
    source: str
    target: str
    kinds: Counter = field(default_factory=Counter)  # transition -> times taken
    samples: list[str] = field(default_factory=list)
    events: list[int] = field(default_factory=list)  # the events that took it

    @property
    def count(self) -> int:
        return sum(self.kinds.values())

    @property
    def label(self) -> str:
        return ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in self.kinds.items())


def step_at(events, nodes, edges, event: int) -> tuple[str | None, int | None]:
    """(node, edge) of the latest of `events` (sorted) at or before `event`; `nodes` and
    `edges` run parallel to it (an edge None or negative: none).  Machine.at, and what a
    view does with a machine's steps."""
    k = bisect_right(events, event) - 1
    if k < 0:
        return None, None
    edge = edges[k]
    return nodes[k], (None if edge is None or edge < 0 else edge)


@dataclass
class Machine:
    kind: str  # lifecycle | points
    title: str
    objects: list[int]
    nodes: list[Node]
    edges: list[Edge]
    event_node: dict[int, str] = field(default_factory=dict)  # event -> node it leads to
    event_edge: dict[int, int] = field(default_factory=dict)  # event -> edge it took
    _steps: tuple | None = field(default=None, repr=False, compare=False)

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def steps(self) -> tuple[list[int], list[str], list[int | None]]:
        """The events that move the machine, sorted, and per event the node it enters and
        the edge it takes (None: none) — the cursor's table."""
        if self._steps is None or len(self._steps[0]) != len(self.event_node):
            events = sorted(self.event_node)
            self._steps = (
                events,
                [self.event_node[i] for i in events],
                [self.event_edge.get(i) for i in events],
            )
        return self._steps

    def at(self, event: int) -> tuple[str | None, int | None]:
        """(node, edge) the object is in / just took after `event` (latest event ≤ it of
        the machine's objects)."""
        return step_at(*self.steps(), event)

    def table(self) -> list[tuple[str, str, str, int]]:
        """(source label, target label, transitions, count) per edge: for tests and text."""
        label = {n.id: n.label for n in self.nodes}
        return [(label[e.source], label[e.target], e.label, e.count) for e in self.edges]

    def _finish(self, nodes, edges) -> "Machine":
        self.nodes = list(nodes)
        self.edges = list(edges)
        for i, edge in enumerate(self.edges):
            for index in edge.events:
                self.event_edge[index] = i
        return self


def _objects_of(trace: Trace, obj=None, function: Function | None = None) -> list[int]:
    if function is not None:
        return [
            o.id
            for o in trace.objects
            if function_of(trace, o.id) == function and o.kind == function.kind
        ]
    if obj is None:
        raise ValueError("give an object (id or label) or a function")
    return [trace.object(obj).id]


class _Events:
    """The record's columns, and each wanted object's event indices in time order.  Only
    what a machine keeps (a sample while its edge has room) is ever decoded."""

    def __init__(self, trace: Trace, ids):
        self.per: dict[int, list[int]] = {i: [] for i in ids}
        _t, obj, self.target, self._value, kind, self.line = record_columns(trace.buffer)
        self.kind = [KINDS[k] for k in kind] if self.per else []
        self._strings, self._numbers = trace.strings, trace.numbers
        per = self.per
        for index, o in enumerate(obj if per else ()):
            mine = per.get(o)
            if mine is not None:
                mine.append(index)

    def value(self, i: int) -> str | None:
        return value_text(self._value[i], self._strings, self._numbers)


# -- the lifecycle machine ----------------------------------------------------------------


def lifecycle(trace: Trace, obj=None, function: Function | None = None) -> Machine:
    """The lifecycle machine of one object, or of all objects of one function."""
    ids = _objects_of(trace, obj, function)
    title = function.key if function is not None else trace.objects[ids[0]].label
    return _lifecycle(trace, ids, title, _Events(trace, ids))


def _lifecycle(trace: Trace, ids: list[int], title: str, events: _Events) -> Machine:
    nodes = {s: Node(s, s, "state") for s in STATES}
    edges: dict[tuple[str, str], Edge] = {}
    machine = Machine("lifecycle", title, ids, [], [])
    for o in ids:
        state = trace.objects[o].initial
        for index in events.per[o]:
            kind = events.kind[index]
            after = STATE_AFTER[kind]
            if after is None:
                continue
            nodes[after].count += 1
            machine.event_node[index] = after
            if state is not None and kind != "create":
                edge = _take(edges, state, after, index, _VERB[kind])
                if len(edge.samples) < MAX_SAMPLES and kind not in ("start", "close"):
                    value = events.value(index)
                    if value is not None:
                        edge.samples.append(f"{_VERB[kind]} {value}")
            state = after
    return machine._finish(nodes.values(), edges.values())


def machines_all(
    trace: Trace,
) -> tuple[dict[Function, Machine], dict[Function, Machine], dict[int, Machine]]:
    """Every machine a view can show, from one grouping of the events: per function its
    suspension points and its lifecycle, and per object (generator, coroutine, async
    generator) its own lifecycle."""
    by_function = _by_function(trace)
    events = _Events(trace, [i for ids in by_function.values() for i in ids])
    points = _points_all(trace, by_function, events)
    lives = {f: _lifecycle(trace, ids, f.key, events) for f, ids in by_function.items()}
    own = {
        o: _lifecycle(trace, [o], trace.objects[o].label, events)
        for ids in by_function.values()
        for o in ids
    }
    return points, lives, own


def _take(edges: dict, source: str, target: str, index: int, verb: str) -> Edge:
    """Edge source → target, taken by event `index`."""
    edge = edges.get((source, target))
    if edge is None:
        edge = edges[(source, target)] = Edge(source, target)
    edge.kinds[verb] += 1
    edge.events.append(index)
    return edge


# -- the suspension-point machine ---------------------------------------------------------


def suspension_points(trace: Trace, function: Function | None = None, obj=None) -> Machine:
    """The suspension-point machine of one function (or of the function `obj` runs)."""
    if function is None:
        if obj is None:
            raise ValueError("give a function or an object")
        function = function_of(trace, trace.object(obj).id)
    ids = _objects_of(trace, function=function)
    events = _Events(trace, ids)
    points = _Points(trace, function, ids, SourceLines(trace), events)
    for o, indices in events.per.items():
        points.walk(o, indices)
    return points.machine()


def suspension_points_all(trace: Trace) -> dict[Function, Machine]:
    """The suspension-point machine of every function that ran (in the order of
    functions()), from one grouping of the events."""
    by_function = _by_function(trace)
    events = _Events(trace, [i for ids in by_function.values() for i in ids])
    return _points_all(trace, by_function, events)


def _points_all(trace: Trace, by_function: dict, events: _Events) -> dict[Function, Machine]:
    lines = SourceLines(trace)
    out = {}
    for function, ids in by_function.items():
        points = _Points(trace, function, ids, lines, events)
        for o in ids:
            points.walk(o, events.per[o])
        out[function] = points.machine()
    return out


class _Points:
    """Builds one function's suspension-point machine, object by object."""

    def __init__(
        self, trace: Trace, function: Function, ids: list[int], lines: SourceLines, events: _Events
    ):
        self.trace, self.events = trace, events
        self.source = lambda line: lines(function.filename, line)
        self.nodes: dict[str, Node] = {
            "start": Node("start", "start", "start", function.firstlineno)
        }
        self.edges: dict[tuple[str, str], Edge] = {}
        self._machine = Machine("points", function.key, ids, [], [])
        self.delegating = "yield from" if function.kind == "generator" else "await"

    def machine(self) -> Machine:
        return self._machine._finish(self.nodes.values(), self.edges.values())

    def visit(self, node_id: str, make) -> str:
        if node_id not in self.nodes:
            self.nodes[node_id] = make()
        self.nodes[node_id].count += 1
        return node_id

    def walk(self, o: int, indices: list[int]) -> None:
        """One object's events: each suspension or way out is a move from where it was,
        by the step that began at the last start/resume/throw (none: a close)."""
        if self.trace.objects[o].initial in (None, "CREATED"):
            at = "start"
        else:  # suspended somewhere before the trace began: we do not know where
            at = self.visit(
                "before", lambda: Node("before", "(suspended before the trace)", "start")
            )
        kinds, begun = self.events.kind, -1
        for index in indices:
            kind = kinds[index]
            if kind in BEGINS:
                begun = index
                continue
            if kind in SUSPENDS:
                node_id = self._site(index, kind)
                self._waited(node_id, index)
            elif kind in ENDS:
                node_id = self._exit(index, kind)
            else:
                continue
            self._machine.event_node[index] = node_id
            verb = kinds[begun] if begun >= 0 else "close"
            edge = _take(self.edges, at, node_id, index, "send/next" if verb == "resume" else verb)
            if len(edge.samples) < MAX_SAMPLES:
                sample = " → ".join(x for x in (self._sent(begun, at), self._out(index)) if x)
                if sample and sample not in edge.samples:
                    edge.samples.append(sample)
            at, begun = node_id, -1

    def _sent(self, begun: int, at: str) -> str | None:
        """What came in at the step's beginning (from suspension point `at`)."""
        kind = self.events.kind[begun] if begun >= 0 else None
        if kind == "resume":
            # at a yield, the value send() passed; at an await / yield from, what that
            # expression produced
            value = self.events.value(begun)
            word = "got" if at.startswith("await:") else "sent"
            return f"{word} {value}" if value is not None else None
        if kind == "throw":
            return f"thrown {self.events.value(begun)}"
        return None

    def _out(self, index: int) -> str:
        """What went out at a suspension or a way out."""
        kind, value = self.events.kind[index], self.events.value(index)
        if kind == "yield":
            return f"yielded {value}"
        if kind == "await":
            waited = "awaited" if self.delegating == "await" else "yield from"
            target = self.events.target[index]
            return f"{waited} {self.trace.objects[target].label if target != NO_TARGET else value}"
        return f"{kind} {value}" if value is not None else kind

    def _site(self, index: int, kind: str) -> str:
        line = self.events.line[index] or None
        node_id = f"{kind}:{line}"
        word = kind if kind == "yield" else self.delegating
        return self.visit(
            node_id, lambda: Node(node_id, f"{word} · line {line}", "site", line, self.source(line))
        )

    def _waited(self, node_id: str, index: int) -> None:
        """Count what an await waited on at its site, by label."""
        target = self.events.target[index]
        if target != NO_TARGET and 0 <= target < len(self.trace.objects):
            self.nodes[node_id].waits[self.trace.objects[target].label] += 1

    def _exit(self, index: int, kind: str) -> str:
        # a close happens at the suspension point already drawn: no line of its own; a
        # return or raise is one way out per line; falling off the end is one way out
        if kind == "close":
            return self.visit("close", lambda: Node("close", "close", "exit"))
        line = self.events.line[index] or None
        if kind == "return" and implicit_return(kind, self.events.value(index), self.source(line)):
            end = "return:end"
            return self.visit(end, lambda: Node(end, END_OF_FUNCTION, "exit"))
        node_id = f"{kind}:{line}"
        # (no line: an end no source line stands for — a %%asynctrace cell's, after its
        # last statement)
        head = f"{kind} · line {line}" if line is not None else kind
        return self.visit(node_id, lambda: Node(node_id, head, "exit", line, self.source(line)))
