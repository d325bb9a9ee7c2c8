"""The look, read from asyncviz/theme.json: one file for the Python pictures and the widget.

The front-end bundle imports the same file (esbuild inlines it), so a colour, a glyph or a
legend word changed there changes the widget, the PNG/SVG/PDF timelines and the Graphviz
state machines together.  Static pictures use the `light` variant.  JSON has no comments,
so the fields are described here; their names are stable (the bundle reads them too).

    version        1; bumped only if a field changes meaning
    okabeIto       the Okabe & Ito (2008) palette, distinguishable with every common form
                   of colour blindness: orange sky green yellow blue vermillion purple black
    light, dark    one variant per background; each has
        dark           bool
        bg             background;  bandA, bandB: lane backgrounds (even, odd lanes)
        bg2            pressed buttons, code chips;  border: widget borders
        fg             text;  muted: secondary text;  grid: grid lines;  ink: strongest ink
        accent         the timeline's cursor;  alert: errors and the truncation note
        focus          keyboard focus;  current: the states widget's current state and the
                       edge just taken;  selected: what is selected;  select: a selected
                       lane's band (CSS colour with alpha)
        object         bar colour per object kind (coroutine generator async_generator task
                       future) and `idle` (loop idle time)
        objectText     text colour on those bars
        marker         marker colour per event kind (events.KINDS)
        state          chip colour per state (CREATED RUNNING SUSPENDED CLOSED, "—": none)
    glyphs         per event kind: the marker, the same in every variant
        shape          its name (circle, triangle-right, triangle-down, triangle-up, diamond,
                       square, plus, cross, bar, circle-slash)
        path           the outline, in units of the marker's radius r, centred on the event,
                       y down: ["M", x, y] moves, ["L", x, y] draws a line, ["Z"] closes the
                       subpath, ["O", cx, cy, radius] is a whole circle (a subpath of its own)
        stroked        true: the path is stroked (an outline); false: it is filled
        symbol         a character standing for it in text (tooltips, the status strip)
        legend         the word beside it in a legend;  meaning: the longer explanation
    defaultGlyph   the same fields, for a kind without a glyph
    glyphStroke    line widths in px: filledHalo (a background-coloured outline under a
                   filled glyph), strokedHalo (the same under a stroked one), stroke (the
                   stroked glyph's line)
    objects        per object kind: name (in prose) and legend ("coroutine running")
    legend         the other legend entries (suspended, idle, paler, spawn, await, wake),
                   each {text, meaning}
    fonts          ui, mono: the widget's font stacks when the notebook gives none
    diagram        the Graphviz state machines (render/dot.py): stateFill (fill per
                   lifecycle state), unvisitedFill, site (suspension points), exit (per way
                   out: return raise close), error (throw/raise edges), grey (never entered,
                   notes), edge (ordinary edges), cluster (a function's frame), note
"""

from __future__ import annotations

import functools
import json
from importlib import resources

__all__ = ["theme", "variant", "glyph", "tint", "shade"]


@functools.cache
def theme() -> dict:
    """The parsed theme.json (read once per process; treat it as read-only)."""
    text = resources.files("asyncviz").joinpath("theme.json").read_text(encoding="utf-8")
    return json.loads(text)


def variant(name: str = "light") -> dict:
    """The colours for one background: "light" (the static pictures) or "dark"."""
    return theme()[name]


def glyph(kind: str) -> dict:
    """The marker of an event kind (theme.json's `glyphs`, or `defaultGlyph`)."""
    t = theme()
    return t["glyphs"].get(kind, t["defaultGlyph"])


def tint(colour: str, strength: float) -> str:
    """`colour` mixed with white: strength 1 is the colour itself, 0 is white."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * strength):02X}" for c in rgb)


def shade(colour: str, by: float = 0.72) -> str:
    """`colour` mixed with black (text on a tint of it): `by` 1 is the colour itself."""
    return "#" + "".join(f"{round(int(colour[i : i + 2], 16) * by):02X}" for i in (1, 3, 5))
