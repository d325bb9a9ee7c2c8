"""The timeline widget: an anywidget that draws the payload of render/payload.py.

    w = TimelineWidget.of(trace)      # or trace.timeline()
    w.selection                       # the object id clicked in the browser (-1: none)
    w.cursor = 12                     # put the playback cursor on event 12
    w.clock = "step"                  # every event the same width
    w.presentation = True             # the projector size: larger type, markers, bars

The front-end (js/, bundled into asyncviz/static/timeline.js at install) draws.  Values
and source lines travel in the payload ("inline" details: the page needs no kernel to
show them) for traces of at most INLINE_EVENTS events, and are answered on request
(`describe`) for bigger ones.  `link_id` joins this widget with a StatesWidget in the
browser (StatesWidget.link).  `presentation` (the toolbar's projector toggle) and
`unfolded` (the lane groups the user opened) are kept in the widget's state, so a saved
notebook reopens as it was left; `title` names the exported image (empty: the trace's).
"""

from __future__ import annotations

import base64
from typing import cast

import anywidget
import traitlets

from ..analysis.timeline import SourceLines
from ..render.payload import encode
from ..trace import Event, Trace
from .bundle import INLINE_EVENTS, STATIC, clamp_cursor, esm, valid_selection

BUNDLE = STATIC / "timeline.js"
DESCRIBE_MAX = 500  # events answered per batch request


class TimelineWidget(anywidget.AnyWidget):
    """Who ran when: lanes, running slices, suspensions, events, relations, playback."""

    # a missing bundle (a checkout installed without Node.js) must not break the import
    _esm = esm("timeline.js", "timeline")

    header = traitlets.Dict().tag(sync=True)
    buffers = traitlets.Bytes(b"").tag(sync=True)
    selection = traitlets.Int(-1).tag(sync=True)
    cursor = traitlets.Int(-1).tag(sync=True)
    clock = traitlets.Unicode("wall").tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)  # px; 0: as tall as the lanes need (capped)
    link_id = traitlets.Unicode("").tag(sync=True)  # widgets with the same id follow each other
    presentation = traitlets.Bool(False).tag(sync=True)  # larger type, markers and bars
    unfolded = traitlets.List(traitlets.Int()).tag(sync=True)  # lane groups shown unfolded
    title = traitlets.Unicode("").tag(sync=True)  # the exported image's title ("": the trace's)

    def __init__(self, trace: Trace | None = None, **kwargs):
        super().__init__(**kwargs)
        self._trace = trace
        self._lines = SourceLines(trace) if trace is not None else None
        self.exported_png: bytes | None = None  # the last PNG the export button made
        self.on_msg(self._on_custom_msg)

    @classmethod
    def of(
        cls,
        trace: Trace,
        *,
        clock: str | None = None,
        height: int = 0,
        details: str | None = None,
        diagnostics=None,
        **kwargs,
    ) -> "TimelineWidget":
        """The widget for `trace`.  clock: "wall" or "step"; by default the trace's
        natural clock (analysis/clocks.py): wall-clock time when asyncio ran or one step
        took far longer than the rest (time is what matters), step time otherwise (a
        generator pipeline lasts microseconds: its order is what matters).  details:
        "inline" (values and source lines in the payload) or "on_demand" (asked of the
        kernel); by default inline up to INLINE_EVENTS.
        diagnostics: what to list and mark (items with kind, objects, t0, t1, line,
        message); by default the trace's own (Trace.diagnostics())."""
        if details is None:
            # a record that does not fit its tables (Trace.check) is not inlined whole: the
            # events that do decode are still described one by one
            small = len(trace.events) <= INLINE_EVENTS
            details = "inline" if small and trace.check() is None else "on_demand"
        header, buffer = encode(trace, details=details, diagnostics=diagnostics)
        if clock is None:
            from ..analysis.clocks import natural_clock

            clock = natural_clock(trace)
        return cls(trace, header=header, buffers=buffer, clock=clock, height=height, **kwargs)

    @property
    def trace(self) -> Trace | None:
        return self._trace

    @property
    def selected(self):
        """The selected `Traced` object, or None."""
        if self._trace is None or not 0 <= self.selection < len(self._trace.objects):
            return None
        return self._trace.objects[self.selection]

    # -- validation -------------------------------------------------------------------

    @traitlets.validate("clock")
    def _valid_clock(self, proposal):
        value = proposal["value"]
        if value not in ("wall", "step"):
            raise traitlets.TraitError(f"clock must be 'wall' or 'step', not {value!r}")
        return value

    @traitlets.validate("cursor")
    def _valid_cursor(self, proposal):
        return clamp_cursor(
            proposal["value"], int(self.header.get("n_events", 0)) if self.header else 0
        )

    @traitlets.validate("selection")
    def _valid_selection(self, proposal):
        return valid_selection(
            proposal["value"],
            len(self.header.get("objects", {}).get("label", ())) if self.header else 0,
        )

    # -- messages from the front-end ---------------------------------------------------

    def _on_custom_msg(self, _widget, content, buffers):
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "describe":
            if "indices" in content:
                indices = content.get("indices") or []
                events = [d for d in (self.describe(i) for i in indices[:DESCRIBE_MAX]) if d]
                self.send({"type": "events", "events": events})
            else:
                reply = self.describe(content.get("index"))
                if reply is not None:
                    self.send(reply)
        elif kind == "png" and buffers:
            self.exported_png = bytes(buffers[0])

    def describe(self, index) -> dict | None:
        """What the tooltip shows about event `index` (None if there is no such event)."""
        trace = self._trace
        if trace is None or isinstance(index, bool) or not isinstance(index, int):
            return None
        events = trace.events
        if not 0 <= index < len(events):
            return None
        e = cast(Event, events[index])
        objects = trace.objects
        obj = objects[e.obj] if 0 <= e.obj < len(objects) else None
        target = None
        if e.target is not None and 0 <= e.target < len(objects):
            target = objects[e.target].label
        return {
            "type": "event",
            "index": index,
            "t_ns": e.t,
            "kind": e.kind,
            "object": obj.label if obj else str(e.obj),
            "value": e.value,
            "line": e.line,
            "text": (self._lines or SourceLines(trace))(obj.filename if obj else None, e.line),
            "target": target,
        }

    # -- display --------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data)
        if self._trace is not None:
            data["text/plain"] = repr(self._trace.summary())
            png = _static_png(self._trace)
            if png:
                data["image/png"] = base64.b64encode(png).decode("ascii")
        return data, metadata


def _static_png(trace: Trace) -> bytes | None:
    """The static timeline image, when render/static.py provides one."""
    try:
        from ..render.static import timeline_png
    except ImportError:
        return None
    try:
        png = timeline_png(trace)
    except Exception:  # noqa: BLE001 - the interactive view must not fail for the image
        return None
    return png if isinstance(png, (bytes, bytearray)) and png else None
