"""The cell → top-level statements trick: the input transformer (the %%asynctrace line
becomes a call, nothing else moves) and the AST transformer (begin, the body untouched,
the last value kept, end), without a kernel; then in one.
"""

from __future__ import annotations

import ast
import linecache

import pytest

from asyncviz.magic.transform import (
    CELL,
    KEEP_PLANS,
    CellTransformer,
    Plan,
    Plans,
    show_magic_line,
    transform_lines,
)

from .fakeshell import lines, transformed
from .outputs import describe


# ------------------------------------------------------------------ the input transformer


def test_the_first_line_becomes_one_call_and_nothing_else_moves():
    source = "%%asynctrace --view none  \nx = 1\n%%asynctrace in the body\nx\n"
    out = transform_lines(lines(source))
    assert out == [f"{CELL}('--view none')\n", "x = 1\n", "%%asynctrace in the body\n", "x\n"]


@pytest.mark.parametrize(
    "first, expected",
    [
        ("%%asynctrace", f"{CELL}('')"),
        ("%%asynctrace\r\n", f"{CELL}('')\r\n"),
        ("  %%asynctrace --out 't'\n", f"  {CELL}(\"--out 't'\")\n"),
    ],
)
def test_indent_newline_and_quotes_are_kept(first, expected):
    assert transform_lines([first]) == [expected]


def test_blank_lines_before_the_magic_are_kept():
    assert transform_lines(["\n", "%%asynctrace\n", "1\n"]) == ["\n", f"{CELL}('')\n", "1\n"]


@pytest.mark.parametrize(
    "source",
    [
        "",
        "\n\n",
        "x = 1\n%%asynctrace\n",
        "%%asynctracer\n",
        "# %%asynctrace\n",
    ],
)
def test_other_cells_are_left_alone(source):
    assert transform_lines(lines(source)) == lines(source)


# -------------------------------------------------------------------- the AST transformer


def test_a_cell_becomes_begin_body_last_value_end():
    tree, plans = transformed("%%asynctrace --view none\nx = 1\nawait f(x)\n")
    assert ast.unparse(tree).splitlines() == [
        "__asyncviz_begin__('1', '--view none')",
        "x = 1",
        "__avz_last__ = await f(x)",
        "__asyncviz_end__('1')",
    ]
    # the helpers sit on the marker's line, the body where the user wrote it
    assert [stmt.lineno for stmt in tree.body] == [1, 2, 3, 1]
    plan = plans.pop("1")
    assert plan.args.view == "none" and plan.error is None and plan.line == 1
    assert plan.body is None and plan.nest is False


def test_a_cell_without_a_last_expression_ends_with_end():
    tree, _ = transformed("%%asynctrace\nx = 1\n")
    assert ast.unparse(tree).splitlines() == [
        "__asyncviz_begin__('1', '')",
        "x = 1",
        "__asyncviz_end__('1')",
    ]


def test_last_expr_or_assign_shows_the_assigned_name():
    tree, _ = transformed("%%asynctrace\ny = 2\n", "last_expr_or_assign")
    assert ast.unparse(tree).splitlines()[1:3] == ["y = 2", "__avz_last__ = y"]


def test_thread_keeps_the_body_for_the_worker():
    tree, plans = transformed("%%asynctrace --thread\nx = 1\nawait g(x)\n")
    assert ast.unparse(tree).splitlines() == [
        "__asyncviz_begin__('1', '--thread')",
        "__avz_last__ = __asyncviz_thread__('1')",
        "__asyncviz_end__('1')",
    ]
    plan = plans.pop("1")
    assert [ast.unparse(s) for s in plan.body] == ["x = 1"]
    assert ast.unparse(plan.last) == "await g(x)"


def test_bad_options_are_kept_for_begin_to_raise():
    tree, plans = transformed("%%asynctrace --view nope\nside_effect()\n")
    plan = plans.pop("1")
    assert plan.args is None and "--view" in plan.error
    assert ast.unparse(tree).splitlines()[0] == "__asyncviz_begin__('1', '--view nope')"


@pytest.mark.parametrize(
    "call, nest",
    [
        ("asyncio.run(main())", True),
        ("asyncio.get_event_loop().run_until_complete(main())", True),
        ("run_until_complete(main())", True),
        ("print(asyncio.run)", False),
        ("run(main())", False),
        ("trio.run(main)", False),
    ],
)
def test_a_cell_that_runs_a_loop_itself_is_noticed(call, nest):
    _, plans = transformed(f"%%asynctrace\nif True:\n    {call}\n")
    assert plans.pop("1").nest is nest


def test_other_modules_are_left_alone():
    plans = Plans()
    module = ast.parse("x = 1\n__asyncviz_cell__(options)\n")
    assert CellTransformer(plans).visit(module) is module and len(plans) == 0


def test_the_transformer_never_raises():
    class Broken(Plans):
        def add(self, plan):
            raise RuntimeError("no room")

    transformer = CellTransformer(Broken())
    module = ast.parse(f"{CELL}('')\nx = 1\n")
    assert transformer.visit(module) is module  # untransformed: the marker reports it
    assert isinstance(transformer.last_error, RuntimeError)


def test_plans_of_cells_that_never_ran_are_dropped():
    plans = Plans()
    tokens = [plans.add(Plan("")) for _ in range(KEEP_PLANS + 3)]
    assert len(plans) == KEEP_PLANS
    assert plans.pop(tokens[0]) is None and plans.pop(tokens[-1]) is not None


def test_tracebacks_show_the_users_magic_line():
    filename = "<asyncviz-test-cell>"
    text = f"  {CELL}('--view none')\nx = 1\n"
    linecache.cache[filename] = (len(text), None, lines(text), filename)
    try:
        show_magic_line(filename, Plan("--view none", line=1))
        assert linecache.getlines(filename) == ["  %%asynctrace --view none\n", "x = 1\n"]
    finally:
        del linecache.cache[filename]


# ---------------------------------------------------------------------------- in a kernel


@pytest.mark.kernel
def test_trailing_semicolon_hides_the_value(main_nb):
    cell = main_nb.cell("semicolon")
    assert cell.outputs == [], describe(cell)
