"""Tracing leaves nothing the program can see, and keeps nothing alive after it: no
done-callback, task factory, loop attribute, patched selector or thread that threading
knows of (the watchdog: test_watchdog.py); a record
is freed with its Trace even when tasks outlive it; the budget bounds memory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import re
import selectors
import subprocess
import sys
import textwrap
import threading
import weakref

import pytest

import asyncviz
from programs import load

# the recording suite runs against every backend (native and python)
pytestmark = pytest.mark.usefixtures("each_backend")

TASKS = """
import asyncio
async def child(n):
    await asyncio.sleep(0)
    return n
async def unscoped_like():
    await asyncio.sleep(0)
"""


_TASKS = load(TASKS)


def _reprs_and_state(trace: bool):
    ns = _TASKS
    seen = {}

    async def main():
        loop = asyncio.get_running_loop()
        loop_before = dict(vars(loop))
        selector = loop._selector
        selector_before = dict(vars(selector))
        scope = asyncviz.trace(exclude=[__file__]) if trace else contextlib.AsyncExitStack()
        async with scope:
            # tasks whose coroutine is recorded, and one whose coroutine is not (asyncio's)
            tasks = [asyncio.create_task(ns["child"](i)) for i in range(3)]
            tasks.append(asyncio.ensure_future(asyncio.sleep(0.01)))
            await asyncio.sleep(0)
            # asyncio numbers tasks for the whole process: the name differs run by run
            seen["pending"] = [re.sub(r"Task-\d+", "Task-N", repr(t)) for t in tasks]
            seen["callbacks"] = [len(t._callbacks or ()) for t in tasks]
            seen["loop attributes"] = sorted(set(vars(loop)) - set(loop_before))
            seen["selector attributes"] = sorted(set(vars(selector)) - set(selector_before))
            seen["factory"] = loop.get_task_factory()
            seen["threads"] = [t.name for t in threading.enumerate()]
            await asyncio.gather(*tasks)

    asyncio.run(main())
    return seen


def test_tasks_loops_and_selectors_untouched():
    assert _reprs_and_state(True) == _reprs_and_state(False)


def test_a_loop_with_a_mock_selector_works_traced():
    """A real library's tests run their loop on a mock selector (no `select` attribute to
    patch): tracing must not care."""

    class MockSelector(selectors.BaseSelector):
        def __init__(self):
            self.keys = {}

        def register(self, fileobj, events, data=None):
            key = selectors.SelectorKey(fileobj, 0, events, data)
            self.keys[fileobj] = key
            return key

        def unregister(self, fileobj):
            return self.keys.pop(fileobj)

        def select(self, timeout=None):
            return []

        def get_map(self):
            return self.keys

    ns = load(TASKS)

    async def main():
        async with asyncviz.trace(exclude=[__file__]) as t:
            assert await ns["child"](5) == 5
        return t

    loop = asyncio.SelectorEventLoop(MockSelector())
    try:
        t = loop.run_until_complete(main())
    finally:
        loop.close()
    assert [o.label for o in t.objects if o.kind == "coroutine"] == ["child#1"]


def _recording_objects() -> list:
    """Objects of the recorder's own types still alive (a core, its registry, its watch)."""
    gc.collect()
    return [
        type(o).__qualname__
        for o in gc.get_objects()
        if str(vars(type(o)).get("__module__", "")).startswith("asyncviz.recording")
    ]


def test_a_record_is_freed_with_its_trace_even_when_tasks_outlive_it():
    ns = load(TASKS)
    refs = []

    async def main():
        keep = []
        for _ in range(3):
            async with asyncviz.trace(exclude=[__file__]) as t:
                keep.append(asyncio.create_task(ns["child"](1)))
                # a task whose coroutine is not recorded (asyncio's own)
                keep.append(asyncio.ensure_future(asyncio.sleep(10)))
            refs.append(weakref.ref(t))
            del t
        alive = [r() is not None for r in refs]
        left = _recording_objects()  # while the tasks are still pending
        for task in keep:
            task.cancel()
        await asyncio.gather(*keep, return_exceptions=True)
        return alive, left

    before = _recording_objects()
    alive, left = asyncio.run(main())
    assert alive == [False, False, False]
    assert left == before, left


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the trace hook backend is 3.11's")
def test_code_that_saves_and_restores_the_trace_hook_keeps_working():
    """test.support.no_tracing and debuggers do `old = sys.gettrace(); sys.settrace(None);
    ...; sys.settrace(old)`: the hook they restore must still record, and come off."""
    ns = load("""
def g():
    yield 1
    yield 2
""")
    with asyncviz.trace() as t:
        saved = sys.gettrace()
        assert saved is not None
        sys.settrace(None)
        list(ns["g"]())  # not recorded: the hook is off
        sys.settrace(saved)
        list(ns["g"]())
    assert sys.gettrace() is None
    assert [o.label for o in t.objects] == ["g#1"]
    assert [e.kind for e in t.events] == ["start", "yield", "resume", "yield", "resume", "return"]


MANY = """
import gc, json, sys, time
def yield_once():
    yield 1
def peak_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
import asyncviz
base = peak_kib()
with asyncviz.trace(max_events={max_events}) as t:
    total = sum(next(yield_once()) for _ in range(1_000_000))
grown = peak_kib() - base
print(json.dumps({{"total": total, "grown_kib": grown, "events": len(t.events),
                  "objects": len(t.objects), "strings": len(t.strings),
                  "numbers": len(t.numbers), "truncated": t.truncated}}))
"""

# the documented bound: a million short-lived generators past a spent budget of 1,000
PEAK_GROWTH_BOUND_KIB = 32 * 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_million_generators_past_the_budget_stay_small():
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MANY.format(max_events=1000))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["total"] == 1_000_000 and got["truncated"]
    # events, objects (8 each) and strings and numbers (1 or more each) share the budget
    assert got["events"] + 8 * got["objects"] + got["strings"] + got["numbers"] <= 1000
    assert got["grown_kib"] < PEAK_GROWTH_BOUND_KIB, got
