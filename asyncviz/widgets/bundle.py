"""What both widgets share: where their built front-end lives, when their details travel
with them, how their linked traits (`cursor`, `selection`) are kept in range, and what
their display bundles carry besides the widget view.

Every widget's display bundle also carries text/plain and a static image, for readers
with no widget front-end (an exported page, GitHub, nbconvert's PDF).  They are made
while the user waits for the widget, so they are made cheaply: the timeline's picture is
drawn by Pillow (render/static_pil.py: tens of milliseconds, where matplotlib took 0.2-1.5 s
with its import), and its text is the summary table cut after TEXT_ROWS rows.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..analysis.summary import Summary
    from ..trace import Trace

STATIC = Path(__file__).parent.parent / "static"
# A trace of at most this many events carries its details in the widget state, so that
# the page shows them with no kernel behind it (a saved notebook, an exported page).
# The timeline's details cost 8 bytes per event plus the distinct value and line texts:
# at this size its state stays near half a megabyte, which the notebook keeps when it
# saves widget state — and a teaching cell has tens to thousands of events.  Bigger
# traces (the million-event kind) keep their payload at 12 bytes per event and ask the
# kernel for details as the pointer reaches them.
INLINE_EVENTS = 50_000


def esm(bundle: str, what: str):
    """The bundle's path, or — in a checkout installed without Node.js — a tiny module
    that says so in the notebook instead of failing the import."""
    path = STATIC / bundle
    if path.is_file():
        return path
    message = (
        f"asyncviz: the {what} front-end was not built (asyncviz/static/{bundle} is "
        "missing). Reinstall with Node.js >= 18 on PATH: pip install -e ."
    )
    return (
        "export default { render({ el }) {\n"
        "  const d = document.createElement('div');\n"
        "  d.style.cssText = 'padding:8px;border:1px solid #d55e00;color:#d55e00;"
        "font-family:sans-serif';\n"
        f"  d.textContent = {message!r};\n"
        "  el.appendChild(d);\n"
        "} };\n"
    )


def clamp_cursor(value: int, n_events: int) -> int:
    """An event index within the trace, or -1 (no cursor)."""
    return -1 if value < 0 or n_events == 0 else min(value, n_events - 1)


def valid_selection(value: int, n_objects: int) -> int:
    """An object id of the trace, or -1 (nothing selected)."""
    return value if 0 <= value < n_objects else -1


# -- display bundles ----------------------------------------------------------------------

# The summary rows a timeline display carries as text/plain: a teaching cell's whole table,
# a 2,000-task program's first rows (the whole table was 640 KB in every saved notebook).
TEXT_ROWS = 40


def summary_text(summary: Summary, rows: int = TEXT_ROWS) -> str:
    """The summary table as text, cut after `rows` rows with a line that says how many
    more there are and where to see them."""
    text = summary.text()
    extra = len(summary.rows) - rows
    if extra <= 0:
        return text
    lines = text.splitlines()  # one line per row, the rows last (Summary.text)
    rows_word = "row" if extra == 1 else "rows"
    more = f"… and {extra:,} more {rows_word}; trace.summary() lists them all"
    return "\n".join(lines[: len(lines) - extra] + [more])


def static_png(trace: Trace) -> bytes | None:
    """The timeline's static picture (render/static_pil.quick_png), or None when it cannot
    be drawn here: the interactive view must not fail for its fallback."""
    try:
        from ..render.static_pil import quick_png
    except ImportError:
        return None
    try:
        png = quick_png(trace)
    except Exception:  # noqa: BLE001 - the widget is shown without its picture
        return None
    return png if isinstance(png, (bytes, bytearray)) and png else None


def timeline_bundle(widget, trace: Trace, summary: Summary | None = None, **kwargs):
    """The timeline widget's display bundle: the widget view, the summary as text/plain
    (`summary`: one already made) and the static picture as image/png."""
    import anywidget

    bundle = anywidget.AnyWidget._repr_mimebundle_(widget, **kwargs)
    if bundle is None:
        return None
    data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
    data = dict(data)
    try:
        data["text/plain"] = summary_text(summary if summary is not None else trace.summary())
    except Exception:  # noqa: BLE001 - keep the widget's own text: the view comes first
        pass
    png = static_png(trace)
    if png:
        data["image/png"] = base64.b64encode(png).decode("ascii")
    return data, metadata


class TimelineDisplay:
    """A timeline widget as %%asynctrace displays it: IPython asks this for the bundle,
    which is timeline_bundle's (with the summary the caller already made)."""

    def __init__(self, widget, trace: Trace, summary: Summary | None = None):
        self.widget, self.trace, self.summary = widget, trace, summary

    def _repr_mimebundle_(self, **kwargs):
        return timeline_bundle(self.widget, self.trace, self.summary, **kwargs)

    def __repr__(self) -> str:
        return repr(self.widget)
