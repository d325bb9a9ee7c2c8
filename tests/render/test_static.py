"""Static timeline images (render/static*.py): they decode, they have ink where the slices
are and none where there are none, and they say what they must (nothing ran, truncated),
with every user string escaped; Trace.save writes them by suffix."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import asyncviz
from asyncviz.render.static import (
    EMPTY_MESSAGE,
    PALETTE,
    layout,
    timeline_pdf,
    timeline_png,
    timeline_svg,
)
from asyncviz.render.static_primitives import (
    ALERT,
    BAR_H,
    IDLE,
    LABEL_PX,
    MARKER_LIMIT,
    fit_text,
)
from asyncviz.render.static_rows import LABEL_COLUMN
from asyncviz.render.static_scale import merge
from asyncviz.text import one_line
from asyncviz.trace import Trace
from programs import record
from corpus import PROGRAMS
from tracebuilder import TraceBuilder

SVG = "{http://www.w3.org/2000/svg}"
MS = 1_000_000


# -- traces -------------------------------------------------------------------------------


def handmade(label="gen#1", task="T", dropped=0, idle=()) -> Trace:
    """A generator in its own lane, a task whose coroutine awaits a future; times known:

    gen#1  runs 1-4 ms, suspended 4-6 ms, runs 6-9 ms, returns
    coro#1 (task T) runs 4.2-5.8 ms, awaits Future#1 until 9.2 ms, runs to 9.5 ms
    """
    b = TraceBuilder()
    gen = b.obj("generator", label, name="gen", filename="<cell>", firstlineno=1, state="CLOSED")
    t = b.obj("task", task, name=task, state="CLOSED", coro=2)
    coro = b.obj("coroutine", "coro#1", filename="<cell>", firstlineno=5, state="CLOSED", task=1)
    fut = b.obj("future", "Future#1", name="Future", state="CLOSED")
    (
        b.ev(0, gen, "create")
        .ev(1 * MS, gen, "start")
        .ev(2 * MS, t, "create")
        .ev(4 * MS, gen, "yield", "1")
        .ev(4_200_000, coro, "start")
        .ev(5_800_000, coro, "await", target=fut)
        .ev(6 * MS, gen, "resume", "1")
        .ev(9 * MS, gen, "return", "1")
        .ev(9_200_000, coro, "resume")
        .ev(9_500_000, coro, "return")
        .ev(9_500_000, t, "return")
    )
    trace = b.build(
        duration=10 * MS, dropped=dropped, idle=idle, meta={"backend": "test", "max_events": 11}
    )
    assert trace.check() is None
    return trace


EMPTY = TraceBuilder().build(duration=0)


@pytest.fixture(scope="module")
def programs() -> dict[str, Trace]:
    gather = """
import asyncio
async def fetch(n):
    await asyncio.sleep(0.002 * n)
    return n
async def main():
    tasks = [asyncio.create_task(fetch(n), name=f"job-{n}") for n in (1, 2, 3)]
    return await asyncio.gather(*tasks)
"""
    return {
        "round_robin": record(PROGRAMS["round_robin"])[0],
        "yield_from_chain": record(PROGRAMS["yield_from_chain"])[0],
        "gather": record(gather)[0],
    }


@pytest.fixture(scope="module")
def pipeline() -> Trace:
    """About 20,000 events: bars only, slices merged."""

    def numbers(n):
        yield from range(n)

    def doubled(items):
        for x in items:
            yield 2 * x

    with asyncviz.trace() as t:
        assert sum(doubled(numbers(5_000))) == 5_000 * 4_999
    return t


# -- decoding -----------------------------------------------------------------------------


def decode_png(data: bytes):
    from matplotlib.image import imread

    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return imread(io.BytesIO(data), format="png")


def pixel(img, x: float, y: float):
    return tuple(int(round(c * 255)) for c in img[int(y), int(x), :3])


def rgb(colour: str):
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def close(a, b, tol=12) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [el.text or "" for el in root.iter(f"{SVG}text")]


# -- the three formats decode -------------------------------------------------------------


@pytest.mark.parametrize("name", ["round_robin", "yield_from_chain", "gather"])
def test_png_decodes_at_the_layout_size(programs, name):
    trace = programs[name]
    out = layout(trace)
    img = decode_png(timeline_png(trace))
    assert img.shape[:2] == (out.height, out.width)
    assert img.shape[2] in (3, 4)
    big = decode_png(timeline_png(trace, dpi=200))
    assert big.shape[:2] == (2 * out.height, 2 * out.width)


@pytest.mark.parametrize("name", ["round_robin", "yield_from_chain", "gather"])
def test_svg_parses_with_one_path_per_row_and_colour(programs, name):
    trace = programs[name]
    out = layout(trace)
    svg = timeline_svg(trace)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == (str(out.width), str(out.height))
    bars = [p for p in root.iter(f"{SVG}path") if p.get("class") == "bar"]
    ys = [float(p.get("d").split()[1].split("h")[0]) for p in bars]
    assert bars and len(ys) == len(set(zip(ys, (p.get("fill") for p in bars))))
    for p in bars:  # rectangles only: M x y h w v h h -w z, merged into one path
        d = p.get("d")
        assert d.startswith("M") and d.endswith("z") and d.count("M") == d.count("z")
    assert sum(p.get("d").count("M") for p in bars) == sum(
        len(r.boxes) for r in out.rects if r.role == "bar"
    )
    texts = svg_texts(svg)
    assert any(t.startswith("asyncviz timeline") for t in texts)
    for lane in out.lanes:
        assert one_line(lane.label, 26) in texts


def test_pdf_is_a_matplotlib_pdf(programs):
    data = timeline_pdf(programs["gather"])
    assert data.startswith(b"%PDF-")
    assert b"Matplotlib" in data and data.rstrip().endswith(b"%%EOF")


# -- ink where the slices are ------------------------------------------------------------


def test_layout_geometry_of_a_known_trace():
    trace = handmade()
    out = layout(trace)
    assert [lane.label for lane in out.lanes] == ["gen#1", "T"]
    gen, coro = out.row_of(0), out.row_of(2)
    assert gen.lane == 0 and coro.lane == 1 and out.row_of(1) is coro
    with pytest.raises(KeyError):
        out.row_of(3)  # futures have no row
    x0, _, x1, _ = out.plot
    assert x0 < out.x_of(0) < out.x_of(1 * MS) < out.x_of(9_500_000) < x1
    assert out.n_slices == 4
    bars = np.concatenate([r.boxes for r in out.rects if r.role == "bar"])
    want = [
        (out.x_of(a), y, out.x_of(b))
        for a, b, y in (
            (1 * MS, 4 * MS, gen.bar[0]),
            (6 * MS, 9 * MS, gen.bar[0]),
            (4_200_000, 5_800_000, coro.bar[0]),
            (9_200_000, 9_500_000, coro.bar[0]),
        )
    ]
    got = sorted((round(a, 3), round(y, 3), round(b, 3)) for a, y, b, _ in bars)
    assert got == sorted((round(a, 3), round(y, 3), round(b, 3)) for a, y, b in want)


def test_png_has_ink_where_slices_are_and_none_elsewhere():
    trace = handmade()
    out = layout(trace)
    img = decode_png(timeline_png(trace))
    gen, coro = out.row_of(0), out.row_of(2)

    def at(t, row, dy=0.0):
        return pixel(img, out.x_of(t), row.centre + dy)

    generator, coroutine = rgb(PALETTE["generator"]), rgb(PALETTE["coroutine"])
    # running: the kind's colour, in the middle of each slice (off the markers and names)
    assert close(at(3_400_000, gen), generator)
    assert close(at(8_400_000, gen), generator)
    assert close(at(5_500_000, coro), coroutine)
    # the same rows where the object is not running have no bar: no such colour
    # (2.5 ms, not 2 ms: the task's create marker, a ring as in the widget, sits at 2 ms)
    for t, row in ((5 * MS, gen), (2_500_000, coro), (7 * MS, coro)):
        above_line = at(t, row, -BAR_H / 2 + 2)
        assert not close(above_line, generator, 60) and not close(above_line, coroutine, 60)
        assert min(above_line) > 200, above_line  # background: white or the light band
    # suspended: a thin line of the kind's colour through the middle of the row
    assert close(at(5 * MS, gen), generator)
    # the label column is left of the plot: no bars there
    assert min(pixel(img, out.plot[0] - 4, gen.centre)) > 200


def test_ink_at_scale_merges_slices(pipeline):
    out = layout(pipeline)
    assert len(pipeline.events) > MARKER_LIMIT
    assert not out.markers and not out.values
    assert all(len(m.xy) == 1 for m in out.marks)  # the legend's own, no event markers
    assert out.n_slices > 5_000
    assert 0 < out.n_rects < out.n_slices / 10
    img = decode_png(timeline_png(pipeline))
    assert img.shape[:2] == (out.height, out.width)
    boxes = np.concatenate([r.boxes for r in out.rects if r.role == "bar"])
    widest = boxes[np.argmax(boxes[:, 2] - boxes[:, 0])]
    x = (widest[0] + widest[2]) / 2
    y = (widest[1] + widest[3]) / 2
    hue = pixel(img, x, y)
    assert min(hue) < 230 and hue[2] > hue[0], hue  # a blue generator bar, maybe paler
    # no rectangle narrower than a pixel, none overlapping another in its row and colour
    assert (boxes[:, 2] - boxes[:, 0] >= 1 - 1e-9).all()
    for r in out.rects:
        if r.role == "bar":
            b = r.boxes[np.lexsort((r.boxes[:, 0], r.boxes[:, 1]))]
            same_row = b[1:, 1] == b[:-1, 1]
            assert (b[1:, 0][same_row] >= b[:-1, 2][same_row]).all()


def test_merge_joins_spans_closer_than_a_pixel():
    key = np.array([0, 0, 0, 1])
    xa = np.array([10.0, 10.5, 20.0, 10.2])
    xb = np.array([10.2, 10.7, 30.0, 10.3])
    k, x0, x1, fill = merge(key, xa, xb)
    assert k.tolist() == [0, 0, 1]
    assert x0.tolist() == [10.0, 20.0, 10.2]
    assert x1.tolist() == pytest.approx([11.5, 30.0, 11.2])  # at least one pixel wide
    assert fill.tolist() == pytest.approx([0.4 / 1.5, 1.0, 0.1])


def test_idle_lane_is_drawn(programs):
    trace = programs["gather"]
    assert trace.idle
    out = layout(trace)
    assert out.lanes[-1].kind == "idle" and out.lanes[-1].label == "loop idle"
    a, b = max(trace.idle, key=lambda p: p[1] - p[0])
    img = decode_png(timeline_png(trace))
    row = out.rows[out.lanes[-1].rows[0]]
    assert close(pixel(img, out.x_of((a + b) / 2), row.centre), rgb(IDLE))


def test_markers_and_values_only_for_few_events(programs, pipeline):
    out = layout(programs["round_robin"])
    assert out.markers and out.values
    # start, yield, return: the widget's glyphs (theme.json)
    assert {m.shape for m in out.marks} >= {"triangle-right", "triangle-up", "square"}
    texts = [t.text for t in out.texts]
    assert "yield ('a', 0, None)" in texts  # the value a worker yielded, above its row
    assert not layout(programs["round_robin"], markers=False).marks[2:]
    out = layout(pipeline)
    assert not out.markers and all(len(m.xy) == 1 for m in out.marks)  # the legend's only


def test_step_clock_gives_every_event_the_same_width(programs):
    trace = programs["yield_from_chain"]
    out = layout(trace, clock="step")
    n = len(trace.events)
    assert out.span[0] < 0.5 and out.span[1] > n
    step = out.x_of(1.5) - out.x_of(0.5)
    assert out.x_of(n - 0.5) - out.x_of(0.5) == pytest.approx(step * (n - 1))
    assert any(t.text == "step time: one step per event, in order" for t in out.texts)
    ET.fromstring(timeline_svg(trace, clock="step"))
    with pytest.raises(ValueError, match="clock"):
        layout(trace, clock="cpu")


def test_rows_follow_the_timeline(programs):
    out = layout(programs["yield_from_chain"])
    assert [lane.label for lane in out.lanes] == ["outer#1"]
    assert [r.label for r in out.rows] == ["outer#1", "middle#1", "inner#1"]
    assert [r.depth for r in out.rows] == [0, 1, 2]
    tops = [r.y0 for r in out.rows]
    assert tops == sorted(tops)


def test_many_lanes_fold_into_one():
    b = TraceBuilder()
    for i in range(50):  # fifty functions: no group
        b.obj("generator", f"g{i}#1", name=f"g{i}", state="CLOSED")
    for i in range(50):
        b.ev(1000 * i, i, "start").ev(1000 * i + 500, i, "return")
    trace = b.build(duration=50_000)
    out = layout(trace, max_lanes=10)
    assert len(out.lanes) == 10
    assert out.lanes[-1].label == "+41 more lanes" and len(out.lanes[-1].timeline_lanes) == 41
    assert out.row_of(49) is out.row_of(9)
    assert any("50 lanes" in note for note in out.notes)
    assert any("50 lanes" in t for t in svg_texts(timeline_svg(trace, max_lanes=10)))


# -- what the image must say --------------------------------------------------------------


def test_empty_trace_says_nothing_ran():
    out = layout(EMPTY)
    assert out.message == EMPTY_MESSAGE == "nothing ran in scope"
    svg = timeline_svg(EMPTY)
    assert EMPTY_MESSAGE in svg_texts(svg)
    img = decode_png(timeline_png(EMPTY))
    assert img.shape[:2] == (out.height, out.width)
    message = next(t for t in out.texts if t.text == EMPTY_MESSAGE)
    band = img[int(message.y) - 18 : int(message.y) + 2, :, :3]
    assert (band < 0.6).any(), "the message is not drawn"
    assert timeline_pdf(EMPTY).startswith(b"%PDF-")


def test_recorded_trace_with_nothing_in_scope():
    with asyncviz.trace() as t:
        sum(range(10))
    assert len(t.events) == 0
    assert layout(t).message == EMPTY_MESSAGE
    decode_png(timeline_png(t))


def test_truncation_is_noted():
    trace = handmade(dropped=5)
    out = layout(trace)
    note = "truncated: 5 events dropped (max_events=11)"
    assert any(n.startswith(note) for n in out.notes)
    assert any(t.startswith(note) for t in svg_texts(timeline_svg(trace)))
    text = next(t for t in out.texts if t.text.startswith(note))
    img = decode_png(timeline_png(trace))
    band = (img[int(text.y) - 12 : int(text.y) + 2, :, :3] * 255).astype(int)
    alert = np.array(rgb(ALERT))
    assert (np.abs(band - alert).max(axis=-1) < 40).sum() > 50, "the note is not drawn"
    assert not layout(handmade()).notes
    assert not any(t.startswith("truncated") for t in svg_texts(timeline_svg(handmade())))


def test_recorded_truncation_is_noted(programs):
    t, _ = record(PROGRAMS["round_robin"], max_events=4)
    assert t.truncated
    assert any("truncated" in n for n in layout(t).notes)
    decode_png(timeline_png(t))


EVIL = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "label",
    [
        EVIL,
        "a & b \"q\" 'r' ]]>",
        "$x^2$ $\\nosuchmacro{$",
        "tab\tbell\x07nul\x00esc\x1b[31m",
        "日本語\n二行",
        "\ud800",
    ],
)
def test_labels_are_escaped(label):
    trace = handmade(label=label, task=label)
    svg = timeline_svg(trace)
    assert "<script" not in svg and "alert(1)</script>" not in svg
    texts = svg_texts(svg)  # parses: no control character or markup got through
    shown = fit_text(one_line(label), LABEL_PX + 1, LABEL_COLUMN, bold=True)
    assert shown in texts
    assert layout(trace).lanes[0].label == label
    decode_png(timeline_png(trace))  # mathtext and usetex stay off: "$" is just text
    svg.encode("utf-8")


def test_values_are_escaped():
    b = TraceBuilder()
    g = b.obj("generator", "g#1", state="SUSPENDED")
    trace = b.ev(0, g, "start").ev(100, g, "yield", f"'{EVIL}'").build(duration=200)
    svg = timeline_svg(trace)
    assert "<script" not in svg
    assert any(t.startswith("yield '<script>") for t in svg_texts(svg))


# -- matplotlib used privately ------------------------------------------------------------


def test_user_matplotlib_state_is_left_alone():
    import matplotlib

    trace = handmade()
    plain = decode_png(timeline_png(trace))
    user = {
        "text.usetex": True,
        "savefig.bbox": "tight",
        "figure.facecolor": "black",
        "text.color": "red",
        "font.size": 30,
        "lines.antialiased": False,
        "path.sketch": (3.0, 20.0, 2.0),
        "patch.force_edgecolor": True,
        "patch.edgecolor": "red",
        "font.family": "serif",
        "text.parse_math": True,
    }
    with matplotlib.rc_context(user):
        theirs = dict(matplotlib.rcParams)
        styled = decode_png(timeline_png(trace))
        timeline_pdf(trace)
        assert dict(matplotlib.rcParams) == theirs
    assert np.array_equal(plain, styled)


def test_no_pyplot_and_no_backend_switch():
    code = """if True:
    import json, sys
    import matplotlib
    matplotlib.use("svg")
    from asyncviz.trace import Trace
    from asyncviz.render.static import timeline_png, timeline_svg, timeline_pdf
    t = Trace(buffer=b"", strings=[], objects=[])
    timeline_png(t), timeline_svg(t), timeline_pdf(t)
    print(json.dumps(["matplotlib.pyplot" in sys.modules, matplotlib.get_backend()]))
    """
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [False, "svg"]


def test_svg_needs_no_matplotlib():
    code = """if True:
    import sys
    sys.modules["matplotlib"] = None   # import matplotlib -> ImportError
    from asyncviz.trace import Trace
    from asyncviz.render.static import timeline_svg
    print(len(timeline_svg(Trace(buffer=b"", strings=[], objects=[]))) > 0)
    """
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "True"


# -- Trace.save --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["t.png", "t.svg", "t.pdf", "deep/er/T.PNG"])
def test_trace_save_writes_images_by_suffix(programs, tmp_path, name):
    trace = programs["gather"]
    path = trace.save(tmp_path / name)
    assert path == tmp_path / name and path.is_file()
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".png":
        assert decode_png(data).shape[:2] == (layout(trace).height, layout(trace).width)
    elif suffix == ".svg":
        ET.fromstring(data)
    else:
        assert data.startswith(b"%PDF-") and b"Matplotlib" in data
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left


@pytest.mark.parametrize(
    "name, says",
    [
        ("t.xlsx", ".xlsx is not a format asyncviz writes"),
        ("t.jpg", ".jpg is not a format asyncviz writes"),
        ("trace", "'trace' has no suffix"),
    ],
)
def test_save_still_refuses_other_suffixes(tmp_path, name, says):
    with pytest.raises(ValueError) as info:
        handmade().save(tmp_path / "out" / name)
    message = str(info.value)
    assert says in message and "\n" not in message
    assert message.endswith(
        "use one of .avz .html .txt .png .svg .pdf .dot .json .states.svg .states.png"
    )
    assert not (tmp_path / "out").exists()
