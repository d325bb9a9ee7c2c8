"""--thread: the body on a fresh event loop in a worker thread, its value or exception
brought back; in this process, then in a kernel.
"""

from __future__ import annotations

import ast
import os
import re
import threading

import pytest

from asyncviz.magic.cell import Run
from asyncviz.magic.thread import run_in_thread
from asyncviz.recording.recorder import Recorder

from .fakeshell import transformed
from .outputs import (
    NEST_NOTE,
    describe,
    errors,
    probe,
    result,
    stdout,
    summary_shown,
    traceback_text,
)

CELL_FILE = "<asynctrace-cell-3>"  # the name the worker compiles a cell without source under


def in_thread(body: str, ns: dict):
    _, plans = transformed(f"%%asynctrace --thread --view none\n{body}")
    run = Run("1", plans.pop("1"), Recorder(root_label="cell"), 3, "<no source>")
    bound = []
    try:
        return run_in_thread(
            run,
            "<no source>",
            ns,
            ns,
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            bind=lambda run, trace: bound.append(trace),
        )
    finally:
        assert bound == []  # only a worker abandoned by an interrupt binds its own trace
        ns["run"] = run


def labels(run) -> list[str]:
    return [o.label for o in run.trace.objects]


def test_a_sync_body_gives_its_value_and_its_trace():
    ns = {"threading": threading}
    value = in_thread("def gen():\n    yield threading.get_ident()\nnext(gen())\n", ns)
    run = ns["run"]
    assert value != threading.get_ident() and value == run.worker.ident
    run.worker.join(5)  # done is set from the worker's last lines: it ends right after
    assert not run.worker.is_alive()
    assert "gen#1" in labels(run)


def test_an_awaiting_body_runs_on_a_fresh_loop_in_the_worker():
    ns = {}
    value = in_thread(
        "import asyncio\n"
        "async def twice(x):\n    await asyncio.sleep(0)\n    return 2 * x\n"
        "await twice(4)\n",
        ns,
    )
    assert value == 8 and "twice#1" in labels(ns["run"])


def test_an_exception_comes_back_with_the_cells_own_frames():
    ns = {}
    with pytest.raises(KeyError) as info:
        in_thread("def fails():\n    raise KeyError('in the worker')\nfails()\n", ns)
    frames = [
        (t.tb_frame.f_code.co_filename, t.tb_frame.f_code.co_name)
        for t in _walk(info.value.__traceback__)
    ]
    # the re-raise, then the cell's code only: none of the worker's machinery
    assert frames[-2:] == [(CELL_FILE, "<module>"), (CELL_FILE, "fails")], frames
    assert all(f == CELL_FILE for f, _ in frames[frames.index((CELL_FILE, "<module>")) :])
    assert ns["run"].trace is not None


def _walk(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


# ---------------------------------------------------------------------------- in a kernel


@pytest.mark.kernel
def test_thread_with_asyncio_run(main_nb):
    cell = main_nb.cell("thread_run")
    assert not errors(cell), describe(cell)
    summary_shown(cell)
    assert "thread loop is kernel loop: False" in stdout(cell), describe(cell)
    assert NEST_NOTE not in stdout(cell)
    got = probe(main_nb.cell("thread_run_probe"))
    assert "tmain#1" in got["labels"], got
    assert {"start", "await", "resume", "return"} <= set(got["kinds"]), got
    assert got["patched"] is False, got


@pytest.mark.kernel
def test_thread_with_top_level_await(main_nb):
    cell = main_nb.cell("thread_await")
    assert not errors(cell), describe(cell)
    summary_shown(cell)
    assert result(cell) == "8", describe(cell)
    assert NEST_NOTE not in stdout(cell)
    got = probe(main_nb.cell("thread_await_probe"))
    assert "twice#1" in got["labels"], got
    assert got["other_loop"] is True and got["patched"] is False, got


@pytest.mark.kernel
def test_thread_error_traceback_points_at_the_users_lines(main_nb):
    cell = main_nb.cell("thread_error")
    summary_shown(cell)
    (err,) = errors(cell)
    assert err.ename == "KeyError", describe(cell)
    tb = traceback_text(err)
    assert re.search(r"line 4, in thread_fails", tb), tb
    assert "raise KeyError('in the worker')" in tb, tb
    assert "asyncio" not in tb and "magic.py" not in tb, tb
    assert os.path.join("asyncviz", "magic") not in tb, tb  # the package's frames hidden
    # the cell's first line reads as the user wrote it, not as the transformed call
    assert "----> 1 %%asynctrace --thread" in tb and "__asyncviz" not in tb, tb
