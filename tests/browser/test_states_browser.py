"""The state-machine widget in a real browser, in JupyterLab and in Notebook 7 (issue 4,
"What it must show"): the diagram renders with no Graphviz binary on PATH (the servers and
their kernels run without one: conftest) — laid out in the browser by the wasm engine —
and no request leaves localhost; stepping the timeline's cursor under `--view all` moves
the highlight through the states the trace went through, and selecting an object in the
timeline shows that object's machine; clicking a node or an edge sets `selected_events` and
`selection`, read back from Python; a source line containing `<img src=x onerror=alert(1)>`
is shown as text.

One notebook per UI is opened and run once for the module (as in
test_timeline_browser.py); tests that click drive their own StatesWidget of the same trace
and read the traits back by running the STATE cell again.

The widget's test hooks (js/src/states.js): root `[data-testid=asyncviz-states]` with
data-ready ("1" once drawn), data-rendered-by ("python" | "wasm"), data-layout-ms,
data-cursor, data-current-node (a Node.id, "" for none), data-current-edge (an edge
index, "" for none), data-selected; children states-diagram, states-choice,
machine-lifecycle, machine-points, states-tooltip, states-status; the SVG's groups keep
their DOT ids (`node-<Node.id>`, `edge-<index>`); root.__asyncviz = {nodePosition(id),
edgePosition(i), state()} (client coordinates).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from . import harness

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"
STATES = "[data-testid=asyncviz-states]"
TIMELINE = "[data-testid=asyncviz-timeline]"

# probe() runs first and most (it is sent ten values), so it is the default choice: the
# suspension points of probe, whose first yield's source line carries IMG.  The round-robin
# workers add a second function.
TRACED_SOURCE = (
    """%%asynctrace --view all
def probe():
    x = yield """
    + repr(IMG)
    + """
    while True:
        x = yield x
        x = yield -x

def worker(name, n):
    got = None
    for i in range(n):
        got = yield (name, i, got)
    return name

p = probe()
next(p)
for i in range(10):
    p.send(i)
p.close()
ready, replies = [worker("a", 2), worker("b", 1)], {}
while ready:
    w = ready.pop(0)
    try:
        replies[id(w)] = w.send(replies.get(id(w)))[1]
    except StopIteration:
        continue
    ready.append(w)
"""
)
INFO_SOURCE = (
    """_w = _asynctrace.states()
_m = _w.current_machine
_meta = _w.meta
print(json.dumps({
    "n": len(_asynctrace.events),
    "choice": _w.choice,
    "at": [_m.at(i) for i in range(len(_asynctrace.events))],
    "nodes": list(_meta["nodes"]),
    "edges": len(_meta["edges"]),
    "objects": _m.objects,
    "node_events": {n: [e for e, k in zip(_meta["events"], _meta["event_nodes"]) if k == n]
                    for n in _meta["nodes"]},
    "edge_events": [[e for e, k in zip(_meta["events"], _meta["event_edges"]) if k == i]
                    for i in range(len(_meta["edges"]))],
    "img_node": next(n.id for n in _m.nodes if n.text and %r in n.text),
    "worker_event": next(i for i, e in enumerate(_asynctrace.events)
                         if _asynctrace.objects[e.obj].label == "worker#1"),
    "worker": _asynctrace.object("worker#1").id,
}))"""
    % IMG
)
PYTHON_SVG_SOURCE = """# with Graphviz back on PATH for one widget: the SVG comes from Python
_path, os.environ["PATH"] = os.environ["PATH"], os.environ["ASYNCVIZ_TEST_FULL_PATH"]
try:
    widgets["python"] = _asynctrace.states()
finally:
    os.environ["PATH"] = _path
assert widgets["python"].svg and shutil.which("dot") is None
widgets["python"]"""
# the everyday gather of a generator expression: the widget opens on f, not the <genexpr>;
# f falls off its end, and its await site says what it awaited
DEFAULT_SOURCE = """%%asynctrace --view states
import asyncio
done = []
async def f(x):
    await asyncio.sleep(0.001)
    done.append(x)
await asyncio.gather(*(f(x) for x in range(3)))"""
DEFAULT_INFO_SOURCE = """_w = _asynctrace.states()
_site = next(n for n in _w.current_machine.nodes if n.kind == "site")
print(json.dumps({"choice": _w.choice, "title": _w.meta["title"],
                  "functions": [c["label"] for c in _w.choices if c["kind"] == "function"],
                  "site": _site.id, "waits": _site.waits_text}))"""
SETUP, TRACED, INFO, CLICK, PYTHON, STATE, DEFAULT, DEFAULT_INFO = range(8)
CELLS = [
    "%load_ext asyncviz\nimport json, os, shutil\nwidgets = {}\n"
    "print(json.dumps({'dot': shutil.which('dot')}))",
    TRACED_SOURCE,
    INFO_SOURCE,
    "widgets['click'] = _asynctrace.states()\nwidgets['click']",
    PYTHON_SVG_SOURCE,
    "print(json.dumps({name: {'selection': w.selection, 'selected_events': w.selected_events,"
    " 'cursor': w.cursor, 'choice': w.choice} for name, w in widgets.items()}))",
    DEFAULT_SOURCE,
    DEFAULT_INFO_SOURCE,
]


# ------------------------------------------------------------------------------ helpers


class States:
    """One states widget in the page, through its test hooks."""

    def __init__(self, nb, cell: int):
        self.nb, self.page = nb, nb.page
        self.root = nb.output(cell).locator(STATES).first

    def wait_drawn(self, timeout: float = 60_000) -> "States":
        self.root.wait_for(state="attached", timeout=timeout)
        self.root.scroll_into_view_if_needed()
        self.page.wait_for_function(
            "el => el.dataset.ready && el.__asyncviz",
            arg=self.root.element_handle(),
            timeout=timeout,
        )
        assert self.attr("data-ready") == "1", self.root.inner_text()
        return self

    def attr(self, name: str) -> str | None:
        return self.root.get_attribute(name)

    def node(self, node_id: str):
        return self.root.locator(f'svg g.node[id="node-{node_id}"]')

    def shot(self, folder: Path, name: str) -> None:
        self.root.screenshot(path=str(folder / f"test_states_browser.{name}.widget.png"))


@pytest.fixture
def nb(shared_page):
    """The module's executed notebook in this UI (opened and run on first use; a failure
    is remembered and fails every test of that UI at once)."""
    cache = shared_page.cache
    if "nb" not in cache:
        try:
            notebook = harness.Notebook(
                shared_page.page,
                shared_page.guard,
                shared_page.server,
                "states-widgets.ipynb",
                CELLS,
            )
            notebook.open()
            notebook.run_all()
            notebook.setup = notebook.last_json(SETUP)
            notebook.info = notebook.last_json(INFO)
            notebook.initial = notebook.last_json(STATE)
            notebook.default = notebook.last_json(DEFAULT_INFO)
            cache["nb"] = notebook
        except Exception as exc:  # noqa: BLE001 - reported by every test of this UI
            cache["nb"] = exc
    got = cache["nb"]
    if isinstance(got, BaseException):
        pytest.fail(
            f"the states notebook did not open and run: {type(got).__name__}: {got}", pytrace=False
        )
    return got


def python_state(nb, name: str) -> dict:
    nb.rerun(STATE)
    return nb.last_json(STATE)[name]


def drawn_ids(states: States) -> dict:
    return states.root.evaluate("""el => ({
        nodes: [...el.querySelectorAll('svg g.node')].map(g => g.id),
        edges: [...el.querySelectorAll('svg g.edge')].map(g => g.id)})""")


# -------------------------------------------------------------------------------- tests


def test_renders_without_graphviz_and_offline(nb, ui, shared_page, screenshots, request):
    assert nb.setup == {"dot": None}, "the kernel found Graphviz's dot: the harness hides it"
    info = nb.info
    states = States(nb, TRACED).wait_drawn()
    assert states.attr("data-rendered-by") == "wasm"
    layout_ms = float(states.attr("data-layout-ms"))
    engine_ms = float(states.attr("data-engine-ms"))
    ids = drawn_ids(states)
    assert {f"node-{n}" for n in info["nodes"]} <= set(ids["nodes"]), ids
    assert {f"edge-{i}" for i in range(info["edges"])} <= set(ids["edges"]), ids
    shapes = states.root.locator("svg g.node :is(ellipse, path, polygon)")
    assert shapes.count() >= 3
    assert states.root.locator("[data-testid=states-choice]").input_value() == info["choice"]
    states.shot(screenshots, request.node.name)

    # the same machine, its SVG drawn by `dot` in the kernel (PATH given back for a cell)
    python = States(nb, PYTHON).wait_drawn()
    assert python.attr("data-rendered-by") == "python"
    assert set(drawn_ids(python)["nodes"]) == set(ids["nodes"])
    print(
        f"{ui}: layout engine from the kernel in {engine_ms:.0f} ms, first wasm layout "
        f"{layout_ms:.1f} ms"
    )

    # nothing left localhost: not the engine's wasm, not anything else since the page opened
    assert shared_page.guard.blocked == [], shared_page.guard.blocked
    requests = nb.page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    outside = [
        u for u in requests if not re.match(rf"^(data:|blob:|{re.escape(nb.server.url)}/)", u)
    ]
    assert outside == [], outside


def test_switching_machine_and_choice_redraws(nb, ui):
    states = States(nb, CLICK).wait_drawn()
    states.root.locator("[data-testid=machine-lifecycle]").click()
    nb.page.wait_for_function(
        "el => el.dataset.ready === '1' && el.dataset.machine === 'lifecycle'"
        " && el.querySelector('svg g.node[id=\"node-RUNNING\"]')",
        arg=states.root.element_handle(),
        timeout=30_000,
    )
    assert states.attr("data-rendered-by") == "wasm"
    choice = states.root.locator("[data-testid=states-choice]")
    worker = next(o for o in choice.locator("option").all() if "worker" in o.inner_text())
    choice.select_option(worker.get_attribute("value"))
    nb.page.wait_for_function(
        "([el, key]) => el.dataset.ready === '1' && el.dataset.choice === key"
        " && el.querySelector('[data-testid=states-status]').textContent.length > 0",
        arg=[states.root.element_handle(), worker.get_attribute("value")],
        timeout=30_000,
    )
    assert states.node("SUSPENDED").count() == 1
    state = python_state(nb, "click")
    assert state["choice"] == worker.get_attribute("value"), state
    # back to what the other tests expect
    choice.select_option(nb.info["choice"])
    states.root.locator("[data-testid=machine-points]").click()
    nb.page.wait_for_function(
        "([el, key]) => el.dataset.ready === '1' && el.dataset.choice === key"
        " && el.dataset.machine === 'points'",
        arg=[states.root.element_handle(), nb.info["choice"]],
        timeout=30_000,
    )


def test_stepping_the_timeline_cursor_moves_the_highlight(nb, ui, screenshots, request):
    info = nb.info
    states = States(nb, TRACED).wait_drawn()
    timeline = nb.output(TRACED).locator(TIMELINE).first
    timeline.scroll_into_view_if_needed()
    assert states.attr("data-cursor") in ("-1", None)
    seen = []
    steps = min(info["n"], 8)
    for i in range(steps):
        timeline.locator("[data-testid=step-forward]").click()
        nb.page.wait_for_function(
            "([el, i]) => el.dataset.cursor === String(i)",
            arg=[states.root.element_handle(), i],
            timeout=10_000,
        )
        node, edge = info["at"][i]
        got = (states.attr("data-current-node"), states.attr("data-current-edge"))
        assert got == (node or "", "" if edge is None else str(edge)), (i, got, info["at"])
        if node:
            assert "avz-current" in (states.node(node).get_attribute("class") or "")
            assert states.root.locator("svg .avz-current").count() == 1
        seen.append(got[0])
    # the probe's cursor walk: its first yield, then its loop's two yields in turn
    walked = [n for k, n in enumerate(seen) if n and (k == 0 or n != seen[k - 1])]
    assert len(walked) >= 3, seen
    assert walked[0] == info["img_node"], (walked, info["img_node"])
    states.shot(screenshots, request.node.name)
    timeline.locator("[data-testid=step-back]").click()
    nb.page.wait_for_function(
        "([el, i]) => el.dataset.cursor === String(i)",
        arg=[states.root.element_handle(), steps - 2],
        timeout=10_000,
    )
    node, _edge = info["at"][steps - 2]
    assert states.attr("data-current-node") == (node or "")


def test_clicking_a_node_or_edge_selects_its_events_seen_from_python(nb, ui):
    info = nb.info
    states = States(nb, CLICK).wait_drawn()
    assert nb.initial["click"]["selection"] == -1
    assert nb.initial["click"]["selected_events"] == []
    node = info["img_node"]
    target = states.node(node)
    target.scroll_into_view_if_needed()
    target.click()
    nb.page.wait_for_function(
        "([el, n]) => el.dataset.selected === 'node:' + n",
        arg=[states.root.element_handle(), node],
        timeout=5_000,
    )
    state = python_state(nb, "click")
    assert state["selected_events"] == info["node_events"][node], (state, info)
    assert state["selection"] == info["objects"][0], state  # the machine of one object
    assert "avz-selected" in (target.get_attribute("class") or "")

    # an edge: its line is hit anywhere near it, not only on the 1-px stroke
    edge = next(i for i, events in enumerate(info["edge_events"]) if events)
    states.root.locator(f'svg g.edge[id="edge-{edge}"]').scroll_into_view_if_needed()
    p = states.root.evaluate("(el, i) => el.__asyncviz.edgePosition(i)", edge)
    nb.page.mouse.click(p["x"] + 3, p["y"])
    nb.page.wait_for_function(
        "([el, i]) => el.dataset.selected === 'edge:' + i",
        arg=[states.root.element_handle(), edge],
        timeout=5_000,
    )
    state = python_state(nb, "click")
    assert state["selected_events"] == info["edge_events"][edge], (state, info)


def test_a_label_with_markup_is_shown_as_text(nb, ui, shared_page):
    page = nb.page
    states = States(nb, TRACED).wait_drawn()
    texts = states.root.evaluate(
        "el => [...el.querySelectorAll('svg text')].map(t => t.textContent)"
    )
    assert any(IMG in t for t in texts), texts
    assert states.root.locator("img").count() == 0
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    # hover: the tooltip shows the source line as text too
    node = states.node(nb.info["img_node"])
    node.scroll_into_view_if_needed()
    node.hover()
    tip = states.root.locator("[data-testid=states-tooltip]")
    tip.wait_for(state="visible", timeout=5_000)
    assert IMG in tip.text_content()
    assert tip.locator("img").count() == 0 and "&lt;img" in tip.inner_html()
    page.wait_for_timeout(300)  # a dialog would have opened by now
    assert shared_page.guard.dialogs == []


def test_selecting_an_object_in_the_timeline_shows_its_machine(nb, ui):
    """Last: it changes the --view all pair's machine (and puts it back)."""
    info = nb.info
    states = States(nb, TRACED).wait_drawn()
    timeline = nb.output(TRACED).locator(TIMELINE).first
    timeline.scroll_into_view_if_needed()
    p = timeline.evaluate(
        "(el, i) => { el.__asyncviz.showEvent(i); return el.__asyncviz.eventPosition(i); }",
        info["worker_event"],
    )
    assert p and p["visible"], p
    nb.page.mouse.click(p["x"], p["y"])
    key = f"o:{info['worker']}"
    # timeline → (the browser link) states' selection → the choice switches → redrawn
    nb.page.wait_for_function(
        "([el, key]) => el.dataset.ready === '1' && el.dataset.choice === key",
        arg=[states.root.element_handle(), key],
        timeout=15_000,
    )
    assert states.attr("data-machine") == "points"
    assert states.root.locator("[data-testid=states-choice]").input_value() == key
    assert states.node("start").count() == 1
    states.root.locator("[data-testid=states-choice]").select_option(info["choice"])
    nb.page.wait_for_function(
        "([el, key]) => el.dataset.ready === '1' && el.dataset.choice === key",
        arg=[states.root.element_handle(), info["choice"]],
        timeout=15_000,
    )


def test_it_opens_on_the_users_busiest_function(nb, ui, screenshots, request):
    """`gather(*(f(x) for x in xs))`: the widget opens on f — not on the cell's own code
    or the <genexpr>, which come first — its end reads "end of function", and its await
    site names its wait."""
    info = nb.default
    first = [f.split(" (")[0] for f in info["functions"][:2]]
    assert first == ["<cell>", "<genexpr>"], info  # they ran first
    assert info["title"].startswith("f (coroutine, line "), info
    states = States(nb, DEFAULT).wait_drawn()
    assert states.attr("data-choice") == info["choice"]
    choice = states.root.locator("[data-testid=states-choice]")
    assert choice.input_value() == info["choice"]
    assert choice.locator("option:checked").inner_text().startswith("f (coroutine"), info
    texts = states.root.evaluate(
        "el => [...el.querySelectorAll('svg text')].map(t => t.textContent)"
    )
    assert "end of function" in texts, texts
    assert info["waits"].startswith("→ ") and info["waits"] in texts, (info, texts)
    site = states.node(info["site"])
    site.scroll_into_view_if_needed()
    site.hover()
    tip = states.root.locator("[data-testid=states-tooltip]")
    tip.wait_for(state="visible", timeout=5_000)
    said = tip.text_content() or ""
    assert "awaited" in said and "→ " in said, said
    states.shot(screenshots, request.node.name)
