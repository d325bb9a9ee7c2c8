"""The backends: chosen as documented, and the native and Python cores record the same
thing for the same program (kind, object, value, line, target — not times)."""

from __future__ import annotations

import asyncio
import re
import sys

import pytest

import asyncviz
from asyncviz.recording import backend, native, protocol
from asyncviz.recording.recorder import TraceError
from asyncviz.trace import INLINE_BIAS, INLINE_INT, NO_VALUE, NUMBER_BASE, RECORD_SIZE
from programs import load
from corpus import CORPUS

NATIVE = backend.native_problem() is None
needs_native = pytest.mark.skipif(not NATIVE, reason=f"native core: {backend.native_problem()}")


def _run(source: str, name: str):
    ns = load(source)
    fn = ns["main"]
    if asyncio.iscoroutinefunction(fn):

        async def runner():
            async with asyncviz.trace(backend=name, exclude=[__file__]) as t:
                try:
                    await fn()
                except Exception:
                    pass
            return t

        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(runner())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
    with asyncviz.trace(backend=name) as t:
        try:
            fn()
        except Exception:
            pass
    return t


def _record(trace) -> tuple:
    """Everything but times; asyncio's task numbers (Task-7) renumbered by appearance."""
    names: dict[str, str] = {}

    def same(text):
        if text is None:
            return None
        return re.sub(
            r"Task-\d+", lambda m: names.setdefault(m.group(0), f"Task@{len(names)}"), text
        )

    events = [(e.kind, e.obj, same(e.value), e.line, e.target) for e in trace.events]
    objects = [
        (o.kind, same(o.name), same(o.label), o.state, o.parent, o.initial, o.coro, o.task)
        for o in trace.objects
    ]
    return events, objects


@needs_native
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_native_and_python_record_the_same(name):
    if name == "eager_task" and sys.version_info < (3, 12):
        pytest.skip("eager tasks are new in 3.12")
    a, b = _run(CORPUS[name], "native"), _run(CORPUS[name], "python")
    assert a.meta["backend"] == "native" and b.meta["backend"] == "python"
    assert _record(a) == _record(b)


@needs_native
def test_native_constants_are_the_python_ones():
    c = native.module().CONSTANTS
    assert (c["CREATED"], c["RUNNING"], c["SUSPENDED"], c["CLOSED"]) == (
        protocol.CREATED,
        protocol.RUNNING,
        protocol.SUSPENDED,
        protocol.CLOSED,
    )
    assert (c["GENERATOR"], c["COROUTINE"], c["ASYNC_GENERATOR"], c["TASK"], c["FUTURE"]) == (
        protocol.GENERATOR,
        protocol.COROUTINE,
        protocol.ASYNC_GENERATOR,
        protocol.TASK,
        protocol.FUTURE,
    )
    assert (
        c["OUT"],
        c["RECORD"],
        c["CREATE_TASK"],
        c["SELECT"],
        c["UNAWAITED"],
        c["TASK_NAME"],
        c["CANCELS"],
        c["WAITS"],
    ) == (
        protocol.OUT,
        protocol.RECORD,
        protocol.CREATE_TASK,
        protocol.SELECT,
        protocol.UNAWAITED,
        protocol.TASK_NAME,
        protocol.CANCELS,
        protocol.WAITS,
    )
    from asyncviz.recording.tasks import RAISE, RETURN, START

    assert (c["START"], c["RETURN"], c["RAISE"]) == (START, RETURN, RAISE)
    assert (c["NO_VALUE"], c["INLINE_INT"], c["INLINE_BIAS"], c["RECORD_SIZE"]) == (
        NO_VALUE,
        INLINE_INT,
        INLINE_BIAS,
        RECORD_SIZE,
    )
    assert (c["OBJECT_COST"], c["STRING_COST_BYTES"]) == (
        protocol.OBJECT_COST,
        protocol.STRING_COST_BYTES,
    )
    assert NUMBER_BASE == 0x40000000


def test_meta_says_which_backend_and_why(monkeypatch):
    monkeypatch.delenv(backend.ENV, raising=False)
    with asyncviz.trace() as t:
        pass
    assert t.meta["backend"] == ("native" if NATIVE else "python")
    assert t.meta["hook"] == ("sys.monitoring" if sys.version_info >= (3, 12) else "sys.settrace")
    assert t.meta["backend_reason"].startswith(t.meta["backend"] + ":")
    with asyncviz.trace(backend="python") as t:
        pass
    assert t.meta["backend"] == "python" and "asked for" in t.meta["backend_reason"]
    monkeypatch.setenv(backend.ENV, "python")
    with asyncviz.trace() as t:
        pass
    assert t.meta["backend"] == "python" and backend.ENV in t.meta["backend_reason"]


def test_unknown_backend_is_a_clear_error(monkeypatch):
    with pytest.raises(TraceError, match="unknown backend 'fast'.*native, python"):
        with asyncviz.trace(backend="fast"):
            pass
    monkeypatch.setenv(backend.ENV, "nope")
    with pytest.raises(TraceError, match=f"{backend.ENV}=nope"):
        with asyncviz.trace():
            pass


def test_without_the_native_core_the_python_one_records_and_says_so_once(monkeypatch, capsys):
    monkeypatch.delenv(backend.ENV, raising=False)
    monkeypatch.setattr(native, "problem", lambda: "the C extension is not built (test)")
    monkeypatch.setattr(backend, "_said_missing", False)
    for _ in range(2):
        with asyncviz.trace() as t:
            list(x for x in range(3))
    assert t.meta["backend"] == "python"
    assert "not available (the C extension is not built (test))" in t.meta["backend_reason"]
    err = capsys.readouterr().err
    assert err.count("native recorder is not available") == 1
    with pytest.raises(TraceError, match="native recorder is not available"):
        with asyncviz.trace(backend="native"):
            pass


BLOCKING = """
import asyncio, time

async def fetch(n):
    await asyncio.sleep(0)
    time.sleep(0.25)
    return n

async def main():
    return await asyncio.gather(fetch(1), fetch(2))
"""


def _blocked(name: str) -> tuple:
    """What the watchdog saw in the long steps and what the diagnostics say of them (not
    times; a threshold the loaded machine's stalls do not reach)."""
    trace = _run(BLOCKING, name)
    labels = {o.id: o.label for o in trace.objects}
    said = trace.diagnostics(blocked_ms=150)
    samples = {
        (labels[s[1]], s[3], s[4], s[7])
        for s in trace.meta["blocked"]
        if any(d.t0 <= s[0] <= d.t1 for d in said)
    }
    facts = [
        (d.kind, [trace.objects[o].kind for o in d.objects], d.line, d.message.split(" by ")[1])
        for d in said
    ]
    return samples, facts


@needs_native
def test_native_and_python_watchdogs_agree():
    native, python = _blocked("native"), _blocked("python")
    assert native == python
    samples, said = native
    assert samples == {("fetch#1", 6, "fetch", None), ("fetch#2", 6, "fetch", None)}
    assert said == [
        ("loop-blocked", ["coroutine", "task"], 6, "fetch#1 at line 6 (time.sleep(0.25))"),
        ("loop-blocked", ["coroutine", "task"], 6, "fetch#2 at line 6 (time.sleep(0.25))"),
    ]
