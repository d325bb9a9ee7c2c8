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


def running_of(events) -> int:
    """ns one object ran: from each start/resume/throw to its next suspension or end."""
    total, since = 0, None
    for e in events:
        if e.kind in ("start", "resume", "throw"):
            since = e.t
        elif e.kind in ("yield", "await", "return", "raise", "close") and since is not None:
            total, since = total + e.t - since, None
    return total


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
    # a task and the coroutine it drives are one row: the task's label, its end, the
    # coroutine's steps; the row covers both
    assert [counts(r) for r in s.rows] == [
        ("main-task", "task", "CLOSED", "returned 5", None, 1, 2, 0, 2, waits),
        ("kid", "task", "CLOSED", "returned 5", "main-task", 1, 1, 0, 1, (("sleep(0.001)", 1),)),
        ("sleeper", "task", "CLOSED", cancelled, "main-task", 1, 1, 0, 1, (("sleep(10)", 1),)),
    ]
    labels = {o.label: o.id for o in t.objects}
    assert [r.objects for r in s.rows] == [
        (labels["main-task"], labels["main#1"]),
        (labels["kid"], labels["child#1"]),
        (labels["sleeper"], labels["sleeper#1"]),
    ]
    assert [r.display for r in s.rows] == [
        "main-task (main#1)",
        "kid (child#1)",
        "sleeper (sleeper#1)",
    ]
    assert s.objects == 6 and s.futures == 2 and all(r.kind != "future" for r in s.rows)
    assert s.rows[2].state_text == "CLOSED (raised CancelledError())"
    check_times(t, s)
    # a task's row is its coroutine's steps
    for row in s.rows:
        coro = t.objects[row.objects[1]]
        assert t.objects[row.id].coro == coro.id
        own = [e for e in t.events if e.obj == coro.id]
        assert row.starts == sum(e.kind == "start" for e in own)
        assert row.awaits == sum(e.kind == "await" for e in own)
        assert row.running_ns == running_of(own)
    # child slept ≥ 1 ms between its await and its resume
    assert s.rows[1].suspended_ns >= 1_000_000
    lines = inspect.getsourcelines(child)
    assert s.rows[1].longest_line in range(lines[1], lines[1] + len(lines[0]))
    assert s.idle_ns == sum(b - a for a, b in t.idle) > 0
    text = str(s)
    assert "kid ×1, sleeper ×1" in text and "sleep(0.001) ×1" in text
    assert "kid (child#1)" in text
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
object   kind       state                             parent  starts  resumes  yields  awaits  running  suspended      longest step  waited on
-------  ---------  --------------------------------  ------  ------  -------  ------  ------  -------  ---------  ----------------  -----------
g#1      generator  CLOSED (raised ValueError('x'))   –            1        2       2       0   150 ns     270 ns  100 ns @ line 11  –
T (c#1)  task       CLOSED (raised CancelledError())  –            1        2       0       2   110 ns     390 ns   50 ns @ line 20  Future#1 ×2
s#1      generator  SUSPENDED                         g#1          1        0       1       0    50 ns     150 ns   50 ns @ line 30  –
r#1      generator  SUSPENDED                         –            1        0       0       0   100 ns       0 ns  100 ns @ line 40  –
T2       task       SUSPENDED (cancel requested)      T            0        0       0       0     0 ns       0 ns                 –  –
diagnostics: pending-at-end ×1 — Trace.diagnostics() says what and where"""


def test_handmade_rows_exactly():
    s = Summary.of(handmade())
    times = [(r.label, r.running_ns, r.suspended_ns, r.longest_ns, r.longest_line) for r in s.rows]
    assert times == [
        ("g#1", 30 + 100 + 20, 170 + 100, 100, 11),
        ("T", 50 + 10 + 50, 200 + 190, 50, 20),  # c#1's steps; a tie keeps the first step
        ("s#1", 50, 150, 50, 30),  # suspended until the trace stopped
        ("r#1", 100, 0, 100, 40),  # running until the trace stopped
        ("T2", 0, 0, 0, None),
    ]
    assert [r.end for r in s.rows] == [
        "raised ValueError('x')",
        "raised CancelledError()",
        None,
        None,
        "cancel requested",
    ]
    # the task T and its coroutine c#1 are one row, placed where the first of them was
    assert [r.objects for r in s.rows] == [(0,), (2, 1), (4,), (5,), (6,)]
    assert [p.label for p in s.rows[1].parts] == ["T", "c#1"]
    assert (s.events, len(s.rows), s.objects, s.futures, s.idle_ns) == (18, 5, 6, 1, 100)


def test_handmade_text_table():
    s = Summary.of(handmade())
    assert str(s) == repr(s) == HANDMADE_TEXT


HANDMADE_ROW_HTML = (
    "<tr><td><details><summary>T (c#1)</summary>"
    "<div>task T: CLOSED (raised CancelledError())</div>"
    "<div>coroutine c#1: CLOSED (raised CancelledError())</div></details></td>"
    "<td>task</td><td>CLOSED (raised CancelledError())</td><td>–</td>"
    "<td>1</td><td>2</td><td>0</td><td>2</td><td>110 ns</td><td>390 ns</td>"
    "<td>50 ns @ line 20</td><td>Future#1 ×2</td></tr>"
)
# every cell on one line, text left, the numeric columns (5th to 11th) right, by two rules
T = ".asyncviz-summary.asyncviz-table"
STYLE = (
    f"<style>{T} td,{T} th"
    "{white-space:nowrap;text-align:left;vertical-align:top}"
    + ",".join(f"{T} td:nth-child({i}),{T} th:nth-child({i})" for i in range(5, 12))
    + "{text-align:right}</style>"
)


def test_handmade_html_merges_a_task_and_its_coroutine_in_one_expandable_row():
    page = Summary.of(handmade())._repr_html_()
    assert page.count("<tr>") == 1 + 5  # the head and five rows
    assert HANDMADE_ROW_HTML in page
    assert page.count("<details>") == 1  # only the merged row expands (and the diagnostics)
    assert page.count('<details class="asyncviz-diagnostics">') == 1
    assert page.startswith(
        f'<div class="asyncviz-summary asyncviz-table">{STYLE}<table><caption>asyncviz summary: 18 events, '
        "6 objects (+1 future), 1.0 µs (test, Python 3.x); loop idle 100 ns</caption>"
        "<thead><tr><th>object</th><th>kind</th><th>state</th><th>parent</th><th>starts</th>"
    )
    assert page.endswith(
        '</tbody></table><details class="asyncviz-diagnostics"><summary>diagnostics: '
        "pending-at-end ×1 — Trace.diagnostics() says what and where</summary><ul><li>task T2 "
        "was still pending when the trace ended</li></ul></details></div>"
    )


def test_to_dict_is_json_and_matches_rows():
    s = Summary.of(handmade())
    d = json.loads(json.dumps(s.to_dict()))
    assert d["events"] == 18 and d["objects"] == 6 and d["futures"] == 1
    assert d["duration_ns"] == 1000 and d["idle_ns"] == 100
    assert d["truncated"] is False and d["dropped"] == 0
    assert d["rows"][1] == {
        "id": 2,
        "label": "T",
        "kind": "task",
        "state": "CLOSED",
        "end": "raised CancelledError()",
        "parent": None,
        "starts": 1,
        "resumes": 2,
        "yields": 0,
        "awaits": 2,
        "running_ns": 110,
        "suspended_ns": 390,
        "longest_ns": 50,
        "longest_line": 20,
        "waited_on": [["Future#1", 2]],
        "objects": [2, 1],
    }
    assert [r["objects"] for r in d["rows"]] == [[0], [2, 1], [4], [5], [6]]


def test_diagnostics_line_text_html_and_dict():
    s = Summary.of(handmade())
    said = "diagnostics: pending-at-end ×1 — Trace.diagnostics() says what and where"
    assert s.diagnostics_line() == said == str(s).splitlines()[-1]
    message = "task T2 was still pending when the trace ended"
    assert [(d.kind, d.objects, d.message) for d in s.diagnostics] == [
        ("pending-at-end", (6,), message)
    ]
    page = s._repr_html_()
    assert f"<summary>{html.escape(said)}</summary><ul><li>{message}</li></ul>" in page
    assert page.index("</table>") < page.index('<details class="asyncviz-diagnostics">')
    d = json.loads(json.dumps(s.to_dict()))
    assert d["diagnostics"] == [
        {
            "kind": "pending-at-end",
            "objects": [6],
            "t0": 950,
            "t1": 1000,
            "line": None,
            "message": message,
            "filename": None,
        }
    ]


def test_no_diagnostics_line_when_nothing_went_wrong():
    s = generator_program().summary()
    assert s.diagnostics == [] and s.diagnostics_line() is None
    assert "diagnostics" not in str(s) and "asyncviz-diagnostics" not in s._repr_html_()


def test_summary_is_a_pure_function_of_the_trace():
    trace = handmade()
    before = trace.to_bytes()
    assert str(Summary.of(trace)) == str(Summary.of(trace))
    assert trace.to_bytes() == before


def test_duration_falls_back_to_the_last_event():
    s = Summary.of(handmade(meta={}))
    assert s.duration_ns == 950
    assert s.rows[2].suspended_ns == 950 - 850
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
    # backend and python; g's label, its end and s#1's parent; the waited on of T's row
    # (T and c#1 merged); T's label in its row and in its expanded part; T2's parent
    assert page.count(html.escape(SCRIPT)) == 2 + 3 + 1 + 2 + 1
    assert "&amp;" in page


def test_control_characters_do_not_break_the_text_table():
    trace = handmade(label="two\nlines\tand a tab", value="x\r\ny")
    lines = str(Summary.of(trace)).splitlines()
    assert len(lines) == 3 + 5 + 1  # header, columns, rule, five rows, the diagnostics line
    assert "two\\nlines\\tand a tab" in lines[3]
    assert "raised x\\r\\ny" in lines[3]
    kind_at = lines[1].index("kind")
    kinds = [line[kind_at:].split()[0] for line in lines[3:-1]]
    assert kinds == ["generator", "task", "generator", "generator", "task"]


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


# -- waits by label, the end of a function, long tables ---------------------------------------


def test_waited_on_groups_futures_by_label():
    """Futures that read alike (ten sleep(0.01)) are one entry: by label, most first."""
    b = TraceBuilder()
    c = b.obj("coroutine", "c#1", "c", state="CLOSED")
    naps = [b.obj("future", "sleep(0.01)", "Future", state="CLOSED") for _ in range(3)]
    get = b.obj("future", "Queue.get()", "Future", state="CLOSED")
    b.ev(0, c, "start", line=1)
    for i, target in enumerate([get, naps[0], naps[1], naps[2]]):
        b.ev(10 * i + 1, c, "await", line=2, target=target)
        b.ev(10 * i + 5, c, "resume", line=2)
    b.ev(100, c, "return", line=3)
    s = Summary.of(b.build())
    assert s.rows[0].waited_on == (("sleep(0.01)", 3), ("Queue.get()", 1))
    assert s.rows[0].waited_on_text == "sleep(0.01) ×3, Queue.get() ×1"
    assert "sleep(0.01) ×3, Queue.get() ×1" in str(s)
    assert s.futures == 4


PRODUCER = """\
async def producer(q):
    for i in range(2):
        await q.put(i)
    await q.put(None)
async def answer():
    return None
"""


def ending(fn_line: int, end_line: int, value="None", sources=True, kind="coroutine") -> Summary:
    b = TraceBuilder()
    o = b.obj(kind, "f#1", "f", filename="<cell-1>", firstlineno=fn_line, state="CLOSED")
    b.ev(0, o, "start", line=fn_line).ev(10, o, "return", value, end_line)
    return Summary.of(b.build(sources={"<cell-1>": PRODUCER} if sources else None))


def test_a_function_that_falls_off_its_end_says_end_of_function():
    assert ending(1, 4).rows[0].state_text == "CLOSED (end of function)"
    assert ending(1, 4, value=None).rows[0].end == "end of function"  # --no-values
    # a return written in the code says what it returned
    assert ending(5, 6).rows[0].state_text == "CLOSED (returned None)"
    assert ending(1, 4, value="3").rows[0].state_text == "CLOSED (returned 3)"
    # without the source line it cannot be told: nothing is claimed
    assert ending(1, 4, sources=False).rows[0].state_text == "CLOSED (returned None)"
    assert "CLOSED (end of function)" in str(ending(1, 4))


def test_a_task_whose_coroutine_fell_off_its_end_says_so():
    b = TraceBuilder()
    c = b.obj("coroutine", "producer#1", "producer", filename="<cell-1>", firstlineno=1)
    t = b.obj("task", "producer", "producer", state="CLOSED", coro=c)
    b.objects[c].state = "CLOSED"
    b.objects[c].task = t
    b.ev(0, t, "create").ev(5, c, "start", line=1).ev(9, c, "await", line=4)
    b.ev(20, c, "resume", line=4).ev(30, c, "return", "None", 4).ev(30, t, "return", "None")
    s = Summary.of(b.build(sources={"<cell-1>": PRODUCER}))
    (row,) = s.rows
    assert (row.display, row.state_text, row.objects) == (
        "producer (producer#1)",
        "CLOSED (end of function)",
        (t, c),
    )
    assert [p.state_text for p in row.parts] == ["CLOSED (end of function)"] * 2


def test_queue_program_rows(each_backend):
    """The corpus queue program: the producer task and its coroutine are one row, its
    end is its function falling off `await q.put(None)`."""
    from corpus import PROGRAMS
    from programs import record

    trace, ns = record(PROGRAMS["queue"], backend=each_backend)
    assert ns["result"] == [0, 1]
    s = trace.summary()
    by_label = {o.label: o for o in trace.objects}
    task = by_label["producer"]
    rows = {r.label: r for r in s.rows}
    row = rows["producer"]
    assert row.objects == (task.id, task.coro)
    assert row.state_text == "CLOSED (end of function)"
    assert (row.starts, row.resumes, row.awaits) == (1, 2, 2)  # the 3rd put did not wait
    consumer = rows[trace.objects[row.objects[1]].label.replace("producer", "consumer")]
    assert consumer.state_text == "CLOSED (returned [0, 1])"
    assert consumer.kind == "coroutine" and consumer.objects == (consumer.id,)
    assert sum(n for _label, n in consumer.waited_on) == 3
    # no object is in two rows, and only futures are in none
    covered = [i for r in s.rows for i in r.objects]
    assert len(covered) == len(set(covered)) == s.objects
    assert set(covered) == {o.id for o in trace.objects if o.kind != "future"}


def many(n: int) -> Summary:
    """n generators, generator i running (i * 7919) % 101 + 1 ns: every row known."""
    b = TraceBuilder()
    t = 0
    for i in range(n):
        o = b.obj("generator", f"g#{i + 1}", "g", firstlineno=1, state="CLOSED")
        ran = (i * 7919) % 101 + 1
        b.ev(t, o, "start", line=1).ev(t + ran, o, "return", "None", 2)
        t += 200
    return Summary.of(b.build())


def test_a_long_table_shows_its_busiest_rows_and_the_rest_behind_a_control():
    s = many(25)
    busiest = sorted(s.rows, key=lambda r: -r.running_ns)[:20]
    assert s.top(20) == busiest
    page = s._repr_html_()
    top, rest = page.split('<details class="asyncviz-all">')
    # the first table: the 20 rows with the most running time, most first
    assert top.count("<tr>") == 1 + 20
    assert [cell.split("</td>")[0] for cell in top.split("<tr><td>")[1:]] == [
        r.label for r in busiest
    ]
    assert "the 20 rows with the most running time, of 25 (all of them below)" in top
    # then every row, in the order the objects appeared, behind a control
    assert rest.startswith("<summary>show all 25 rows</summary><table><thead>")
    assert rest.count("<tr>") == 1 + 25
    assert [cell.split("</td>")[0] for cell in rest.split("<tr><td>")[1:]] == [
        f"g#{i + 1}" for i in range(25)
    ]
    assert rest.endswith("</tbody></table></details></div>")
    assert "<script" not in page  # a saved notebook opens it: no script needed
    # text: repr (a notebook's plain copy) the busiest 20, str every row
    shown = repr(s).splitlines()
    assert shown[1] == (
        "the 20 rows with the most running time, of 25 (print(trace.summary()) shows every row)"
    )
    assert [line.split()[0] for line in shown[4:]] == [r.label for r in busiest]
    assert len(str(s).splitlines()) == 3 + 25


def test_a_table_of_twenty_rows_has_no_control():
    s = many(20)
    assert "<details" not in s._repr_html_()
    assert repr(s) == str(s) and len(str(s).splitlines()) == 3 + 20


def test_two_thousand_tasks_make_a_short_page():
    """--view all of a 2,000-task cell: the table a notebook lays out has 20 rows; the
    rest is folded (and stays a few hundred bytes a row)."""
    b = TraceBuilder()
    for i in range(2000):
        c = b.obj("coroutine", f"work#{i + 1}", "work", filename="<cell-1>", firstlineno=1)
        t = b.obj("task", f"work#{i + 1}", f"Task-{i + 9}", state="CLOSED", coro=c)
        b.objects[c].state, b.objects[c].task = "CLOSED", t
        b.ev(i * 10, c, "start", line=1).ev(i * 10 + 5, c, "return", str(i), 2)
        b.ev(i * 10 + 5, t, "return", str(i))
    s = Summary.of(b.build())
    assert len(s.rows) == 2000 and s.objects == 4000
    page = s._repr_html_()
    top, rest = page.split('<details class="asyncviz-all">')
    assert top.count("<tr>") == 21 and rest.count("<tr>") == 2001
    assert len(page) < 2000 * 400
    assert len(repr(s).splitlines()) == 4 + 20
