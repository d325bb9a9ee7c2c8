"""Browser layer: JupyterLab and Notebook 7 in Debian's headless Chromium (TESTING.md).

Runs only where ASYNCVIZ_BROWSER=1 (scripts/test.sh sets it for one Python, 3.12);
elsewhere every browser test is skipped with the reason shown in the -ra summary.  Where
it is set, a missing Chromium or Playwright package fails the tests instead of skipping.

Session: one `jupyter lab` and one `jupyter notebook` server (see harness.JupyterServer
for why not one for both), started together without Graphviz on PATH, and one Chromium.
Per test: a fresh browser context and page, with every non-local request blocked and
failing the test at teardown, console errors failing it too, and a full-page screenshot
into $ASYNCVIZ_SCREENSHOTS (default out/screenshots/), whose path is printed at the end.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

from . import harness

REPO = Path(__file__).resolve().parents[2]
ENABLE_VAR = "ASYNCVIZ_BROWSER"
SHOTS_VAR = "ASYNCVIZ_SCREENSHOTS"
_SHOTS: list[Path] = []
_TIMES: dict[str, float] = {}


def browser_enabled() -> bool:
    return os.environ.get(ENABLE_VAR, "") == "1"


def screenshot_dir() -> Path:
    return Path(os.environ.get(SHOTS_VAR) or REPO / "out" / "screenshots").resolve()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        f"browser: drives JupyterLab / Notebook 7 in headless Chromium "
        f"(runs only with {ENABLE_VAR}=1)",
    )


def pytest_collection_modifyitems(config, items):
    if browser_enabled():
        return
    v = "%d.%d" % sys.version_info[:2]
    skip = pytest.mark.skip(
        reason=(
            f"browser layer not enabled on Python {v}: it runs where {ENABLE_VAR}=1 "
            f"(scripts/test.sh sets it for Python 3.12 only)"
        )
    )
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _SHOTS:
        return
    tr = terminalreporter
    tr.write_sep("-", "browser layer")
    if _TIMES:
        tr.write_line("startup: " + ", ".join(f"{k} {v:.1f} s" for k, v in _TIMES.items()))
    tr.write_line(f"browser screenshots ({len(_SHOTS)}): {screenshot_dir()}")


# ------------------------------------------------------------------------------ session


@pytest.fixture(scope="package")
def browser_workdir(tmp_path_factory):
    if not browser_enabled():  # only reachable when a test is run despite the skip
        pytest.skip(f"{ENABLE_VAR}=1 not set")
    missing = harness.missing_chromium()
    if missing:
        pytest.fail(f"{ENABLE_VAR}=1 requires the browser layer, but {missing}", pytrace=False)
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="package")
def jupyter_servers(browser_workdir):
    """{"lab": JupyterServer, "notebook7": JupyterServer}, launched in parallel, with
    Graphviz's programs hidden from them and their kernels: the widgets must work on a
    laptop without Graphviz (the states widget then lays its diagrams out in the browser)."""
    servers = {
        ui: harness.JupyterServer(browser_workdir / ui, ui, hide=harness.GRAPHVIZ)
        for ui in harness.UIS
    }
    try:
        for s in servers.values():
            s.launch()
        for ui, s in servers.items():
            s.wait_ready()
            _TIMES[f"{ui} server"] = s.started_in
    except harness.ServerError as exc:
        for s in servers.values():
            s.stop()
        pytest.fail(str(exc), pytrace=False)
    yield servers
    for s in servers.values():
        s.stop()


@pytest.fixture(scope="package")
def chromium(browser_workdir):
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    pw = sync_playwright().start()
    try:
        browser = harness.launch_chromium(pw)
    except Exception as exc:  # noqa: BLE001 - say which binary failed, loudly
        pw.stop()
        pytest.fail(f"could not launch {harness.CHROMIUM}: {exc}", pytrace=False)
    _TIMES["chromium"] = time.perf_counter() - t0
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture(scope="package")
def screenshots():
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / ".asyncviz-screenshots"
    if marker.exists():  # a folder this fixture made before: drop the last run's images
        for old in folder.glob("*.png"):
            old.unlink()
    marker.touch()
    return folder


# --------------------------------------------------------------------------------- test


@pytest.fixture(params=harness.UIS)
def ui(request):
    """Each test that takes `ui` runs once in JupyterLab and once in Notebook 7."""
    return request.param


@pytest.fixture
def server(jupyter_servers, ui):
    return jupyter_servers[ui]


def _test_name(request) -> str:
    module = request.node.module.__name__.rsplit(".", 1)[-1]
    return re.sub(r"[^\w.\[\]-]+", "_", f"{module}.{request.node.name}")


def _screenshot(pages, folder: Path, name: str) -> None:
    for k, p in enumerate(pages):
        path = folder / (f"{name}.png" if k == 0 else f"{name}.{k}.png")
        try:
            p.screenshot(path=str(path), full_page=True)
            _SHOTS.append(path)
        except Exception as exc:  # noqa: BLE001 - a failed screenshot must not hide the test
            print(f"screenshot {path} failed: {exc}")


@pytest.fixture
def browser_context(chromium, server, screenshots, request):
    """(context, guard) for one test.  At teardown: a screenshot, the test's kernels shut
    down, then failure if anything tried to leave localhost, a dialog opened, or the page
    logged an error (the one Notebook 7 message TESTING.md names is ignored)."""
    context, guard = harness.new_context(chromium, server)
    context.set_default_timeout(20_000)
    yield context, guard
    _screenshot(context.pages, screenshots, _test_name(request))
    context.close()
    server.shutdown_kernels()
    problems = guard.problems()
    if problems:
        pytest.fail(f"{server.ui}: " + "\n".join(problems), pytrace=False)


class SharedPage:
    """A page kept for a whole test module (per UI), for tests that share one executed
    notebook: starting a kernel and running the cells once per module, not per test,
    keeps the layer inside its time budget."""

    def __init__(self, chromium, server):
        self.server = server
        self.context, self.guard = harness.new_context(chromium, server)
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.cache: dict = {}  # what the module keeps with the page (its notebook)

    def close(self):
        try:
            self.context.close()
        finally:
            self.server.shutdown_kernels()


@pytest.fixture(scope="module")
def _shared_pages(chromium, jupyter_servers):
    pages: dict[str, SharedPage] = {}

    def get(ui: str) -> SharedPage:
        if ui not in pages:
            pages[ui] = SharedPage(chromium, jupyter_servers[ui])
        return pages[ui]

    yield get
    for p in pages.values():
        p.close()


@pytest.fixture
def shared_page(_shared_pages, ui, screenshots, request):
    """The module's page for this UI.  The same checks as `browser_context`, per test:
    what happened during this test (a request leaving localhost, a dialog, a console
    error) fails it, and the page is screenshot at its end."""
    shared = _shared_pages(ui)
    mark = shared.guard.mark()
    yield shared
    _screenshot([shared.page], screenshots, _test_name(request))
    problems = shared.guard.problems(since=mark)
    if problems:
        pytest.fail(f"{ui}: " + "\n".join(problems), pytrace=False)


@pytest.fixture
def guard(browser_context):
    return browser_context[1]


@pytest.fixture
def page(browser_context):
    return browser_context[0].new_page()


@pytest.fixture
def open_notebook(page, guard, server, request):
    """open_notebook(sources, run=True) -> harness.Notebook: write the cells into the
    server root as <test name>.ipynb, open it, wait for the kernel, Run All, wait."""
    counter = [0]

    def _open(sources, *, run: bool = True, timeout: float = 120.0) -> harness.Notebook:
        counter[0] += 1
        stem = re.sub(r"\W+", "-", request.node.name).strip("-")
        name = f"{stem}-{counter[0]}.ipynb" if counter[0] > 1 else f"{stem}.ipynb"
        nb = harness.Notebook(page, guard, server, name, sources).open(timeout=timeout)
        if run:
            nb.run_all(timeout=timeout)
        return nb

    return _open
