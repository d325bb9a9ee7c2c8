"""asyncio.run() in a cell: nest_asyncio2 on the kernel's loop, applied and said once,
and its pure-Python Task and Future kept out of the trace.
"""

from __future__ import annotations

import asyncio

import pytest

from asyncviz.magic.nest import Nesting

from .outputs import NEST_NOTE, describe, errors, probe, result, stdout, summary_shown


def test_without_a_running_loop_nothing_is_needed(capsys):
    nesting = Nesting()
    nesting.apply()
    assert nesting.loops == set() and capsys.readouterr().out == ""


def test_a_loop_the_user_nested_already_is_left_alone(capsys):
    async def main():
        loop = asyncio.get_running_loop()
        loop._nest_patched = True  # as nest_asyncio(2).apply() leaves it
        nesting = Nesting()
        nesting.apply()
        nesting.apply()
        return nesting.loops == {id(loop)} and "run_until_complete" not in vars(loop)

    assert asyncio.run(main()) is True
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------------------- in a kernel


@pytest.mark.kernel
def test_asyncio_run_works_through_nest_asyncio2_said_once(main_nb):
    run1, run2 = main_nb.cell("run1"), main_nb.cell("run2")
    for cell in (run1, run2):
        assert not errors(cell), describe(cell)
        summary_shown(cell)
    assert result(run1) == "'done'" and result(run2) == "'done again'"
    said = [c for c in main_nb.nb.cells if NEST_NOTE in stdout(c)]
    assert said == [run1], "the nest_asyncio2 note must be said exactly once, by run1"
    assert stdout(run1).count(NEST_NOTE) == 1


@pytest.mark.kernel
@pytest.mark.parametrize("name, coro", [("run1_probe", "main"), ("run2_probe", "main2")])
def test_asyncio_run_trace_has_only_the_cells_code(main_nb, name, coro):
    got = probe(main_nb.cell(name))
    # nest_asyncio2's pure-Python Future/Task add no frames: every generator or
    # coroutine is the cell's own (tasks and futures have no code of their own)
    assert got["files"] == [got["cell_file"]], got
    labels = [label for _, _, label in got["objects"]]
    assert f"{coro}#1" in labels, got
    code = [(kind, name) for kind, name, _ in got["objects"] if kind not in ("task", "future")]
    assert code == [("coroutine", "<cell>"), ("coroutine", coro)], got
