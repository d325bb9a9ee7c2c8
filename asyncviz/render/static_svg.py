"""SVG timelines, written directly (the layout: static_layout.py).

matplotlib's SVG backend writes one element per rectangle (about 4 s for 100,000 slices);
here every row's rectangles of one colour become a single `<path>` whose `d` is a run of
`M x y h w v h h -w z`, so the document stays small and draws fast.  Every string that
came from the traced program (labels, values) is escaped; nothing is scripted or linked.
"""

from __future__ import annotations

from ..text import for_markup
from .static_base import GLYPH_STROKE, TimelineRenderer, outline
from .static_primitives import BACKGROUND, SVG_FONTS, Layout, Line, Marks, Rects, Text

_ANCHOR = {"start": "start", "middle": "middle", "end": "end"}


def _num(v: float) -> str:
    """A coordinate, to a tenth of a pixel, without a trailing .0."""
    text = f"{v:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _esc(text: str) -> str:
    return for_markup(text)


def _glyphs(kind: str, xy: list, size: float) -> str:
    """The path data of every marker of one kind: its glyph (theme.json) at each centre."""
    r = size / 2
    parts = []
    for x, y in xy:
        for sub in outline(kind, x, y, r):
            if sub[0] == "circle":
                _, cx, cy, c = sub
                parts.append(
                    f"M{_num(cx - c)} {_num(cy)}a{_num(c)} {_num(c)} 0 1 0 "
                    f"{_num(2 * c)} 0a{_num(c)} {_num(c)} 0 1 0 {_num(-2 * c)} 0z"
                )
                continue
            _, points, closed = sub
            parts.append(
                "M"
                + "L".join(f"{_num(px)} {_num(py)}" for px, py in points)
                + ("z" if closed else "")
            )
    return "".join(parts)


def _marks(item: Marks) -> list[str]:
    """A halo in the background colour, then the glyphs filled or stroked (as the widget
    draws them)."""
    d = _glyphs(item.kind, item.xy.tolist(), item.size)
    halo = GLYPH_STROKE["strokedHalo" if item.stroked else "filledHalo"]
    common = f'stroke-linejoin="round" d="{d}"'
    out = [
        f'<path class="marker-halo" fill="none" stroke="{BACKGROUND}" '
        f'stroke-width="{_num(halo)}" {common}/>\n'
    ]
    if item.stroked:
        out.append(
            f'<path class="marker" data-kind="{item.kind}" fill="none" '
            f'stroke="{item.colour}" stroke-width="{_num(GLYPH_STROKE["stroke"])}" '
            f"{common}/>\n"
        )
    else:
        out.append(
            f'<path class="marker" data-kind="{item.kind}" fill="{item.colour}" {common}/>\n'
        )
    return out


def _text(item: Text) -> str:
    """A `<text>` element; attributes at their SVG defaults are left out."""
    style_attrs = ""
    if item.bold:
        style_attrs += ' font-weight="bold"'
    if item.italic:
        style_attrs += ' font-style="italic"'
    if item.anchor != "start":
        style_attrs += f' text-anchor="{_ANCHOR[item.anchor]}"'
    if item.halo:  # the outline first, under the letters
        style_attrs += (
            f' stroke="{item.halo}" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
        )
    return (
        f'<text x="{_num(item.x)}" y="{_num(item.y)}" '
        f'font-size="{_num(item.px)}" fill="{item.colour}"{style_attrs}>'
        f"{_esc(item.text)}</text>\n"
    )


class SvgRenderer(TimelineRenderer):
    def render(self, out: Layout) -> str:
        import numpy as np

        w, h = out.width, out.height
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" font-family="{_esc(SVG_FONTS)}">\n',
            f"<title>{_esc(out.title)}</title>\n",
            f'<rect width="{w}" height="{h}" fill="{BACKGROUND}"/>\n',
        ]
        segs: list = []
        style: tuple[str, float] | None = None  # of the pending segments; None: none

        def flush_lines():
            nonlocal segs, style
            if style is not None:
                colour, width = style
                parts.append(
                    f'<path fill="none" stroke="{colour}" stroke-width="{_num(width)}" '
                    f'shape-rendering="crispEdges" d="{"".join(segs)}"/>\n'
                )
            segs, style = [], None

        for _, item in self.layers(out):
            if isinstance(item, Line):
                if style != (item.colour, item.width):
                    flush_lines()
                    style = (item.colour, item.width)
                segs.append(f"M{_num(item.x0)} {_num(item.y0)}L{_num(item.x1)} {_num(item.y1)}")
                continue
            flush_lines()
            match item:
                case Rects():
                    parts += self._rects(item, np)
                case Marks():
                    parts += _marks(item)
                case Text():
                    parts.append(_text(item))
        flush_lines()
        if out.message:
            parts.append(f"<desc>{_esc(out.message)}</desc>\n")
        parts.append("</svg>\n")
        return "".join(parts)

    @staticmethod
    def _rects(rects: Rects, np) -> list[str]:
        """One path per row (a row's rectangles share their y) of one colour."""
        b = rects.boxes
        if not len(b):
            return []
        out = []
        ys, inverse = np.unique(b[:, 1], return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        cuts = np.searchsorted(inverse[order], np.arange(1, len(ys)))
        for group in np.split(order, cuts):
            g = b[group]
            y0, hh = _num(g[0, 1]), _num(g[0, 3] - g[0, 1])
            x0 = np.round(g[:, 0], 1).tolist()
            ww = np.round(g[:, 2] - g[:, 0], 1).tolist()
            d = "".join(f"M{_num(x)} {y0}h{_num(dx)}v{hh}h{_num(-dx)}z" for x, dx in zip(x0, ww))
            out.append(f'<path class="{rects.role}" fill="{rects.colour}" d="{d}"/>\n')
        return out
