"""Diagnostics: what went wrong, named.  First hand-made traces whose every number is
known (exact items), then real recordings on every backend (the must-shows: a blocking
call in a coroutine named at its line, coroutines never awaited in the program's code and
in imported code, an unretrieved task exception, tasks and waits left pending)."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import warnings

import pytest

import asyncviz
from asyncviz.analysis.diagnostics import KINDS, Diagnostic, diagnostics
from asyncviz.analysis.summary import format_ns
from asyncviz.trace import Trace
from programs import load
from tracebuilder import TraceBuilder

MS = 1_000_000
CELL = "<cell>"
SOURCE = """\
import asyncio, time

async def fetch():
    await asyncio.sleep(0)
    time.sleep(0.25)
    compute()
    await asyncio.sleep(0)
"""


def blocked_trace(samples=(), meta=None, idle=()) -> Trace:
    """A task whose coroutine resumes at 10 ms and holds the loop until 260 ms."""
    b = TraceBuilder()
    task = b.obj("task", "Task-1", state="CLOSED", coro=1)
    fetch = b.obj("coroutine", "fetch#1", "fetch", filename=CELL, firstlineno=3, task=task)
    b.ev(0, task, "create").ev(1 * MS, fetch, "start", line=3)
    b.ev(2 * MS, fetch, "await", line=4).ev(10 * MS, fetch, "resume", line=4)
    b.ev(260 * MS, fetch, "await", line=7).ev(261 * MS, fetch, "resume", line=7)
    b.ev(262 * MS, fetch, "return", line=7).ev(262 * MS, task, "return")
    info = {"blocked_ms": 100, "blocked": [list(s) for s in samples]}
    info.update(meta or {})
    return b.build(duration=300 * MS, meta=info, sources={CELL: SOURCE}, idle=idle)


def sample(t_ms, line, function="fetch", inner=(None, None, None), oid=1, filename=CELL):
    return [t_ms * MS, oid, filename, line, function, *inner]


def test_a_long_step_is_named_at_the_line_its_samples_found():
    trace = blocked_trace([sample(60, 5), sample(110, 5), sample(160, 5), sample(210, 6)])
    assert trace.diagnostics() == [
        Diagnostic(
            "loop-blocked",
            (1, 0),
            10 * MS,
            260 * MS,
            5,
            "the event loop was blocked for 250.0 ms by fetch#1 at line 5 (time.sleep(0.25))",
            CELL,
        )
    ]


def test_the_library_call_it_was_inside_and_a_function_of_another_file():
    inner = ("/usr/lib/python3/threading.py", 331, "Condition.wait")
    trace = blocked_trace([sample(60, 5, inner=inner), sample(110, 5, inner=inner)])
    (d,) = trace.diagnostics()
    assert d.message == (
        "the event loop was blocked for 250.0 ms by fetch#1 at line 5 (time.sleep(0.25)), "
        "inside Condition.wait() (threading.py:331)"
    )
    helper = "/home/me/helpers.py"
    trace = blocked_trace([sample(60, 12, "work", filename=helper)])
    (d,) = trace.diagnostics()
    assert (d.line, d.filename) == (12, helper)
    assert d.message.startswith(
        "the event loop was blocked for 250.0 ms by fetch#1 in work() at line 12 of helpers.py"
    )


@pytest.mark.parametrize(
    "cell", ["/tmp/ipykernel_25318/1144015558.py", "<ipython-input-3-0a1b2c3d4e5f>"]
)
def test_a_function_of_another_notebook_cell_is_named_so(cell):
    # a cell's code lives in a temporary file whose name means nothing to the reader
    trace = blocked_trace([sample(60, 3, "slow", filename=cell)])
    (d,) = trace.diagnostics()
    assert (d.line, d.filename) == (3, cell)
    assert d.message.startswith(
        "the event loop was blocked for 250.0 ms by fetch#1 in slow() at line 3 of another cell"
    )


def test_without_a_sample_the_line_it_resumed_at_and_why():
    said = "the event loop was blocked for 250.0 ms by fetch#1 in the step resumed at line 4"
    said += " (await asyncio.sleep(0)); no sample shows where"
    (d,) = blocked_trace().diagnostics()
    assert d == Diagnostic(
        "loop-blocked", (1, 0), 10 * MS, 260 * MS, 4, said + " (none was taken in it)", CELL
    )
    (d,) = blocked_trace(meta={"blocked_ms": 1000}).diagnostics(blocked_ms=100)
    assert d.message == said + " (it was recorded with blocked_ms=1000, which samples longer steps)"
    old = blocked_trace()
    del old.meta["blocked_ms"]  # a trace from before the watchdog
    (d,) = old.diagnostics()
    assert d.message == said + " (it was recorded without the watchdog)"


def test_the_threshold_is_the_recorded_one_unless_given():
    trace = blocked_trace([sample(60, 5)])
    assert [d.kind for d in trace.diagnostics(blocked_ms=200)] == ["loop-blocked"]
    assert trace.diagnostics(blocked_ms=250) == []  # more than the threshold, strictly
    trace.meta["blocked_ms"] = 300
    assert trace.diagnostics() == []
    assert len(trace.diagnostics(blocked_ms=50)) == 1
    for bad in (0, -1, "100", float("nan")):
        with pytest.raises(ValueError, match="blocked_ms must be a number of ms above 0"):
            trace.diagnostics(blocked_ms=bad)  # type: ignore[arg-type]


def test_waiting_for_io_inside_a_step_does_not_block_the_loop():
    # a loop run inside the step (nest_asyncio) waited in select() from 50 to 240 ms
    trace = blocked_trace(idle=[(50 * MS, 240 * MS)])
    assert trace.diagnostics() == []
    trace = blocked_trace(idle=[(150 * MS, 155 * MS)])  # 140 ms, then 105 ms
    assert [(d.t0, d.t1) for d in trace.diagnostics()] == [
        (10 * MS, 150 * MS),
        (155 * MS, 260 * MS),
    ]


def nested_trace() -> Trace:
    """A cell coroutine whose one step runs a loop: task B's steps inside it."""
    b = TraceBuilder()
    cell = b.obj("coroutine", "cell", "cell", filename=CELL, firstlineno=1)
    task = b.obj("task", "Task-B", state="CLOSED", coro=2, parent=cell)
    inner = b.obj("coroutine", "inner#1", "inner", filename=CELL, firstlineno=3, task=task)
    b.ev(0, cell, "start", line=1).ev(50 * MS, task, "create")
    b.ev(100 * MS, inner, "start", line=3).ev(150 * MS, inner, "await", line=4)
    b.ev(200 * MS, inner, "resume", line=4).ev(400 * MS, inner, "return", line=5)
    b.ev(400 * MS, task, "return").ev(600 * MS, cell, "return", line=2)
    return b.build(duration=600 * MS, meta={"blocked_ms": 100})


def test_a_loop_run_inside_a_step_counts_the_stretches_between_its_steps():
    said = [(d.objects, d.t0 // MS, d.t1 // MS) for d in nested_trace().diagnostics()]
    # inner's second step (200 ms); the cell after the loop ran (200 ms); the cell's
    # stretches before (100 ms) and between (50 ms) are not over the threshold
    assert said == [((2, 1), 200, 400), ((0,), 400, 600)]


def test_a_generator_outside_any_task_blocks_no_loop():
    b = TraceBuilder()
    g = b.obj("generator", "g#1", "g", filename=CELL, firstlineno=1)
    b.ev(0, g, "start", line=1).ev(500 * MS, g, "yield", value=1, line=2)
    assert b.build(meta={"blocked_ms": 100}).diagnostics() == []


# -- late-timer ---------------------------------------------------------------------------


def timer_trace(woke_ms: int, busy: bool = False) -> Trace:
    b = TraceBuilder()
    fetch = b.obj("coroutine", "fetch#1", "fetch", filename=CELL, firstlineno=3)
    timer = b.obj("future", "sleep(0.01)", "Future", deadline=20 * MS, state="CLOSED")
    b.ev(0, fetch, "start", line=3).ev(10 * MS, fetch, "await", line=4, target=timer)
    if busy:  # another coroutine held the loop meanwhile
        other = b.obj("coroutine", "other#1", "other", filename=CELL, firstlineno=9)
        b.ev(11 * MS, other, "start", line=9).ev(woke_ms * MS - 1, other, "return", line=10)
    b.ev(woke_ms * MS, fetch, "resume", line=4).ev(woke_ms * MS + 1, fetch, "return", line=5)
    return b.build(meta={"blocked_ms": 100}, sources={CELL: SOURCE})


def test_a_timer_that_woke_later_than_its_deadline_by_more_than_the_threshold():
    assert timer_trace(woke_ms=110).diagnostics() == []  # 90 ms late: under the threshold
    (d,) = timer_trace(woke_ms=150).diagnostics()
    assert d == Diagnostic(
        "late-timer",
        (0, 1),
        20 * MS,
        150 * MS,
        4,
        "sleep(0.01), awaited by fetch#1 at line 4 (await asyncio.sleep(0)), woke it "
        "130.0 ms after its deadline",
        CELL,
    )


def test_a_late_timer_names_what_held_the_loop():
    late, blocked = sorted(timer_trace(woke_ms=150, busy=True).diagnostics(), key=lambda d: d.kind)
    assert blocked.kind == "loop-blocked" and blocked.objects == (2,)
    assert late.message.endswith("after its deadline (other#1 held the loop then)")


# -- never-awaited, unretrieved-exception -------------------------------------------------


def test_a_coroutine_never_awaited_and_where_it_was_dropped():
    b = TraceBuilder()
    sleep = b.obj("coroutine", "sleep#1", "sleep", filename="/usr/lib/asyncio/tasks.py")
    fetch = b.obj("coroutine", "fetch#1", "fetch", filename=CELL, firstlineno=3)
    b.ev(5 * MS, sleep, "close").ev(7 * MS, fetch, "close")
    meta = {"never_awaited": [sleep, fetch], "never_awaited_at": [[sleep, CELL, 5, "main"]]}
    trace = b.build(meta=meta, sources={CELL: SOURCE})
    assert trace.diagnostics() == [
        Diagnostic(
            "never-awaited",
            (sleep,),
            5 * MS,
            5 * MS,
            5,
            "the coroutine sleep() (sleep#1) was never awaited: it was dropped at line 5 "
            "(time.sleep(0.25)) — a missing await?",
            CELL,
        ),
        Diagnostic(
            "never-awaited",
            (fetch,),
            7 * MS,
            7 * MS,
            3,
            "the coroutine fetch() (fetch#1) was never awaited",
            CELL,
        ),
    ]


def test_task_exceptions_nobody_retrieved():
    b = TraceBuilder()
    task = b.obj("task", "boom#1", "Task-3", state="CLOSED", coro=1)
    boom = b.obj("coroutine", "boom#1", "boom", filename=CELL, firstlineno=3, task=task)
    b.ev(0, task, "create").ev(1 * MS, boom, "start", line=3)
    b.ev(2 * MS, boom, "raise", value="ValueError('x')", line=5)
    b.ev(2 * MS, task, "raise", value="ValueError('x')")
    unretrieved = [
        [task, 9 * MS, "end", "ValueError('x')"],
        [-1, 8 * MS, "collected", "KeyError('k')"],
    ]
    trace = b.build(meta={"unretrieved": unretrieved}, sources={CELL: SOURCE})
    assert trace.diagnostics() == [
        Diagnostic(
            "unretrieved-exception",
            (task, boom),
            2 * MS,
            2 * MS,
            5,
            "task boom#1 raised ValueError('x') at line 5 (time.sleep(0.25)), and nobody "
            "retrieved its exception: await the task, or call its result()",
            CELL,
        ),
        Diagnostic(
            "unretrieved-exception",
            (),
            8 * MS,
            8 * MS,
            None,
            "a task raised KeyError('k'), and was collected without anyone retrieving its "
            "exception (asyncio logged it)",
            None,
        ),
    ]


# -- pending-at-end, wait-never-completed -------------------------------------------------


def pending_trace() -> Trace:
    b = TraceBuilder()
    root = b.obj("task", "root", state="SUSPENDED")  # the task that ran the trace
    task = b.obj("task", "worker#1", "Task-2", state="SUSPENDED", coro=2, parent=root)
    worker = b.obj("coroutine", "worker#1", "worker", filename=CELL, firstlineno=3, task=task)
    helper = b.obj("coroutine", "helper#1", "helper", filename=CELL, firstlineno=6, task=task)
    get = b.obj("future", "Queue.get()", "Future", state="SUSPENDED")
    idle = b.obj("task", "idle#1", "Task-3", state="CREATED", parent=root)
    done = b.obj("future", "Future#2", "Future", state="CLOSED")
    waiter = b.obj("coroutine", "waiter#1", "waiter", filename=CELL, firstlineno=9)
    closed = b.obj("coroutine", "closed#1", "closed", filename=CELL, firstlineno=9)
    b.ev(0, task, "create").ev(1 * MS, worker, "start", line=3)
    b.ev(2 * MS, helper, "start", line=6).ev(3 * MS, helper, "await", line=7, target=get)
    b.ev(3 * MS, worker, "await", line=4, target=helper).ev(4 * MS, idle, "create")
    b.ev(5 * MS, waiter, "start", line=9).ev(6 * MS, waiter, "await", line=10, target=done)
    b.ev(7 * MS, closed, "start", line=9).ev(8 * MS, closed, "await", line=10, target=task)
    b.ev(9 * MS, closed, "close", line=10)
    return b.build(duration=50 * MS, meta={"tracing_task": root}, sources={CELL: SOURCE})


def test_tasks_pending_at_the_end_and_what_they_wait_for():
    said = [d for d in pending_trace().diagnostics() if d.kind == "pending-at-end"]
    assert said == [
        Diagnostic(
            "pending-at-end",
            (1, 2),
            0,
            50 * MS,
            7,
            "task worker#1 was still pending when the trace ended, waiting for Queue.get() "
            "at line 7 (await asyncio.sleep(0))",
            CELL,
        ),
        Diagnostic(
            "pending-at-end",
            (5,),
            4 * MS,
            50 * MS,
            None,
            "task idle#1 was created but had not started when the trace ended",
            None,
        ),
    ]


def test_waits_that_never_completed():
    said = [d for d in pending_trace().diagnostics() if d.kind == "wait-never-completed"]
    assert said == [
        Diagnostic(
            "wait-never-completed",
            (3, 4),
            3 * MS,
            50 * MS,
            7,
            "helper#1 waited for Queue.get() at line 7 (await asyncio.sleep(0)), and it never "
            "completed before the trace ended",
            CELL,
        ),
        Diagnostic(
            "wait-never-completed",
            (8, 1),
            8 * MS,
            9 * MS,
            10,
            "closed#1 was closed while waiting for worker#1 at line 10, which never completed "
            "before the trace ended",
            CELL,
        ),
    ]  # not worker#1 (it awaits a coroutine), nor waiter#1 (Future#2 is done)


# -- the list -----------------------------------------------------------------------------


def test_in_time_order_json_able_pure_and_kept_by_the_file(tmp_path):
    trace = pending_trace()
    before = trace.to_bytes()
    said = trace.diagnostics()
    assert trace.to_bytes() == before
    assert [d.t0 for d in said] == sorted(d.t0 for d in said)
    assert {d.kind for d in said} <= set(KINDS)
    assert json.loads(json.dumps([d.as_dict() for d in said]))[0]["objects"] == [1, 2]
    assert asyncviz.load(trace.save(tmp_path / "t.avz")).diagnostics() == said
    assert diagnostics(trace) == said
    assert asyncviz.Diagnostic is Diagnostic


def test_what_a_loaded_file_says_in_another_shape_is_left_out():
    trace = blocked_trace()
    trace.meta.update(
        blocked=[["x"], [60 * MS, 99, CELL, 5, "fetch", None, None, None], "junk"],
        never_awaited=["a", 99, None],
        never_awaited_at="nope",
        unretrieved=[[0], {"oid": 0}],
    )
    (d,) = trace.diagnostics()
    assert d.kind == "loop-blocked" and d.message.endswith("(none was taken in it)")


# -- real recordings, every backend ---------------------------------------------------------

pytestmark_backends = pytest.mark.usefixtures("each_backend")

BLOCKING = """
import asyncio, time

async def fetch():
    await asyncio.sleep(0)
    time.sleep(0.2)
    return 1

async def quick():
    for _ in range(5):
        await asyncio.sleep(0.001)

async def main():
    return await asyncio.gather(fetch(), quick())
"""


@pytestmark_backends
def test_a_blocking_call_in_a_coroutine_is_named_at_its_line():
    ns = load(BLOCKING)
    with asyncviz.trace() as t:
        assert asyncio.run(ns["main"]()) == [1, None]
    fetch = t.object("fetch#1")
    # (a machine this loaded may stall another step past the threshold now and then)
    (d,) = [d for d in t.diagnostics() if d.objects[0] == fetch.id]
    assert (d.kind, d.line, d.filename) == ("loop-blocked", 6, fetch.filename)
    assert fetch.task is not None and d.objects == (fetch.id, fetch.task)
    assert 200 * MS <= d.t1 - d.t0 < 400 * MS
    assert d.message == (
        f"the event loop was blocked for {format_ns(d.t1 - d.t0)} by fetch#1 at line 6 "
        "(time.sleep(0.2))"
    )


NEVER_AWAITED = """
import asyncio

async def fetch():
    return 1

async def main():
    fetch()
    asyncio.sleep(0.5)
    imported.lookup()
    await asyncio.sleep(0)
"""

IMPORTED = """
async def lookup():
    return 2
"""


@pytestmark_backends
@pytest.mark.parametrize("scope", ["in scope", "excluded"])
def test_coroutines_never_awaited_in_the_program_and_in_imported_code(tmp_path, monkeypatch, scope):
    (tmp_path / "imported_lib.py").write_text(IMPORTED)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("imported_lib", None)
    import imported_lib

    ns = load(NEVER_AWAITED)
    ns["imported"] = imported_lib
    exclude = ["imported_lib"] if scope == "excluded" else []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with asyncviz.trace(exclude=exclude) as t:
            asyncio.run(ns["main"]())
        gc.collect()
    said = [d for d in t.diagnostics() if d.kind == "never-awaited"]
    expected = ["fetch", "sleep"] + (["lookup"] if scope == "in scope" else [])
    assert [t.objects[d.objects[0]].name for d in said] == expected
    line = ns["main"].__code__.co_firstlineno
    assert [d.line for d in said] == [line + 1, line + 2, line + 3][: len(expected)]
    assert said[1].message == (
        f"the coroutine sleep() (sleep#1) was never awaited: it was dropped at line {line + 2} "
        "(asyncio.sleep(0.5)) — a missing await?"
    )
    # the program still hears of it, as it would untraced
    assert sum("was never awaited" in str(w.message) for w in caught) == 3


UNRETRIEVED = """
import asyncio

async def boom(what):
    raise ValueError(what)

async def main(keep):
    keep.append(asyncio.create_task(boom("kept")))
    asyncio.create_task(boom("dropped"))
    await asyncio.sleep(0.01)
"""


def run_unretrieved(trace: bool):
    ns = load(UNRETRIEVED)
    kept: list = []
    reports: list = []

    async def main():
        asyncio.get_running_loop().set_exception_handler(
            lambda _loop, context: reports.append(str(context.get("exception")))
        )
        if trace:
            async with asyncviz.trace() as t:
                await ns["main"](kept)
                gc.collect()
        else:
            t = None
            await ns["main"](kept)
            gc.collect()
        return t

    t = asyncio.run(main())
    return t, kept, reports


@pytestmark_backends
def test_an_unretrieved_task_exception_is_diagnosed_and_still_reported():
    t, kept, reports = run_unretrieved(trace=True)
    assert t is not None
    said = [d for d in t.diagnostics() if d.kind == "unretrieved-exception"]
    line = 5
    assert [(t.objects[d.objects[1]].label, d.line) for d in said] == [
        ("boom#1", line),  # still held by the program when the trace stopped
        ("boom#2", line),  # collected while the trace ran: asyncio reported it then
    ]
    kept_said, dropped_said = (d.message for d in said)
    assert kept_said.startswith("task ")
    assert "raised ValueError('kept') at line 5 (raise ValueError(what))" in kept_said
    assert kept_said.endswith(
        "nobody retrieved its exception: await the task, or call its result()"
    )
    assert "raised ValueError('dropped')" in dropped_said
    assert dropped_said.endswith(
        "collected without anyone retrieving its exception (asyncio logged it)"
    )
    # nothing was retrieved by the trace: the kept task's exception is still to be logged
    _t, kept_untraced, reports_untraced = run_unretrieved(trace=False)
    assert reports == reports_untraced == ["dropped"]
    del kept[:], kept_untraced[:]
    gc.collect()
    assert reports == reports_untraced == ["dropped", "kept"]  # asyncio says it, late


PENDING = """
import asyncio

async def waiter(event):
    await event.wait()

async def main(event):
    task = asyncio.create_task(waiter(event))
    await asyncio.sleep(0)
    return task
"""


@pytestmark_backends
def test_a_task_left_waiting_is_pending_and_its_wait_never_completed():
    ns = load(PENDING)

    async def main():
        event = asyncio.Event()
        async with asyncviz.trace(label="root") as t:
            task = await ns["main"](event)
        event.set()
        await task
        return t

    t = asyncio.run(main())
    kinds = sorted(d.kind for d in t.diagnostics())
    assert kinds == ["pending-at-end", "wait-never-completed"]
    pending = next(d for d in t.diagnostics() if d.kind == "pending-at-end")
    assert pending.message.startswith(
        f"task {t.objects[pending.objects[0]].label} was still pending"
    )
    assert "at line 5 (await event.wait())" in pending.message
    assert t.object("root").id not in pending.objects  # the task that ran the trace


@pytestmark_backends
def test_a_quick_program_has_nothing_to_say():
    ns = load(BLOCKING.replace("time.sleep(0.2)", "time.sleep(0)"))
    with asyncviz.trace(blocked_ms=300) as t:  # (over any stall of this loaded machine)
        asyncio.run(ns["main"]())
    assert t.diagnostics() == []
