"""The timeline analysis and its payload, for programs whose shape is known."""

from __future__ import annotations

import struct
import sys

import pytest

from asyncviz.analysis.timeline import NO_STATE, RELATION_KINDS, SourceLines, timeline_of
from asyncviz.events import KINDS, STATES
from asyncviz.render.payload import VERSION, encode, header_json
from asyncviz.trace import Trace
from corpus import PROGRAMS, TASKS
from programs import record
from tracebuilder import TraceBuilder


def lanes(trace):
    tl = timeline_of(trace)
    return (
        tl,
        [(lane.label, lane.kind, lane.rows) for lane in tl.lanes],
        {
            o.label: (
                tl.lanes[tl.lane_of[o.id]].label if tl.lane_of[o.id] is not None else None,
                tl.depth_of[o.id],
            )
            for o in trace.objects
        },
    )


def slices(trace, tl):
    """(label, kind that began, kind that ended) for each running slice."""
    label = {o.id: o.label for o in trace.objects}
    return [
        (label[o], KINDS[tl.kind[i]], KINDS[tl.kind[j]] if j >= 0 else None)
        for o, i, j in tl.slices()
    ]


def test_yield_from_chain_nests_in_one_lane():
    t, _ = record(PROGRAMS["yield_from_chain"])
    tl, lane_list, place = lanes(t)
    assert lane_list == [("outer#1", "free", 3)]
    assert place == {
        "outer#1": ("outer#1", 0),
        "middle#1": ("outer#1", 1),
        "inner#1": ("outer#1", 2),
    }
    assert slices(t, tl)[:4] == [
        ("outer#1", "start", "await"),
        ("middle#1", "start", "await"),
        ("inner#1", "start", "yield"),
        ("outer#1", "resume", "await"),
    ]
    assert [
        (t.objects[tl.obj[i]].label, t.objects[tg].label)
        for i, tg in zip(tl.await_event, tl.await_target)
    ] == [
        ("middle#1", "inner#1"),
        ("outer#1", "middle#1"),
        ("middle#1", "inner#1"),
        ("outer#1", "middle#1"),
    ]


def test_round_robin_workers_share_a_lane_one_row_each():
    t, _ = record(PROGRAMS["round_robin"])
    tl, lane_list, place = lanes(t)
    # alive at the same time: one lane, a row each, their interleaving visible
    assert lane_list == [("worker ×2", "free", 2)]
    assert place == {"worker#1": ("worker ×2", 0), "worker#2": ("worker ×2", 1)}
    assert slices(t, tl) == [
        ("worker#1", "start", "yield"),
        ("worker#2", "start", "yield"),
        ("worker#1", "resume", "yield"),
        ("worker#2", "resume", "return"),
        ("worker#1", "resume", "return"),
    ]


def test_tasks_have_lanes_and_spawns():
    t, _ = record(PROGRAMS["taskgroup"])
    tl, lane_list, place = lanes(t)
    assert [name for name, kind, rows in lane_list] == ["root", "a", "b"]
    assert place["job#1"] == ("a", 0) and place["job#2"] == ("b", 0)
    assert place["a"] == ("a", 0)
    spawns = {(t.objects[p].label, t.objects[c].label) for p, c, _ in tl.spawns}
    assert {("root", "a"), ("root", "b")} <= spawns
    for _parent, child, event in tl.spawns:
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
            assert j == -1 or (
                j > i
                and tl.obj[j] == tl.obj[i]
                and KINDS[tl.kind[j]] in ("start", "resume", "throw", "close")
            )
        else:
            assert j == -1


def test_loop_idle_lane():
    t, _ = record("""
import asyncio
async def main():
    await asyncio.sleep(0.02)
""")
    tl = timeline_of(t)
    assert tl.lanes[-1].kind == "idle" and tl.idle


def test_payload_layout_and_size():
    t, _ = record(PROGRAMS["gather"])
    header, buf = encode(t)
    assert header["version"] == VERSION == 3
    assert header["n_events"] == len(t.events)
    n = header["n_events"]
    offset, count, code = header["arrays"]["t"]
    assert (count, code) == (n, "u32")
    ticks = struct.unpack_from(f"<{n}I", buf, offset)
    assert [x * header["tick_ns"] for x in ticks] == [
        e.t // header["tick_ns"] * header["tick_ns"] for e in t.events
    ]
    offset, count, code = header["arrays"]["kind"]
    assert [KINDS[k] for k in buf[offset : offset + count]] == [e.kind for e in t.events]
    offset, count, code = header["arrays"]["obj"]
    assert code == "u16"
    assert list(struct.unpack_from(f"<{n}H", buf, offset)) == [e.obj for e in t.events]
    for name, (offset, _count, _code) in header["arrays"].items():
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
    t, _ = record("""
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
""")
    assert len(t.events) > 200_000
    header, buf = encode(t)
    # everything counted: the columns of 4,000 objects as well as the event arrays
    total = len(buf) + len(header_json(header))
    assert total / header["n_events"] <= 16, total / header["n_events"]


def test_generators_driven_in_a_task_get_rows_in_its_lane():
    t, _ = record("""
def numbers(n):
    for i in range(n):
        yield i
def relay(it):
    for x in it:
        yield x
async def main():
    return sum(relay(numbers(3)))
""")
    _tl, _lanes, place = lanes(t)
    # the trace began inside `root` (its coroutine is not recorded): main#1 shares its
    # first row; numbers#1 is created first (relay's argument), so it takes the next row
    assert place["main#1"] == ("root", 0)
    assert place["numbers#1"] == ("root", 1)
    assert place["relay#1"] == ("root", 2)


# -- what the front-end used to work out for itself, now computed here -------------------
# Each fact below is checked against a naive definition written out event by event: the
# state after each event (as the timeline's playback strip shows it), the task ↔ coroutine
# links, and the relations the timeline draws.

STATE_AFTER = {
    "create": "CREATED",
    "start": "RUNNING",
    "resume": "RUNNING",
    "throw": "RUNNING",
    "yield": "SUSPENDED",
    "await": "SUSPENDED",
    "return": "CLOSED",
    "raise": "CLOSED",
    "close": "CLOSED",
    "cancel": None,
}


def naive_state(trace, o, upto):
    """The state of object `o` after event `upto`: its latest event that sets a state; a
    task that has not ended takes its coroutine's (None: not known yet)."""
    events = trace.events
    own = next(
        (
            STATE_AFTER[events[i].kind]
            for i in range(upto, -1, -1)
            if events[i].obj == o and STATE_AFTER[events[i].kind]
        ),
        None,
    )
    coro = trace.objects[o].coro if trace.objects[o].kind == "task" else None
    if own == "CLOSED" or coro is None:
        return own
    return naive_state(trace, coro, upto) or own


def applicable(name: str) -> bool:
    return name != "eager_task" or sys.version_info >= (3, 12)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_state_after_each_event(name):
    if not applicable(name):
        pytest.skip("eager tasks are new in 3.12")
    trace, _ = record(PROGRAMS[name])
    tl = timeline_of(trace)
    assert len(tl.state) == len(trace.events)
    for i, e in enumerate(trace.events):
        want = naive_state(trace, e.obj, i)
        got = None if tl.state[i] == NO_STATE else STATES[tl.state[i]]
        assert got == want, (name, i, e)


def test_state_of_a_task_is_its_coroutines_until_it_ends():
    b = TraceBuilder()
    task = b.obj("task", "job", state="CLOSED")
    coro = b.obj("coroutine", "work#1", state="CLOSED")
    b.objects[task].coro = coro
    b.ev(0, task, "create").ev(1, coro, "create").ev(2, coro, "start")
    b.ev(3, coro, "await").ev(4, task, "cancel").ev(5, coro, "throw")
    b.ev(6, coro, "raise").ev(7, task, "raise")
    tl = timeline_of(b.build())
    assert [STATES[s] for s in tl.state] == [
        "CREATED",
        "CREATED",
        "RUNNING",
        "SUSPENDED",
        "SUSPENDED",
        "RUNNING",
        "CLOSED",
        "CLOSED",
    ]
    assert tl.link == [coro, task]


def test_a_kind_that_leaves_the_state_alone_keeps_the_one_before():
    b = TraceBuilder()
    task = b.obj("task", "alone")  # no coroutine in scope: its own events alone
    b.ev(0, task, "cancel").ev(1, task, "create").ev(2, task, "cancel").ev(3, task, "return")
    tl = timeline_of(b.build())
    assert [None if s == NO_STATE else STATES[s] for s in tl.state] == [
        None,
        "CREATED",
        "CREATED",
        "CLOSED",
    ]
    assert tl.link == [None]


@pytest.mark.parametrize("name", ["taskgroup", "gather", "cancel", "queue", "timeout"])
def test_links_join_each_task_and_its_coroutine(name):
    trace, _ = record(PROGRAMS[name])
    tl = timeline_of(trace)
    for o in trace.objects:
        if o.kind == "task" and o.coro is not None:
            assert tl.link[o.id] == o.coro and tl.link[o.coro] == o.id
            # the coroutine heads its task's lane
            assert tl.lane_of[o.coro] == tl.lane_of[o.id] and tl.depth_of[o.coro] == 0
    assert all(tl.link[tl.link[o]] == o for o in range(len(tl.link)) if tl.link[o] is not None)


def naive_relations(trace, tl):
    """spawn / await / wake arrows as the timeline draws them, by their definitions."""
    events = list(trace.events)
    placed = [lane is not None for lane in tl.lane_of]
    out = [
        ("spawn", at, at, parent, child)
        for parent, child, at in tl.spawns
        if placed[parent] and placed[child]
    ]
    for i, e in enumerate(events):
        drawn = e.kind == "await" and e.target is not None and e.target != e.obj
        if drawn and placed[e.obj] and placed[e.target]:
            out += naive_await(events, tl, i)
    for i, e in enumerate(events):
        if e.kind == "cancel" and e.target is not None and placed[e.obj] and placed[e.target]:
            out.append(naive_cancel(events, tl, i))
    return out


def naive_cancel(events, tl, i):
    """A cancel arrow: from the requester (the event's target) at the request to where
    the cancelled task or its coroutine was told — its next throw, else its next end,
    else the request itself."""
    e = events[i]
    mine = {e.obj, tl.link[e.obj]}
    after = [j for j in range(i + 1, len(events)) if events[j].obj in mine]
    head = next((j for j in after if events[j].kind == "throw"), None)
    if head is None:
        ends = ("return", "raise", "close")
        head = next((j for j in after if events[j].kind in ends), i)
    return ("cancel", i, head, e.target, e.obj)


def naive_await(events, tl, i):
    """The await arrow of event i — to where the awaited object stands: its suspension
    just before, else its next event — and the wake arrow when the awaited object ended
    and so resumed the waiter."""
    e = events[i]
    mine = [j for j, f in enumerate(events) if f.obj == e.target]
    before = [j for j in mine if j < i]
    after = [j for j in mine if j > i]
    if before and events[before[-1]].kind in ("yield", "await"):
        head = before[-1]
    else:
        head = after[0] if after else i
    out = [("await", i, head, e.obj, e.target)]
    resume, end = tl.partner[i], (mine[-1] if mine else -1)
    if resume >= 0 and i < end <= resume and events[end].kind in ("return", "raise", "close"):
        out.append(("wake", end, resume, e.target, e.obj))
    return out


@pytest.mark.parametrize(
    "name",
    [
        "yield_from_chain",
        "async_chain",
        "gather",
        "queue",
        "taskgroup",
        "cancel",
        "timeout",
        "async_for",
    ],
)
def test_relations_are_spawns_awaits_and_wakes(name):
    trace, _ = record(PROGRAMS[name])
    tl = timeline_of(trace)
    assert list(tl.relations.rows()) == naive_relations(trace, tl)
    assert len(tl.relations) == sum(tl.relations.count(k) for k in RELATION_KINDS)


def test_relations_of_a_task_awaiting_a_coroutine():
    trace, _ = record(TASKS)
    tl = timeline_of(trace)
    kinds = {kind for kind, *_ in tl.relations.rows()}
    assert {"spawn", "await", "wake"} <= kinds, list(tl.relations.rows())
    for kind, tail, head, tail_obj, head_obj in tl.relations.rows():
        if kind == "wake":  # from the awaited object's end to the waiter's resume
            assert tl.obj[tail] == tail_obj and tl.obj[head] == head_obj
            assert KINDS[tl.kind[tail]] in ("return", "raise", "close")
            assert KINDS[tl.kind[head]] in ("resume", "throw")


def test_targets_name_every_event_that_names_an_object():
    trace, _ = record(PROGRAMS["cancel"])
    tl = timeline_of(trace)
    assert list(zip(tl.target_event, tl.target_obj)) == [
        (i, e.target) for i, e in enumerate(trace.events) if e.target is not None
    ]
    assert "await" in {KINDS[tl.kind[i]] for i in tl.target_event}


def test_source_lines_from_the_trace_then_linecache():
    b = TraceBuilder()
    b.obj("generator", "g#1")
    trace = b.build(sources={"<cell-1>": "def g():\n    yield  1  \n"})
    lines = SourceLines(trace)
    assert lines("<cell-1>", 2) == "yield  1"
    assert lines("<cell-1>", 3) is None and lines("<cell-1>", 0) is None
    assert lines(None, 1) is None and lines("<nowhere>", 1) is None
    assert (
        lines(__file__, 1)
        == '"""The timeline analysis and its payload, for programs whose shape is known."""'
    )
