"""Notebook 2 (Push) teaches what its traces must show: the averager's sent values and
yielded averages; a send into an unprimed generator starts nothing; throw (caught and not
caught), close and finally; a round-robin scheduler whose workers' turns alternate, each
worker in a row of its own; a worker that computes before yielding holds every other one
up.  Checked on the traces the notebook's cells bind."""

from __future__ import annotations

import pytest

from asyncviz.analysis import states

from .harness import executed

pytestmark = pytest.mark.kernel

NOTEBOOK = "02_push"


def gens(trace, name: str) -> list:
    return [o for o in trace.objects if o.kind == "generator" and o.name == name]


def only(trace, name: str):
    found = gens(trace, name)
    assert len(found) == 1, f"expected one {name} generator, found {[o.label for o in found]}"
    return found[0]


def steps(trace, obj) -> list[tuple[str, str | None]]:
    return [(e.kind, e.value) for e in trace.events if e.obj == obj.id]


def turns(trace) -> list[tuple[int, int, int]]:
    """(object id, index of the event that began the turn, index of the one that ended it)
    for every running turn of the trace's generators."""
    events = trace.events
    began: dict[int, int] = {}
    out = []
    for i, e in enumerate(events):
        if e.kind in ("start", "resume", "throw"):
            began[e.obj] = i
        elif e.kind in ("yield", "return", "raise") and e.obj in began:
            out.append((e.obj, began.pop(e.obj), i))
    return out


def worker_of(trace) -> dict[int, str]:
    """Each worker generator's name as the cell gave it (w1, w2, ...), read from the first
    value it yielded ('w1 step 0')."""
    names = {}
    for e in trace.events:
        if e.kind == "yield" and e.obj not in names:
            names[e.obj] = e.value.strip("'").split()[0]
    return names


def test_every_traced_cell_is_named():
    assert executed(NOTEBOOK).names() == sorted(
        ["averaging", "unprimed", "throw_close", "throw_uncaught", "round_robin", "starving"]
    )


def test_the_averager_takes_sent_values_in_and_yields_the_averages_out():
    averaging = executed(NOTEBOOK).trace("averaging")
    avg = only(averaging, "averager")
    run = steps(averaging, avg)
    assert [v for k, v in run if k == "resume"] == ["10", "20", "60"]
    assert [v for k, v in run if k == "yield"] == ["None", "10.0", "15.0", "30.0"]
    # one round trip per send: the priming start, then value in, average out
    assert [k for k, _ in run] == ["create", "start", "yield"] + ["resume", "yield"] * 3


def test_sending_a_value_into_an_unprimed_generator_starts_nothing():
    unprimed = executed(NOTEBOOK).trace("unprimed")
    fresh = only(unprimed, "averager")
    # the send raised TypeError before the body ran: no start, no resume
    assert steps(unprimed, fresh) == [("create", None)]
    assert fresh.state == "CREATED"


def test_throw_caught_yields_again_and_close_ends_it():
    throw_close = executed(NOTEBOOK).trace("throw_close")
    ra = only(throw_close, "resettable_averager")
    assert steps(throw_close, ra) == [
        ("create", None),
        ("start", None),
        ("yield", "None"),
        ("resume", "10"),
        ("yield", "10.0"),
        ("resume", "20"),
        ("yield", "15.0"),
        ("throw", "Reset()"),  # caught at the yield: the sums are cleared ...
        ("yield", "None"),  # ... and throw returns the next yield's value
        ("resume", "4"),
        ("yield", "4.0"),  # the average of the new series alone
        ("close", None),  # close(): GeneratorExit at the yield, finally ran, CLOSED
    ]
    assert ra.state == "CLOSED"
    machine = states.lifecycle(throw_close, obj=ra.id)
    edges = {(e.source, e.target, k) for e in machine.edges for k in e.kinds}
    assert ("SUSPENDED", "RUNNING", "throw") in edges
    assert ("SUSPENDED", "CLOSED", "close") in edges
    assert ra.label == "resettable_averager#1"  # the label the notebook asks the lifecycle of


def test_an_exception_thrown_in_and_not_caught_comes_back_out():
    uncaught = executed(NOTEBOOK).trace("throw_uncaught")
    rb = only(uncaught, "resettable_averager")
    assert steps(uncaught, rb) == [
        ("create", None),
        ("start", None),
        ("yield", "None"),
        ("resume", "5"),
        ("yield", "5.0"),
        ("throw", "ValueError('sensor unplugged')"),
        ("raise", "ValueError('sensor unplugged')"),
    ]
    assert rb.state == "CLOSED"


def test_round_robin_turns_alternate():
    rr = executed(NOTEBOOK).trace("round_robin")
    workers = gens(rr, "worker")
    assert len(workers) == 3
    who = worker_of(rr)
    assert sorted(who.values()) == ["w1", "w2", "w3"]
    yields = [e.value for e in rr.events if e.kind == "yield"]
    assert yields == [f"'w{w} step {s}'" for s in range(3) for w in (1, 2, 3)]
    # every turn, in order, belongs to the next worker: w1, w2, w3, w1, ...
    order = [who[obj] for obj, _, _ in turns(rr)]
    assert order == ["w1", "w2", "w3"] * 4  # three steps each, then the turn that returns
    returns = [e.value for e in rr.events if e.kind == "return"]
    assert returns == ["'w1 finished'", "'w2 finished'", "'w3 finished'"]


def test_round_robin_workers_each_have_a_row():
    rr = executed(NOTEBOOK).trace("round_robin")
    workers = {o.id for o in gens(rr, "worker")}
    rows = {}
    for lane_index, lane in enumerate(rr.lanes()):
        for row_index, row in enumerate(lane.rows):
            for obj in row:
                if obj in workers:
                    rows[obj] = (lane_index, row_index)
    assert set(rows) == workers, "every worker is drawn"
    assert len(set(rows.values())) == 3, f"the workers share a row: {rows}"


def test_the_worker_that_does_not_yield_starves_the_others():
    starving = executed(NOTEBOOK).trace("starving")
    events = starving.events
    hog = only(starving, "hog")
    others = {o.id for o in gens(starving, "worker")}
    assert len(others) == 2
    all_turns = turns(starving)
    hog_first = next(t for t in all_turns if t[0] == hog.id)
    _, begin, end = hog_first
    assert (events[begin].kind, events[end].kind) == ("start", "yield")
    # while the hog computes, no other generator does anything: its first turn covers the
    # others' absence, and the worker behind it in the queue has not even started
    assert all(events[i].obj == hog.id for i in range(begin, end + 1))
    starts = [i for i, e in enumerate(events) if e.obj in others and e.kind == "start"]
    assert starts[0] < begin < end < starts[1]
    # and it is long: at least 5x all the other turns of the trace together (in practice
    # a tenth of a second against a few hundred microseconds)
    hog_ns = events[end].t - events[begin].t
    rest_ns = sum(events[e].t - events[b].t for o, b, e in all_turns if (o, b, e) != hog_first)
    assert hog_ns >= 5 * rest_ns, (hog_ns, rest_ns)
    # the turns still go round in queue order: w1, hog, w3, w1, hog, w3, ...
    who = worker_of(starving)  # 'hog step 0' names the hog too
    assert [who[o] for o, _, _ in all_turns] == ["w1", "hog", "w3"] * 4
    # the picture shows it: drawn on the wall clock (the text says so), where the hog's
    # turn is as long as it took, not one step among others
    from asyncviz.analysis.clocks import natural_clock

    assert natural_clock(starving) == "wall"
