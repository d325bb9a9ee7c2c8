"""%load_ext asyncviz: what the extension installs in the shell and takes out again,
first in a stand-in shell, then in a real kernel (left as found, %reset survived, every
cell rewritten).
"""

from __future__ import annotations

import builtins
import re
import sys

import pytest

import asyncviz
from asyncviz.magic import AsyncTraceMagics, load_ipython_extension, unload_ipython_extension
from asyncviz.magic.transform import HELPERS, CellTransformer, transform_lines
from asyncviz.recording.rewrite import CellRewriter

from .fakeshell import FakeShell, other_transformer
from .outputs import describe, displays, errors, probe, result, traceback_text


def installed(shell) -> dict:
    return {
        "cleanup": list(shell.input_transformers_cleanup),
        "ast": [type(t) for t in shell.ast_transformers],
        "helpers": [name for name in HELPERS if hasattr(builtins, name)],
        "own showtraceback": "showtraceback" in vars(shell),
        "post_run_cell": len(shell.events.callbacks.get("post_run_cell", [])),
        "magics": {kind: list(m) for kind, m in shell.magics_manager.magics.items()},
    }


AS_FOUND = {
    "cleanup": [other_transformer],
    "ast": [],
    "helpers": [],
    "own showtraceback": False,
    "post_run_cell": 0,
    "magics": {"cell": [], "line": []},
}
LOADED = {
    "cleanup": [transform_lines, other_transformer],
    "ast": [CellRewriter, CellTransformer],
    "helpers": list(HELPERS),
    "own showtraceback": True,
    "post_run_cell": 1,
    "magics": {"cell": ["asynctrace"], "line": ["asynctrace"]},
}


def test_load_installs_and_unload_takes_out():
    shell = FakeShell()
    asyncviz.load_ipython_extension(shell)  # the entry point %load_ext uses
    try:
        assert installed(shell) == LOADED
        assert shell.magics_manager.magics["cell"]["asynctrace"] is AsyncTraceMagics
    finally:
        asyncviz.unload_ipython_extension(shell)
    assert installed(shell) == AS_FOUND


def test_reload_installs_once():
    shell = FakeShell()
    load_ipython_extension(shell)
    try:
        load_ipython_extension(shell)  # %reload_ext, or %load_ext twice
        assert installed(shell) == LOADED
        assert shell.run_cell("%%asynctrace --view none\n6 * 7\n") == 42
    finally:
        unload_ipython_extension(shell)
    assert installed(shell) == AS_FOUND


def test_a_showtraceback_someone_else_wrapped_is_given_back():
    shell = FakeShell()
    own = shell.showtraceback

    def wrapped(*args, **kwargs):  # as another extension would have installed it
        return own(*args, **kwargs)

    shell.showtraceback = wrapped
    load_ipython_extension(shell)
    unload_ipython_extension(shell)
    assert vars(shell)["showtraceback"] is wrapped


def test_unload_stops_a_cell_stopped_between_its_statements():
    shell = FakeShell()
    load_ipython_extension(shell)
    filename, tree = shell.prepare("%%asynctrace --view none\nx = 1\n")
    del tree.body[1:]  # only begin ran: an interrupt between the cell's statements
    shell.custom_exceptions = (Exception,)
    shell.events.callbacks.clear()  # no post_run_cell either
    shell.run(filename, tree)
    from asyncviz.recording.recorder import recording

    assert recording() is not None
    unload_ipython_extension(shell)
    assert recording() is None


# ---------------------------------------------------------------------------- in a kernel


@pytest.mark.kernel
def test_setup_cells_ran(main_nb):
    for name in ("setup", "hooks_before", "gen_def"):
        assert not errors(main_nb.cell(name)), describe(main_nb.cell(name))


@pytest.mark.kernel
def test_kernel_left_as_found(main_nb):
    before = probe(main_nb.cell("hooks_before"))
    after = probe(main_nb.cell("hooks_after"))
    assert after["create_task_patched"] is False, after
    assert after["avz_on"] is False, after
    assert after["factory"] == before["factory"], (before, after)
    assert after["trace"] == before["trace"] == "None", (before, after)
    assert after["profile"] == before["profile"] == "None", (before, after)
    if sys.version_info >= (3, 12):
        assert after["tools"] == before["tools"], (before, after)
        assert after["tools"][2] is None, after


@pytest.mark.kernel
def test_reset_does_not_break_traced_cells(main_nb):
    cell = main_nb.cell("after_reset")
    assert not errors(cell) and result(cell) == "[5]", describe(cell)


@pytest.mark.kernel
def test_untraced_error_in_a_rewritten_generator_is_shown_as_usual(main_nb):
    # every cell is rewritten once the extension is loaded (CellRewriter): an exception
    # leaving a generator of an untraced cell must still get IPython's usual traceback
    cell = main_nb.cell("plain_error")
    assert not displays(cell), describe(cell)
    (err,) = errors(cell)
    assert err.ename == "ValueError", describe(cell)
    tb = traceback_text(err)
    assert re.search(r"line 4, in plain_gen", tb), tb
    assert "----> 4     raise ValueError('untraced, in a generator')" in tb, tb
