"""The static timeline's lanes and rows (the rest of the layout: static_layout.py).

The lanes and rows are the timeline's own, in the shape `Trace.lanes()` gives them: a list
of lanes, each with `label`, `kind` and `rows` — a list of rows, each a list of
`Traced.id`.  `trace_lanes` is the one call that reads them; everything below works on
that shape.  Then, as the widget draws them: lanes of one function fold into one group
with a count once there are more than GROUP_AFTER (2,000 tasks of `work`: one lane
`work ×2000`), rows deeper than max_rows share the last one, lanes past max_lanes fold
into one, and the loop-idle lane comes last.  This module places each object in a row,
labels the rows and draws their boxes and labels.  numpy comes in as the `np` argument,
so that importing this module does not import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..analysis.lanes import FOLD_AT
from ..text import one_line
from .static_primitives import (
    BAND,
    BAR_H,
    INDENT,
    INK,
    LABEL_PX,
    LANE_GAP,
    MARGIN,
    MUTED,
    PALETTE,
    LaneBox,
    Layout,
    Rects,
    RowBox,
    Text,
    fit_text,
    text_width,
)

if TYPE_CHECKING:
    import numpy
    from numpy.typing import NDArray

    from ..analysis.timeline import Timeline
    from ..trace import Trace

COLOUR_KINDS = list(PALETTE)  # colour index -> object kind
GROUP_AFTER = FOLD_AT  # more lanes of one function than this fold into one group
LABEL_COLUMN = 240  # px: the widest the lane labels' column gets


@dataclass
class Lane:
    """A lane in `Trace.lanes()`'s shape: what the static layout reads."""

    label: str
    kind: str  # task | free | idle (as the timeline says); group | more (folded here)
    rows: list[list[int]]  # Traced ids, per row


def trace_lanes(trace: Trace, tl: Timeline) -> list[Lane]:
    """The timeline's lanes and rows, as `Trace.lanes()` gives them (analysis/lanes.py,
    which `tl` was laid out by)."""
    return [Lane(lane.label, lane.kind, lane.rows) for lane in tl.layout.lanes]


@dataclass
class Rows:
    """Where each object is drawn: lanes as displayed, the first row of each, and per
    object its row (-1: none) and colour index."""

    display: list  # (label, kind, lane indices, rows drawn, rows it has) per displayed lane
    base: NDArray[numpy.int64]  # first row of each displayed lane
    total: int
    obj_row: NDArray[numpy.int64]
    obj_colour: NDArray[numpy.int64]


def _function_of(lane: Lane, objects) -> str | None:
    """What a lane runs, for grouping: the name of its first row's generator, coroutine or
    async generator (a task lane: its coroutine's)."""
    for i in lane.rows[0] if lane.rows else ():
        o = objects[i]
        if o.kind not in ("task", "future"):
            return o.name
    return None


def _merged(lanes: list[Lane]) -> list[list[int]]:
    """The rows of several lanes drawn as one: row k holds every lane's row k."""
    depth = max(len(lane.rows) for lane in lanes)
    return [[i for lane in lanes if k < len(lane.rows) for i in lane.rows[k]] for k in range(depth)]


def grouped(lanes: list[Lane], objects) -> list[tuple[Lane, list[int]]]:
    """Lanes of one function past GROUP_AFTER folded into one `name ×N` lane, where the
    first of them was; each with the indices of the lanes it stands for."""
    by_function: dict[tuple, list[int]] = {}
    for i, lane in enumerate(lanes):
        name = _function_of(lane, objects)
        if name is not None and lane.kind in ("task", "free"):
            by_function.setdefault((lane.kind, name), []).append(i)
    folded = {i: key for key, ids in by_function.items() if len(ids) > GROUP_AFTER for i in ids}
    out = []
    for i, lane in enumerate(lanes):
        key = folded.get(i)
        if key is None:
            out.append((lane, [i]))
        elif by_function[key][0] == i:
            ids = by_function[key]
            label = f"{key[1].rsplit('.', 1)[-1]} ×{len(ids):,}"
            out.append((Lane(label, "group", _merged([lanes[j] for j in ids])), ids))
    return out


def shown_lanes(
    out: Layout, lanes: list[Lane], objects, max_lanes: int, max_rows: int, idle: bool
) -> list:
    """The lanes drawn: grouped, past max_lanes the rest fold into one lane (and a note
    says so); the idle lane last (added when the lanes have none and the loop idled)."""
    work = [(lane, ids) for lane, ids in grouped(lanes, objects) if lane.kind != "idle"]
    keep = max(max_lanes - 1, 1)
    shown, folded = (work, []) if len(work) <= max_lanes else (work[:keep], work[keep:])
    display = [
        (lane.label, lane.kind, ids, min(len(lane.rows), max(max_rows, 1)) or 1, lane.rows)
        for lane, ids in shown
    ]
    if folded:
        rows = [[i for lane, _ in folded for row in lane.rows for i in row]]
        ids = [i for _, lane_ids in folded for i in lane_ids]
        display.append((f"+{len(folded):,} more lanes", "more", ids, 1, rows))
        out.notes.append(
            f"{len(work):,} lanes: the last {len(folded):,} are drawn together "
            f"in one (max_lanes={max_lanes})"
        )
    idle_lanes = [(i, lane) for i, lane in enumerate(lanes) if lane.kind == "idle"]
    if not idle_lanes and idle:
        idle_lanes = [(len(lanes), Lane("loop idle", "idle", [[]]))]
    display += [(lane.label, "idle", [i], 1, lane.rows) for i, lane in idle_lanes]
    return display


def place_rows(np, objects, display: list) -> Rows:
    row_count = np.array([drawn for _, _, _, drawn, _ in display] or [1], dtype=np.int64)
    row_base = np.concatenate([[0], np.cumsum(row_count)[:-1]]).astype(np.int64)
    obj_row = np.full(len(objects), -1, dtype=np.int64)
    for d, (_, _, _, drawn, rows) in enumerate(display):
        for k, row in enumerate(rows):
            obj_row[row] = row_base[d] + min(k, drawn - 1)
    obj_colour = np.array(
        [COLOUR_KINDS.index(o.kind) if o.kind in PALETTE else 0 for o in objects], dtype=np.int64
    )
    return Rows(display, row_base, int(row_count[: len(display)].sum()), obj_row, obj_colour)


def _deeper_label(objs: list) -> str:
    """What runs in a deeper row: one object's label, or how many of what."""
    if len(objs) == 1:
        return objs[0].label
    if len({o.name for o in objs}) == 1:
        return f"{objs[0].name.rsplit('.', 1)[-1]} ×{len(objs)}"
    return f"{objs[0].label} +{len(objs) - 1}" if objs else ""


def row_labels(objects, rows: Rows) -> list:
    """(text, bold, extra) per row: the lane's name (and the coroutine a task runs, when
    it reads differently) on its first row, what runs there on deeper rows; each cut to
    fit the label column."""
    in_row: dict[int, list] = {}
    for o in objects:
        r = int(rows.obj_row[o.id])
        if r >= 0 and o.kind not in ("task", "future"):
            in_row.setdefault(r, []).append(o)
    labels = []
    bold_px = LABEL_PX + 1
    for d, (label, kind, _ids, count, all_rows) in enumerate(rows.display):
        for k in range(count):
            objs = in_row.get(int(rows.base[d]) + k, [])
            if k == 0:
                name = fit_text(one_line(label), bold_px, LABEL_COLUMN, bold=True)
                extra = ""
                if kind in ("task", "free") and len(objs) == 1 and objs[0].label != label:
                    room = LABEL_COLUMN - text_width(name, bold_px, True) - 6
                    extra = fit_text(one_line(objs[0].label), LABEL_PX, room)
                labels.append((name, True, extra))
                continue
            text = _deeper_label(objs)
            if k == count - 1 and len(all_rows) > count:
                text = f"depth ≥{k}: {text}"
            labels.append((fit_text(one_line(text), LABEL_PX, LABEL_COLUMN - INDENT), False, ""))
    return labels


def draw_rows(np, out: Layout, rows: Rows, labels: list, y: float, row_h: float, bar_off: float):
    """Lane and row boxes top to bottom, their labels and the bands behind every other
    lane; returns the y below the last lane and each row's top."""
    bands = []
    row_y0 = np.zeros(rows.total, dtype=np.float64)
    for d, (label, kind, ids, count, _rows) in enumerate(rows.display):
        lane_y0 = y
        y += LANE_GAP / 2
        row_ids = []
        for k in range(count):
            r = int(rows.base[d]) + k
            row_y0[r] = y
            text, bold, extra = labels[r]
            out.rows.append(RowBox(d, k, float(y), float(y + row_h), text, float(y + bar_off)))
            row_ids.append(r)
            base = y + bar_off + BAR_H / 2 + (LABEL_PX + 1) * 0.36  # level with the bars
            out.texts.append(
                Text(
                    MARGIN + (0 if bold else INDENT),
                    base,
                    text,
                    LABEL_PX + (1 if bold else 0),
                    INK if bold else MUTED,
                    bold=bold,
                    italic=kind in ("idle", "more", "group"),
                )
            )
            if extra:
                out.texts.append(
                    Text(
                        MARGIN + text_width(text, LABEL_PX + 1, True) + 6,
                        base,
                        extra,
                        LABEL_PX,
                        MUTED,
                    )
                )
            y += row_h
        y += LANE_GAP / 2
        out.lanes.append(LaneBox(label, kind, float(lane_y0), float(y), row_ids, list(ids)))
        if d % 2 == 1:
            bands.append((0, lane_y0, out.width, y))
    out.rects.append(Rects(BAND, np.array(bands, dtype=np.float64).reshape(-1, 4), "band"))
    return y, row_y0
