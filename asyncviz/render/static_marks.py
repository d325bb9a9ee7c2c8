"""The layout's last steps: event markers (the widget's glyph and colour per kind, from the
theme) and the words on a small trace — object names on their bars, the values that
crossed each suspension point beside it."""

from __future__ import annotations

from ..events import BEGINS, KIND_CODE, KINDS
from ..text import one_line
from .static_primitives import (
    ALERT,
    BAR_H,
    BAR_TEXT,
    LABEL_PX,
    MARGIN,
    MARKER_COLOUR,
    CROWD_PX,
    MUTED,
    Layout,
    Marks,
    Text,
    text_width,
)
from .theme import glyph

# Steps may be thinned where they crowd; every other kind (create, throw, return, raise,
# close, cancel) is rare and tells the story, so it always gets its marker.
_STEPS = [KIND_CODE[k] for k in ("start", "resume", "yield", "await")]


def marks_of(kind: str, xy) -> Marks:
    """The Marks of one event kind at the (N, 2) centres `xy`."""
    g = glyph(kind)
    return Marks(kind, g["shape"], MARKER_COLOUR.get(kind, MUTED), xy, g["stroked"])


def uncrowded(rows, xs, kinds):
    """Which events get a marker: every create, return, raise, close, cancel and throw;
    of the steps (start, resume, yield, await), those not lost in a crowd — a run of
    more than two step markers in a row, each nearer than a marker's width to the
    previous one, shows as bars and lines only, as a big trace does."""
    import numpy as np

    steps = np.isin(kinds, _STEPS)
    keep = (rows >= 0) & ~steps
    idx = np.flatnonzero((rows >= 0) & steps)
    if not len(idx):
        return keep
    idx = idx[np.argsort(rows[idx], kind="stable")]  # by row, then in time order
    r, x = rows[idx], xs[idx]
    near = np.zeros(len(idx), dtype=bool)  # nearer than CROWD_PX to the previous one
    near[1:] = (r[1:] == r[:-1]) & (x[1:] - x[:-1] < CROWD_PX)
    cluster = np.cumsum(~near)  # runs of near markers share a number
    count = np.bincount(cluster)
    keep[idx[count[cluster] <= 2]] = True
    return keep


def add_markers(out: Layout, kind_arr, rows, xs, mid_y) -> None:
    """One Marks per event kind present, in the order of events.KINDS; `rows` is each
    event's row (-1: not drawn), `mid_y` each row's centre line."""
    import numpy as np

    shown = uncrowded(rows, xs, kind_arr)
    for kind in KINDS:
        sel = (kind_arr == KIND_CODE[kind]) & shown
        if sel.any():
            out.marks.append(marks_of(kind, np.column_stack([xs[sel], mid_y[rows[sel]]])))


def incoming(e) -> bool:
    """A value that came into a suspended object: sent to it, or thrown into it."""
    return e.kind == "throw" or (e.kind == "resume" and e.value not in (None, "None"))


def _value_text(e, objects) -> str | None:
    """What a label beside event `e` says, or None when it says nothing worth ink."""
    if e.kind == "yield":
        return "yield" if e.value is None else f"yield {e.value}"
    if incoming(e):
        return (
            "throw" if e.value is None else f"{'sent' if e.kind == 'resume' else 'throw'} {e.value}"
        )
    if e.kind == "await" and (e.target is not None or e.value not in (None, "None")):
        # (a bare yield to the loop, as asyncio.sleep(0) makes, is left out)
        return "await " + objects[e.target].label if e.target is not None else f"await {e.value}"
    if e.kind in ("return", "raise") and objects[e.obj].kind != "task":
        return e.kind if e.value is None else f"{e.kind} {e.value}"
    return None


def _name_on_bar(out: Layout, obj, x: float, x1: float, top: float) -> None:
    """The object's name inside its running slice, when it fits."""
    name = one_line(obj.label, 30)
    if x1 - x >= text_width(name, LABEL_PX) + 14:
        out.texts.append(
            Text(
                x + 7,
                top + BAR_H / 2 + LABEL_PX * 0.36,
                name,
                LABEL_PX,
                BAR_TEXT.get(obj.kind, "#FFFFFF"),
            )
        )


def write_values(out: Layout, trace, tl, obj_row, xs, x_end, bar_y0) -> None:
    """Object names inside the bars they fit in, and the values that crossed: what went
    out (yield, await, return) above the row, right of its event; what came in (a value
    sent, an exception thrown) below the row, left of its event — so each suspended span
    carries what left and what came back.  A label that would overlap one before it in
    its line is left out."""
    objects = trace.objects
    wanted = []  # (below, row, left, right, text, colour)
    for i, e in enumerate(trace.events):
        r = int(obj_row[e.obj])
        if r < 0:
            continue
        x = float(xs[i])
        if e.kind in BEGINS:
            j = tl.partner[i]
            _name_on_bar(out, objects[e.obj], x, float(xs[j]) if j >= 0 else x_end, bar_y0[r])
        text = _value_text(e, objects)
        if text is None:
            continue
        text = one_line(text, 28)
        w = text_width(text, LABEL_PX)
        below = incoming(e)
        left = x - w - 2 if below else x + 2
        left = min(max(left, out.plot[0] - 20), out.width - MARGIN - w)
        colour = ALERT if e.kind in ("raise", "throw") else MUTED
        wanted.append((below, r, left, left + w, text, colour))
    placed: dict[tuple, list] = {}
    for below, r, left, right, text, colour in wanted:
        taken = placed.setdefault((r, below), [])
        if any(left < b + 6 and a < right + 6 for a, b in taken):
            continue
        taken.append((left, right))
        y = bar_y0[r] + BAR_H + LABEL_PX + 1 if below else bar_y0[r] - 3
        out.texts.append(Text(left, y, text, LABEL_PX, colour))
