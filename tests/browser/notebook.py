"""One notebook open in one page, in JupyterLab or Notebook 7: open it and wait for its
kernel (a `kernel_info_reply` frame, TESTING.md), Run All, wait for cells, read outputs.
Plain module, like harness.py (which re-exports Notebook)."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .harness import Guard, JupyterServer

_NUMBERED = re.compile(r"^\[(\d+)\]:?$")


class NotebookError(AssertionError):
    pass


class Notebook:
    """One notebook open in one page, in JupyterLab ("lab") or Notebook 7 ("notebook7")."""

    NOTEBOOK = ".jp-Notebook"

    def __init__(self, page, guard: Guard, server: JupyterServer, name: str, sources):
        self.page, self.guard, self.server, self.name = page, guard, server, name
        self.ui = server.ui
        self.sources = list(sources)
        self.timings: dict[str, float] = {}

    # -- locators
    @property
    def notebook(self):
        return self.page.locator(f"{self.NOTEBOOK}:visible").first

    def cell(self, i: int):
        return self.notebook.locator(".jp-Cell").nth(i)

    def output(self, i: int):
        return self.cell(i).locator(".jp-OutputArea")

    def output_text(self, i: int) -> str:
        outs = self.cell(i).locator(".jp-OutputArea-output")
        # textContent, not innerText: Lab and Notebook 7 skip rendering off-screen cells
        # (content-visibility), and innerText is empty there
        return "\n".join(t.strip() for t in outs.all_text_contents()).strip()

    # -- lifecycle
    def open(self, timeout: float = 60.0) -> "Notebook":
        t0 = time.perf_counter()
        self.server.write_notebook(self.name, self.sources)
        seen = self.guard.kernel_info_replies
        self.page.goto(self.server.page_url(self.name), wait_until="domcontentloaded")
        self.notebook.wait_for(state="visible", timeout=timeout * 1000)
        self.page.wait_for_function(
            "([sel, n]) => { const nb = [...document.querySelectorAll(sel)]"
            ".find(e => e.offsetParent !== null);"
            " return nb && nb.querySelectorAll('.jp-Cell').length === n; }",
            arg=[self.NOTEBOOK, len(self.sources)],
            timeout=timeout * 1000,
        )
        self.timings["page"] = time.perf_counter() - t0
        # The kernel indicator says "idle" ≈0.7 s before the kernel takes input; the first
        # kernel_info_reply on the kernel's websocket is the real signal (TESTING.md).
        deadline = time.monotonic() + timeout
        while self.guard.kernel_info_replies <= seen:
            if time.monotonic() > deadline:
                raise NotebookError(
                    f"{self.ui}: no kernel_info_reply within {timeout:.0f} s "
                    f"(server log:\n{self.server.log_tail()})"
                )
            self.page.wait_for_timeout(50)
        self.timings["kernel"] = time.perf_counter() - t0
        return self

    def run_all(self, timeout: float = 120.0) -> "Notebook":
        """Run → Run All Cells from the menu bar (the same Lumino menu in Lab and in
        Notebook 7), then wait until every cell has an execution count."""
        t0 = time.perf_counter()
        self.notebook.click(position={"x": 5, "y": 5})  # focus the notebook panel
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
        item = self.page.locator(
            ".lm-Menu-item[data-command='runmenu:run-all']:visible, "
            ".lm-Menu-item[data-command='notebook:run-all-cells']:visible"
        )
        item.first.click()
        self.wait_executed(range(len(self.sources)), timeout=timeout)
        self.timings["run_all"] = time.perf_counter() - t0
        return self

    def prompts(self) -> list[str]:
        return self.notebook.locator(".jp-Cell .jp-InputPrompt").all_text_contents()

    def counts(self) -> list[int | None]:
        out = []
        for p in self.prompts():
            m = _NUMBERED.match(p.strip())
            out.append(int(m.group(1)) if m else None)
        return out

    def wait_executed(
        self, cells, after: dict | None = None, timeout: float = 120.0, settle: float = 3.0
    ) -> None:
        """Wait until each cell in `cells` shows an execution count (greater than after[i]
        when given).  A cell that raises stops Run All and leaves the cells below it
        unnumbered: when nothing has been busy ([*]) for `settle` seconds and cells are
        still missing, fail at once with every output rather than wait for the timeout."""
        cells = list(cells)
        after = after or {}
        deadline = time.monotonic() + timeout
        idle_since = None
        while True:
            prompts = [p.strip() for p in self.prompts()]
            counts = self.counts()
            if all(
                i < len(counts) and counts[i] is not None and counts[i] > after.get(i, 0)
                for i in cells
            ):
                return
            now = time.monotonic()
            if any(p.startswith("[*]") for p in prompts):
                idle_since = None
            elif idle_since is None:
                idle_since = now
            elif now - idle_since > settle:
                raise NotebookError(
                    f"{self.ui}: cells {cells} did not all run; prompts "
                    f"{prompts}\n{self.describe()}"
                )
            if now > deadline:
                raise NotebookError(
                    f"{self.ui}: cells {cells} not executed within "
                    f"{timeout:.0f} s; prompts {prompts}\n{self.describe()}"
                )
            self.page.wait_for_timeout(50)

    def describe(self) -> str:
        """Every cell's source and output text, for failure messages."""
        parts = []
        for i, source in enumerate(self.sources):
            try:
                out = self.output_text(i)
            except Exception as exc:  # noqa: BLE001 - describing must not fail
                out = f"(unreadable: {exc})"
            parts.append(f"--- cell {i}:\n{source}\n--- output:\n{out}")
        return "\n".join(parts)

    def rerun(self, i: int, timeout: float = 60.0) -> str:
        """Execute cell i again (click into it, Ctrl+Enter: run, stay) and return its new
        output."""
        before = self.counts()[i] or 0
        self.cell(i).locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Control+Enter")
        self.wait_executed([i], after={i: before}, timeout=timeout)
        return self.output_text(i)

    def last_json(self, i: int):
        lines = self.output_text(i).splitlines()
        if not lines:
            raise NotebookError(f"{self.ui}: cell {i} printed nothing:\n{self.sources[i]}")
        return json.loads(lines[-1])
