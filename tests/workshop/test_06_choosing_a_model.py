"""Notebook 6 (Async generators and choosing a model) teaches what its traces must show:
an async generator is one object of its own kind whose yields come out in order, ending in
a return under `async for` and in a close (its finally run) under `aclose()`; an async
context manager awaits its entry, pauses while the block runs, then awaits its exit; a
check-then-act with an `await` in between interleaves at that await and loses an update,
the same code without it runs each check-and-act as one step; threads lose updates with
no await at all (a fact of results: their steps are not recorded); an imperative shell
crosses into async with one `asyncio.run`, whose task owns the core's tasks.  Checked on
the traces the notebook's cells bind, by function name and event kind."""

from __future__ import annotations

import pytest

from .harness import executed

pytestmark = pytest.mark.kernel

NOTEBOOK = "06_choosing_a_model"


def of(trace, name: str, kind: str) -> list:
    """The objects of function `name` and `kind`, in the order they were first seen."""
    return [o for o in trace.objects if o.name == name and o.kind == kind]


def only(trace, name: str, kind: str):
    found = of(trace, name, kind)
    assert len(found) == 1, f"expected one {kind} {name}, found {[o.label for o in found]}"
    return found[0]


def steps(trace, obj) -> list[tuple[str, str | None]]:
    """(kind, value) of each of obj's events, in order (its create left out: an object made
    before the trace started has none)."""
    return [(e.kind, e.value) for e in trace.events if e.obj == obj.id and e.kind != "create"]


def first(trace, obj, kind: str, value: str | None = ...) -> int:
    """Index in trace.events of obj's first event of `kind` (and `value`, if given)."""
    for i, e in enumerate(trace.events):
        if e.obj == obj.id and e.kind == kind and (value is ... or e.value == value):
            return i
    raise AssertionError(f"{obj.label} has no {kind} event" + ("" if value is ... else f" {value}"))


def returned(trace, obj) -> str | None:
    ends = [e.value for e in trace.events if e.obj == obj.id and e.kind == "return"]
    assert len(ends) == 1, f"{obj.label} returned {len(ends)} times"
    return ends[0]


def test_every_traced_cell_is_named():
    assert executed(NOTEBOOK).names() == sorted(
        [
            "countdown_loop",
            "countdown_by_hand",
            "db_session",
            "await_race",
            "no_await",
            "thread_race",
            "shell",
        ]
    )


def test_async_for_drives_one_async_generator_that_awaits_yields_in_order_and_returns():
    t = executed(NOTEBOOK).trace("countdown_loop")
    ag = only(t, "countdown", "async_generator")
    assert not [o for o in t.objects if o.name == "countdown" and o is not ag]
    seen = steps(t, ag)
    assert seen[0] == ("start", None)
    assert [v for k, v in seen if k == "yield"] == ["3", "2", "1"]
    # each value came after a wait of its own: await, then the yield, three rounds
    assert [k for k, _ in seen if k in ("await", "yield")] == ["await", "yield"] * 3
    # the fourth __anext__ resumes it and it runs off its end (the finally): a return
    assert seen[-2][0] == "resume" and seen[-1][0] == "return"
    assert not [k for k, _ in seen if k in ("close", "raise", "throw")]
    assert ag.state == "CLOSED"


def test_by_hand_anext_asend_and_aclose_close_it_at_the_paused_yield():
    t = executed(NOTEBOOK).trace("countdown_by_hand")
    ag = only(t, "countdown", "async_generator")
    seen = steps(t, ag)
    assert [v for k, v in seen if k == "yield"] == ["5", "4"]
    # asend("hello") resumed the yield that gave 5, and the value is recorded
    assert seen.index(("resume", "'hello'")) == seen.index(("yield", "5")) + 1
    # aclose() at the yield that gave 4: closed there, no return, nothing after
    assert seen[-2:] == [("yield", "4"), ("close", None)]
    assert "return" not in [k for k, _ in seen]
    assert ag.state == "CLOSED"


def test_async_with_awaits_its_entry_then_the_block_runs_then_it_awaits_its_exit():
    t = executed(NOTEBOOK).trace("db_session")
    cm = only(t, "connection", "async_generator")
    opening = only(t, "open_connection", "coroutine")
    block = only(t, "query", "coroutine")
    closing = only(t, "close_connection", "coroutine")
    order = [
        first(t, cm, "start"),
        first(t, opening, "start"),
        first(t, opening, "return"),
        first(t, cm, "yield"),
        first(t, block, "start"),
        first(t, block, "return"),
        first(t, closing, "start"),
        first(t, closing, "return"),
        first(t, cm, "return"),
    ]
    assert order == sorted(order), order
    # the manager's own suspensions: await (entry), yield (the block), await (exit)
    assert [k for k, _ in steps(t, cm) if k in ("await", "yield", "return")] == [
        "await",
        "yield",
        "await",
        "return",
    ]
    awaited = [e.target for e in t.events if e.obj == cm.id and e.kind == "await"]
    assert awaited == [opening.id, closing.id]
    # the yielded value is what `as` bound: the connection open_connection returned
    assert dict(steps(t, cm))["yield"] == returned(t, opening)
    assert "answered 'SELECT 42'" in (returned(t, block) or "")


def test_an_await_between_check_and_act_interleaves_the_two_and_loses_an_update():
    t = executed(NOTEBOOK).trace("await_race")
    a, b = of(t, "withdraw", "coroutine")
    # both checked (ran up to their await) before either acted (resumed and wrote)
    assert first(t, a, "start") < first(t, a, "await") < first(t, b, "start")
    assert first(t, b, "await") < min(first(t, a, "resume"), first(t, b, "resume"))
    # each acted on the balance it read before the other wrote: both wrote 70
    for w in (a, b):
        assert [k for k, _ in steps(t, w)] == ["start", "await", "resume", "return"]
        assert returned(t, w) == "70"
    assert returned(t, only(t, "two_withdrawals", "coroutine")) == "70"


def test_without_the_await_each_check_and_act_is_one_step_and_nothing_is_lost():
    t = executed(NOTEBOOK).trace("no_await")
    a, b = of(t, "withdraw_now", "coroutine")
    for w in (a, b):
        assert [k for k, _ in steps(t, w)] == ["start", "return"]
    # one after the other: the second starts after the first has returned
    assert first(t, a, "return") < first(t, b, "start")
    between = t.events[first(t, a, "start") + 1 : first(t, a, "return")]
    assert not [e for e in between if e.obj == b.id]
    assert sorted(returned(t, w) for w in (a, b)) == ["40", "70"]
    assert returned(t, only(t, "two_withdrawals_now", "coroutine")) == "40"


def test_threads_lose_updates_with_no_await_and_their_steps_are_not_recorded():
    t = executed(NOTEBOOK).trace("thread_race")
    runs = of(t, "thread_race", "coroutine")
    assert len(runs) == 3
    balances = [int(returned(t, r) or "") for r in runs]
    assert all(0 < b <= 600_000 for b in balances), balances
    # the race is not certain in every run, but three clean runs in a row would mean the
    # notebook no longer shows it (measured: no clean run in 90 at this size, 3.11-3.13)
    assert min(balances) < 600_000, balances
    # what ran in the worker threads left no events: only the coroutines and the tasks
    assert not [o for o in t.objects if o.name in ("deposit_many", "audit")]


def test_the_imperative_shell_crosses_into_async_once_and_its_task_owns_the_core_tasks():
    t = executed(NOTEBOOK).trace("shell")
    # the shell: the cell's ordinary code (report is a plain function) is the only root
    roots = [o for o in t.objects if o.parent is None and o.kind != "future"]
    assert len(roots) == 1, [o.label for o in roots]
    shell = roots[0]
    tasks = [o for o in t.objects if o.kind == "task"]
    # one asyncio.run: one task made from the shell runs the program's code, the core's
    # entry point (any other is asyncio.run's own cleanup, whose code is asyncio's)
    edge = [o for o in tasks if o.parent == shell.id and o.coro is not None]
    assert len(edge) == 1, [o.label for o in edge]
    main = edge[0]
    core = only(t, "check_all", "coroutine")
    assert main.coro == core.id
    checks = of(t, "check", "coroutine")
    assert len(checks) == 3
    # every other task running the program's code is the core's, made by its TaskGroup
    children = [o for o in tasks if o.coro is not None and o is not main]
    assert sorted(o.coro for o in children) == sorted(c.id for c in checks)
    assert all(o.parent == main.id for o in children)
    # the three checks wait at the same time: every one started before any finished
    assert max(first(t, c, "start") for c in checks) < min(first(t, c, "return") for c in checks)
    assert returned(t, core) == "['python.org: ok', 'example.com: ok', 'pypi.org: ok']"
    assert returned(t, main) == returned(t, core)
