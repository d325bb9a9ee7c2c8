"""theme.json, the one look of the widget and the static pictures, and the one `dot` probe."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources

import pytest

from asyncviz.events import KINDS, OBJECT_KINDS, STATES
from asyncviz.render import dot_looks, dot_run, theme
from asyncviz.render.static import layout, timeline_svg
from asyncviz.render.static_base import outline
from asyncviz.render.static_primitives import MARKER_COLOUR, PALETTE
from tracebuilder import TraceBuilder

SVG = "{http://www.w3.org/2000/svg}"


def every_kind():
    """A task whose coroutine does every step, and a generator that is closed: one event
    of each kind."""
    b = TraceBuilder()
    g = b.obj("generator", "g#1", state="CLOSED")
    t = b.obj("task", "T", state="CLOSED", coro=2)
    c = b.obj("coroutine", "c#1", state="CLOSED", task=1)
    f = b.obj("future", "Future#1", name="Future", state="CLOSED")
    h = b.obj("generator", "h#1", state="CLOSED")
    (
        b.ev(0, g, "create")
        .ev(10, g, "start")
        .ev(20, g, "yield", 1)
        .ev(30, g, "resume", 2)
        .ev(40, g, "yield", 3)
        .ev(50, g, "close")
        .ev(60, t, "create")
        .ev(70, c, "start")
        .ev(80, c, "await", target=f)
        .ev(90, t, "cancel")
        .ev(100, c, "throw", "CancelledError()")
        .ev(110, c, "raise", "CancelledError()")
        .ev(110, t, "raise", "CancelledError()")
        .ev(120, h, "start")
        .ev(130, h, "return", 4)
    )
    return b.build(duration=140)


def test_theme_json_is_complete():
    data = json.loads(resources.files("asyncviz").joinpath("theme.json").read_text("utf-8"))
    assert data == theme.theme() and theme.theme() is theme.theme()  # read once
    light, dark = data["light"], data["dark"]
    assert light.keys() == dark.keys() and not light["dark"] and dark["dark"]
    for v in (light, dark):
        assert set(v["marker"]) == set(KINDS)
        assert set(OBJECT_KINDS) <= set(v["object"]) and "idle" in v["object"]
        assert set(v["object"]) == set(v["objectText"])
        assert set(STATES) <= set(v["state"])
    assert set(data["glyphs"]) == set(KINDS)
    fields = {"shape", "path", "stroked", "symbol", "legend", "meaning"}
    for g in [*data["glyphs"].values(), data["defaultGlyph"]]:
        assert set(g) == fields
        assert all(cmd[0] in "MLZO" for cmd in g["path"])
    shapes = [g["shape"] for g in data["glyphs"].values()]
    assert len(shapes) == len(set(shapes)), "one glyph per kind"
    assert set(OBJECT_KINDS) <= set(data["objects"])
    assert set(data["diagram"]["stateFill"]) == set(STATES)


def test_static_markers_are_the_widgets_glyphs():
    trace = every_kind()
    out = layout(trace)
    events = {m.kind: m for m in out.marks}  # (the legend's first, then the events')
    assert set(events) == set(KINDS)
    for m in out.marks:
        g = theme.glyph(m.kind)
        assert (m.shape, m.stroked, m.colour) == (
            g["shape"],
            g["stroked"],
            theme.variant("light")["marker"][m.kind],
        )
    assert events["resume"].shape != events["start"].shape  # not drawn as a start
    assert events["close"].shape == "bar" != events["return"].shape  # nor as a square
    legend = [t.text for t in out.texts]
    for kind in KINDS:
        assert theme.glyph(kind)["legend"] in legend


def test_svg_draws_the_glyph_paths():
    trace = every_kind()
    out = layout(trace)
    root = ET.fromstring(timeline_svg(trace))
    drawn = {p.get("data-kind"): p for p in root.iter(f"{SVG}path") if p.get("class") == "marker"}
    assert set(drawn) == set(KINDS)
    for kind, p in drawn.items():
        g = theme.glyph(kind)
        assert p.get("fill" if not g["stroked"] else "stroke") == MARKER_COLOUR[kind]
        events = [m for m in out.marks if m.kind == kind][-1]  # (the last path of a kind)
        # a subpath per closed polygon, open line and circle of the glyph, per marker
        per_glyph = sum(1 for cmd in g["path"] if cmd[0] in "MO")
        assert p.get("d").count("M") == per_glyph * len(events.xy)


def test_glyph_outline_follows_the_path():
    # yield: a triangle pointing up (y down), radius 2 around (10, 20)
    (sub,) = outline("yield", 10, 20, 2)
    assert sub == ("poly", [(8, 21.6), (12, 21.6), (10, 18)], True)
    circle, stroke = outline("cancel", 0, 0, 1)
    assert circle == ("circle", 0, 0, 0.85) and stroke[0] == "poly" and not stroke[2]


def test_bars_and_diagram_take_the_themes_colours():
    light = theme.variant("light")
    assert PALETTE == {k: light["object"][k] for k in PALETTE}
    out = layout(every_kind())
    bars = {r.colour for r in out.rects if r.role == "bar"}
    assert bars <= {theme.tint(c, s) for c in PALETTE.values() for s in (0.5, 0.75, 1.0)}
    assert light["object"]["generator"] in bars and light["object"]["coroutine"] in bars
    diagram = theme.theme()["diagram"]
    assert dot_looks.STATE_FILL == diagram["stateFill"] and dot_looks.HIGHLIGHT == light["current"]
    assert dot_looks.EXIT_COLOURS == diagram["exit"]


def test_tint_and_shade():
    assert theme.tint("#0072B2", 1) == "#0072B2" and theme.tint("#0072B2", 0) == "#FFFFFF"
    assert theme.shade("#FFFFFF", 0.5) == "#808080" == theme.tint("#000000", 0.5)


def test_dot_program_is_asked_once_per_path(monkeypatch):
    calls = []

    def which(name, *a, **k):
        calls.append(name)
        return "/opt/graphviz/bin/dot" if len(calls) > 1 else None

    monkeypatch.setattr(dot_run, "_dot_found", {})
    monkeypatch.setattr(dot_run.shutil, "which", which)
    monkeypatch.setenv("PATH", "/opt/graphviz/bin")
    assert dot_run.dot_program() is None  # not there: asked again later
    assert dot_run.dot_program() == "/opt/graphviz/bin/dot"  # installed meanwhile
    assert dot_run.dot_program() == "/opt/graphviz/bin/dot"
    assert calls == ["dot", "dot"]  # found: remembered
    monkeypatch.setenv("PATH", "/elsewhere")
    dot_run.dot_program()
    assert len(calls) == 3  # another PATH: asked again


def test_install_hint_is_one_line_with_every_command():
    for command in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz"):
        assert command in dot_run.DOT_INSTALL and command in dot_run.DOT_MISSING
    assert "\n" not in dot_run.DOT_MISSING and dot_run.DOT_INSTALL in dot_run.DOT_MISSING


@pytest.mark.parametrize("name", ["light", "dark"])
def test_colours_are_css_colours(name):
    v = theme.variant(name)
    flat = [c for key, c in v.items() if isinstance(c, str)]
    flat += [c for key in ("object", "objectText", "marker", "state") for c in v[key].values()]
    for c in flat:
        assert c == "transparent" or c.startswith(("#", "rgba(")), c
