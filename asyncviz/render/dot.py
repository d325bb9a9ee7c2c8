"""The state machines as Graphviz pictures: DOT text, and SVG/PNG drawn by `dot`.

    from asyncviz.render.dot import machine_dot, machine_svg, machine_png, trace_dot
    machine_dot(machine)        # str: DOT, built with the `graphviz` package; no binary needed
    machine_svg(machine)        # str: SVG, laid out by Graphviz's `dot` program
    machine_png(machine)        # bytes: PNG, the same picture (dpi=144: sharp on a slide)
    trace_dot(trace)            # str: each function's suspension points, a cluster each

The machines come from `analysis/states.py`; nothing is recomputed here, only drawn:

- the *lifecycle* machine left to right: a start arrow into CREATED, then RUNNING and
  SUSPENDED (the running state filled, as the running bars of the timeline are), CLOSED a
  double circle; states never entered are drawn dashed, so the whole machine is always
  there to point at;
- the *suspension-point* machine top to bottom: the start a small filled circle; each
  `yield`/`await` site a rounded blue box with two lines, "await · line 5" and its source
  text in a monospace font, and a third for what was awaited there by label ("→
  sleep(0.01) ×10"); each way out a double-bordered box coloured by kind — return green
  (a function falling off its end: "end of function", no line), raise vermillion, close
  grey (Okabe–Ito colours, safe for colour-blind readers).

Edges carry `Edge.label` (the transitions and how often); the busier an edge, the thicker.
Every node and edge has an `id` (`node-<Node.id>`, `edge-<index into machine.edges>`; in
`trace_dot` prefixed `f<N>-` per function) and a `tooltip` with its counts and sample
values, so a browser view can hook hover and click to them.  `highlight_node` /
`highlight_edge` mark the current state and the edge just taken (a timeline cursor).

User text (source lines, values, names) is never markup: plain labels and tooltips have
`&` written as an entity and go through the graphviz package's quoting with backslashes
and `<...>` disarmed (`graphviz.escape`); the HTML-like labels of the two-line boxes have
every user string escaped (`text.for_markup`).  Machines with more than MAX_NODES nodes keep
the most visited ones and say "+N more sites".

`graphviz` is imported lazily (only `render/` may import it).  Finding and running the
`dot` program is `dot_run`'s: without it, `machine_svg`/`machine_png` raise
`GraphvizNotFound` (a RuntimeError) whose one-line message gives the install commands; DOT
text needs no binary, and the notebook widget lays DOT out in the browser.  How the
pictures look (colours from the theme, fonts, safe labels) is `dot_looks`'s.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..analysis.states import Edge, Machine, Node, suspension_points_all
from ..trace import Trace
from .dot_looks import (
    FONT,
    INK,
    MUTED,
    GREY,
    EDGE_INK,
    ERROR,
    HIGHLIGHT,
    SITE,
    EXIT_COLOURS,
    STATE_FILL,
    UNVISITED,
    NOTE,
    CLUSTER,
    plain,
    html_text,
    box_label,
)
from .dot_run import pipe
from .static_primitives import EMPTY_MESSAGE
from .theme import shade, tint

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import graphviz

__all__ = [
    "machine_dot",
    "machine_svg",
    "machine_png",
    "trace_dot",
    "trace_svg",
    "trace_png",
    "MAX_NODES",
]

COLUMNS = 3  # trace_dot: functions per row, so many functions stack, not sprawl
MAX_NODES = 200  # more nodes than this: the most visited stay, a note counts the rest
MAX_WAITS_SAID = 8  # an await site's tooltip lists at most this many labels it waited on
# -- pieces ----------------------------------------------------------------------------------


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n:,} times"


def _node_tooltip(machine: Machine, node: Node) -> str:
    if node.kind == "start":
        n = len(machine.objects)
        return plain(f"start of {machine.title}", f"{n} object{'s' if n != 1 else ''} traced")
    lines = [node.label]
    if node.text:
        lines.append(node.text)
    lines.append(f"entered {_times(node.count)}" if node.count else "not entered in the trace")
    if node.waits:
        lines.append("awaited:")
        lines += [f"• {label} ×{n:,}" for label, n in node.waits.most_common(MAX_WAITS_SAID)]
        if len(node.waits) > MAX_WAITS_SAID:
            lines.append(f"• +{len(node.waits) - MAX_WAITS_SAID:,} more")
    return plain(*lines)


def _edge_tooltip(machine: Machine, labels: dict[str, str], edge: Edge) -> str:
    lines = [f"{labels[edge.source]} → {labels[edge.target]}: {edge.label} ({_times(edge.count)})"]
    if edge.samples:
        lines.append("samples:")
        lines += [f"• {s}" for s in edge.samples]
    return plain(*lines)


def _penwidth(count: int) -> str:
    return f"{min(1.2 + 0.7 * math.log2(max(count, 1)), 4.0):.2f}"


def _kept(machine: Machine, max_nodes: int) -> tuple[set[str], int]:
    """The node ids drawn, and how many were left out (the least visited ones)."""
    if len(machine.nodes) <= max_nodes:
        return {n.id for n in machine.nodes}, 0
    fixed = [n for n in machine.nodes if n.kind != "site"]  # start, states, ways out
    rest = sorted(
        (n for n in machine.nodes if n.kind == "site"), key=lambda n: -n.count
    )  # stable: ties keep the machine's order
    room = max(max_nodes - len(fixed), 0)
    keep = {n.id for n in fixed} | {n.id for n in rest[:room]}
    return keep, len(rest) - min(room, len(rest))


def _node_look(node: Node, seen: bool) -> dict:
    """Shape, colours and label of a node, by its kind (see the module docstring)."""
    if node.kind == "state":
        return dict(
            shape="doublecircle" if node.id == "CLOSED" else "circle",
            label=plain(node.label),
            width="1.4",
            fixedsize="true",
            fontsize="13",
            style="filled" if seen else "dashed,filled",
            fillcolor=STATE_FILL.get(node.id, UNVISITED) if seen else UNVISITED,
            color=INK if seen else GREY,
            fontcolor=INK if seen else GREY,
        )
    if node.kind == "start":
        return dict(
            shape="circle",
            label="",
            style="filled",
            fillcolor=INK,
            color=INK,
            width="0.22",
            fixedsize="true",
        )
    if node.kind == "site":
        colour, extra, strength = SITE, {}, 0.12
    else:  # a way out, coloured by its kind: return:12 -> return
        colour, extra, strength = (
            EXIT_COLOURS.get(node.id.split(":")[0], GREY),
            {"peripheries": "2"},
            0.14,
        )
    return dict(
        shape="box",
        style="rounded,filled",
        fillcolor=tint(colour, strength),
        color=colour,
        penwidth="1.4",
        margin="0.16,0.07",
        **extra,
        label=box_label(node.label, node.text, shade(colour), node.waits_text),
    )


def _add_nodes(g, machine: Machine, keep: set, name: dict, prefix: str, highlight_node) -> None:
    touched = {e.source for e in machine.edges} | {e.target for e in machine.edges}
    for node in machine.nodes:
        if node.id not in keep:
            continue
        attrs = {"id": f"{prefix}node-{node.id}", "tooltip": _node_tooltip(machine, node)}
        attrs.update(_node_look(node, node.count > 0 or node.id in touched))
        if node.id == highlight_node:
            attrs.update(color=HIGHLIGHT, penwidth="3.5")
            if node.kind != "start":
                attrs["fillcolor"] = tint(HIGHLIGHT, 0.3)
        g.node(name[node.id], **attrs)


def _edge_colour(edge: Edge, target: Node) -> str:
    kinds = set(edge.kinds)
    if target.kind == "exit":
        return EXIT_COLOURS.get(target.id.split(":")[0], GREY)  # return:12 → return
    if len(kinds) == 1 and kinds <= set(EXIT_COLOURS):  # lifecycle: into CLOSED
        return EXIT_COLOURS[kinds.pop()]
    if edge.kinds and kinds <= {"throw", "raise"}:
        return ERROR
    return EDGE_INK


def _add_edges(g, machine: Machine, keep: set, name: dict, prefix: str, highlight_edge) -> None:
    labels = {n.id: n.label for n in machine.nodes}
    by_id = {n.id: n for n in machine.nodes}
    for index, edge in enumerate(machine.edges):
        if edge.source not in keep or edge.target not in keep:
            continue
        target = by_id[edge.target]
        colour = _edge_colour(edge, target)
        tooltip = _edge_tooltip(machine, labels, edge)
        attrs = {
            "label": plain(f" {edge.label} "),
            "id": f"{prefix}edge-{index}",
            "tooltip": tooltip,
            "labeltooltip": tooltip,
            "color": colour,
            "fontcolor": shade(colour, 0.85) if colour != EDGE_INK else EDGE_INK,
            "penwidth": _penwidth(edge.count),
        }
        if target.id == "close" or set(edge.kinds) == {"close"}:
            attrs["style"] = "dashed"
        if index == highlight_edge:
            attrs.update(color=HIGHLIGHT, penwidth="3.5", fontcolor=shade(HIGHLIGHT))
        g.edge(name[edge.source], name[edge.target], **attrs)


def _lifecycle_entry(g, machine: Machine, name: dict, key: str, prefix: str) -> None:
    """The start arrow into CREATED, and the states in their places (CREATED, RUNNING,
    then SUSPENDED and CLOSED) even when some transitions never happened."""
    g.edge(
        f"{key}begin",
        name["CREATED"],
        color=INK,
        penwidth="1.4",
        id=f"{prefix}edge-begin",
        tooltip=plain("start state"),
    )
    pairs = {(e.source, e.target) for e in machine.edges}
    for a, b in (("CREATED", "RUNNING"), ("RUNNING", "SUSPENDED"), ("RUNNING", "CLOSED")):
        if a in name and b in name and (a, b) not in pairs:
            g.edge(name[a], name[b], style="invis")


def _subgraph(
    g: graphviz.Digraph, name: str | None = None
) -> AbstractContextManager[graphviz.Digraph]:
    """`g.subgraph(name=...)`: the context manager graphviz returns when given no graph (a
    subgraph that joins `g` when its with-block ends).  Its return type also allows None,
    which only the other form, adding a graph built elsewhere, returns."""
    block = g.subgraph(name=name)
    assert block is not None
    return block


def _ranks(g, machine: Machine, keep: set, name: dict) -> None:
    """The start at the top, the ways out at the bottom."""
    with _subgraph(g) as top:
        top.attr(rank="min")
        if "start" in keep:
            top.node(name["start"])
    exits = [n for n in machine.nodes if n.kind == "exit" and n.id in keep]
    if exits:
        with _subgraph(g) as bottom:
            bottom.attr(rank="max")
            for n in exits:
                bottom.node(name[n.id])


def _add_machine(
    g,
    machine: Machine,
    *,
    prefix: str = "",
    highlight_node=None,
    highlight_edge=None,
    max_nodes: int = MAX_NODES,
    ranks: bool = True,
) -> list[str]:
    """Add the nodes and edges of `machine` to the graph (or subgraph) `g`; returns the
    DOT names of the nodes drawn, the first one first."""
    keep, left_out = _kept(machine, max_nodes)
    key = prefix.replace("-", "_")  # DOT node names: plain identifiers; ids keep the "-"
    name = {n.id: f"{key}n{i}" for i, n in enumerate(machine.nodes)}
    lifecycle = machine.kind == "lifecycle"
    if lifecycle:
        g.node(
            f"{key}begin",
            label="",
            shape="point",
            width="0.12",
            color=INK,
            id=f"{prefix}node-begin",
            tooltip=plain("the lifecycle starts in CREATED"),
        )
    _add_nodes(g, machine, keep, name, prefix, highlight_node)
    if left_out:
        g.node(
            f"{key}more",
            label=plain(f"+{left_out:,} more sites"),
            shape="note",
            style="filled",
            fillcolor=NOTE,
            color=GREY,
            fontcolor=MUTED,
            fontsize="11",
            id=f"{prefix}node-more",
            tooltip=plain(f"{left_out:,} less visited sites are left out of the picture"),
        )
    if lifecycle and "CREATED" in keep:
        _lifecycle_entry(g, machine, name, key, prefix)
    _add_edges(g, machine, keep, name, prefix, highlight_edge)
    if ranks and not lifecycle:
        _ranks(g, machine, keep, name)
    return [name[n.id] for n in machine.nodes if n.id in keep] + (
        [f"{key}more"] if left_out else []
    )


def _graph_defaults(g, rankdir: str) -> None:
    g.attr(
        rankdir=rankdir,
        fontname=FONT,
        fontsize="15",
        fontcolor=INK,
        labelloc="t",
        labeljust="c",
        bgcolor="white",
        pad="0.3",
        nodesep="0.45",
        ranksep="0.5" if rankdir == "TB" else "0.65",
    )
    g.attr("node", fontname=FONT, fontsize="12", fontcolor=INK)
    g.attr("edge", fontname=FONT, fontsize="11", arrowsize="0.8")


def _subtitle(machine: Machine) -> str:
    n = len(machine.objects)
    what = "lifecycle" if machine.kind == "lifecycle" else "suspension points"
    return f"{what} of {machine.title}" + (f" — {n} objects" if n > 1 else "")


def _title_label(title: str, detail: str) -> str:
    """An HTML-like title: `title` in bold, `detail` below it, smaller and grey."""
    return (
        f"<<b>{html_text(title, 120)}</b><br/>"
        f'<font point-size="12" color="{MUTED}">{html_text(detail, 160)}</font>'
        '<br/><font point-size="5"> </font>>'
    )


def _detail(machine: Machine) -> str:
    n = len(machine.objects)
    what = "lifecycle" if machine.kind == "lifecycle" else "suspension points"
    return what + (f" · {n} objects" if n > 1 else "")


def _digraph(
    machine: Machine,
    *,
    highlight_node=None,
    highlight_edge=None,
    max_nodes: int = MAX_NODES,
    dpi: int | None = None,
):
    import graphviz

    g = graphviz.Digraph(name=plain(_subtitle(machine)))
    _graph_defaults(g, "LR" if machine.kind == "lifecycle" else "TB")
    g.attr(label=_title_label(machine.title, _detail(machine)), tooltip=plain(_subtitle(machine)))
    if dpi:
        g.attr(dpi=str(int(dpi)))
    _add_machine(
        g,
        machine,
        highlight_node=highlight_node,
        highlight_edge=highlight_edge,
        max_nodes=max_nodes,
    )
    return g


def machine_dot(
    machine: Machine,
    *,
    highlight_node: str | None = None,
    highlight_edge: int | None = None,
    max_nodes: int = MAX_NODES,
) -> str:
    """DOT for a lifecycle or suspension-point machine (see the module docstring).

    highlight_node: a `Node.id` to mark (the current state); highlight_edge: an index into
    `machine.edges` (the edge just taken) — e.g. `machine.at(event)`."""
    return _digraph(
        machine, highlight_node=highlight_node, highlight_edge=highlight_edge, max_nodes=max_nodes
    ).source


# -- drawing with `dot` ------------------------------------------------------------------


def machine_svg(machine: Machine, **options) -> str:
    """The machine as an SVG document, laid out by `dot` (GraphvizNotFound without it).
    Options as for `machine_dot`."""
    return pipe(machine_dot(machine, **options), "svg").decode("utf-8")


def machine_png(machine: Machine, *, dpi: int = 144, **options) -> bytes:
    """The machine as PNG bytes, laid out by `dot`; dpi=144 is twice Graphviz's default
    resolution (sharp on a projector).  Options as for `machine_dot`."""
    return pipe(_digraph(machine, dpi=dpi, **options).source, "png")


# -- a whole trace ----------------------------------------------------------------------------


def trace_dot(trace: Trace, *, max_nodes: int = MAX_NODES, dpi: int | None = None) -> str:
    """One DOT document for a trace: the suspension-point machine of every function that
    ran, each as a `subgraph cluster_N` labelled with the function (node ids prefixed
    `f<N>-`).  A trace where nothing ran gives a single note, "nothing ran in scope"."""
    import graphviz

    machines = suspension_points_all(trace)  # every function's, from one pass over the events
    fns = list(machines)
    g = graphviz.Digraph(name="asyncviz")
    _graph_defaults(g, "TB")
    n = len(fns)
    detail = f"suspension points of {n} function{'s' if n != 1 else ''}"
    g.attr(
        label=_title_label("asyncviz state machines", detail),
        tooltip=plain(f"asyncviz state machines — {detail}"),
    )
    if dpi:
        g.attr(dpi=str(int(dpi)))
    if not fns:
        g.node(
            "empty",
            label=plain(EMPTY_MESSAGE),
            shape="note",
            style="filled",
            fillcolor=NOTE,
            color=GREY,
            fontcolor=MUTED,
            fontsize="14",
            id="node-empty",
            tooltip=plain(EMPTY_MESSAGE),
        )
        return g.source
    if n > COLUMNS:
        g.attr(newrank="true")  # rank=same across clusters: the rows below line up
    drawn: list[list[str]] = []  # per cluster, the DOT names of its nodes
    for i, fn in enumerate(fns):
        machine = machines[fn]
        with _subgraph(g, f"cluster_{i}") as c:
            objs = len(machine.objects)
            label = fn.key + (f" — {objs} objects" if objs > 1 else "")
            c.attr(
                label=plain(label),
                tooltip=plain(label),
                id=f"f{i}-cluster",
                style="rounded",
                color=CLUSTER,
                fontsize="13",
                margin="14",
            )
            drawn.append(
                _add_machine(c, machine, prefix=f"f{i}-", max_nodes=max_nodes, ranks=False)
            )
    # rows of COLUMNS clusters: each row's starts side by side, below every node above
    for row in range(0, n, COLUMNS) if n > COLUMNS else ():
        starts = [drawn[i][0] for i in range(row, min(row + COLUMNS, n))]
        with _subgraph(g) as same:
            same.attr(rank="same")
            for s in starts:
                same.node(s)
        for i in range(max(row - COLUMNS, 0), row):
            for above in drawn[i]:
                g.edge(above, starts[0], style="invis", weight="0")
    return g.source


def trace_svg(trace: Trace) -> str:
    """`trace_dot` drawn by `dot`, as SVG (GraphvizNotFound without it)."""
    return pipe(trace_dot(trace), "svg").decode("utf-8")


def trace_png(trace: Trace, *, dpi: int = 144) -> bytes:
    """`trace_dot` drawn by `dot`, as PNG (GraphvizNotFound without it)."""
    return pipe(trace_dot(trace, dpi=dpi), "png")
