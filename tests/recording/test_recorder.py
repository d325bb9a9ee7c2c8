"""The recorder's promises: one trace at a time, nobody's hook stolen, other threads
ignored, values described without harm, limits honoured, scope as documented."""

from __future__ import annotations

import gc
import sys
import threading
import time
import weakref

import pytest

import asyncviz
from asyncviz.recording.recorder import TraceError
from programs import load, normal, record

SIMPLE = """
def g():
    yield 1
    yield 2
def main():
    return list(g())
"""

# the recording suite runs against every backend (native and python)
pytestmark = pytest.mark.usefixtures("each_backend")


def test_nested_trace_is_refused_and_outer_goes_on():
    ns = load(SIMPLE)
    with asyncviz.trace() as outer:
        ns["main"]()
        with pytest.raises(TraceError, match="already recording"):
            with asyncviz.trace():
                pass
        ns["main"]()
    assert [o.label for o in outer.objects] == ["g#1", "g#2"]
    assert normal(outer)[-1] == "return|g#2|None"


def test_exception_in_block_keeps_the_trace():
    ns = load(SIMPLE)
    with pytest.raises(ZeroDivisionError):
        with asyncviz.trace() as t:
            ns["main"]()
            1 / 0  # noqa: B018  (the block raising is the point)
    assert len(t.events) == 7


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12+")
def test_tool_id_held_by_someone_else_is_not_taken():
    mon = sys.monitoring
    mon.use_tool_id(2, "someone's profiler")
    try:
        t, _ = record(SIMPLE)
        assert mon.get_tool(2) == "someone's profiler"
        assert "held by" in t.meta["notes"][0] and "used id 4" in t.meta["notes"][0]
        assert len(t.events) == 7
        mon.use_tool_id(4, "x")
        mon.use_tool_id(3, "y")
        try:
            with pytest.raises(TraceError, match="tool id asyncviz may use is taken"):
                record(SIMPLE)
        finally:
            mon.free_tool_id(4)
            mon.free_tool_id(3)
    finally:
        mon.free_tool_id(2)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.11 backend uses the trace hook")
def test_trace_hook_held_by_debugger_gives_clear_error():
    def debugger(frame, event, arg):
        return None

    sys.settrace(debugger)
    try:
        with pytest.raises(TraceError, match="another tool is tracing this thread"):
            record(SIMPLE)
        assert sys.gettrace() is debugger
    finally:
        sys.settrace(None)


def test_other_threads_stay_out():
    ns = load(SIMPLE)
    started = threading.Event()
    stop = threading.Event()

    def other():
        started.set()
        while not stop.is_set():
            ns["main"]()

    worker = threading.Thread(target=other)
    worker.start()
    started.wait()
    try:
        with asyncviz.trace() as t:
            ns["main"]()
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join()
    assert [o.label for o in t.objects] == ["g#1"]


EVIL = """
import time
class Raises:
    def __repr__(self):
        raise RuntimeError("no")
class Huge:
    def __repr__(self):
        return "x" * 5_000_000
class Slow:
    def __repr__(self):
        time.sleep(0.01)
        return "slow"
class Plain:
    pass
class Hangs:
    def __repr__(self):
        while True:
            pass
def g():
    yield Raises()
    yield Huge()
    yield Slow()
    yield Slow()
    yield "<script>alert(1)</script>"
    yield Plain()
    yield 10 ** 5000
    yield list(range(1000))
    yield Hangs()
def main():
    return [type(v).__name__ for v in g()]
"""


def test_values_described_without_harm():
    t, ns = record(EVIL)
    assert ns["result"] == [
        "Raises",
        "Huge",
        "Slow",
        "Slow",
        "str",
        "Plain",
        "int",
        "list",
        "Hangs",
    ]
    yields = [e.value for e in t.events if e.kind == "yield"]
    assert yields[0] == "<Raises>"
    assert len(yields[1]) <= 80 and yields[1].startswith("xxx")
    assert yields[2] == "'slow'" or yields[2] == "slow"
    assert yields[3] == "<Slow>"  # too slow once: not asked again
    assert yields[4] == "'<script>alert(1)</script>'"
    assert yields[5] == "<Plain>"
    assert yields[6].startswith("<int of")
    assert yields[7] == "[0, 1, 2, 3, 4, 5, … 1000 items]"
    assert yields[8] == "<Hangs>"  # stopped by the deadline; the program went on


def test_numbers_reach_the_trace_the_block_returns(each_backend):
    # floats and wide ints live in the numbers table: the Trace handed out by `with`
    # must carry it (it once lost it, and every such value failed to decode)
    def gen():
        yield 1.5
        yield 10**30
        yield -(2**70)

    with asyncviz.trace() as t:
        list(gen())
    assert t.check() is None
    yields = [e.value for e in t.events if e.kind == "yield"]
    assert yields == ["1.5", repr(10**30), repr(-(2**70))]


def test_no_strong_reference_to_values():
    ns = load("""
class Box:
    pass
def g():
    yield Box()
    yield 2
""")
    with asyncviz.trace() as t:
        it = ns["g"]()
        ref = weakref.ref(next(it))
        gc.collect()
        assert ref() is None, "the recorder kept the yielded object alive"
        next(it)
    assert [e.value for e in t.events if e.kind == "yield"] == ["<Box>", "2"]


def test_no_values():
    t, _ = record(SIMPLE, values=False)
    assert len(t.events) == 7 and all(e.value is None for e in t.events)


def test_max_events_truncates_and_counts():
    ns = load("""
def g(n):
    for i in range(n):
        yield i
def main():
    return sum(g(1000))
""")
    with asyncviz.trace(max_events=50) as t:
        assert ns["main"]() == sum(range(1000))
    # the budget holds events, objects and strings together: one object weighs 8 events
    assert 0 < len(t.events)
    assert len(t.events) + 8 * len(t.objects) + len(t.strings) + len(t.numbers) <= 50
    assert t.truncated and t.dropped >= 1 and t.meta["dropped_at_least"]
    assert "at least" in t.meta["notes"][-1]
    assert t.objects[0].state == "CLOSED"  # states stay right after the cut


def test_budget_spent_switches_every_hook_off():
    ns = load("""
def g(n):
    for i in range(n):
        yield i
""")
    seen = {}
    with asyncviz.trace(max_events=100) as t:
        sum(ns["g"](10_000))
        seen["gettrace"] = sys.gettrace()
        if hasattr(sys, "monitoring"):
            seen["events"] = [
                sys.monitoring.get_events(i)
                for i in range(6)
                if sys.monitoring.get_tool(i) == "asyncviz"
            ]
        import builtins

        seen["rewrite helpers on"] = getattr(builtins, "__avz_on__", False)
    assert t.truncated
    assert seen["gettrace"] is None
    assert seen.get("events", [0]) == [0]
    assert seen["rewrite helpers on"] is False


ASYNC = """
import asyncio
async def main():
    await asyncio.sleep(0.05)
    return 1
"""


def test_scope_default_include_exclude():
    t, _ = record(ASYNC)
    assert [o.label for o in t.objects if o.kind == "coroutine"] == ["main#1"]
    t, _ = record(ASYNC, include=["*"])
    names = {o.name for o in t.objects}
    assert "sleep" in names, names  # asyncio's own coroutine, now in scope
    t, _ = record(ASYNC, exclude=["<program-*", "*programs.py"])
    assert [o for o in t.objects if o.kind == "coroutine"] == []


def test_loop_idle_time_recorded():
    t, _ = record(ASYNC)
    idle = sum(b - a for a, b in t.idle)
    assert idle >= 40_000_000, t.idle  # the 50 ms sleep is spent waiting in select()
    assert all(0 <= a <= b <= t.duration for a, b in t.idle)


def test_ordinary_code_is_not_recorded():
    ns = load("""
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
""")
    with asyncviz.trace() as t:
        assert ns["fib"](15) == 610
    assert len(t.events) == 0 and t.objects == []


def test_events_in_time_order_and_file_checks():
    t, _ = record(ASYNC)
    ts = [e.t for e in t.events]
    assert ts == sorted(ts)
    assert t.check() is None


def test_task_parent_and_coroutine():
    t, _ = record("""
import asyncio
async def child():
    await asyncio.sleep(0)
async def main():
    await asyncio.create_task(child(), name="kid")
""")
    by_label = {o.label: o for o in t.objects}
    kid = by_label["kid"]
    assert kid.kind == "task"
    assert t.objects[kid.parent].label == "root"
    assert t.objects[kid.coro].label == "child#1"
    assert t.objects[kid.coro].parent == by_label["main#1"].id  # made by main


def test_eager_and_unnamed_task_names_untouched():
    # CPython 3.13.0 renames unnamed tasks to 'None' under any task factory; we install none
    t, ns = record("""
import asyncio
async def child():
    return asyncio.current_task().get_name()
async def main():
    return await asyncio.create_task(child())
""")
    assert ns["result"].startswith("Task-")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12+")
def test_next_holder_of_the_tool_id_sees_everything():
    ns = load("""
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
""")
    with asyncviz.trace():
        ns["fib"](10)  # answered DISABLE: ordinary code
    mon = sys.monitoring
    calls = []
    mon.use_tool_id(2, "next profiler")
    try:
        mon.register_callback(2, mon.events.PY_START, lambda code, off: calls.append(code))
        mon.set_events(2, mon.events.PY_START)
        ns["fib"](10)
    finally:
        mon.set_events(2, 0)
        mon.register_callback(2, mon.events.PY_START, None)
        mon.free_tool_id(2)
    assert len(calls) == 177  # every call of fib(10), none hidden by our old DISABLEs


def test_user_repr_not_called_without_a_deadline():
    """Off the main thread no deadline can be set: a user repr might never return, so
    it is not called; the standard library's reprs still are."""
    from asyncviz.values import describe
    import fractions

    class Mine:
        def __repr__(self):
            return "mine"

    out = {}
    worker = threading.Thread(
        target=lambda: out.update(mine=describe(Mine()), frac=describe(fractions.Fraction(1, 3)))
    )
    worker.start()
    worker.join()
    assert out == {"mine": "<Mine>", "frac": "Fraction(1, 3)"}
    assert describe(Mine()) == "mine"  # the main thread, with its deadline
