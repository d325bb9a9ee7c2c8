"""The state-machine widget: the machines of analysis/states.py, drawn with Graphviz.

    w = StatesWidget.of(trace)            # or trace.states(); trace.states("worker#1")
    w.choice = w.choices[1]["key"]        # a function ("f:<n>") or an object ("o:<id>")
    w.machine = "lifecycle"               # or "points" (the suspension points)
    w.cursor = 12                         # highlight the state after event 12
    w.selected_events                     # the events of the node/edge clicked last
    w.link(timeline)                      # cursor and selection linked in the browser

Python computes the machine, its DOT and (when Graphviz's `dot` is installed) its SVG;
without `dot` the front-end lays the DOT out itself with @hpcc-js/wasm-graphviz, which
the kernel hands over once per page (a custom message, not a trait: an 800 KB engine is
not sent with every widget, nor at all when `dot` is there).  The front-end draws; it
does not analyse.

Details (`of(..., details=)`): "inline" ships every machine the widget can show (DOT and
meta; `machines`) so that choosing another one, and following a selection, work in the
page with no kernel behind it; "on_demand" has the kernel compute each machine when it
is chosen.  Inline by default for traces of at most INLINE_EVENTS events whose choices
make at most INLINE_MACHINES machines.

Choices: every function whose generators/coroutines ran (key "f:<index>", in order of
first appearance) and every such object (key "o:<id>").  The lifecycle machine of a
function covers all its objects; the suspension-point machine is always the function's
(for an object choice: the function that object runs).

Linking (same names and meaning as TimelineWidget): `cursor` is an event index and the
diagram highlights the node the machine is in after it and the edge just taken;
`selection` is an object id.  Widgets with the same `link_id` follow each other's
cursor and selection in the browser (link() gives both one), with no kernel involved.
Clicking a node or an edge sets `selected_events` (the events that entered that node /
took that edge) and, when the machine describes one object, `selection` to that
object.  Selecting an object elsewhere (the timeline) that
the current machine does not cover switches `choice` to that object (a task: to its
coroutine), keeping the machine kind.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple

import anywidget
import traitlets

from ..analysis import states
from ..render import dot_run
from ..trace import Trace
from .bundle import INLINE_EVENTS, STATIC, clamp_cursor, esm, valid_selection

BUNDLE = STATIC / "states.js"
LAYOUT_BUNDLE = STATIC / "states-layout.js"
MACHINES = ("lifecycle", "points")
META_VERSION = 1
MACHINE_OBJECTS = states.MACHINE_OBJECTS
MAX_OBJECT_CHOICES = 2000  # listed up front; any other object is added once chosen
# Inline: every machine's DOT (≈2.5 ms to write each) and meta; at most this many
# distinct ones (a function's lifecycle and suspension points, an object's lifecycle —
# an object's suspension points are its function's) keeps the display under a tenth of
# a second and the state small.
INLINE_MACHINES = 32


class BrowserLink(NamedTuple):
    """Two widgets' trait joined in the browser: they share `id` as their link_id."""

    source: tuple
    target: tuple
    id: str


_layout_engine: bytes | None = None


def layout_engine() -> bytes | None:
    """The bundled Graphviz layout engine (ESM with the wasm inlined), or None."""
    global _layout_engine
    if _layout_engine is None and LAYOUT_BUNDLE.is_file():
        _layout_engine = LAYOUT_BUNDLE.read_bytes()
    return _layout_engine


def has_dot() -> bool:
    """Is Graphviz's `dot` binary on PATH (then Python renders the SVG)?"""
    return dot_run.dot_program() is not None


class StatesWidget(anywidget.AnyWidget):
    """The lifecycle and suspension-point machines of one object or function."""

    _esm = esm("states.js", "state-machine")

    choices = traitlets.List(traitlets.Dict()).tag(sync=True)
    choice = traitlets.Unicode("").tag(sync=True)
    machine = traitlets.Unicode("points").tag(sync=True)
    dot = traitlets.Unicode("").tag(sync=True)
    svg = traitlets.Unicode("").tag(sync=True)
    meta = traitlets.Dict().tag(sync=True)
    cursor = traitlets.Int(-1).tag(sync=True)
    selection = traitlets.Int(-1).tag(sync=True)
    selected_events = traitlets.List(traitlets.Int()).tag(sync=True)
    link_id = traitlets.Unicode("").tag(sync=True)  # widgets with the same id follow each other
    # inline details: {"table": {key: {"dot", "meta"}}, "keys": {"<choice>|<machine>": key},
    # "follow": {"<object id>": choice key of the machine that stands for it}}; {}: none
    machines = traitlets.Dict().tag(sync=True)

    def __init__(self, trace: Trace | None = None, **kwargs):
        self._trace = trace
        self._functions: list[states.Function] = states.functions(trace) if trace else []
        self._machine: states.Machine | None = None
        self.links: tuple = ()
        self._ready = False  # no recomputing for each trait __init__ sets
        if trace is not None:
            kwargs.setdefault("choices", self._make_choices(trace))
        super().__init__(**kwargs)
        self.on_msg(self._on_custom_msg)
        self._ready = True
        self._recompute()

    @classmethod
    def of(cls, trace: Trace, obj=None, *, details: str | None = None, **kwargs) -> "StatesWidget":
        """The widget for `trace`: with `obj` (an id or a label; a task stands for its
        coroutine) that object's lifecycle machine, else the suspension-point machine of
        the user's function with the most events (states.default_function).  details:
        "inline" or "on_demand" (module docstring); by default inline when the trace is
        small enough."""
        if details not in (None, "inline", "on_demand"):
            raise ValueError(f"details must be 'inline' or 'on_demand', not {details!r}")
        choice, machine = "", "points"
        if obj is not None:
            o = trace.object(obj)
            target = _machine_object(trace, o.id)
            if target is None:
                raise ValueError(
                    f"{o.label} is a {o.kind}: it has no state machine "
                    "(choose a generator, coroutine or async generator)"
                )
            choice, machine = f"o:{target}", "lifecycle"
        elif (default := states.default_function(trace)) is not None:
            choice = f"f:{states.functions(trace).index(default)}"
        w = cls(trace, choice=choice, machine=machine, **kwargs)
        if details == "inline" or (details is None and w._small(trace)):
            w.machines = inline_machines(trace, w._functions)
        return w

    def _small(self, trace: Trace) -> bool:
        objects = sum(1 for c in self.choices if c["kind"] == "object")
        return (
            len(trace.events) <= INLINE_EVENTS
            and 2 * len(self._functions) + objects <= INLINE_MACHINES
        )

    # -- what is shown ----------------------------------------------------------------

    @property
    def trace(self) -> Trace | None:
        return self._trace

    @property
    def current_machine(self) -> "states.Machine | None":
        """The machine shown now (analysis.states.Machine), or None."""
        return self._machine

    @property
    def current(self) -> tuple[str | None, int | None]:
        """(node id, edge index) highlighted for the cursor: machine.at(cursor)."""
        if self._machine is None or self.cursor < 0:
            return None, None
        return self._machine.at(self.cursor)

    def _make_choices(self, trace: Trace) -> list[dict]:
        out = [
            {"key": f"f:{i}", "label": f.key, "kind": "function", "type": f.kind}
            for i, f in enumerate(self._functions)
        ]
        objects = [o for o in trace.objects if o.kind in MACHINE_OBJECTS]
        out += [_object_choice(o) for o in objects[:MAX_OBJECT_CHOICES]]
        return out

    def _object_key(self, key: str):
        """The Traced object of a valid object key "o:<id>", else None."""
        kind, _, ref = key.partition(":")
        if kind != "o" or not ref.isdigit() or self._trace is None:
            return None
        objects = self._trace.objects
        o = objects[int(ref)] if int(ref) < len(objects) else None
        return o if o is not None and o.kind in MACHINE_OBJECTS else None

    def _build_machine(self) -> "states.Machine | None":
        trace, choice = self._trace, self.choice
        if trace is None or not choice:
            return None
        kind, _, ref = choice.partition(":")
        if kind == "f":
            function = self._functions[int(ref)]
            if self.machine == "lifecycle":
                return states.lifecycle(trace, function=function)
            return states.suspension_points(trace, function=function)
        obj = int(ref)
        if self.machine == "lifecycle":
            return states.lifecycle(trace, obj=obj)
        return states.suspension_points(trace, obj=obj)

    def _recompute(self) -> None:
        machine = self._machine = self._build_machine()
        with self.hold_sync():
            self.selected_events = []
            if machine is None:
                self.dot, self.svg, self.meta = "", "", {}
                return
            self.dot = machine_dot(machine)
            self.svg = _svg_or_empty(machine)
            self.meta = machine_meta(machine, self._trace)

    @traitlets.observe("choice", "machine")
    def _on_choice(self, change):
        if not self._ready:
            return
        if change["name"] == "choice" and all(c["key"] != self.choice for c in self.choices):
            o = self._object_key(self.choice)  # an object beyond MAX_OBJECT_CHOICES
            if o is not None:
                self.choices = [*self.choices, _object_choice(o)]
        self._recompute()

    # -- validation ---------------------------------------------------------------------

    @traitlets.validate("choice")
    def _valid_choice(self, proposal):
        value = proposal["value"]
        keys = {c["key"] for c in self.choices}
        if value and value not in keys and self._object_key(value) is None:
            raise traitlets.TraitError(
                f"choice must be one of the keys in .choices ({', '.join(sorted(keys))}), "
                f"not {value!r}"
            )
        return value

    @traitlets.validate("machine")
    def _valid_machine(self, proposal):
        value = proposal["value"]
        if value not in MACHINES:
            raise traitlets.TraitError(f"machine must be 'lifecycle' or 'points', not {value!r}")
        return value

    @traitlets.validate("cursor")
    def _valid_cursor(self, proposal):
        return clamp_cursor(
            proposal["value"], len(self._trace.events) if self._trace is not None else 0
        )

    @traitlets.validate("selection")
    def _valid_selection(self, proposal):
        return valid_selection(
            proposal["value"], len(self._trace.objects) if self._trace is not None else 0
        )

    @traitlets.observe("selection")
    def _follow_selection(self, change):
        """An object selected elsewhere that this machine does not cover: show its own."""
        o = change["new"]
        if not self._ready or o < 0 or self._trace is None or self._machine is None:
            return
        target = _machine_object(self._trace, o)
        if target is None or target in self._machine.objects:
            return
        self.choice = f"o:{target}"

    # -- linking --------------------------------------------------------------------------

    def link(self, other) -> tuple:
        """Link `cursor` and `selection` with another widget (a TimelineWidget) in the
        browser: both get one `link_id`, and the front-end keeps widgets with the same id
        in step (no round trip through the kernel, and no ipywidgets link model, so a
        saved page or another front-end links them too).  This widget takes the other's
        cursor and selection now."""
        link_id = other.link_id or self.link_id or uuid.uuid4().hex
        other.link_id = self.link_id = link_id
        self.cursor, self.selection = other.cursor, other.selection
        links = tuple(
            BrowserLink((other, name), (self, name), link_id) for name in ("cursor", "selection")
        )
        self.links = self.links + links
        return links

    # -- messages from the front-end ------------------------------------------------------

    def _on_custom_msg(self, _widget, content, _buffers):
        if not isinstance(content, dict):
            return
        if content.get("type") == "layout-engine":
            engine = layout_engine()
            if engine is None:
                self.send(
                    {
                        "type": "layout-engine",
                        "error": f"the layout engine {LAYOUT_BUNDLE.name} was not built; install "
                        "Graphviz (apt-get install graphviz, brew install graphviz, "
                        "conda install graphviz) or rebuild asyncviz with Node.js",
                    }
                )
            else:
                self.send({"type": "layout-engine", "size": len(engine)}, [engine])

    # -- display --------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data)
        data["text/plain"] = self.text()
        svg = self.svg
        if not svg and self._machine is not None and has_dot():
            svg = _svg_or_empty(self._machine)
        if svg:
            data["image/svg+xml"] = svg
        return data, metadata

    def text(self) -> str:
        """The machine shown, as text: one line per edge (machine.table())."""
        machine = self._machine
        if machine is None:
            return "state machines: no generator, coroutine or async generator ran"
        what = "lifecycle" if machine.kind == "lifecycle" else "suspension points"
        n = len(machine.objects)
        lines = [f"{what} of {machine.title} ({n} object{'s' if n != 1 else ''})"]
        for source, target, transitions, _count in machine.table():
            lines.append(f"  {source} → {target}: {transitions}")
        if not machine.edges:
            lines.append("  (no transitions)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()


def _object_choice(o) -> dict:
    return {"key": f"o:{o.id}", "label": o.label, "kind": "object", "type": o.kind}


def _machine_object(trace: Trace, obj: int) -> int | None:
    """The object whose machine stands for `obj`: itself, or a task's coroutine."""
    if not 0 <= obj < len(trace.objects):
        return None
    o = trace.objects[obj]
    if o.kind == "task" and o.coro is not None and 0 <= o.coro < len(trace.objects):
        o = trace.objects[o.coro]
    return o.id if o.kind in MACHINE_OBJECTS else None


def machine_meta(machine: "states.Machine", trace: Trace | None = None) -> dict:
    """What the front-end needs besides the drawing: per node id its label, kind, count,
    line, source text and `waits` (what an await site waited on: [label, times] pairs,
    most first); per edge index its ends, label, count and samples; and the
    cursor mapping (machine.steps()): `events` (sorted event indices that move the
    machine) with, per event, `event_nodes` (the node entered) and `event_edges` (the
    edge taken, -1: none).  `objects`: the ids the machine describes (with `labels`)."""
    events, nodes, edges = machine.steps()
    labels = {}
    if trace is not None:
        labels = {
            str(o): trace.objects[o].label for o in machine.objects if 0 <= o < len(trace.objects)
        }
    return {
        "version": META_VERSION,
        "kind": machine.kind,
        "title": machine.title,
        "objects": list(machine.objects),
        "labels": labels,
        "nodes": {
            n.id: {
                "label": n.label,
                "kind": n.kind,
                "count": n.count,
                "line": n.line,
                "text": n.text,
                "waits": [[label, k] for label, k in n.waits.most_common()],
            }
            for n in machine.nodes
        },
        "edges": [
            {
                "source": e.source,
                "target": e.target,
                "label": e.label,
                "count": e.count,
                "samples": list(e.samples),
            }
            for e in machine.edges
        ],
        "events": list(events),
        "event_nodes": list(nodes),
        "event_edges": [-1 if e is None else e for e in edges],
    }


def at(meta: dict, event: int) -> tuple[str | None, int | None]:
    """machine.at(event) from the meta alone, as the front-end reads it."""
    return states.step_at(
        meta.get("events") or [],
        meta.get("event_nodes") or [],
        meta.get("event_edges") or [],
        event,
    )


def inline_machines(trace: Trace, functions: list | None = None) -> dict:
    """Every machine the widget can show, for the `machines` trait (see its comment)."""
    functions = states.functions(trace) if functions is None else functions
    points, lives, own = states.machines_all(trace)
    table, keys = {}, {}
    for i, f in enumerate(functions):
        for kind, machine in (("points", points[f]), ("lifecycle", lives[f])):
            keys[f"f:{i}|{kind}"] = key = f"f:{i}|{kind}"
            table[key] = {"dot": machine_dot(machine), "meta": machine_meta(machine, trace)}
        for o in points[f].objects:
            keys[f"o:{o}|points"] = f"f:{i}|points"  # an object's points: its function's
    for o, machine in own.items():
        keys[f"o:{o}|lifecycle"] = key = f"o:{o}|lifecycle"
        table[key] = {"dot": machine_dot(machine), "meta": machine_meta(machine, trace)}
    follow = {}
    for o in range(len(trace.objects)):
        target = _machine_object(trace, o)
        if target is not None:
            follow[str(o)] = f"o:{target}"
    return {"table": table, "keys": keys, "follow": follow}


# ---------------------------------------------------------------------------- rendering


def machine_dot(machine: "states.Machine") -> str:
    from ..render.dot import machine_dot as render  # lazily: only render/ imports graphviz

    return render(machine)


def _svg_or_empty(machine: "states.Machine") -> str:
    """The SVG from Python when `dot` is installed, else "" (the front-end lays it out)."""
    if not has_dot():
        return ""
    from ..render.dot import machine_svg

    try:
        return machine_svg(machine)
    except RuntimeError:  # dot vanished, or failed: the browser lays the DOT out instead
        return ""
