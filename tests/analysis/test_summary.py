"""Summary: one row per traced object, from real recordings and from hand-made traces
whose every number is known."""

from __future__ import annotations

import asyncio
import html
import inspect
import json

import pytest

import asyncviz
from asyncviz.analysis.summary import EMPTY, Row, Summary, format_ns
from asyncviz.trace import NO_TARGET, Trace
from tracebuilder import TraceBuilder

SCRIPT = "<script>alert(1)</script>"
FRAME_KINDS = ("generator", "coroutine", "async_generator")


def counts(row: Row) -> tuple:
    return (
        row.label,
        row.kind,
        row.state,
        row.end,
        row.parent,
        row.starts,
        row.resumes,
        row.yields,
        row.awaits,
        row.waited_on,
    )


def check_times(trace: Trace, summary: Summary) -> None:
    """Times are spans of the object's own events: never negative, never more than the
    trace, and for a frame they tile its life from first run to its end exactly."""
    assert summary.duration_ns == trace.duration > 0
    by_id = {o.id: o for o in trace.objects}
    for row in summary.rows:
        assert row.running_ns >= 0 and row.suspended_ns >= 0, row
        assert row.running_ns + row.suspended_ns <= trace.duration, row
        assert 0 <= row.longest_ns <= row.running_ns, row
        if row.kind not in FRAME_KINDS:
            continue
        own = [e for e in trace.events if e.obj == row.id]
        first = next(e.t for e in own if e.kind in ("start", "resume", "throw"))
        ends = [e.t for e in own if e.kind in ("return", "raise", "close")]
        last = ends[-1] if by_id[row.id].state == "CLOSED" and ends else trace.duration
        assert row.running_ns + row.suspended_ns == last - first, row


# -- a generator driven by next / send / close / throw ------------------------------------


def gen():
    x = yield 1
    y = yield x
    yield y


def generator_program() -> Trace:
    with asyncviz.trace() as t:
        g = gen()
        next(g)
        g.send(10)
        g.send(20)
        g.close()
        g2 = gen()
        next(g2)
        try:
            g2.throw(ValueError("x"))
        except ValueError:
            pass
    return t


def test_generator_rows():
    t = generator_program()
    s = t.summary()
    assert [counts(r) for r in s.rows] == [
        ("gen#1", "generator", "CLOSED", "closed", None, 1, 2, 3, 0, ()),
        ("gen#2", "generator", "CLOSED", "raised ValueError('x')", None, 1, 1, 1, 0, ()),
    ]
    first = gen.__code__.co_firstlineno
    # a step begins at the def line (start) or at the yield it resumes
    assert s.rows[0].longest_line in {first, first + 1, first + 2}
    assert s.rows[1].longest_line in {first, first + 1}
    assert s.rows[0].state_text == "CLOSED (closed)"


def test_generator_times():
    t = generator_program()
    check_times(t, t.summary())


# -- a coroutine awaiting tasks -------------------------------------------------------------


async def child():
    await asyncio.sleep(0.001)
    return 5


async def sleeper():
    await asyncio.sleep(10)


async def main():
    asyncio.current_task().set_name("main-task")
    kid = asyncio.create_task(child(), name="kid")
    sleeping = asyncio.create_task(sleeper(), name="sleeper")
    result = await kid
    sleeping.cancel()
    try:
        await sleeping
    except asyncio.CancelledError:
        pass
    return result


def asyncio_program() -> Trace:
    with asyncviz.trace() as t:
        assert asyncio.run(main()) == 5
    return t


def test_asyncio_rows():
    t = asyncio_program()
    s = t.summary()
    waits = (("kid", 1), ("sleeper", 1))
    cancelled = "raised CancelledError()"
    assert [counts(r) for r in s.rows] == [
        ("main-task", "task", "CLOSED", "returned 5", None, 1, 2, 0, 2, waits),
        ("main#1", "coroutine", "CLOSED", "returned 5", "main-task", 1, 2, 0, 2, waits),
        ("kid", "task", "CLOSED", "returned 5", "main-task", 1, 1, 0, 1, (("sleep(0.001)", 1),)),
        ("child#1", "coroutine", "CLOSED", "returned 5", "kid", 1, 1, 0, 1, (("sleep(0.001)", 1),)),
        ("sleeper", "task", "CLOSED", cancelled, "main-task", 1, 1, 0, 1, (("sleep(10)", 1),)),
        ("sleeper#1", "coroutine", "CLOSED", cancelled, "sleeper", 1, 1, 0, 1, (("sleep(10)", 1),)),
    ]
    assert s.futures == 2 and all(r.kind != "future" for r in s.rows)
    assert s.rows[4].state_text == "CLOSED (raised CancelledError())"
    check_times(t, s)
    # a task's row is its coroutine's steps
    for task_row, coro_row in zip(s.rows[0::2], s.rows[1::2]):
        assert (
            task_row.running_ns,
            task_row.suspended_ns,
            task_row.longest_ns,
            task_row.longest_line,
        ) == (
            coro_row.running_ns,
            coro_row.suspended_ns,
            coro_row.longest_ns,
            coro_row.longest_line,
        )
    # child slept ≥ 1 ms between its await and its resume
    assert s.rows[3].suspended_ns >= 1_000_000
    lines = inspect.getsourcelines(child)
    assert s.rows[3].longest_line in range(lines[1], lines[1] + len(lines[0]))
    assert s.idle_ns == sum(b - a for a, b in t.idle) > 0
    text = str(s)
    assert "kid ×1, sleeper ×1" in text and "sleep(0.001) ×1" in text
    assert f"Python {t.meta['python']}" in text and t.meta["backend"] in text


# -- a hand-made trace: every number known --------------------------------------------------


def handmade(label="g#1", value="ValueError('x')", meta=None) -> Trace:
    b = TraceBuilder()
    b.obj("generator", label, "g", filename="<cell>", firstlineno=10, state="CLOSED")
    b.obj("coroutine", "c#1", "c", filename="<cell>", firstlineno=20, state="CLOSED", parent=2)
    b.obj("task", "T", state="CLOSED", coro=1)
    b.obj("future", "Future#1", "Future", state="CLOSED")
    b.obj("generator", "s#1", "s", filename="<cell>", firstlineno=30, state="SUSPENDED", parent=0)
    b.obj("generator", "r#1", "r", filename="<cell>", firstlineno=40, state="SUSPENDED")
    b.obj("task", "T2", state="SUSPENDED", parent=2)
    cancelled = "CancelledError()"
    (
        b.ev(100, 0, "start", line=10)
        .ev(130, 0, "yield", "1", 11)
        .ev(200, 1, "start", line=20)
        .ev(250, 1, "await", line=21, target=3)
        .ev(300, 0, "resume", line=11)
        .ev(400, 0, "yield", "1", 12)
        .ev(450, 1, "resume", line=21)
        .ev(460, 1, "await", line=21, target=3)
        .ev(500, 0, "throw", value, 12)
        .ev(520, 0, "raise", value, 12)
        .ev(600, 2, "cancel")
        .ev(650, 1, "throw", cancelled, 21)
        .ev(700, 1, "raise", cancelled, 21)
        .ev(710, 2, "raise", cancelled)
        .ev(800, 4, "start", line=30)
        .ev(850, 4, "yield", "1", 31)  # still suspended at the end
        .ev(900, 5, "start", line=40)  # still running at the end
        .ev(950, 6, "cancel")
    )  # cancelled, not yet done
    info = (
        meta
        if meta is not None
        else {"duration_ns": 1000, "backend": "test", "python": "3.x", "max_events": 1000}
    )
    trace = b.build(idle=[(260, 290), (720, 790)])
    trace.meta = info
    assert trace.check() is None
    return trace


HANDMADE_TEXT = """\
18 events, 6 objects (+1 future), 1.0 µs (test, Python 3.x); loop idle 100 ns
object  kind       state                             parent  starts  resumes  yields  awaits  running  suspended      longest step  waited on
------  ---------  --------------------------------  ------  ------  -------  ------  ------  -------  ---------  ----------------  -----------
g#1     generator  CLOSED (raised ValueError('x'))   –            1        2       2       0   150 ns     270 ns  100 ns @ line 11  –
c#1     coroutine  CLOSED (raised CancelledError())  T            1        2       0       2   110 ns     390 ns   50 ns @ line 20  Future#1 ×2
T       task       CLOSED (raised CancelledError())  –            1        2       0       2   110 ns     390 ns   50 ns @ line 20  Future#1 ×2
s#1     generator  SUSPENDED                         g#1          1        0       1       0    50 ns     150 ns   50 ns @ line 30  –
r#1     generator  SUSPENDED                         –            1        0       0       0   100 ns       0 ns  100 ns @ line 40  –
T2      task       SUSPENDED (cancel requested)      T            0        0       0       0     0 ns       0 ns                 –  –"""


def test_handmade_rows_exactly():
    s = Summary.of(handmade())
    times = [(r.label, r.running_ns, r.suspended_ns, r.longest_ns, r.longest_line) for r in s.rows]
    assert times == [
        ("g#1", 30 + 100 + 20, 170 + 100, 100, 11),
        ("c#1", 50 + 10 + 50, 200 + 190, 50, 20),  # a tie keeps the first step
        ("T", 110, 390, 50, 20),
        ("s#1", 50, 150, 50, 30),  # suspended until the trace stopped
        ("r#1", 100, 0, 100, 40),  # running until the trace stopped
        ("T2", 0, 0, 0, None),
    ]
    assert [r.end for r in s.rows] == [
        "raised ValueError('x')",
        "raised CancelledError()",
        "raised CancelledError()",
        None,
        None,
        "cancel requested",
    ]
    assert (s.events, len(s.rows), s.futures, s.idle_ns) == (18, 6, 1, 100)


def test_handmade_text_table():
    s = Summary.of(handmade())
    assert str(s) == repr(s) == HANDMADE_TEXT


def test_to_dict_is_json_and_matches_rows():
    s = Summary.of(handmade())
    d = json.loads(json.dumps(s.to_dict()))
    assert d["events"] == 18 and d["objects"] == 6 and d["futures"] == 1
    assert d["duration_ns"] == 1000 and d["idle_ns"] == 100
    assert d["truncated"] is False and d["dropped"] == 0
    assert d["rows"][1] == {
        "id": 1,
        "label": "c#1",
        "kind": "coroutine",
        "state": "CLOSED",
        "end": "raised CancelledError()",
        "parent": "T",
        "starts": 1,
        "resumes": 2,
        "yields": 0,
        "awaits": 2,
        "running_ns": 110,
        "suspended_ns": 390,
        "longest_ns": 50,
        "longest_line": 20,
        "waited_on": [["Future#1", 2]],
    }


def test_summary_is_a_pure_function_of_the_trace():
    trace = handmade()
    before = trace.to_bytes()
    assert str(Summary.of(trace)) == str(Summary.of(trace))
    assert trace.to_bytes() == before


def test_duration_falls_back_to_the_last_event():
    s = Summary.of(handmade(meta={}))
    assert s.duration_ns == 950
    assert s.rows[3].suspended_ns == 950 - 850
    assert s.header() == "18 events, 6 objects (+1 future), 950 ns; loop idle 100 ns"


def test_waited_on_is_most_frequent_first():
    b = TraceBuilder()
    b.obj("coroutine", "c#1", "c", state="CLOSED")
    b.obj("future", "Future#1", "Future", state="CLOSED")
    b.obj("task", "Task-2", "Task", state="CLOSED")
    b.obj("future", "Future#2", "Future", state="CLOSED")
    b.ev(0, 0, "start", line=1)
    for i, target in enumerate([2, 1, 1, 3, 1, None]):
        b.ev(10 * i + 1, 0, "await", line=2, target=NO_TARGET if target is None else target)
        b.ev(10 * i + 5, 0, "resume", line=2)
    b.ev(100, 0, "return", line=3)
    trace = b.build()
    trace.meta = {}
    s = Summary.of(trace)
    assert s.rows[0].waited_on == (("Future#1", 3), ("Task-2", 1), ("Future#2", 1))
    assert s.rows[0].awaits == 6  # the bare yield to the loop counts, but names nothing
    assert s.rows[0].waited_on_text == "Future#1 ×3, Task-2 ×1, Future#2 ×1"


def test_waited_on_groups_futures_by_label():
    """Ten futures that read alike are one entry, counted: what a person reads in the
    column (`sleep(0.01) ×10, Queue.get() ×4`), not ten lines of `Future#N ×1`."""
    b = TraceBuilder()
    b.obj("coroutine", "c#1", "c", state="CLOSED")
    b.obj("task", "Task-2", "Task", state="CLOSED")
    b.ev(0, 0, "start", line=1)
    targets = []
    for _ in range(10):
        targets.append(b.obj("future", "sleep(0.01)", "Future", state="CLOSED"))
    for _ in range(4):
        targets.append(b.obj("future", "Queue.get()", "Future", state="CLOSED"))
    targets.append(1)
    t = 1
    for target in targets:
        b.ev(t, 0, "await", line=2, target=target)
        b.ev(t + 5, 0, "resume", line=2)
        t += 10
    b.ev(t, 0, "return", line=3)
    trace = b.build()
    trace.meta = {}
    row = Summary.of(trace).rows[0]
    assert row.waited_on == (("sleep(0.01)", 10), ("Queue.get()", 4), ("Task-2", 1))
    assert row.waited_on_text == "sleep(0.01) ×10, Queue.get() ×4, Task-2 ×1"
    assert row.awaits == 15


# -- escaping, empty, truncated -------------------------------------------------------------


def evil():
    yield 1
    return SCRIPT


async def evil_main():
    task = asyncio.create_task(child(), name=SCRIPT)
    await task


def assert_escaped(page: str) -> None:
    assert "<script" not in page.lower()
    assert html.escape(SCRIPT) in page


def test_html_escapes_recorded_names_and_values():
    with asyncviz.trace() as t:
        assert list(evil()) == [1]
        asyncio.run(evil_main())
    s = t.summary()
    page = s._repr_html_()
    assert_escaped(page)
    assert page.count(html.escape(SCRIPT)) >= 3  # a return value, a task, a parent
    assert "<table>" in page and "<caption>" in page
    assert t._repr_html_() == page
    assert SCRIPT in str(s)  # plain text needs no escaping


def test_html_escapes_every_string_of_a_loaded_trace():
    trace = handmade(
        label=SCRIPT, value=SCRIPT, meta={"duration_ns": 1000, "backend": SCRIPT, "python": SCRIPT}
    )
    trace.objects[3].label = SCRIPT  # a future, named as what c#1 waited on
    trace.objects[2].label = SCRIPT + "&"
    page = Summary.of(trace)._repr_html_()
    assert_escaped(page)
    # backend and python, g's label, its end and s#1's parent, two rows' waited on,
    # T's label and two parents
    assert page.count(html.escape(SCRIPT)) == 2 + 3 + 2 + 3
    assert "&amp;" in page


def test_control_characters_do_not_break_the_text_table():
    trace = handmade(label="two\nlines\tand a tab", value="x\r\ny")
    lines = str(Summary.of(trace)).splitlines()
    assert len(lines) == 3 + 6
    assert "two\\nlines\\tand a tab" in lines[3]
    assert "raised x\\r\\ny" in lines[3]
    kind_at = lines[1].index("kind")
    kinds = [line[kind_at:].split()[0] for line in lines[3:]]
    assert kinds == ["generator", "coroutine", "task", "generator", "generator", "task"]


def test_long_cells_are_cut_in_text_only():
    long_value = "'" + "v" * 78 + "'"
    s = Summary.of(handmade(value=long_value))
    assert f"CLOSED (raised {long_value})"[:39] + "…" in str(s)
    assert long_value not in str(s)
    assert html.escape(long_value) in s._repr_html_()


def test_empty_trace():
    with asyncviz.trace() as t:
        assert sum(range(10)) == 45
    s = t.summary()
    assert str(s) == EMPTY == "no generator, coroutine or task ran in scope"
    assert s.rows == []
    page = s._repr_html_()
    assert EMPTY in page and "<table" not in page
    assert Summary.of(Trace(b"", [], [])).text() == EMPTY
    assert s.to_dict()["rows"] == []


def test_truncation_notice():
    def numbers():
        for i in range(10):
            yield i

    with asyncviz.trace(max_events=20) as t:
        assert sum(numbers()) == 45
    # one object (8) and 12 events fill the budget; the 13th is dropped and the hooks
    # come off: the rest (10 more) is not even counted
    assert len(t.events) <= 12 and t.dropped >= 1
    s = t.summary()
    notice = (
        "truncated: recording stopped at max_events=20 (events, objects and strings "
        f"together); at least {t.dropped:,} more events were not recorded — raise "
        "--max-events to keep them"
    )
    assert s.truncation == notice == t.truncation
    assert str(s).splitlines()[1] == notice
    assert html.escape(notice) in s._repr_html_()
    row = counts(s.rows[0])
    assert row[5] == 1 and row[6] + row[7] == len(t.events) - 1  # what the kept events show
    assert s.to_dict()["truncated"] is True


def test_no_truncation_notice_when_nothing_was_dropped():
    s = Summary.of(handmade())
    assert s.truncation is None
    assert "truncated" not in str(s) and "truncated" not in s._repr_html_()


@pytest.mark.parametrize(
    "ns, text",
    [
        (0, "0 ns"),
        (812, "812 ns"),
        (999, "999 ns"),
        (1000, "1.0 µs"),
        (3200, "3.2 µs"),
        (999_940, "999.9 µs"),
        (999_960, "1.0 ms"),
        (4_100_000, "4.1 ms"),
        (999_960_000, "1.00 s"),
        (1_250_000_000, "1.25 s"),
        (3_725_000_000_000, "3725.00 s"),
    ],
)
def test_format_ns(ns, text):
    assert format_ns(ns) == text
