"""The static timeline's layout: a pure function of the trace to drawable primitives.

What is drawn comes from the timeline analysis (`analysis/timeline.py`); nothing is
recomputed here.  The timeline's lanes and rows (as Trace.lanes() gives them), labelled at
the left; running slices as bars coloured
by the kind of object, suspended spans as thin lines, the loop-idle lane, a time axis, a
legend, a title line, and a notice when the trace was truncated.  Event markers (and, for
short traces, the values that crossed) are drawn when there are few enough events to read
them; otherwise bars and failures only.  Colours, glyphs and legend words are the widget's, from
theme.json.

`layout()` works in pixel space (static_primitives.py) in named steps — heading, density,
lanes, rows, clock, spans, legend, rows drawn, bars, axis, markers, values — and returns
a `Layout`; the lanes and rows are static_rows.py's, the markers and values
static_marks.py's.  A renderer per format only draws its primitives.  Nothing here
imports a renderer.

Two clocks: "wall" (time since the trace started) and "step" (every event the same width,
for programs whose order matters more than their microseconds); by default the trace's
natural one (analysis.clocks: step time when no asyncio ran, where the wall clock would
measure the tracer).  Failures (throw, raise, cancel) are marked at every size, over the
other markers; a suspended span wide enough is named by what it awaits; diagnostics are
listed under the title and marked on their rows (static_diagnostics.py).

Scale: slices are turned into pixels before anything is drawn: per row and colour, slices
closer than one pixel merge into one rectangle, each rectangle at least one pixel wide and
drawn paler when its slices fill less than two thirds of it (a pipeline whose stages take
turns every microsecond shows as three pale bars, not three solid ones).  A million events
draw as a few hundred rectangles; more than MAX_LANES lanes fold into one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..analysis.clocks import natural_clock
from ..analysis.summary import format_ns
from ..analysis.timeline import Timeline, timeline_of
from ..events import BEGIN_CODES, KIND_CODE, KINDS, SUSPEND_CODES
from ..text import one_line
from ..trace import Trace
from .static_diagnostics import (
    LEGEND_TEXT,
    SPAN_FILL,
    diagnostics_of,
    draw_diagnostics,
    heading_line,
)
from .static_marks import add_markers, incoming, marks_of, name_waits, write_values
from .static_rows import (
    COLOUR_KINDS,
    LABEL_COLUMN,
    Rows,
    draw_rows,
    place_rows,
    row_labels,
    shown_lanes,
    trace_lanes,
)
from .static_primitives import (
    ALERT,
    AXIS_H,
    BAR_H,
    EMPTY_HINT,
    EMPTY_MESSAGE,
    FAILURE_KINDS,
    FILL_LEVELS,
    GRID,
    IDLE,
    INDENT,
    INK,
    LABEL_PX,
    LEGEND,
    MARGIN,
    MARKER_LIMIT,
    MAX_LANES,
    MAX_ROWS,
    MIN_WIDTH,
    MUTED,
    OBJECT_LEGEND,
    PALETTE,
    ROW_H,
    ROW_H_BOTH,
    ROW_H_MARKED,
    ROW_H_VALUES,
    SMALL_PX,
    SUSPENDED_H,
    TEXT_PX,
    TINTS,
    TITLE_PX,
    VALUE_LIMIT,
    Layout,
    Line,
    Rects,
    Text,
    fit_text,
    text_width,
)
from .static_scale import merge, step_ticks, time_ticks
from .theme import glyph, tint

if TYPE_CHECKING:
    import numpy
    from numpy.typing import NDArray

__all__ = ["layout", "Layout"]


@dataclass
class _Clock:
    """Clock values to x pixels: x = value * scale + shift."""

    lo: float
    hi: float
    scale: float
    shift: float
    xs: NDArray[numpy.float64]  # x of every event
    x_end: float  # x of the trace's end
    idle: tuple  # (x0, x1) arrays of the idle spans


def layout(
    trace: Trace,
    *,
    width: int = 1200,
    clock: str | None = None,
    markers: bool | None = None,
    values: bool | None = None,
    max_lanes: int = MAX_LANES,
    max_rows: int = MAX_ROWS,
    timeline: Timeline | None = None,
    diagnostics: list | None = None,
) -> Layout:
    """The picture of `trace`, in pixels; see the module docstring.

    clock: "wall" (time since the trace started) or "step" (every event the same width:
    the order of a microsecond-long generator pipeline, readable); None: the trace's
    natural clock (analysis.clocks: step time when no asyncio ran, where wall-clock time
    measures the tracer, not the code).  markers / values: None decides by the number of
    events (MARKER_LIMIT, VALUE_LIMIT); failures are marked either way.  max_lanes: more
    lanes fold into one "+N more lanes" lane; max_rows: deeper frames share the last row.
    timeline: the trace's `timeline_of()`, if the caller has it already.  diagnostics:
    items with kind, objects, t0, t1, line, message (None: `trace.diagnostics()` when
    the trace has them), listed under the title and marked on their rows.
    """
    import numpy as np

    if clock not in (None, "wall", "step"):
        raise ValueError(f"clock must be 'wall' or 'step', not {clock!r}")
    width = max(int(width), MIN_WIDTH)
    tl = timeline if timeline is not None else timeline_of(trace)
    n = len(tl.t)
    natural = natural_clock(trace, tl.obj)
    out = Layout(width=width, height=0, title=_title(trace, n), clock=clock or natural, n_events=n)
    out.clock_chosen = clock is None
    if (truncation := trace.truncation) is not None:
        out.notes.append(truncation)
    found = diagnostics_of(trace) if diagnostics is None else list(diagnostics)
    if found:
        out.notes.append(heading_line(found, width))
    if n == 0:
        return _empty(out)

    row_h = _density(out, trace, n, markers, values)
    lanes = trace_lanes(trace, tl)
    display = shown_lanes(out, lanes, trace.objects, max_lanes, max_rows, bool(tl.idle))
    rows = place_rows(np, trace.objects, display)
    out.object_row = {i: int(r) for i, r in enumerate(rows.obj_row.tolist()) if r >= 0}
    labels = row_labels(trace.objects, rows)
    label_w = max(
        (
            text_width(t, LABEL_PX + 1, bold)
            + (0 if bold else INDENT)
            + (text_width(extra, LABEL_PX) + 6 if extra else 0)
            for t, bold, extra in labels
        ),
        default=60,
    )
    x0 = MARGIN + min(max(label_w, 70), LABEL_COLUMN) + 10
    x1 = width - MARGIN - 6
    clk = _clock(np, out, tl, x0, x1)
    kind_arr = np.frombuffer(tl.kind, dtype=np.uint8)
    obj = np.frombuffer(tl.obj, dtype=np.dtype(f"u{tl.obj.itemsize}")).astype(np.int64)
    spans = _spans(np, tl, rows, clk, kind_arr, obj)
    out.n_slices = spans["n_slices"]

    legend_rects, y = _legend(np, out, spans, bool(tl.idle), kind_arr, bool(found))
    plot_y0 = y
    bar_off = (ROW_H_VALUES - BAR_H - 3) if out.values else (row_h - BAR_H) / 2
    plot_y1, row_y0 = draw_rows(np, out, rows, labels, y, row_h, bar_off)
    out.plot = (x0, plot_y0, x1, plot_y1)
    bar_y0 = row_y0 + bar_off  # per row: the top of a bar
    mid_y = bar_y0 + BAR_H / 2  # per row: thin lines and markers
    if found:  # under the bars
        draw_diagnostics(np, out, found, rows.obj_row, tl, clk, row_y0, row_h)
    _bars(np, out, spans, bar_y0, mid_y)
    for colour, box in legend_rects:
        out.rects.append(Rects(colour, np.array([box], dtype=np.float64), "legend"))
    _axis(out, clk, x0, x1, plot_y0, plot_y1)

    add_markers(out, kind_arr, rows.obj_row[obj], clk.xs, mid_y)
    named = name_waits(out, trace, tl, rows.obj_row, clk.xs, clk.x_end, mid_y)
    if out.values:
        write_values(out, trace, tl, rows.obj_row, clk.xs, clk.x_end, bar_y0, named)
    return out


# -- heading ----------------------------------------------------------------------------------


def _title(trace: Trace, n: int) -> str:
    n_objects = sum(o.kind != "future" for o in trace.objects)
    facts = (
        f"{n:,} event{'s' if n != 1 else ''}, {n_objects:,} "
        f"object{'s' if n_objects != 1 else ''}, {format_ns(trace.end)}"
    )
    where = ", ".join(
        x
        for x in (
            trace.meta.get("backend"),
            f"Python {trace.meta['python']}" if trace.meta.get("python") else None,
        )
        if x
    )
    return one_line(f"asyncviz timeline — {facts}" + (f" ({where})" if where else ""))


def _heading(out: Layout) -> float:
    """The title and the notes; returns the y below them."""
    y = MARGIN + TITLE_PX
    out.texts.append(Text(MARGIN, y, out.title, TITLE_PX, INK, bold=True))
    for note in out.notes:
        y += TEXT_PX + 7
        text = fit_text(one_line(note), TEXT_PX, out.width - 2 * MARGIN, bold=True)
        out.texts.append(Text(MARGIN, y, text, TEXT_PX, ALERT, bold=True))
    return y


def _empty(out: Layout) -> Layout:
    """Nothing ran: the heading and a message saying so."""
    out.message = EMPTY_MESSAGE
    y = _heading(out) + 50
    out.texts.append(Text(out.width / 2, y, EMPTY_MESSAGE, 22, MUTED, "middle", bold=True))
    y += 24
    out.texts.append(Text(out.width / 2, y, EMPTY_HINT, SMALL_PX, MUTED, "middle"))
    out.height = int(y + 30)
    out.plot = (MARGIN, y, out.width - MARGIN, y)
    return out


def _density(out: Layout, trace: Trace, n: int, markers, values) -> float:
    """Markers and values on or off (by the number of events unless asked); the row
    height they need."""
    out.markers = n < MARKER_LIMIT if markers is None else bool(markers)
    out.values = (out.markers and n < VALUE_LIMIT) if values is None else bool(values)
    if not out.values:
        return ROW_H_MARKED if out.markers else ROW_H
    return ROW_H_BOTH if any(incoming(e) for e in trace.events) else ROW_H_VALUES


# -- the clock and the spans ------------------------------------------------------------------


def _clock(np, out: Layout, tl: Timeline, x0: float, x1: float) -> _Clock:
    """x of every event and idle span on the chosen clock; sets `out.span`."""
    t = np.frombuffer(tl.t, dtype=np.int64)
    idle_a = np.array([a for a, _ in tl.idle], dtype=np.int64)
    idle_b = np.array([b for _, b in tl.idle], dtype=np.int64)
    if out.clock == "wall":
        pos = t.astype(np.float64)
        lo = float(min(t[0], idle_a[0] if len(idle_a) else t[0]))
        hi = float(max(t[-1], idle_b[-1] if len(idle_b) else t[-1]))
        ipos_a, ipos_b = idle_a.astype(np.float64), idle_b.astype(np.float64)
    else:
        pos = np.arange(len(t), dtype=np.float64) + 0.5
        lo, hi = 0.0, float(len(t))
        ipos_a = np.searchsorted(t, idle_a).astype(np.float64)
        ipos_b = np.searchsorted(t, idle_b).astype(np.float64)
    if hi <= lo:
        hi = lo + 1.0
    pad = (hi - lo) * 0.012
    out.span = (lo - pad, hi + pad)
    scale = (x1 - x0) / (out.span[1] - out.span[0])
    shift = x0 - out.span[0] * scale
    return _Clock(
        lo,
        hi,
        scale,
        shift,
        pos * scale + shift,
        hi * scale + shift,
        (ipos_a * scale + shift, ipos_b * scale + shift),
    )


def _spans(np, tl: Timeline, rows: Rows, clk: _Clock, kind_arr, obj) -> dict:
    """Running slices, suspensions and idle time in pixels, merged per row and colour
    (key = row * colours + colour)."""
    partner = np.frombuffer(tl.partner, dtype=np.dtype(f"i{tl.partner.itemsize}"))
    n_colours = len(COLOUR_KINDS)

    def spans(codes):
        idx = np.flatnonzero(np.isin(kind_arr, list(codes)))
        r = rows.obj_row[obj[idx]]
        idx, r = idx[r >= 0], r[r >= 0]
        end = partner[idx].astype(np.int64)
        xb = np.where(end >= 0, clk.xs[np.maximum(end, 0)], clk.x_end)
        return idx, merge(r * n_colours + rows.obj_colour[obj[idx]], clk.xs[idx], xb)

    begins, bars = spans(BEGIN_CODES)
    _, suspended = spans(SUSPEND_CODES)
    # a rectangle made of many short slices is paler when they ran for less of it
    level = np.searchsorted(np.array(FILL_LEVELS[1:]), bars[3], side="right")
    idle = (np.zeros(0), np.zeros(0))
    if tl.idle:
        _, i0, i1, _ = merge(np.zeros(len(tl.idle), dtype=np.int64), *clk.idle)
        idle = (i0, i1)
    return {
        "n_slices": int(len(begins)),
        "bars": bars,
        "level": level,
        "suspended": suspended,
        "idle": idle,
        "n_colours": n_colours,
    }


# -- legend -----------------------------------------------------------------------------------


def _legend_entries(np, out: Layout, spans: dict, idle: bool, kind_arr, found: bool) -> list:
    """(what, colour or kind, text) in the widget's order: bars, suspended, idle, glyphs;
    then the diagnostics' mark, if any."""
    present = np.unique(spans["bars"][0] % spans["n_colours"]).tolist()
    entries = [("chip", PALETTE[COLOUR_KINDS[c]], OBJECT_LEGEND[COLOUR_KINDS[c]]) for c in present]
    if (spans["level"] < len(TINTS) - 1).any():
        c = present[0] if present else 0
        entries.append(("chip", tint(PALETTE[COLOUR_KINDS[c]], TINTS[0]), LEGEND["paler"]))
    entries.append(("line", MUTED, LEGEND["suspended"]))
    if idle:
        entries.append(("chip", IDLE, LEGEND["idle"]))
    seen = set(np.unique(kind_arr).tolist())
    marked = KINDS if out.markers else FAILURE_KINDS
    entries += [("mark", kind, glyph(kind)["legend"]) for kind in marked if KIND_CODE[kind] in seen]
    if found:
        entries.append(("chip", SPAN_FILL, LEGEND_TEXT))
    return entries


def _legend(np, out: Layout, spans: dict, idle: bool, kind_arr, found: bool) -> tuple[list, float]:
    """The heading, then the legend in lines as wide as the picture; returns the legend's
    rectangles (added after the bars) and the y below it."""
    y = _heading(out) + 10
    lx = MARGIN
    line_y = y + SMALL_PX
    rects: list[tuple[str, tuple]] = []
    for what, colour, text in _legend_entries(np, out, spans, idle, kind_arr, found):
        w = 18 + text_width(text, SMALL_PX) + 16
        if lx + w > out.width - MARGIN and lx > MARGIN:
            lx = MARGIN
            line_y += SMALL_PX + 8
        mid = line_y - SMALL_PX * 0.35
        if what == "chip":
            rects.append((colour, (lx, mid - 5, lx + 14, mid + 5)))
        elif what == "line":
            rects.append((colour, (lx, mid - 1, lx + 14, mid + 1)))
        else:
            out.marks.append(marks_of(colour, np.array([[lx + 7, mid]]), role="legend"))
        out.texts.append(Text(lx + 18, line_y, text, SMALL_PX, INK))
        lx += w
    return rects, line_y + 14


# -- bars, axis -------------------------------------------------------------------------------


def _bars(np, out: Layout, spans: dict, bar_y0, mid_y) -> None:
    """Suspended lines first (a bar that starts where a suspension ends covers its end),
    then the bars, paler where their slices ran for less of them, then idle time."""
    n_colours = spans["n_colours"]
    drawn = []
    skey, s0, s1, _ = spans["suspended"]
    for c in range(n_colours):
        sel = (skey % n_colours) == c
        if sel.any():
            ym = mid_y[skey[sel] // n_colours] - SUSPENDED_H / 2
            drawn.append(
                Rects(
                    PALETTE[COLOUR_KINDS[c]],
                    np.column_stack([s0[sel], ym, s1[sel], ym + SUSPENDED_H]),
                    "suspended",
                )
            )
    bkey, b0, b1, _ = spans["bars"]
    for c in range(n_colours):
        for lv, strength in enumerate(TINTS):
            sel = ((bkey % n_colours) == c) & (spans["level"] == lv)
            if sel.any():
                top = bar_y0[bkey[sel] // n_colours]
                drawn.append(
                    Rects(
                        tint(PALETTE[COLOUR_KINDS[c]], strength),
                        np.column_stack([b0[sel], top, b1[sel], top + BAR_H]),
                        "bar",
                    )
                )
    i0, i1 = spans["idle"]
    if len(i0):
        top = bar_y0[out.lanes[-1].rows[0]]
        drawn.append(
            Rects(
                IDLE,
                np.column_stack([i0, np.full(len(i0), top), i1, np.full(len(i0), top + BAR_H)]),
                "idle",
            )
        )
    out.rects += drawn
    out.n_rects = int(sum(len(r.boxes) for r in drawn))


def _axis(out: Layout, clk: _Clock, x0: float, x1: float, y0: float, y1: float) -> None:
    """Grid lines, ticks and their labels below the lanes, and what the clock is."""
    ticks = (time_ticks if out.clock == "wall" else step_ticks)(
        clk.lo, clk.hi, max(2, int((x1 - x0) / 110))
    )
    for v, text in ticks:
        x = v * clk.scale + clk.shift
        out.lines.append(Line(x, y0, x, y1, GRID, 1.0, "grid"))
        out.lines.append(Line(x, y1, x, y1 + 5, MUTED, 1.0))
        out.texts.append(Text(x, y1 + 8 + SMALL_PX, text, SMALL_PX, INK, "middle"))
    out.lines.append(Line(x0, y1, x1, y1, MUTED, 1.0))
    if out.clock == "wall":
        label = "wall-clock time since the trace started"
    elif out.clock_chosen:
        label = (
            "step time: one step per event, in order (no asyncio ran: "
            "wall-clock time would measure the tracer, not the code)"
        )
    else:
        label = "step time: one step per event, in order"
    out.texts.append(Text(x1, y1 + 14 + 2 * SMALL_PX, label, SMALL_PX, MUTED, "end", italic=True))
    out.height = int(math.ceil(y1 + AXIS_H + 6))
