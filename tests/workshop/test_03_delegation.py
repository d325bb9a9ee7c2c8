"""Notebook 3 (Delegation) teaches what its traces must show: `yield from` passes yielded
values out and sent values in, and the inner generator's return value becomes the value of
the `yield from` expression; a generator-based coroutine (types.coroutine) is awaited like a
generator is delegated to; a native coroutine driven by hand with send(None) starts and
returns 12 in one step, without a suspension; what a custom `__await__` yields is what the
driver gets back from send.  Checked on the traces the notebook's cells bind."""

from __future__ import annotations

import pytest

from .harness import executed

pytestmark = pytest.mark.kernel

NOTEBOOK = "03_delegation"


def only(trace, name: str, kind: str):
    """The one object of function `name` (its qualified name ends with it) and kind."""
    found = [o for o in trace.objects if o.kind == kind and o.name.split(".")[-1] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {[o.label for o in found]}"
    return found[0]


def steps(trace, obj) -> list[tuple[str, str | None]]:
    """(kind, value) of each of obj's events, in order."""
    return [(e.kind, e.value) for e in trace.events if e.obj == obj.id]


def index(trace, obj, kind: str, nth: int = 0) -> int:
    """Position in the trace of obj's nth event of `kind` (nth=-1: the last one)."""
    found = [i for i, e in enumerate(trace.events) if e.obj == obj.id and e.kind == kind]
    assert found, f"{obj.label} has no {kind} event"
    return found[nth]


def test_every_traced_cell_is_named():
    assert executed(NOTEBOOK).names() == sorted(
        ["delegation", "exercise_two_totals", "generator_based", "by_hand", "custom_awaitable"]
    )


def test_yield_from_passes_values_through_and_returns_the_inner_value():
    t = executed(NOTEBOOK).trace("delegation")
    outer = only(t, "calculator", "generator")
    inner = only(t, "add_two", "generator")
    inner_steps = steps(t, inner)
    # the inner generator yields the questions and receives the sent numbers itself
    assert [v for k, v in inner_steps if k == "yield"] == ["'first number?'", "'second number?'"]
    assert [v for k, v in inner_steps if k == "resume"] == ["20", "22"]
    assert inner_steps[-1] == ("return", "42")
    # the outer one delegates to it (yield from is recorded as an await on the inner one)...
    delegations = [e for e in t.events if e.obj == outer.id and e.kind == "await"]
    assert delegations and all(e.target == inner.id for e in delegations)
    # ... never yields the inner's questions as its own, and resumes with the inner's
    # return value as the value of the yield from expression
    outer_steps = steps(t, outer)
    assert [v for k, v in outer_steps if k == "yield"] == ["'the total is 42'"]
    assert [v for k, v in outer_steps if k == "resume"][-1] == "42"
    # its own yield of the total comes after the inner generator returned
    assert index(t, outer, "yield") > index(t, inner, "return")
    assert inner.parent == outer.id


def test_generator_based_coroutine_is_awaited_like_a_delegated_generator():
    t = executed(NOTEBOOK).trace("generator_based")
    greet = only(t, "greet", "coroutine")
    ask = only(t, "ask", "generator")  # types.coroutine keeps it a generator
    awaits = [e for e in t.events if e.obj == greet.id and e.kind == "await"]
    assert [e.target for e in awaits] == [ask.id]
    assert [k for k, _ in steps(t, ask)][-4:] == ["start", "yield", "resume", "return"]
    assert ("yield", "'what is your name?'") in steps(t, ask)
    assert ("resume", "'Ada'") in steps(t, ask)
    assert steps(t, ask)[-1] == ("return", "'Ada'")
    assert steps(t, greet)[-1] == ("return", "'hello, Ada'")


def test_coroutine_driven_by_hand_starts_and_returns_12_without_suspending():
    t = executed(NOTEBOOK).trace("by_hand")
    double = only(t, "double", "coroutine")
    assert steps(t, double) == [("create", None), ("start", None), ("return", "12")]
    assert double.state == "CLOSED"
    # nothing in the cell paused: no yield or await anywhere, and no task was involved
    assert not [e for e in t.events if e.kind in ("yield", "await")]
    assert not [o for o in t.objects if o.kind == "task" and o.parent is not None]


def test_custom_awaitable_yields_to_the_driver_through_the_chain():
    t = executed(NOTEBOOK).trace("custom_awaitable")
    serve = only(t, "serve", "coroutine")
    handle = only(t, "handle", "coroutine")
    awaitable = only(t, "__await__", "generator")
    # the chain: serve awaits handle, handle awaits the generator Request.__await__ made
    assert [e.target for e in t.events if e.obj == serve.id and e.kind == "await"] == [handle.id]
    assert [e.target for e in t.events if e.obj == handle.id and e.kind == "await"] == [
        awaitable.id
    ]
    # what __await__ yielded is what came out at the top, where the driver's send returns
    yielded = [v for k, v in steps(t, awaitable) if k == "yield"]
    assert yielded == ["'GET /index'"]
    top = [e for e in t.events if e.obj == serve.id and e.kind == "await"]
    assert top[0].value == yielded[0]
    # the reply the driver sent travels down to __await__, and the returns come back up
    assert ("resume", "'it works'") in steps(t, awaitable)
    returns = [(t.object(e.obj).label, e.value) for e in t.events if e.kind == "return"]
    assert returns == [
        (awaitable.label, "'it works'"),
        (handle.label, "'IT WORKS'"),
        (serve.label, "'served: IT WORKS'"),
    ]
