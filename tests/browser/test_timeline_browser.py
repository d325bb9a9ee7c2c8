"""The timeline widget in a real browser, in JupyterLab and in Notebook 7 (issue 3, "What it
must show"): it appears under a %%asynctrace cell with lanes drawn on its canvas; hovering
a marker shows its value `<script>alert(1)</script>` as text; clicking a lane sets the
`selection` trait seen from Python; stepping the cursor moves the state shown; the
wall/step clock toggle changes the layout; the export button downloads a PNG; no request
leaves localhost (the `shared_page` fixture fails any test during which a request tried,
and test_no_request_leaves_localhost exercises everything that could fetch).

One notebook per UI is opened and run once for the module (a kernel start and a Lab page
load cost ≈5-8 s; per test that would break the layer's 3-minute budget); each test drives
its own TimelineWidget instance of the same trace, and reads traits back from the kernel
by running the STATE cell again.

The widget's test hooks (js/): root `[data-testid=asyncviz-timeline]` with attributes
data-first-frame-ms, data-last-redraw-ms, data-lanes and the object
`root.__asyncviz = {eventPosition(i) -> {x, y}, lanePosition(laneId) -> {x, y}, redraw()}`
(client coordinates; i indexes Trace.events, laneId is the payload's lane id), children
timeline-canvas, timeline-tooltip, cursor-state, legend, truncated, and the buttons
zoom-in zoom-out reset clock-toggle step-back step-forward play export (data-testid).
Synced traits: selection (object id, -1: none), cursor (event index, -1: none), clock
("wall" | "step").
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from . import harness

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
ROOT = "[data-testid=asyncviz-timeline]"

# A generator pipeline whose pauses make wall-clock and step layouts differ (20-50 ms
# gaps between µs-long bursts), one marker carrying SCRIPT, and two asyncio tasks (task
# lanes and the loop's idle lane).  One notebook per UI, run once for the whole module;
# every test drives its own TimelineWidget of the same trace (WIDGETS), so tests do not
# see each other's zoom, cursor, selection or clock.
TRACED_SOURCE = f"""%%asynctrace
def numbers():
    yield 1
    time.sleep(0.05)
    yield {SCRIPT!r}
    yield 3

def relay(source):
    for x in source:
        yield x

def sink():
    got = []
    while True:
        got.append((yield))

s = sink()
next(s)
for v in relay(numbers()):
    s.send(v)
    time.sleep(0.02)
s.close()

async def worker(n):
    for _ in range(n):
        await asyncio.sleep(0.01)
    return n

await asyncio.gather(worker(2), worker(3))
"""
INFO_SOURCE = (
    """from asyncviz.analysis.timeline import timeline_of
_tl = timeline_of(_asynctrace)
_events = list(_asynctrace.events)
_lane_events = {}
for _i, _e in enumerate(_events):
    _lane = _tl.lane_of[_e.obj]
    if _lane is not None:
        _lane_events.setdefault(_lane, []).append(_i)
print(json.dumps({
    "n_events": len(_events),
    "script_event": [i for i, e in enumerate(_events) if e.value == repr(%r)],
    "lanes": [lane.as_dict() for lane in _tl.lanes],
    "lane_events": {str(k): v for k, v in _lane_events.items()},
    "labels": {str(o.id): o.label for o in _asynctrace.objects},
    "tasks": [[o.id, o.label, o.parent] for o in _asynctrace.objects if o.kind == "task"],
    "cell": [o.id for o in _asynctrace.objects if o.label == "cell"],
}))"""
    % SCRIPT
)
TRUNCATED_SOURCE = """%%asynctrace --max-events 5
def many():
    yield from range(50)
sum(many())"""
WIDGETS = ("tooltip", "select", "step", "clock", "zoom", "export", "offline")
SETUP, TRACED, INFO = range(3)
WIDGET = {name: 3 + k for k, name in enumerate(WIDGETS)}
STATE = 3 + len(WIDGETS)
TRUNCATED = STATE + 1  # last: it rebinds _asynctrace
CELLS = [
    "%load_ext asyncviz\nimport asyncio, json, time\nwidgets = {}",
    TRACED_SOURCE,
    INFO_SOURCE,
    *(f"widgets[{name!r}] = _asynctrace.timeline()\nwidgets[{name!r}]" for name in WIDGETS),
    "print(json.dumps({name: {'selection': w.selection, 'cursor': w.cursor, 'clock': w.clock}"
    " for name, w in widgets.items()}))",
    TRUNCATED_SOURCE,
]


# ------------------------------------------------------------------------------ helpers


class Timeline:
    """One timeline widget in the page, through its test hooks."""

    def __init__(self, nb, cell: int):
        self.nb, self.page = nb, nb.page
        self.root = nb.output(cell).locator(ROOT).first

    def wait_drawn(self, timeout: float = 30_000) -> "Timeline":
        """Visible, first frame drawn, hooks installed, and the canvas no longer being
        resized (the notebook settles its layout after the first frame)."""
        self.root.wait_for(state="attached", timeout=timeout)
        self.root.scroll_into_view_if_needed()
        self.root.wait_for(state="visible", timeout=timeout)
        self.page.wait_for_function(
            "el => el.hasAttribute('data-first-frame-ms') && el.__asyncviz"
            " && typeof el.__asyncviz.eventPosition === 'function'",
            arg=self.root.element_handle(),
            timeout=timeout,
        )
        self.page.wait_for_function(
            """el => {
            const c = el.querySelector('[data-testid=timeline-canvas]');
            const r = c.getBoundingClientRect();
            const now = [r.left, r.top, r.width, r.height, c.width, c.height].join();
            const same = el.__asyncvizTestLast === now;
            el.__asyncvizTestLast = now;
            return same;
        }""",
            arg=self.root.element_handle(),
            polling=250,
            timeout=timeout,
        )
        self.root.scroll_into_view_if_needed()
        return self

    def hook(self, name: str):
        return self.root.locator(f"[data-testid={name}]").first

    def event_xy(self, i: int) -> dict:
        return self.root.evaluate("(el, i) => el.__asyncviz.eventPosition(i)", i)

    def lane_xy(self, lane: int) -> dict:
        return self.root.evaluate("(el, i) => el.__asyncviz.lanePosition(i)", lane)

    def attr(self, name: str) -> str | None:
        return self.root.get_attribute(name)

    def shot(self, folder: Path, name: str) -> None:
        self.root.screenshot(path=str(folder / f"test_timeline_browser.{name}.widget.png"))

    def ink(self, rows_y: list[float], x_from: float) -> dict:
        """Read the canvas back (drawImage onto a 2D canvas, getImageData): the
        background is its most common colour; count the pixels that differ from it in a
        7-pixel band around each client y, right of client x `x_from`, and overall."""
        return self.root.evaluate(
            """(el, [ys, xFrom]) => {
            const c = el.querySelector('[data-testid=timeline-canvas]');
            const r = c.getBoundingClientRect();
            const off = document.createElement('canvas');
            off.width = c.width; off.height = c.height;
            const ctx = off.getContext('2d');
            ctx.drawImage(c, 0, 0);
            const d = ctx.getImageData(0, 0, off.width, off.height).data;
            const counts = new Map();
            for (let p = 0; p < d.length; p += 4) {
                const k = (d[p] << 24 | d[p+1] << 16 | d[p+2] << 8 | d[p+3]) >>> 0;
                counts.set(k, (counts.get(k) || 0) + 1);
            }
            let bg = 0, best = -1;
            for (const [k, n] of counts) if (n > best) { best = n; bg = k; }
            const bgc = [bg >>> 24, (bg >>> 16) & 255, (bg >>> 8) & 255, bg & 255];
            const isInk = (p) => Math.abs(d[p] - bgc[0]) + Math.abs(d[p+1] - bgc[1])
                               + Math.abs(d[p+2] - bgc[2]) + Math.abs(d[p+3] - bgc[3]) > 40;
            const sx = c.width / r.width, sy = c.height / r.height;
            let total = 0;
            for (let p = 0; p < d.length; p += 4) if (isInk(p)) total++;
            const x0 = Math.max(0, Math.floor((xFrom - r.left) * sx));
            const rows = ys.map(y => {
                const cy = Math.round((y - r.top) * sy);
                let n = 0;
                for (let yy = Math.max(0, cy - 3); yy <= Math.min(c.height - 1, cy + 3); yy++)
                    for (let x = x0; x < c.width; x++) if (isInk((yy * c.width + x) * 4)) n++;
                return n;
            });
            return {rows, total, size: c.width * c.height, width: c.width, height: c.height,
                    colours: counts.size};
        }""",
            [rows_y, x_from],
        )


@pytest.fixture
def nb(shared_page):
    """The module's executed widget notebook in this UI (opened and run on first use;
    a failure to do so is remembered and fails every test of that UI at once)."""
    cache = shared_page.cache
    if "nb" not in cache:
        try:
            notebook = harness.Notebook(
                shared_page.page,
                shared_page.guard,
                shared_page.server,
                "timeline-widgets.ipynb",
                CELLS,
            )
            notebook.open()
            notebook.run_all()
            notebook.info = notebook.last_json(INFO)
            assert notebook.info["script_event"], notebook.info
            notebook.initial = notebook.last_json(STATE)  # every widget's traits, untouched
            cache["nb"] = notebook
        except Exception as exc:  # noqa: BLE001 - reported by every test of this UI
            cache["nb"] = exc
    got = cache["nb"]
    if isinstance(got, BaseException):
        pytest.fail(
            f"the widget notebook did not open and run: {type(got).__name__}: {got}", pytrace=False
        )
    return got


def python_state(nb, name: str) -> dict:
    """Widget `name`'s traits as the kernel sees them (runs the STATE cell again)."""
    nb.rerun(STATE)
    return nb.last_json(STATE)[name]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"not a PNG: {data[:16]!r}"
    assert data[12:16] == b"IHDR", data[:32]
    return struct.unpack(">II", data[16:24])


# -------------------------------------------------------------------------------- tests


def test_widget_appears_and_draws_lanes(nb, ui, screenshots, request):
    info = nb.info
    tl = Timeline(nb, TRACED).wait_drawn()  # the default view of %%asynctrace
    tl.shot(screenshots, request.node.name)
    lanes = info["lanes"]
    # data-lanes counts the lanes drawn in view; this program has at least four: the
    # cell's task, two worker tasks and the loop's idle time
    assert len(lanes) >= int(tl.attr("data-lanes")) >= 4, (tl.attr("data-lanes"), lanes)
    assert float(tl.attr("data-first-frame-ms")) > 0
    assert tl.hook("legend").is_visible()
    assert tl.hook("truncated").count() == 0 or not tl.hook("truncated").is_visible()
    check_every_lane_has_ink(tl, info)

    truncated = Timeline(nb, TRUNCATED).wait_drawn()
    assert truncated.hook("truncated").is_visible()
    assert "truncat" in truncated.hook("truncated").inner_text().lower()


def check_every_lane_has_ink(tl: Timeline, info: dict) -> None:
    """Every lane in view that has events has ink in its row, right of the lane labels."""
    lanes = info["lanes"]
    xs = [p["x"] for p in map(tl.event_xy, range(info["n_events"])) if p]
    drawn = [int(k) for k in info["lane_events"]]
    where = {k: tl.lane_xy(k) for k in drawn}
    drawn = [k for k in drawn if where[k] and where[k].get("visible", True)]
    assert len(drawn) >= 3, (where, lanes)
    ink = tl.ink([where[k]["y"] for k in drawn], min(xs) - 2)
    assert ink["colours"] > 2 and 0 < ink["total"] < 0.9 * ink["size"], ink
    empty = [(lanes[k]["label"], n) for k, n in zip(drawn, ink["rows"]) if n < 4]
    assert not empty, f"lanes without ink on the canvas: {empty}; {ink}"


def test_run_all_records_only_the_cells_own_tasks(nb, ui):
    """Run All queues every cell's execute_request while the %%asynctrace cell awaits;
    the tasks the kernel makes for them are not the cell's and must not become lanes."""
    tasks = nb.info["tasks"]
    (cell,) = nb.info["cell"]  # the cell: one coroutine labelled cell, not a task
    foreign = [label for _id, label, parent in tasks if parent != cell]
    assert foreign == [], tasks
    assert len(tasks) == 2, tasks  # the cell's two workers


def test_tooltip_shows_the_value_as_text(nb, ui, shared_page):
    page = nb.page
    tl = Timeline(nb, WIDGET["tooltip"]).wait_drawn()
    if nb.initial["tooltip"]["clock"] == "wall":
        # in wall-clock time the pipeline's events are microseconds apart, one on top of
        # the other; in step time each has its own x
        tl.hook("clock-toggle").click()
    scripts_before = page.evaluate("() => document.querySelectorAll('script').length")
    p = tl.event_xy(nb.info["script_event"][0])
    page.mouse.move(p["x"] - 30, p["y"] - 30)
    page.mouse.move(p["x"], p["y"], steps=4)
    tip = tl.hook("timeline-tooltip")
    tip.wait_for(state="visible")
    page.wait_for_function(
        "([el, s]) => el.textContent.includes(s)",
        arg=[tip.element_handle(), SCRIPT],
        timeout=10_000,
    )
    assert SCRIPT in tip.text_content()
    html = tip.inner_html()
    assert "<script" not in html and "&lt;script&gt;" in html, html
    assert tip.evaluate("el => el.querySelector('script')") is None
    page.wait_for_timeout(300)  # a dialog would have opened by now
    assert page.evaluate("() => document.querySelectorAll('script').length") == scripts_before
    assert (
        page.evaluate("s => [...document.scripts].some(e => e.textContent.includes(s))", "alert(1)")
        is False
    )
    assert shared_page.guard.dialogs == []


def test_clicking_a_lane_sets_the_selection_seen_from_python(nb, ui):
    tl = Timeline(nb, WIDGET["select"]).wait_drawn()
    assert nb.initial["select"]["selection"] == -1
    # the lane of a task the cell created (a worker's), not the cell's own lane
    (cell,) = nb.info["cell"]
    workers = {t[0] for t in nb.info["tasks"] if t[2] == cell}
    lane = next(lane for lane in nb.info["lanes"] if lane["object"] in workers)
    p = tl.lane_xy(lane["id"])
    nb.page.mouse.click(p["x"], p["y"])
    assert python_state(nb, "select")["selection"] == lane["object"], (lane, nb.info["labels"])


def test_stepping_moves_the_cursor_state(nb, ui):
    tl = Timeline(nb, WIDGET["step"]).wait_drawn()
    state = tl.hook("cursor-state")
    start = nb.initial["step"]["cursor"]
    seen = [state.inner_text()]
    for _ in range(3):
        tl.hook("step-forward").click()
        nb.page.wait_for_function(
            "([el, old]) => el.innerText !== old",
            arg=[state.element_handle(), seen[-1]],
            timeout=5_000,
        )
        seen.append(state.inner_text())
    assert len(set(seen)) == 4, seen
    tl.hook("step-back").click()
    nb.page.wait_for_function(
        "([el, old]) => el.innerText === old", arg=[state.element_handle(), seen[2]], timeout=5_000
    )
    cursor = python_state(nb, "step")["cursor"]
    assert cursor != start and 0 <= cursor < nb.info["n_events"], (start, cursor)


def _deviation(xs: list[float], idx: list[int]) -> float:
    """How far positions xs of events idx are from evenly spaced by index (px)."""
    per = (xs[-1] - xs[0]) / (idx[-1] - idx[0])
    return max(abs(x - (xs[0] + (i - idx[0]) * per)) for x, i in zip(xs, idx))


def test_clock_toggle_changes_the_layout(nb, ui):
    tl = Timeline(nb, WIDGET["clock"]).wait_drawn()
    n = nb.info["n_events"]
    sample = sorted({0, n // 4, n // 2, 3 * n // 4, n - 1, nb.info["script_event"][0]})
    clock = nb.initial["clock"]["clock"]
    before = [tl.event_xy(i)["x"] for i in sample]
    tl.hook("clock-toggle").click()
    nb.page.wait_for_function(
        "([el, idx, xs]) => idx.some((i, k) =>"
        " Math.abs(el.__asyncviz.eventPosition(i).x - xs[k]) > 5)",
        arg=[tl.root.element_handle(), sample, before],
        timeout=5_000,
    )
    after = [tl.event_xy(i)["x"] for i in sample]
    toggled = python_state(nb, "clock")["clock"]
    assert {clock, toggled} == {"wall", "step"}, (clock, toggled)
    step, wall = (after, before) if toggled == "step" else (before, after)
    # step time: every event the same width; wall-clock time: the 20-50 ms pauses show
    assert _deviation(step, sample) <= 1.5, (sample, step)
    assert _deviation(wall, sample) > 10, (sample, wall)


def test_zoom_buttons_and_reset(nb, ui):
    tl = Timeline(nb, WIDGET["zoom"]).wait_drawn()
    a, b = nb.info["script_event"][0], nb.info["n_events"] - 1

    def span():
        return abs(tl.event_xy(a)["x"] - tl.event_xy(b)["x"])

    tl.hook("reset").click()
    nb.page.wait_for_timeout(100)
    base = span()
    tl.hook("zoom-in").click()
    nb.page.wait_for_timeout(100)
    zoomed = span()
    assert zoomed > base * 1.2, (base, zoomed)
    tl.hook("zoom-out").click()
    tl.hook("zoom-out").click()
    nb.page.wait_for_timeout(100)
    assert span() < zoomed, (base, zoomed, span())
    assert float(tl.attr("data-last-redraw-ms")) >= 0
    tl.hook("reset").click()
    nb.page.wait_for_timeout(100)
    assert abs(span() - base) <= 1, (base, span())


def test_wheel_scrolls_the_page_until_the_timeline_is_focused(nb, ui):
    tl = Timeline(nb, WIDGET["zoom"]).wait_drawn()
    a, b = nb.info["script_event"][0], nb.info["n_events"] - 1

    def span():
        return abs(tl.event_xy(a)["x"] - tl.event_xy(b)["x"])

    page = nb.page
    tl.hook("reset").click()
    page.mouse.move(0, 0)  # leave the widget: a click engages the wheel only until then

    def centre():
        box = tl.hook("timeline-canvas").bounding_box()
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    base = span()
    cx, cy = centre()
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, 120)  # passing over the widget while scrolling the notebook
    page.wait_for_timeout(200)
    assert abs(span() - base) <= 1, "an unfocused timeline took the page's scroll"
    assert centre()[1] < cy - 20, "the notebook did not scroll"
    cx, cy = centre()
    page.mouse.click(cx, cy)
    page.mouse.wheel(0, -240)
    page.wait_for_timeout(200)
    assert span() > base * 1.2, (base, span())
    tl.hook("reset").click()


def test_export_downloads_a_png(nb, ui):
    tl = Timeline(nb, WIDGET["export"]).wait_drawn()
    with nb.page.expect_download(timeout=15_000) as download:
        tl.hook("export").click()
    d = download.value
    assert d.suggested_filename.lower().endswith(".png"), d.suggested_filename
    data = Path(d.path()).read_bytes()
    width, height = png_size(data)
    assert width >= 100 and height >= 50 and len(data) > 1000, (width, height, len(data))


def test_no_request_leaves_localhost(nb, ui, shared_page):
    """Everything the widget can do, offline: the guard has aborted and recorded any
    request that is not the local server, data: or blob: — during this test, and since
    the notebook was opened."""
    tl = Timeline(nb, WIDGET["offline"]).wait_drawn()
    p = tl.event_xy(nb.info["script_event"][0])
    nb.page.mouse.move(p["x"], p["y"], steps=3)
    for button in (
        "zoom-in",
        "zoom-out",
        "reset",
        "clock-toggle",
        "step-forward",
        "step-back",
        "play",
        "play",
    ):
        tl.hook(button).click()
    with nb.page.expect_download(timeout=15_000):
        tl.hook("export").click()
    nb.page.wait_for_timeout(500)
    assert shared_page.guard.blocked == [], shared_page.guard.blocked
    requests = nb.page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    outside = [
        u for u in requests if not re.match(rf"^(data:|blob:|{re.escape(nb.server.url)}/)", u)
    ]
    assert outside == [], outside
