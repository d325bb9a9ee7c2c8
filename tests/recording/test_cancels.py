"""Cancellations are recorded when they are asked for (3.12+: the cancel() call itself;
3.11: asyncio's own requests when made, the program's own when delivered), with who asked
and the message, before the delivery (the `throw`)."""

from __future__ import annotations

import asyncio
import sys
import types

import pytest

import asyncviz
from asyncviz.recording import cancels
from asyncviz.recording.recorder import recording
from programs import load, record

pytestmark = pytest.mark.usefixtures("each_backend")

CALLS = sys.version_info >= (3, 12)  # cancel() calls seen as they are made


def events(trace, label: str) -> list[tuple[str, str | None, str | None]]:
    """(kind, value, requester or target label) of the object labelled `label`; a label a
    task shares with its coroutine names the task."""
    tasks = {o.label: o.id for o in trace.objects if o.kind == "task"}
    oid = tasks.get(label, trace.object(label).id)
    return [
        (e.kind, e.value, trace.objects[e.target].label if e.target is not None else None)
        for e in trace.events
        if e.obj == oid
    ]


def kinds_in_order(trace) -> list[tuple[str, str]]:
    return [(e.kind, trace.objects[e.obj].label) for e in trace.events]


TASKGROUP = """
import asyncio
async def sibling(n):
    await asyncio.sleep(10)
async def failing():
    await asyncio.sleep(0)
    raise ValueError("boom")
async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            for n in range(3):
                tg.create_task(sibling(n), name=f"s{n}")
            tg.create_task(failing(), name="bad")
    except* ValueError as group:
        caught = repr(group.exceptions)
    return caught
"""


def test_a_taskgroup_cancels_the_siblings_of_a_failing_child_on_its_behalf():
    t, ns = record(TASKGROUP)
    assert ns["result"] == "(ValueError('boom'),)"
    order = kinds_in_order(t)
    for n in range(3):
        sib = f"s{n}"
        assert events(t, sib)[0][0] == "create"
        assert ("cancel", None, "bad") in events(t, sib), events(t, sib)
        assert [k for k, *_ in events(t, sib)].count("cancel") == 1
        coro = t.objects[t.object(sib).coro].label  # sibling#k
        cancel = order.index(("cancel", sib))
        throw = order.index(("throw", coro))
        assert cancel < throw, order  # asked before it is delivered
    # the parent task too, for the same child
    assert ("cancel", None, "bad") in events(t, "root")
    # the failing child's own end comes first: the group reacts to it
    assert order.index(("raise", "bad")) < order.index(("cancel", "s0"))


def test_a_timeout_cancels_the_task_it_belongs_to():
    t, ns = record("""
import asyncio
async def work():
    try:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(10)
    except TimeoutError:
        return "late"
async def main():
    return await asyncio.create_task(work(), name="worker")
""")
    assert ns["result"] == "late"
    assert events(t, "worker")[:2] == [("create", None, None), ("cancel", None, "worker")]
    order = kinds_in_order(t)
    assert order.index(("cancel", "worker")) < order.index(("throw", "work#1"))


def test_wait_for_cancels_for_its_owner():
    t, ns = record("""
import asyncio
async def slow():
    await asyncio.sleep(10)
async def owner():
    try:
        return await asyncio.wait_for(slow(), 0.01)
    except TimeoutError:
        return "timed out"
async def main():
    return await asyncio.create_task(owner(), name="owner")
""")
    assert ns["result"] == "timed out"
    cancels_ = [(o.label, e.value, t.objects[e.target].label) for e in t.events
                for o in [t.objects[e.obj]] if e.kind == "cancel"]  # fmt: skip
    # 3.12+: wait_for's timeout cancels its owner; 3.11: wait_for cancels the task it
    # wrapped around slow(), from the owner's step
    assert cancels_ == ([("owner", None, "owner")] if CALLS else [("slow#1", None, "owner")])


CANCEL_FROM_A_TASK = """
import asyncio
async def victim():
    await asyncio.sleep(10)
async def killer(t):
    await asyncio.sleep(0)
    t.cancel("why")
async def main():
    v = asyncio.create_task(victim(), name="victim")
    k = asyncio.create_task(killer(v), name="killer")
    await k
    try:
        await v
    except asyncio.CancelledError as e:
        return e.args
"""


def test_a_cancel_from_another_task_names_it_and_carries_the_message():
    t, ns = record(CANCEL_FROM_A_TASK)
    assert ns["result"] == ("why",)
    got = [e for e in events(t, "victim") if e[0] == "cancel"]
    if CALLS:
        assert got == [("cancel", "'why'", "killer")]
        order = kinds_in_order(t)
        # asked in killer's step, before killer returns: not when victim hears of it
        assert order.index(("cancel", "victim")) < order.index(("return", "killer"))
        assert not any("no requester" in n for n in t.meta["notes"])
    else:  # 3.11: seen when delivered, nobody named
        assert got == [("cancel", "'why'", None)]
        assert any("on Python 3.11" in n for n in t.meta["notes"]), t.meta["notes"]
    order = kinds_in_order(t)
    assert order.index(("cancel", "victim")) < order.index(("throw", "victim#1"))


def test_each_request_is_one_cancel_and_a_done_task_is_asked_nothing():
    t, ns = record("""
import asyncio
async def victim():
    await asyncio.sleep(10)
async def quick():
    return 1
async def main():
    q = asyncio.create_task(quick(), name="quick")
    await q
    q.cancel()  # done: cancel() answers False, nothing is asked
    v = asyncio.create_task(victim(), name="victim")
    await asyncio.sleep(0)
    first = v.cancel()
    second = v.cancel(msg="again")
    try:
        await v
    except asyncio.CancelledError:
        return first, second, v.cancelled()
""")
    assert ns["result"] == (True, True, True)
    assert [e for e in events(t, "quick") if e[0] == "cancel"] == []
    got = [e for e in events(t, "victim") if e[0] == "cancel"]
    if CALLS:
        assert got == [("cancel", None, "root"), ("cancel", "'again'", "root")]
    else:  # delivered once (the first request's): one cancel, at the delivery
        assert got == [("cancel", None, None)]


def test_a_plain_function_that_cancels_is_watched_and_others_are_not():
    t, ns = record("""
import asyncio
def stop(task, why):
    return task.cancel(why)
def other(x):
    return x + 1
async def victim():
    await asyncio.sleep(10)
async def main():
    v = asyncio.create_task(victim(), name="victim")
    await asyncio.sleep(0)
    stop(v, "from a function")
    try:
        await v
    except asyncio.CancelledError:
        return other(1)
""")
    assert ns["result"] == 2
    got = [e for e in events(t, "victim") if e[0] == "cancel"]
    if CALLS:
        assert got == [("cancel", "'from a function'", "root")]
    else:
        assert got == [("cancel", "'from a function'", None)]


def test_a_message_not_written_at_the_call_site_comes_with_the_delivery():
    t, _ = record("""
import asyncio
async def victim():
    await asyncio.sleep(10)
async def main():
    v = asyncio.create_task(victim(), name="victim")
    await asyncio.sleep(0)
    n = 3
    v.cancel(f"stop {n}")
    try:
        await v
    except asyncio.CancelledError:
        return None
""")
    got = [e for e in events(t, "victim") if e[0] == "cancel"]
    assert got == [("cancel", "'stop 3'", "root" if CALLS else None)]


def test_a_cancel_through_a_callback_is_recorded_at_its_delivery():
    t, ns = record("""
import asyncio
async def victim():
    await asyncio.sleep(10)
async def main():
    v = asyncio.create_task(victim(), name="victim")
    await asyncio.sleep(0)
    asyncio.get_running_loop().call_soon(v.cancel)
    try:
        await v
    except asyncio.CancelledError:
        return v.cancelled()
""")
    assert ns["result"] is True
    assert [e for e in events(t, "victim") if e[0] == "cancel"] == [("cancel", None, None)]
    order = kinds_in_order(t)
    assert order.index(("cancel", "victim")) < order.index(("throw", "victim#1"))
    assert any("1 cancellation(s)" in n for n in t.meta["notes"]), t.meta["notes"]


def test_the_cancellation_of_an_awaited_task_passing_through_is_not_a_cancel():
    t, _ = record("""
import asyncio
async def inner():
    await asyncio.sleep(10)
async def outer(t):
    try:
        await t
    except asyncio.CancelledError:
        return "saw it"
async def main():
    i = asyncio.create_task(inner(), name="inner")
    o = asyncio.create_task(outer(i), name="outer")
    await asyncio.sleep(0)
    i.cancel()
    return await o
""")
    assert [e[0] for e in events(t, "outer")] == ["create", "return"]
    assert [e[0] for e in events(t, "inner")].count("cancel") == 1


@pytest.mark.skipif(not CALLS, reason="CALL events are 3.12+")
def test_call_events_only_where_cancel_is_named_never_globally():
    seen = {}

    async def probe():
        rec = recording()
        tool = rec.backend.tool
        mon = sys.monitoring
        seen["global"] = mon.get_events(tool) & mon.events.CALL
        seen["names"] = mon.get_local_events(tool, ns["names"].__code__) & mon.events.CALL
        seen["plain"] = mon.get_local_events(tool, ns["plain"].__code__) & mon.events.CALL

    ns = load("""
import asyncio
async def names(t):
    t.cancel()
    await asyncio.sleep(0)
async def plain():
    await asyncio.sleep(0)
async def main():
    t = asyncio.create_task(plain())
    await names(t)
    await probe()
""")
    ns["probe"] = probe

    async def run():
        async with asyncviz.trace(exclude=[__file__]):
            await ns["main"]()

    asyncio.run(run())
    assert seen == {"global": 0, "names": sys.monitoring.events.CALL, "plain": 0}


@pytest.mark.skipif(not CALLS, reason="read at CALL events, 3.12+")
def test_call_messages_reads_constants_and_names_only():
    def f(t, m):
        t.cancel()
        t.cancel("const")
        t.cancel(m)
        t.cancel(msg="kw")
        t.cancel(f"x{m}")
        t.other("no")

    found = sorted(cancels.call_messages(f.__code__).values(), key=repr)
    assert found == sorted([("const", None), ("const", "const"), ("local", "m"),
                            ("const", "kw")], key=repr)  # fmt: skip


# -- the stdlib names read: each must exist on this Python --------------------------------


def _code(qualname: str):
    for module in cancels._MODULES:
        for code in cancels._codes(module):
            if code.co_qualname == qualname:
                return code
    raise AssertionError(f"{qualname} is not in asyncio any more")


@pytest.mark.parametrize("qualname", sorted(cancels.LOCALS))
def test_every_stdlib_local_read_exists(qualname):
    code = _code(qualname)
    assert cancels.LOCALS[qualname] in code.co_varnames + code.co_freevars + code.co_cellvars


@pytest.mark.parametrize("qualname", sorted(cancels.RULES) + sorted(cancels.FIELDS))
def test_every_stdlib_function_named_exists(qualname):
    assert isinstance(_code(qualname), types.CodeType)


def test_every_private_field_read_exists():
    async def main():
        tg = asyncio.TaskGroup()
        async with tg:
            tg.create_task(asyncio.sleep(0))
            names = ("TaskGroup._abort", "TaskGroup._on_task_done")
            has_tg = [hasattr(tg, cancels.FIELDS[name]) for name in names]
        async with asyncio.timeout(10) as to:
            has_to = hasattr(to, cancels.FIELDS["Timeout._on_timeout"])
        g = asyncio.gather(asyncio.sleep(0))
        has_g = hasattr(g, cancels.FIELDS["_GatheringFuture.cancel"])
        await g
        return has_tg + [has_to, has_g]

    assert asyncio.run(main()) == [True, True, True, True]


def test_the_watched_3_11_codes_are_found():
    assert set(cancels.watched_codes_311().values()) == set(cancels.FIELDS) | set(cancels.LOCALS)


def test_tracing_a_cancelling_program_changes_nothing_it_computes():
    ns = load(CANCEL_FROM_A_TASK)
    untraced = asyncio.run(ns["main"]())

    async def traced():
        async with asyncviz.trace():
            return await ns["main"]()

    assert asyncio.run(traced()) == untraced == ("why",)


def test_a_pure_python_task_cancelled_by_the_program_is_seen_when_asked_on_every_python():
    # nest_asyncio2 (the magic's asyncio.run() in a cell) makes every task a pure-Python one
    t, ns = record("""
import asyncio
async def victim():
    await asyncio.sleep(10)
async def waiter(v):
    try:
        await v
    except asyncio.CancelledError:
        return "passed on"
async def main():
    loop = asyncio.get_running_loop()
    loop.set_task_factory(lambda loop, coro, **kw: asyncio.tasks._PyTask(coro, loop=loop, **kw))
    try:
        v = asyncio.create_task(victim(), name="victim")
        w = asyncio.create_task(waiter(v), name="waiter")
        await asyncio.sleep(0)
        v.cancel("py")
        return await w
    finally:
        loop.set_task_factory(None)
""")
    assert ns["result"] == "passed on"
    assert [e for e in events(t, "victim") if e[0] == "cancel"] == [("cancel", "'py'", "root")]
    assert [e for e in events(t, "waiter") if e[0] == "cancel"] == []
    assert not any("no requester" in n for n in t.meta["notes"])
