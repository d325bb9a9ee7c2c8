"""Static timeline images of a Trace — PNG, SVG, PDF — drawn without a browser.

    from asyncviz.render.static import timeline_png, timeline_svg, timeline_pdf
    timeline_png(trace)      # bytes; 1200 px wide at dpi=100 (dpi=200: same picture, 2x pixels)
                             # wall time for asyncio, step time for generators alone
    timeline_svg(trace)      # str, written directly: one merged <path> per row and colour
    timeline_pdf(trace)      # bytes, vector (matplotlib)

The rooms, imports flowing one way (each imports only those above it):

    theme.py              the look, from asyncviz/theme.json (shared with the widget)
    static_primitives.py  what a picture is made of: sizes, colours, Text/Rects/Marks/...
    static_scale.py       clock values to pixels: ticks, sub-pixel slices merged
    static_rows.py        lanes and rows, read in Trace.lanes()'s shape; groups, folds
    static_marks.py       markers (failures always), wait names, values beside markers
    static_diagnostics.py the diagnostics: one line under the title, spans on their rows
    static_layout.py      layout(trace) -> Layout: the whole picture, in named steps
    static_base.py        TimelineRenderer: paint order, glyph outlines
    static_mpl.py         PNG and PDF (matplotlib, imported lazily, pyplot never)
    static_svg.py         SVG, written directly (numpy only)
    static.py             this door: trace in, file contents out
"""

from __future__ import annotations

from ..trace import Trace
from .static_base import TimelineRenderer
from .static_layout import Layout, layout
from .static_primitives import EMPTY_MESSAGE, PALETTE

__all__ = [
    "timeline_png",
    "timeline_svg",
    "timeline_pdf",
    "layout",
    "Layout",
    "TimelineRenderer",
    "PALETTE",
    "EMPTY_MESSAGE",
]


def timeline_png(trace: Trace, width: int = 1200, dpi: int = 100, **options) -> bytes:
    """The timeline as PNG bytes: `width` pixels wide at dpi=100; a higher dpi draws the
    same picture with more pixels (dpi=200: twice as wide, for slides and print).
    Further options as for `layout()` (clock="step", markers=..., timeline=...,
    diagnostics=...)."""
    from .static_mpl import PngRenderer

    return PngRenderer(dpi=dpi).render(layout(trace, width=width, **options))


def timeline_pdf(trace: Trace, width: int = 1200, **options) -> bytes:
    """The timeline as a vector PDF (one unit of the layout is 0.72 pt)."""
    from .static_mpl import PdfRenderer

    return PdfRenderer().render(layout(trace, width=width, **options))


def timeline_svg(trace: Trace, width: int = 1200, **options) -> str:
    """The timeline as an SVG document (written directly, one path per row and colour)."""
    from .static_svg import SvgRenderer

    return SvgRenderer().render(layout(trace, width=width, **options))
