"""What every static timeline renderer shares (pyinstrument's renderers are the model):
the paint order of a Layout's primitives, and the marker glyphs as outlines.

A renderer imports this and the primitives; the layout never imports a renderer.
"""

from __future__ import annotations

from collections.abc import Iterator

from .static_primitives import Layout, Primitive
from .theme import glyph, theme

# line widths around and of a glyph, in px (as the widget draws them)
GLYPH_STROKE = theme()["glyphStroke"]


class TimelineRenderer:
    """Draws a Layout in one format: `render(layout)` gives bytes or text."""

    @staticmethod
    def layers(out: Layout) -> Iterator[tuple[str, Primitive]]:
        """(kind, primitive) in paint order, back to front: lane bands, grid, bars and
        lines, axis, markers, texts.  Draw by the primitive's class (`match`, isinstance):
        a type checker cannot tell the primitive's type from the kind string."""
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


def outline(kind: str, x: float, y: float, r: float) -> list:
    """The glyph of event kind `kind` centred on (x, y) with radius r, as subpaths:
    ("poly", [(x, y), ...], closed) or ("circle", cx, cy, radius) — theme.json's `path`
    scaled and moved."""
    subpaths: list = []
    points: list = []

    def end(closed: bool) -> None:
        nonlocal points
        if len(points) > 1:
            subpaths.append(("poly", points, closed))
        points = []

    for cmd, *args in glyph(kind)["path"]:
        if cmd == "M":
            end(False)
            points = [(x + args[0] * r, y + args[1] * r)]
        elif cmd == "L":
            points.append((x + args[0] * r, y + args[1] * r))
        elif cmd == "Z":
            end(True)
        else:  # "O": a whole circle
            end(False)
            subpaths.append(("circle", x + args[0] * r, y + args[1] * r, args[2] * r))
    end(False)
    return subpaths
