"""Real SIGINTs while a traced cell loops — awaiting, in sync code, in a --thread
worker: the partial trace is shown, the kernel lives on and is left as found.
"""

from __future__ import annotations

import pytest

from .outputs import describe, errors, probe, summary_shown

pytestmark = pytest.mark.kernel


@pytest.mark.parametrize(
    "name, enames, label",
    [
        # ipykernel turns SIGINT during a cell that awaits into cancelling it: the cell sees
        # CancelledError, as it does without the magic
        ("await_loop", {"CancelledError", "KeyboardInterrupt"}, "spin#1"),
        ("sync_loop", {"KeyboardInterrupt"}, "ticks#1"),
        ("thread_loop", {"KeyboardInterrupt"}, "tspin#1"),
    ],
)
def test_interrupted_cell_keeps_its_trace(interrupts_nb, name, enames, label):
    cell = interrupts_nb.cell(name)
    summary_shown(cell)
    (err,) = errors(cell)
    assert err.ename in enames, describe(cell)
    got = probe(interrupts_nb.cell(f"{name}_probe"))  # the kernel is alive
    assert label in got["labels"] and got["n"] > 10, got


def test_interrupts_leave_the_kernel_as_found(interrupts_nb):
    before = probe(interrupts_nb.cell("hooks_before"))
    after = probe(interrupts_nb.cell("hooks_after"))
    assert after == before, (before, after)
    assert after["create_task_patched"] is False and after["avz_on"] is False, after
