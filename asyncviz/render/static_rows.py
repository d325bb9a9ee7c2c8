"""The static timeline's lanes and rows (the rest of the layout: static_layout.py).

One lane per timeline lane as the timeline placed them (past max_lanes the rest fold into
one), one row per depth: which row each object is drawn in, each row's label, and the lane
and row boxes with their labels and the bands behind every other lane.  numpy comes in as
the `np` argument, so that importing this module does not import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..analysis.timeline import Timeline
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
    text_width,
)

if TYPE_CHECKING:
    import numpy
    from numpy.typing import NDArray

COLOUR_KINDS = list(PALETTE)  # colour index -> object kind


@dataclass
class Rows:
    """Where each object is drawn: lanes as displayed (folded past max_lanes), the first
    row of each, and per object its row (-1: none) and colour index."""

    display: list  # (label, kind, timeline lane ids, rows) per displayed lane
    base: NDArray[numpy.int64]  # first row of each displayed lane
    total: int
    obj_row: NDArray[numpy.int64]
    obj_colour: NDArray[numpy.int64]


def shown_lanes(out: Layout, tl: Timeline, max_lanes: int, max_rows: int) -> list:
    """The lanes drawn, as the timeline placed them: past max_lanes the rest fold into one
    lane (and a note says so); the idle lane last."""
    work = [lane for lane in tl.lanes if lane.kind != "idle"]
    keep = max(max_lanes - 1, 1)
    shown, folded = (work, []) if len(work) <= max_lanes else (work[:keep], work[keep:])
    display = [
        (lane.label, lane.kind, [lane.id], min(lane.rows, max(max_rows, 1))) for lane in shown
    ]
    if folded:
        display.append((f"+{len(folded):,} more lanes", "more", [lane.id for lane in folded], 1))
        out.notes.append(
            f"{len(work):,} lanes: the last {len(folded):,} are drawn together "
            f"in one (max_lanes={max_lanes})"
        )
    display += [(lane.label, "idle", [lane.id], 1) for lane in tl.lanes if lane.kind == "idle"]
    return display


def place_rows(np, objects, tl: Timeline, display: list) -> Rows:
    lane_display = np.full(max(len(tl.lanes), 1), -1, dtype=np.int64)
    for d, (_, _, ids, _) in enumerate(display):
        lane_display[ids] = d
    row_count = np.array([rows for *_, rows in display] or [1], dtype=np.int64)
    row_base = np.concatenate([[0], np.cumsum(row_count)[:-1]]).astype(np.int64)
    lane_arr = np.array([-1 if x is None else x for x in tl.lane_of], dtype=np.int64)
    depth_arr = np.array(tl.depth_of, dtype=np.int64)
    obj_disp = np.where(lane_arr >= 0, lane_display[np.maximum(lane_arr, 0)], -1)
    safe = np.maximum(obj_disp, 0)
    obj_row = np.where(
        obj_disp >= 0, row_base[safe] + np.minimum(depth_arr, row_count[safe] - 1), -1
    )
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


def row_labels(objects, tl: Timeline, rows: Rows) -> list:
    """(text, bold, extra) per row: the lane's name (and the coroutine a task runs) on
    its first row, what runs there on deeper rows."""
    in_row: dict[int, list] = {}
    for o in objects:
        r = int(rows.obj_row[o.id])
        if r >= 0 and o.kind not in ("task", "future"):
            in_row.setdefault(r, []).append(o)
    labels = []
    for d, (label, kind, ids, count) in enumerate(rows.display):
        for k in range(count):
            objs = in_row.get(int(rows.base[d]) + k, [])
            if k == 0:
                extra = (
                    objs[0].label
                    if kind != "more" and len(objs) == 1 and objs[0].label != label
                    else ""
                )
                labels.append((one_line(label, 26), True, one_line(extra, 20)))
                continue
            text = _deeper_label(objs)
            if k == count - 1 and max(tl.lanes[i].rows for i in ids) > count:
                text = f"depth ≥{k}: {text}"
            labels.append((one_line(text, 24), False, ""))
    return labels


def draw_rows(np, out: Layout, rows: Rows, labels: list, y: float, row_h: float, bar_off: float):
    """Lane and row boxes top to bottom, their labels and the bands behind every other
    lane; returns the y below the last lane and each row's top."""
    bands = []
    row_y0 = np.zeros(rows.total, dtype=np.float64)
    for d, (label, kind, ids, count) in enumerate(rows.display):
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
                    italic=kind in ("idle", "more"),
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
