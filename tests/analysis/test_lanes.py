"""The timeline's layout (analysis/lanes.py, Trace.lanes()): lanes, one row per object
alive at the same time, folding — for recorded programs (on every backend) and for
hand-made traces whose lifetimes are known exactly."""

from __future__ import annotations

import pytest

from asyncviz.analysis.lanes import FOLD_AT, Facts, place, short_name
from asyncviz.analysis.timeline import CANCEL, RELATION_KINDS, timeline_of
from corpus import PROGRAMS
from programs import record
from tracebuilder import TraceBuilder

THREE_WORKERS = """
def worker(name, n):
    got = None
    for i in range(n):
        got = yield (name, i, got)
    return name
def main():
    ready = [worker("a", 3), worker("b", 1), worker("c", 2)]
    done = []
    while ready:
        w = ready.pop(0)
        try:
            w.send(None)
        except StopIteration as stop:
            done.append(stop.value)
            continue
        ready.append(w)
    return done
"""


def by_label(trace):
    """Trace.lanes() with every id replaced by its object's label."""
    label = {o.id: o.label for o in trace.objects}
    return [
        (lane.label, lane.kind, [[label[i] for i in row] for row in lane.rows])
        for lane in trace.lanes()
    ]


def task_of(trace, coro_label: str) -> str:
    """The label of the task that drives the coroutine labelled `coro_label`."""
    coro = trace.object(coro_label).id
    return next(o.label for o in trace.objects if o.kind == "task" and o.coro == coro)


# -- recorded programs --------------------------------------------------------------------


def test_round_robin_workers_one_lane_a_row_each(each_backend):
    t, ns = record(THREE_WORKERS)
    assert ns["result"] == ["b", "c", "a"]
    assert by_label(t) == [
        ("worker ×3", "free", [["worker#1"], ["worker#2"], ["worker#3"]]),
    ]
    lane = t.lanes()[0]
    assert lane.rows == [[0], [1], [2]] and lane.object == 0 and lane.function == "worker"
    assert lane.id == 0 and lane.group is None


def test_round_robin_of_the_corpus(each_backend):
    t, _ = record(PROGRAMS["round_robin"])
    assert [(lane.label, lane.kind, lane.rows) for lane in t.lanes()] == [
        ("worker ×2", "free", [[0], [1]]),
    ]


def test_gather_a_lane_per_task_its_coroutine_on_its_first_row(each_backend):
    t, _ = record(PROGRAMS["gather"])
    a, b = task_of(t, "work#1"), task_of(t, "work#2")
    assert by_label(t) == [
        ("root", "task", [["root", "main#1"]]),
        (a, "task", [[a, "work#1"]]),
        (b, "task", [[b, "work#2"]]),
    ]
    assert [lane.function for lane in t.lanes()] == ["root", "work", "work"]


def test_taskgroup(each_backend):
    t, _ = record(PROGRAMS["taskgroup"])
    assert by_label(t) == [
        ("root", "task", [["root", "main#1"]]),
        ("a", "task", [["a", "job#1"]]),
        ("b", "task", [["b", "job#2"]]),
    ]
    assert [lane.object for lane in t.lanes()] == [t.object(x).id for x in ("root", "a", "b")]


def test_nested_chains_a_row_per_level(each_backend):
    t, _ = record(PROGRAMS["yield_from_chain"])
    assert by_label(t) == [("outer#1", "free", [["outer#1"], ["middle#1"], ["inner#1"]])]
    t, _ = record(PROGRAMS["async_chain"])
    assert by_label(t) == [("root", "task", [["root", "main#1"], ["mid#1"], ["leaf#1"]])]


def test_a_coroutine_awaited_inside_a_task_gets_a_row_below_it(each_backend):
    t, _ = record(PROGRAMS["queue"])
    assert by_label(t) == [
        ("root", "task", [["root", "main#1"], ["consumer#1"]]),
        ("producer", "task", [["producer", "producer#1"]]),
    ]


def test_a_generator_driven_by_another_shares_its_lane(each_backend):
    t, _ = record(PROGRAMS["nested_creation"])
    assert by_label(t) == [("parent#1", "free", [["parent#1"], ["child#1"]])]


def test_a_row_is_reused_once_its_object_ended(each_backend):
    t, _ = record("""
def g(n):
    yield n
def main():
    return [list(g(1)), list(g(2)), list(g(3))]
""")
    assert by_label(t) == [("g ×3", "free", [["g#1", "g#2", "g#3"]])]


def test_loop_idle_lane_comes_last(each_backend):
    t, _ = record("""
import asyncio
async def main():
    await asyncio.sleep(0.02)
""")
    lanes = t.lanes()
    assert (lanes[-1].label, lanes[-1].kind, lanes[-1].rows) == ("loop idle", "idle", [[]])
    assert lanes[-1].function is None and lanes[-1].object is None


def test_lanes_agree_with_the_timeline(each_backend):
    t, _ = record(PROGRAMS["queue"])
    tl = timeline_of(t)
    for lane in tl.layout.lanes:
        assert tl.lanes[lane.id].rows == len(lane.rows)
        for r, row in enumerate(lane.rows):
            for i in row:
                assert (tl.lane_of[i], tl.depth_of[i]) == (lane.id, r)
    placed = {i for lane in tl.layout.lanes for row in lane.rows for i in row}
    assert {i for i, lane in enumerate(tl.lane_of) if lane is not None} == placed
    futures = {o.id for o in t.objects if o.kind == "future"}
    assert futures and not futures & placed


# -- hand-made traces: lifetimes known exactly ---------------------------------------------


def test_lifetimes_that_overlap_by_one_event_need_two_rows():
    b = TraceBuilder()
    g1, g2 = b.obj("generator", "g#1", "g"), b.obj("generator", "g#2", "g")
    b.ev(0, g1, "start").ev(1, g1, "yield").ev(2, g2, "start").ev(3, g1, "close")
    b.ev(4, g2, "return")
    assert [lane.rows for lane in b.build().lanes()] == [[[g1], [g2]]]


def test_a_row_is_free_from_the_event_after_the_end():
    b = TraceBuilder()
    g1, g2 = b.obj("generator", "g#1", "g"), b.obj("generator", "g#2", "g")
    b.ev(0, g1, "start").ev(1, g1, "return").ev(2, g2, "start").ev(3, g2, "return")
    assert [lane.rows for lane in b.build().lanes()] == [[[g1, g2]]]


def test_an_object_that_never_ends_keeps_its_row_to_the_end():
    b = TraceBuilder()
    g1, g2, g3 = (b.obj("generator", f"g#{k}", "g") for k in (1, 2, 3))
    b.ev(0, g1, "start").ev(1, g1, "yield")  # suspended when the trace stops
    b.ev(2, g2, "start").ev(3, g2, "return")
    b.ev(4, g3, "start").ev(5, g3, "return")
    assert [lane.rows for lane in b.build().lanes()] == [[[g1], [g2, g3]]]


def test_free_objects_of_one_function_share_a_lane_per_parent():
    b = TraceBuilder()
    p1, p2 = b.obj("generator", "p#1", "p"), b.obj("generator", "p#2", "p")
    c1 = b.obj("generator", "c#1", "c", parent=p1)
    c2 = b.obj("generator", "c#2", "c", parent=p2)
    for k, o in enumerate((p1, p2, c1, c2)):
        b.ev(2 * k, o, "start").ev(2 * k + 1, o, "return")
    assert by_label(b.build()) == [
        ("p ×2", "free", [["p#1", "p#2"]]),
        ("c#1", "free", [["c#1"]]),
        ("c#2", "free", [["c#2"]]),
    ]


def test_objects_with_no_event_have_no_row_and_an_empty_task_no_lane():
    b = TraceBuilder()
    cell = b.obj("task", "cell")  # began before the trace, never ran in it
    idle = b.obj("generator", "idle#1", "idle", parent=cell)
    g = b.obj("generator", "g#1", "g", parent=cell)
    b.ev(0, g, "start").ev(1, g, "return")
    t = b.build()
    assert by_label(t) == [("g#1", "free", [["g#1"]])]
    tl = timeline_of(t)
    assert tl.lane_of[cell] is None and tl.lane_of[idle] is None


def test_a_task_and_its_coroutine_read_as_one_row():
    b = TraceBuilder()
    task = b.obj("task", "fetch#1", "Task-7")
    coro = b.obj("coroutine", "fetch#1", "fetch")
    inner = b.obj("coroutine", "parse#1", "parse")
    b.objects[task].coro = coro
    b.objects[coro].task = b.objects[inner].task = task
    b.ev(0, task, "create").ev(1, coro, "create").ev(2, coro, "start")
    b.ev(3, inner, "start").ev(4, inner, "return").ev(5, coro, "return").ev(6, task, "return")
    (lane,) = b.build().lanes()
    assert (lane.label, lane.kind, lane.rows, lane.function) == (
        "fetch#1",
        "task",
        [[task, coro], [inner]],
        "fetch",
    )


def test_the_tasks_row_is_its_own_while_it_lives():
    """The task's row is its lane's first, even when an object of the lane appeared
    before the task did (a coroutine created early, awaited by the task later)."""
    b = TraceBuilder()
    early = b.obj("coroutine", "early#1", "early")
    task = b.obj("task", "t#1", "Task-1")
    coro = b.obj("coroutine", "run#1", "run")
    b.objects[task].coro = coro
    b.objects[coro].task = task
    b.ev(0, early, "create").ev(1, task, "create").ev(2, coro, "start")
    b.ev(3, coro, "await", target=early).ev(4, early, "start").ev(5, early, "return")
    b.ev(6, coro, "resume").ev(7, coro, "return").ev(8, task, "return")
    assert by_label(b.build()) == [("t#1", "task", [["t#1", "run#1"], ["early#1"]])]


def tasks_of(b: TraceBuilder, function: str, count: int, start: int = 0, first: int = 1) -> int:
    """`count` tasks running coroutines of `function` (labelled from `first` on), one
    after the other from time `start`; returns the time after them."""
    t = start
    for k in range(first, first + count):
        task = b.obj("task", f"{function}#{k}", f"Task-{k}")
        coro = b.obj("coroutine", f"{function}#{k}", function)
        b.objects[task].coro = coro
        b.objects[coro].task = task
        b.ev(t, task, "create").ev(t + 1, coro, "start").ev(t + 2, coro, "return")
        b.ev(t + 3, task, "return")
        t += 4
    return t


def test_eight_lanes_of_one_function_do_not_fold_nine_do():
    b = TraceBuilder()
    tasks_of(b, "work", FOLD_AT)
    layout = timeline_of(b.build()).layout
    assert len(layout.lanes) == FOLD_AT == 8 and layout.groups == []
    assert {lane.group for lane in layout.lanes} == {None}

    b = TraceBuilder()
    tasks_of(b, "work", FOLD_AT + 1)
    layout = timeline_of(b.build()).layout
    (group,) = layout.groups
    assert (group.label, group.function, group.lanes) == ("work ×9", "work", list(range(9)))
    assert [lane.group for lane in layout.lanes] == [0] * 9


def test_two_thousand_tasks_fold_into_one_group_kept_together():
    b = TraceBuilder()
    t = tasks_of(b, "other", 2)
    t = tasks_of(b, "work", 1000, t)
    t = tasks_of(b, "other", 1, t, first=3)
    tasks_of(b, "work", 1000, t, first=1001)
    layout = timeline_of(b.build()).layout
    (group,) = layout.groups
    assert group.label == "work ×2000" and group.as_dict()["function"] == "work"
    # the group sits where its first lane appeared, its lanes side by side
    assert [lane.label for lane in layout.lanes[:2]] == ["other#1", "other#2"]
    assert group.lanes == list(range(2, 2002))
    assert layout.lanes[2002].label == "other#3" and layout.lanes[2002].group is None
    assert [lane.id for lane in layout.lanes] == list(range(2003))
    objects = b.objects
    assert [objects[layout.lanes[k].object].label for k in (2, 1001, 1002, 2001)] == [
        "work#1",
        "work#1000",
        "work#1001",
        "work#2000",
    ]


def test_short_names():
    assert short_name("main.<locals>.worker") == "worker"
    assert short_name("Res.__aenter__") == "Res.__aenter__"


def test_place_alone_from_facts():
    b = TraceBuilder()
    b.obj("generator", "g#1", "g")
    b.obj("generator", "g#2", "g")
    facts = Facts(
        first=[0, 2], last=[3, 4], ended=[True, True], delegator=[None, None], driver=[None, None]
    )
    layout = place(b.objects, facts, 5, idle=True)
    assert [(lane.label, lane.rows) for lane in layout.lanes] == [
        ("g ×2", [[0], [1]]),
        ("loop idle", [[]]),
    ]
    assert layout.lane_of == [0, 0] and layout.row_of == [0, 1]


# -- cancel relations ----------------------------------------------------------------------


def group_failure():
    """A TaskGroup whose child `bad` raises: the group cancels `a` and `b` (requested by
    `bad`, as the recording states it: obj = the cancelled task, target = the requester,
    value = the message), each told by a later throw."""
    b = TraceBuilder()
    ids = {}
    for name in ("bad", "a", "b"):
        task = b.obj("task", name, name)
        coro = b.obj("coroutine", f"{name}#1", name)
        b.objects[task].coro, b.objects[coro].task = coro, task
        ids[name] = (task, coro)
    t = 0
    for task, coro in ids.values():
        b.ev(t, task, "create").ev(t + 1, coro, "start").ev(t + 2, coro, "await")
        t += 3
    bad, bad_coro = ids["bad"]
    b.ev(10, bad_coro, "resume").ev(11, bad_coro, "raise", value="KeyError(1)")
    b.ev(12, bad, "raise", value="KeyError(1)")
    b.ev(13, ids["a"][0], "cancel", target=bad).ev(14, ids["b"][0], "cancel", target=bad)
    for k, name in enumerate(("a", "b")):
        task, coro = ids[name]
        at = 20 + 4 * k
        b.ev(at, coro, "throw", value="CancelledError()").ev(at + 1, coro, "raise")
        b.ev(at + 2, task, "raise")
    return b.build(), ids


def test_a_failing_child_points_at_each_sibling_its_group_cancelled():
    trace, ids = group_failure()
    tl = timeline_of(trace)
    events = trace.events
    cancels = [r for r in tl.relations.rows() if r[0] == "cancel"]
    assert [(events[tail].t, events[head].t, a, b) for _, tail, head, a, b in cancels] == [
        (13, 20, ids["bad"][0], ids["a"][0]),
        (14, 24, ids["bad"][0], ids["b"][0]),
    ]
    assert tl.relations.count("cancel") == 2 and RELATION_KINDS[CANCEL] == "cancel"
    for _, _tail, head, _a, _b in cancels:
        assert events[head].kind == "throw"


def test_a_timeout_points_at_what_it_cancelled_even_itself():
    b = TraceBuilder()
    task = b.obj("task", "slow", "slow")
    coro = b.obj("coroutine", "slow#1", "slow")
    b.objects[task].coro, b.objects[coro].task = coro, task
    b.ev(0, task, "create").ev(1, coro, "start").ev(2, coro, "await")
    b.ev(10, task, "cancel", target=task)  # the timeout's owner asks for its own cancel
    b.ev(11, coro, "throw").ev(12, coro, "raise").ev(13, task, "raise")
    tl = timeline_of(b.build())
    assert [r for r in tl.relations.rows() if r[0] == "cancel"] == [("cancel", 3, 4, task, task)]


def test_a_cancel_never_told_points_at_the_end_or_at_itself():
    b = TraceBuilder()
    me = b.obj("task", "me", "me")
    other = b.obj("task", "other", "other")
    gone = b.obj("task", "gone", "gone")
    b.ev(0, me, "create").ev(1, other, "create").ev(2, gone, "create")
    b.ev(3, other, "cancel", target=me).ev(4, gone, "cancel", target=me)
    b.ev(5, other, "raise")  # no coroutine recorded: its end is where it was told
    assert [r for r in timeline_of(b.build()).relations.rows() if r[0] == "cancel"] == [
        ("cancel", 3, 5, me, other),
        ("cancel", 4, 4, me, gone),
    ]


def test_a_cancel_without_a_requester_draws_no_arrow():
    b = TraceBuilder()
    task = b.obj("task", "t", "t")
    b.ev(0, task, "create").ev(1, task, "cancel").ev(2, task, "raise")
    assert timeline_of(b.build()).relations.count("cancel") == 0


@pytest.mark.parametrize("name", ["cancel", "timeout", "taskgroup"])
def test_recorded_cancels_draw_an_arrow_per_request_with_a_requester(name, each_backend):
    trace, _ = record(PROGRAMS[name])
    tl = timeline_of(trace)
    events = trace.events
    asked = [
        i
        for i, e in enumerate(events)
        if e.kind == "cancel"
        and e.target is not None
        and tl.lane_of[e.obj] is not None
        and tl.lane_of[e.target] is not None
    ]
    cancels = [r for r in tl.relations.rows() if r[0] == "cancel"]
    assert [tail for _, tail, *_ in cancels] == asked
    for _, tail, head, requester, cancelled in cancels:
        assert events[tail].obj == cancelled and events[tail].target == requester
        assert head >= tail
