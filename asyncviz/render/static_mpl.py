"""PNG and PDF timelines drawn with matplotlib (the layout: static_layout.py).

matplotlib is imported here, lazily, and used only through a private `Figure` on an Agg
(or PDF) canvas: pyplot, its current figure and the user's backend are never touched.
While a figure is drawn the rc parameters are matplotlib's defaults plus ours
(`rc_context` puts the user's own back afterwards), so a style the user chose — a dark
theme, usetex, `savefig.bbox="tight"` — cannot change the picture or its geometry.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING, Any

from .static_base import GLYPH_STROKE, TimelineRenderer, outline
from .static_primitives import BACKGROUND, FONT, Layout, Line, Marks, Rects, Text

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

PT = 0.72  # points per layout pixel: the layout is drawn at 100 pixels per inch

# keyed by matplotlib's own names, so a misspelt parameter is a type error
RC: dict[RcKeyType, Any] = {
    "text.usetex": False,
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "pdf.fonttype": 42,  # TrueType in the PDF: its text stays selectable and editable
    "pdf.compression": 6,
    "path.simplify": False,
    "agg.path.chunksize": 0,
}

# Fonts tried, glyph by glyph, after DejaVu Sans for labels in other scripts (only those
# installed are used); a glyph none of them has is drawn as a box, without a warning.
FALLBACK_FONTS = (
    "Noto Sans",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Arial Unicode MS",
    "Microsoft YaHei",
    "Yu Gothic",
    "Hiragino Sans",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Noto Sans Devanagari",
)
_families: list[str] | None = None
_RECT_CODES = None

_ANCHOR = {"start": "left", "middle": "center", "end": "right"}


def _fonts() -> list[str]:
    global _families
    if _families is None:
        from matplotlib import font_manager

        installed = {f.name for f in font_manager.fontManager.ttflist}
        _families = [FONT] + [f for f in FALLBACK_FONTS if f in installed]
    return _families


def _draw(out: Layout, fig) -> None:
    import numpy as np
    from matplotlib.collections import LineCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    global _RECT_CODES
    if _RECT_CODES is None:
        _RECT_CODES = np.array(
            [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY],
            dtype=Path.code_type,
        )

    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, out.width)
    ax.set_ylim(out.height, 0)
    ax.set_autoscale_on(False)

    fonts = _fonts()
    z = 0
    segments: list = []
    style: tuple[str, float] | None = None  # of the pending segments; None: none

    def flush_lines():
        nonlocal segments, style, z
        if style is not None:
            z += 1
            ax.add_collection(
                LineCollection(
                    segments,
                    colors=style[0],
                    linewidths=style[1] * PT,
                    antialiaseds=False,
                    zorder=z,
                ),
                autolim=False,
            )
        segments, style = [], None

    for _, item in TimelineRenderer.layers(out):
        if isinstance(item, Line):
            if style != (item.colour, item.width):
                flush_lines()
                style = (item.colour, item.width)
            segments.append(((item.x0, item.y0), (item.x1, item.y1)))
            continue
        flush_lines()
        z += 1
        match item:
            case Rects():
                b = item.boxes
                if not len(b):
                    continue
                # one compound path per colour, as the SVG has one path per row and colour:
                # a PDF then holds one fill operation, not one object per rectangle
                verts = np.stack(
                    [b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]], b[:, [0, 1]]], axis=1
                ).reshape(-1, 2)
                codes = np.tile(_RECT_CODES, len(b))
                patch = PathPatch(
                    Path(verts, codes),
                    facecolor=item.colour,
                    edgecolor="none",
                    linewidth=0,
                    antialiased=False,
                    zorder=z,
                    transform=ax.transData,
                )
                ax.add_artist(patch)  # (add_patch would walk every vertex to update limits)
            case Marks():
                _marks(ax, item, z)
            case Text():
                effects = []
                if item.halo:
                    from matplotlib import patheffects

                    effects = [patheffects.withStroke(linewidth=3 * PT, foreground=item.halo)]
                ax.text(
                    item.x,
                    item.y,
                    item.text,
                    fontsize=item.px * PT,
                    color=item.colour,
                    ha=_ANCHOR[item.anchor],
                    va="baseline",
                    fontfamily=fonts,
                    fontweight="bold" if item.bold else "normal",
                    fontstyle="italic" if item.italic else "normal",
                    parse_math=False,
                    usetex=False,
                    clip_on=False,
                    zorder=z,
                    path_effects=effects,
                )
    flush_lines()


def _glyph_path(kind: str, r: float):
    """(vertices, codes) of one glyph centred on (0, 0)."""
    import numpy as np
    from matplotlib.path import Path

    verts, codes = [], []
    for sub in outline(kind, 0.0, 0.0, r):
        if sub[0] == "circle":
            _, cx, cy, radius = sub
            circle = Path.circle((cx, cy), radius)
            verts.append(circle.vertices)
            codes.append(circle.codes)
            continue
        _, points, closed = sub
        pts = np.array(points + ([points[0]] if closed else []), dtype=np.float64)
        c = np.full(len(pts), Path.LINETO, dtype=Path.code_type)
        c[0] = Path.MOVETO
        if closed:
            c[-1] = Path.CLOSEPOLY
        verts.append(pts)
        codes.append(c)
    return np.concatenate(verts), np.concatenate(codes)


def _marks(ax, item: Marks, z: int) -> None:
    """Every marker of one kind as one compound path, drawn as the widget draws it: a
    background-coloured halo, then the glyph filled or stroked."""
    import numpy as np
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    verts, codes = _glyph_path(item.kind, item.size / 2)
    xy = np.asarray(item.xy, dtype=np.float64)
    path = Path((verts[None, :, :] + xy[:, None, :]).reshape(-1, 2), np.tile(codes, len(xy)))
    halo = GLYPH_STROKE["strokedHalo" if item.stroked else "filledHalo"]
    common = {"joinstyle": "round", "capstyle": "butt", "zorder": z, "transform": ax.transData}
    ax.add_artist(PathPatch(path, fill=False, edgecolor=BACKGROUND, linewidth=halo * PT, **common))
    if item.stroked:
        ax.add_artist(
            PathPatch(
                path,
                fill=False,
                edgecolor=item.colour,
                linewidth=GLYPH_STROKE["stroke"] * PT,
                **common,
            )
        )
    else:
        ax.add_artist(
            PathPatch(path, facecolor=item.colour, edgecolor="none", linewidth=0, **common)
        )


class _MatplotlibRenderer(TimelineRenderer):
    def __init__(self, dpi: int = 100):
        self.dpi = dpi

    def _print(self, out: Layout, canvas_class: str, method: str, **kwargs) -> bytes:
        import matplotlib
        from matplotlib.figure import Figure

        with matplotlib.rc_context(), warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=r"Glyph \d+ .* missing from", category=UserWarning
            )
            matplotlib.rcdefaults()  # undone when the context ends, like RC
            matplotlib.rcParams.update(RC)
            fig = Figure(
                figsize=(out.width / 100, out.height / 100), dpi=self.dpi, facecolor=BACKGROUND
            )
            if canvas_class == "agg":
                from matplotlib.backends.backend_agg import FigureCanvasAgg as Canvas
            else:
                from matplotlib.backends.backend_pdf import FigureCanvasPdf as Canvas
            canvas = Canvas(fig)
            _draw(out, fig)
            buf = io.BytesIO()
            getattr(canvas, method)(buf, **kwargs)
        return buf.getvalue()


class PngRenderer(_MatplotlibRenderer):
    def render(self, out: Layout) -> bytes:
        import matplotlib

        return self._print(
            out,
            "agg",
            "print_png",
            metadata={"Software": f"asyncviz (matplotlib {matplotlib.__version__})"},
        )


class PdfRenderer(_MatplotlibRenderer):
    def render(self, out: Layout) -> bytes:
        return self._print(
            out,
            "pdf",
            "print_pdf",
            metadata={"Title": out.title, "Creator": "asyncviz", "CreationDate": None},
        )
