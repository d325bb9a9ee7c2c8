"""Notebook 1 (Pull) teaches what its traces must show: calling a generator function only
builds the object; `next` starts it; StopIteration carries the return value and a `for`
loop's generator still records it; the four states and the lifecycle machine; a lazy
pipeline pulls only what it needs.  Checked on the traces the notebook's cells bind."""

from __future__ import annotations

import pytest

from asyncviz.analysis import states
from asyncviz.events import STATE_AFTER

from .harness import executed

pytestmark = pytest.mark.kernel

NOTEBOOK = "01_pull"


def only(trace, name: str):
    """The one generator of function `name` in the trace."""
    found = [o for o in trace.objects if o.kind == "generator" and o.name == name]
    assert len(found) == 1, f"expected one {name} generator, found {[o.label for o in found]}"
    return found[0]


def steps(trace, obj) -> list[tuple[str, str | None]]:
    """(kind, value) of each of obj's events, in order."""
    return [(e.kind, e.value) for e in trace.events if e.obj == obj.id]


def lifecycle_edges(trace, obj) -> set[tuple[str, str, str]]:
    machine = states.lifecycle(trace, obj=obj.id)
    return {(e.source, e.target, kind) for e in machine.edges for kind in e.kinds}


def test_every_traced_cell_is_named():
    assert executed(NOTEBOOK).names() == sorted(
        ["calling", "stepping", "by_hand", "for_loop", "four_states", "pipeline"]
    )


def test_calling_a_generator_function_records_only_create():
    calling = executed(NOTEBOOK).trace("calling")
    g = only(calling, "countdown")
    assert steps(calling, g) == [("create", None)]
    assert g.state == "CREATED"


def test_the_first_next_starts_it_and_each_next_runs_to_a_yield():
    stepping = executed(NOTEBOOK).trace("stepping")
    g = only(stepping, "countdown")
    assert g.initial == "CREATED"  # built in the cell before: nothing had run
    assert steps(stepping, g) == [
        ("start", None),
        ("yield", "3"),
        ("resume", "None"),
        ("yield", "2"),
    ]
    assert g.state == "SUSPENDED"


def test_stop_iteration_carries_the_return_value_and_a_finished_generator_stays_finished():
    by_hand = executed(NOTEBOOK).trace("by_hand")
    g = only(by_hand, "countdown")
    # the third next yields 1, the fourth ends it with a return of 'liftoff'; the fifth
    # next of the cell never runs the finished generator: nothing is recorded for it
    assert steps(by_hand, g) == [
        ("resume", "None"),
        ("yield", "1"),
        ("resume", "None"),
        ("return", "'liftoff'"),
    ]
    assert g.state == "CLOSED"


def test_the_for_loop_generator_ends_with_the_return_value_it_discards():
    for_loop = executed(NOTEBOOK).trace("for_loop")
    g = only(for_loop, "countdown")
    assert steps(for_loop, g) == [
        ("create", None),
        ("start", None),
        ("yield", "3"),
        ("resume", "None"),
        ("yield", "2"),
        ("resume", "None"),
        ("yield", "1"),
        ("resume", "None"),
        ("return", "'liftoff'"),
    ]


def test_the_four_states_running_seen_from_inside():
    four = executed(NOTEBOOK).trace("four_states")
    spy = only(four, "spy")
    # spy yields and returns what getgeneratorstate said from inside: GEN_RUNNING
    assert steps(four, spy) == [
        ("create", None),
        ("start", None),
        ("yield", "'GEN_RUNNING'"),
        ("resume", "None"),
        ("return", "'GEN_RUNNING'"),
    ]
    # the states the events leave it in are the ones the cell saw from outside, in order:
    # CREATED before the first next, SUSPENDED while paused, CLOSED after the end; and
    # RUNNING in between, as spy reported from inside
    assert [STATE_AFTER[kind] for kind, _ in steps(four, spy)] == [
        "CREATED",
        "RUNNING",
        "SUSPENDED",
        "RUNNING",
        "CLOSED",
    ]
    # the lifecycle machine the notebook shows for spy#1: all four states, these moves
    machine = states.lifecycle(four, obj=spy.id)
    assert {n.id for n in machine.nodes} >= {"CREATED", "RUNNING", "SUSPENDED", "CLOSED"}
    assert lifecycle_edges(four, spy) == {
        ("CREATED", "RUNNING", "start"),
        ("RUNNING", "SUSPENDED", "yield"),
        ("SUSPENDED", "RUNNING", "send/next"),
        ("RUNNING", "CLOSED", "return"),
    }
    assert spy.label == "spy#1"  # the label the notebook asks the lifecycle of


def test_the_pipeline_pulls_each_value_through_the_chain_and_no_more():
    pipeline = executed(NOTEBOOK).trace("pipeline")
    naturals, evens, take = (only(pipeline, n) for n in ("naturals", "evens", "take"))
    name = {naturals.id: "naturals", evens.id: "evens", take.id: "take"}
    yields = [(name[e.obj], e.value) for e in pipeline.events if e.kind == "yield"]
    # each value comes up the chain right after the source made it; the odd ones stop at
    # evens; the endless source makes five values, 0 to 4, and is never asked for a sixth
    assert yields == [
        ("naturals", "0"),
        ("evens", "0"),
        ("take", "0"),
        ("naturals", "1"),
        ("naturals", "2"),
        ("evens", "2"),
        ("take", "2"),
        ("naturals", "3"),
        ("naturals", "4"),
        ("evens", "4"),
        ("take", "4"),
    ]
    # a request goes down the chain: take runs first, then evens, then naturals
    begins = [(name[e.obj], e.kind) for e in pipeline.events if e.kind in ("start", "resume")]
    assert begins[:3] == [("take", "start"), ("evens", "start"), ("naturals", "start")]
    assert begins[3:6] == [("take", "resume"), ("evens", "resume"), ("naturals", "resume")]
    # take ends by returning; the generators it pulled from are closed after it
    kinds = [(name[e.obj], e.kind) for e in pipeline.events if e.obj in name]
    end = kinds.index(("take", "return"))
    assert set(kinds[end + 1 :]) == {("evens", "close"), ("naturals", "close")}
    assert [o.state for o in (naturals, evens, take)] == ["CLOSED"] * 3
