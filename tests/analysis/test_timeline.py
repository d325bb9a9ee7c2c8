"""The timeline analysis and its payload, for programs whose shape is known."""
from __future__ import annotations

import struct

from asyncviz.analysis.timeline import timeline_of
from asyncviz.events import KINDS
from asyncviz.render.payload import VERSION, encode, header_json
from asyncviz.trace import Trace
from programs import record
from corpus import PROGRAMS


def lanes(trace):
    tl = timeline_of(trace)
    return tl, [(lane.label, lane.kind, lane.rows) for lane in tl.lanes], {
        o.label: (tl.lanes[tl.lane_of[o.id]].label if tl.lane_of[o.id] is not None else None,
                  tl.depth_of[o.id]) for o in trace.objects}


def slices(trace, tl):
    """(label, kind that began, kind that ended) for each running slice."""
    label = {o.id: o.label for o in trace.objects}
    return [(label[o], KINDS[tl.kind[i]], KINDS[tl.kind[j]] if j >= 0 else None)
            for o, i, j in tl.slices()]


def test_yield_from_chain_nests_in_one_lane():
    t, _ = record(PROGRAMS["yield_from_chain"])
    tl, lane_list, place = lanes(t)
    assert lane_list == [("outer#1", "free", 3)]
    assert place == {"outer#1": ("outer#1", 0), "middle#1": ("outer#1", 1),
                     "inner#1": ("outer#1", 2)}
    assert slices(t, tl)[:4] == [("outer#1", "start", "await"), ("middle#1", "start", "await"),
                                 ("inner#1", "start", "yield"), ("outer#1", "resume", "await")]
    assert [(t.objects[tl.obj[i]].label, t.objects[tg].label)
            for i, tg in zip(tl.await_event, tl.await_target)] == [
        ("middle#1", "inner#1"), ("outer#1", "middle#1"),
        ("middle#1", "inner#1"), ("outer#1", "middle#1")]


def test_round_robin_workers_get_lanes_of_their_own():
    t, _ = record(PROGRAMS["round_robin"])
    tl, lane_list, place = lanes(t)
    assert lane_list == [("worker#1", "free", 1), ("worker#2", "free", 1)]
    assert slices(t, tl) == [
        ("worker#1", "start", "yield"), ("worker#2", "start", "yield"),
        ("worker#1", "resume", "yield"), ("worker#2", "resume", "return"),
        ("worker#1", "resume", "return")]


def test_tasks_have_lanes_and_spawns():
    t, _ = record(PROGRAMS["taskgroup"])
    tl, lane_list, place = lanes(t)
    assert [name for name, kind, rows in lane_list] == ["root", "a", "b"]
    assert place["job#1"] == ("a", 0) and place["job#2"] == ("b", 0)
    assert place["a"] == ("a", 0)
    spawns = {(t.objects[p].label, t.objects[c].label) for p, c, _ in tl.spawns}
    assert {("root", "a"), ("root", "b")} <= spawns
    for parent, child, event in tl.spawns:
        assert KINDS[tl.kind[event]] == "create" and tl.obj[event] == child


def test_partner_pairs_every_slice_and_suspension():
    t, _ = record(PROGRAMS["queue"])
    tl = timeline_of(t)
    for i, k in enumerate(tl.kind):
        kind, j = KINDS[k], tl.partner[i]
        if kind in ("start", "resume", "throw"):
            assert j > i and tl.obj[j] == tl.obj[i]
            assert KINDS[tl.kind[j]] in ("yield", "await", "return", "raise", "close")
        elif kind in ("yield", "await"):
            assert j == -1 or (j > i and tl.obj[j] == tl.obj[i]
                               and KINDS[tl.kind[j]] in ("start", "resume", "throw", "close"))
        else:
            assert j == -1


def test_loop_idle_lane():
    t, _ = record('''
import asyncio
async def main():
    await asyncio.sleep(0.02)
''')
    tl = timeline_of(t)
    assert tl.lanes[-1].kind == "idle" and tl.idle


def test_payload_layout_and_size():
    t, _ = record(PROGRAMS["gather"])
    header, buf = encode(t)
    assert header["version"] == VERSION == 1
    assert header["n_events"] == len(t.events)
    n = header["n_events"]
    offset, count, code = header["arrays"]["t"]
    assert (count, code) == (n, "u32")
    ticks = struct.unpack_from(f"<{n}I", buf, offset)
    assert [x * header["tick_ns"] for x in ticks] == [
        e.t // header["tick_ns"] * header["tick_ns"] for e in t.events]
    offset, count, code = header["arrays"]["kind"]
    assert [KINDS[k] for k in buf[offset:offset + count]] == [e.kind for e in t.events]
    offset, count, code = header["arrays"]["obj"]
    assert code == "u16"
    assert list(struct.unpack_from(f"<{n}H", buf, offset)) == [e.obj for e in t.events]
    for name, (offset, count, code) in header["arrays"].items():
        assert offset % 4 == 0, name
    assert len(buf) / n <= 16
    objects = header["objects"]
    assert [header["object_kinds"][k] for k in objects["kind"]] == [o.kind for o in t.objects]
    assert objects["label"] == [o.label for o in t.objects]
    assert [header["state_names"][s] for s in objects["state"]] == [o.state for o in t.objects]


def test_payload_of_empty_trace():
    header, buf = encode(Trace(buffer=b"", strings=[], objects=[]))
    assert header["n_events"] == 0 and header["lanes"]["label"] == [] and len(buf) == 0


def test_payload_at_scale_is_at_most_16_bytes_per_event():
    t, _ = record('''
import asyncio
def numbers(n):
    for i in range(n):
        yield i
async def job(n):
    for _ in range(n):
        await asyncio.sleep(0)
async def main():
    total = sum(numbers(100_000))
    await asyncio.gather(*(job(5) for _ in range(2_000)))
    return total
''')
    assert len(t.events) > 200_000
    header, buf = encode(t)
    # everything counted: the columns of 4,000 objects as well as the event arrays
    total = len(buf) + len(header_json(header))
    assert total / header["n_events"] <= 16, total / header["n_events"]


def test_generators_nest_below_what_drives_them():
    t, _ = record('''
def numbers(n):
    for i in range(n):
        yield i
def relay(it):
    for x in it:
        yield x
async def main():
    return sum(relay(numbers(3)))
''')
    _tl, _lanes, place = lanes(t)
    assert place["main#1"] == ("root", 1)
    assert place["relay#1"] == ("root", 2)   # driven by main's sum()
    assert place["numbers#1"] == ("root", 3)  # driven by relay's for loop, not by its creator
