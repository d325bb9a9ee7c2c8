"""The quick PNG (render/static_pil.py) that every timeline display carries: the same
picture matplotlib draws from the same layout — same size, nearly every pixel the same,
the bars in their colours — drawn without importing matplotlib; text DejaVu Sans cannot
draw, or a machine without Pillow's FreeType, gets matplotlib's picture instead."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest

import asyncviz
from asyncviz.render import static_pil
from asyncviz.render.static import PALETTE, layout, timeline_png
from asyncviz.render.static_mpl import PngRenderer
from asyncviz.render.static_pil import QuickPngRenderer, covers, quick_png
from corpus import PROGRAMS
from programs import record
from tracebuilder import TraceBuilder

MS = 1_000_000


def pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def same_share(a: np.ndarray, b: np.ndarray, tol: int = 24) -> float:
    """The share of pixels whose channels all differ by at most `tol`."""
    assert a.shape == b.shape
    return float(np.mean(np.abs(a - b).max(axis=2) <= tol))


def two_generators(label: str = "gen#1") -> asyncviz.Trace:
    """gen#1 runs 1-4 ms and 6-9 ms; worker#1 runs 4-6 ms (bars wide enough to sample)."""
    b = TraceBuilder()
    g = b.obj("generator", label, name="gen", filename="<cell>", firstlineno=1, state="CLOSED")
    w = b.obj("coroutine", "worker#1", name="worker", filename="<cell>", state="CLOSED")
    (
        b.ev(0, g, "create")
        .ev(1 * MS, g, "start")
        .ev(4 * MS, g, "yield", "1")
        .ev(4 * MS, w, "start")
        .ev(6 * MS, w, "return", "2")
        .ev(6 * MS, g, "resume", "None")
        .ev(9 * MS, g, "return", "3")
    )
    return b.build(duration=10 * MS, meta={"backend": "test"})


@pytest.fixture(scope="module")
def traces() -> dict:
    def numbers(n):
        yield from range(n)

    with asyncviz.trace() as pipeline:  # ≈ 20,000 events: bars only, slices merged
        assert sum(numbers(10_000)) == 49_995_000
    folded = TraceBuilder()  # sixty tasks of one coroutine function: one group 'g ×60'
    for i in range(60):
        c = folded.obj("coroutine", f"g#{i + 1}", name="g", state="CLOSED", task=2 * i + 1)
        t = folded.obj("task", f"g#{i + 1}", name=f"Task-{i + 1}", state="CLOSED", coro=c)
        folded.ev(1000 * i, t, "create").ev(1000 * i + 100, c, "start")
        folded.ev(1000 * i + 500, c, "return").ev(1000 * i + 500, t, "return")
    out = {name: record(PROGRAMS[name])[0] for name in ("round_robin", "queue", "taskgroup")}
    out.update(pipeline=pipeline, folded=folded.build(duration=60_000), handmade=two_generators())
    return out


NAMES = ["round_robin", "queue", "taskgroup", "pipeline", "folded", "handmade"]


@pytest.mark.parametrize("name", NAMES)
def test_the_quick_png_is_matplotlibs_picture(traces, name):
    out = layout(traces[name])
    assert covers(out)
    quick, slow = pixels(QuickPngRenderer().render(out)), pixels(PngRenderer().render(out))
    assert quick.shape == slow.shape == (out.height, out.width, 3)
    # measured 0.962-0.978 on the corpus: glyph and text edges smoothed a little
    # differently, nothing else
    assert same_share(quick, slow) > 0.94, same_share(quick, slow)


def test_bars_are_drawn_in_their_colours_and_nothing_between_them(traces):
    trace = traces["handmade"]
    out = layout(trace, clock="wall")  # (no asyncio: the default would be step time)
    img = pixels(quick_png(trace, clock="wall"))
    gen, worker = out.row_of(0), out.row_of(1)

    def at(t_ns, row, dy=0.0):
        return tuple(img[int(row.centre + dy), int(out.x_of(t_ns))])

    def near(a, colour, tol=12):
        want = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        return all(abs(x - y) <= tol for x, y in zip(a, want))

    assert near(at(2_500_000, gen), PALETTE["generator"])
    assert near(at(7_500_000, gen), PALETTE["generator"])
    assert near(at(5 * MS, worker), PALETTE["coroutine"])
    above = at(5 * MS, gen, -5)  # gen is suspended then: a thin line, no bar above it
    assert min(above) > 200, above
    assert min(at(2_500_000, worker)) > 200  # worker has not started


def test_text_dejavu_cannot_draw_gets_matplotlibs_picture():
    trace = two_generators(label="日本語")
    assert not covers(layout(trace))
    assert quick_png(trace) == timeline_png(trace)


@pytest.mark.parametrize("label", ["Σύνοψη", "привет", "a → b … ×2 µs", "<script>&amp;"])
def test_latin_greek_cyrillic_and_symbols_are_drawn_by_pillow(monkeypatch, label):
    trace = two_generators(label=label)
    assert covers(layout(trace))

    def no_matplotlib(*args, **kwargs):
        raise AssertionError("matplotlib drew a picture Pillow can draw")

    monkeypatch.setattr(PngRenderer, "render", no_matplotlib)
    out = layout(trace)
    assert pixels(quick_png(trace)).shape == (out.height, out.width, 3)


def test_without_pillows_freetype_matplotlib_draws(monkeypatch):
    trace = two_generators()
    monkeypatch.setattr(static_pil, "available", lambda: False)
    assert quick_png(trace) == timeline_png(trace)


def test_an_empty_trace_says_so():
    empty = TraceBuilder().build(duration=0)
    out = layout(empty)
    assert out.message
    img = pixels(quick_png(empty))
    assert img.shape == (out.height, out.width, 3)
    message = next(t for t in out.texts if t.text == out.message)
    band = img[int(message.y) - 12 : int(message.y) + 2]
    assert (band < 150).any(), "the message is not drawn"


def test_drawing_imports_no_matplotlib():
    """Why the quick picture is quick in a fresh kernel: matplotlib (0.5-1 s to import)
    is not loaded; only its DejaVu Sans files are read."""
    code = (
        "import json, sys, asyncviz\n"
        "from asyncviz.render.static_pil import quick_png\n"
        "def gen():\n    yield 1\n"
        "with asyncviz.trace(include=['*']) as t:\n    list(gen())\n"
        "png = quick_png(t)\n"
        "print(json.dumps([png[:8].hex(), 'matplotlib' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    magic, imported = json.loads(out.stdout.strip().splitlines()[-1])
    assert magic == b"\x89PNG\r\n\x1a\n".hex()
    assert imported is False
