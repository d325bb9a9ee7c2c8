"""What a timeline display carries besides the widget view (widgets/bundle.py): the
summary as text/plain, cut after TEXT_ROWS rows, and the quick static PNG; made once per
display, and never a reason for the view to fail."""

from __future__ import annotations

import base64
import io
import json

from asyncviz.render.static import layout
from asyncviz.widgets.bundle import (
    TEXT_ROWS,
    TimelineDisplay,
    static_png,
    summary_text,
    timeline_bundle,
)
from asyncviz.widgets.timeline import TimelineWidget
from corpus import PROGRAMS, TASKS
from programs import record
from tracebuilder import TraceBuilder

WIDGET = "application/vnd.jupyter.widget-view+json"


def generators(n: int):
    """n generators, each started and returned once: n summary rows."""
    b = TraceBuilder()
    for i in range(n):
        b.obj("generator", f"g#{i + 1}", name="g", filename="<cell>", state="CLOSED")
        b.ev(1000 * i, i, "start").ev(1000 * i + 500, i, "return", "None")
    return b.build(duration=1000 * n, meta={"backend": "test"})


def png_size(data: str) -> tuple[int, int]:
    from PIL import Image

    raw = base64.b64decode(data)
    assert raw.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(raw)).size


def test_a_short_summary_is_the_whole_table():
    trace = generators(3)
    summary = trace.summary()
    assert summary_text(summary) == summary.text()
    assert summary_text(summary, rows=3) == summary.text()


def test_a_long_summary_is_cut_after_its_first_rows():
    trace = generators(5)
    summary = trace.summary()
    full = summary.text().splitlines()
    assert [line.split()[0] for line in full[-5:]] == ["g#1", "g#2", "g#3", "g#4", "g#5"]
    cut = summary_text(summary, rows=2).splitlines()
    assert cut == full[:-3] + ["… and 3 more rows; trace.summary() lists them all"]
    assert [line.split()[0] for line in cut[-3:-1]] == ["g#1", "g#2"]


def test_the_bundle_carries_the_view_the_cut_summary_and_the_picture():
    trace, _ = record(TASKS)
    w = TimelineWidget.of(trace)
    data, _metadata = timeline_bundle(w, trace)
    assert data[WIDGET]["model_id"] == w.model_id
    assert data["text/plain"] == summary_text(trace.summary())
    assert "main#1" in data["text/plain"]
    out = layout(trace)
    assert png_size(data["image/png"]) == (out.width, out.height)


def test_the_summary_given_is_the_one_used():
    trace, _ = record(TASKS)
    w = TimelineWidget.of(trace)
    other = generators(2).summary()  # a summary the display already made
    data, _ = timeline_bundle(w, trace, other)
    assert data["text/plain"] == other.text()


def test_a_picture_that_cannot_be_drawn_leaves_the_view_and_the_text(monkeypatch):
    import asyncviz.render.static_pil as static_pil

    def broken(trace, **options):
        raise RuntimeError("no drawing here")

    monkeypatch.setattr(static_pil, "quick_png", broken)
    trace, _ = record(TASKS)
    assert static_png(trace) is None
    data, _ = timeline_bundle(TimelineWidget.of(trace), trace)
    assert WIDGET in data and "main#1" in data["text/plain"] and "image/png" not in data


def test_a_summary_that_fails_leaves_the_widgets_own_text(monkeypatch):
    trace, _ = record(TASKS)
    w = TimelineWidget.of(trace)

    def broken(self):
        raise RuntimeError("no summary")

    monkeypatch.setattr(type(trace), "summary", broken)
    data, _ = timeline_bundle(w, trace)
    assert data["text/plain"] == repr(w) and "image/png" in data


def test_the_display_object_is_the_widget_with_this_bundle():
    trace, _ = record(PROGRAMS["round_robin"])
    w = TimelineWidget.of(trace)
    shown = TimelineDisplay(w, trace)
    assert repr(shown) == repr(w) and shown.widget is w
    assert shown._repr_mimebundle_() == timeline_bundle(w, trace)


def test_a_big_trace_makes_a_small_bundle():
    """2,000 objects: the text stops after TEXT_ROWS rows (the whole table was 640 KB in
    every saved notebook), the picture folds the lanes."""
    trace = generators(2_000)
    data, _ = timeline_bundle(TimelineWidget.of(trace), trace)
    lines = data["text/plain"].splitlines()
    assert lines[-1] == f"… and {2_000 - TEXT_ROWS:,} more rows; trace.summary() lists them all"
    assert lines[-2].split()[0] == f"g#{TEXT_ROWS}"
    assert len(json.dumps(data)) < 150_000, len(json.dumps(data))


def test_one_row_more_is_said_so():
    summary = generators(1).summary()
    full = summary.text().splitlines()
    assert summary_text(summary, rows=1) == summary.text()
    assert summary_text(summary, rows=0).splitlines() == full[:-1] + [
        "… and 1 more row; trace.summary() lists them all"
    ]
