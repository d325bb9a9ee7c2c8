"""The main job's HTML handouts: self-contained, pictures included, readable offline.

Three layers:
- the builder (scripts/handout.py) on a small notebook made here, with real widget outputs:
  no kernel, every Python;
- per workshop notebook (`kernel`): the handout the main job's own run_one wrote next to the
  executed notebook (tests/workshop/harness.py runs each notebook once per session) loads
  nothing from outside and holds a picture for every traced cell that shows one;
- per workshop notebook (`browser`, only with ASYNCVIZ_BROWSER=1): the handout opened from
  disk in Debian's headless Chromium with every request but the file itself blocked and
  recorded; no request attempted, every <img> decoded, the traced cells' pictures there,
  the <details> answers opening, no console error; the first screen kept as
  $ASYNCVIZ_SCREENSHOTS/handout-<stem>.png.
"""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

import nbformat
import pytest

from .handout_checks import (
    BROWSER_VAR,
    browser_enabled,
    expected_pictures,
    handout_module,
    images_by_section,
    screenshot_dir,
)
from .harness import NOTEBOOKS, _runner, executed

handout = handout_module()
STEMS = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


# ----------------------------------------------------------------------------- the builder


def _record():
    import asyncviz

    def countdown(n):
        while n:
            yield n
            n -= 1

    with asyncviz.trace() as trace:
        list(countdown(2))
    return trace


TINY_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'width="40pt" height="20pt"><rect width="40" height="20" fill="#0072B2"/></svg>'
)


def _small_notebook(tmp_path: Path):
    """A notebook as the kernel leaves it: a traced cell with --view all (the timeline's
    and the state machine's widget outputs, each with its static fallback), a summary
    table, a JavaScript output, the widget state in the metadata, Markdown with a collapsed
    answer and an image beside the notebook."""
    trace = _record()
    timeline, _ = trace.timeline()._repr_mimebundle_()
    states, _ = trace.states()._repr_mimebundle_()
    states.setdefault("image/svg+xml", TINY_SVG)  # no Graphviz here: the SVG it would draw
    png = base64.b64decode(timeline["image/png"])
    (tmp_path / "beside.png").write_bytes(png)
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python", "version": "3.x"}
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {"x": {"state": {"_esm": "E"}}}}
    }
    code = nbformat.v4.new_code_cell("%%asynctrace --view all --out demo\nlist(countdown(2))")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="hello\n"),
        nbformat.v4.new_output("display_data", data=timeline),
        nbformat.v4.new_output("display_data", data=states),
        nbformat.v4.new_output("display_data", data={"text/html": trace.summary()._repr_html_()}),
        nbformat.v4.new_output(
            "display_data", data={"application/javascript": "document.title = 'ran'"}
        ),
        nbformat.v4.new_output("execute_result", data={"text/plain": "[2, 1]"}, execution_count=2),
    ]
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# 0 · A *small* `handout`\n\nWhat does `next(g)` return?\n\n"
            "<details><summary>Answer</summary>\n\nIt returns **2**.\n</details>\n\n"
            "![a picture beside the notebook](beside.png)"
        ),
        nbformat.v4.new_code_cell("def countdown(n):\n    yield n"),
        code,
        nbformat.v4.new_code_cell("%%asynctrace --view none\nlist(countdown(1))"),
    ]
    export_dir = tmp_path / "out"
    export_dir.mkdir()
    for suffix in (".png", ".avz", ".states.svg"):
        (export_dir / f"demo{suffix}").write_bytes(b"x")
    return nb, export_dir


def test_builder_writes_a_page_that_loads_nothing(tmp_path):
    nb, export_dir = _small_notebook(tmp_path)
    page = handout.write_handout(
        nb, export_dir / "small.html", notebook_dir=tmp_path, export_dir=export_dir
    ).read_text(encoding="utf-8")

    assert handout.external_references(page) == []
    for tag in re.findall(r"<(?:script|link)\b[^>]*>", page):  # no script or link points anywhere
        assert not re.search(r"\b(?:src|href)\s*=", tag), tag
    assert "http" not in " ".join(re.findall(r"<script\b[^>]*>", page))
    for gone in ("require.js", "require.min.js", "MathJax", "mermaid", "widget-state", "_esm"):
        assert gone not in page, gone
    assert "document.title = 'ran'" not in page  # JavaScript outputs are not run
    # every picture embedded: the timeline's PNG, the state machine's SVG, the Markdown image
    sources = re.findall(r'<img\b[^>]*\bsrc="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/") for s in sources), sources
    assert sum(s.startswith("data:image/png;base64,") for s in sources) == 2
    assert sum(s.startswith("data:image/svg+xml;base64,") for s in sources) == 1
    # the traced cell: marked with its name, view and exported files (links, not loads)
    sections = images_by_section(page)
    assert sections == {"demo": 2}, sections
    assert 'data-view="all"' in page and 'id="out-demo"' in page
    assert re.findall(r'<a href="(demo[^"]*)"', page) == ["demo.png", "demo.states.svg", "demo.avz"]
    # the text stays: title, the collapsed answer with Markdown inside, the summary table
    assert "<title>0 · A small handout</title>" in page
    assert re.search(r"<details><summary>Answer</summary>\s*<p>It returns <strong>2", page)
    assert "asyncviz-summary" in page and "hello" in page
    assert 'addEventListener("beforeprint"' in page


def test_builder_refuses_a_page_that_would_load_something(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("![remote](https://example.com/x.png)")]
    with pytest.raises(ValueError, match="example.com"):
        handout.write_handout(nb, tmp_path / "remote.html", notebook_dir=tmp_path)
    assert not (tmp_path / "remote.html").exists()


def test_external_references_lists_what_a_browser_would_fetch():
    page = """<html><head>
    <script src="https://cdn.example/require.js"></script><script>var a = "http://x";</script>
    <link rel="stylesheet" href="//fonts.example/css"><link rel="icon" href="data:,">
    <style>@import "https://a.example/b.css"; .x { background: url(http://c.example/d.png) }
    .y { background: url(data:image/png;base64,AAAA) }</style></head>
    <body><img src="local.png"><img src="data:image/png;base64,AAAA">
    <img srcset="data:image/png;base64,AA 1x, big.png 2x">
    <a href="https://docs.python.org/3/">docs</a><a href="#top">top</a>
    <div style="background-image: url('https://e.example/f.png')"></div>
    <iframe src="https://g.example/"></iframe><svg><image href="h.png"/></svg></body></html>"""
    found = handout.external_references(page)
    assert found == [
        "<script src=https://cdn.example/require.js>",
        "<link href=//fonts.example/css>",
        "<style> https://a.example/b.css",
        "<style> http://c.example/d.png",
        "<img src=local.png>",
        "<img srcset=big.png>",
        "<div style> https://e.example/f.png",
        "<iframe src=https://g.example/>",
        "<image href=h.png>",
    ]


def test_traced_options_reads_out_and_view():
    read = handout.traced_options
    assert read("x = 1") is None
    assert read("%%asynctrace\nx") == {"out": None, "view": "timeline"}
    assert read("%%asynctrace --out rr") == {"out": "rr", "view": "timeline"}
    assert read("%%asynctrace --view all --out=avg\n") == {"out": "avg", "view": "all"}
    assert read("%%asynctrace --thread --out 'q' --view=states") == {"out": "q", "view": "states"}


# --------------------------------------------------------------- the workshop's handouts


def _handout(stem: str):
    run = executed(stem)
    path = run.out_dir / f"{stem}.html"
    assert path.is_file(), f"the main job wrote no handout {path.name}"
    return run, path


@pytest.mark.kernel
@pytest.mark.parametrize("stem", STEMS)
def test_handout_is_self_contained(stem):
    run, path = _handout(stem)
    page = path.read_text(encoding="utf-8")
    assert handout.external_references(page) == []
    assert "widget-state+json" not in page and "require" not in re.findall(r"<script[^>]*>", page)
    found = images_by_section(page)
    for out, (view, least) in expected_pictures(run).items():
        assert found.get(out, 0) >= least, (
            f"{stem}: the cell --out {out} (--view {view}) shows {found.get(out, 0)} embedded "
            f"pictures in the handout, expected at least {least}"
        )
    # every traced cell named with --out left its exports beside the handout
    for out in expected_pictures(run):
        assert (run.out_dir / f"{out}.avz").is_file() and (run.out_dir / f"{out}.png").is_file()


# ------------------------------------------------------------------------ in a browser

BROWSER = pytest.mark.skipif(
    not browser_enabled(),
    reason=(
        f"browser layer not enabled on Python {'%d.%d' % sys.version_info[:2]}: it runs where "
        f"{BROWSER_VAR}=1 (scripts/test.sh sets it for Python 3.12 only)"
    ),
)


@pytest.fixture(scope="module")
def chromium():
    from ..browser import harness as browser

    missing = browser.missing_chromium()
    if missing:
        pytest.fail(f"{BROWSER_VAR}=1 requires the browser layer, but {missing}", pytrace=False)
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        chrome = browser.launch_chromium(pw)
    except Exception as exc:  # noqa: BLE001 - say which binary failed, loudly
        pw.stop()
        pytest.fail(f"could not launch {browser.CHROMIUM}: {exc}", pytrace=False)
    yield chrome
    chrome.close()
    pw.stop()


class Offline:
    """One page that may load its own file and nothing else: every other request (and any
    websocket) is aborted and recorded, console errors and uncaught exceptions recorded."""

    def __init__(self, chrome, url: str):
        self.url = url
        self.attempted: list[str] = []
        self.errors: list[str] = []
        self.context = chrome.new_context(
            viewport={"width": 1280, "height": 800}, service_workers="block"
        )
        self.context.route("**/*", self._route)
        self.context.route_web_socket(re.compile(".*"), self._websocket)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def _route(self, route):
        if route.request.url == self.url:
            route.continue_()
        else:
            self.attempted.append(route.request.url)
            route.abort("blockedbyclient")

    def _websocket(self, ws):
        self.attempted.append(ws.url)
        ws.close()


IMAGES = """() => Array.from(document.images, (img) => ({
  src: img.currentSrc.slice(0, 40),
  complete: img.complete,
  width: img.naturalWidth,
  out: img.closest("section.avz-traced")?.dataset.out ?? null,
}))"""


@pytest.mark.browser
@pytest.mark.kernel
@BROWSER
@pytest.mark.parametrize("stem", STEMS)
def test_handout_in_chromium_offline(stem, chromium):
    run, path = _handout(stem)
    offline = Offline(chromium, path.resolve().as_uri())
    try:
        offline.page.goto(offline.url, wait_until="load")
        images = offline.page.evaluate(IMAGES)
        folder = screenshot_dir()
        folder.mkdir(parents=True, exist_ok=True)
        offline.page.screenshot(path=str(folder / f"handout-{stem}.png"))
        summaries = offline.page.locator("details > summary")
        if summaries.count():  # a collapsed answer opens on a click, and shows what it holds
            details = offline.page.locator("details").first
            assert details.evaluate("d => d.open") is False
            summaries.first.click()
            assert details.evaluate(
                "d => d.open && d.scrollHeight > d.firstElementChild.scrollHeight"
            )
        offline.page.evaluate("() => dispatchEvent(new Event('beforeprint'))")  # paper: all open
        assert offline.page.evaluate(
            "() => [...document.querySelectorAll('details')].every(d => d.open)"
        )
    finally:
        offline.context.close()

    assert offline.attempted == [], f"{stem}: the handout tried to load {offline.attempted}"
    assert offline.errors == [], f"{stem}: console errors {offline.errors}"
    broken = [i for i in images if not (i["complete"] and i["width"] > 0)]
    assert images and not broken, f"{stem}: images that did not load: {broken}"
    shown: dict[str, int] = {}
    for img in images:
        if img["out"]:
            shown[img["out"]] = shown.get(img["out"], 0) + 1
    for out, (view, least) in expected_pictures(run).items():
        assert shown.get(out, 0) >= least, (
            f"{stem}: --out {out} (--view {view}) shows {shown.get(out, 0)} pictures in the "
            f"browser, expected at least {least}"
        )


# ------------------------------------------------------------------------ the main job


def _notebook(path: Path, *sources: str, **metadata) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata.update(metadata)
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def test_select_names_stems_files_and_paths(tmp_path):
    runner = _runner()
    a = _notebook(tmp_path / "01_a.ipynb")
    b = _notebook(tmp_path / "02_b.ipynb", asyncviz={"run_alone": True})
    (tmp_path / "notes.txt").write_text("not a notebook")
    assert runner.select(tmp_path, []) == ([a, b], [])
    assert runner.select(tmp_path, ["02_b", "01_a.ipynb"]) == ([a.resolve(), b.resolve()], [])
    assert runner.select(tmp_path, [str(b), "03_c", "notes.txt"]) == (
        [b.resolve()],
        ["03_c", "notes.txt"],
    )
    assert [runner.runs_alone(p) for p in (a, b)] == [False, True]


@pytest.mark.kernel
def test_main_job_prints_what_it_wrote_and_fails_on_a_failing_notebook(
    tmp_path, monkeypatch, capsys
):
    """Three notebooks, two at a time (the third asks to run alone): every file written
    listed relative to the working directory, a handout per notebook (also the failing
    one's), the failure named with its cell and error, exit status 1."""
    runner = _runner()
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    gen = "def countdown(n):\n    while n:\n        yield n\n        n -= 1"
    _notebook(
        notebooks / "01_ok.ipynb",
        "%load_ext asyncviz",
        gen,
        "%%asynctrace --view all --out countdown\nlist(countdown(2))",
    )
    _notebook(notebooks / "02_fails.ipynb", "x = 1", "1 / 0")
    _notebook(
        notebooks / "03_alone.ipynb",
        "%load_ext asyncviz",
        gen,
        "%%asynctrace --out alone\nlist(countdown(1))",
        asyncviz={"run_alone": True},
    )
    monkeypatch.chdir(tmp_path)
    status = runner.main(["--notebooks", str(notebooks), "--out", "out", "--jobs", "2"])
    captured = capsys.readouterr()
    lines = captured.out.splitlines()

    assert status == 1
    for stem in ("01_ok", "02_fails", "03_alone"):
        for suffix in (".ipynb", ".html"):
            assert f"out/{stem}/{stem}{suffix}" in lines, (stem, suffix)
    assert "out/01_ok/countdown.png" in lines and "out/03_alone/alone.avz" in lines
    listed = [line for line in lines if line.startswith("out/")]
    written = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "out").rglob("*"))
    assert listed == [w for w in written if (tmp_path / w).is_file()]
    assert re.search(r"^workshop: 2 passed, 1 failed in \d+ s; \d+ files under out/", lines[-1])
    assert "FAILED 02_fails.ipynb: cell 3 raised ZeroDivisionError" in captured.err
    failed_page = (tmp_path / "out/02_fails/02_fails.html").read_text(encoding="utf-8")
    assert "ZeroDivisionError" in failed_page and handout.external_references(failed_page) == []
    assert images_by_section((tmp_path / "out/01_ok/01_ok.html").read_text()) == {"countdown": 2}
