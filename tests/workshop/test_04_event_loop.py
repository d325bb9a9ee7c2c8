"""Notebook 4 (The event loop) teaches what its traces must show: asyncio.run and
run_until_complete drive a coroutine in a task and hand its return value back; awaiting a
coroutine runs it at once, inside the caller, while a task starts only after its creator
pauses; create_task only schedules (awaiting coroutines that never pause lets nobody in);
TaskGroup and gather members all start before any ends; a queue hands the producer's items
to two consumers in order; a timeout cancels the waiting task; a task's cancel is requested
before it is delivered (a throw of CancelledError at the task's next step), and the task
can clean up or refuse.  Checked on the traces the notebook's cells bind."""

from __future__ import annotations

import sys

import pytest

from .harness import executed

pytestmark = pytest.mark.kernel

NOTEBOOK = "04_event_loop"
MS = 1_000_000  # ns


def of(trace, name: str, kind: str = "coroutine") -> list:
    """The objects of function `name` (by qualified name's last part) and kind, in order."""
    return [o for o in trace.objects if o.kind == kind and o.name.split(".")[-1] == name]


def only(trace, name: str, kind: str = "coroutine"):
    found = of(trace, name, kind)
    assert len(found) == 1, f"expected one {kind} {name}, found {[o.label for o in found]}"
    return found[0]


def task_named(trace, name: str):
    """The task the program named `name` (asyncio's name, kept in Traced.name)."""
    found = [o for o in trace.objects if o.kind == "task" and o.name == name]
    assert len(found) == 1, f"expected one task named {name!r}, found {len(found)}"
    return found[0]


def steps(trace, obj) -> list[tuple[str, str | None]]:
    return [(e.kind, e.value) for e in trace.events if e.obj == obj.id]


def where(trace, obj, kind: str, nth: int = 0) -> int:
    """Position in the trace of obj's nth event of `kind`."""
    found = [i for i, e in enumerate(trace.events) if e.obj == obj.id and e.kind == kind]
    assert len(found) > nth, f"{obj.label} has no {kind} event #{nth}"
    return found[nth]


def event(trace, obj, kind: str, nth: int = 0):
    return trace.events[where(trace, obj, kind, nth)]


def task_returns(trace) -> list[str | None]:
    return [
        e.value for e in trace.events if e.kind == "return" and trace.object(e.obj).kind == "task"
    ]


def test_every_traced_cell_is_named():
    assert executed(NOTEBOOK).names() == sorted(
        [
            "bridge",
            "await_coroutine",
            "await_task",
            "schedule",
            "taskgroup",
            "gather",
            "queue",
            "timeout",
            "cancel",
            "exercise_deadline",
        ]
    )


def test_asyncio_run_and_run_until_complete_bridge_to_the_coroutines_result():
    t = executed(NOTEBOOK).trace("bridge")
    main = only(t, "main")
    first, second = of(t, "double")
    # asyncio.run: main pauses on the sleep (the loop idles), then awaits double, returns 42
    assert steps(t, first)[-1] == ("return", "42")
    assert steps(t, main)[-1] == ("return", "42")
    paused = event(t, main, "resume").t - event(t, main, "await").t
    assert paused >= 40 * MS, f"main paused only {paused / MS:.1f} ms on sleep(0.05)"
    assert any(b - a >= 25 * MS for a, b in t.idle), "the loop did not idle during the sleep"
    # run_until_complete: double(6) in one step, the result handed back through its task
    assert steps(t, second) == [("create", None), ("start", None), ("return", "12")]
    # each call ran its coroutine as a task, and the task ended with the coroutine's value
    assert "42" in task_returns(t) and "12" in task_returns(t)


def test_awaiting_a_coroutine_runs_it_at_once_inside_the_caller():
    t = executed(NOTEBOOK).trace("await_coroutine")
    caller = only(t, "await_a_coroutine")
    child = only(t, "child")
    # the child starts while the caller runs, before the caller's first pause ...
    assert where(t, caller, "start") < where(t, child, "start") < where(t, caller, "await")
    # ... which is its await on the child itself; no task is made for it
    assert event(t, caller, "await").target == child.id
    assert not [e for e in t.events if e.kind == "create" and t.object(e.obj).kind == "task"]
    assert steps(t, child)[-1] == ("return", "'coroutine'")


def test_a_task_starts_only_after_its_creator_pauses():
    t = executed(NOTEBOOK).trace("await_task")
    creator = only(t, "await_a_task")
    child = only(t, "child")
    made = [e for e in t.events if e.kind == "create" and t.object(e.obj).kind == "task"]
    assert len(made) == 1
    task = made[0].obj
    # made while the creator runs, but not started until the creator pauses on it
    pause = event(t, creator, "await")
    assert pause.target == task
    made_at = next(i for i, e in enumerate(t.events) if e == made[0])
    assert where(t, creator, "start") < made_at < where(t, creator, "await")
    assert where(t, creator, "await") < where(t, child, "start")
    assert steps(t, child)[-1] == ("return", "'task'")
    assert steps(t, creator)[-2] == ("resume", "'task'")  # the await of the task gave its result


def test_create_task_only_schedules_and_awaiting_coroutines_lets_nobody_in():
    t = executed(NOTEBOOK).trace("schedule")
    main = only(t, "main")
    announce = only(t, "announce")
    doubles = of(t, "double")
    assert [steps(t, d) for d in doubles] == [
        [("create", None), ("start", None), ("return", "12")],
        [("create", None), ("start", None), ("return", "14")],
    ]
    # the task's coroutine was made first, but starts after both doubles returned and
    # after main's first pause (its await of sleep(0))
    assert where(t, announce, "create") < where(t, doubles[0], "create")
    first_pause = where(t, main, "await")
    assert max(where(t, d, "return") for d in doubles) < first_pause < where(t, announce, "start")
    assert where(t, announce, "return") < where(t, main, "resume")


def test_taskgroup_and_gather_members_all_start_before_any_ends():
    t = executed(NOTEBOOK).trace("taskgroup")
    fetches = of(t, "fetch")
    assert len(fetches) == 3
    assert {task_named(t, f"fetch {n}").kind for n in "abc"} == {"task"}
    starts = [where(t, f, "start") for f in fetches]
    ends = [where(t, f, "return") for f in fetches]
    assert max(starts) < min(ends), "the three waits did not overlap"
    assert sorted(event(t, f, "return").value for f in fetches) == [
        "'a done'",
        "'b done'",
        "'c done'",
    ]
    # the waits overlapped: b (0.2 s) ends at least 50 ms after a and c (0.1 s)
    by_value = {event(t, f, "return").value: event(t, f, "return").t for f in fetches}
    assert by_value["'b done'"] - max(by_value["'a done'"], by_value["'c done'"]) >= 50 * MS

    t = executed(NOTEBOOK).trace("gather")
    slow, quick = of(t, "fetch")  # in argument order
    assert max(where(t, slow, "start"), where(t, quick, "start")) < min(
        where(t, slow, "return"), where(t, quick, "return")
    )
    assert event(t, slow, "return").value == "'slow done'"
    assert event(t, quick, "return").value == "'quick done'"
    assert where(t, quick, "return") < where(t, slow, "return")


def test_queue_passes_the_items_in_order_to_two_consumers_in_turn():
    t = executed(NOTEBOOK).trace("queue")
    producer = only(t, "producer")
    consumers = of(t, "consumer")
    assert len(consumers) == 2
    ids = {c.id: i for i, c in enumerate(consumers)}
    # the value a consumer resumes with from queue.get() is the item it received
    received = [
        (ids[e.obj], e.value)
        for e in t.events
        if e.obj in ids and e.kind == "resume" and e.value not in (None, "None")
    ]
    assert [v for _, v in received] == [str(i) for i in range(6)]
    # the consumer that waited longest gets the next item: they take turns
    assert [c for c, _ in received] == [0, 1, 0, 1, 0, 1]
    assert steps(t, consumers[0])[-1] == ("return", "[0, 2, 4]")
    assert steps(t, consumers[1])[-1] == ("return", "[1, 3, 5]")
    assert steps(t, producer)[-1][0] == "return"
    assert {task_named(t, n).kind for n in ("producer", "consumer 1", "consumer 2")} == {"task"}


def test_a_timeout_cancels_the_waiting_task():
    t = executed(NOTEBOOK).trace("timeout")
    deadline = task_named(t, "deadline")
    first, second = of(t, "slow_call")
    outer = only(t, "with_a_deadline")
    cancels = [i for i, e in enumerate(t.events) if e.kind == "cancel" and e.obj == deadline.id]
    assert len(cancels) == 1
    # not before the deadline: the sleep had been waiting for at least 80 ms
    assert t.events[cancels[0]].t - event(t, first, "await").t >= 80 * MS
    # delivered as a throw into the coroutine at its await, which raises it on ...
    assert t.events[cancels[0]].t <= event(t, first, "throw").t
    assert steps(t, first)[-2:] == [("throw", "CancelledError()"), ("raise", "CancelledError()")]
    # ... and the timeout block turned it into a TimeoutError the coroutine caught
    assert ("throw", "CancelledError()") in steps(t, outer)
    assert steps(t, outer)[-1] == ("return", "'gave up after 0.1 s'")
    # the requester of a timeout's cancel is the task that owns the timeout
    requester = t.events[cancels[0]].target
    assert requester is None or requester == deadline.id
    # wait_for cancelled the second call the same way, at least 80 ms after it began waiting
    assert steps(t, second)[-2:] == [("throw", "CancelledError()"), ("raise", "CancelledError()")]
    assert event(t, second, "throw").t - event(t, second, "await").t >= 80 * MS


def test_cancel_is_a_request_delivered_at_the_tasks_next_step():
    t = executed(NOTEBOOK).trace("cancel")
    polite, refuser = task_named(t, "polite"), task_named(t, "refuser")
    slow, stubborn = only(t, "slow_call"), only(t, "stubborn")
    cell = [o for o in t.objects if o.label == "cell"]
    assert len(cell) == 1, "the cell is one object labelled cell"
    cell = cell[0]
    # the cell's step that calls cancel() and then blocks for 50 ms: its second one
    busy_from, busy_to = event(t, cell, "resume"), where(t, cell, "await", 1)
    for task, coro in ((polite, slow), (refuser, stubborn)):
        requests = [i for i, e in enumerate(t.events) if e.kind == "cancel" and e.obj == task.id]
        assert len(requests) == 1, f"{task.label}: {len(requests)} cancel events"
        request, delivery = t.events[requests[0]], event(t, coro, "throw")
        assert delivery.value == "CancelledError()"
        # the request comes first; the delivery is the task's next step, which comes only
        # when the cell, having blocked the loop for 50 ms, pauses
        assert requests[0] < where(t, coro, "throw"), f"{task.label}: cancel after its throw"
        assert busy_to < where(t, coro, "throw")
        assert delivery.t - busy_from.t >= 30 * MS, f"{task.label}: delivered with the request"
        if sys.version_info >= (3, 12):
            # 3.12+: the cancel() call itself is recorded, in the cell's step, with the cell
            # as the requester (3.11 cannot see a program's own cancel() of a C task and
            # records it at the delivery, requester unknown)
            assert delivery.t - request.t >= 30 * MS, f"{task.label}: request at the delivery"
            assert request.target == cell.id
    # polite: cleans up and lets the CancelledError end the task
    assert steps(t, slow)[-2:] == [("throw", "CancelledError()"), ("raise", "CancelledError()")]
    assert steps(t, polite)[-1] == ("raise", "CancelledError()")
    # refuser: catches it and returns normally
    assert steps(t, stubborn)[-2:] == [
        ("throw", "CancelledError()"),
        ("return", "'finished anyway'"),
    ]
    assert steps(t, refuser)[-1] == ("return", "'finished anyway'")
