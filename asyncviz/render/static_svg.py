"""SVG timelines, written directly (see static.py for the layout).

matplotlib's SVG backend writes one element per rectangle (about 4 s for 100,000 slices);
here every row's rectangles of one colour become a single `<path>` whose `d` is a run of
`M x y h w v h h -w z`, so the document stays small and draws fast.  Every string that
came from the traced program (labels, values) is escaped; nothing is scripted or linked.
"""
from __future__ import annotations

import html

from .static import BACKGROUND, SVG_FONTS, Layout, TimelineRenderer

_ANCHOR = {"start": "start", "middle": "middle", "end": "end"}


def _num(v: float) -> str:
    """A coordinate, to a tenth of a pixel, without a trailing .0."""
    text = f"{v:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _shape(shape: str, x: float, y: float, s: float) -> str:
    """One marker as a closed subpath centred on (x, y), `s` pixels wide."""
    h = s / 2
    if shape == ">":
        return f"M{_num(x - h)} {_num(y - h)}l{_num(s)} {_num(h)}l{_num(-s)} {_num(h)}z"
    if shape == "<":
        return f"M{_num(x + h)} {_num(y - h)}l{_num(-s)} {_num(h)}l{_num(s)} {_num(h)}z"
    if shape == "D":
        d = h * 0.85
        return (f"M{_num(x)} {_num(y - d)}l{_num(d)} {_num(d)}l{_num(-d)} {_num(d)}"
                f"l{_num(-d)} {_num(-d)}z")
    if shape == "s":
        q = h * 0.8
        return f"M{_num(x - q)} {_num(y - q)}h{_num(2 * q)}v{_num(2 * q)}h{_num(-2 * q)}z"
    if shape == "o":
        r = h * 0.85
        return (f"M{_num(x - r)} {_num(y)}a{_num(r)} {_num(r)} 0 1 0 {_num(2 * r)} 0"
                f"a{_num(r)} {_num(r)} 0 1 0 {_num(-2 * r)} 0z")
    # X and x: a cross
    q = h * 0.8
    return (f"M{_num(x - q)} {_num(y - q)}l{_num(2 * q)} {_num(2 * q)}"
            f"M{_num(x - q)} {_num(y + q)}l{_num(2 * q)} {_num(-2 * q)}")


class SvgRenderer(TimelineRenderer):
    suffix = ".svg"
    binary = False

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
        style = None

        def flush_lines():
            nonlocal segs, style
            if segs:
                colour, width = style
                parts.append(f'<path fill="none" stroke="{colour}" stroke-width="{_num(width)}" '
                             f'shape-rendering="crispEdges" d="{"".join(segs)}"/>\n')
            segs, style = [], None

        for what, item in self.layers(out):
            if what == "line":
                if style != (item.colour, item.width):
                    flush_lines()
                    style = (item.colour, item.width)
                segs.append(f"M{_num(item.x0)} {_num(item.y0)}L{_num(item.x1)} {_num(item.y1)}")
                continue
            flush_lines()
            if what == "rects":
                parts += self._rects(item, np)
            elif what == "marks":
                d = "".join(_shape(item.shape, x, y, item.size) for x, y in item.xy.tolist())
                if item.shape in ("X", "x"):
                    parts.append(f'<path class="marker" fill="none" stroke="{item.colour}" '
                                 f'stroke-width="{"2" if item.shape == "X" else "1.5"}" '
                                 f'd="{d}"/>\n')
                else:
                    parts.append(f'<path class="marker" fill="{item.colour}" stroke="#FFFFFF" '
                                 f'stroke-width="0.8" d="{d}"/>\n')
            else:
                style_attrs = ""
                if item.bold:
                    style_attrs += ' font-weight="bold"'
                if item.italic:
                    style_attrs += ' font-style="italic"'
                if item.anchor != "start":
                    style_attrs += f' text-anchor="{_ANCHOR[item.anchor]}"'
                parts.append(f'<text x="{_num(item.x)}" y="{_num(item.y)}" '
                             f'font-size="{_num(item.px)}" fill="{item.colour}"{style_attrs}>'
                             f'{_esc(item.text)}</text>\n')
        flush_lines()
        if out.message:
            parts.append(f"<desc>{_esc(out.message)}</desc>\n")
        parts.append("</svg>\n")
        return "".join(parts)

    @staticmethod
    def _rects(rects, np) -> list[str]:
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
