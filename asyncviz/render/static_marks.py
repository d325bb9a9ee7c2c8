"""The layout's last steps: event markers (the widget's glyph and colour per kind, from the
theme; what went wrong — throw, raise, cancel — at every size, over the rest), what each
wide enough suspended span awaits ("→ sleep(0.01)", where the widget writes it), and the
words on a small trace — object names on their bars, the values that crossed each
suspension point beside it.  Every word is cut to the room it has."""

from __future__ import annotations

from ..analysis.endings import END_OF_FUNCTION, implicit_return
from ..analysis.timeline import SourceLines
from ..events import BEGINS, KIND_CODE, KINDS
from ..text import one_line
from .static_primitives import (
    ALERT,
    BACKGROUND,
    BAND,
    BAR_H,
    BAR_TEXT,
    CROWD_PX,
    FAILURE_KINDS,
    LABEL_PX,
    MARGIN,
    MARKER_COLOUR,
    MUTED,
    SPAN_LABEL_PX,
    Layout,
    Marks,
    Rects,
    Text,
    fit_text,
    text_width,
)
from .theme import glyph

# Steps may be thinned where they crowd; every other kind (create, throw, return, raise,
# close, cancel) is rare and tells the story, so it always gets its marker.
_STEPS = [KIND_CODE[k] for k in ("start", "resume", "yield", "await")]


# paint order: what went wrong last, on top of whatever else happened at that moment
PAINT_ORDER = [k for k in KINDS if k not in FAILURE_KINDS] + list(FAILURE_KINDS)


def marks_of(kind: str, xy, role: str = "event") -> Marks:
    """The Marks of one event kind at the (N, 2) centres `xy`."""
    g = glyph(kind)
    return Marks(kind, g["shape"], MARKER_COLOUR.get(kind, MUTED), xy, g["stroked"], role=role)


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
    """One Marks per event kind present, failures last (PAINT_ORDER); `rows` is each
    event's row (-1: not drawn), `mid_y` each row's centre line.  Without `out.markers`
    (a big trace) only the failures: a raise, throw or cancel is never lost."""
    import numpy as np

    shown = uncrowded(rows, xs, kind_arr) if out.markers else rows >= 0
    for kind in PAINT_ORDER if out.markers else FAILURE_KINDS:
        sel = (kind_arr == KIND_CODE[kind]) & shown
        if sel.any():
            out.marks.append(marks_of(kind, np.column_stack([xs[sel], mid_y[rows[sel]]])))


def incoming(e) -> bool:
    """A value that came into a suspended object: sent to it, or thrown into it."""
    return e.kind == "throw" or (e.kind == "resume" and e.value not in (None, "None"))


def _value_text(e, objects, source=None, awaited: bool = False) -> str | None:
    """What a label beside event `e` says, or None when it says nothing worth ink;
    `source(e)` is its line's text (a return there that is none says "end of function");
    `awaited`: `e` resumes an object from an await or `yield from`, so a value it brings
    is what that expression gave ("got 42": the awaited one returned it), not one sent."""
    if e.kind == "yield":
        return "yield" if e.value is None else f"yield {e.value}"
    if incoming(e):
        if e.value is None:
            return "throw"
        word = "throw" if e.kind == "throw" else ("got" if awaited else "sent")
        return f"{word} {e.value}"
    if e.kind == "await" and (e.target is not None or e.value not in (None, "None")):
        # (a bare yield to the loop, as asyncio.sleep(0) makes, is left out)
        return "→ " + objects[e.target].label if e.target is not None else f"await {e.value}"
    if e.kind in ("return", "raise") and objects[e.obj].kind != "task":
        if source is not None and implicit_return(e.kind, e.value, source(e)):
            return END_OF_FUNCTION
        return e.kind if e.value is None else f"{e.kind} {e.value}"
    return None


def _name_on_bar(out: Layout, obj, x: float, x1: float, top: float) -> None:
    """The object's name inside its running slice, cut to fit (not at all in a sliver)."""
    whole = one_line(obj.label)
    name = fit_text(whole, LABEL_PX, x1 - x - 14)
    if name and (name == whole or len(name) >= 4):
        out.texts.append(
            Text(
                x + 7,
                top + BAR_H / 2 + LABEL_PX * 0.36,
                name,
                LABEL_PX,
                BAR_TEXT.get(obj.kind, "#FFFFFF"),
            )
        )


def name_waits(out: Layout, trace, tl, obj_row, xs, x_end, mid_y) -> set[int]:
    """What each suspended span awaits, written on its line where the widget writes it:
    `→ sleep(0.01)` from 10 px into a span at least SPAN_LABEL_PX wide, cut to fit, left
    to right per row, none over another.  Returns the await events named."""
    import numpy as np

    events = np.frombuffer(tl.await_event, dtype=np.uint32).astype(np.int64)
    targets = np.frombuffer(tl.await_target, dtype=np.uint32).astype(np.int64)
    if not len(events):
        return set()
    obj = np.frombuffer(tl.obj, dtype=np.dtype(f"u{tl.obj.itemsize}")).astype(np.int64)
    partner = np.frombuffer(tl.partner, dtype=np.dtype(f"i{tl.partner.itemsize}"))[events]
    rows = obj_row[obj[events]]
    x0 = xs[events]
    x1 = np.where(partner >= 0, xs[np.maximum(partner, 0)], x_end)
    wide = np.flatnonzero((rows >= 0) & (x1 - x0 >= SPAN_LABEL_PX))
    wide = wide[np.lexsort((x0[wide], rows[wide]))]
    named, right, chips = set(), {}, []
    for k in wide.tolist():
        r, a = int(rows[k]), float(x0[k]) + 10
        if a < right.get(r, -1.0) + 6:
            continue
        whole = "→ " + one_line(trace.objects[int(targets[k])].label)
        text = fit_text(whole, LABEL_PX, float(x1[k]) - a - 6)
        if not text or (text != whole and len(text) < 4):
            continue
        y = float(mid_y[r])
        out.texts.append(Text(a, y + LABEL_PX * 0.36, text, LABEL_PX, MUTED))
        right[r] = a + text_width(text, LABEL_PX)
        # the line stops under the words: a chip of background behind them
        banded = out.rows[r].lane % 2 == 1  # (draw_rows bands every other lane)
        chips.append((banded, (a - 3, y - LABEL_PX / 2 - 1, right[r] + 2, y + LABEL_PX / 2 + 1)))
        named.add(int(events[k]))
    for colour, banded in ((BACKGROUND, False), (BAND, True)):
        boxes = [box for b, box in chips if b == banded]
        if boxes:
            out.rects.append(Rects(colour, np.array(boxes, dtype=np.float64), "chip"))
    return named


def write_values(out: Layout, trace, tl, obj_row, xs, x_end, bar_y0, named=()) -> None:
    """Object names inside the bars they fit in, and the values that crossed: what went
    out (yield, await, return) above the row, right of its event; what came in (a value
    sent, an exception thrown) below the row, left of its event — so each suspended span
    carries what left and what came back.  A label that would overlap one before it in
    its line is left out; so is an await whose span names what it awaits (`named`)."""
    objects = trace.objects
    lines = SourceLines(trace)

    def source(e) -> str | None:
        return lines(objects[e.obj].filename, e.line)

    wanted = []  # (below, row, left, right, text, colour)
    last: dict[int, str] = {}  # each object's kind of event before this one
    for i, e in enumerate(trace.events):
        before, last[e.obj] = last.get(e.obj), e.kind
        r = int(obj_row[e.obj])
        if r < 0 or i in named:
            continue
        x = float(xs[i])
        if e.kind in BEGINS:
            j = tl.partner[i]
            _name_on_bar(out, objects[e.obj], x, float(xs[j]) if j >= 0 else x_end, bar_y0[r])
        text = _value_text(e, objects, source, awaited=before == "await")
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
