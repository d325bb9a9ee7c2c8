"""The two widgets in a page with no kernel behind it (a saved notebook, an exported page,
another front-end): the built bundles rendered into a blank page with a stand-in for the
anywidget model that holds the widgets' state and answers no message.  Values and source
lines show from the payload (no `describe` is sent), the timeline's cursor moves the
state machine's highlight, and selecting an object in the timeline switches the machine
to it — linked by their shared link_id, in the page.

The state is what Python builds for a small trace (TimelineWidget.of, StatesWidget.of,
StatesWidget.link); no Jupyter server is started.  Every request leaving the page is
blocked and fails the test, as in the other browser tests.
"""

from __future__ import annotations

import base64
import json
import types

import pytest

from asyncviz.analysis.states import functions
from asyncviz.widgets.states import BUNDLE as STATES_BUNDLE, StatesWidget
from asyncviz.widgets.timeline import BUNDLE as TIMELINE_BUNDLE, TimelineWidget
from programs import record

from . import harness

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
SOURCE = f"""
def probe():
    x = yield {SCRIPT!r}
    yield x

def worker(name, n):
    got = None
    for i in range(n):
        got = yield (name, i, got)
    return name

def main():
    p = probe()
    next(p)
    p.send(1)
    p.close()
    ready, replies = [worker("a", 2), worker("b", 1)], {{}}
    while ready:
        w = ready.pop(0)
        try:
            replies[id(w)] = w.send(replies.get(id(w)))[1]
        except StopIteration:
            continue
        ready.append(w)
"""
TIMELINE = "#tl [data-testid=asyncviz-timeline]"
STATES = "#st [data-testid=asyncviz-states]"

# anywidget's model, as far as the widgets use it: traits, change events, no kernel
MOUNT = """async ([timelineJs, statesJs, tlState, stState]) => {
  const model = (state) => {
    const handlers = new Map();
    const sent = [];
    return {
      sent,
      get: (k) => state[k],
      set: (k, v) => {
        if (state[k] === v) return;
        state[k] = v;
        for (const h of [...(handlers.get(`change:${k}`) || [])]) h();
      },
      on: (e, h) => { if (!handlers.has(e)) handlers.set(e, []); handlers.get(e).push(h); },
      off: (e, h) => {
        const l = handlers.get(e) || [];
        if (l.includes(h)) l.splice(l.indexOf(h), 1);
      },
      save_changes: () => {},
      send: (msg) => { sent.push(msg); },
    };
  };
  const load = async (text) => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
    return (await import(url)).default;
  };
  const bytes = Uint8Array.from(atob(tlState.buffers), (c) => c.charCodeAt(0));
  tlState.buffers = new DataView(bytes.buffer);
  window.__models = { timeline: model(tlState), states: model(stState) };
  const byId = (id) => document.getElementById(id);
  (await load(timelineJs)).render({ model: window.__models.timeline, el: byId("tl") });
  (await load(statesJs)).render({ model: window.__models.states, el: byId("st") });
}"""


def widget_state(w, names) -> dict:
    return {name: getattr(w, name) for name in names}


@pytest.fixture(scope="module")
def widgets():
    trace, _ = record(SOURCE)
    timeline, states = TimelineWidget.of(trace), StatesWidget.of(trace)
    states.link(timeline)
    assert timeline.header["details"] == "inline" and states.machines
    return trace, timeline, states


@pytest.fixture
def page(chromium, screenshots, request):
    nowhere = types.SimpleNamespace(url="http://127.0.0.1:9")  # no server: nothing is local
    context, guard = harness.new_context(chromium, nowhere)
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    page.screenshot(
        path=str(screenshots / f"test_offline_browser.{request.node.name}.png"), full_page=True
    )
    context.close()
    problems = guard.problems()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def mount(page, timeline, states) -> None:
    page.set_content(
        "<!doctype html><title>asyncviz, no kernel</title>"
        "<body style='width: 1100px'><div id=tl></div><div id=st></div></body>"
    )
    tl_state = widget_state(
        timeline, ("header", "selection", "cursor", "clock", "height", "link_id")
    )
    tl_state["buffers"] = base64.b64encode(timeline.buffers).decode("ascii")
    st_state = widget_state(
        states,
        (
            "choices",
            "choice",
            "machine",
            "dot",
            "svg",
            "meta",
            "cursor",
            "selection",
            "selected_events",
            "link_id",
            "machines",
        ),
    )
    page.evaluate(
        MOUNT,
        [
            TIMELINE_BUNDLE.read_text(encoding="utf-8"),
            STATES_BUNDLE.read_text(encoding="utf-8"),
            json.loads(json.dumps(tl_state)),
            json.loads(json.dumps(st_state)),
        ],
    )
    page.wait_for_function(
        "sel => document.querySelector(sel)?.dataset.firstFrameMs", arg=TIMELINE, timeout=10_000
    )


def sent(page, model: str) -> list:
    return page.evaluate("name => window.__models[name].sent", model)


def test_details_show_with_no_kernel(widgets, page):
    trace, timeline, states = widgets
    mount(page, timeline, states)
    root = page.locator(TIMELINE)
    i = next(i for i, e in enumerate(trace.events) if e.value == repr(SCRIPT))
    p = root.evaluate("(el, i) => el.__asyncviz.eventPosition(i)", i)
    page.mouse.move(p["x"] - 30, p["y"] - 30)
    page.mouse.move(p["x"], p["y"], steps=4)
    tip = root.locator("[data-testid=timeline-tooltip]")
    tip.wait_for(state="visible")
    assert repr(SCRIPT) in tip.text_content() and "<script" not in tip.inner_html()
    assert "line 3" in tip.text_content()  # the source line travelled too
    for _ in range(i + 1):  # the status strip at that event shows the value as well
        root.locator("[data-testid=step-forward]").click()
    strip = root.locator("[data-testid=cursor-event]")
    assert repr(SCRIPT) in strip.text_content() and "<script" not in strip.inner_html()
    assert [m for m in sent(page, "timeline") if m.get("type") == "describe"] == []


def test_linked_in_the_page_with_no_kernel(widgets, page):
    trace, timeline, states = widgets
    mount(page, timeline, states)
    tl, st = page.locator(TIMELINE), page.locator(STATES)
    machine = states.current_machine
    for i in range(4):  # the timeline's cursor moves the machine's highlight
        tl.locator("[data-testid=step-forward]").click()
        page.wait_for_function(
            "([sel, i]) => document.querySelector(sel).dataset.cursor === String(i)",
            arg=[STATES, i],
            timeout=5_000,
        )
        node, edge = machine.at(i)
        assert st.get_attribute("data-current-node") == (node or ""), i
        assert st.get_attribute("data-current-edge") == ("" if edge is None else str(edge)), i
    # an object selected in the timeline that the machine shown (worker's, the busiest
    # function's) does not cover: the states widget shows that object's own machine
    assert states.choice == f"f:{[f.name for f in functions(trace)].index('worker')}"
    worker = trace.object("probe#1").id
    lane = timeline.header["lanes"]["object"].index(worker)
    p = tl.evaluate("(el, lane) => el.__asyncviz.lanePosition(lane)", lane)
    page.mouse.click(p["x"], p["y"])
    page.wait_for_function(
        "([sel, key]) => document.querySelector(sel).dataset.choice === key",
        arg=[STATES, f"o:{worker}"],
        timeout=5_000,
    )
    assert st.locator("[data-testid=states-choice]").input_value() == f"o:{worker}"
    assert page.evaluate("() => window.__models.states.get('selection')") == worker
    # without a kernel nothing lays the new machine out: its moves show as text meanwhile
    moves = st.locator("[data-testid=states-moves]")
    moves.wait_for(state="visible", timeout=5_000)
    assert "start → yield · line" in moves.inner_text()
