"""What the state-machine tests share: finding a function's machines, describing nodes and
samples for comparison, the invariants every machine keeps (check_events), and the
programs they read, recorded."""

from __future__ import annotations

from asyncviz.analysis.states import Function, Machine, functions, lifecycle, suspension_points
from corpus import POLL, PROGRAMS
from programs import record

SITE_KINDS = ("yield", "await")
EXIT_KINDS = ("return", "raise", "close")
LIFECYCLE_KINDS = ("create", "start", "resume", "throw", *SITE_KINDS, *EXIT_KINDS)

# an async def with three await sites in a loop (line numbers count from the blank first
# line of the string, as the programs in test_sequences do)
# -- helpers --------------------------------------------------------------------------------


def fn(trace, name: str) -> Function:
    """The function called `name` in the trace (exactly one)."""
    found = [f for f in functions(trace) if f.name == name]
    assert len(found) == 1, [f.key for f in functions(trace)]
    return found[0]


def machines(trace, name: str) -> tuple[Machine, Machine]:
    f = fn(trace, name)
    return suspension_points(trace, f), lifecycle(trace, function=f)


def samples(machine: Machine) -> list[list[str]]:
    return [e.samples for e in machine.edges]


def nodes(machine: Machine) -> list[tuple]:
    """(id, kind, label, line, source text, count) per node."""
    return [(n.id, n.kind, n.label, n.line, n.text, n.count) for n in machine.nodes]


def check_events(trace, machine: Machine) -> None:
    """event_node / event_edge cover exactly the machine's objects' events of the kinds
    that move it, each edge's events are the ones that map to it, and each event leads to
    the node its edge points to."""
    check_moves(trace, machine)
    check_edges(machine)
    check_nodes(machine)


def check_moves(trace, machine: Machine) -> None:
    """The events mapped are exactly the ones that move the machine."""
    mine = set(machine.objects)
    by_kind = {i: e.kind for i, e in enumerate(trace.events) if e.obj in mine}
    if machine.kind == "points":
        moves = {i for i, k in by_kind.items() if k in SITE_KINDS + EXIT_KINDS}
        assert set(machine.event_node) == moves
        assert set(machine.event_edge) == moves
    else:
        moves = {i for i, k in by_kind.items() if k in LIFECYCLE_KINDS}
        assert set(machine.event_node) == moves
        # `create` enters CREATED from nowhere: no edge
        assert set(machine.event_edge) == {i for i in moves if by_kind[i] != "create"}


def check_edges(machine: Machine) -> None:
    """Each event took one edge, the one it maps to, and entered that edge's target."""
    taken = [i for e in machine.edges for i in e.events]
    assert len(taken) == len(set(taken)), "an event took two edges"
    assert set(taken) == set(machine.event_edge)
    for index, edge in enumerate(machine.edges):
        assert edge.count == len(edge.events)
        for event in edge.events:
            assert machine.event_edge[event] == index
            assert machine.event_node[event] == edge.target


def check_nodes(machine: Machine) -> None:
    """Edges and events name nodes of the machine; a node's count is the number of events
    that entered it."""
    ids = {n.id for n in machine.nodes}
    assert set(machine.event_node.values()) <= ids
    assert all(e.source in ids and e.target in ids for e in machine.edges)
    for n in machine.nodes:
        assert n.count == sum(1 for v in machine.event_node.values() if v == n.id), n.id


def record_traces() -> dict:
    """The programs these tests (and test_states_edges.py's) read, recorded."""
    names = [
        "throw_caught",
        "close_suspended",
        "close_created",
        "async_gen_closed_early",
        "cancel",
        "round_robin",
        "yield_from_chain",
        "two_instances",
    ]
    out = {name: record(PROGRAMS[name])[0] for name in names}
    out["poll"] = record(POLL)[0]
    return out
