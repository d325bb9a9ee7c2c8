"""What a static timeline is made of: the primitives the layout emits and every renderer
draws, the sizes they are measured in, and the colours they take from the theme.

Pixel space: x right, y down, origin top left; one unit is one PNG pixel at dpi=100.
No drawing library is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from ..text import cut
from .theme import theme, variant

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# -- looks: the theme's light variant (what the widget shows on a white page) ----------------

_LIGHT = variant("light")
# bar colours, in the order the widget's legend lists them
PALETTE = {
    kind: _LIGHT["object"][kind] for kind in ("coroutine", "generator", "async_generator", "task")
}
OBJECT_LEGEND = {kind: entry["legend"] for kind, entry in theme()["objects"].items()}
BAR_TEXT = _LIGHT["objectText"]  # an object's name written on its bar
MARKER_COLOUR = _LIGHT["marker"]  # per event kind
LEGEND = {key: entry["text"] for key, entry in theme()["legend"].items()}
IDLE = _LIGHT["object"]["idle"]
ALERT = _LIGHT["alert"]
INK = _LIGHT["fg"]
MUTED = _LIGHT["muted"]
GRID = _LIGHT["grid"]
BAND = _LIGHT["bandB"]  # every other lane
BACKGROUND = _LIGHT["bg"]
FONT = "DejaVu Sans"  # matplotlib's own font, so PNG, PDF and the layout's estimates agree
SVG_FONTS = "'DejaVu Sans', Verdana, 'Segoe UI', system-ui, sans-serif"

EMPTY_MESSAGE = "nothing ran in scope"
EMPTY_HINT = (
    "no generator, coroutine or task was recorded; asyncviz records your own code "
    "by default (include=['*'] or --include widens the scope)"
)

# A rectangle that merges slices is drawn paler when they fill less of it: fill below
# FILL_LEVELS[1] gets TINTS[0], below FILL_LEVELS[2] TINTS[1], else the full colour.
FILL_LEVELS = (0.0, 1 / 3, 2 / 3)
TINTS = (0.5, 0.75, 1.0)

MARKER_LIMIT = 2_000  # fewer events than this: markers; otherwise bars and failures only
# what went wrong: drawn at every size, over every other marker
FAILURE_KINDS = ("throw", "raise", "cancel")
SPAN_LABEL_PX = 60  # a suspended span this wide is named by what it awaits ("→ sleep(0.01)")
VALUE_LIMIT = 200  # fewer events than this: values and object names written on the bars
MAX_LANES = 40  # more lanes than this: the rest fold into one lane
MAX_ROWS = 8  # rows per lane; deeper frames share the last row

# sizes, in pixels at dpi=100
TITLE_PX, TEXT_PX, SMALL_PX, LABEL_PX = 15, 12, 11, 10
BAR_H = 12
ROW_H = 18  # bars only
ROW_H_MARKED = 22  # with markers
ROW_H_VALUES = 32  # with values going out written above the bars
ROW_H_BOTH = 44  # ... and values coming in (sent, thrown) below them
SUSPENDED_H = 2
LANE_GAP = 6
MARGIN = 14
AXIS_H = 40
MIN_WIDTH = 320
INDENT = 10  # deeper rows' labels
# a marker's width: twice the radius theme.json's glyph paths are scaled by (3.9, as in
# the widget)
MARKER_PX = 7.8
CROWD_PX = 9.0  # step markers nearer than this to the previous one are a crowd


def text_width(text: str, px: float, bold: bool = False) -> float:
    """An estimate of the width DejaVu Sans gives `text` (a little generous)."""
    return len(text) * px * (0.66 if bold else 0.61)


def fit_text(text: str, px: float, room: float, bold: bool = False) -> str:
    """`text` cut (ending in "…") to what fits in `room` px by text_width's estimate; ""
    when not even a character and the ellipsis fit."""
    if text_width(text, px, bold) <= room:
        return text
    n = int(room // (px * (0.66 if bold else 0.61)))
    return cut(text, n) if n >= 2 else ""


# -- primitives --------------------------------------------------------------------------------


@dataclass
class Text:
    x: float
    y: float  # the baseline
    text: str  # one printable line; renderers escape it as their format needs
    px: float = TEXT_PX
    colour: str = INK
    anchor: str = "start"  # start | middle | end
    bold: bool = False
    italic: bool = False
    halo: str | None = None  # a colour drawn around the letters (text over a line)


@dataclass
class Rects:
    """Rectangles of one colour, as an (N, 4) float array of x0, y0, x1, y1."""

    colour: str
    boxes: NDArray[np.float64]
    role: str = "bar"  # bar | suspended | idle | band | legend | chip | diagnostic


@dataclass
class Marks:
    """The markers of one event kind, at (N, 2) centres; `shape` names its glyph in
    theme.json (whose `path` the renderers draw, scaled to `size`)."""

    kind: str
    shape: str
    colour: str
    xy: NDArray[np.float64]
    stroked: bool = False
    size: float = MARKER_PX  # px, the marker's width
    role: str = "event"  # event | legend


@dataclass
class Line:
    x0: float
    y0: float
    x1: float
    y1: float
    colour: str = GRID
    width: float = 1.0
    role: str = "axis"  # grid lines are drawn under the bars, axis lines above


# what TimelineRenderer.layers yields: a renderer tells them apart by class
Primitive: TypeAlias = Text | Rects | Marks | Line


@dataclass
class RowBox:
    lane: int  # index into Layout.lanes
    depth: int
    y0: float
    y1: float
    label: str  # what sits in the row
    # where its bars begin (low in the row when values are written above them)
    bar_top: float = 0.0

    @property
    def bar(self) -> tuple[float, float]:
        """The y range a running slice occupies in this row."""
        return self.bar_top, self.bar_top + BAR_H

    @property
    def centre(self) -> float:
        """The middle of the bars: where suspended lines and markers are drawn."""
        return self.bar_top + BAR_H / 2


@dataclass
class LaneBox:
    label: str
    kind: str  # task | free | idle | more
    y0: float
    y1: float
    rows: list[int]  # indices into Layout.rows
    timeline_lanes: list[int]  # the timeline's lane ids drawn here (several: folded)


@dataclass
class Layout:
    width: int
    height: int
    title: str
    texts: list[Text] = field(default_factory=list)
    rects: list[Rects] = field(default_factory=list)
    marks: list[Marks] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    lanes: list[LaneBox] = field(default_factory=list)
    rows: list[RowBox] = field(default_factory=list)
    plot: tuple[float, float, float, float] = (0, 0, 0, 0)  # x0, y0, x1, y1 of the lanes
    clock: str = "wall"
    clock_chosen: bool = False  # the trace's natural clock (analysis.clocks), not asked for
    span: tuple[float, float] = (0.0, 1.0)  # the clock values at plot x0 and x1
    notes: list[str] = field(default_factory=list)  # truncation, folding
    message: str | None = None  # set when there is nothing to draw
    n_events: int = 0
    n_slices: int = 0  # running slices in the trace
    n_rects: int = 0  # rectangles drawn for slices, suspensions and idle time
    object_row: dict[int, int] = field(default_factory=dict)  # object id -> row index
    markers: bool = False
    values: bool = False

    def x_of(self, value: float) -> float:
        """The x pixel of a clock value (wall: ns since the trace started; step: an event
        index, event i sitting at i + 0.5)."""
        x0, _, x1, _ = self.plot
        lo, hi = self.span
        return x0 + (value - lo) * (x1 - x0) / (hi - lo)

    def row_of(self, obj: int) -> RowBox:
        """The row an object's slices are drawn in (KeyError: it has none, e.g. a future)."""
        return self.rows[self.object_row[obj]]
