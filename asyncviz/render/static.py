"""Static timeline images of a Trace — PNG, SVG, PDF — drawn without a browser.

    from asyncviz.render.static import timeline_png, timeline_svg, timeline_pdf
    timeline_png(trace)      # bytes; 1200 px wide at dpi=100 (dpi=200: same picture, 2x pixels)
    timeline_svg(trace)      # str, written directly: one merged <path> per row and colour
    timeline_pdf(trace)      # bytes, vector (matplotlib)

What is drawn comes from the timeline analysis (`analysis/timeline.py`); nothing is
recomputed here.  One lane per timeline lane, labelled at the left, one row per depth
(frames that a lane's object delegates to sit below it); running slices as bars coloured
by the kind of object (Okabe–Ito colours, safe for colour-blind readers), suspended spans
as thin lines, the loop-idle lane, a time axis, a legend, a title line, and a notice when
the trace was truncated.  Event markers (and, for short traces, the values that crossed)
are drawn when there are few enough events to read them; otherwise bars only.

`layout()` does all the work in pixel space (x right, y down, origin top left, one unit is
one PNG pixel at dpi=100) and returns a `Layout`: plain primitives (rectangles, markers,
lines, texts) plus the geometry a reader or a test needs (`row_of`, `x_of`).  A renderer
per format (`static_mpl.py`: PNG and PDF; `static_svg.py`: SVG) only draws primitives.

Two clocks: "wall" (the default: time since the trace started) and "step" (every event
the same width, for programs whose order matters more than their microseconds).

Scale: slices are turned into pixels before anything is drawn: per row and colour, slices
closer than one pixel merge into one rectangle, each rectangle at least one pixel wide and
drawn paler when its slices fill less than two thirds of it (a pipeline whose stages take
turns every microsecond shows as three pale bars, not three solid ones).  A million events
draw as a few hundred rectangles; more than MAX_LANES lanes fold into one.  matplotlib is
imported only by the PNG/PDF renderer, lazily, on a private Figure/Agg canvas (pyplot and
the user's rc settings are never touched); the SVG needs numpy only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..analysis.summary import format_ns
from ..analysis.timeline import Timeline, timeline_of
from ..events import KIND_CODE
from ..trace import Trace

__all__ = ["timeline_png", "timeline_svg", "timeline_pdf", "layout", "Layout",
           "TimelineRenderer", "PALETTE", "EMPTY_MESSAGE"]

# -- looks ---------------------------------------------------------------------------------

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common form of
# colour blindness.
OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7", "black": "#000000",
}
PALETTE = {
    "generator": OKABE_ITO["blue"],
    "coroutine": OKABE_ITO["bluish_green"],
    "async_generator": OKABE_ITO["reddish_purple"],
    "task": OKABE_ITO["orange"],
}
KIND_NAMES = {"generator": "generator", "coroutine": "coroutine",
              "async_generator": "async generator", "task": "task"}
IDLE = "#B8B8B8"
ALERT = OKABE_ITO["vermillion"]
INK = "#222222"
MUTED = "#5A5A5A"
GRID = "#E4E4E4"
BAND = "#F4F4F4"      # every other lane
BACKGROUND = "#FFFFFF"
FONT = "DejaVu Sans"  # matplotlib's own font, so PNG, PDF and the layout's estimates agree
SVG_FONTS = "'DejaVu Sans', Verdana, 'Segoe UI', system-ui, sans-serif"

EMPTY_MESSAGE = "nothing ran in scope"
EMPTY_HINT = ("no generator, coroutine or task was recorded; asyncviz records your own code "
              "by default (include=['*'] or --include widens the scope)")

# Which events get a marker, and how it looks: shape (a matplotlib marker code; the SVG
# renderer draws the same shapes), colour, legend text.  Kinds sharing a legend text share
# a legend entry.
MARKERS = {
    "create": ("o", MUTED, "create"),
    "start": (">", INK, "start / resume"),
    "resume": (">", INK, "start / resume"),
    "throw": (">", ALERT, "throw"),
    "yield": ("<", INK, "yield"),
    "await": ("D", INK, "await"),
    "return": ("s", INK, "return / close"),
    "close": ("s", INK, "return / close"),
    "raise": ("X", ALERT, "raise"),
    "cancel": ("x", ALERT, "cancel"),
}

# A rectangle that merges slices is drawn paler when they fill less of it: fill below
# FILL_LEVELS[1] gets TINTS[0], below FILL_LEVELS[2] TINTS[1], else the full colour.
FILL_LEVELS = (0.0, 1 / 3, 2 / 3)
TINTS = (0.5, 0.75, 1.0)

MARKER_LIMIT = 2_000   # fewer events than this: markers; otherwise bars only
VALUE_LIMIT = 200      # fewer events than this: values and object names written on the bars
MAX_LANES = 40         # more lanes than this: the rest fold into one lane
MAX_ROWS = 8           # rows per lane; deeper frames share the last row

# sizes, in pixels at dpi=100
TITLE_PX, TEXT_PX, SMALL_PX, LABEL_PX = 15, 12, 11, 10
BAR_H = 12
ROW_H = 18            # bars only
ROW_H_MARKED = 22     # with markers
ROW_H_VALUES = 32     # with values going out written above the bars
ROW_H_BOTH = 44       # ... and values coming in (sent, thrown) below them
SUSPENDED_H = 2
LANE_GAP = 6
MARGIN = 14
AXIS_H = 40
MIN_WIDTH = 320
INDENT = 10          # deeper rows' labels

_BEGIN = tuple(KIND_CODE[k] for k in ("start", "resume", "throw"))
_SUSPEND = tuple(KIND_CODE[k] for k in ("yield", "await"))


def text_width(text: str, px: float, bold: bool = False) -> float:
    """An estimate of the width DejaVu Sans gives `text` (a little generous)."""
    return len(text) * px * (0.66 if bold else 0.61)


def printable(text: str, limit: int | None = None) -> str:
    """One line of printable text (control characters spelled out), cut to `limit`."""
    if not text.isprintable():
        text = "".join(c if c.isprintable()
                       else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                       for c in text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


# -- the layout ------------------------------------------------------------------------------

@dataclass
class Text:
    x: float
    y: float                      # the baseline
    text: str                     # printable; renderers escape it as their format needs
    px: float = TEXT_PX
    colour: str = INK
    anchor: str = "start"         # start | middle | end
    bold: bool = False
    italic: bool = False


@dataclass
class Rects:
    """Rectangles of one colour, as an (N, 4) float array of x0, y0, x1, y1."""
    colour: str
    boxes: object                 # numpy.ndarray
    role: str = "bar"             # bar | suspended | idle | band | legend | chip


@dataclass
class Marks:
    """Markers of one shape and colour at (N, 2) centres."""
    shape: str
    colour: str
    xy: object                    # numpy.ndarray
    size: float = 9.0             # px, the marker's width (a class default: see _uncrowded)


@dataclass
class Line:
    x0: float
    y0: float
    x1: float
    y1: float
    colour: str = GRID
    width: float = 1.0
    role: str = "axis"            # grid lines are drawn under the bars, axis lines above


@dataclass
class RowBox:
    lane: int                     # index into Layout.lanes
    depth: int
    y0: float
    y1: float
    label: str                    # what sits in the row
    bar_top: float = 0.0          # where its bars begin (low in the row when values are
                                  # written above them)

    @property
    def bar(self) -> tuple[float, float]:
        """The y range a running slice occupies in this row."""
        return self.bar_top, self.bar_top + BAR_H

    @property
    def centre(self) -> float:
        """The middle of the bars: where suspended lines and markers are drawn."""
        return self.bar_top + BAR_H / 2


@dataclass
class LaneBox:
    label: str
    kind: str                     # task | free | idle | more
    y0: float
    y1: float
    rows: list[int]               # indices into Layout.rows
    timeline_lanes: list[int]     # the timeline's lane ids drawn here (several: folded)


@dataclass
class Layout:
    width: int
    height: int
    title: str
    texts: list[Text] = field(default_factory=list)
    rects: list[Rects] = field(default_factory=list)
    marks: list[Marks] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    lanes: list[LaneBox] = field(default_factory=list)
    rows: list[RowBox] = field(default_factory=list)
    plot: tuple[float, float, float, float] = (0, 0, 0, 0)  # x0, y0, x1, y1 of the lanes
    clock: str = "wall"
    span: tuple[float, float] = (0.0, 1.0)  # the clock values at plot x0 and x1
    notes: list[str] = field(default_factory=list)           # truncation, folding
    message: str | None = None    # set when there is nothing to draw
    n_events: int = 0
    n_slices: int = 0             # running slices in the trace
    n_rects: int = 0              # rectangles drawn for slices, suspensions and idle time
    object_row: dict[int, int] = field(default_factory=dict)  # object id -> row index
    markers: bool = False
    values: bool = False

    def x_of(self, value: float) -> float:
        """The x pixel of a clock value (wall: ns since the trace started; step: an event
        index, event i sitting at i + 0.5)."""
        x0, _, x1, _ = self.plot
        lo, hi = self.span
        return x0 + (value - lo) * (x1 - x0) / (hi - lo)

    def row_of(self, obj: int) -> RowBox:
        """The row an object's slices are drawn in (KeyError: it has none, e.g. a future)."""
        return self.rows[self.object_row[obj]]


def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _time_ticks(lo: float, hi: float, count: int) -> list[tuple[float, str]]:
    step = _nice_step(hi - lo, count)
    unit, scale = "ns", 1.0
    for u, s in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if hi >= s:
            unit, scale = u, s
            break
    digits = max(0, -math.floor(math.log10(step / scale) + 1e-9)) if step < scale else 0
    if step / scale * 10 ** digits % 1 > 1e-6:  # 2.5 steps need one digit more
        digits += 1
    first = math.ceil(lo / step) * step
    ticks = []
    k = 0
    while first + k * step <= hi + step * 1e-9:
        v = first + k * step
        ticks.append((v, f"{v / scale:.{digits}f} {unit}"))
        k += 1
    return ticks


def _step_ticks(lo: float, hi: float, count: int) -> list[tuple[float, str]]:
    step = max(1, round(_nice_step(hi - lo, count)))
    first = math.ceil(lo / step) * step
    return [(v + 0.5, f"{v:,}") for v in range(int(first), int(hi), step)]


def _merge(np, key, xa, xb, gap: float = 1.0):
    """Merge, per key, spans [xa, xb] (pixels) closer than `gap`; each at least 1 px wide.

    Spans of one key must come in order of xa (they do: events are in time order).
    Returns (key, x0, x1, fill) of the merged rectangles; fill is the part of a rectangle
    its spans really cover (below 1 also for one span widened to a pixel)."""
    if not len(key):
        return key, xa, xb, np.ones(0)
    order = np.argsort(key, kind="stable")
    key, xa, xb = key[order], xa[order], xb[order]
    covered = np.maximum(xb - xa, 0.0)
    xb = np.maximum(xb, xa + 1.0)
    # a running maximum of xb within each key: shift each key's x values past the last
    span = float(max(xb.max(), 1.0)) + 4 * gap + 1.0
    shift = key.astype(np.float64) * span
    reach = np.maximum.accumulate(xb + shift) - shift
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    new[1:] = (key[1:] != key[:-1]) | (xa[1:] > reach[:-1] + gap)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(key)) - 1
    x0, x1 = xa[starts], reach[ends]
    fill = np.add.reduceat(covered, starts) / (x1 - x0)
    return key[starts], x0, x1, np.minimum(fill, 1.0)


def tint(colour: str, strength: float) -> str:
    """`colour` mixed with white: strength 1 is the colour itself, 0 is white."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * strength):02X}" for c in rgb)


def layout(trace: Trace, *, width: int = 1200, clock: str = "wall",
           markers: bool | None = None, values: bool | None = None,
           max_lanes: int = MAX_LANES, max_rows: int = MAX_ROWS,
           timeline: Timeline | None = None) -> Layout:
    """The picture of `trace`, in pixels; see the module docstring.

    clock: "wall" (time since the trace started) or "step" (every event the same width:
    the order of a microsecond-long generator pipeline, readable).  markers / values:
    None decides by the number of events (MARKER_LIMIT, VALUE_LIMIT).  max_lanes: more
    lanes fold into one "+N more lanes" lane; max_rows: deeper frames share the last row.
    timeline: the trace's `timeline_of()`, if the caller has it already.
    """
    import numpy as np

    if clock not in ("wall", "step"):
        raise ValueError(f"clock must be 'wall' or 'step', not {clock!r}")
    width = max(int(width), MIN_WIDTH)
    tl = timeline if timeline is not None else timeline_of(trace)
    n = len(tl.t)
    objects = trace.objects
    idle = tl.idle
    duration = max(trace.duration, tl.t[-1] if n else 0, idle[-1][1] if idle else 0)
    n_objects = sum(o.kind != "future" for o in objects)
    facts = (f"{n:,} event{'s' if n != 1 else ''}, {n_objects:,} "
             f"object{'s' if n_objects != 1 else ''}, {format_ns(duration)}")
    where = ", ".join(x for x in (trace.meta.get("backend"),
                                  f"Python {trace.meta['python']}"
                                  if trace.meta.get("python") else None) if x)
    title = printable(f"asyncviz timeline — {facts}" + (f" ({where})" if where else ""))
    out = Layout(width=width, height=0, title=title, clock=clock, n_events=n)
    if trace.truncated:
        out.notes.append(trace.truncation)

    if n == 0:
        out.message = EMPTY_MESSAGE
        y = _heading(out)
        y += 50
        out.texts.append(Text(width / 2, y, EMPTY_MESSAGE, 22, MUTED, "middle", bold=True))
        y += 24
        out.texts.append(Text(width / 2, y, EMPTY_HINT, SMALL_PX, MUTED, "middle"))
        out.height = int(y + 30)
        out.plot = (MARGIN, y, width - MARGIN, y)
        return out

    markers = n < MARKER_LIMIT if markers is None else bool(markers)
    values = (markers and n < VALUE_LIMIT) if values is None else bool(values)
    out.markers, out.values = markers, values
    row_h = ROW_H_VALUES if values else ROW_H_MARKED if markers else ROW_H
    if values and any(_incoming(e) for e in trace.events):
        row_h = ROW_H_BOTH

    # -- lanes and rows, as the timeline placed them (folded past max_lanes) ---------------
    work = [lane for lane in tl.lanes if lane.kind != "idle"]
    idle_lanes = [lane for lane in tl.lanes if lane.kind == "idle"]
    keep = max(max_lanes - 1, 1)
    shown, folded = (work, []) if len(work) <= max_lanes else (work[:keep], work[keep:])
    display = [(lane.label, lane.kind, [lane.id], min(lane.rows, max(max_rows, 1)))
               for lane in shown]
    if folded:
        display.append((f"+{len(folded):,} more lanes", "more",
                        [lane.id for lane in folded], 1))
        out.notes.append(f"{len(work):,} lanes: the last {len(folded):,} are drawn together "
                         f"in one (max_lanes={max_lanes})")
    display += [(lane.label, "idle", [lane.id], 1) for lane in idle_lanes]

    lane_display = np.full(max(len(tl.lanes), 1), -1, dtype=np.int64)
    for d, (_, _, ids, _) in enumerate(display):
        lane_display[ids] = d
    row_count = np.array([rows for *_, rows in display] or [1], dtype=np.int64)
    row_base = np.concatenate([[0], np.cumsum(row_count)[:-1]]).astype(np.int64)
    rows_total = int(row_count[: len(display)].sum())
    lane_arr = np.array([-1 if x is None else x for x in tl.lane_of], dtype=np.int64)
    depth_arr = np.array(tl.depth_of, dtype=np.int64)
    obj_disp = np.where(lane_arr >= 0, lane_display[np.maximum(lane_arr, 0)], -1)
    safe = np.maximum(obj_disp, 0)
    obj_row = np.where(obj_disp >= 0,
                       row_base[safe] + np.minimum(depth_arr, row_count[safe] - 1), -1)
    kinds = list(PALETTE)
    n_colours = len(kinds)
    obj_colour = np.array([kinds.index(o.kind) if o.kind in PALETTE else 0 for o in objects],
                          dtype=np.int64)
    out.object_row = {i: int(r) for i, r in enumerate(obj_row.tolist()) if r >= 0}
    labels = _row_labels(objects, tl, display, row_base, obj_row)
    label_w = max((text_width(t, LABEL_PX + 1, bold) + (0 if bold else INDENT)
                   + (text_width(extra, LABEL_PX) + 6 if extra else 0)
                   for t, bold, extra in labels), default=60)
    x_plot0 = MARGIN + min(max(label_w, 70), 240) + 10
    x_plot1 = width - MARGIN - 6

    # -- the clock: x of every event --------------------------------------------------------
    t = np.frombuffer(tl.t, dtype=np.int64)
    kind_arr = np.frombuffer(tl.kind, dtype=np.uint8)
    obj = np.frombuffer(tl.obj, dtype=np.dtype(f"u{tl.obj.itemsize}")).astype(np.int64)
    partner = np.frombuffer(tl.partner, dtype=np.dtype(f"i{tl.partner.itemsize}"))
    idle_a = np.array([a for a, _ in idle], dtype=np.int64)
    idle_b = np.array([b for _, b in idle], dtype=np.int64)
    if clock == "wall":
        pos = t.astype(np.float64)
        lo = float(min(t[0], idle_a[0] if len(idle_a) else t[0]))
        hi = float(max(t[-1], idle_b[-1] if len(idle_b) else t[-1]))
        ipos_a, ipos_b = idle_a.astype(np.float64), idle_b.astype(np.float64)
    else:
        pos = np.arange(n, dtype=np.float64) + 0.5
        lo, hi = 0.0, float(n)
        ipos_a = np.searchsorted(t, idle_a).astype(np.float64)
        ipos_b = np.searchsorted(t, idle_b).astype(np.float64)
    if hi <= lo:
        hi = lo + 1.0
    pad = (hi - lo) * 0.012
    out.span = (lo - pad, hi + pad)
    scale = (x_plot1 - x_plot0) / (out.span[1] - out.span[0])
    shift = x_plot0 - out.span[0] * scale
    xs = pos * scale + shift
    x_end = hi * scale + shift

    # -- slices, suspensions, idle time: in pixels, merged per row and colour --------------
    def spans(codes):
        idx = np.flatnonzero(np.isin(kind_arr, codes))
        rows = obj_row[obj[idx]]
        idx, rows = idx[rows >= 0], rows[rows >= 0]
        end = partner[idx].astype(np.int64)
        xb = np.where(end >= 0, xs[np.maximum(end, 0)], x_end)
        key = rows * n_colours + obj_colour[obj[idx]]
        return idx, _merge(np, key, xs[idx], xb)

    begins, (bkey, b0, b1, fill) = spans(_BEGIN)
    out.n_slices = int(len(begins))
    # a rectangle made of many short slices is paler when they ran for less of it
    level = np.searchsorted(np.array(FILL_LEVELS[1:]), fill, side="right")
    _, (skey, s0, s1, _) = spans(_SUSPEND)
    i0 = i1 = np.zeros(0)
    if idle_lanes and len(idle_a):
        _, i0, i1, _ = _merge(np, np.zeros(len(idle_a), dtype=np.int64),
                              ipos_a * scale + shift, ipos_b * scale + shift)

    # -- heading and legend ----------------------------------------------------------------
    present = np.unique(bkey % n_colours).tolist()
    legend: list[tuple[str, str, str]] = []  # (what, colour, text)
    for c in present:
        legend.append(("chip", PALETTE[kinds[c]], f"running: {KIND_NAMES[kinds[c]]}"))
    if (level < len(TINTS) - 1).any():
        c = present[0] if present else 0
        legend.append(("chip", tint(PALETTE[kinds[c]], TINTS[0]),
                       "paler: ran part of the time"))
    legend.append(("line", MUTED, "suspended"))
    if idle_lanes:
        legend.append(("chip", IDLE, "loop idle"))
    if markers:
        seen = set(np.unique(kind_arr).tolist())
        done = set()
        for kind, (shape, colour, text) in MARKERS.items():
            if KIND_CODE[kind] in seen and text not in done:
                done.add(text)
                legend.append(("mark:" + shape, colour, text))
    y = _heading(out) + 10
    lx = MARGIN
    line_y = y + SMALL_PX
    legend_rects: list[tuple[str, tuple]] = []
    for what, colour, text in legend:
        w = 18 + text_width(text, SMALL_PX) + 16
        if lx + w > width - MARGIN and lx > MARGIN:
            lx = MARGIN
            line_y += SMALL_PX + 8
        mid = line_y - SMALL_PX * 0.35
        if what == "chip":
            legend_rects.append((colour, (lx, mid - 5, lx + 14, mid + 5)))
        elif what == "line":
            legend_rects.append((colour, (lx, mid - 1, lx + 14, mid + 1)))
        else:
            out.marks.append(Marks(what[5:], colour, np.array([[lx + 7, mid]])))
        out.texts.append(Text(lx + 18, line_y, text, SMALL_PX, INK))
        lx += w
    y = line_y + 14

    # -- rows, top to bottom -------------------------------------------------------------
    plot_y0 = y
    bands = []
    bar_off = (ROW_H_VALUES - BAR_H - 3) if values else (row_h - BAR_H) / 2
    row_y0 = np.zeros(rows_total, dtype=np.float64)
    for d, (label, kind, ids, rows) in enumerate(display):
        lane_y0 = y
        y += LANE_GAP / 2
        row_ids = []
        for k in range(rows):
            r = int(row_base[d]) + k
            row_y0[r] = y
            text, bold, extra = labels[r]
            out.rows.append(RowBox(d, k, float(y), float(y + row_h), text,
                                   float(y + bar_off)))
            row_ids.append(r)
            base = y + bar_off + BAR_H / 2 + (LABEL_PX + 1) * 0.36  # level with the bars
            out.texts.append(Text(MARGIN + (0 if bold else INDENT), base, text,
                                  LABEL_PX + (1 if bold else 0), INK if bold else MUTED,
                                  bold=bold, italic=kind in ("idle", "more")))
            if extra:
                out.texts.append(Text(MARGIN + text_width(text, LABEL_PX + 1, True) + 6,
                                      base, extra, LABEL_PX, MUTED))
            y += row_h
        y += LANE_GAP / 2
        out.lanes.append(LaneBox(label, kind, float(lane_y0), float(y), row_ids, list(ids)))
        if d % 2 == 1:
            bands.append((0, lane_y0, width, y))
    plot_y1 = y
    out.plot = (x_plot0, plot_y0, x_plot1, plot_y1)
    bar_y0 = row_y0 + bar_off                   # per row: the top of a bar
    mid_y = bar_y0 + BAR_H / 2                  # per row: thin lines and markers

    out.rects.append(Rects(BAND, np.array(bands, dtype=np.float64).reshape(-1, 4), "band"))
    # suspended lines first: a bar that starts where a suspension ends covers its end
    drawn = []
    for c in range(n_colours):
        sel = (skey % n_colours) == c
        if sel.any():
            ym = mid_y[skey[sel] // n_colours] - SUSPENDED_H / 2
            drawn.append(Rects(PALETTE[kinds[c]], np.column_stack(
                [s0[sel], ym, s1[sel], ym + SUSPENDED_H]), "suspended"))
    for c in range(n_colours):
        for lv, strength in enumerate(TINTS):
            sel = ((bkey % n_colours) == c) & (level == lv)
            if sel.any():
                top = bar_y0[bkey[sel] // n_colours]
                drawn.append(Rects(tint(PALETTE[kinds[c]], strength), np.column_stack(
                    [b0[sel], top, b1[sel], top + BAR_H]), "bar"))
    if len(i0):
        top = bar_y0[out.lanes[-1].rows[0]]
        drawn.append(Rects(IDLE, np.column_stack(
            [i0, np.full(len(i0), top), i1, np.full(len(i0), top + BAR_H)]), "idle"))
    out.rects += drawn
    out.n_rects = int(sum(len(r.boxes) for r in drawn))
    for colour, box in legend_rects:
        out.rects.append(Rects(colour, np.array([box], dtype=np.float64), "legend"))

    # -- time axis ---------------------------------------------------------------------------
    ticks = (_time_ticks if clock == "wall" else _step_ticks)(
        lo, hi, max(2, int((x_plot1 - x_plot0) / 110)))
    for v, text in ticks:
        x = v * scale + shift
        out.lines.append(Line(x, plot_y0, x, plot_y1, GRID, 1.0, "grid"))
        out.lines.append(Line(x, plot_y1, x, plot_y1 + 5, MUTED, 1.0))
        out.texts.append(Text(x, plot_y1 + 8 + SMALL_PX, text, SMALL_PX, INK, "middle"))
    out.lines.append(Line(x_plot0, plot_y1, x_plot1, plot_y1, MUTED, 1.0))
    axis_label = ("wall-clock time since the trace started" if clock == "wall" else
                  "events in order (step clock: every event the same width)")
    out.texts.append(Text(x_plot1, plot_y1 + 14 + 2 * SMALL_PX, axis_label, SMALL_PX, MUTED,
                          "end", italic=True))
    out.height = int(math.ceil(plot_y1 + AXIS_H + 6))

    # -- markers, names and values -----------------------------------------------------------
    if markers:
        mrows = obj_row[obj]
        shown = _uncrowded(np, mrows, xs, kind_arr)
        groups: dict = {}
        for kind in MARKERS:
            sel = (kind_arr == KIND_CODE[kind]) & shown
            if sel.any():
                shape, colour, _ = MARKERS[kind]
                groups.setdefault((shape, colour), []).append(
                    np.column_stack([xs[sel], mid_y[mrows[sel]]]))
        for (shape, colour), parts in groups.items():
            out.marks.append(Marks(shape, colour, np.concatenate(parts)))
    if values:
        _write_values(out, trace, tl, obj_row, xs, x_end, bar_y0)
    return out


def _uncrowded(np, rows, xs, kinds):
    """Which events get a marker: every create, return, raise, close, cancel and throw;
    of the steps (start, resume, yield, await), those not lost in a crowd — a run of
    more than two step markers in a row, each nearer than a marker's width to the
    previous one, shows as bars and lines only, as a big trace does."""
    size = Marks.size
    steps = np.isin(kinds, [KIND_CODE[k] for k in ("start", "resume", "yield", "await")])
    keep = (rows >= 0) & ~steps
    idx = np.flatnonzero((rows >= 0) & steps)
    if not len(idx):
        return keep
    idx = idx[np.argsort(rows[idx], kind="stable")]  # by row, then in time order
    r, x = rows[idx], xs[idx]
    near = np.zeros(len(idx), dtype=bool)   # nearer than `size` to the previous one
    near[1:] = (r[1:] == r[:-1]) & (x[1:] - x[:-1] < size)
    cluster = np.cumsum(~near)              # runs of near markers share a number
    count = np.bincount(cluster)
    keep[idx[count[cluster] <= 2]] = True
    return keep


def _heading(out: Layout) -> float:
    """The title and the notes; returns the y below them."""
    y = MARGIN + TITLE_PX
    out.texts.append(Text(MARGIN, y, out.title, TITLE_PX, INK, bold=True))
    for note in out.notes:
        y += TEXT_PX + 7
        out.texts.append(Text(MARGIN, y, printable(note), TEXT_PX, ALERT, bold=True))
    return y


def _row_labels(objects, tl: Timeline, display, row_base, obj_row) -> list:
    """(text, bold, extra) per row: the lane's name (and the coroutine a task runs) on
    its first row, what runs there on deeper rows."""
    in_row: dict[int, list] = {}
    for o in objects:
        r = int(obj_row[o.id])
        if r >= 0 and o.kind not in ("task", "future"):
            in_row.setdefault(r, []).append(o)
    labels = []
    for d, (label, kind, ids, rows) in enumerate(display):
        for k in range(rows):
            objs = in_row.get(int(row_base[d]) + k, [])
            if k == 0:
                extra = (objs[0].label if kind != "more" and len(objs) == 1
                         and objs[0].label != label else "")
                labels.append((printable(label, 26), True, printable(extra, 20)))
                continue
            names = {o.name for o in objs}
            if len(objs) == 1:
                text = objs[0].label
            elif len(names) == 1:
                text = f"{objs[0].name.rsplit('.', 1)[-1]} ×{len(objs)}"
            elif objs:
                text = f"{objs[0].label} +{len(objs) - 1}"
            else:
                text = ""
            if k == rows - 1 and max(tl.lanes[i].rows for i in ids) > rows:
                text = f"depth ≥{k}: {text}"
            labels.append((printable(text, 24), False, ""))
    return labels


def _write_values(out: Layout, trace: Trace, tl: Timeline, obj_row, xs, x_end, bar_y0):
    """Object names inside the bars they fit in, and the values that crossed: what went
    out (yield, await, return) above the row, right of its event; what came in (a value
    sent, an exception thrown) below the row, left of its event — so each suspended span
    carries what left and what came back.  A label that would overlap one before it in
    its line is left out."""
    objects = trace.objects
    begin = set(_BEGIN)
    wanted = []  # (priority, row, left, text, colour)
    for i, e in enumerate(trace.events):
        r = int(obj_row[e.obj])
        if r < 0:
            continue
        x = float(xs[i])
        if KIND_CODE[e.kind] in begin:  # a name inside the running slice, when it fits
            j = tl.partner[i]
            x1 = float(xs[j]) if j >= 0 else x_end
            name = printable(objects[e.obj].label, 30)
            if x1 - x >= text_width(name, LABEL_PX) + 14:
                out.texts.append(Text(x + 7, bar_y0[r] + BAR_H / 2 + LABEL_PX * 0.36, name,
                                      LABEL_PX, "#FFFFFF"))
        incoming = _incoming(e)
        if e.kind == "yield":
            text = "yield" if e.value is None else f"yield {e.value}"
        elif incoming:
            text = ("throw" if e.value is None else
                    f"{'sent' if e.kind == 'resume' else 'throw'} {e.value}")
        elif e.kind == "await" and (e.target is not None or e.value not in (None, "None")):
            # (a bare yield to the loop, as asyncio.sleep(0) makes, says nothing worth ink)
            text = ("await " + objects[e.target].label if e.target is not None
                    else f"await {e.value}")
        elif e.kind in ("return", "raise") and objects[e.obj].kind != "task":
            text = e.kind if e.value is None else f"{e.kind} {e.value}"
        else:
            continue
        text = printable(text, 28)
        w = text_width(text, LABEL_PX)
        left = x - w - 2 if incoming else x + 2
        left = min(max(left, out.plot[0] - 20), out.width - MARGIN - w)
        colour = ALERT if e.kind in ("raise", "throw") else MUTED
        wanted.append((1 if incoming else 0, r, left, left + w, text, colour))
    placed: dict[tuple, list] = {}
    for below, r, left, right, text, colour in wanted:
        taken = placed.setdefault((r, below), [])
        if any(left < b + 6 and a < right + 6 for a, b in taken):
            continue
        taken.append((left, right))
        y = bar_y0[r] + BAR_H + LABEL_PX + 1 if below else bar_y0[r] - 3
        out.texts.append(Text(left, y, text, LABEL_PX, colour))


def _incoming(e) -> bool:
    """A value that came into a suspended object: sent to it, or thrown into it."""
    return e.kind == "throw" or (e.kind == "resume" and e.value not in (None, "None"))


# -- renderers -------------------------------------------------------------------------------

class TimelineRenderer:
    """Draws a Layout in one format (pyinstrument's renderers are the model).

    Paint order, back to front: `layers(out)`."""

    suffix = ""
    binary = True

    @staticmethod
    def layers(out: Layout):
        """(kind, primitive) in paint order: lane bands, grid, bars and lines, axis,
        markers, texts."""
        for r in out.rects:
            if r.role == "band":
                yield "rects", r
        for line in out.lines:
            if line.role == "grid":
                yield "line", line
        for r in out.rects:
            if r.role != "band":
                yield "rects", r
        for line in out.lines:
            if line.role != "grid":
                yield "line", line
        for m in out.marks:
            yield "marks", m
        for t in out.texts:
            yield "text", t

    def render(self, out: Layout) -> bytes | str:
        raise NotImplementedError

    def render_trace(self, trace: Trace, **options) -> bytes | str:
        return self.render(layout(trace, **options))


def timeline_png(trace: Trace, width: int = 1200, dpi: int = 100, **options) -> bytes:
    """The timeline as PNG bytes: `width` pixels wide at dpi=100; a higher dpi draws the
    same picture with more pixels (dpi=200: twice as wide, for slides and print).
    Further options as for `layout()` (clock="step", markers=..., timeline=...)."""
    from .static_mpl import PngRenderer
    return PngRenderer(dpi=dpi).render(layout(trace, width=width, **options))


def timeline_pdf(trace: Trace, width: int = 1200, **options) -> bytes:
    """The timeline as a vector PDF (one unit of the layout is 0.72 pt)."""
    from .static_mpl import PdfRenderer
    return PdfRenderer().render(layout(trace, width=width, **options))


def timeline_svg(trace: Trace, width: int = 1200, **options) -> str:
    """The timeline as an SVG document (written directly, one path per row and colour)."""
    from .static_svg import SvgRenderer
    return SvgRenderer().render(layout(trace, width=width, **options))
