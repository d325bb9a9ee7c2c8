"""Random drives of random generators: every recorded transition is legal, and the
recorded final states are the ones inspect reports."""

from __future__ import annotations

import functools
import inspect

from hypothesis import Phase, given, settings, strategies as st

import asyncviz
from asyncviz.events import next_state
from asyncviz.recording.backend import names as backend_names
from programs import load

MACHINE = '''
def machine(plan):
    for step in plan:
        if step == "yield":
            x = yield "y"
        elif step == "catch":
            try:
                x = yield "c"
            except ValueError:
                x = yield "caught"
        elif step == "finally":
            try:
                x = yield "f"
            finally:
                pass
        elif step == "ignore_exit":
            try:
                x = yield "i"
            except GeneratorExit:
                return "closed"
        elif step == "raise":
            raise KeyError("boom")
        elif step == "return":
            return "r"


def drive(plans, ops, drop, trace):
    """Made with the cell rewrite, as a notebook cell would be: creations are seen."""
    with trace() as t:
        gens = [machine(plan) for plan in plans]
        for which, op in ops:
            g = gens[which % len(gens)]
            try:
                if op == "next":
                    next(g)
                elif op == "send":
                    g.send(which)
                elif op == "throw_value":
                    g.throw(ValueError("v"))
                elif op == "throw_key":
                    g.throw(KeyError("k"))
                else:
                    g.close()
            except (StopIteration, ValueError, KeyError, TypeError, RuntimeError):
                pass
        expected = [STATE[inspect.getgeneratorstate(g)] for g in gens]
        if drop:  # finalised by garbage collection while recording
            g = None
            gens.clear()
            expected = ["CLOSED"] * len(expected)
    return t, expected
'''
_STATE = {
    inspect.GEN_CREATED: "CREATED",
    inspect.GEN_SUSPENDED: "SUSPENDED",
    inspect.GEN_CLOSED: "CLOSED",
}
_ns = load(MACHINE)
_ns.update(inspect=inspect, STATE=_STATE)
STEPS = st.sampled_from(["yield", "catch", "finally", "ignore_exit", "raise", "return"])
OPS = st.sampled_from(["next", "send", "throw_value", "throw_key", "close"])


def check_legal(trace) -> None:
    states = {o.id: o.initial for o in trace.objects}
    kinds = {o.id: o.kind for o in trace.objects}
    for e in trace.events:
        states[e.obj] = next_state(kinds[e.obj], states[e.obj], e.kind)  # raises if illegal
    for o in trace.objects:
        if o.kind != "task":
            assert states[o.id] == o.state or (states[o.id] == "RUNNING" and o.state == "SUSPENDED")


def _random_drives_with(backend: str):
    # no explain phase: it holds the trace hook, which the 3.11 backend needs
    @settings(
        max_examples=150,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    )
    @given(
        plans=st.lists(st.lists(STEPS, max_size=6), min_size=1, max_size=3),
        ops=st.lists(st.tuples(st.integers(0, 2), OPS), max_size=14),
        drop=st.booleans(),
    )
    def test(plans, ops, drop):
        trace = functools.partial(asyncviz.trace, backend=backend)
        t, expected = _ns["drive"](plans, ops, drop, trace)
        check_legal(t)
        recorded = [o.state for o in t.objects if o.kind == "generator"]
        assert recorded == expected
        assert [o.label for o in t.objects] == [f"machine#{i + 1}" for i in range(len(plans))]
        assert t.meta["backend"] == backend

    return test


# one property test per backend (hypothesis and function-scoped fixtures do not mix)
for _backend in backend_names():
    globals()[f"test_random_drives_{_backend}"] = _random_drives_with(_backend)
