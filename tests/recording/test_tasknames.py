"""Tasks are labelled for people: the name the program gave, else their coroutine's label,
numbered within the trace (the same program gives the same labels every run)."""

from __future__ import annotations

import asyncio
import sys

import pytest

import asyncviz
from asyncviz.recording.tasknames import TaskNames, looks_automatic
from programs import load, record

pytestmark = pytest.mark.usefixtures("each_backend")


def tasks(trace) -> list[tuple[str, str]]:
    """(label, coroutine label or '-') of every task but the harness's root."""
    return [
        (o.label, trace.objects[o.coro].label if o.coro is not None else "-")
        for o in trace.objects
        if o.kind == "task" and o.label != "root"
    ]


UNNAMED = """
import asyncio
async def fetch(n):
    await asyncio.sleep(0)
    return n
async def main():
    ts = [asyncio.create_task(fetch(n)) for n in range(3)]
    return await asyncio.gather(*ts)
"""


def test_a_task_nobody_named_is_labelled_after_its_coroutine():
    t, ns = record(UNNAMED)
    assert ns["result"] == [0, 1, 2]
    assert tasks(t) == [("fetch#1", "fetch#1"), ("fetch#2", "fetch#2"), ("fetch#3", "fetch#3")]
    names = [o.name for o in t.objects if o.kind == "task" and o.label != "root"]
    assert all(looks_automatic(n) for n in names), names  # asyncio's name is kept


def test_the_same_program_gives_the_same_labels_every_run():
    first, _ = record(UNNAMED)
    second, _ = record(UNNAMED)
    assert [o.label for o in first.objects] == [o.label for o in second.objects]
    # asyncio's own numbering went on meanwhile
    assert [o.name for o in first.objects if o.kind == "task"] != [
        o.name for o in second.objects if o.kind == "task"
    ]


def test_given_names_stay_and_repeated_ones_are_numbered():
    t, _ = record("""
import asyncio
async def work():
    await asyncio.sleep(0)
async def main():
    ts = [asyncio.create_task(work(), name="worker") for _ in range(3)]
    ts.append(asyncio.get_running_loop().create_task(work(), name="Task-999"))
    await asyncio.gather(*ts)
""")
    # "Task-999" has the shape of an automatic name, but the program gave it: it stays
    assert [label for label, _ in tasks(t)] == ["worker", "worker#2", "worker#3", "Task-999"]


def test_a_name_given_later_with_set_name_stays():
    t, _ = record("""
import asyncio
async def work():
    await asyncio.sleep(0)
async def main():
    a = asyncio.create_task(work())
    b = asyncio.create_task(work())
    a.set_name("renamed")
    await asyncio.gather(a, b)
""")
    assert tasks(t) == [("renamed", "work#1"), ("work#2", "work#2")]


def test_taskgroup_tasks_named_and_unnamed():
    t, _ = record("""
import asyncio
async def job(n):
    await asyncio.sleep(0)
    return n
async def main():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(job(1), name="first")
        tg.create_task(job(2))
""")
    assert tasks(t) == [("first", "job#1"), ("job#2", "job#2")]


def test_a_task_whose_coroutine_is_out_of_scope_is_named_after_that_coroutine():
    t, _ = record("""
import asyncio
async def main():
    a = asyncio.ensure_future(asyncio.sleep(0, "x"))
    b = asyncio.ensure_future(asyncio.sleep(0, "y"))
    return await a + await b
""")
    assert tasks(t) == [("sleep#1", "-"), ("sleep#2", "-")]


def test_a_task_made_before_the_trace_is_adopted_under_its_coroutine_or_given_name():
    ns = load("""
import asyncio
async def early():
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return 1
""")

    async def main():
        a = asyncio.create_task(ns["early"]())
        b = asyncio.create_task(ns["early"](), name="named-early")
        await asyncio.sleep(0)  # both started, untraced
        async with asyncviz.trace(exclude=[__file__], label="root") as t:
            await a
            await b
        return t

    t = asyncio.run(main())
    assert tasks(t) == [("early#1", "early#1"), ("named-early", "early#2")]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in 3.12")
def test_an_eager_task_nobody_named():
    t, ns = record("""
import asyncio
async def quick():
    return 7
async def main():
    loop = asyncio.get_running_loop()
    loop.set_task_factory(asyncio.eager_task_factory)
    try:
        return await asyncio.create_task(quick())
    finally:
        loop.set_task_factory(None)
""")
    assert ns["result"] == 7
    assert tasks(t) == [("quick#1", "quick#1")]


def test_label_all_numbers_given_names_and_keeps_fixed_labels():
    class Obj:
        def __init__(self, name, label="", coro=None):
            self.name, self.label, self.coro = name, label, coro

    objects = [Obj(n) for n in ("Task-1", "x", "x", "Task-4")]
    objects += [Obj("work", "work#1"), Obj("Task-7", coro=4)]
    naming = TaskNames()
    naming.fixed[0] = "root"
    for oid in (1, 2):
        naming.created(oid, "x")
    naming.coro_names[3] = "mod.helper"
    naming.first.update({1: "x", 2: "x", 3: "Task-4", 5: "Task-7"})
    naming.label_all([0, 1, 2, 3, 5], objects, lambda name: name.rsplit(".")[-1] + "#1")
    assert [objects[i].label for i in (0, 1, 2, 3, 5)] == ["root", "x", "x#2", "helper#1", "work#1"]


LOOPS = """
import asyncio
async def main():
    await asyncio.sleep(0)
    return 'x'
def by_run():
    return asyncio.run(main())
def by_new_loop():
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()
def by_task_on_a_new_loop():
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(loop.create_task(main()))
    finally:
        loop.close()
"""


@pytest.mark.parametrize("how", ["by_run", "by_new_loop", "by_task_on_a_new_loop"])
def test_every_way_of_running_a_coroutine_gives_a_task_lane(how):
    from asyncviz.analysis.timeline import timeline_of

    ns = load(LOOPS)
    with asyncviz.trace() as t:
        assert ns[how]() == "x"
    (task,) = [o for o in t.objects if o.kind == "task"]
    assert (task.label, t.objects[task.coro].label, task.parent) == ("main#1", "main#1", None)
    assert [e.kind for e in t.events if e.obj == task.id] == ["create", "return"]
    lanes = [(lane.kind, lane.label) for lane in timeline_of(t).lanes if lane.kind != "idle"]
    assert lanes == [("task", "main#1")]
