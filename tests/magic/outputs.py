"""Reading an executed cell's outputs: streams, errors, displays, the probes' JSON, and
the bundles a traced cell shows."""

from __future__ import annotations

import base64
import json
import re
import shutil

ANSI = re.compile(r"\x1b\[[0-9;]*m")
WIDGET = "application/vnd.jupyter.widget-view+json"
# the words users read: kept here as written, not imported from the magic
NEST_NOTE = (
    "asyncviz: enabled nest_asyncio2 so asyncio.run() works inside the kernel's "
    "running loop (use --thread to avoid patching)"
)


def _stream(cell, name="stdout") -> str:
    return "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == name
    )


def stdout(cell) -> str:
    return _stream(cell, "stdout")


def stderr(cell) -> str:
    return _stream(cell, "stderr")


def errors(cell) -> list:
    return [o for o in cell.outputs if o.output_type == "error"]


def displays(cell) -> list:
    return [o for o in cell.outputs if o.output_type == "display_data"]


def result(cell):
    out = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(out) <= 1
    return out[0]["data"]["text/plain"] if out else None


def probe(cell) -> dict:
    """The JSON a probe cell printed as its last stdout line."""
    assert not errors(cell), describe(cell)
    lines = stdout(cell).strip().splitlines()
    assert lines, describe(cell)
    return json.loads(lines[-1])


def traceback_text(err) -> str:
    return ANSI.sub("", "\n".join(err["traceback"]))


def describe(cell) -> str:
    parts = [f"cell:\n{cell.source}\noutputs:"]
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            parts.append(f"  [{o.name}] {o.text!r}")
        elif o.output_type == "error":
            parts.append(f"  [error] {o.ename}: {o.evalue}\n" + traceback_text(o))
        else:
            parts.append(f"  [{o.output_type}] {dict(o.get('data', {})).get('text/plain')!r}")
    return "\n".join(parts)


def summary_shown(cell) -> dict:
    """The one display of a traced cell, by default the timeline widget: its bundle also
    carries the summary as text/plain and the timeline as image/png, for readers without
    a kernel (exported notebooks, GitHub)."""
    shown = displays(cell)
    assert len(shown) == 1, f"expected one display\n{describe(cell)}"
    data = shown[0]["data"]
    assert WIDGET in data and "text/plain" in data and "image/png" in data, describe(cell)
    assert base64.b64decode(data["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def table_shown(cell) -> dict:
    """The one summary-table display (--view summary)."""
    shown = displays(cell)
    assert len(shown) == 1, f"expected one summary display\n{describe(cell)}"
    data = shown[0]["data"]
    assert "text/plain" in data and "text/html" in data, describe(cell)
    assert "<table" in data["text/html"] or "no generator" in data["text/html"], data
    return data


def states_shown(data: dict) -> dict:
    """The state-machine widget's bundle: the widget, the machine as text (and as SVG
    when Graphviz's dot is installed), for readers without a kernel."""
    assert WIDGET in data and data[WIDGET]["model_id"], data
    assert data["text/plain"].startswith("suspension points of gen3 (generator"), data
    assert "start → yield · line" in data["text/plain"], data
    if shutil.which("dot"):
        assert "<svg" in data["image/svg+xml"] and "node&#45;start" in data["image/svg+xml"]
    else:
        assert "image/svg+xml" not in data
    return data


def one_usage_error(cell, *words):
    """A bad option: one stderr line 'UsageError: ...', nothing else shown."""
    assert not errors(cell), describe(cell)
    assert not displays(cell) and result(cell) is None, describe(cell)
    text = stderr(cell).strip()
    assert "\n" not in text and text.startswith("UsageError: "), describe(cell)
    for w in words:
        assert w in text, describe(cell)
    assert stdout(cell) == "", describe(cell)
