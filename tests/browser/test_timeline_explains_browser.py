"""The timeline explains (issue 9), in a real browser, in JupyterLab and in Notebook 7: a
fold of 2,000 tasks unfolds on click and folds back; the search box filters lanes by
label, says how many it found and Escape clears it; failure markers (raise, throw,
cancel) are drawn at the default zoom; named waits are written on the canvas; the
exported PNG is at least 1,920 px wide with its title drawn in; the presentation size
fits a projector (1024×768 at 150 % zoom) without cutting labels or wrapping the help
line, and is kept in the widget's state.

One notebook per UI, run once for the module (the `shared_page` fixture fails a test
during which a request left localhost, a dialog opened or the page logged an error);
the projector test opens its own page at the projector's size.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from . import harness
from .test_timeline_browser import Timeline, png_size

pytestmark = pytest.mark.browser

SETUP = "%load_ext asyncviz\nimport asyncio, json, sys, time\nwidgets = {}"
FOLD = """%%asynctrace --view none --out fold_trace
async def work(n):
    await asyncio.sleep(0)
    return n

await asyncio.gather(*(work(i) for i in range(2000)))"""
FAIL = """%%asynctrace --view none --out fail_trace
async def bad():
    await asyncio.sleep(0.01)
    raise KeyError("boom")

async def sibling(n):
    await asyncio.sleep(1)

try:
    async with asyncio.TaskGroup() as tg:
        tg.create_task(sibling(1))
        tg.create_task(sibling(2))
        tg.create_task(bad())
except* KeyError:
    pass"""
ROBIN = """%%asynctrace --view none --out robin_trace
def worker(name, n):
    for i in range(n):
        yield f"{name}{i}"

ready = [worker("a", 3), worker("b", 2), worker("c", 4)]
while ready:
    w = ready.pop(0)
    try:
        next(w)
    except StopIteration:
        continue
    ready.append(w)"""
# waits named as the recording names them: a timer and a queue, recorded in the cell
NAMED = """%%asynctrace --view none --out named_trace
async def sleeper(q):
    await asyncio.sleep(0.01)
    await q.put("done")

q = asyncio.Queue()
await asyncio.gather(sleeper(q), q.get())"""
INFO = """_lanes = fold_trace.lanes()
_label = {o.id: o.label for o in fold_trace.objects}
def _found(q):
    return sum(q in '\\n'.join([l.label] + [_label[i] for r in l.rows for i in r]).lower()
               for l in _lanes)
_fail = fail_trace.events
_robin = robin_trace.lanes()
_rows = {robin_trace.objects[i].label: [lane.id, sum(len(x.rows) for x in _robin[:lane.id]) + k]
         for lane in _robin for k, row in enumerate(lane.rows) for i in row}
print(json.dumps({
    "robin": {k: v for k, v in _rows.items() if k.startswith("worker")},
    "robin_ids": {o.label: o.id for o in robin_trace.objects},
    "fold_lanes": len(_lanes),
    "groups": sorted({l.group for l in _lanes if l.group is not None}),
    "work_lanes": sum(l.function == "work" for l in _lanes),
    "found_work19": _found("work#19"),
    "alarms": [[i, e.kind] for i, e in enumerate(_fail) if e.kind in ("raise", "throw", "cancel")],
}))"""
WIDGETS = ("fold", "search", "fail", "named", "export", "robin")
TRACES = {
    "fold": "fold_trace",
    "search": "fold_trace",
    "fail": "fail_trace",
    "named": "named_trace",
    "export": "fail_trace",
    "robin": "robin_trace",
}
CELLS = [
    SETUP,
    FOLD,
    FAIL,
    ROBIN,
    NAMED,
    INFO,
    *(f"widgets[{w!r}] = {TRACES[w]}.timeline()\nwidgets[{w!r}]" for w in WIDGETS),
    "print(json.dumps({k: {'unfolded': w.unfolded, 'presentation': w.presentation,"
    " 'selection': w.selection} for k, w in widgets.items()}))",
]
INFO_CELL = 5
WIDGET = {name: 6 + k for k, name in enumerate(WIDGETS)}
STATE = 6 + len(WIDGETS)


@pytest.fixture
def nb(shared_page):
    cache = shared_page.cache
    if "nb" not in cache:
        try:
            notebook = harness.Notebook(
                shared_page.page, shared_page.guard, shared_page.server, "explains.ipynb", CELLS
            )
            notebook.open()
            notebook.run_all(timeout=240)
            notebook.info = notebook.last_json(INFO_CELL)
            cache["nb"] = notebook
        except Exception as exc:  # noqa: BLE001 - reported by every test of this UI
            cache["nb"] = exc
    got = cache["nb"]
    if isinstance(got, BaseException):
        pytest.fail(
            f"the notebook did not open and run: {type(got).__name__}: {got}", pytrace=False
        )
    return got


def state(nb, name: str) -> dict:
    nb.rerun(STATE)
    return nb.last_json(STATE)[name]


def entries(tl: Timeline) -> list[dict]:
    return tl.root.evaluate("el => el.__asyncviz.entries()")


def click_group(tl: Timeline, g: int) -> None:
    tl.root.scroll_into_view_if_needed()  # a rerun cell below may have scrolled it away
    p = tl.root.evaluate("(el, g) => el.__asyncviz.groupPosition(g)", g)
    assert p and p["visible"], p
    tl.page.mouse.click(p["x"], p["y"])


def test_a_fold_of_2000_tasks_unfolds_on_click(nb, ui):
    info = nb.info
    assert info["work_lanes"] == 2000 and info["groups"] == [0], info
    tl = Timeline(nb, WIDGET["fold"]).wait_drawn()
    folded = entries(tl)
    assert {"kind": "group", "id": 0, "rows": 1} in folded
    assert len(folded) == info["fold_lanes"] - 2000 + 1, folded  # 2,000 lanes in one row
    click_group(tl, 0)
    nb.page.wait_for_function(
        "([el, n]) => el.__asyncviz.entries().length === n",
        arg=[tl.root.element_handle(), len(folded) + 2000],
        timeout=10_000,
    )
    assert state(nb, "fold")["unfolded"] == [0]
    click_group(tl, 0)
    nb.page.wait_for_function(
        "([el, n]) => el.__asyncviz.entries().length === n",
        arg=[tl.root.element_handle(), len(folded)],
        timeout=10_000,
    )
    assert state(nb, "fold")["unfolded"] == []


def test_search_filters_lanes_and_escape_clears_it(nb, ui):
    tl = Timeline(nb, WIDGET["search"]).wait_drawn()
    box = tl.hook("lane-search")
    box.fill("WORK#19")
    want = nb.info["found_work19"]
    assert want == 111  # work#19, work#190..199, work#1900..1999
    nb.page.wait_for_function(
        "([el, n]) => el.dataset.found === String(n)", arg=[tl.root.element_handle(), want]
    )
    total = nb.info["fold_lanes"]
    assert tl.hook("lane-search-count").inner_text() == f"{want} of {total:,}"
    # the group holds every match: it alone is on display, folded, saying how many
    assert entries(tl) == [{"kind": "group", "id": 0, "rows": 1}]
    box.press("Escape")
    nb.page.wait_for_function(
        "([el, n]) => el.dataset.found === String(n)", arg=[tl.root.element_handle(), total]
    )
    assert box.input_value() == "" and tl.hook("lane-search-count").inner_text() == ""
    box.fill("no lane is called this")
    nb.page.wait_for_function("el => el.dataset.found === '0'", arg=tl.root.element_handle())
    assert entries(tl) == []
    box.fill("")


def test_failure_markers_are_drawn_at_the_default_zoom(nb, ui):
    tl = Timeline(nb, WIDGET["fail"]).wait_drawn()
    alarms = nb.info["alarms"]
    kinds = {kind for _, kind in alarms}
    assert {"raise", "throw"} <= kinds, alarms
    missing = tl.root.evaluate(
        """(el, alarms) => {
        const h = el.__asyncviz, drawn = h.frame().alarms;
        const at = drawn.map((j) => h.eventPosition(j));
        const kindOf = new Map(alarms);
        return alarms.filter(([i, kind]) => {
            const p = h.eventPosition(i);
            if (!p || !p.visible) return false;   // not on display: nothing to draw
            return !drawn.some((j, k) => kindOf.get(j) === kind
                && Math.abs(at[k].x - p.x) <= 1.5 && Math.abs(at[k].y - p.y) < 1);
        });
    }""",
        alarms,
    )
    assert missing == [], missing
    assert int(tl.attr("data-alarms")) >= 2
    # and they are there in pixels: the raise colour around the first raise
    first = next(i for i, kind in alarms if kind == "raise")
    p = tl.event_xy(first)
    assert colour_near(tl, p, "#D55E00") > 0


def colour_near(tl: Timeline, p: dict, hex_colour: str) -> int:
    """Pixels of `hex_colour` (±40 per channel) within 6 px of client point p."""
    return tl.root.evaluate(
        """(el, [p, hex]) => {
        const c = el.querySelector('[data-testid=timeline-canvas]');
        const r = c.getBoundingClientRect(), sx = c.width / r.width, sy = c.height / r.height;
        const ctx = c.getContext('2d');
        const x = Math.round((p.x - r.left) * sx), y = Math.round((p.y - r.top) * sy);
        const d = ctx.getImageData(x - 6 * sx, y - 6 * sy, 12 * sx, 12 * sy).data;
        const want = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
        let n = 0;
        for (let k = 0; k < d.length; k += 4) {
            if (want.every((w, j) => Math.abs(d[k + j] - w) <= 40)) n++;
        }
        return n;
    }""",
        [p, hex_colour],
    )


def test_named_waits_are_written_on_the_canvas(nb, ui):
    tl = Timeline(nb, WIDGET["named"]).wait_drawn()
    texts = tl.root.evaluate("el => el.__asyncviz.frame().texts")
    assert "→ sleep(0.01)" in texts, texts
    assert any(t.startswith("→ gather(") for t in texts), texts  # the cell waits for both
    assert not any("Future" in t for t in texts), texts


def test_export_is_a_slide_sized_png_with_its_title(nb, ui):
    tl = Timeline(nb, WIDGET["export"]).wait_drawn()
    with nb.page.expect_download(timeout=15_000) as download:
        tl.hook("export").click()
    data = Path(download.value.path()).read_bytes()
    width, height = png_size(data)
    assert width >= 1920 and height >= 400, (width, height)
    title = tl.attr("data-export-title")
    assert title and title.startswith("asyncviz timeline"), title
    assert "wall clock" in (tl.attr("data-export-range") or "")
    # the title is drawn: ink in the band above the timeline, none in its right half
    band = nb.page.evaluate(
        """async (b64) => {
        const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
        const img = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
        const c = document.createElement('canvas');
        c.width = img.width; c.height = img.height;
        const ctx = c.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const count = (x0, x1) => {
            const d = ctx.getImageData(x0, 10, x1 - x0, 50).data;
            let n = 0;
            for (let k = 0; k < d.length; k += 4) if (d[k] + d[k + 1] + d[k + 2] < 300) n++;
            return n;
        };
        return [count(0, 600), count(img.width - 400, img.width)];
    }""",
        base64.b64encode(data).decode(),
    )
    assert band[0] > 500 and band[1] == 0, band


PROJECTOR_CELLS = [
    "%load_ext asyncviz\nimport asyncio, json\nwidgets = {}",
    """%%asynctrace --view none
async def producer(q):
    for i in range(3):
        await q.put(i)
        await asyncio.sleep(0.002)
    await q.put(None)

async def consumer(q):
    while (item := await q.get()) is not None:
        await asyncio.sleep(0.001)

q = asyncio.Queue(maxsize=1)
await asyncio.gather(producer(q), consumer(q))""",
    "widgets['present'] = _asynctrace.timeline()\nwidgets['present']",
    "print(json.dumps({'presentation': widgets['present'].presentation}))",
]


def test_presentation_size_fits_a_projector(chromium, server, screenshots, ui):
    context, guard = harness.new_context(chromium, server, **harness.PROJECTOR)
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        nb = harness.Notebook(page, guard, server, "projector.ipynb", PROJECTOR_CELLS)
        nb.open().run_all()
        tl = Timeline(nb, 2).wait_drawn()
        assert tl.attr("data-presentation") == "0"
        tl.hook("presentation").click()
        page.wait_for_function(
            "el => el.dataset.presentation === '1'", arg=tl.root.element_handle()
        )
        tl.wait_drawn()
        tl.root.screenshot(path=str(screenshots / f"issue9-presentation-{ui}.png"))
        fit = tl.root.evaluate(
            """el => {
            const help = el.querySelector('[data-testid=help]');
            const size = parseFloat(getComputedStyle(help).fontSize);
            const buttons = [...el.querySelectorAll('.avz-btn')];
            return {
                helpLines: help.getBoundingClientRect().height / (size * 1.2),
                help: help.textContent,
                fontSize: size,
                cut: el.__asyncviz.frame().cut,
                overflow: el.scrollWidth - el.clientWidth,
                buttonsCut: buttons.filter((b) => b.scrollWidth > b.clientWidth + 1).length,
                scale: el.__asyncviz.state().scale,
                width: el.getBoundingClientRect().width,
            };
        }"""
        )
        assert fit["scale"] > 1 and fit["fontSize"] >= 14, fit
        assert fit["helpLines"] < 1.5, fit  # one line
        assert fit["cut"] == 0 and fit["buttonsCut"] == 0 and fit["overflow"] <= 0, fit
        nb.rerun(3)
        assert nb.last_json(3) == {"presentation": True}  # kept in the widget's state
        problems = guard.problems()
        assert not problems, problems
    finally:
        context.close()
        server.shutdown_session("projector.ipynb")  # the module's own notebook runs on


def test_clicking_a_row_selects_the_worker_drawn_there(nb, ui):
    robin = nb.info["robin"]
    # three workers alive at once: one lane, a row each
    assert len({lane for lane, _ in robin.values()}) == 1, robin
    assert len({row for _, row in robin.values()}) == 3, robin
    tl = Timeline(nb, WIDGET["robin"]).wait_drawn()
    _, row = robin["worker#2"]
    p = tl.root.evaluate("(el, r) => el.__asyncviz.rowPosition(r)", row)
    assert p and p["visible"], p
    nb.page.mouse.click(p["x"], p["y"])
    assert state(nb, "robin")["selection"] == nb.info["robin_ids"]["worker#2"]


def test_state_keeps_presentation_off_and_folds_closed_by_default(nb, ui):
    assert state(nb, "named") == {"unfolded": [], "presentation": False, "selection": -1}
    assert json.loads(json.dumps(nb.info["groups"])) == [0]


def test_home_key_and_button_return_to_the_first_view(nb, ui):
    tl = Timeline(nb, WIDGET["fail"]).wait_drawn()

    def view():
        s = tl.root.evaluate("el => el.__asyncviz.state()")
        return round(s["x0"], 3), round(s["k"], 9), s["scrollY"]

    first = view()
    box = tl.hook("timeline-canvas").bounding_box()
    nb.page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    for _ in range(3):
        tl.hook("zoom-in").click()
    tl.root.evaluate("el => el.__asyncviz.pan(-80, 0)")
    assert view() != first
    tl.root.focus()
    nb.page.keyboard.press("Home")
    nb.page.wait_for_function(
        "([el, x0]) => Math.abs(el.__asyncviz.state().x0 - x0) < 1e-3",
        arg=[tl.root.element_handle(), first[0]],
        timeout=5_000,
    )
    assert view() == first
    tl.hook("zoom-in").click()
    assert view() != first
    tl.hook("reset").click()
    nb.page.wait_for_timeout(100)
    assert view() == first
