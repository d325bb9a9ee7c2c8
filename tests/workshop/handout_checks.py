"""Helpers for test_handouts.py: the handout builder loaded by path, which pictures each
traced cell should show in a handout, and where the browser layer's switches live."""

from __future__ import annotations

import importlib.util
import os
import shutil
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BROWSER_VAR = "ASYNCVIZ_BROWSER"  # as tests/browser/conftest.py
SHOTS_VAR = "ASYNCVIZ_SCREENSHOTS"


def browser_enabled() -> bool:
    return os.environ.get(BROWSER_VAR, "") == "1"


def screenshot_dir() -> Path:
    return Path(os.environ.get(SHOTS_VAR) or REPO / "out" / "screenshots").resolve()


@cache
def handout_module():
    """scripts/handout.py, loaded by path as scripts/run_workshop.py loads it."""
    spec = importlib.util.spec_from_file_location(
        "asyncviz_workshop_handout", REPO / "scripts" / "handout.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_pictures(run) -> dict[str, tuple[str, int]]:
    """{out name: (view, least pictures)} for every traced cell of the executed notebook
    with --out whose view draws something: the timeline's PNG (timeline, all) and the state
    machine's SVG (states, all; drawn by Graphviz's dot, so only expected where it is)."""
    traced_options = handout_module().traced_options
    dot = shutil.which("dot") is not None
    found = {}
    for cell in run.notebook.cells:
        if cell.cell_type != "code":
            continue
        options = traced_options(cell.source)
        if not options or not options["out"]:
            continue
        view = options["view"]
        least = (view in ("timeline", "all")) + (dot and view in ("states", "all"))
        if least:
            found[options["out"]] = (view, int(least))
    return found


class _Sections(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.counts: dict[str, int] = {}
        self.current: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and "avz-traced" in (a.get("class") or "").split():
            self.current = a.get("data-out") or ""
            self.counts.setdefault(self.current, 0)
        elif tag == "img" and self.current is not None:
            if (a.get("src") or "").startswith("data:image/"):
                self.counts[self.current] += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.current = None


def images_by_section(page: str) -> dict[str, int]:
    """{out name: embedded images} for each traced cell's section of a handout."""
    parser = _Sections()
    parser.feed(page)
    parser.close()
    return parser.counts
