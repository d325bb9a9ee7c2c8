"""Screenshots of the timeline under four cells a workshop shows — a producer/consumer
queue, round-robin generators, a TaskGroup with a failing child, a blocked loop — as
`%%asynctrace` displays them, written to out/screenshots/issue9-<cell>[-notebook7].png
(CI keeps out/ as its artifact folder).  People look at these; the test checks only
that each widget drew its lanes and, for the failure, its failure markers."""

from __future__ import annotations

import pytest

from . import harness
from .test_timeline_browser import Timeline

pytestmark = pytest.mark.browser

CELLS = {
    "queue": """%%asynctrace
async def producer(q, n):
    for i in range(n):
        await q.put(i)
        await asyncio.sleep(0.01)
    await q.put(None)

async def consumer(q):
    got = []
    while (item := await q.get()) is not None:
        got.append(item)
        await asyncio.sleep(0.015)
    return got

q = asyncio.Queue(maxsize=2)
await asyncio.gather(producer(q, 5), consumer(q))""",
    "round-robin": """%%asynctrace
def worker(name, n):
    for i in range(n):
        yield f"{name}{i}"
    return name

ready = [worker("a", 3), worker("b", 2), worker("c", 4)]
done = []
while ready:
    w = ready.pop(0)
    try:
        next(w)
    except StopIteration as stop:
        done.append(stop.value)
        continue
    ready.append(w)
done""",
    "taskgroup-failure": """%%asynctrace
async def fetch(n):
    await asyncio.sleep(0.05 * n)
    return n

async def broken():
    await asyncio.sleep(0.02)
    raise ConnectionError("server went away")

try:
    async with asyncio.TaskGroup() as tg:
        for n in (1, 2, 3):
            tg.create_task(fetch(n))
        tg.create_task(broken())
except* ConnectionError as group:
    print("failed:", group.exceptions)""",
    "blocked-loop": """%%asynctrace
async def blocker():
    await asyncio.sleep(0.01)
    time.sleep(0.2)  # a blocking call inside a coroutine: nothing else can run
    await asyncio.sleep(0.01)

async def ticker():
    for _ in range(10):
        await asyncio.sleep(0.01)

await asyncio.gather(blocker(), ticker())""",
}
SOURCES = ["%load_ext asyncviz\nimport asyncio, time", *CELLS.values()]


def test_screenshots_of_four_workshop_cells(shared_page, screenshots, ui):
    nb = harness.Notebook(
        shared_page.page, shared_page.guard, shared_page.server, "issue9-cells.ipynb", SOURCES
    )
    nb.open()
    nb.run_all(timeout=180)
    suffix = "" if ui == "lab" else f"-{ui}"
    drawn = {}
    for k, name in enumerate(CELLS, start=1):
        tl = Timeline(nb, k).wait_drawn()
        tl.root.screenshot(path=str(screenshots / f"issue9-{name}{suffix}.png"))
        drawn[name] = (int(tl.attr("data-lanes")), int(tl.attr("data-alarms")))
    # lanes drawn: the cell (a cell that awaits is a coroutine with a lane), producer,
    # consumer, loop idle; one lane of three workers (the cell never awaits: no lane);
    # the cell, four tasks and loop idle; the cell, two tasks and loop idle
    assert {name: lanes for name, (lanes, _) in drawn.items()} == {
        "queue": 4,
        "round-robin": 1,
        "taskgroup-failure": 6,
        "blocked-loop": 4,
    }, drawn
    assert drawn["taskgroup-failure"][1] >= 4, drawn  # the raise, the throws it caused
    for name in CELLS:
        assert (screenshots / f"issue9-{name}{suffix}.png").stat().st_size > 5_000
