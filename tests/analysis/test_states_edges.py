"""The state machines' edge cases and invariants: bad arguments, a function that never ran,
answers once got wrong (asserted right), every machine built from one grouping of the
events, and the cursor's binary search against a scan.  The scenarios of known programs
are in test_states.py, whose helpers and traces these tests share."""

from __future__ import annotations

from collections import Counter

import pytest

from asyncviz.analysis.states import (
    Function,
    Machine,
    functions,
    lifecycle,
    machines_all,
    suspension_points,
    suspension_points_all,
    wait_text,
)
from corpus import PROGRAMS
from programs import load, record
from tracebuilder import TraceBuilder

from .machinecheck import machines, nodes, record_traces, samples


@pytest.fixture(scope="module")
def traces() -> dict:
    return record_traces()


def test_machine_arguments(traces):
    trace = traces["round_robin"]
    with pytest.raises(ValueError):
        lifecycle(trace)
    with pytest.raises(ValueError):
        suspension_points(trace)
    with pytest.raises(KeyError):
        lifecycle(trace, obj="nobody")


def test_a_function_that_never_ran_here_gives_the_start_alone(traces):
    trace = traces["round_robin"]
    ghost = Function("ghost", "<nowhere>", 1, "generator")
    m = suspension_points(trace, ghost)
    assert m.objects == [] and m.table() == [] and [n.id for n in m.nodes] == ["start"]
    assert m.at(100) == (None, None)


# -- known analysis bugs: the right answer, asserted ------------------------------------------


def test_yield_from_site_is_labelled_yield_from(traces):
    points, _ = machines(traces["yield_from_chain"], "outer")
    site = [n for n in points.nodes if n.kind == "site"]
    assert [n.label for n in site] == ["yield from · line 10"]


def test_exit_nodes_show_the_line_they_were_reached_from():
    trace, _ = record("""
def g(n):
    if n:
        yield n
        return "early"
    yield 0
    return "late"
def main():
    return [list(g(1)), list(g(0))]
""")
    points, _ = machines(trace, "g")
    events = trace.events
    for event, node_id in points.event_node.items():
        node = points.node(node_id)
        if node.kind == "exit" and node.line is not None:
            assert events[event].line == node.line, (node_id, events[event])


def test_an_end_with_no_source_line_is_named_by_its_kind_alone():
    # a %%asynctrace cell ends after its last statement: a return at no line
    b = TraceBuilder()
    cell = b.obj("coroutine", "cell", "<cell>", state="CLOSED", filename="<cell-1>", firstlineno=1)
    b.ev(0, cell, "start", line=1).ev(10, cell, "await", line=2).ev(20, cell, "resume", line=2)
    b.ev(30, cell, "return", value="42")
    points = suspension_points(b.build(duration=40), obj="cell")
    exits = [n.label for n in points.nodes if n.kind == "exit"]
    assert exits == ["return"]  # not "return · line None"


def test_an_object_suspended_before_the_trace_does_not_come_from_the_start():
    import asyncviz
    from asyncviz.recording import cellhooks

    cellhooks.install()  # the rewritten code reads its switches from builtins
    ns = load("""
def g():
    yield 1
    yield 2
    yield 3
""")
    it = ns["g"]()
    next(it)  # suspended at line 3 before the trace begins
    with asyncviz.trace() as trace:
        next(it)
        next(it)
    assert trace.objects[0].initial == "SUSPENDED"
    points = suspension_points(trace, obj=0)
    for edge in points.edges:
        if edge.source == "start":  # only a start (or a throw/close) can leave the start
            assert set(edge.kinds) <= {"start", "throw", "close"}, points.table()


# -- every machine from one grouping of the events -----------------------------------------


def same(a: Machine, b: Machine) -> None:
    assert (a.kind, a.title, a.objects) == (b.kind, b.title, b.objects)
    assert nodes(a) == nodes(b) and a.table() == b.table() and samples(a) == samples(b)
    assert [e.events for e in a.edges] == [e.events for e in b.edges]
    assert (a.event_node, a.event_edge) == (b.event_node, b.event_edge)


@pytest.mark.parametrize("name", sorted(set(PROGRAMS) - {"eager_task"}))
def test_all_machines_at_once_are_the_machines_one_by_one(name):
    trace, _ = record(PROGRAMS[name])
    all_points = suspension_points_all(trace)
    points, lives, own = machines_all(trace)
    assert list(all_points) == list(points) == list(lives) == functions(trace)
    for f in functions(trace):
        same(all_points[f], suspension_points(trace, f))
        same(points[f], suspension_points(trace, f))
        same(lives[f], lifecycle(trace, function=f))
    assert sorted(own) == [
        o.id for o in trace.objects if o.kind in ("generator", "coroutine", "async_generator")
    ]
    for o, machine in own.items():
        same(machine, lifecycle(trace, obj=o))


def test_at_is_the_latest_step_at_or_before_the_event(traces):
    """Machine.at (a binary search in Machine.steps()) against a scan of every event."""
    for trace in traces.values():
        for f in functions(trace):
            for machine in machines(trace, f.name):
                events = sorted(machine.event_node)
                for cursor in range(-1, len(trace.events) + 1):
                    before = [e for e in events if e <= cursor]
                    want = (
                        (machine.event_node[before[-1]], machine.event_edge.get(before[-1]))
                        if before
                        else (None, None)
                    )
                    assert machine.at(cursor) == want, (f.key, machine.kind, cursor)


# -- what an await site waited on; the end of a function ---------------------------------------


def test_await_sites_say_what_they_waited_on(traces):
    trace = traces["poll"]
    points, _ = machines(trace, "poll")
    assert [(n.id, dict(n.waits), n.waits_text) for n in points.nodes] == [
        ("start", {}, ""),
        ("await:9", {}, ""),  # sleep(0): a bare yield to the loop names nothing
        ("await:10", {"tick#1": 1, "tick#2": 1, "tick#3": 1}, "→ tick#1, tick#2, +1 more"),
        ("await:11", {}, ""),
        ("return:12", {}, ""),
    ]
    main, _ = machines(trace, "main")
    # main is suspended in poll 9 times: the whole chain yields to the loop
    assert [(n.id, dict(n.waits)) for n in main.nodes] == [
        ("start", {}),
        ("await:14", {"poll#1": 9}),
        ("return:14", {}),
    ]


def test_waits_read_by_label_most_first():
    """Ten sleep(0.01) futures at one site are one entry: `→ sleep(0.01) ×10`."""
    b = TraceBuilder()
    c = b.obj("coroutine", "f#1", "f", filename="<cell-1>", firstlineno=1, state="CLOSED")
    naps = [b.obj("future", "sleep(0.01)", "Future") for _ in range(10)]
    gets = [b.obj("future", "Queue.get()", "Future") for _ in range(4)]
    b.ev(0, c, "start", line=1)
    t = 1
    for target in [gets[0], *naps, *gets[1:]]:
        b.ev(t, c, "await", line=7, target=target).ev(t + 1, c, "resume", line=7)
        t += 2
    b.ev(t, c, "return", "None", 8)
    trace = b.build()
    points = suspension_points(trace, obj=c)
    site = points.node("await:7")
    assert site.label == "await · line 7"
    assert site.waits.most_common() == [("sleep(0.01)", 10), ("Queue.get()", 4)]
    assert site.waits_text == "→ sleep(0.01) ×10, Queue.get() ×4"
    assert wait_text(Counter({"a": 1, "b": 1, "c": 3}), most=1) == "→ c ×3, +2 more"
    assert wait_text(Counter()) == ""


def test_a_function_falling_off_its_end_leaves_by_end_of_function(each_backend):
    trace, ns = record(PROGRAMS["queue"], backend=each_backend)
    assert ns["result"] == [0, 1]
    points, _ = machines(trace, "producer")
    assert nodes(points) == [
        ("start", "start", "start", 3, None, 0),
        ("await:5", "site", "await · line 5", 5, "await q.put(i)", 1),
        ("await:6", "site", "await · line 6", 6, "await q.put(None)", 1),
        ("return:end", "exit", "end of function", None, None, 1),  # no line under it
    ]
    assert points.table()[-1] == ("await · line 6", "end of function", "send/next", 1)
    events = trace.events
    for node in points.nodes:
        waited = [events[i].target for i, n in points.event_node.items() if n == node.id]
        assert dict(node.waits) == dict(
            Counter(trace.objects[t].label for t in waited if t is not None)
        )
    # a return written in the code keeps its line: consumer's `return got`
    consumer, _ = machines(trace, "consumer")
    assert [n.id for n in consumer.nodes if n.kind == "exit"] == ["return:11"]


def test_a_bare_return_and_return_none_are_written_returns():
    trace, _ = record("""
def g(n):
    yield n
    if n:
        return
    yield 0
    return None
def h():
    yield 1
def main():
    return [list(g(1)), list(g(0)), list(h())]
""")
    points, _ = machines(trace, "g")
    assert [(n.id, n.label) for n in points.nodes if n.kind == "exit"] == [
        ("return:5", "return · line 5"),
        ("return:7", "return · line 7"),
    ]
    h, _ = machines(trace, "h")
    assert [(n.id, n.label, n.line) for n in h.nodes if n.kind == "exit"] == [
        ("return:end", "end of function", None)
    ]
