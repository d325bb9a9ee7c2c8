"""What the static images say beyond bars: the clock a trace reads best on (step time when
no asyncio ran), failures marked at every size and over everything, what each wait was
for (`→ sleep(0.01)`), labels cut to the room they have, the lanes and rows of
`Trace.lanes()` (grouped as the widget groups them), an implicit return as "end of
function", and the diagnostics listed and marked."""

from __future__ import annotations

import numpy as np
import pytest

from asyncviz.analysis.clocks import natural_clock
from asyncviz.analysis.timeline import timeline_of
from asyncviz.render.static import layout, timeline_png, timeline_svg
from asyncviz.render.static_diagnostics import LEGEND_TEXT
from asyncviz.render.static_primitives import FAILURE_KINDS, LABEL_PX, MARKER_LIMIT
from asyncviz.render.static_rows import GROUP_AFTER, trace_lanes
from corpus import PROGRAMS
from programs import record
from tracebuilder import TraceBuilder

from .test_static import decode_png, svg_texts

MS = 1_000_000

TASKGROUP_FAILS = """
import asyncio
async def ok(n):
    await asyncio.sleep(10 * n)  # cancelled long before
    return n
async def bad():
    await asyncio.sleep(0.002)
    raise ValueError("boom")
async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(ok(1))
            tg.create_task(ok(2))
            tg.create_task(bad())
    except* ValueError:
        pass
    return "failed"
"""


def event_marks(out, kinds=None) -> dict[str, int]:
    """Markers drawn for events (not the legend's), per kind."""
    counts: dict[str, int] = {}
    for m in out.marks:
        if m.role == "event" and (kinds is None or m.kind in kinds):
            counts[m.kind] = counts.get(m.kind, 0) + len(m.xy)
    return counts


def texts(out) -> list[str]:
    return [t.text for t in out.texts]


# -- the clock -------------------------------------------------------------------------------


def test_a_trace_without_asyncio_reads_on_step_time(each_backend):
    trace, _ = record(PROGRAMS["round_robin"], backend=each_backend)
    assert natural_clock(trace) == "step"
    out = layout(trace)
    assert (out.clock, out.clock_chosen) == ("step", True)
    n = len(trace.events)
    assert out.span[0] < 0.5 and out.span[1] > n  # event indices, not nanoseconds
    assert (
        "step time: one step per event, in order (no asyncio ran: wall-clock time would "
        "measure the tracer, not the code)"
    ) in texts(out)
    assert "wall-clock time since the trace started" not in texts(out)
    asked = layout(trace, clock="wall")  # asked for: as asked
    assert (asked.clock, asked.clock_chosen) == ("wall", False)
    assert "wall-clock time since the trace started" in texts(asked)


def test_an_asyncio_trace_keeps_wall_time(each_backend):
    trace, _ = record(PROGRAMS["gather"], backend=each_backend)
    assert natural_clock(trace) == "wall"
    out = layout(trace)
    assert out.clock == "wall" and "wall-clock time since the trace started" in texts(out)
    assert out.span[1] >= trace.events[-1].t  # nanoseconds
    assert layout(trace, clock="step").clock == "step"


def clock_of(kinds: list[str], events: list[int], idle=()) -> str:
    """natural_clock of a hand-made trace: objects of `kinds`, events of objects `events`."""
    b = TraceBuilder()
    for i, kind in enumerate(kinds):
        b.obj(kind, f"o#{i}")
    for t, o in enumerate(events):
        b.ev(t, o, "create")
    return natural_clock(b.build(duration=100, idle=idle))


def test_what_counts_as_asyncio():
    assert clock_of(["generator"], [0]) == "step"
    # the cell's task, registered around generator code, never did anything itself
    assert clock_of(["task", "generator"], [1]) == "step"
    assert clock_of(["task", "generator"], [0, 1]) == "wall"  # a task with events
    assert clock_of(["generator", "future"], [0]) == "wall"  # something was awaited
    assert clock_of(["generator"], [0], idle=[(10, 20)]) == "wall"  # the loop waited


def clock_of_times(times: list[int]) -> str:
    b = TraceBuilder()
    g = b.obj("generator", "g#1")
    for t in times:
        b.ev(t, g, "yield")
    return natural_clock(b.build(duration=times[-1] + 1))


def test_one_long_step_of_the_programs_own_reads_on_wall_time(each_backend):
    ms = 1_000_000
    # 20 ms after steps of 1 µs: the code spent it (computed, slept), not the tracer
    assert clock_of_times([0, 1000, 2000, 3000, 3000 + 20 * ms]) == "wall"
    assert clock_of_times([0, 5 * ms, 10 * ms, 15 * ms, 35 * ms]) == "step"  # not 100x
    assert clock_of_times([0, 1000, 2000, 3000, 3000 + ms]) == "step"  # not 10 ms
    assert clock_of_times([0, 50 * ms]) == "step"  # too few steps to compare
    trace, _ = record(HOG, backend=each_backend)
    assert natural_clock(trace) == "wall"
    assert layout(trace).clock == "wall"


# a worker that computes (here: sleeps) a long time before its first yield starves the
# others: wall time shows it, step time would draw its turn as wide as any other
HOG = """
import time
def worker(n):
    for i in range(n):
        yield i
def hog():
    time.sleep(0.05)
    yield "finally"
def main():
    turns = [worker(3), hog(), worker(3)]
    for _ in range(3):
        for g in turns:
            next(g, None)
"""


# -- failures ----------------------------------------------------------------------------------


def test_failures_are_marked_at_the_default_size(each_backend):
    trace, ns = record(TASKGROUP_FAILS, backend=each_backend)
    assert ns["result"] == "failed"
    out = layout(trace)  # the default size: 1200 px, markers by the number of events
    tl = timeline_of(trace)
    drawn = {o for o, r in out.object_row.items()}
    expected: dict[str, int] = {}
    for e in trace.events:
        if e.kind in FAILURE_KINDS and e.obj in drawn:
            expected[e.kind] = expected.get(e.kind, 0) + 1
    assert expected.get("raise", 0) >= 3  # bad() raised; ok(1) and ok(2) were cancelled
    assert expected.get("throw", 0) >= 2  # ... by the CancelledError thrown into them
    assert event_marks(out, FAILURE_KINDS) == expected
    # over every other marker: failures are painted last
    kinds = [m.kind for m in out.marks if m.role == "event"]
    first_failure = min(i for i, k in enumerate(kinds) if k in FAILURE_KINDS)
    assert all(k in FAILURE_KINDS for k in kinds[first_failure:])
    assert len(tl.t) < MARKER_LIMIT and out.markers
    decode_png(timeline_png(trace))


def big_trace_with_a_failure(n: int = MARKER_LIMIT + 500):
    """A generator yielding n times, and a task cancelled in the middle: too many events
    for markers, yet the cancel and the raise are marked."""
    b = TraceBuilder()
    g = b.obj("generator", "g#1", "g", state="CLOSED")
    c = b.obj("coroutine", "c#1", "c", state="CLOSED")
    t = b.obj("task", "c#1", "Task-1", state="CLOSED", coro=c)
    b.objects[c].task = t
    b.ev(0, g, "start", line=1)
    for i in range(n):
        b.ev(10 * i + 1, g, "yield", i, 2).ev(10 * i + 5, g, "resume", line=2)
    mid = 5 * n
    b.ev(mid, c, "start", line=5).ev(mid + 2, c, "await", line=6)
    b.ev(mid + 4, t, "cancel", "why").ev(mid + 6, c, "throw", "CancelledError('why')", 6)
    b.ev(mid + 7, c, "raise", "CancelledError('why')", 6).ev(mid + 7, t, "raise")
    b.ev(10 * n + 1, g, "return", "None", 3)
    return b.build(idle=[(1, 2)])


def test_failures_are_marked_when_nothing_else_is():
    trace = big_trace_with_a_failure()
    out = layout(trace)
    assert not out.markers  # too many events for markers ...
    assert event_marks(out) == {"throw": 1, "raise": 2, "cancel": 1}  # ... but these
    legend = [m.kind for m in out.marks if m.role == "legend"]
    assert legend == ["throw", "raise", "cancel"]
    assert {"throw", "raise", "cancel"} <= set(texts(out))
    svg = timeline_svg(trace)
    assert svg.count('class="marker" data-kind="cancel"') == 2  # the event and the legend


# -- waits, names, ends ------------------------------------------------------------------------


def waiting(label: str, span_ms: float, width: int = 1200):
    """c#1 awaits a future labelled `label` for span_ms of a 10 ms trace (z#1 runs at its
    start and its end: the picture spans 10 ms)."""
    b = TraceBuilder()
    c = b.obj("coroutine", "c#1", "c", filename="<cell-1>", firstlineno=1, state="CLOSED")
    f = b.obj("future", label, "Future")
    z = b.obj("generator", "z#1", "z", state="CLOSED")
    b.ev(0, z, "start", line=1).ev(1, z, "yield", line=2)
    b.ev(2, c, "start", line=1).ev(1 * MS, c, "await", line=2, target=f)
    end = int((1 + span_ms) * MS)
    b.ev(end, c, "resume", line=2).ev(end + MS // 10, c, "return", "1", 3)
    b.ev(10 * MS - 1, z, "resume", line=2).ev(10 * MS, z, "return", line=3)
    trace = b.build(duration=10 * MS, idle=[(1 * MS + 10, end - 10)])
    return trace, layout(trace, width=width)


def test_a_wait_is_named_on_its_span_where_the_widget_names_it():
    trace, out = waiting("sleep(0.01)", 5)
    (label,) = [t for t in out.texts if t.text.startswith("→")]
    assert label.text == "→ sleep(0.01)"
    row = out.row_of(0)
    assert label.x == pytest.approx(out.x_of(1 * MS) + 10)  # 10 px into the span
    assert abs(label.y - LABEL_PX * 0.36 - row.centre) < 0.01  # on its line
    # the line stops under the words: a chip of the lane's background behind them
    chips = [r for r in out.rects if r.role == "chip"]
    assert len(chips) == 1 and len(chips[0].boxes) == 1
    assert "→ sleep(0.01)" in svg_texts(timeline_svg(trace))
    # no "await sleep(0.01)" beside the marker as well
    assert not any("await" in t for t in texts(out) if t.startswith("await "))


def test_a_wait_label_is_cut_to_its_span_and_left_out_of_a_sliver():
    long = "wait_for(Queue.get(), 1.0) inside timeout(5.0)"
    _, out = waiting(long, 0.6)  # ≈ 64 px
    assert 60 < out.x_of(1.6 * MS) - out.x_of(1 * MS) < 70
    (label,) = [t.text for t in out.texts if t.text.startswith("→")]
    assert label.endswith("…") and long.startswith(label[2:-1]) and len(label) >= 4
    _, narrow = waiting(long, 0.3)  # ≈ 32 px: no name (the value beside the marker says it)
    assert not [t for t in narrow.texts if t.text.startswith("→ wait_for(Queue.get(), 1.0) i")]


def test_an_implicit_return_says_end_of_function():
    b = TraceBuilder()
    g = b.obj("generator", "g#1", "g", filename="<cell-1>", firstlineno=1, state="CLOSED")
    h = b.obj("generator", "h#1", "h", filename="<cell-1>", firstlineno=4, state="CLOSED")
    b.ev(0, g, "start", line=1).ev(5, g, "yield", 1, 2).ev(9, g, "resume", line=2)
    b.ev(12, g, "return", "None", 2)
    b.ev(20, h, "start", line=4).ev(25, h, "return", "None", 5)
    trace = b.build(sources={"<cell-1>": "def g():\n    yield 1\n\ndef h():\n    return None\n"})
    words = texts(layout(trace))
    assert "end of function" in words and "return None" in words


def test_a_name_on_a_bar_is_cut_to_fit():
    b = TraceBuilder()
    g = b.obj("generator", "a_generator_with_a_long_name#1", "a", state="CLOSED")
    b.ev(0, g, "start", line=1).ev(30, g, "yield", 1, 2).ev(60, g, "resume", line=2)
    b.ev(1000, g, "return", "None", 3)
    out = layout(b.build(), clock="step")  # four equal steps: ≈ 200 px each
    on_bars = [t.text for t in out.texts if t.text.startswith("a_gen") and t.x > out.plot[0]]
    assert on_bars == ["a_generator_with_a_long_name#1"] * 2
    small = layout(b.build(), clock="step", width=500)  # ≈ 55 px: cut
    on_bars = [t.text for t in small.texts if t.text.startswith("a_") and t.x > small.plot[0]]
    assert on_bars and all(t.endswith("…") and len(t) >= 4 for t in on_bars)


# -- lanes and rows ----------------------------------------------------------------------------


def test_the_rows_are_trace_lanes(each_backend):
    trace, _ = record(PROGRAMS["yield_from_chain"], backend=each_backend)
    lanes = trace_lanes(trace, timeline_of(trace))
    out = layout(trace)
    assert [lane.label for lane in out.lanes] == [lane.label for lane in lanes]
    for box, lane in zip(out.lanes, lanes):
        assert len(box.rows) == len(lane.rows)
        for r, ids in zip(box.rows, lane.rows):
            assert all(out.object_row[i] == r for i in ids)


def test_free_generators_of_one_function_share_one_lane():
    # Trace.lanes(): free objects of one parent and function are one lane, one row per
    # object alive at the same time (here one at a time: one row)
    b = TraceBuilder()
    main = b.obj("generator", "main#1", "main", state="CLOSED")
    for i in range(GROUP_AFTER + 4):
        b.obj("generator", f"work#{i + 1}", "work", state="CLOSED")
    b.ev(0, main, "start").ev(1, main, "return")
    for i in range(GROUP_AFTER + 4):
        b.ev(10 * i + 10, i + 1, "start").ev(10 * i + 15, i + 1, "return")
    out = layout(b.build())
    assert [(lane.label, lane.kind) for lane in out.lanes] == [
        ("main#1", "free"),
        (f"work ×{GROUP_AFTER + 4}", "free"),
    ]
    assert {out.object_row[i] for i in range(1, GROUP_AFTER + 5)} == {1}


def work_tasks(n: int):
    """main#1, then n tasks of `work`, one after the other."""
    b = TraceBuilder()
    main = b.obj("generator", "main#1", "main", state="CLOSED")
    b.ev(0, main, "start").ev(1, main, "return")
    for i in range(n):
        c = b.obj("coroutine", f"work#{i + 1}", "work", state="CLOSED", task=len(b.objects) + 1)
        t = b.obj("task", f"work#{i + 1}", f"Task-{i + 1}", state="CLOSED", coro=c)
        b.ev(10 * i + 9, t, "create").ev(10 * i + 10, c, "start")
        b.ev(10 * i + 15, c, "return").ev(10 * i + 15, t, "return")
    return b.build()


def test_lanes_of_one_function_fold_into_a_group():
    out = layout(work_tasks(GROUP_AFTER + 4))
    assert [(lane.label, lane.kind) for lane in out.lanes] == [
        ("main#1", "free"),
        (f"work ×{GROUP_AFTER + 4}", "group"),
    ]
    assert out.lanes[1].timeline_lanes == list(range(1, GROUP_AFTER + 5))
    assert {out.object_row[i] for i in range(1, 2 * GROUP_AFTER + 9)} == {1}
    # eight are not a group
    assert len(layout(work_tasks(GROUP_AFTER)).lanes) == 1 + GROUP_AFTER


# -- diagnostics --------------------------------------------------------------------------------


def blocked():
    """hog#1 ran 2-8 ms (a blocked loop); tick#1 alongside."""
    b = TraceBuilder()
    hog = b.obj("coroutine", "hog#1", "hog", state="CLOSED")
    tick = b.obj("coroutine", "tick#1", "tick", state="CLOSED")
    f = b.obj("future", "sleep(0.01)", "Future")
    b.ev(0, tick, "start").ev(1 * MS, tick, "await", target=f)
    b.ev(2 * MS, hog, "start").ev(8 * MS, hog, "return")
    b.ev(9 * MS, tick, "resume").ev(9_500_000, tick, "return")
    return b.build(duration=10 * MS, idle=[(1 * MS + 1, 2 * MS - 1)])


ITEM = {
    "kind": "loop-blocked",
    "objects": [0],
    "t0": 2 * MS,
    "t1": 8 * MS,
    "line": 3,
    "message": "the event loop was blocked for 6.0 ms by hog#1 at line 3 (time.sleep(0.006))",
}


def test_diagnostics_are_listed_under_the_title_and_marked_on_their_rows():
    trace = blocked()
    out = layout(trace, diagnostics=[ITEM])
    assert out.notes == [f"⚠ {ITEM['message']}"]
    assert f"⚠ {ITEM['message']}" in texts(out)
    (spans,) = [r for r in out.rects if r.role == "diagnostic"]
    row = out.row_of(0)
    assert spans.boxes.tolist()[0] == pytest.approx(
        [out.x_of(2 * MS), row.y0, out.x_of(8 * MS), row.y1]
    )
    assert len(spans.boxes) == 1
    assert [line.role for line in out.lines].count("diagnostic") == 1
    assert LEGEND_TEXT in texts(out)
    # behind the bars
    order = [r.role for r in out.rects]
    assert order.index("diagnostic") < order.index("bar")
    decode_png(timeline_png(trace, diagnostics=[ITEM]))


def test_several_diagnostics_share_one_line_and_one_with_no_row_spans_every_row():
    trace = blocked()
    never = dict(ITEM, kind="never-awaited", objects=[], t0=9 * MS, t1=9 * MS, message="x#1")
    out = layout(trace, diagnostics=[ITEM, never], width=600)
    (line,) = [t.text for t in out.texts if t.text.startswith("⚠")]
    assert line.startswith("⚠ 2 diagnostics: the event loop was blocked") and line.endswith("…")
    boxes = [r for r in out.rects if r.role == "diagnostic"][0].boxes
    assert boxes[1][1] == out.plot[1] and boxes[1][3] == out.plot[3]
    assert boxes[1][2] - boxes[1][0] >= 3


def test_diagnostics_on_the_step_clock_span_their_events():
    out = layout(blocked(), diagnostics=[ITEM], clock="step")
    (spans,) = [r for r in out.rects if r.role == "diagnostic"]
    x0, _, x1, _ = spans.boxes[0]
    # hog's start is event 2, its return event 3
    assert (x0, x1) == (pytest.approx(out.x_of(2.5)), pytest.approx(out.x_of(3.5)))


def test_the_trace_s_own_diagnostics_are_used():
    trace = blocked()
    trace.diagnostics = lambda: [ITEM]  # as Trace.diagnostics() will give them
    assert layout(trace).notes == [f"⚠ {ITEM['message']}"]
    assert layout(trace, diagnostics=[]).notes == []
    trace.diagnostics = lambda: 1 / 0  # a picture does not fail for its diagnostics
    assert layout(trace).notes == []
    assert not [r for r in layout(blocked()).rects if r.role == "diagnostic"]


def test_big_traces_still_draw():
    trace = big_trace_with_a_failure(20_000)
    out = layout(trace)
    assert out.n_events == len(trace.events) and np.isfinite(out.span).all()


def test_a_value_back_from_an_await_is_got_and_one_sent_in_is_sent():
    b = TraceBuilder()
    outer = b.obj("generator", "outer#1", "outer", state="CLOSED")
    inner = b.obj("generator", "inner#1", "inner", state="CLOSED", parent=outer)
    b.ev(0, outer, "start").ev(1000, outer, "await", target=inner)
    b.ev(2000, inner, "start").ev(3000, inner, "yield", value="'ask'")
    b.ev(10_000, inner, "resume", value="5").ev(11_000, inner, "return", value="42")
    b.ev(12_000, outer, "resume", value="42").ev(13_000, outer, "return", value="43")
    said = texts(layout(b.build(duration=14_000), clock="step"))
    assert "sent 5" in said  # the driver sent 5 into inner's yield
    assert "got 42" in said and "sent 42" not in said  # what `yield from inner` gave outer
