"""The state-machine widget, Python side: traits built from real traces, recomputing on a
change of choice or machine, the cursor mapping the front-end uses, following a selection
made elsewhere, the layout-engine message, the display bundle, and the built front-end
bundles (the browser side is tested in tests/browser/test_states_browser.py)."""

from __future__ import annotations

import re
import sys

import pytest
import traitlets

import asyncviz
from asyncviz.analysis import states
from asyncviz.render import dot_run
from asyncviz.widgets import states as states_widget
from asyncviz.widgets.states import BUNDLE, LAYOUT_BUNDLE, BrowserLink, StatesWidget, at
from corpus import TASKS
from programs import record
from corpus import PROGRAMS

IMG = "<img src=x onerror=alert(1)>"
HAS_DOT = dot_run.dot_program() is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")

PROBE = f"""
def probe():
    x = yield {IMG!r}
    yield x

def main():
    p = probe()
    next(p)
    p.send(1)
    p.close()
"""


def applicable(name: str) -> bool:
    return name != "eager_task" or sys.version_info >= (3, 12)


class Sent(list):
    """Stands in for the comm: what the widget sends to the front-end."""

    def __call__(self, content, buffers=None):
        self.append((content, list(buffers or [])))


def comm_msg(w, data: dict, buffers=()) -> None:
    """Deliver a message from the front-end the way the comm does."""
    w._handle_msg({"content": {"data": data}, "buffers": list(buffers)})


def machines_of(trace):
    """Every (choice key, machine kind) → the analysis machine the widget must show."""
    out = {}
    for i, f in enumerate(states.functions(trace)):
        out[(f"f:{i}", "lifecycle")] = states.lifecycle(trace, function=f)
        out[(f"f:{i}", "points")] = states.suspension_points(trace, function=f)
    for o in trace.objects:
        if o.kind in ("generator", "coroutine", "async_generator"):
            out[(f"o:{o.id}", "lifecycle")] = states.lifecycle(trace, obj=o.id)
            out[(f"o:{o.id}", "points")] = states.suspension_points(trace, obj=o.id)
    return out


def same_machine(meta: dict, machine) -> None:
    assert meta["kind"] == machine.kind and meta["title"] == machine.title
    assert meta["objects"] == machine.objects
    assert list(meta["nodes"]) == [n.id for n in machine.nodes]
    for n in machine.nodes:
        assert meta["nodes"][n.id] == {
            "label": n.label,
            "kind": n.kind,
            "count": n.count,
            "line": n.line,
            "text": n.text,
            "waits": [list(w) for w in n.waits.most_common()],
        }
    assert [
        (e["source"], e["target"], e["label"], e["count"], e["samples"]) for e in meta["edges"]
    ] == [(e.source, e.target, e.label, e.count, e.samples) for e in machine.edges]


# ---------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_widget_builds_for_every_program(name):
    if not applicable(name):
        pytest.skip("eager tasks are new in 3.12")
    trace, _ = record(PROGRAMS[name])
    w = StatesWidget.of(trace)
    fns = states.functions(trace)
    assert [c["label"] for c in w.choices if c["kind"] == "function"] == [f.key for f in fns]
    assert [c["key"] for c in w.choices if c["kind"] == "function"] == [
        f"f:{i}" for i in range(len(fns))
    ]
    objects = [o for o in trace.objects if o.kind in ("generator", "coroutine", "async_generator")]
    assert [(c["key"], c["label"], c["type"]) for c in w.choices if c["kind"] == "object"] == [
        (f"o:{o.id}", o.label, o.kind) for o in objects
    ]
    if not fns:
        assert (w.choice, w.dot, w.meta) == ("", "", {})
        return
    # it opens on the user's function with the most events
    default = states.default_function(trace)
    assert (w.choice, w.machine) == (f"f:{fns.index(default)}", "points")
    same_machine(w.meta, states.suspension_points(trace, function=default))
    assert w.dot.lstrip().startswith("digraph") and 'id="node-start"' in w.dot
    assert (w.svg != "") == HAS_DOT


@pytest.mark.parametrize(
    "name",
    [
        "round_robin",
        "yield_from_chain",
        "throw_caught",
        "close_suspended",
        "close_created",
        "async_chain",
        "cancel",
        "async_gen_closed_early",
        "two_instances",
    ],
)
def test_every_choice_and_machine_recomputes_dot_and_meta(name):
    trace, _ = record(PROGRAMS[name])
    w = StatesWidget.of(trace)
    seen_dot = set()
    for (key, kind), machine in machines_of(trace).items():
        w.choice, w.machine = key, kind
        assert w.current_machine is not None
        same_machine(w.meta, machine)
        assert w.meta["version"] == 1
        assert w.meta["labels"] == {str(o): trace.objects[o].label for o in machine.objects}
        for i in range(len(machine.edges)):
            assert f'"edge-{i}"' in w.dot or f"id=edge-{i}" in w.dot, (i, w.dot)
        seen_dot.add(w.dot)
    assert len(seen_dot) >= 2  # the lifecycle and the points machine differ at least


def test_meta_cursor_mapping_is_machine_at():
    """What the front-end computes from meta (binary search in `events`) is machine.at()
    for every cursor position, for every machine of these programs."""
    for name in (
        "round_robin",
        "yield_from_chain",
        "throw_caught",
        "gather",
        "queue",
        "asend_athrow_aclose",
    ):
        trace, _ = record(PROGRAMS[name])
        w = StatesWidget.of(trace)
        n = len(trace.events)
        for (key, kind), machine in machines_of(trace).items():
            w.choice, w.machine = key, kind
            meta = w.meta
            assert meta["events"] == sorted(meta["events"])
            assert meta["events"] == sorted(machine.event_node)
            assert len(meta["event_nodes"]) == len(meta["event_edges"]) == len(meta["events"])
            assert set(meta["event_nodes"]) <= set(meta["nodes"])
            assert all(-1 <= e < len(meta["edges"]) for e in meta["event_edges"])
            objects = set(machine.objects)
            assert all(trace.events[i].obj in objects for i in meta["events"])
            for cursor in range(-1, n + 1):
                assert at(meta, cursor) == machine.at(cursor), (name, key, kind, cursor)
            for cursor in (0, n // 2, n - 1):
                w.cursor = cursor
                assert w.current == machine.at(cursor)
            w.cursor = -1
            assert w.current == (None, None)


def test_default_choice_and_objects():
    trace, _ = record(PROGRAMS["round_robin"])
    w = StatesWidget.of(trace)
    assert (w.choice, w.machine) == ("f:0", "points")
    w1 = trace.states("worker#2")
    assert isinstance(w1, StatesWidget)
    assert (w1.choice, w1.machine) == (f"o:{trace.object('worker#2').id}", "lifecycle")
    assert w1.meta["objects"] == [trace.object("worker#2").id]
    assert trace.states(0).choice == "o:0"
    assert trace.states().choice == "f:0"
    with pytest.raises(KeyError):
        trace.states("nobody#1")


def test_a_task_stands_for_its_coroutine():
    trace, _ = record(TASKS)
    kid = trace.object("kid")
    assert kid.kind == "task" and kid.coro is not None
    w = StatesWidget.of(trace, kid.id)
    assert w.choice == f"o:{kid.coro}" and w.machine == "lifecycle"
    assert trace.objects[kid.coro].name == "child"
    futures = [o for o in trace.objects if o.kind == "future"]
    for f in futures:
        with pytest.raises(ValueError, match="no state machine"):
            StatesWidget.of(trace, f.id)


def test_bad_choice_or_machine_is_refused():
    trace, _ = record(PROGRAMS["round_robin"])
    w = StatesWidget.of(trace)
    with pytest.raises(traitlets.TraitError, match="choice"):
        w.choice = "f:99"
    with pytest.raises(traitlets.TraitError, match="machine"):
        w.machine = "sideways"
    assert (w.choice, w.machine) == ("f:0", "points")


def test_front_end_changes_reach_python_and_recompute():
    trace, _ = record(PROGRAMS["yield_from_chain"])
    w = StatesWidget.of(trace)
    inner = trace.object("inner#1").id
    comm_msg(
        w,
        {
            "method": "update",
            "buffer_paths": [],
            "state": {"choice": f"o:{inner}", "machine": "lifecycle", "cursor": 7},
        },
    )
    assert (w.choice, w.machine, w.cursor) == (f"o:{inner}", "lifecycle", 7)
    same_machine(w.meta, states.lifecycle(trace, obj=inner))
    comm_msg(
        w,
        {
            "method": "update",
            "buffer_paths": [],
            "state": {"selected_events": [6, 12], "selection": inner},
        },
    )
    assert w.selected_events == [6, 12] and w.selection == inner
    w.machine = "points"  # a new machine: the old selection of its events is gone
    assert w.selected_events == []


def test_a_selection_made_elsewhere_switches_to_that_objects_machine():
    trace, _ = record(PROGRAMS["yield_from_chain"])
    outer, middle, inner = (trace.object(f"{n}#1").id for n in ("outer", "middle", "inner"))
    w = StatesWidget.of(trace)
    assert w.meta["objects"] == [outer]
    w.selection = outer  # covered by the machine shown: nothing changes
    assert w.choice == "f:0"
    w.selection = inner
    assert (w.choice, w.machine) == (f"o:{inner}", "points")
    assert w.meta["objects"] == [inner]
    w.machine = "lifecycle"
    w.selection = middle
    assert (w.choice, w.machine) == (f"o:{middle}", "lifecycle")
    w.selection = -1
    assert w.choice == f"o:{middle}"

    trace, _ = record(TASKS)
    w = StatesWidget.of(trace)
    assert w.meta["title"].startswith("child ")  # the busiest function: child's 5 events
    w.choice = "f:0"  # main's
    kid = trace.object("kid")
    w.selection = kid.id
    assert w.choice == f"o:{kid.coro}"
    w.selection = 999  # out of range: none
    assert w.selection == -1


def test_objects_beyond_the_listed_ones_can_be_chosen(monkeypatch):
    monkeypatch.setattr(states_widget, "MAX_OBJECT_CHOICES", 1)
    trace, _ = record(PROGRAMS["yield_from_chain"])
    w = StatesWidget.of(trace)
    inner = trace.object("inner#1").id
    listed = [c["key"] for c in w.choices if c["kind"] == "object"]
    assert len(listed) == 1 and f"o:{inner}" not in listed
    w.choice = f"o:{inner}"
    assert w.choices[-1] == {
        "key": f"o:{inner}",
        "label": "inner#1",
        "kind": "object",
        "type": "generator",
    }
    assert w.meta["objects"] == [inner]
    middle = trace.object("middle#1").id
    w.selection = middle  # from the timeline: also beyond the list
    assert w.choice == f"o:{middle}" and w.choices[-1]["label"] == "middle#1"
    with pytest.raises(traitlets.TraitError):
        w.choice = f"o:{len(trace.objects)}"


def test_cursor_and_selection_are_kept_in_range():
    trace, _ = record(PROGRAMS["round_robin"])
    w = StatesWidget.of(trace)
    w.cursor = 10_000
    assert w.cursor == len(trace.events) - 1
    w.cursor = -5
    assert w.cursor == -1
    w.selection = len(trace.objects)
    assert w.selection == -1


def test_the_layout_engine_is_sent_on_request():
    trace, _ = record(PROGRAMS["round_robin"])
    w = StatesWidget.of(trace)
    sent = Sent()
    w.send = sent
    comm_msg(w, {"method": "custom", "content": {"type": "layout-engine"}})
    ((content, buffers),) = sent
    assert content == {"type": "layout-engine", "size": LAYOUT_BUNDLE.stat().st_size}
    assert bytes(buffers[0]) == LAYOUT_BUNDLE.read_bytes()
    comm_msg(w, {"method": "custom", "content": {"type": "nonsense"}})
    comm_msg(w, {"method": "custom", "content": ["not", "a", "dict"]})
    assert len(sent) == 1


def test_the_layout_engine_missing_is_said(monkeypatch, tmp_path):
    trace, _ = record(PROGRAMS["round_robin"])
    w = StatesWidget.of(trace)
    sent = Sent()
    w.send = sent
    monkeypatch.setattr(states_widget, "LAYOUT_BUNDLE", tmp_path / "missing.js")
    monkeypatch.setattr(states_widget, "_layout_engine", None)
    comm_msg(w, {"method": "custom", "content": {"type": "layout-engine"}})
    ((content, buffers),) = sent
    assert content["type"] == "layout-engine" and "apt-get install graphviz" in content["error"]
    assert buffers == []


def test_display_bundle_has_text_and_svg():
    trace, _ = record(PROGRAMS["round_robin"])
    w = StatesWidget.of(trace)
    data, _ = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    lines = data["text/plain"].splitlines()
    assert data["text/plain"] == w.text()
    assert lines[0] == "suspension points of worker (generator, line 2) (2 objects)"
    assert lines[1:3] == [
        "  start → yield · line 5: start ×2",
        "  yield · line 5 → yield · line 5: send/next",
    ]
    assert lines[3].startswith("  yield · line 5 → return") and lines[3].endswith(
        ": send/next ×2"
    ), lines
    w.machine = "lifecycle"
    data, _ = w._repr_mimebundle_()
    lines = data["text/plain"].splitlines()
    assert lines[0] == "lifecycle of worker (generator, line 2) (2 objects)"
    assert lines[1:] == [f"  {s} → {t}: {label}" for s, t, label, _n in w.current_machine.table()]
    if HAS_DOT:
        svg = data["image/svg+xml"]
        assert "<svg" in svg and 'id="node&#45;RUNNING"' in svg or 'id="node-RUNNING"' in svg
    else:
        assert "image/svg+xml" not in data


@needs_dot
def test_python_svg_when_dot_exists():
    trace, _ = record(PROBE)
    w = StatesWidget.of(trace)
    assert w.svg.lstrip().startswith("<?xml") and "<svg" in w.svg
    # graphviz escapes the label: the source text is SVG character data, never markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in w.svg
    assert "<img" not in w.svg


def test_no_svg_without_dot(monkeypatch):
    trace, _ = record(PROBE)
    monkeypatch.setattr(dot_run, "dot_program", lambda: None)
    w = StatesWidget.of(trace)
    assert w.svg == "" and w.dot.lstrip().startswith("digraph")
    data, _ = w._repr_mimebundle_()
    assert "image/svg+xml" not in data and data["text/plain"].startswith("suspension points")
    w.machine = "lifecycle"
    assert w.svg == "" and "node-CREATED" in w.dot


def test_empty_trace_makes_a_widget():
    with asyncviz.trace() as t:
        pass
    w = t.states()
    assert (w.choices, w.choice, w.dot, w.svg, w.meta) == ([], "", "", "", {})
    assert w.current == (None, None)
    data, _ = w._repr_mimebundle_()
    assert "no generator" in data["text/plain"] and "image/svg+xml" not in data


def test_link_joins_cursor_and_selection_in_the_front_end():
    trace, _ = record(PROGRAMS["round_robin"])
    timeline, w = trace.timeline(), trace.states()
    timeline.cursor, timeline.selection = 3, 1
    links = w.link(timeline)
    # linked in the browser by an id both widgets get (no ipywidgets link model: a saved
    # page or another front-end links them too); the states widget takes the timeline's
    # cursor and selection at once
    assert all(isinstance(link, BrowserLink) for link in links)
    assert timeline.link_id and w.link_id == timeline.link_id
    assert {link.id for link in links} == {timeline.link_id}
    assert [(link.source, link.target) for link in links] == [
        ((timeline, "cursor"), (w, "cursor")),
        ((timeline, "selection"), (w, "selection")),
    ]
    assert w.links == links
    assert (w.cursor, w.selection) == (3, 1)
    other = trace.states()
    other.link(timeline)  # a third widget joins the same link
    assert other.link_id == timeline.link_id


def test_inline_machines_are_the_ones_python_computes():
    trace, _ = record(PROGRAMS["yield_from_chain"])
    w = StatesWidget.of(trace)
    inline = w.machines
    assert inline and set(inline) == {"table", "keys", "follow"}
    for (key, kind), machine in machines_of(trace).items():
        w.choice, w.machine = key, kind
        entry = inline["table"][inline["keys"][f"{key}|{kind}"]]
        assert entry == {"dot": w.dot, "meta": w.meta}, (key, kind)
        same_machine(entry["meta"], machine)
    # an object selected elsewhere: the machine that stands for it
    assert inline["follow"] == {
        str(o.id): f"o:{o.id}"
        for o in trace.objects
        if o.kind in ("generator", "coroutine", "async_generator")
    }
    trace, _ = record(TASKS)
    kid = trace.object("kid")
    assert StatesWidget.of(trace).machines["follow"][str(kid.id)] == f"o:{kid.coro}"


def test_inline_only_when_small_or_asked(monkeypatch):
    trace, _ = record(PROGRAMS["round_robin"])
    assert StatesWidget.of(trace, details="on_demand").machines == {}
    monkeypatch.setattr(states_widget, "INLINE_MACHINES", 2)
    assert StatesWidget.of(trace).machines == {}
    assert StatesWidget.of(trace, details="inline").machines["table"]
    monkeypatch.setattr(states_widget, "INLINE_MACHINES", 100)
    monkeypatch.setattr(states_widget, "INLINE_EVENTS", 3)
    assert StatesWidget.of(trace).machines == {}
    with pytest.raises(ValueError, match="details"):
        StatesWidget.of(trace, details="sometimes")


def test_the_front_end_bundles_are_built_and_offline():
    assert BUNDLE.is_file(), "asyncviz/static/states.js is missing: pip install -e . builds it"
    js = BUNDLE.read_text(encoding="utf-8")
    assert StatesWidget._esm == js or str(StatesWidget._esm) == js
    assert re.search(r"export\s*\{[^}]*\bas default\b|export default", js), "no default export"
    # no URL but the XML namespaces of SVG and XLink (names, never fetched)
    assert set(re.findall(r"https?://[\w./-]+", js)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert "innerHTML" not in js, "user strings go in with textContent only"
    assert "image/svg+xml" in js and "DOMParser" in js
    for hook in (
        "asyncviz-states",
        "states-diagram",
        "states-choice",
        "machine-lifecycle",
        "machine-points",
        "states-tooltip",
        "states-status",
        "renderedBy",
        "currentNode",
        "currentEdge",
        "layout-engine",
        "__asyncviz",
    ):
        assert hook in js, hook
    # the layout engine: Graphviz as wasm, inlined; the only URL in it is the SVG DTD
    # Graphviz writes into its output (nothing is fetched: tests/browser checks that)
    engine = LAYOUT_BUNDLE.read_text(encoding="utf-8")
    assert "Graphviz" in engine and len(engine) > 300_000
    urls = set(re.findall(r"https?://[\w./-]+", engine))
    assert urls <= {"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"}, urls
