"""Exact event sequences for small programs, the same on every Python and backend.

Each expected list was derived by hand from what CPython does (and checked against
the record).  The same file runs on 3.11 (trace hook) and 3.12/3.13 (sys.monitoring), so
passing everywhere is the parity proof; on 3.12+ the trace-hook backend runs too.
"""

from __future__ import annotations

import sys

import pytest

from asyncviz.recording.backend import names as _backend_names

from corpus import PROGRAMS
from programs import normal_tasks, record, rename_tasks, states


EXPECTED: dict[str, list[str]] = {
    "unrecorded_task_coroutine": [
        "start|main#1",
        "create|sleep#1",
        "await|main#1|<Task 'Task@1' pending>|sleep#1",
        "return|sleep#1|'slept'",  # the task of an unrecorded sleep(): ends when it returns
        "resume|main#1|'slept'",
        "return|main#1|'slept'",
    ],
    "for_loop": [
        "create|g#1",
        "start|g#1",
        "yield|g#1|1",
        "resume|g#1|None",
        "yield|g#1|2",
        "resume|g#1|None",
        "return|g#1|None",
    ],
    "next_send": [
        "create|acc#1",
        "start|acc#1",
        "yield|acc#1|0",
        "resume|acc#1|5",
        "yield|acc#1|5",
        "resume|acc#1|10",
        "yield|acc#1|15",
        "close|acc#1",
    ],
    "throw_caught": [
        "create|g#1",
        "start|g#1",
        "yield|g#1|1",
        "throw|g#1|ValueError('x')",
        "yield|g#1|'caught'",
        "close|g#1",
    ],
    "throw_uncaught": [
        "create|g#1",
        "start|g#1",
        "yield|g#1|1",
        "throw|g#1|KeyError('k')",
        "raise|g#1|KeyError('k')",
    ],
    "close_suspended": [
        "create|g#1",
        "start|g#1",
        "yield|g#1|1",
        "close|g#1",
    ],
    "close_created": [
        "create|g#1",
        "close|g#1",
    ],
    "close_outside_try": [
        "create|g#1",
        "start|g#1",
        "yield|g#1|1",
        "close|g#1",
    ],
    "gc_finalised": [
        "create|g#1",
        "start|g#1",
        "yield|g#1|1",
        "close|g#1",
        "create|g#2",
        "close|g#2",
    ],
    "yield_from_chain": [
        "create|outer#1",
        "start|outer#1",
        "create|middle#1",
        "start|middle#1",
        "create|inner#1",
        "start|inner#1",
        "yield|inner#1|'i1'",
        "await|middle#1|'i1'|inner#1",
        "await|outer#1|'i1'|middle#1",
        "resume|outer#1",
        "resume|middle#1",
        "resume|inner#1|3",
        "yield|inner#1|3",
        "await|middle#1|3|inner#1",
        "await|outer#1|3|middle#1",
        "resume|outer#1|8",
        "resume|middle#1|4",
        "resume|inner#1|4",
        "return|inner#1|4",
        "return|middle#1|8",
        "return|outer#1|9",
    ],
    "round_robin": [
        "create|worker#1",
        "create|worker#2",
        "start|worker#1",
        "yield|worker#1|('a', 0, None)",
        "start|worker#2",
        "yield|worker#2|('b', 0, None)",
        "resume|worker#1|0",
        "yield|worker#1|('a', 1, 0)",
        "resume|worker#2|0",
        "return|worker#2|'b'",
        "resume|worker#1|10",
        "return|worker#1|'a'",
    ],
    "genexpr": [
        "start|<genexpr>#1",
        "yield|<genexpr>#1|0",
        "resume|<genexpr>#1",
        "yield|<genexpr>#1|1",
        "resume|<genexpr>#1",
        "yield|<genexpr>#1|4",
        "resume|<genexpr>#1",
        "return|<genexpr>#1|None",
    ],
    "raise_first": [
        "create|g#1",
        "start|g#1",
        "raise|g#1|ValueError('early')",
    ],
    "two_instances": [
        "create|g#1",
        "create|g#2",
        "start|g#2",
        "yield|g#2|2",
        "start|g#1",
        "yield|g#1|1",
        "close|g#1",
        "close|g#2",
    ],
    "return_value": [
        "create|g#1",
        "start|g#1",
        "yield|g#1|1",
        "resume|g#1|None",
        "return|g#1|'done'",
    ],
    "async_chain": [
        "start|main#1",
        "create|mid#1",
        "start|mid#1",
        "create|leaf#1",
        "start|leaf#1",
        "await|leaf#1|None",
        "await|mid#1|None|leaf#1",
        "await|main#1|None|mid#1",
        "resume|main#1|2",
        "resume|mid#1|1",
        "resume|leaf#1|None",
        "return|leaf#1|1",
        "return|mid#1|2",
        "return|main#1|2",
    ],
    "gather": [
        "start|main#1",
        "create|work#1",
        "create|work#2",
        "create|work#1 (task)",
        "create|work#2 (task)",
        "await|main#1|<_GatheringFuture pending>|gather(work#1, work#2)",
        "start|work#1",
        "await|work#1|None",
        "start|work#2",
        "await|work#2|None",
        "resume|work#1|None",
        "return|work#1|1",
        "return|work#1 (task)|1",
        "resume|work#2|None",
        "return|work#2|2",
        "return|work#2 (task)|2",
        "resume|main#1|[1, 2]",
        "return|main#1|[1, 2]",
    ],
    "queue": [
        "start|main#1",
        "create|producer#1",
        "create|producer",
        "create|consumer#1",
        "start|consumer#1",
        "await|consumer#1|<Future pending>|Queue.get()",
        "await|main#1|<Future pending>|consumer#1",
        "start|producer#1",
        "await|producer#1|<Future pending>|Queue.put()",
        "resume|main#1",
        "resume|consumer#1|0",
        "await|consumer#1|<Future pending>|Queue.get()",
        "await|main#1|<Future pending>|consumer#1",
        "resume|producer#1|None",
        "await|producer#1|<Future pending>|Queue.put()",
        "resume|main#1",
        "resume|consumer#1|1",
        "await|consumer#1|<Future pending>|Queue.get()",
        "await|main#1|<Future pending>|consumer#1",
        "resume|producer#1|None",
        "return|producer#1|None",
        "return|producer|None",
        "resume|main#1|[0, 1]",
        "resume|consumer#1|None",
        "return|consumer#1|[0, 1]",
        "return|main#1|[0, 1]",
    ],
    "timeout": [
        "start|main#1",
        "create|slow#1",
        "start|slow#1",
        "await|slow#1|<Future pending>|sleep(10) in timeout(0.01)",
        "await|main#1|<Future pending>|slow#1",
        # the timer fires: Timeout._on_timeout cancels the task it belongs to (root, main's
        # task), on its behalf; delivered at root's next step, into the innermost frame
        "cancel|root||root",
        "throw|slow#1|CancelledError()",
        "raise|slow#1|CancelledError()",
        "throw|main#1|CancelledError()",
        "return|main#1|'timeout'",
    ],
    "cancel": [
        "start|main#1",
        "create|sleeper#1",
        "create|sleeper",
        "await|main#1|None",
        "start|sleeper#1",
        "await|sleeper#1|<Future pending>|sleep(10)",
        "resume|main#1|None",
        "cancel|sleeper|'stop'|root",  # t.cancel("stop"), asked by main's task, when called
        "await|main#1|<Task 'sleeper' pending>|sleeper",
        "throw|sleeper#1|CancelledError('stop')",  # delivered at sleeper's next step
        "raise|sleeper#1|CancelledError('stop')",
        "raise|sleeper|CancelledError('stop')",
        "throw|main#1|CancelledError('stop')",
        "return|main#1|True",
    ],
    "taskgroup_failure": [
        "start|main#1",
        "create|sibling#1",
        "create|a",
        "create|failing#1",
        "create|bad",
        "await|main#1|<Future pending>|TaskGroup(a, bad)",  # TaskGroup.__aexit__ waits for them
        "start|sibling#1",
        "await|sibling#1|<Future pending>|sleep(10)",
        "start|failing#1",
        "await|failing#1|None",
        "resume|failing#1|None",
        "raise|failing#1|ValueError('boom')",
        "raise|bad|ValueError('boom')",
        # its done callback (TaskGroup._on_task_done) aborts the group: the sibling, then
        # the parent task, both on behalf of the child that failed
        "cancel|a||bad",
        "cancel|root||bad",
        "throw|sibling#1|CancelledError()",  # each delivered later, at its next step
        "raise|sibling#1|CancelledError()",
        "raise|a|CancelledError()",
        # root's delivery lands in TaskGroup.__aexit__ (not recorded), which handles it
        # and waits for `a` to be done; main goes on with the group's ExceptionGroup
        "resume|main#1",
        "return|main#1|(ValueError('boom'),)",
    ],
    "wait_for_timeout": [
        "start|main#1",
        "create|slow#1",
        "start|slow#1",  # 3.12+: wait_for awaits the coroutine itself, in a timeout()
        "await|slow#1|<Future pending>|sleep(10) in timeout(0.01)",
        "await|main#1|<Future pending>|sleep(10) in timeout(0.01)",
        "cancel|root||root",  # the timeout, for its owner
        "throw|slow#1|CancelledError()",
        "raise|slow#1|CancelledError()",
        "throw|main#1|TimeoutError()",  # the timeout's exit turned it into a TimeoutError
        "return|main#1|'timeout'",
    ],
    "gather_cancel": [
        "start|main#1",
        "create|job#1",
        "create|job#2",
        "create|job#1 (task)",  # gather() wraps each coroutine in a task
        "create|job#2 (task)",
        "await|main#1|None",
        "start|job#1",
        "await|job#1|<Future pending>|sleep(10)",
        "start|job#2",
        "await|job#2|<Future pending>|sleep(10)",
        "resume|main#1|None",
        # g.cancel("enough"): the gather (awaited by nobody yet: not traced) cancels its
        # children with the message, inside main's step: asked by main's task
        "cancel|job#1 (task)|'enough'|root",
        "cancel|job#2 (task)|'enough'|root",
        "await|main#1|<_GatheringFuture pending>|gather(job#1, job#2)",
        "throw|job#1|CancelledError('enough')",
        "raise|job#1|CancelledError('enough')",
        "raise|job#1 (task)|CancelledError('enough')",
        "throw|job#2|CancelledError('enough')",
        "raise|job#2|CancelledError('enough')",
        "raise|job#2 (task)|CancelledError('enough')",
        # the gather's cancellation passing through to main: nobody asked main's task
        "throw|main#1|CancelledError('enough')",
        "return|main#1|('enough',)",
    ],
    "future_cancel": [
        "start|main#1",
        "create|waiter#1",
        "create|waiter#1 (task)",
        "await|main#1|None",
        "start|waiter#1",
        "await|waiter#1|<Future pending>|Future#1 (line 5)",
        "resume|main#1|None",
        "cancel|Future#1 (line 5)||root",  # fut.cancel(): a future a traced coroutine awaits
        "await|main#1|<Task 'Task@1' pending>|waiter#1 (task)",
        "throw|waiter#1|CancelledError()",  # the future's cancellation, not waiter's own
        "return|waiter#1|'cancelled'",
        "return|waiter#1 (task)|'cancelled'",
        "resume|main#1|'cancelled'",
        "return|main#1|'cancelled'",
    ],
    "taskgroup": [
        "start|main#1",
        "create|job#1",
        "create|a",
        "create|job#2",
        "create|b",
        "await|main#1|<Future pending>|TaskGroup(a, b)",
        "start|job#1",
        "await|job#1|None",
        "start|job#2",
        "await|job#2|None",
        "resume|job#1|None",
        "return|job#1|1",
        "return|a|1",
        "resume|job#2|None",
        "return|job#2|2",
        "return|b|2",
        "resume|main#1",
        "return|main#1|3",
    ],
    "async_for": [
        "start|main#1",
        "create|ticks#1",
        "start|ticks#1",
        "await|ticks#1|None",
        "await|main#1|None|ticks#1",
        "resume|main#1|0",
        "resume|ticks#1|None",
        "yield|ticks#1|0",
        "resume|ticks#1|None",
        "await|ticks#1|None",
        "await|main#1|None|ticks#1",
        "resume|main#1|1",
        "resume|ticks#1|None",
        "yield|ticks#1|1",
        "resume|ticks#1|None",
        "return|ticks#1|None",
        "return|main#1|[0, 1]",
    ],
    "asend_athrow_aclose": [
        "start|main#1",
        "create|agen#1",
        "start|agen#1",
        "yield|agen#1|1",
        "resume|agen#1|'hi'",
        "yield|agen#1|'hi'",
        "throw|agen#1|ValueError('v')",
        "yield|agen#1|'caught'",
        "close|agen#1",
        "return|main#1|[1, 'hi', 'caught']",
    ],
    "eager_task": [
        "start|main#1",
        "create|quick#1",
        "create|quick",
        "start|quick#1",
        "return|quick#1|7",
        "return|quick|7",  # the eager task ends in create_task, with its coroutine
        "return|main#1|(True, 7)",
    ],
    "future": [
        "start|main#1",
        "await|main#1|<Future pending>|Future#1 (line 7)",
        "resume|main#1|'ready'",
        "return|main#1|'ready'",
    ],
    "types_coroutine": [
        "create|main_#1",
        "start|main_#1",
        "create|legacy#1",
        "start|legacy#1",
        "yield|legacy#1|'tick'",
        "await|main_#1|'tick'|legacy#1",
        "resume|main_#1|'tock'",
        "resume|legacy#1|'tock'",
        "return|legacy#1|'tock'",
        "return|main_#1|'tock'",
    ],
    "async_with": [
        "start|main#1",
        "start|__aenter__#1",
        "await|__aenter__#1|None",
        "await|main#1|None|__aenter__#1",
        "resume|main#1|'res'",
        "resume|__aenter__#1|None",
        "return|__aenter__#1|'res'",
        "start|__aexit__#1",
        "await|__aexit__#1|None",
        "await|main#1|None|__aexit__#1",
        "resume|main#1",
        "resume|__aexit__#1|None",
        "return|__aexit__#1|None",
        "return|main#1|'res'",
    ],
    "nested_creation": [
        "create|parent#1",
        "start|parent#1",
        "create|child#1",
        "start|child#1",
        "yield|child#1|'c'",
        "yield|parent#1|'c'",
        "resume|parent#1|None",
        "return|parent#1|None",
        "close|child#1",
    ],
    "async_gen_closed_early": [
        "start|main#1",
        "create|count#1",
        "start|count#1",
        "yield|count#1|0",
        "resume|count#1|None",
        "yield|count#1|1",
        "close|count#1",
        "return|main#1|[0, 1]",
    ],
}

FINAL_STATES: dict[str, dict[str, str]] = {
    "unrecorded_task_coroutine": {"root": "SUSPENDED", "main#1": "CLOSED", "sleep#1": "CLOSED"},
    "for_loop": {"g#1": "CLOSED"},
    "next_send": {"acc#1": "CLOSED"},
    "throw_caught": {"g#1": "CLOSED"},
    "throw_uncaught": {"g#1": "CLOSED"},
    "close_suspended": {"g#1": "CLOSED"},
    "close_created": {"g#1": "CLOSED"},
    "close_outside_try": {"g#1": "CLOSED"},
    "gc_finalised": {"g#1": "CLOSED", "g#2": "CLOSED"},
    "yield_from_chain": {"outer#1": "CLOSED", "middle#1": "CLOSED", "inner#1": "CLOSED"},
    "round_robin": {"worker#1": "CLOSED", "worker#2": "CLOSED"},
    "genexpr": {"<genexpr>#1": "CLOSED"},
    "raise_first": {"g#1": "CLOSED"},
    "two_instances": {"g#1": "CLOSED", "g#2": "CLOSED"},
    "return_value": {"g#1": "CLOSED"},
    "async_chain": {"root": "SUSPENDED", "main#1": "CLOSED", "mid#1": "CLOSED", "leaf#1": "CLOSED"},
    "gather": {
        "root": "SUSPENDED",
        "main#1": "CLOSED",
        "work#1": "CLOSED",
        "work#2": "CLOSED",
        "work#1 (task)": "CLOSED",
        "work#2 (task)": "CLOSED",
        "gather(work#1, work#2)": "CLOSED",
    },
    "queue": {
        "root": "SUSPENDED",
        "main#1": "CLOSED",
        "producer#1": "CLOSED",
        "producer": "CLOSED",
        "consumer#1": "CLOSED",
        "Queue.get()": "CLOSED",  # three waits of one label
        "Queue.put()": "CLOSED",
    },
    "timeout": {
        "root": "SUSPENDED",
        "main#1": "CLOSED",
        "slow#1": "CLOSED",
        "sleep(10) in timeout(0.01)": "CLOSED",
    },
    "cancel": {
        "root": "SUSPENDED",
        "main#1": "CLOSED",
        "sleeper#1": "CLOSED",
        "sleeper": "CLOSED",
        "sleep(10)": "CLOSED",
    },
    "taskgroup_failure": {
        "root": "SUSPENDED",
        "main#1": "CLOSED",
        "sibling#1": "CLOSED",
        "a": "CLOSED",
        "failing#1": "CLOSED",
        "bad": "CLOSED",
        "TaskGroup(a, bad)": "CLOSED",
        "sleep(10)": "CLOSED",
    },
    "wait_for_timeout": {
        "root": "SUSPENDED",
        "main#1": "CLOSED",
        "slow#1": "CLOSED",
        "sleep(10) in timeout(0.01)": "CLOSED",
    },
    "gather_cancel": {
        "root": "SUSPENDED",
        "main#1": "CLOSED",
        "job#1": "CLOSED",
        "job#2": "CLOSED",
        "job#1 (task)": "CLOSED",
        "job#2 (task)": "CLOSED",
        "sleep(10)": "CLOSED",
        "gather(job#1, job#2)": "CLOSED",
    },
    "future_cancel": {
        "root": "SUSPENDED",
        "main#1": "CLOSED",
        "waiter#1": "CLOSED",
        "waiter#1 (task)": "CLOSED",
        "Future#1 (line 5)": "CLOSED",
    },
    "taskgroup": {
        "root": "SUSPENDED",
        "main#1": "CLOSED",
        "job#1": "CLOSED",
        "a": "CLOSED",
        "job#2": "CLOSED",
        "b": "CLOSED",
        "TaskGroup(a, b)": "CLOSED",
    },
    "async_for": {"root": "SUSPENDED", "main#1": "CLOSED", "ticks#1": "CLOSED"},
    "asend_athrow_aclose": {"root": "SUSPENDED", "main#1": "CLOSED", "agen#1": "CLOSED"},
    "eager_task": {"root": "SUSPENDED", "main#1": "CLOSED", "quick#1": "CLOSED", "quick": "CLOSED"},
    "future": {"root": "SUSPENDED", "main#1": "CLOSED", "Future#1 (line 7)": "CLOSED"},
    "types_coroutine": {"main_#1": "CLOSED", "legacy#1": "CLOSED"},
    "async_with": {
        "root": "SUSPENDED",
        "main#1": "CLOSED",
        "__aenter__#1": "CLOSED",
        "__aexit__#1": "CLOSED",
    },
    "nested_creation": {"parent#1": "CLOSED", "child#1": "CLOSED"},
    "async_gen_closed_early": {"root": "SUSPENDED", "main#1": "CLOSED", "count#1": "CLOSED"},
}


# Python 3.11 has no sys.monitoring CALL events: what differs there, and why.
EXPECTED_311: dict[str, list[str]] = {
    # a cancel() called by the program's own code is seen only when it is delivered:
    # recorded then, just before its throw, with no requester
    "cancel": [
        "start|main#1",
        "create|sleeper#1",
        "create|sleeper",
        "await|main#1|None",
        "start|sleeper#1",
        "await|sleeper#1|<Future pending>|sleep(10)",
        "resume|main#1|None",
        "await|main#1|<Task 'sleeper' pending>|sleeper",
        "cancel|sleeper|'stop'",
        "throw|sleeper#1|CancelledError('stop')",
        "raise|sleeper#1|CancelledError('stop')",
        "raise|sleeper|CancelledError('stop')",
        "throw|main#1|CancelledError('stop')",
        "return|main#1|True",
    ],
    # wait_for wraps the coroutine in a task and, when the time is up, cancels that
    # task from main's own step (tasks._cancel_and_wait, watched): asked by main's task
    "wait_for_timeout": [
        "start|main#1",
        "create|slow#1",
        "create|slow#1 (task)",
        "await|main#1|<Future pending>|wait_for(slow#1, 0.01)",
        "start|slow#1",
        "await|slow#1|<Future pending>|sleep(10)",
        "resume|main#1",  # the timer released wait_for's waiter
        "cancel|slow#1 (task)||root",
        "await|main#1|<Future pending>|wait_for(slow#1, 0.01)",  # until the task is done
        "throw|slow#1|CancelledError()",
        "raise|slow#1|CancelledError()",
        "raise|slow#1 (task)|CancelledError()",
        "resume|main#1",
        "return|main#1|'timeout'",
    ],
    # a fut.cancel() by the program's own code is not seen on 3.11 (nor delivered to a task)
    "future_cancel": [line for line in EXPECTED["future_cancel"] if not line.startswith("cancel|")],
}
FINAL_STATES_311: dict[str, dict[str, str]] = {
    "wait_for_timeout": {
        "root": "SUSPENDED",
        "main#1": "CLOSED",
        "slow#1": "CLOSED",
        "slow#1 (task)": "CLOSED",
        "wait_for(slow#1, 0.01)": "CLOSED",  # its waiter, then the wait for the cancel
        "sleep(10)": "CLOSED",
    },
}
OLD = sys.version_info < (3, 12)

BACKENDS = _backend_names()


def _applicable(name: str) -> bool:
    return name != "eager_task" or sys.version_info >= (3, 12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_exact_sequence(name, backend):
    if not _applicable(name):
        pytest.skip("eager tasks are new in 3.12")
    trace, ns = record(PROGRAMS[name], backend=backend)
    got, labels = normal_tasks(trace)
    assert got == (EXPECTED_311.get(name, EXPECTED[name]) if OLD else EXPECTED[name])
    final = {rename_tasks(k, labels): v for k, v in states(trace).items()}
    assert final == (FINAL_STATES_311.get(name, FINAL_STATES[name]) if OLD else FINAL_STATES[name])
    assert trace.meta["backend"] == backend
    assert not trace.truncated


def test_corpus_covers_every_kind():
    kinds = {line.split("|")[0] for lines in EXPECTED.values() for line in lines}
    assert kinds == {
        "create",
        "start",
        "resume",
        "throw",
        "yield",
        "await",
        "return",
        "raise",
        "close",
        "cancel",
    }
    assert len(PROGRAMS) >= 25
