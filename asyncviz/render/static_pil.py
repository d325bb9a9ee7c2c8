"""PNG timelines drawn with Pillow: the quick picture every timeline display carries.

A widget's display bundle carries a static image for readers with no widget front-end
(an exported page, GitHub, a PDF made by nbconvert).  matplotlib draws it well but slowly
for a display that a user waits for: importing it costs 0.5-1 s in a fresh kernel, and a
2,000-lane picture takes 0.2-0.5 s more.  Pillow (which matplotlib itself requires)
draws the same Layout — same size, colours, text in the same DejaVu Sans that matplotlib
ships — in tens of milliseconds.  Layouts with markers (short traces) are drawn at twice
the size and reduced, so glyph edges are smoothed as matplotlib's are.

Text in a script DejaVu Sans does not cover (CJK, Arabic, ...) is not drawn here:
`covers()` says so and the caller draws with matplotlib, whose font fallback has it.
"""

from __future__ import annotations

import importlib.util
import io
import os
from functools import lru_cache

from .static_base import GLYPH_STROKE, TimelineRenderer, outline
from .static_primitives import BACKGROUND, Layout, Line, Marks, Rects, Text

_ANCHOR = {"start": "ls", "middle": "ms", "end": "rs"}  # Pillow: left/middle/right, baseline
_FACES = {
    (False, False): "DejaVuSans.ttf",
    (True, False): "DejaVuSans-Bold.ttf",
    (False, True): "DejaVuSans-Oblique.ttf",
    (True, True): "DejaVuSans-BoldOblique.ttf",
}
# Code points DejaVu Sans draws: Latin, IPA, Greek, Cyrillic, Latin/Greek extended,
# general punctuation to mathematical operators (arrows, ×, …, µ), box drawing and shapes.
_COVERED = ((0x20, 0x52F), (0x1E00, 0x1FFF), (0x2000, 0x22FF), (0x2500, 0x25FF))
ZLIB_LEVEL = 3  # of 0-9: a 1200x1100 picture encodes in ≈40 ms (6: ≈90 ms), 10 % larger


def _font_dir() -> str | None:
    """matplotlib's own copy of DejaVu Sans, found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(spec.submodule_search_locations[0], "mpl-data", "fonts", "ttf")
    return path if os.path.isfile(os.path.join(path, _FACES[False, False])) else None


def available() -> bool:
    """Can this module draw here (Pillow with FreeType, and the DejaVu Sans files)?"""
    try:
        from PIL import features
    except ImportError:
        return False
    return bool(features.check("freetype2")) and _font_dir() is not None


def covers(out: Layout) -> bool:
    """Does DejaVu Sans draw every character of the layout's text?"""
    return all(any(lo <= ord(c) <= hi for lo, hi in _COVERED) for t in out.texts for c in t.text)


@lru_cache(maxsize=32)
def _font(px: int, bold: bool, italic: bool):
    from PIL import ImageFont

    folder = _font_dir()
    assert folder is not None, "available() is checked before drawing"
    return ImageFont.truetype(os.path.join(folder, _FACES[bold, italic]), px)


class QuickPngRenderer(TimelineRenderer):
    """A Layout as PNG bytes, drawn by Pillow (see the module docstring)."""

    def render(self, out: Layout) -> bytes:
        from PIL import Image, ImageDraw

        s = 2 if out.marks and out.markers else 1  # glyphs: draw big, then reduce
        img = Image.new("RGB", (out.width * s, out.height * s), BACKGROUND)
        draw = ImageDraw.Draw(img)
        for _, item in self.layers(out):
            match item:
                case Rects():
                    _rects(draw, item, s)
                case Line():
                    draw.line(
                        [(item.x0 * s, item.y0 * s), (item.x1 * s, item.y1 * s)],
                        fill=item.colour,
                        width=max(1, round(item.width * s)),
                    )
                case Marks():
                    _marks(draw, item, s)
                case Text():
                    draw.text(
                        (item.x * s, item.y * s),
                        item.text,
                        font=_font(max(1, round(item.px * s)), item.bold, item.italic),
                        fill=item.colour,
                        anchor=_ANCHOR[item.anchor],
                    )
        if s != 1:
            img = img.reduce(s)
        buf = io.BytesIO()
        img.save(buf, "PNG", compress_level=ZLIB_LEVEL)
        return buf.getvalue()


def _rects(draw, rects: Rects, s: int) -> None:
    """Each box fills the pixels whose centres it holds (as matplotlib's unsmoothed
    fill does), at least one pixel wide and tall."""
    for x0, y0, x1, y1 in (rects.boxes * s).round().astype(int).tolist():
        draw.rectangle((x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)), fill=rects.colour)


def _marks(draw, item: Marks, s: int) -> None:
    """Every marker of one kind: a halo in the background colour, then the glyph filled
    or stroked (as the widget and the other renderers draw it)."""
    halo = GLYPH_STROKE["strokedHalo" if item.stroked else "filledHalo"] * s
    stroke = max(1, round(GLYPH_STROKE["stroke"] * s))
    for x, y in item.xy.tolist():
        for sub in outline(item.kind, x * s, y * s, item.size * s / 2):
            if sub[0] == "circle":
                _, cx, cy, r = sub
                h = halo / 2
                draw.ellipse(
                    (cx - r - h, cy - r - h, cx + r + h, cy + r + h),
                    outline=BACKGROUND,
                    width=max(1, round(halo)),
                )
                if item.stroked:  # Pillow strokes inside the box: centre it on r
                    w = stroke / 2
                    box = (cx - r - w, cy - r - w, cx + r + w, cy + r + w)
                    draw.ellipse(box, outline=item.colour, width=stroke)
                else:
                    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=item.colour)
                continue
            _, points, closed = sub
            path = points + [points[0]] if closed else points
            draw.line(path, fill=BACKGROUND, width=max(1, round(halo)), joint="curve")
            if closed and not item.stroked:
                draw.polygon(points, fill=item.colour)
            else:
                draw.line(path, fill=item.colour, width=stroke, joint="curve")


def quick_png(trace, width: int = 1200, **options) -> bytes:
    """The timeline as PNG bytes, as static.timeline_png draws it at dpi=100, drawn by
    Pillow when it can (module docstring) and by matplotlib otherwise.  Options as for
    `layout()` (timeline=: an analysis already made)."""
    from .static_layout import layout

    out = layout(trace, width=width, **options)
    if available() and covers(out):
        return QuickPngRenderer().render(out)
    from .static_mpl import PngRenderer

    return PngRenderer().render(out)
