"""The state machines (analysis/states.py) of known programs: exact nodes, edges, counts,
samples, the events behind them and the cursor.

Every expectation below was derived from what CPython does with the program (and then
checked against the record); the programs are compiled through the cell rewrite, as a
notebook cell is (tests/programs.py).
"""

from __future__ import annotations


import pytest

from asyncviz.analysis.states import functions, lifecycle, suspension_points

from .machinecheck import check_events, machines, nodes, record_traces, samples


@pytest.fixture(scope="module")
def traces() -> dict:
    return record_traces()


# -- throw caught inside the generator --------------------------------------------------------


def test_throw_caught(traces):
    trace = traces["throw_caught"]
    assert [f.key for f in functions(trace)] == ["g (generator, line 2)"]
    points, life = machines(trace, "g")
    assert points.kind == "points" and points.title == "g (generator, line 2)"
    assert points.table() == [
        ("start", "yield · line 5", "start", 1),
        ("yield · line 5", "yield · line 7", "throw", 1),  # thrown in, caught, yields again
        ("yield · line 7", "close", "close", 1),  # finalised when main returns
    ]
    assert nodes(points) == [
        ("start", "start", "start", 2, None, 0),
        ("yield:5", "site", "yield · line 5", 5, "yield 1", 1),
        ("yield:7", "site", "yield · line 7", 7, 'yield "caught"', 1),
        ("close", "exit", "close", None, None, 1),
    ]
    assert samples(points) == [
        ["yielded 1"],
        ["thrown ValueError('x') → yielded 'caught'"],
        ["close"],
    ]
    assert life.kind == "lifecycle"
    assert life.table() == [
        ("CREATED", "RUNNING", "start", 1),
        ("RUNNING", "SUSPENDED", "yield ×2", 2),
        ("SUSPENDED", "RUNNING", "throw", 1),
        ("SUSPENDED", "CLOSED", "close", 1),
    ]
    assert [(n.id, n.count) for n in life.nodes] == [
        ("CREATED", 1),
        ("RUNNING", 2),
        ("SUSPENDED", 2),
        ("CLOSED", 1),
    ]
    assert samples(life) == [[], ["yield 1", "yield 'caught'"], ["throw ValueError('x')"], []]
    check_events(trace, points)
    check_events(trace, life)


def test_cursor_follows_the_events(traces):
    # events: 0 create, 1 start, 2 yield 1, 3 throw, 4 yield 'caught', 5 close
    trace = traces["throw_caught"]
    assert [e.kind for e in trace.events] == ["create", "start", "yield", "throw", "yield", "close"]
    points, life = machines(trace, "g")
    assert [points.at(i) for i in range(7)] == [
        (None, None),
        (None, None),  # created, started: no suspension point yet
        ("yield:5", 0),
        ("yield:5", 0),  # the throw runs from the site it was thrown at
        ("yield:7", 1),
        ("close", 2),
        ("close", 2),
    ]
    assert points.at(-1) == (None, None)
    assert [life.at(i) for i in range(7)] == [
        ("CREATED", None),
        ("RUNNING", 0),
        ("SUSPENDED", 1),
        ("RUNNING", 2),
        ("SUSPENDED", 1),
        ("CLOSED", 3),
        ("CLOSED", 3),
    ]


# -- close() on a suspended generator and on a created one ------------------------------------


def test_close_suspended(traces):
    trace = traces["close_suspended"]
    points, life = machines(trace, "g")
    assert points.table() == [
        ("start", "yield · line 4", "start", 1),
        ("yield · line 4", "close", "close", 1),
    ]
    assert [(n.id, n.text, n.count) for n in points.nodes] == [
        ("start", None, 0),
        ("yield:4", "yield 1", 1),
        ("close", None, 1),
    ]
    assert samples(points) == [["yielded 1"], ["close"]]
    assert life.table() == [
        ("CREATED", "RUNNING", "start", 1),
        ("RUNNING", "SUSPENDED", "yield", 1),
        ("SUSPENDED", "CLOSED", "close", 1),
    ]
    check_events(trace, points)
    check_events(trace, life)


def test_close_created(traces):
    trace = traces["close_created"]
    points, life = machines(trace, "g")
    # never started: the close leaves from the start, no suspension point is drawn
    assert points.table() == [("start", "close", "close", 1)]
    assert [n.id for n in points.nodes] == ["start", "close"]
    assert life.table() == [("CREATED", "CLOSED", "close", 1)]
    assert [(n.id, n.count) for n in life.nodes] == [
        ("CREATED", 1),
        ("RUNNING", 0),
        ("SUSPENDED", 0),
        ("CLOSED", 1),
    ]
    assert life.at(0) == ("CREATED", None) and life.at(1) == ("CLOSED", 0)
    check_events(trace, points)
    check_events(trace, life)


def test_two_instances_closed_by_finalisation(traces):
    trace = traces["two_instances"]
    points, life = machines(trace, "g")
    assert points.objects == [0, 1]
    assert points.table() == [
        ("start", "yield · line 3", "start ×2", 2),
        ("yield · line 3", "close", "close ×2", 2),
    ]
    assert sorted(samples(points)[0]) == ["yielded 1", "yielded 2"]
    assert life.table() == [
        ("CREATED", "RUNNING", "start ×2", 2),
        ("RUNNING", "SUSPENDED", "yield ×2", 2),
        ("SUSPENDED", "CLOSED", "close ×2", 2),
    ]
    # one object alone
    one = lifecycle(trace, obj="g#2")
    assert one.objects == [1] and one.title == "g#2"
    assert one.table() == [
        ("CREATED", "RUNNING", "start", 1),
        ("RUNNING", "SUSPENDED", "yield", 1),
        ("SUSPENDED", "CLOSED", "close", 1),
    ]
    # the function of an object
    assert suspension_points(trace, obj="g#1").table() == points.table()
    for m in (points, life, one):
        check_events(trace, m)


# -- an async generator closed early ----------------------------------------------------------


def test_async_generator_closed_early(traces):
    trace = traces["async_gen_closed_early"]
    assert [f.key for f in functions(trace)] == [
        "main (coroutine, line 10)",
        "count (async_generator, line 2)",
    ]
    points, life = machines(trace, "count")
    assert points.table() == [
        ("start", "yield · line 6", "start", 1),
        ("yield · line 6", "yield · line 6", "send/next", 1),  # the second item
        ("yield · line 6", "close", "close", 1),  # break, then aclose()
    ]
    assert [(n.id, n.text, n.count) for n in points.nodes] == [
        ("start", None, 0),
        ("yield:6", "yield i", 2),
        ("close", None, 1),
    ]
    assert samples(points) == [["yielded 0"], ["sent None → yielded 1"], ["close"]]
    assert life.table() == [
        ("CREATED", "RUNNING", "start", 1),
        ("RUNNING", "SUSPENDED", "yield ×2", 2),
        ("SUSPENDED", "RUNNING", "send/next", 1),
        ("SUSPENDED", "CLOSED", "close", 1),
    ]
    # main never suspends: its async for and aclose() finish without the loop
    main_points, _ = machines(trace, "main")
    assert main_points.table() == [("start", "return · line 18", "start", 1)]
    assert main_points.node("return:18").text == "return out"
    assert samples(main_points) == [["return [0, 1]"]]
    for m in (points, life, main_points):
        check_events(trace, m)


# -- a coroutine cancelled while awaiting -----------------------------------------------------


def test_cancelled_while_awaiting(traces):
    trace = traces["cancel"]
    points, life = machines(trace, "sleeper")
    assert points.table() == [
        ("start", "await · line 5", "start", 1),
        ("await · line 5", "raise · line 5", "throw", 1),
    ]
    assert nodes(points)[:2] == [
        ("start", "start", "start", 3, None, 0),
        ("await:5", "site", "await · line 5", 5, "await asyncio.sleep(10)", 1),
    ]
    assert nodes(points)[2][:3] == ("raise:5", "exit", "raise · line 5")
    assert samples(points) == [
        ["awaited sleep(10)"],
        ["thrown CancelledError('stop') → raise CancelledError('stop')"],
    ]
    assert life.table() == [
        ("CREATED", "RUNNING", "start", 1),
        ("RUNNING", "SUSPENDED", "await", 1),
        ("SUSPENDED", "RUNNING", "throw", 1),
        ("RUNNING", "CLOSED", "raise", 1),
    ]
    assert samples(life) == [
        [],
        ["await <Future pending>"],
        ["throw CancelledError('stop')"],
        ["raise CancelledError('stop')"],
    ]
    # the task's `cancel` event is not the coroutine's: it is in neither machine
    cancel = [i for i, e in enumerate(trace.events) if e.kind == "cancel"]
    assert cancel and not set(cancel) & (set(points.event_node) | set(life.event_node))

    main_points, _ = machines(trace, "main")
    assert main_points.table() == [
        ("start", "await · line 10", "start", 1),
        ("await · line 10", "await · line 13", "send/next", 1),
        ("await · line 13", "return · line 15", "throw", 1),
    ]
    assert samples(main_points) == [
        ["awaited None"],
        ["got None → awaited sleeper"],
        ["thrown CancelledError('stop') → return True"],
    ]
    for m in (points, life, main_points):
        check_events(trace, m)


def test_cancelled_coroutine_raises_from_the_await(traces):
    points, _ = machines(traces["cancel"], "sleeper")
    # the CancelledError is raised at the await and passes through the `finally`
    assert nodes(points)[2] == (
        "raise:5",
        "exit",
        "raise · line 5",
        5,
        "await asyncio.sleep(10)",
        1,
    )


# -- the round-robin scheduler: 2 workers -----------------------------------------------------


def test_round_robin(traces):
    trace = traces["round_robin"]
    points, life = machines(trace, "worker")
    assert points.objects == [0, 1]
    assert points.table() == [
        ("start", "yield · line 5", "start ×2", 2),  # both workers start
        ("yield · line 5", "yield · line 5", "send/next", 1),  # a's second item
        ("yield · line 5", "return · line 6", "send/next ×2", 2),  # both finish
    ]
    assert nodes(points) == [
        ("start", "start", "start", 2, None, 0),
        ("yield:5", "site", "yield · line 5", 5, "got = yield (name, i, got)", 3),
        ("return:6", "exit", "return · line 6", 6, "return name", 2),
    ]
    assert sorted(samples(points)[0]) == ["yielded ('a', 0, None)", "yielded ('b', 0, None)"]
    assert samples(points)[1] == ["sent 0 → yielded ('a', 1, 0)"]
    assert sorted(samples(points)[2]) == ["sent 0 → return 'b'", "sent 10 → return 'a'"]
    assert life.table() == [
        ("CREATED", "RUNNING", "start ×2", 2),
        ("RUNNING", "SUSPENDED", "yield ×3", 3),
        ("SUSPENDED", "RUNNING", "send/next ×3", 3),
        ("RUNNING", "CLOSED", "return ×2", 2),
    ]
    assert [(n.id, n.count) for n in life.nodes] == [
        ("CREATED", 2),
        ("RUNNING", 5),
        ("SUSPENDED", 3),
        ("CLOSED", 2),
    ]
    # each edge's events, in time order (events of both workers interleave)
    assert [sorted(e.events) for e in points.edges] == [[3, 5], [7], [9, 11]]
    # the cursor: the latest event of either worker
    assert points.at(8) == ("yield:5", 1)  # 7: a yielded again; 8: b resumed
    assert points.at(9) == ("return:6", 2)  # b returned
    for m in (points, life):
        check_events(trace, m)


# -- a yield from chain -----------------------------------------------------------------------


def test_yield_from_chain(traces):
    trace = traces["yield_from_chain"]
    assert [f.name for f in functions(trace)] == ["outer", "middle", "inner"]
    inner, inner_life = machines(trace, "inner")
    assert inner.table() == [
        ("start", "yield · line 3", "start", 1),
        ("yield · line 3", "yield · line 4", "send/next", 1),
        ("yield · line 4", "return · line 5", "send/next", 1),
    ]
    assert [(n.id, n.text) for n in inner.nodes] == [
        ("start", None),
        ("yield:3", 'x = yield "i1"'),
        ("yield:4", "y = yield x"),
        ("return:5", "return y"),
    ]
    assert samples(inner) == [["yielded 'i1'"], ["sent 3 → yielded 3"], ["sent 4 → return 4"]]
    assert inner_life.table() == [
        ("CREATED", "RUNNING", "start", 1),
        ("RUNNING", "SUSPENDED", "yield ×2", 2),
        ("SUSPENDED", "RUNNING", "send/next ×2", 2),
        ("RUNNING", "CLOSED", "return", 1),
    ]
    # the delegating generators suspend twice at their `yield from` (events of kind
    # await), once for each value passed through, then return
    for name, line, text, delegate, result, ret in (
        ("middle", 7, "r = yield from inner()", "inner#1", "return 8", 8),
        ("outer", 10, "r = yield from middle()", "middle#1", "return 9", 11),
    ):
        points, life = machines(trace, name)
        site = f"await:{line}"
        assert [(e.source, e.target, e.label, e.count) for e in points.edges] == [
            ("start", site, "start", 1),
            (site, site, "send/next", 1),
            (site, f"return:{ret}", "send/next", 1),
        ]
        assert points.node(site).text == text and points.node(site).count == 2
        assert points.node(site).label == f"yield from · line {line}"
        assert samples(points)[:2] == [[f"yield from {delegate}"], [f"yield from {delegate}"]]
        assert len(samples(points)[2]) == 1 and samples(points)[2][0].endswith(result)
        assert life.table() == [
            ("CREATED", "RUNNING", "start", 1),
            ("RUNNING", "SUSPENDED", "await ×2", 2),
            ("SUSPENDED", "RUNNING", "send/next ×2", 2),
            ("RUNNING", "CLOSED", "return", 1),
        ]
        check_events(trace, points)
        check_events(trace, life)
    check_events(trace, inner)


# -- an async def with three awaits in a loop ------------------------------------------------


def test_three_awaits_in_a_loop(traces):
    trace = traces["poll"]
    assert [f.key for f in functions(trace)] == [
        "main (coroutine, line 13)",
        "poll (coroutine, line 6)",
        "tick (coroutine, line 3)",
    ]
    points, life = machines(trace, "poll")
    assert points.table() == [
        ("start", "await · line 9", "start", 1),
        ("await · line 9", "await · line 10", "send/next ×3", 3),
        ("await · line 10", "await · line 11", "send/next ×3", 3),
        ("await · line 11", "await · line 9", "send/next ×2", 2),  # round the loop
        ("await · line 11", "return · line 12", "send/next", 1),  # out of it
    ]
    assert [(n.id, n.text, n.count) for n in points.nodes] == [
        ("start", None, 0),
        ("await:9", "await asyncio.sleep(0)", 3),
        ("await:10", "total += await tick(i)", 3),
        ("await:11", "await asyncio.sleep(0)", 3),
        ("return:12", "return total", 1),
    ]
    assert samples(points) == [
        ["awaited None"],
        ["got None → awaited tick#1", "got None → awaited tick#2", "got None → awaited tick#3"],
        ["got 0 → awaited None", "got 10 → awaited None", "got 20 → awaited None"],
        ["got None → awaited None"],
        ["got None → return 30"],
    ]
    assert life.table() == [
        ("CREATED", "RUNNING", "start", 1),
        ("RUNNING", "SUSPENDED", "await ×9", 9),
        ("SUSPENDED", "RUNNING", "send/next ×9", 9),
        ("RUNNING", "CLOSED", "return", 1),
    ]
    tick, tick_life = machines(trace, "tick")
    assert len(tick.objects) == 3
    assert tick.table() == [
        ("start", "await · line 4", "start ×3", 3),
        ("await · line 4", "return · line 5", "send/next ×3", 3),
    ]
    assert samples(tick)[1] == [
        "got None → return 0",
        "got None → return 10",
        "got None → return 20",
    ]
    assert tick_life.table() == [
        ("CREATED", "RUNNING", "start ×3", 3),
        ("RUNNING", "SUSPENDED", "await ×3", 3),
        ("SUSPENDED", "RUNNING", "send/next ×3", 3),
        ("RUNNING", "CLOSED", "return ×3", 3),
    ]
    main, _ = machines(trace, "main")
    # main awaits poll once; it is suspended with poll 9 times (the whole chain yields)
    assert main.table() == [
        ("start", "await · line 14", "start", 1),
        ("await · line 14", "await · line 14", "send/next ×8", 8),
        ("await · line 14", "return · line 14", "send/next", 1),
    ]
    for m in (points, life, tick, tick_life, main):
        check_events(trace, m)
