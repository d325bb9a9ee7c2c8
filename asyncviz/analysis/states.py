"""State machines, from what really happened: a pure function of the Trace.

Two machines, for one object or for all objects of one function:

- the *lifecycle* machine: the states CREATED, RUNNING, SUSPENDED, CLOSED (as inspect
  names them) and the transitions seen between them (start, send/next, throw, yield,
  await, return, raise, close), with counts;
- the *suspension-point* machine: a node for the start, one per `yield`/`await` site
  reached (its line and source text), one per way out (return, raise, close); an edge
  for each observed move between them, with counts and sample values sent and yielded.

Every edge knows the events that took it, and `at(event)` says which node and edge an
event belongs to, so a view can follow a timeline's cursor.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..trace import Trace

_BEGIN = ("start", "resume", "throw")
_SUSPEND = ("yield", "await")
_EXIT = ("return", "raise", "close")
MAX_SAMPLES = 5

# the lifecycle machine's edge names: what a learner calls the transition
_VERB = {"start": "start", "resume": "send/next", "throw": "throw", "yield": "yield",
         "await": "await", "return": "return", "raise": "raise", "close": "close"}
_AFTER = {"create": "CREATED", "start": "RUNNING", "resume": "RUNNING", "throw": "RUNNING",
          "yield": "SUSPENDED", "await": "SUSPENDED", "return": "CLOSED", "raise": "CLOSED",
          "close": "CLOSED"}


@dataclass
class Node:
    id: str
    label: str
    kind: str                 # state | start | site | exit
    line: int | None = None
    text: str | None = None   # the source line of a suspension site
    count: int = 0            # times entered


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


@dataclass
class Machine:
    kind: str                  # lifecycle | points
    title: str
    objects: list[int]
    nodes: list[Node]
    edges: list[Edge]
    event_node: dict[int, str] = field(default_factory=dict)  # event -> node it leads to
    event_edge: dict[int, int] = field(default_factory=dict)  # event -> edge it took

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def at(self, event: int) -> tuple[str | None, int | None]:
        """(node, edge) the object is in / just took after `event` (latest event ≤ it of
        the machine's objects)."""
        best = None
        for e in self.event_node:
            if e <= event and (best is None or e > best):
                best = e
        if best is None:
            return None, None
        return self.event_node[best], self.event_edge.get(best)

    def table(self) -> list[tuple[str, str, str, int]]:
        """(source label, target label, transitions, count) per edge: for tests and text."""
        label = {n.id: n.label for n in self.nodes}
        return [(label[e.source], label[e.target], e.label, e.count) for e in self.edges]


@dataclass(frozen=True)
class Function:
    """The code a set of objects ran: what a suspension-point machine describes."""
    name: str
    filename: str | None
    firstlineno: int | None
    kind: str

    @property
    def key(self) -> str:
        return f"{self.name} ({self.kind}, line {self.firstlineno})"


def function_of(trace: Trace, obj: int) -> Function:
    o = trace.objects[obj]
    return Function(o.name, o.filename, o.firstlineno, o.kind)


def functions(trace: Trace) -> list[Function]:
    """Functions whose objects ran in the trace, in order of first appearance."""
    seen: dict[Function, None] = {}
    for o in trace.objects:
        if o.kind in ("generator", "coroutine", "async_generator"):
            seen.setdefault(Function(o.name, o.filename, o.firstlineno, o.kind))
    return list(seen)


def _objects_of(trace: Trace, obj=None, function: Function | None = None) -> list[int]:
    if function is not None:
        return [o.id for o in trace.objects if function_of(trace, o.id) == function
                and o.kind == function.kind]
    if obj is None:
        raise ValueError("give an object (id or label) or a function")
    return [trace.object(obj).id]


def _events_by_object(trace: Trace, ids: list[int]):
    wanted = set(ids)
    per: dict[int, list] = {i: [] for i in ids}
    for index, e in enumerate(trace.events):
        if e.obj in wanted:
            per[e.obj].append((index, e))
    return per


def lifecycle(trace: Trace, obj=None, function: Function | None = None) -> Machine:
    """The lifecycle machine of one object, or of all objects of one function."""
    ids = _objects_of(trace, obj, function)
    title = (function.key if function is not None else trace.objects[ids[0]].label)
    nodes = {s: Node(s, s, "state") for s in ("CREATED", "RUNNING", "SUSPENDED", "CLOSED")}
    edges: dict[tuple[str, str], Edge] = {}
    machine = Machine("lifecycle", title, ids, [], [])
    for o, events in _events_by_object(trace, ids).items():
        state = trace.objects[o].initial
        for index, e in events:
            after = _AFTER.get(e.kind)
            if after is None:
                continue
            nodes[after].count += 1
            machine.event_node[index] = after
            if state is not None and e.kind != "create":
                edge = edges.setdefault((state, after), Edge(state, after))
                edge.kinds[_VERB[e.kind]] += 1
                edge.events.append(index)
                if e.value is not None and len(edge.samples) < MAX_SAMPLES \
                        and e.kind not in ("start", "close"):
                    edge.samples.append(f"{_VERB[e.kind]} {e.value}")
            state = after
    machine.nodes = [n for n in nodes.values()]
    machine.edges = list(edges.values())
    for i, edge in enumerate(machine.edges):
        for index in edge.events:
            machine.event_edge[index] = i
    return machine


def suspension_points(trace: Trace, function: Function | None = None, obj=None) -> Machine:
    """The suspension-point machine of one function (or of the function `obj` runs)."""
    if function is None:
        if obj is None:
            raise ValueError("give a function or an object")
        function = function_of(trace, trace.object(obj).id)
    ids = _objects_of(trace, function=function)
    lines = trace.sources.get(function.filename or "", "").splitlines()

    def source(line: int | None) -> str | None:
        if line and 0 < line <= len(lines):
            return lines[line - 1].strip()
        return None

    nodes: dict[str, Node] = {"start": Node("start", "start", "start",
                                            function.firstlineno)}
    edges: dict[tuple[str, str], Edge] = {}
    machine = Machine("points", function.key, ids, [], [])

    def visit(node_id: str, make) -> str:
        if node_id not in nodes:
            nodes[node_id] = make()
        nodes[node_id].count += 1
        return node_id

    delegating_word = "yield from" if function.kind == "generator" else "await"
    for o, events in _events_by_object(trace, ids).items():
        if trace.objects[o].initial in (None, "CREATED"):
            at = "start"
        else:  # suspended somewhere before the trace began: we do not know where
            at = visit("before", lambda: Node("before", "(suspended before the trace)",
                                              "start"))
        sent = None       # the value that came in when the object last resumed
        begun = None      # the begin event of the current step
        for index, e in events:
            if e.kind in _BEGIN:
                begun = e
                if e.kind == "resume":
                    # at a yield, the value send() passed; at an await / yield from,
                    # what that expression produced
                    word = "got" if at.startswith("await:") else "sent"
                    sent = f"{word} {e.value}" if e.value is not None else None
                elif e.kind == "throw":
                    sent = f"thrown {e.value}"
                else:
                    sent = None
                continue
            if e.kind in _SUSPEND:
                node_id = f"{e.kind}:{e.line}"
                word = e.kind if e.kind == "yield" else delegating_word
                visit(node_id, lambda: Node(node_id, f"{word} · line {e.line}", "site",
                                            e.line, source(e.line)))
                waited = "awaited" if word == "await" else "yield from"
                out = f"yielded {e.value}" if e.kind == "yield" else (
                    f"{waited} {trace.objects[e.target].label}" if e.target is not None
                    else f"{waited} {e.value}")
            elif e.kind in _EXIT:
                # a close happens at the suspension point already drawn: no line of its
                # own; a return or raise is one way out per line
                node_id = e.kind if e.kind == "close" else f"{e.kind}:{e.line}"
                visit(node_id, lambda: Node(
                    node_id, e.kind if e.kind == "close" else f"{e.kind} · line {e.line}",
                    "exit", None if e.kind == "close" else e.line,
                    None if e.kind == "close" else source(e.line)))
                out = f"{e.kind} {e.value}" if e.value is not None else e.kind
            else:
                continue
            machine.event_node[index] = node_id
            edge = edges.setdefault((at, node_id), Edge(at, node_id))
            verb = (begun.kind if begun is not None else "close")
            edge.kinds["send/next" if verb == "resume" else verb] += 1
            edge.events.append(index)
            if len(edge.samples) < MAX_SAMPLES:
                sample = " → ".join(x for x in (sent, out) if x)
                if sample and sample not in edge.samples:
                    edge.samples.append(sample)
            at, begun, sent = node_id, None, None
    machine.nodes = list(nodes.values())
    machine.edges = list(edges.values())
    for i, edge in enumerate(machine.edges):
        for index in edge.events:
            machine.event_edge[index] = i
    return machine
