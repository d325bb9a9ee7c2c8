"""Tasks the native core makes alone (csrc/tasks.c: create_task called by a recorded
coroutine of a known task, for a coroutine in scope not yet started): the same records,
ids, labels, names and states as the registry gives, in both cores, interleaved with the
objects the registry makes; and the registry's Python is not called per task."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import sys
import weakref

import pytest

import asyncviz
from asyncviz.recording import backend, tasks
from .test_backends import _record

from . import taskprograms

NATIVE = backend.native_problem() is None
needs_native = pytest.mark.skipif(not NATIVE, reason=f"native core: {backend.native_problem()}")


def run(coro_fn, name: str | None, *args):
    with asyncviz.trace(backend=name, exclude=[__file__]) as t:
        result = asyncio.run(coro_fn(*args))
    return t, result


def task_rows(trace) -> list[tuple]:
    """(label, name, state, coroutine label or '-') of every task."""
    return [
        (
            o.label,
            o.name if not o.name.startswith("Task-") else "Task-N",
            o.state,
            trace.objects[o.coro].label if o.coro is not None else "-",
        )
        for o in trace.objects
        if o.kind == "task"
    ]


PROGRAMS = ["mixed", "many"] + (["eager"] if sys.version_info >= (3, 12) else [])


@needs_native
@pytest.mark.parametrize("program", PROGRAMS)
def test_native_and_python_cores_agree(program):
    fn = getattr(taskprograms, program)
    args = (30,) if program == "many" else ()
    (a, ra), (b, rb) = run(fn, "native", *args), run(fn, "python", *args)
    untraced = asyncio.run(fn(*args))
    assert ra == rb == untraced
    assert _record(a) == _record(b)


@pytest.mark.usefixtures("each_backend")
def test_tasks_among_objects_the_registry_makes():
    t, result = run(taskprograms.mixed, None)
    assert result == [1, 2, 4, "no task", 1, 2, 3, 6, 5, 7]
    assert task_rows(t) == [
        ("mixed#1", "Task-N", "CLOSED", "mixed#1"),  # asyncio.run's
        ("work#1", "Task-N", "CLOSED", "work#1"),
        ("given", "given", "CLOSED", "work#2"),
        ("work#3", "Task-N", "CLOSED", "work#3"),
        ("sleep#1", "Task-N", "CLOSED", "-"),  # its coroutine is out of scope
        # create_task(42) raised: the task was made, never returned, so never labelled
        # (the registry labels the tasks create_task returned)
        ("", "Task", "CLOSED", "-"),
        ("later", "later", "CLOSED", "work#4"),
        ("renamed", "renamed", "CLOSED", "renamed_and_done#1"),  # named, ended, dropped
        ("work#5", "Task-N", "CLOSED", "work#5"),  # made from a callback: no coroutine ran
    ]
    kinds = [o.kind for o in t.objects]
    assert kinds.count("generator") == 1 and kinds.count("future") >= 1
    assert [o.id for o in t.objects] == list(range(len(t.objects)))


@pytest.mark.usefixtures("each_backend")
def test_a_task_and_its_coroutine_in_order():
    t, result = run(taskprograms.many, None, 3)
    assert result == 3
    rows = [(o.id, o.kind, o.label, o.parent, o.initial, o.coro, o.task) for o in t.objects]
    assert rows == [
        (0, "task", "many#1", None, None, 1, None),
        (1, "coroutine", "many#1", 0, "CREATED", None, 0),
        (2, "task", "work#1", 0, None, 3, None),
        (3, "coroutine", "work#1", 2, "CREATED", None, 2),
        (4, "task", "work#2", 0, None, 5, None),
        (5, "coroutine", "work#2", 4, "CREATED", None, 4),
        (6, "task", "work#3", 0, None, 7, None),
        (7, "coroutine", "work#3", 6, "CREATED", None, 6),
        (8, "future", "gather(work#1, work#2, work#3)", None, None, None, None),  # named wait
    ]
    # every field set, also on the objects the native core built without __init__
    # (deadline, members: the gather waits for the three tasks)
    members = [dataclasses.astuple(o)[-2:] for o in t.objects]
    assert members == [(None, None)] * 8 + [(None, [2, 4, 6])], members
    work = [e.kind for e in t.events if e.obj == 3]
    assert work == ["start", "await", "resume", "return"]
    assert [e.kind for e in t.events if e.obj == 2] == ["create", "return"]


@needs_native
def test_the_registry_is_not_called_per_task(monkeypatch):
    calls = []
    on_code = tasks.AsyncioWatch.on_code

    def counted(self, decision, event, frame, *value):
        calls.append(decision)
        return on_code(self, decision, event, frame, *value)

    monkeypatch.setattr(tasks.AsyncioWatch, "on_code", counted)
    counts = []
    for n in (20, 200):
        calls.clear()
        t, result = run(taskprograms.many, "native", n)
        assert result == sum(range(n))
        assert len([o for o in t.objects if o.kind == "task"]) == n + 1
        counts.append(calls.count(tasks.CREATE_TASK))
    # only asyncio.run's own tasks (made when no recorded coroutine runs) reach it
    assert counts[0] == counts[1] <= 4


@needs_native
def test_the_trace_keeps_nothing_of_the_program():
    seen = []

    async def keep():
        task = asyncio.create_task(taskprograms.work(1))
        seen.append((weakref.ref(task), weakref.ref(task.get_coro())))
        return await task

    t, result = run(keep, "native")
    gc.collect()
    assert result == 1 and seen and all(r() is None for pair in seen for r in pair)
    assert [o.label for o in t.objects if o.kind == "task"][-1] == "work#1"
