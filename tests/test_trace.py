"""The native trace file (.avz) and Trace.save: round trips, and every bad file refused
with a TraceFileError that says, on one line, what to do."""

from __future__ import annotations

import asyncio
import json
import os
import struct
import subprocess
import sys
import zlib

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import asyncviz
from asyncviz.events import KIND_CODE, KINDS, OBJECT_KINDS, STATES
from asyncviz.trace import (
    FILE_MAGIC,
    FILE_VERSION,
    NO_TARGET,
    NO_VALUE,
    RECORD,
    Trace,
    TraceFileError,
    Traced,
    record_columns,
)

HINT = "write one with Trace.save('name.avz') or %%asynctrace --save name.avz"
HEADER = len(FILE_MAGIC) + struct.calcsize("<HQQ")
START, YIELD = KIND_CODE["start"], KIND_CODE["yield"]


# -- programs -----------------------------------------------------------------------------


def accumulate():
    total = 0
    while True:
        value = yield total
        if value is None:
            return total
        total += value


def generator_program() -> Trace:
    with asyncviz.trace() as t:
        acc = accumulate()
        next(acc)
        acc.send(3)
        acc.send(4)
        acc.close()
        assert sum(x for x in range(5)) == 10
        list(zip(accumulate(), "ab"))
    return t


async def _child(n):
    await asyncio.sleep(0.001)
    return n * 2


async def _main():
    tasks = [asyncio.create_task(_child(n), name=f"child-{n}") for n in range(3)]
    await asyncio.sleep(0)
    return sum([await t for t in tasks])


def asyncio_program() -> Trace:
    with asyncviz.trace() as t:
        assert asyncio.run(_main()) == 6
    return t


@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    return {"generators": generator_program(), "asyncio": asyncio_program()}


def same(a: Trace, b: Trace) -> None:
    assert list(a.events) == list(b.events)
    assert a.buffer == b.buffer
    assert a.objects == b.objects
    assert a.strings == b.strings
    assert a.idle == b.idle
    assert a.dropped == b.dropped
    assert a.meta == b.meta
    assert a.sources == b.sources


# -- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("program", ["generators", "asyncio"])
def test_round_trip_of_a_recorded_trace(traces, program, tmp_path):
    original = traces[program]
    assert len(original.events) > 5 and original.objects
    if program == "asyncio":
        assert any(o.kind == "task" for o in original.objects)
        assert original.idle
    path = original.save(tmp_path / f"{program}.avz")
    assert path == tmp_path / f"{program}.avz"
    loaded = asyncviz.load(path)
    same(original, loaded)
    assert loaded.to_bytes() == original.to_bytes()


def test_load_accepts_str_paths(traces, tmp_path):
    path = traces["generators"].save(str(tmp_path / "g.avz"))
    same(traces["generators"], asyncviz.load(str(path)))


# -- bad files ----------------------------------------------------------------------------


def refused(path) -> str:
    with pytest.raises(TraceFileError) as info:
        asyncviz.load(path)
    message = str(info.value)
    assert "\n" not in message, message
    assert str(path) in message
    return message


@pytest.fixture
def good_file(traces, tmp_path):
    return traces["generators"].save(tmp_path / "good.avz")


def test_missing_file_says_what_to_do(tmp_path):
    message = refused(tmp_path / "nope.avz")
    assert "cannot read" in message and "No such file" in message
    assert "Trace.save(" in message


def test_missing_file_and_directory_are_trace_file_errors(tmp_path):
    assert "cannot read" in refused(tmp_path / "nope.avz")
    assert "cannot read" in refused(tmp_path)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(bytes(range(256)) * 7 + os.urandom(300), id="random"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), id="png"),
        pytest.param(b'{"traceEvents": []}', id="json"),
        pytest.param(FILE_MAGIC[:-1], id="magic-cut"),
    ],
)
def test_foreign_files_are_refused(tmp_path, content):
    path = tmp_path / "x.avz"
    path.write_bytes(content)
    message = refused(path)
    assert "does not start with the asyncviz header" in message
    assert HINT in message


def test_every_truncation_is_refused(good_file):
    data = good_file.read_bytes()
    for n in range(len(data)):
        good_file.write_bytes(data[:n])
        message = refused(good_file)
        assert HINT in message
        if n >= HEADER:
            assert "cut or padded" in message


def test_padding_is_refused(good_file):
    good_file.write_bytes(good_file.read_bytes() + b"\x00")
    assert "cut or padded" in refused(good_file)


def _fixed_trace() -> Trace:
    """A trace whose file bytes are the same on every run (a recording's times are not)."""
    kinds = ["start", "yield", "resume", "yield", "resume", "return"]
    records = [
        RECORD.pack(
            1000 * i + 7 * (i % 3),
            i % 4,
            NO_TARGET,
            i % 3,
            (10 + i % 5) << 8 | KIND_CODE[kinds[i % 6]],
        )
        for i in range(60)
    ]
    objects = [Traced(i, "generator", f"g{i}", f"g#{i}", "<cell>", 1, "CLOSED") for i in range(4)]
    return Trace(
        buffer=b"".join(records),
        strings=["1", "'two'", "None"],
        objects=objects,
        meta={"python": "3.x", "duration_ns": 70_000},
    )


def test_every_flipped_byte_in_the_body_is_refused(tmp_path):
    data = _fixed_trace().to_bytes()
    nhead = struct.unpack_from("<HQQ", data, len(FILE_MAGIC))[1]
    path = tmp_path / "t.avz"
    for i in range(HEADER + nhead, len(data)):
        bad = bytearray(data)
        bad[i] ^= 0xFF
        path.write_bytes(bytes(bad))
        message = refused(path)
        assert "corrupted" in message and HINT in message, (i, message)


def test_a_flipped_byte_or_bit_is_refused_or_changes_nothing(good_file):
    # Deflate streams hold bits the decoder never reads (the padding after the last
    # block, some block-header bits): a flip there leaves the content intact.  Any flip
    # that changes the content must be refused.
    data = good_file.read_bytes()
    refusals = 0
    for i in range(HEADER, len(data)):
        for flip in (0xFF, 0x01, 0x10, 0x80):
            bad = bytearray(data)
            bad[i] ^= flip
            try:
                trace = Trace.from_bytes(bytes(bad))
            except TraceFileError as exc:
                assert "\n" not in str(exc) and HINT in str(exc)
                refusals += 1
                continue
            assert trace.to_bytes() == data, (i, flip)
    assert refusals > 0.95 * 4 * (len(data) - HEADER)


def test_future_format_version_says_upgrade(good_file):
    data = bytearray(good_file.read_bytes())
    struct.pack_into("<H", data, len(FILE_MAGIC), FILE_VERSION + 1)
    good_file.write_bytes(bytes(data))
    message = refused(good_file)
    assert f"format {FILE_VERSION + 1}" in message
    assert "upgrade jupyter-asyncviz" in message


def test_format_version_zero_is_refused(good_file):
    data = bytearray(good_file.read_bytes())
    struct.pack_into("<H", data, len(FILE_MAGIC), 0)
    good_file.write_bytes(bytes(data))
    refused(good_file)


def _file(description: dict, buffer: bytes) -> bytes:
    head = zlib.compress(json.dumps(description).encode())
    body = zlib.compress(buffer)
    return FILE_MAGIC + struct.pack("<HQQ", FILE_VERSION, len(head), len(body)) + head + body


@pytest.mark.parametrize(
    "damage",
    [
        "no-strings",
        "object-field",
        "idle-shape",
        "meta-not-dict",
        "bad-object-ref",
        "bad-kind",
        "time-order",
        "record-cut",
        "not-json",
    ],
)
def test_well_compressed_nonsense_is_refused(tmp_path, damage):
    description = {
        "format": 1,
        "strings": ["1"],
        "objects": [{"id": 0, "kind": "generator", "name": "g", "label": "g#1"}],
        "idle": [[1, 2]],
        "dropped": 0,
        "meta": {},
        "sources": {},
    }
    records = [
        RECORD.pack(5, 0, NO_TARGET, NO_VALUE, START),
        RECORD.pack(6, 0, NO_TARGET, 0, YIELD),
    ]
    if damage == "no-strings":
        del description["strings"]
    elif damage == "object-field":
        description["objects"][0]["colour"] = "red"
    elif damage == "idle-shape":
        description["idle"] = [[1, 2, 3]]
    elif damage == "meta-not-dict":
        description["meta"] = "x"
    elif damage == "bad-object-ref":
        records.append(RECORD.pack(7, 1, NO_TARGET, NO_VALUE, YIELD))
    elif damage == "bad-kind":
        records.append(RECORD.pack(7, 0, NO_TARGET, NO_VALUE, len(KINDS)))
    elif damage == "time-order":
        records.append(RECORD.pack(1, 0, NO_TARGET, NO_VALUE, YIELD))
    path = tmp_path / "x.avz"
    buffer = b"".join(records)
    if damage == "record-cut":
        buffer = buffer[:-1]
    data = _file(description, buffer)
    if damage == "not-json":
        head = zlib.compress(b"{not json")
        body = zlib.compress(buffer)
        data = FILE_MAGIC + struct.pack("<HQQ", FILE_VERSION, len(head), len(body)) + head + body
    path.write_bytes(data)
    assert HINT in refused(path)


def test_the_undamaged_handmade_file_loads(tmp_path):
    # the control for the test above: its nonsense, not its making, is what is refused
    description = {
        "format": 1,
        "strings": ["1"],
        "objects": [{"id": 0, "kind": "generator", "name": "g", "label": "g#1"}],
        "idle": [[1, 2]],
        "dropped": 0,
        "meta": {},
        "sources": {},
    }
    buffer = RECORD.pack(5, 0, NO_TARGET, NO_VALUE, START) + RECORD.pack(6, 0, NO_TARGET, 0, YIELD)
    path = tmp_path / "x.avz"
    path.write_bytes(_file(description, buffer))
    trace = asyncviz.load(path)
    assert [(e.kind, e.value) for e in trace.events] == [("start", None), ("yield", "1")]


# -- random traces ------------------------------------------------------------------------

_text = st.text(max_size=20)
_json_scalar = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | _text
    | st.floats(allow_nan=False, allow_infinity=False)
)
_json = st.recursive(
    _json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def random_traces(draw) -> Trace:
    nobj = draw(st.integers(0, 6))
    strings = draw(st.lists(_text, max_size=8, unique=True))
    objects = [
        Traced(
            id=i,
            kind=draw(st.sampled_from(OBJECT_KINDS)),
            name=draw(_text),
            label=draw(_text),
            filename=draw(st.none() | _text),
            firstlineno=draw(st.none() | st.integers(1, 10**6)),
            state=draw(st.sampled_from(STATES)),
            parent=draw(st.none() | st.integers(0, nobj - 1)) if nobj else None,
            initial=draw(st.none() | st.sampled_from(STATES)),
            coro=draw(st.none() | st.integers(0, nobj - 1)) if nobj else None,
            deadline=draw(st.none() | st.integers(0, 2**62)),
            members=draw(st.none() | st.lists(st.integers(0, nobj - 1), max_size=4))
            if nobj
            else None,
        )
        for i in range(nobj)
    ]
    records = []
    if nobj:
        deltas = draw(st.lists(st.integers(0, 10**9), max_size=40))
        t = draw(st.integers(0, 10**12))
        for dt in deltas:
            t += dt
            records.append(
                RECORD.pack(
                    t,
                    draw(st.integers(0, nobj - 1)),
                    draw(st.integers(NO_TARGET, nobj - 1)),
                    draw(st.integers(0, len(strings) - 1))
                    if strings and draw(st.booleans())
                    else NO_VALUE,
                    draw(st.integers(0, 2**24 - 1)) << 8 | draw(st.integers(0, len(KINDS) - 1)),
                )
            )
    idle = [
        tuple(sorted(p))
        for p in draw(st.lists(st.tuples(st.integers(0, 2**62), st.integers(0, 2**62)), max_size=5))
    ]
    return Trace(
        buffer=b"".join(records),
        strings=strings,
        objects=objects,
        idle=idle,
        dropped=draw(st.integers(0, 2**40)),
        meta=draw(st.dictionaries(_text, _json, max_size=4)),
        sources=draw(st.dictionaries(_text, st.text(max_size=200), max_size=2)),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_traces())
def test_random_traces_round_trip_exactly(trace):
    assert trace.check() is None
    loaded = Trace.from_bytes(trace.to_bytes())
    same(trace, loaded)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-(2**63), 2**63 - 1),
            st.integers(0, 2**32 - 1),
            st.integers(-(2**31), 2**31 - 1),
            st.integers(0, 2**32 - 1),
            st.integers(0, 2**32 - 1),
        ),
        max_size=20,
    )
)
def test_record_columns_are_the_records_decoded(records):
    buffer = b"".join(RECORD.pack(*r) for r in records)
    t, obj, target, value, kind, line = record_columns(buffer)
    assert list(t) == [r[0] for r in records]
    assert list(obj) == [r[1] for r in records]
    assert list(target) == [r[2] for r in records]
    assert list(value) == [r[3] for r in records]
    assert list(kind) == [r[4] & 0xFF for r in records]
    assert list(line) == [r[4] >> 8 for r in records]
    assert (t.typecode, obj.typecode, target.typecode, kind.typecode) == ("q", "I", "i", "B")


@settings(max_examples=30, deadline=None)
@given(random_traces())
def test_random_traces_round_trip_through_files(tmp_path_factory, trace):
    path = tmp_path_factory.mktemp("rt") / "t.avz"
    same(trace, asyncviz.load(trace.save(path)))


# -- size -----------------------------------------------------------------------------------


def test_bytes_per_event_of_a_tight_generator_loop():
    def numbers(n):
        for i in range(n):
            yield i

    with asyncviz.trace() as t:
        for _ in numbers(100_000):
            pass
    # start, 100,000 × (yield, resume), return
    assert len(t.events) == 200_002
    assert not t.truncated
    per_event = t.bytes_per_event()
    print(f"\nbytes per event, 100,000 distinct yielded ints: {per_event:.2f}")
    assert per_event < 32


# -- saving in other formats ----------------------------------------------------------------


def test_save_txt_is_the_summary_text(traces, tmp_path):
    trace = traces["asyncio"]
    path = trace.save(tmp_path / "a" / "b" / "summary.txt")
    assert path.read_text(encoding="utf-8") == str(trace.summary()) + "\n"
    assert "child-1" in path.read_text(encoding="utf-8")


def test_save_html_is_a_self_contained_page(traces, tmp_path):
    trace = traces["asyncio"]
    text = trace.save(tmp_path / "deep" / "er" / "page.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<table>" in text and "</html>" in text
    assert trace.summary()._repr_html_() in text
    assert "http://" not in text and "https://" not in text and "<script" not in text


def test_save_suffix_is_case_insensitive(traces, tmp_path):
    path = traces["generators"].save(tmp_path / "T.AVZ")
    same(traces["generators"], asyncviz.load(path))


@pytest.mark.parametrize(
    "name, says",
    [
        ("t.xlsx", ".xlsx is not a format asyncviz writes"),
        ("trace", "'trace' has no suffix"),
    ],
)
def test_save_refuses_other_suffixes(traces, tmp_path, name, says):
    with pytest.raises(ValueError) as info:
        traces["generators"].save(tmp_path / "out" / name)
    message = str(info.value)
    assert "\n" not in message
    assert says in message
    assert message.endswith(
        "use one of .avz .html .txt .png .svg .pdf .dot .json .states.svg .states.png"
    )
    assert not (tmp_path / "out").exists()


def test_save_replaces_atomically(traces, tmp_path, monkeypatch):
    path = tmp_path / "t.avz"
    traces["generators"].save(path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        traces["asyncio"].save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["t.avz"]
    traces["asyncio"].save(path)
    same(traces["asyncio"], asyncviz.load(path))
    assert os.listdir(tmp_path) == ["t.avz"]


def test_saved_file_mode_follows_the_umask(traces, tmp_path):
    old = os.umask(0o022)
    try:
        path = traces["generators"].save(tmp_path / "t.avz")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


# -- the public name ------------------------------------------------------------------------


def test_public_trace_name_is_the_function():
    # the storage submodule shares the name: importing it first must not take it over
    code = (
        "import asyncviz.trace, asyncviz\n"
        "with asyncviz.trace() as t:\n"
        "    pass\n"
        "print(type(t).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Trace"
