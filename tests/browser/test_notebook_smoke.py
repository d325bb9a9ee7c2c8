"""The browser layer itself works: a plain cell runs in JupyterLab and in Notebook 7, in a
kernel of this venv's Python, and the request guard really blocks and reports."""

from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.browser


def test_plain_cell_runs_in_this_venvs_kernel(open_notebook, ui):
    nb = open_notebook(
        [
            "import json, sys\n"
            "print(json.dumps({'executable': sys.executable, 'prefix': sys.prefix}))",
            "print(1+1)",
        ]
    )
    assert nb.output_text(1) == "2", nb.describe()
    kernel = nb.last_json(0)
    # the server's python3 kernel spec is ipykernel's for this interpreter (harness)
    assert kernel == {"executable": sys.executable, "prefix": sys.prefix}, kernel
    print(f"{ui}: {nb.timings}")


def test_guard_blocks_and_reports_requests_leaving_localhost(page, guard, server):
    """The fixture that fails a test for a non-local request can fail: an outside fetch
    is aborted and recorded (then forgiven here, so that this test itself passes)."""
    # a page of our own (the server's API pages forbid fetch by CSP before any request)
    page.set_content("<!doctype html><title>guard probe</title><p>guard probe</p>")
    outcome = page.evaluate("""async () => {
        try { await fetch('https://example.com/asyncviz-probe.js'); return 'loaded'; }
        catch (e) { return 'blocked'; }
    }""")
    page.evaluate("() => { const i = new Image(); i.src = 'http://198.51.100.7/x.png'; }")
    page.evaluate("() => { try { new WebSocket('wss://example.com/socket'); } catch (e) {} }")
    page.wait_for_timeout(500)
    assert outcome == "blocked"
    assert "https://example.com/asyncviz-probe.js" in guard.blocked, guard.blocked
    assert "http://198.51.100.7/x.png" in guard.blocked, guard.blocked
    assert "wss://example.com/socket" in guard.blocked, guard.blocked
    guard.blocked.clear()
    guard.console_errors.clear()
