"""The timeline widget, Python side: traits built from real traces, the describe round
trip, the display bundle and the built front-end bundle (the browser side is tested in
tests/browser/)."""

from __future__ import annotations

import base64
import re
import struct
from types import SimpleNamespace

import pytest

import asyncviz
from asyncviz.render.payload import VERSION
from asyncviz.widgets.timeline import BUNDLE, TimelineWidget
from corpus import TASKS
from programs import record
from tracebuilder import TraceBuilder

SCRIPT = "<script>alert(1)</script>"

GENERATOR = """
def gen():
    x = yield "<script>alert(1)</script>"
    yield x

def main():
    g = gen()
    next(g)
    g.send(5)
    g.close()
"""

SIZES = {"u8": 1, "u16": 2, "u32": 4, "i32": 4}


class Sent(list):
    """Stands in for the comm: what the widget sends to the front-end."""

    def __call__(self, content, buffers=None):
        self.append(content)


def widget_for(source: str, **options) -> tuple[TimelineWidget, asyncviz.Trace, Sent]:
    trace, _ = record(source, **options)
    w = TimelineWidget.of(trace)
    sent = Sent()
    w.send = sent
    return w, trace, sent


def comm_msg(w: TimelineWidget, data: dict, buffers=()) -> None:
    """Deliver a message from the front-end the way the comm does (ipywidgets'
    Widget._handle_msg), so that the widget's whole receiving path is exercised."""
    w._handle_msg({"content": {"data": data}, "buffers": list(buffers)})


def reply_to(w: TimelineWidget, sent: Sent, content, buffers=()):
    before = len(sent)
    comm_msg(w, {"method": "custom", "content": content}, buffers)
    return sent[before:]


def test_traits_hold_the_payload():
    w, trace, _ = widget_for(GENERATOR)
    assert w.header["version"] == VERSION == 3
    assert w.header["n_events"] == len(trace.events) == 6
    assert isinstance(w.buffers, bytes)
    end = max(offset + count * SIZES[code] for offset, count, code in w.header["arrays"].values())
    assert len(w.buffers) == end
    # the arrays are where the header says: the kinds column, read back
    offset, count, code = w.header["arrays"]["kind"]
    kinds = [w.header["kinds"][k] for k in w.buffers[offset : offset + count]]
    assert kinds == [e.kind for e in trace.events]
    offset, count, code = w.header["arrays"]["obj"]
    fmt = "<%d%s" % (count, "H" if code == "u16" else "I")
    assert list(struct.unpack_from(fmt, w.buffers, offset)) == [e.obj for e in trace.events]
    assert w.trace is trace
    assert (w.selection, w.cursor, w.height) == (-1, -1, 0)


SLEEPER = """
import asyncio

async def main():
    await asyncio.sleep(0.01)
"""


def test_clock_defaults_to_wall_when_the_loop_waited_and_step_otherwise():
    w, _, _ = widget_for(GENERATOR)
    assert w.clock == "step"
    w2, trace, _ = widget_for(SLEEPER)
    assert trace.idle, "the loop waited 10 ms: there is idle time"
    assert w2.clock == "wall"
    assert TimelineWidget.of(trace, clock="step").clock == "step"
    with pytest.raises(Exception, match="clock"):
        w2.clock = "sideways"


def test_describe_answers_with_value_line_and_source_text():
    w, trace, sent = widget_for(GENERATOR)
    kinds = [e.kind for e in trace.events]
    assert kinds == ["create", "start", "yield", "resume", "yield", "close"]
    (reply,) = reply_to(w, sent, {"type": "describe", "index": 2})
    assert reply == {
        "type": "event",
        "index": 2,
        "t_ns": trace.events[2].t,
        "kind": "yield",
        "object": "gen#1",
        "value": repr(SCRIPT),
        "line": 3,
        "text": 'x = yield "<script>alert(1)</script>"',
        "target": None,
    }
    (reply,) = reply_to(w, sent, {"type": "describe", "index": 3})
    assert (reply["kind"], reply["value"], reply["line"]) == ("resume", "5", 3)
    (reply,) = reply_to(w, sent, {"type": "describe", "index": 1})
    assert (reply["kind"], reply["line"], reply["text"]) == ("start", 2, "def gen():")


def test_describe_batches_and_ignores_bad_indices():
    w, trace, sent = widget_for(GENERATOR)
    (reply,) = reply_to(w, sent, {"type": "describe", "indices": [1, 4, 99, -1]})
    assert reply["type"] == "events"
    assert [(d["index"], d["kind"], d["value"]) for d in reply["events"]] == [
        (1, "start", None),
        (4, "yield", "5"),
    ]
    assert reply_to(w, sent, {"type": "describe", "index": 6}) == []
    assert reply_to(w, sent, {"type": "describe", "index": True}) == []
    assert reply_to(w, sent, {"type": "describe", "index": "1"}) == []
    assert reply_to(w, sent, {"type": "nonsense"}) == []
    assert reply_to(w, sent, ["not", "a", "dict"]) == []


def test_describe_names_the_await_target():
    w, trace, sent = widget_for(TASKS)
    awaits = [
        i
        for i, e in enumerate(trace.events)
        if e.kind == "await" and e.target is not None and trace.objects[e.target].kind == "task"
    ]
    assert awaits, list(trace.events)
    (reply,) = reply_to(w, sent, {"type": "describe", "index": awaits[0]})
    assert reply["object"] == "main#1"
    assert reply["target"] == "kid"
    assert reply["text"] == "return await task"


def test_describe_without_values():
    w, trace, sent = widget_for(GENERATOR, values=False)
    (reply,) = reply_to(w, sent, {"type": "describe", "index": 2})
    assert (reply["kind"], reply["value"], reply["line"]) == ("yield", None, 3)


def test_selection_and_cursor_are_kept_in_range():
    w, trace, _ = widget_for(GENERATOR)
    w.cursor = 3
    assert w.cursor == 3
    w.cursor = 10_000
    assert w.cursor == len(trace.events) - 1
    w.cursor = -7
    assert w.cursor == -1
    gen = trace.object("gen#1")
    w.selection = gen.id
    assert w.selected is gen
    w.selection = 999
    assert w.selection == -1 and w.selected is None


def test_front_end_changes_reach_python():
    """selection, cursor and clock set in the browser arrive as comm "update" messages."""
    w, trace, _ = widget_for(GENERATOR)
    comm_msg(
        w,
        {
            "method": "update",
            "state": {"selection": 0, "cursor": 2, "clock": "wall"},
            "buffer_paths": [],
        },
    )
    assert (w.selection, w.cursor, w.clock) == (0, 2, "wall")
    assert w.selected is trace.objects[0]


def test_exported_png_is_kept():
    w, _, sent = widget_for(GENERATOR)
    png = b"\x89PNG\r\n\x1a\nfake"
    assert reply_to(w, sent, {"type": "png", "width": 10, "height": 10}, [memoryview(png)]) == []
    assert w.exported_png == png


def test_display_bundle_has_text_and_image():
    w, trace, _ = widget_for(TASKS)
    data, _metadata = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"] == repr(trace.summary())
    assert "main#1" in data["text/plain"]
    try:
        from asyncviz.render.static import timeline_png  # noqa: F401
    except ImportError:
        assert "image/png" not in data
    else:
        assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG\r\n\x1a\n")


def test_an_empty_trace_makes_a_widget():
    with asyncviz.trace() as t:
        pass
    w = TimelineWidget.of(t)
    assert w.header["n_events"] == 0
    data, _ = w._repr_mimebundle_()
    assert data["text/plain"]
    w.cursor = 3
    assert w.cursor == -1


def test_the_front_end_bundle_is_built_and_offline():
    assert BUNDLE.is_file(), "asyncviz/static/timeline.js is missing: pip install -e . builds it"
    js = BUNDLE.read_text(encoding="utf-8")
    assert TimelineWidget._esm == js or str(TimelineWidget._esm) == js
    assert re.search(r"export\s*\{[^}]*\bas default\b|export default", js), "no default export"
    # nothing is loaded from the internet: no URL at all in the bundle
    assert "http://" not in js and "https://" not in js
    assert not re.search(r"""import\s*\(?\s*["'](?!\.)""", js), "the bundle imports a module"
    for hook in (
        "asyncviz-timeline",
        "timeline-canvas",
        "timeline-tooltip",
        "zoom-in",
        "zoom-out",
        "reset",
        "clock-toggle",
        "step-back",
        "step-forward",
        "play",
        "export",
        "cursor-state",
        "legend",
        "truncated",
        "__asyncviz",
        "firstFrameMs",
        "lastRedrawMs",
    ):
        assert hook in js, hook


def decode(header: dict, buffer: bytes, name: str) -> list[int]:
    offset, count, code = header["arrays"][name]
    fmt = {"u8": "B", "u16": "H", "u32": "I", "i32": "i"}[code]
    return list(struct.unpack_from(f"<{count}{fmt}", buffer, offset))


def test_small_traces_carry_their_details_inline():
    """Values and source lines travel in the payload: what the page shows with no
    kernel behind it is what `describe` answers."""
    w, trace, _ = widget_for(GENERATOR)
    assert w.header["details"] == "inline"
    values, sites = w.header["values"], w.header["sites"]
    value, site = decode(w.header, w.buffers, "value"), decode(w.header, w.buffers, "site")
    assert len(value) == len(site) == len(trace.events)
    for i in range(len(trace.events)):
        d = w.describe(i)
        assert (None if value[i] == 0xFFFFFFFF else values[value[i]]) == d["value"], i
        line = None if site[i] == 0xFFFFFFFF else sites["line"][site[i]]
        text = None if site[i] == 0xFFFFFFFF else sites["text"][site[i]]
        assert (line, text) == (d["line"], d["text"]), i
    assert repr(SCRIPT) in values  # as data: the front-end sets it with textContent


def test_big_traces_ask_for_their_details(monkeypatch):
    from asyncviz.widgets import timeline as timeline_widget

    trace, _ = record(GENERATOR)
    monkeypatch.setattr(timeline_widget, "INLINE_EVENTS", len(trace.events) - 1)
    w = TimelineWidget.of(trace)
    assert w.header["details"] == "on_demand"
    assert "values" not in w.header and "value" not in w.header["arrays"]
    assert TimelineWidget.of(trace, details="inline").header["details"] == "inline"
    with pytest.raises(ValueError, match="details"):
        TimelineWidget.of(trace, details="always")


def test_payload_carries_states_links_relations_and_the_truncation():
    w, trace, _ = widget_for(TASKS)
    h = w.header
    from asyncviz.analysis.timeline import timeline_of

    tl = timeline_of(trace)
    assert decode(h, w.buffers, "state") == list(tl.state)
    assert h["objects"]["link"] == tl.link
    assert h["roles"][h["kinds"].index("resume")] == "begin"
    rows = list(
        zip(
            *(
                decode(h, w.buffers, f"rel_{c}")
                for c in ("kind", "tail", "head", "tail_obj", "head_obj")
            )
        )
    )
    assert [(h["relation_kinds"][k], *rest) for k, *rest in rows] == list(tl.relations.rows())
    assert sum(h["relation_counts"].values()) == len(rows) > 0
    assert h["end_ns"] == trace.end and h["truncation"] is None
    t, _ = record(
        """
def many():
    yield from range(50)
def main():
    return sum(many())
""",
        max_events=5,
    )
    cut = TimelineWidget.of(t).header
    assert cut["truncated"] and cut["truncation"] == t.truncation
    assert w.link_id == ""


def test_a_record_that_does_not_fit_its_tables_is_not_inlined():
    from tracebuilder import TraceBuilder, record as raw

    b = TraceBuilder()
    g = b.obj("generator", "g#1")
    b.ev(0, g, "start").ev(1, g, "yield", value=5)
    trace = b.build()
    trace.buffer += raw(2, g, "resume", value=len(trace.strings) + 7)  # no such string
    assert trace.check() is not None
    w = TimelineWidget.of(trace)
    assert w.header["details"] == "on_demand"
    assert w.describe(1)["value"] == "5"


# -- issue 9: folds, diagnostics, ends, the projector size ------------------------------

FALLS_OFF = """
def quiet():
    yield 1

def loud():
    yield 1
    return None

def main():
    return list(quiet()), list(loud())
"""


def test_implicit_ends_are_the_returns_that_fall_off_the_end():
    w, trace, _ = widget_for(FALLS_OFF)
    offset, count, code = w.header["arrays"]["implicit_end"]
    ends = list(struct.unpack_from(f"<{count}I", w.buffers, offset))
    returns = {
        trace.objects[e.obj].label: i for i, e in enumerate(trace.events) if e.kind == "return"
    }
    assert code == "u32" and ends == [returns["quiet#1"]]  # loud#1 writes `return None`


def many_tasks(n: int) -> asyncviz.Trace:
    """`n` tasks of `work` one after the other, then one of `other`."""
    b = TraceBuilder()
    for k in range(n + 1):
        name = "work" if k < n else "other"
        task = b.obj("task", f"{name}#{k + 1}", f"Task-{k + 1}")
        coro = b.obj("coroutine", f"{name}#{k + 1}", name)
        b.objects[task].coro, b.objects[coro].task = coro, task
        b.ev(4 * k, task, "create").ev(4 * k + 1, coro, "start").ev(4 * k + 2, coro, "return")
        b.ev(4 * k + 3, task, "return")
    return b.build()


def test_fold_groups_travel_as_columns():
    w = TimelineWidget.of(many_tasks(12))
    lanes, groups = w.header["lanes"], w.header["groups"]
    assert groups == {"label": ["work ×12"], "first": [0], "count": [12]}
    assert lanes["group"] == [0] * 12 + [None]
    assert lanes["rows"] == [1] * 13 and lanes["kind"] == ["task"] * 13
    w = TimelineWidget.of(many_tasks(8))
    assert w.header["groups"] == {"label": [], "first": [], "count": []}
    assert w.header["lanes"]["group"] == [None] * 9


def test_diagnostics_travel_in_the_header():
    trace = many_tasks(2)
    items = [
        {
            "kind": "loop_blocked",
            "objects": [1],
            "t0": 1,
            "t1": 2,
            "line": 89,
            "message": "the loop was blocked 200 ms at line 89",
        },
        SimpleNamespace(
            kind="never_awaited",
            objects=(),
            t0=5,
            t1=None,
            line=None,
            message="coroutine never awaited",
        ),
    ]
    w = TimelineWidget.of(trace, diagnostics=items)
    assert w.header["diagnostics"] == [
        {
            "kind": "loop_blocked",
            "objects": [1],
            "t0": 1,
            "t1": 2,
            "line": 89,
            "message": "the loop was blocked 200 ms at line 89",
        },
        {
            "kind": "never_awaited",
            "objects": [],
            "t0": 5,
            "t1": 5,
            "line": None,
            "message": "coroutine never awaited",
        },
    ]
    assert TimelineWidget.of(trace, diagnostics=[]).header["diagnostics"] == []


def test_a_trace_with_diagnostics_ships_them():
    trace = many_tasks(1)
    item = {
        "kind": "pending",
        "objects": [0],
        "t0": 0,
        "t1": 3,
        "line": None,
        "message": "task still pending",
    }
    trace.diagnostics = lambda: [item]  # as Trace.diagnostics() will
    assert TimelineWidget.of(trace).header["diagnostics"] == [item]


def test_title_names_the_exported_image():
    trace = many_tasks(1)
    assert TimelineWidget.of(trace).header["title"] == "asyncviz timeline"
    trace.meta["started_at"] = "2025-03-04T05:06:07.123456"
    assert TimelineWidget.of(trace).header["title"] == "asyncviz timeline · 2025-03-04 05:06:07"
    trace.meta["title"] = "cell [12]"
    assert TimelineWidget.of(trace).header["title"] == "cell [12]"


def test_presentation_and_unfolded_are_widget_state():
    w = TimelineWidget.of(many_tasks(9))
    assert (w.presentation, w.unfolded, w.title) == (False, [], "")
    w.presentation, w.unfolded, w.title = True, [0], "slide 3"
    state = w.get_state()
    assert (state["presentation"], state["unfolded"], state["title"]) == (True, [0], "slide 3")
    with pytest.raises(Exception, match="int"):
        w.unfolded = ["a"]


def test_cancel_relations_travel_with_the_others():
    b = TraceBuilder()
    me = b.obj("task", "me", "me")
    you = b.obj("task", "you", "you")
    b.ev(0, me, "create").ev(1, you, "create").ev(2, you, "cancel", target=me).ev(3, you, "raise")
    w = TimelineWidget.of(b.build())
    h = w.header
    assert h["relation_kinds"] == ["spawn", "await", "wake", "cancel"]
    assert h["relation_counts"]["cancel"] == 1
    offset, count, _ = h["arrays"]["rel_kind"]
    kinds = [h["relation_kinds"][k] for k in w.buffers[offset : offset + count]]
    assert kinds == ["cancel"]
