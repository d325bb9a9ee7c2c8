"""What went wrong, on the static timeline: the trace's diagnostics (loop blocked, a timer
late, a coroutine never awaited, ...) listed in one line under the title, and each marked
over its span `t0`–`t1` in the rows of its objects (across every row when none of them has
one): a pale alert-coloured box behind the bars, underlined.

A diagnostic is anything with `kind`, `objects` (Traced ids), `t0`, `t1` (ns on the
trace's clock), `line` and `message` — `Trace.diagnostics()`'s items, or dicts of those
fields.  numpy comes in as the `np` argument.
"""

from __future__ import annotations

from typing import Any

from .static_primitives import ALERT, Layout, Line, Rects
from .theme import tint

SPAN_FILL = tint(ALERT, 0.2)
LEGEND_TEXT = "diagnostic (listed above)"
MIN_SPAN_PX = 3.0  # a diagnostic of an instant is still a mark


def field(item: Any, name: str, default=None):
    """A diagnostic's field, whether it is an object or a dict."""
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def diagnostics_of(trace) -> list:
    """`trace.diagnostics()`, or [] for a trace that has none to give."""
    method: Any = getattr(trace, "diagnostics", None)
    if not callable(method):
        return []
    try:
        items: Any = method()
        return list(items)
    except Exception:  # noqa: BLE001 - the picture must not fail for its diagnostics
        return []


def heading_line(found: list, width: int) -> str:
    """The one line under the title: the message, or how many and each message in turn
    (the heading cuts it to the picture's width)."""
    messages = [str(field(d, "message", "") or field(d, "kind", "")) for d in found]
    if len(messages) == 1:
        return f"⚠ {messages[0]}"
    return f"⚠ {len(messages)} diagnostics: " + "; ".join(messages)


def draw_diagnostics(np, out: Layout, found: list, obj_row, tl, clk, row_y0, row_h: float):
    """Each diagnostic's span, behind the bars of its objects' rows."""
    t = np.frombuffer(tl.t, dtype=np.int64)
    boxes, lines = [], []
    for d in found:
        t0, t1 = int(field(d, "t0", 0) or 0), int(field(d, "t1", 0) or 0)
        if out.clock == "wall":
            a, b = float(t0), float(max(t1, t0))
        else:  # step time: from the first event at or after t0 to the last at or before t1
            a = float(np.searchsorted(t, t0, side="left")) + 0.5  # (event i sits at i + 0.5)
            b = max(float(np.searchsorted(t, t1, side="right")) - 0.5, a)
        x0, x1 = a * clk.scale + clk.shift, b * clk.scale + clk.shift
        x0, x1 = max(x0, out.plot[0]), min(max(x1, x0 + MIN_SPAN_PX), out.plot[2])
        ids = [int(i) for i in field(d, "objects", ()) or () if 0 <= int(i) < len(obj_row)]
        rows = sorted({int(obj_row[i]) for i in ids if obj_row[i] >= 0})
        spans = [(row_y0[r], row_y0[r] + row_h) for r in rows] or [out.plot[1::2]]
        for y0, y1 in spans:
            boxes.append((x0, y0, x1, y1))
            lines.append(Line(x0, y1 - 1, x1, y1 - 1, ALERT, 2.0, "diagnostic"))
    out.rects.append(
        Rects(SPAN_FILL, np.array(boxes, dtype=np.float64).reshape(-1, 4), "diagnostic")
    )
    out.lines += lines
