"""One traced cell's lifecycle: begin, end, or failing (the partial trace, then the
exception), one trace at a time, and post_run_cell as the safety net.

First in a stand-in shell (fakeshell: sync cells, no kernel), then in a real kernel.
"""

from __future__ import annotations

import re

import pytest
from IPython.core.error import UsageError

from asyncviz.magic import load_ipython_extension, unload_ipython_extension
from asyncviz.magic.transform import Plans

from .fakeshell import FakeShell
from .outputs import (
    describe,
    errors,
    probe,
    result,
    stderr,
    summary_shown,
    table_shown,
    traceback_text,
)

GEN = "def gen():\n    yield 1\n    yield 2\n"


class WatchingShell(FakeShell):
    """Notes, for each exception shown, the trace bound at that moment."""

    def showtraceback(self, exc_tuple=None, *args, **kwargs):
        super().showtraceback(exc_tuple, *args, **kwargs)
        self.bound_then = self.user_ns.get("_asynctrace")


@pytest.fixture
def shell():
    shell = WatchingShell()
    load_ipython_extension(shell)
    yield shell
    unload_ipython_extension(shell)


def kinds(trace, label: str) -> list[str]:
    return [e.kind for e in trace.events if trace.object(e.obj).label == label]


def test_a_cell_gives_its_value_and_binds_its_trace(shell):
    value = shell.run_cell(f"%%asynctrace --view none --out t\n{GEN}list(gen())\n")
    assert value == [1, 2] and shell.shown == []
    trace = shell.user_ns["_asynctrace"]
    assert shell.user_ns["t"] is trace
    assert kinds(trace, "gen#1") == [
        "create",
        "start",
        "yield",
        "resume",
        "yield",
        "resume",
        "return",
    ]
    assert "__avz_last__" not in shell.user_ns and callable(shell.user_ns["gen"])


def test_a_failing_cell_binds_its_partial_trace_before_the_traceback(shell):
    shell.run_cell(f"%%asynctrace --view none\n{GEN}g = gen()\nnext(g)\ng.throw(KeyError('k'))\n")
    (shown,) = shell.shown
    assert isinstance(shown, KeyError)
    assert shell.bound_then is shell.user_ns["_asynctrace"] is not None
    assert kinds(shell.bound_then, "gen#1") == ["create", "start", "yield", "throw", "raise"]


def test_a_trace_inside_a_traced_cell_is_shown_as_one_usage_error(shell):
    shell.run_cell("%%asynctrace --view none\nimport asyncviz\nwith asyncviz.trace():\n    pass\n")
    (shown,) = shell.shown
    assert isinstance(shown, UsageError) and "already recording" in str(shown)
    assert shell.bound_then is not None


def test_a_traced_cell_run_from_a_traced_cell_is_refused_and_the_outer_goes_on(shell):
    shell.user_ns.update(shell=shell, side=[])
    value = shell.run_cell(
        "%%asynctrace --view none\n"
        "shell.run_cell('%%asynctrace\\nside.append(1)')\n"
        f"{GEN}list(gen())\n"
    )
    (shown,) = shell.shown  # the inner cell's
    assert isinstance(shown, UsageError) and "already recording" in str(shown)
    assert shell.user_ns["side"] == [] and value == [1, 2]
    assert "gen#1" in [o.label for o in shell.user_ns["_asynctrace"].objects]


def test_blocked_ms_reaches_the_watchdog_and_the_diagnostics(shell):
    shell.run_cell(
        "%%asynctrace --view none --blocked-ms 40\n"
        "import time\n"
        "async def slow():\n"
        "    time.sleep(0.1)\n"
        "try:\n"
        "    slow().send(None)\n"
        "except StopIteration:\n"
        "    pass\n"
    )
    assert shell.shown == []
    trace = shell.user_ns["_asynctrace"]
    assert trace.meta["blocked_ms"] == 40 and trace.meta["blocked"]
    (said,) = trace.diagnostics()
    assert (said.kind, trace.objects[said.objects[0]].label) == ("loop-blocked", "slow#1")
    assert said.message.endswith("by slow#1 at line 4 (time.sleep(0.1))"), said.message


def test_post_run_cell_stops_a_trace_nothing_else_stopped(shell):
    shell.custom_exceptions = (LookupError,)  # the shell handles these without a traceback
    shell.run_cell(f"%%asynctrace --view none\n{GEN}g = gen()\nnext(g)\nraise LookupError\n")
    assert shell.shown == []
    assert kinds(shell.user_ns["_asynctrace"], "gen#1") == ["create", "start", "yield"]


def test_the_same_code_run_twice_is_prepared_again(shell):
    prepared = shell.prepare(f"%%asynctrace --view none\n{GEN}list(gen())\n")
    first = shell.run(*prepared)
    trace = shell.user_ns["_asynctrace"]
    assert shell.run(*prepared) == first == [1, 2] and shell.shown == []
    assert shell.user_ns["_asynctrace"] is not trace


def test_bad_options_stop_the_cell_before_it_runs(shell):
    shell.user_ns["side"] = []
    shell.run_cell("%%asynctrace --max-events -3\nside.append(1)\n")
    (shown,) = shell.shown
    assert isinstance(shown, UsageError) and "--max-events" in str(shown)
    assert shell.user_ns["side"] == [] and "_asynctrace" not in shell.user_ns


def test_a_cell_the_transformer_could_not_prepare_says_why(shell, monkeypatch):
    def full(self, plan):
        raise RuntimeError("no room")

    monkeypatch.setattr(Plans, "add", full)
    shell.run_cell("%%asynctrace\n1\n")
    (shown,) = shell.shown
    assert isinstance(shown, UsageError)
    assert "could not prepare" in str(shown) and "RuntimeError: no room" in str(shown)


# ---------------------------------------------------------------------------- in a kernel


@pytest.mark.kernel
def test_sync_cell_generator_driven_by_send(main_nb):
    cell = main_nb.cell("sync")
    assert not errors(cell), describe(cell)
    data = table_shown(cell)
    assert "echo#1" in data["text/plain"] and "echo#1" in data["text/html"], data
    assert result(cell) == "'A'", describe(cell)
    got = probe(main_nb.cell("sync_probe"))
    # echo() was defined in an earlier, untraced cell: the rewrite still tells the
    # recorder what send() passed in
    assert got["events"] == [
        ["create", None],
        ["start", None],
        ["yield", "'ready'"],
        ["resume", "'A'"],
        ["yield", "'A'"],
    ], got
    assert got["labels"] == ["cell", "echo#1"] and got["first"] == "ready", got


@pytest.mark.kernel
def test_top_level_await_runs_on_the_kernel_loop(main_nb):
    cell = main_nb.cell("await")
    assert not errors(cell), describe(cell)
    summary_shown(cell)
    assert result(cell) == "42", describe(cell)
    got = probe(main_nb.cell("await_probe"))
    assert got["same_loop"] is True, got
    assert got["answer"] == 42 and got["double"] is True, got
    double = [k for k, label in got["events"] if label == "double#1"]
    assert double == ["create", "start", "await", "resume", "return"], got


@pytest.mark.kernel
def test_error_shows_the_partial_trace_then_the_traceback(main_nb):
    cell = main_nb.cell("error")
    kinds = [o.output_type for o in cell.outputs]
    assert kinds == ["display_data", "error"], describe(cell)
    summary_shown(cell)
    err = errors(cell)[0]
    assert err.ename == "ValueError" and err.evalue == "broken on purpose", describe(cell)
    tb = traceback_text(err)
    # the user's own lines and line numbers (the cell's first line is the magic)
    assert re.search(r"line 6\b", tb) and "await fails()" in tb, tb
    assert re.search(r"line 5, in fails", tb), tb
    assert "raise ValueError('broken on purpose')" in tb, tb
    assert "__asyncviz" not in tb, tb
    got = probe(main_nb.cell("error_probe"))
    fails = [(k, v) for k, label, v in got["events"] if label == "fails#1"]
    assert [k for k, _ in fails] == ["create", "start", "await", "resume", "raise"], got
    assert fails[-1][1] == "ValueError('broken on purpose')", got


@pytest.mark.kernel
def test_keyboard_interrupt_raised_by_the_cell(main_nb):
    cell = main_nb.cell("kbint")
    summary_shown(cell)
    (err,) = errors(cell)
    assert err.ename == "KeyboardInterrupt", describe(cell)
    got = probe(main_nb.cell("kbint_probe"))
    assert got["kinds"] == ["create", "start", "yield", "resume", "yield"], got
    assert got["labels"] == ["cell", "counter#1"], got


@pytest.mark.kernel
def test_trace_inside_a_traced_cell_is_refused_in_one_line(main_nb):
    cell = main_nb.cell("nested")
    summary_shown(cell)
    assert not errors(cell), describe(cell)
    text = stderr(cell).strip()
    assert "\n" not in text and text.startswith("UsageError: "), describe(cell)
    assert "already recording" in text, describe(cell)
    got = probe(main_nb.cell("nested_probe"))
    assert got["kinds"] == ["create", "start", "yield"], got
    assert got["labels"] == ["cell", "gen3#1"], got


@pytest.mark.kernel
def test_outer_trace_goes_on_after_a_refused_inner_one(main_nb):
    cell = main_nb.cell("nested_caught")
    assert not errors(cell), describe(cell)
    summary_shown(cell)
    assert result(cell) == "2", describe(cell)
    # the inner %%asynctrace cell was refused with one line and did not run
    text = stderr(cell).strip()
    assert text.startswith("UsageError: ") and "already recording" in text, describe(cell)
    got = probe(main_nb.cell("nested_caught_probe"))
    assert "already recording" in got["message"], got
    assert "inner" not in got["side"], got
    assert got["kinds"] == ["create", "start", "yield", "resume", "yield"], got
    assert got["values"][-1] == "2", got
