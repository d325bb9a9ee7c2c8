"""What the state-machine pictures say of waits and ends: an await site's box has a third
line with what was awaited there by label (`→ sleep(0.01) ×10`), its tooltip lists them,
and a function that fell off its end leaves by "end of function" (no source line)."""

from __future__ import annotations

import pytest

from asyncviz.analysis.states import suspension_points
from asyncviz.render import dot, dot_run
from tracebuilder import TraceBuilder

from .test_dot import EVIL, svg_texts

graphviz = pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(
    dot_run.dot_program() is None, reason="Graphviz's dot is not installed"
)

SOURCE = """\
async def f(q):
    await q.get()
    for i in range(10):
        await asyncio.sleep(0.01)
"""


def machine(extra_label: str = "Queue.get()"):
    """f waited on 10 sleep(0.01) futures at line 4, on `extra_label` at line 2, and fell
    off its end after line 4."""
    b = TraceBuilder()
    c = b.obj("coroutine", "f#1", "f", filename="<cell-1>", firstlineno=1, state="CLOSED")
    get = b.obj("future", extra_label, "Future")
    naps = [b.obj("future", "sleep(0.01)", "Future") for _ in range(10)]
    b.ev(0, c, "start", line=1).ev(1, c, "await", line=2, target=get).ev(2, c, "resume", line=2)
    t = 3
    for nap in naps:
        b.ev(t, c, "await", line=4, target=nap).ev(t + 1, c, "resume", line=4)
        t += 2
    b.ev(t, c, "return", "None", 4)
    trace = b.build(sources={"<cell-1>": SOURCE})
    return suspension_points(trace, obj=c)


def test_an_await_site_box_says_what_it_waited_on():
    source = dot.machine_dot(machine())
    assert (
        'n2 [label=<<font color="#005280">await · line 4</font><br/>'
        '<font face="monospace" point-size="11">await asyncio.sleep(0.01)</font><br/>'
        '<font point-size="11" color="#616161">→ sleep(0.01) ×10</font>>'
    ) in source
    assert '<font point-size="11" color="#616161">→ Queue.get()</font>>' in source
    assert (
        'tooltip="await · line 4\\nawait asyncio.sleep(0.01)\\nentered 10 times\\n'
        'awaited:\\n• sleep(0.01) ×10"'
    ) in source


def test_end_of_function_has_no_source_line():
    source = dot.machine_dot(machine())
    assert ('n3 [label=<<font color="#007253">end of function</font>> color="#009E73"') in source
    assert 'id="node-return:end"' in source
    assert "return · line 4" not in source


def test_a_label_that_looks_like_markup_stays_text():
    source = dot.machine_dot(machine(EVIL))
    assert EVIL not in source
    assert "→ &lt;img src=x onerror=alert(1)&gt;" in source


@needs_dot
def test_drawn_by_dot():
    drawn, tips = svg_texts(dot.machine_svg(machine(EVIL)))
    assert "→ sleep(0.01) ×10" in drawn
    assert f"→ {EVIL}" in drawn  # drawn as text
    assert "end of function" in drawn
    assert any(tip.endswith("awaited:\n• sleep(0.01) ×10") for tip in tips)
