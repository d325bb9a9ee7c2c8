"""The cell is a coroutine labelled `cell`: its own awaits and its end are its events (a
cell that never awaits has none), and what it drives names it as its creator.

In a stand-in shell first (both recording backends; a cell with top-level await runs as
IPython runs it: one coroutine per statement that awaits, in one task), then in a kernel.
"""

from __future__ import annotations

import re
import sys

import pytest

from asyncviz.magic import load_ipython_extension, unload_ipython_extension

from .fakeshell import FakeShell
from .outputs import describe, errors, probe, result

CALLS = sys.version_info >= (3, 12)


@pytest.fixture
def shell(each_backend):
    shell = FakeShell()
    load_ipython_extension(shell)
    yield shell
    unload_ipython_extension(shell)


def cell_of(trace):
    (cell,) = [o for o in trace.objects if o.label == "cell"]
    return cell


def own(trace, oid: int) -> list[tuple]:
    """(kind, value, target label) of object `oid`'s events."""
    return [
        (e.kind, e.value, trace.objects[e.target].label if e.target is not None else None)
        for e in trace.events
        if e.obj == oid
    ]


AWAITING = """%%asynctrace --view none
import asyncio
async def double(x):
    await asyncio.sleep(0)
    return 2 * x
def numbers():
    yield 1
first = sum(numbers())
await asyncio.sleep(0)
y = await double(21)
y + first
"""


def test_a_cell_that_awaits_is_one_coroutine_with_its_awaits_and_its_return(shell):
    assert shell.run_async(AWAITING) == 43 and shell.shown == []
    t = shell.user_ns["_asynctrace"]
    cell = cell_of(t)
    assert (cell.id, cell.kind, cell.name, cell.parent) == (0, "coroutine", "<cell>", None)
    assert cell.filename and cell.filename.startswith("<fake-cell-")
    assert own(t, cell.id) == [
        ("start", None, None),
        ("await", "None", None),  # await asyncio.sleep(0): a bare yield to the loop
        ("resume", "None", None),
        ("await", "None", "double#1"),
        ("resume", "42", None),  # y = 42, sent back into the cell
        ("return", "43", None),  # the value the cell shows
    ]
    assert cell.state == "CLOSED"
    # what the cell made or drove names it, awaiting or not
    assert {o.label: o.parent for o in t.objects if o.label != "cell"} == {
        "numbers#1": 0,
        "double#1": 0,
    }


def test_a_cell_that_never_awaits_has_no_events_yet_made_what_it_drove(shell):
    assert shell.run_cell("%%asynctrace --view none\ndef g():\n    yield 1\nlist(g())\n") == [1]
    t = shell.user_ns["_asynctrace"]
    cell = cell_of(t)
    assert own(t, cell.id) == []
    assert [(o.label, o.parent) for o in t.objects] == [("cell", None), ("g#1", 0)]


def test_a_cell_that_fails_after_it_awaited_ends_with_the_exception(shell):
    shell.run_async("%%asynctrace --view none\nimport asyncio\nawait asyncio.sleep(0)\n1 / 0\n")
    (shown,) = shell.shown
    assert isinstance(shown, ZeroDivisionError)
    t = shell.user_ns["_asynctrace"]
    assert [k for k, *_ in own(t, cell_of(t).id)] == ["start", "await", "resume", "raise"]
    assert own(t, cell_of(t).id)[-1][1] == "ZeroDivisionError('division by zero')"


def test_a_cell_whose_awaiting_statement_raises_ends_there(shell):
    shell.run_async(
        "%%asynctrace --view none\nimport asyncio\n"
        "async def boom():\n    await asyncio.sleep(0)\n    raise KeyError('k')\n"
        "await boom()\nnever = 1\n"
    )
    (shown,) = shell.shown
    assert isinstance(shown, KeyError) and "never" not in shell.user_ns
    t = shell.user_ns["_asynctrace"]
    assert own(t, cell_of(t).id)[-1] == ("raise", "KeyError('k')", None)


TASKS = """%%asynctrace --view none
import asyncio
async def sleeper():
    await asyncio.sleep(10)
async def quick(n):
    await asyncio.sleep(0)
    return n
done = await asyncio.gather(quick(1), asyncio.create_task(quick(2), name="named"))
t = asyncio.create_task(sleeper())
await asyncio.sleep(0)
t.cancel("bye")
try:
    await t
except asyncio.CancelledError:
    pass
done
"""


def test_tasks_the_cell_makes_name_it_and_its_cancel_names_it(shell):
    assert shell.run_async(TASKS) == [1, 2]
    t = shell.user_ns["_asynctrace"]
    cell = cell_of(t).id
    tasks = [(o.label, o.parent) for o in t.objects if o.kind == "task"]
    assert tasks == [("named", cell), ("quick#1", cell), ("sleeper#1", cell)]
    (victim,) = [o.id for o in t.objects if o.kind == "task" and o.label == "sleeper#1"]
    cancels = [(v, target) for k, v, target in own(t, victim) if k == "cancel"]
    assert cancels == [("'bye'", "cell" if CALLS else None)]


def test_the_same_cell_run_twice_gives_the_same_labels(shell):
    shell.run_async(TASKS)
    first = [(o.kind, o.label) for o in shell.user_ns["_asynctrace"].objects]
    shell.run_async(TASKS)
    second = shell.user_ns["_asynctrace"]
    assert [(o.kind, o.label) for o in second.objects] == first
    assert not any(o.label.startswith("Task-") for o in second.objects)


def test_run_until_complete_on_a_new_loop_gives_a_task_the_cell_made(shell):
    value = shell.run_cell(
        "%%asynctrace --view none\nimport asyncio\n"
        "async def main():\n    await asyncio.sleep(0)\n    return 'done'\n"
        "loop = asyncio.new_event_loop()\n"
        "try:\n    out = loop.run_until_complete(main())\nfinally:\n    loop.close()\nout\n"
    )
    assert value == "done"
    t = shell.user_ns["_asynctrace"]
    (task,) = [o for o in t.objects if o.kind == "task"]
    assert (task.label, task.parent, t.objects[task.coro].label) == ("main#1", 0, "main#1")
    assert [e.kind for e in t.events if e.obj == task.id] == ["create", "return"]


# ---------------------------------------------------------------------------- in a kernel


@pytest.mark.kernel
def test_kernel_cell_is_a_coroutine_of_its_awaits(main_nb):
    cell = main_nb.cell("cell_coro")
    assert not errors(cell) and result(cell) == "43", describe(cell)
    got = probe(main_nb.cell("cell_coro_probe"))
    assert got["cell"] == ["coroutine", "<cell>", 0], got
    events = [[k, re.sub(r"Task-\d+", "Task-N", v) if v else v] for k, v in got["cell_events"]]
    assert events == [
        ["start", None],
        ["await", "None"],  # await asyncio.sleep(0)
        ["resume", "None"],
        ["await", "None"],  # y = await double(21): it yields sleep(0)'s None
        ["resume", "42"],
        ["await", "<Task 'Task-N' pending>"],  # await ticking
        ["resume", "None"],
        ["return", "43"],
    ], got
    assert got["parents"] == {"numbers#1": 0, "double#1": 0, "tick#1": 0}, got
    assert got["tasks"] == [["tick#1", 0, "tick#1"]], got


@pytest.mark.kernel
def test_kernel_same_cell_twice_same_labels_and_the_cells_cancel(main_nb):
    got = probe(main_nb.cell("twice_probe"))
    assert got["first"] == got["second"], got
    assert ["task", "sleeper#1"] in got["first"], got
    assert got["cancel"] == ["'bye'", "cell" if CALLS else None], got


@pytest.mark.kernel
def test_kernel_run_until_complete_on_a_new_loop_is_a_task_lane(main_nb):
    cell = main_nb.cell("ruc_new_loop")
    assert not errors(cell) and result(cell) == "'new loop'", describe(cell)
    got = probe(main_nb.cell("ruc_new_loop_probe"))
    assert got["tasks"] == [["main3#1", "cell", "main3#1"]], got
    assert ["task", "main3#1"] in got["lanes"], got
