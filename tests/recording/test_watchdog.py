"""The watchdog: while a step runs long it samples where the time goes, and nobody can
see it — not threading, not the record, not the hooks — and it is gone when the trace
stops, however the trace stops."""

from __future__ import annotations

import _thread
import asyncio
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import asyncviz
from asyncviz.recording import watchdog
from asyncviz.recording.recorder import recording
from programs import load

pytestmark = pytest.mark.usefixtures("each_backend")

BLOCKING = """
import asyncio, threading, time

async def fetch():
    await asyncio.sleep(0)
    time.sleep(0.25)
    await asyncio.sleep(0)

def helper():
    threading.Event().wait(0.25)

async def waits_in_a_library():
    helper()

async def main():
    await asyncio.gather(fetch(), waits_in_a_library())
"""


def record_blocking(**options):
    ns = load(BLOCKING)
    with asyncviz.trace(**options) as t:
        asyncio.run(ns["main"]())
    return t, ns


def sampled(trace, threshold_ms: int = 100) -> set[tuple]:
    """(label, own file, own line, own function, inner function) of the samples in steps
    longer than the threshold (a machine this loaded may stall a short step now and
    then: the watchdog rightly samples that too)."""
    long = [(d.t0, d.t1) for d in trace.diagnostics(blocked_ms=threshold_ms)]
    return {
        (trace.objects[s[1]].label, s[2], s[3], s[4], s[7])
        for s in trace.meta.get("blocked", [])
        if any(t0 <= s[0] <= t1 for t0, t1 in long)
    }


def test_a_blocking_call_in_a_coroutine_is_sampled_at_its_line():
    trace, ns = record_blocking()
    fetch = ns["fetch"].__code__
    helper = ns["helper"].__code__
    sleep_line = fetch.co_firstlineno + 2
    wait_line = helper.co_firstlineno + 1
    assert sampled(trace) == {
        ("fetch#1", fetch.co_filename, sleep_line, "fetch", None),
        # the program's own frame, and the library frame it was inside
        ("waits_in_a_library#1", helper.co_filename, wait_line, "helper", "Condition.wait"),
    }
    for t_ns, *_rest in trace.meta["blocked"]:
        assert 0 < t_ns <= trace.end
    assert trace.meta["blocked_ms"] == 100


def test_samples_come_only_after_half_the_threshold():
    trace, _ns = record_blocking(blocked_ms=1000)
    assert "blocked" not in trace.meta and trace.meta["blocked_ms"] == 1000


def test_short_steps_are_never_sampled():
    async def many_short_steps():
        for _ in range(40):
            await asyncio.sleep(0.005)
            sum(range(1000))

    # (a threshold no stall of this loaded machine reaches: half of it is 150 ms)
    with asyncviz.trace(blocked_ms=300) as t:
        asyncio.run(many_short_steps())
    assert t.duration > 200_000_000  # long enough for several of the watchdog's looks
    assert "blocked" not in t.meta
    assert [d for d in t.diagnostics() if d.kind == "loop-blocked"] == []


def test_a_loop_waiting_for_io_inside_a_step_neither_sampled_nor_blocking():
    async def drives_a_loop():  # one step that runs a whole event loop inside it
        asyncio.run(asyncio.sleep(0.3))

    with asyncviz.trace() as t:
        with pytest.raises(StopIteration):
            drives_a_loop().send(None)  # driven by hand: no loop runs it
    (waited,) = t.idle
    assert waited[1] - waited[0] > 250_000_000
    assert not [s for s in t.meta.get("blocked", []) if waited[0] <= s[0] <= waited[1]]
    assert [d.kind for d in t.diagnostics()] == []


def test_invisible_to_threading_while_it_samples():
    before = (threading.enumerate(), threading.active_count(), _thread._count())
    seen = {}

    async def look():
        time.sleep(0.15)  # sampled: the watchdog runs Python meanwhile
        seen["during"] = (threading.enumerate(), threading.active_count(), _thread._count())

    with asyncviz.trace() as t:
        asyncio.run(look())
    assert t.meta["blocked"], "the step was long enough to be sampled"
    enumerated, active, count = seen["during"]
    assert (enumerated, active) == before[:2]  # no thread, no dummy thread
    assert count == before[2] + 1  # (only _thread counts the watchdog)
    assert (threading.enumerate(), threading.active_count(), _thread._count()) == before
    # and none of its code is in the record
    assert all("asyncviz" not in (o.filename or "") for o in t.objects)


def running_threads() -> int:
    return _thread._count()


def watchdog_running(before: int) -> bool:
    """The watchdog started: _thread counts a thread once it runs (wait for that)."""
    deadline = time.monotonic() + 5
    while running_threads() == before and time.monotonic() < deadline:
        time.sleep(0.001)
    return running_threads() == before + 1


def test_stopped_and_joined_when_the_traced_block_raises():
    before = running_threads()
    with pytest.raises(ZeroDivisionError):
        with asyncviz.trace():
            assert watchdog_running(before)
            raise ZeroDivisionError
    assert running_threads() == before


def test_stopped_and_joined_when_interrupted():
    before = running_threads()
    with pytest.raises(KeyboardInterrupt):
        with asyncviz.trace():
            assert watchdog_running(before)
            raise KeyboardInterrupt
    assert running_threads() == before


def test_stopped_and_joined_when_the_budget_is_spent():
    before = running_threads()

    def numbers():
        yield from range(100)

    with asyncviz.trace(max_events=30) as t:
        assert watchdog_running(before)
        assert sum(numbers()) == 4950  # spends the budget: the hooks and the watchdog stop
        assert running_threads() == before
    assert t.truncated and running_threads() == before


def test_stop_is_safe_twice_and_without_start():
    dog = watchdog.Watchdog(None, None, threading.get_ident(), 100)
    dog.stop()
    dog.stop()


def test_an_exception_inside_the_watchdog_ends_it_quietly(capsys):
    class Broken:
        active = True

        def running(self):
            raise RuntimeError("a core that breaks")

    before = running_threads()
    dog = watchdog.Watchdog(Broken(), None, threading.get_ident(), 10)
    dog.start()
    deadline = time.monotonic() + 5
    while running_threads() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert running_threads() == before  # it ended by itself...
    dog.stop()  # ...and stopping it after is harmless
    assert capsys.readouterr().err == ""  # nothing reported as unraisable


def test_the_threshold_must_be_positive():
    for bad in (0, -5, float("nan")):
        with pytest.raises(ValueError, match="blocked_ms must be more than 0"):
            asyncviz.trace(blocked_ms=bad)


class StandInCore:
    """What the watchdog reads of a core, set by hand (times in ns)."""

    active = True

    def __init__(self, now: int, since: int, last: int):
        self.times = (now, since, last)

    def running(self) -> int:
        return 1

    def now(self) -> int:
        return self.times[0]

    def running_since(self) -> int:
        return self.times[1]

    def last_record_at(self) -> int:
        return self.times[2]

    def to_ns(self, ticks: int) -> int:
        return ticks


class StandInRegistry:
    asyncio = None

    def own_frame(self, frame):
        return frame


def looks(now: int, since: int, last: int, times: int = 30, blocked_ms: int = 100) -> int:
    """How many samples `times` looks take, with the core saying this."""
    dog = watchdog.Watchdog(
        StandInCore(now, since, last), StandInRegistry(), threading.get_ident(), blocked_ms
    )
    for _ in range(times):
        dog._look()
    return len(dog.samples)


def test_when_it_samples():
    ms = 1_000_000
    assert looks(now=49 * ms, since=0, last=0) == 0  # under half the threshold
    # long running, recording meanwhile (a loop run inside the step): a bounded few
    assert looks(now=60 * ms, since=0, last=59 * ms) == watchdog.MAX_PER_STEP
    # nothing recorded for half the threshold: every look samples
    assert looks(now=60 * ms, since=0, last=0) == 30
    assert looks(now=60 * ms, since=-1, last=0) == 30  # (a core that cannot say since when)
    assert looks(now=60 * ms, since=-1, last=59 * ms) == 0
    assert looks(now=600 * ms, since=0, last=0, blocked_ms=1000) == 30
    assert looks(now=400 * ms, since=0, last=0, blocked_ms=1000) == 0


# -- what both cores tell the watchdog ----------------------------------------------------


def test_the_cores_say_what_runs_and_since_when():
    seen = {}

    async def probe():
        await asyncio.sleep(0)
        core = recording().core
        seen["running"] = core.running()
        seen["since"], seen["now"] = core.running_since(), core.now()
        seen["last"] = core.last_record_at()

    with asyncviz.trace() as t:
        asyncio.run(probe())
    assert t.objects[seen["running"]].label == "probe#1"
    # its last begin, the resume after the sleep, is the latest record then
    assert [e.kind for e in t.events if e.obj == seen["running"]][-2:] == ["resume", "return"]
    assert 0 < seen["since"] == seen["last"] <= seen["now"]


def test_nothing_runs_outside_a_step():
    with asyncviz.trace():
        core = recording().core
        assert core.running() == -1 and core.running_since() == -1


@pytest.mark.parametrize("during", ["a long step", "an exit from inside the step"])
def test_the_interpreter_exits_cleanly_with_a_trace_never_stopped(each_backend, during):
    """The program ends while the watchdog watches (or samples): no crash, no noise."""
    ending = "time.sleep(0.3)" if during == "a long step" else "time.sleep(0.12); sys.exit(0)"
    code = textwrap.dedent(
        f"""
        import asyncio, sys, time
        import asyncviz
        asyncviz.trace(blocked_ms=20).__enter__()  # never stopped
        async def step():
            {ending}
        asyncio.run(step())
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
