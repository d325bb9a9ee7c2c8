"""The state machines as Graphviz pictures (render/dot.py) and their exports.

The real `dot` is used where it is installed (it is on the development machine); a
missing `dot` is simulated.  User text is attacked with markup, quotes, backslashes and
entities: it must come out of `dot -Tsvg` as text, never as markup.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from asyncviz.analysis.states import (
    Edge,
    Machine,
    Node,
    functions,
    lifecycle,
    suspension_points,
)
from asyncviz.render import dot, dot_looks, dot_run
from asyncviz.trace import Trace
from programs import record
from corpus import PROGRAMS
from corpus import POLL
from tracebuilder import TraceBuilder

graphviz = pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(
    dot_run.dot_program() is None, reason="Graphviz's dot is not installed"
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
EVIL = "<img src=x onerror=alert(1)>"
# quotes, backslashes (one at the very end), an entity, a CDATA end, braces, a tab
NASTY = 'a\\"b & &lt; ]]> {x} "q" \'s\'\t\\'
INSTALL = ("apt-get install graphviz", "brew install graphviz", "conda install graphviz")


# -- helpers --------------------------------------------------------------------------------


def svg_texts(svg: str) -> tuple[list[str], list[str]]:
    """(the text drawn, the tooltips) of an SVG document written by dot."""
    root = ET.fromstring(svg)
    drawn = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    tips = [el.get(XLINK_TITLE) for el in root.iter() if el.get(XLINK_TITLE) is not None]
    return drawn, tips


def svg_ids(svg: str) -> list[str]:
    return [el.get("id") for el in ET.fromstring(svg).iter() if el.get("id")]


def svg_element(svg: str, ident: str):
    for el in ET.fromstring(svg).iter():
        if el.get("id") == ident:
            return el
    raise KeyError(ident)


def strokes(element) -> set[str]:
    return {
        el.get("stroke").lower()
        for el in element.iter()
        if el.get("stroke") not in (None, "transparent", "none")
    }


def hostile_trace() -> Trace:
    """A generator whose name, source line and values are markup and escape soup."""
    source = f"def f():\n{EVIL}\n{NASTY}\n"
    b = TraceBuilder()
    g = b.obj(
        "generator",
        EVIL + "#1",
        name=EVIL + " -->",
        filename="<evil>",
        firstlineno=1,
        state="CLOSED",
    )
    (
        b.ev(0, g, "create", line=1)
        .ev(1, g, "start", line=1)
        .ev(2, g, "yield", EVIL, line=2)
        .ev(3, g, "resume", NASTY, line=2)
        .ev(4, g, "yield", NASTY, line=3)
        .ev(5, g, "throw", EVIL, line=3)
        .ev(6, g, "raise", EVIL, line=3)
    )
    trace = b.build(duration=10, sources={"<evil>": source})
    assert trace.check() is None
    return trace


EMPTY = TraceBuilder().build(duration=0)


@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    return {
        "round_robin": record(PROGRAMS["round_robin"])[0],
        "yield_from_chain": record(PROGRAMS["yield_from_chain"])[0],
        "cancel": record(PROGRAMS["cancel"])[0],
        "poll": record(POLL)[0],
    }


def worker(traces) -> tuple[Machine, Machine]:
    trace = traces["round_robin"]
    f = functions(trace)[0]
    return suspension_points(trace, f), lifecycle(trace, function=f)


# -- DOT -------------------------------------------------------------------------------------


def test_dot_has_every_node_and_edge_with_its_id_label_and_tooltip(traces):
    for machine in worker(traces):
        text = dot.machine_dot(machine)
        assert text.startswith("digraph")
        for node in machine.nodes:
            assert f'id="node-{node.id}"' in text
        for i in range(len(machine.edges)):
            assert f'id="edge-{i}"' in text
        assert text.count("tooltip=") >= len(machine.nodes) + len(machine.edges)


@needs_dot
def test_the_picture_says_what_the_machine_says(traces):
    points, life = worker(traces)
    svg = dot.machine_svg(points)
    drawn, tips = svg_texts(svg)
    ids = svg_ids(svg)
    assert {f"node-{n.id}" for n in points.nodes} <= set(ids)
    assert {f"edge-{i}" for i in range(len(points.edges))} <= set(ids)
    # the two lines of a site, an exit with its line, every edge label
    assert "yield · line 5" in drawn and "got = yield (name, i, got)" in drawn
    assert "return · line 6" in drawn and "return name" in drawn
    assert {e.label for e in points.edges} <= {t.strip() for t in drawn}
    assert any("worker (generator, line 2)" in t for t in drawn)
    # hover: counts and samples
    edge = svg_element(svg, "edge-2")
    tip = next(el.get(XLINK_TITLE) for el in edge.iter() if el.get(XLINK_TITLE))
    assert tip.splitlines() == [
        "yield · line 5 → return · line 6: send/next ×2 (2 times)",
        "samples:",
        "• sent 10 → return 'a'",
        "• sent 0 → return 'b'",
    ]
    node = svg_element(svg, "node-yield:5")
    tip = next(el.get(XLINK_TITLE) for el in node.iter() if el.get(XLINK_TITLE))
    assert tip.splitlines() == ["yield · line 5", "got = yield (name, i, got)", "entered 3 times"]

    svg = dot.machine_svg(life)
    drawn, _ = svg_texts(svg)
    assert {"CREATED", "RUNNING", "SUSPENDED", "CLOSED"} <= set(drawn)
    assert {e.label for e in life.edges} <= {t.strip() for t in drawn}
    closed = svg_element(svg, "node-CLOSED")
    assert len([e for e in closed.iter() if e.tag.endswith("ellipse")]) == 2  # double circle
    begin = svg_element(svg, "edge-begin")  # the start arrow from a point into CREATED
    assert begin is not None and svg_element(svg, "node-begin") is not None


@needs_dot
def test_layout_directions_and_shapes(traces):
    points, life = worker(traces)
    assert "rankdir=LR" in dot.machine_dot(life)
    assert "rankdir=TB" in dot.machine_dot(points)
    text = dot.machine_dot(points)
    assert 'face="monospace"' in text and "peripheries=2" in text
    # the exits are coloured by kind (Okabe–Ito): return green, raise vermillion
    svg = dot.machine_svg(points)
    assert strokes(svg_element(svg, "node-return:6")) == {"#009e73"}
    edge_in = [i for i, e in enumerate(points.edges) if e.target == "return:6"][0]
    assert "#009e73" in strokes(svg_element(svg, f"edge-{edge_in}"))  # the way in, too
    trace = traces["cancel"]
    sleeper = suspension_points(trace, [f for f in functions(trace) if f.name == "sleeper"][0])
    assert strokes(svg_element(dot.machine_svg(sleeper), "node-raise:5")) == {"#d55e00"}


@needs_dot
def test_highlight_marks_one_node_and_one_edge(traces):
    points, life = worker(traces)
    orange = dot.HIGHLIGHT.lower()  # (the states widget's "current" colour, from the theme)
    svg = dot.machine_svg(points, highlight_node="yield:5", highlight_edge=2)
    assert orange in strokes(svg_element(svg, "node-yield:5"))
    assert orange in strokes(svg_element(svg, "edge-2"))
    marked = [
        i
        for i in svg_ids(svg)
        if orange in strokes(svg_element(svg, i)) and i.startswith(("node-", "edge-"))
    ]
    assert sorted(marked) == ["edge-2", "node-yield:5"]
    plain = dot.machine_svg(points)
    assert orange not in plain.lower()
    node, edge = life.at(len(traces["round_robin"].events) - 1)
    svg = dot.machine_svg(life, highlight_node=node, highlight_edge=edge)
    assert orange in strokes(svg_element(svg, f"node-{node}"))
    assert orange in strokes(svg_element(svg, f"edge-{edge}"))


# -- user text is text ------------------------------------------------------------------------


def hostile_machines():
    trace = hostile_trace()
    f = functions(trace)[0]
    return trace, [
        suspension_points(trace, f),
        lifecycle(trace, function=f),
        lifecycle(trace, obj=0),
    ]


def test_hostile_text_never_becomes_dot_syntax():
    trace, machines = hostile_machines()
    points = machines[0]
    assert points.node("yield:2").text == EVIL and points.node("yield:3").text == NASTY.strip()
    assert EVIL in points.title
    for m in machines:
        text = dot.machine_dot(m)
        assert EVIL not in text  # only ever as &lt;img ... &gt;
        # the graphviz package still reads it: every statement closed
        assert text.rstrip().endswith("}")
    assert EVIL not in dot.trace_dot(trace)


@needs_dot
def test_hostile_text_comes_out_of_dot_as_text():
    trace, machines = hostile_machines()
    svgs = [dot.machine_svg(m) for m in machines] + [dot.trace_svg(trace)]
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed
        assert not [el for el in root.iter() if el.tag.split("}")[-1] in ("img", "script")]
        assert "<img" not in svg and "onerror=alert(1)>" not in svg.replace("&gt;", "")
        drawn, tips = svg_texts(svg)
        shown = drawn + tips
        assert any(EVIL in t for t in shown), shown
    points_svg = svgs[0]
    drawn, tips = svg_texts(points_svg)
    assert EVIL in drawn  # the source line, on the box
    assert NASTY.strip().replace("\t", "\\t") in drawn
    assert f"yielded {EVIL}" in "\n".join(tips)  # the value, in a tooltip
    assert f"sent {NASTY.replace(chr(9), chr(92) + 't')} → yielded" in "\n".join(tips)
    assert any(t.startswith(EVIL) for t in drawn)  # the title: the function's name
    life_svg = svgs[2]
    assert f"{EVIL}#1" in svg_texts(life_svg)[0]  # one object's lifecycle: its label
    for m in machines:
        assert dot.machine_png(m).startswith(PNG_SIGNATURE)


def test_hostile_text_in_html_and_plain_helpers():
    assert dot_looks.html_text(EVIL) == "&lt;img src=x onerror=alert(1)&gt;"
    plain = dot_looks.plain(EVIL, "x\\")
    assert isinstance(plain, graphviz.quoting.NoHtml)  # never taken as an HTML label
    assert graphviz.quoting.quote(plain) == '"&lt;img src=x onerror=alert(1)&gt;\\nx\\\\"'
    assert dot_looks.plain("a\nb") == "a\\\\nb"  # a newline in user text is shown, not obeyed


# -- without `dot` ---------------------------------------------------------------------------


def check_missing(message: str) -> None:
    assert "\n" not in message
    assert "`dot`" in message and "not found" in message
    for command in INSTALL:
        assert command in message
    assert "widget works without it" in message


def test_missing_dot_binary_says_how_to_install(traces, monkeypatch):
    points, _ = worker(traces)
    monkeypatch.setattr(dot_run, "dot_program", lambda: None)
    for draw in (dot.machine_svg, dot.machine_png):
        with pytest.raises(RuntimeError) as info:
            draw(points)
        assert isinstance(info.value, dot_run.GraphvizNotFound)
        check_missing(str(info.value))
    with pytest.raises(dot_run.GraphvizNotFound):
        dot.trace_png(traces["round_robin"])
    assert dot.machine_dot(points).startswith("digraph")  # DOT needs no binary


def test_missing_dot_found_by_graphviz_itself(traces, monkeypatch):
    points, _ = worker(traces)
    monkeypatch.setattr(dot_run, "dot_program", lambda: "/somewhere/dot")

    def pipe(self, *args, **kwargs):
        raise graphviz.ExecutableNotFound(["dot", "-Kdot", "-Tsvg"])

    monkeypatch.setattr(graphviz.Source, "pipe", pipe)
    with pytest.raises(dot_run.GraphvizNotFound) as info:
        dot.machine_svg(points)
    check_missing(str(info.value))


def test_no_dot_on_path_for_real(traces, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot anywhere
    with pytest.raises(dot_run.GraphvizNotFound) as info:
        dot.machine_png(worker(traces)[0])
    check_missing(str(info.value))


def test_saving_states_without_dot_leaves_nothing(traces, monkeypatch, tmp_path):
    monkeypatch.setattr(dot_run, "dot_program", lambda: None)
    trace = traces["round_robin"]
    for name in ("new/x.states.png", "new/x.states.svg"):
        with pytest.raises(ValueError) as info:
            trace.save(tmp_path / name)
        message = str(info.value)
        assert message.startswith(f"cannot save {tmp_path / name}: ")
        check_missing(message)
    assert not (tmp_path / "new").exists()
    old = tmp_path / "old.states.svg"
    old.write_text("before")
    with pytest.raises(ValueError):
        trace.save(old)
    assert old.read_text() == "before" and os.listdir(tmp_path) == ["old.states.svg"]
    # .dot needs no binary
    assert trace.save(tmp_path / "t.dot").read_text().startswith("digraph")


# -- a whole trace ----------------------------------------------------------------------------


@needs_dot
def test_trace_dot_has_a_cluster_per_function_and_parses(traces):
    for name in ("yield_from_chain", "poll", "cancel"):
        trace = traces[name]
        fns = functions(trace)
        text = dot.trace_dot(trace)
        assert text.count("subgraph cluster_") == len(fns) >= 2
        for i in range(len(fns)):
            assert f"subgraph cluster_{i}" in text
        svg = graphviz.Source(text).pipe("svg").decode()
        ids = svg_ids(svg)
        assert len(ids) == len(set(ids)), "ids are unique across clusters"
        drawn, _ = svg_texts(svg)
        for i, f in enumerate(fns):
            m = suspension_points(trace, f)
            assert {f"f{i}-node-{n.id}" for n in m.nodes} <= set(ids)
            assert {f"f{i}-edge-{j}" for j in range(len(m.edges))} <= set(ids)
            assert any(t.startswith(f.key) for t in drawn)


@needs_dot
def test_many_functions_stack_in_rows():
    src = "import asyncio\n" + "".join(
        f"async def f{i}():\n    await asyncio.sleep(0)\n    return {i}\n" for i in range(7)
    )
    src += (
        "async def main():\n    return await asyncio.gather("
        + ", ".join(f"f{i}()" for i in range(7))
        + ")\n"
    )
    trace = record(src)[0]
    assert len(functions(trace)) == 8
    out = json.loads(
        subprocess.run(
            ["dot", "-Tjson"], input=dot.trace_dot(trace).encode(), capture_output=True, check=True
        ).stdout
    )
    clusters = [o for o in out["objects"] if o.get("name", "").startswith("cluster_")]
    assert len(clusters) == 8
    tops = sorted({round(float(c["bb"].split(",")[3])) for c in clusters})
    assert len(tops) >= 3, "8 functions in rows of 3: three rows, not one long line"


@needs_dot
def test_empty_trace_is_a_note():
    text = dot.trace_dot(EMPTY)
    assert "nothing ran in scope" in text and "cluster" not in text
    svg = dot.trace_svg(EMPTY)
    assert "nothing ran in scope" in svg_texts(svg)[0]


# -- big machines -----------------------------------------------------------------------------


def big_machine(sites: int = 250) -> Machine:
    nodes = [Node("start", "start", "start", 1)]
    nodes += [
        Node(f"yield:{10 + i}", f"yield · line {10 + i}", "site", 10 + i, f"yield {i}", count=i + 1)
        for i in range(sites)
    ]
    nodes.append(Node("return", "return", "exit", 9999, "return", count=1))
    edges = [Edge("start", "yield:10", events=[0])]
    edges[0].kinds["start"] += 1
    for i in range(sites - 1):
        e = Edge(f"yield:{10 + i}", f"yield:{11 + i}", events=[i + 1])
        e.kinds["send/next"] += 1
        edges.append(e)
    last = Edge(f"yield:{9 + sites}", "return", events=[sites])
    last.kinds["send/next"] += 1
    edges.append(last)
    return Machine("points", "big (generator, line 1)", [0], nodes, edges)


@needs_dot
def test_a_huge_machine_keeps_the_most_visited_nodes():
    m = big_machine(250)
    text = dot.machine_dot(m)
    kept = [n for n in m.nodes if f'id="node-{n.id}"' in text]
    assert len(kept) == dot.MAX_NODES
    # start and the way out always; then the 198 busiest sites (the last ones)
    assert kept[0].id == "start" and kept[-1].id == "return"
    assert [n.count for n in kept[1:-1]] == list(range(53, 251))
    assert "+52 more sites" in text
    drawn = [i for i in range(len(m.edges)) if f'id="edge-{i}"' in text]
    assert drawn == list(range(53, 251))  # the edges between kept nodes, original indices
    svg = dot.machine_svg(m)
    assert "+52 more sites" in svg_texts(svg)[0]
    small = dot.machine_dot(big_machine(10))
    assert "more sites" not in small and small.count('id="node-') == 12


# -- saving -----------------------------------------------------------------------------------


@needs_dot
def test_save_dot_and_state_images(traces, tmp_path):
    trace = traces["poll"]
    text = trace.save(tmp_path / "m.dot").read_text(encoding="utf-8")
    assert text == dot.trace_dot(trace)
    assert graphviz.Source(text).pipe("svg").startswith(b"<?xml")

    svg = trace.save(tmp_path / "m.states.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "f1-node-await:9" in svg_ids(svg)

    png = trace.save(tmp_path / "m.STATES.PNG").read_bytes()
    assert png.startswith(PNG_SIGNATURE) and png[12:16] == b"IHDR"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 300 and height > 200

    # plain .svg / .png stay the timeline
    timeline = trace.save(tmp_path / "m.svg").read_text(encoding="utf-8")
    assert "asyncviz timeline" in timeline and "f1-node-await:9" not in timeline
    assert sorted(os.listdir(tmp_path)) == [
        "m.STATES.PNG",
        "m.dot",
        "m.states.svg",
        "m.svg",
    ]  # no temporary files left


def test_save_dot_of_an_empty_trace(tmp_path):
    text = EMPTY.save(tmp_path / "e.dot").read_text(encoding="utf-8")
    assert "nothing ran in scope" in text


def test_saving_an_unknown_suffix_lists_the_state_formats(traces, tmp_path):
    with pytest.raises(ValueError) as info:
        traces["poll"].save(tmp_path / "x.states.jpg")
    assert str(info.value).endswith(".dot .json .states.svg .states.png")


# -- house rules -----------------------------------------------------------------------------


def test_graphviz_is_imported_only_when_drawing():
    code = "import sys, asyncviz.render.dot, asyncviz.exports; print('graphviz' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
