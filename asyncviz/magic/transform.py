"""A traced cell becomes top-level statements that IPython runs as usual.

A plain cell magic cannot ``await`` (IPython issue #11314), so ``%%asynctrace`` is not
run as a magic at all.  Two transformers do the work:

1. an *input transformer* at the front of ``input_transformers_cleanup`` turns the first
   line ``%%asynctrace OPTIONS`` into ``__asyncviz_cell__('OPTIONS')``: the same number of
   lines, the body untouched, so every line number stays what the user sees;
2. an *AST transformer* (after the :class:`~asyncviz.recording.rewrite.CellRewriter`,
   which makes sent values and creations visible to the recorder) turns a module that
   starts with that call into these top-level statements::

       __asyncviz_begin__(TOKEN, 'OPTIONS')   # options (bad: UsageError), Recorder starts
       <the body's statements, untouched>
       __avz_last__ = <the last expression>    # if the body ends with one
       __asyncviz_end__(TOKEN)                 # stop, bind, show; returns __avz_last__

   IPython runs top-level statements one by one, so a body that awaits runs on the
   kernel's own loop (autoawait), and ``__asyncviz_end__(...)``, the last expression
   statement, is displayed as ``Out[N]`` (a trailing ``;`` in the cell still hides it).
   With ``--thread`` the body becomes ``__avz_last__ = __asyncviz_thread__(TOKEN)``,
   which runs it in a worker thread on a fresh event loop.

What the AST transformer learns about a cell (its options, parsed; its body for a
worker) is a :class:`Plan`, kept under the TOKEN until ``__asyncviz_begin__`` takes it.
"""

from __future__ import annotations

import ast
import copy
import itertools
import linecache
import re
from argparse import Namespace
from typing import Callable, TypeVar

from IPython.core.error import UsageError

from .options import parse_options

# The names the transformed cell calls.  Dunders, because class-body name mangling leaves
# them alone; the extension keeps them in builtins, so %reset does not break traced cells.
CELL = "__asyncviz_cell__"
BEGIN = "__asyncviz_begin__"
END = "__asyncviz_end__"
THREAD = "__asyncviz_thread__"
LAST = "__avz_last__"
HELPERS = (CELL, BEGIN, END, THREAD)

_MAGIC_LINE = re.compile(r"([ \t]*)%%asynctrace(?:[ \t]+(.*?))?[ \t]*(\r\n|\n|\r)?")
# A cell that fails to compile after the AST transformer ran never calls begin: its plan
# would stay forever, so only the newest are kept.
KEEP_PLANS = 64


def transform_lines(lines: list[str]) -> list[str]:
    """Input transformer: the ``%%asynctrace OPTIONS`` first line becomes
    ``__asyncviz_cell__('OPTIONS')``, indented as it was; nothing else changes."""
    i = next((i for i, line in enumerate(lines) if line.strip()), None)
    if i is None:
        return lines
    m = _MAGIC_LINE.fullmatch(lines[i])
    if m is None:
        return lines
    indent, options, newline = m.group(1), (m.group(2) or "").strip(), m.group(3) or ""
    out = list(lines)
    out[i] = f"{indent}{CELL}({options!r}){newline}"
    return out


class Plan:
    """What the AST transformer learned about one traced cell, for the helpers."""

    __slots__ = ("options", "args", "error", "nest", "body", "last", "line")

    def __init__(self, options: str, line: int = 0):
        self.options = options
        self.line = line  # the line of the %%asynctrace marker
        self.args: Namespace | None = None  # None: bad options (error says why)
        self.error: str | None = None  # a bad option: raised when the cell runs
        self.nest = False  # the cell calls asyncio.run() itself
        self.body: list[ast.stmt] | None = None  # --thread: the statements...
        self.last: ast.expr | None = None  # ...and the last expression
        try:
            self.args = parse_options(options)
        except UsageError as exc:
            self.error = str(exc)


class Plans:
    """Plans by token, from the AST transformer to ``__asyncviz_begin__``."""

    def __init__(self, keep: int = KEEP_PLANS):
        self._plans: dict[str, Plan] = {}
        self._tokens = itertools.count(1)
        self._keep = keep

    def add(self, plan: Plan) -> str:
        token = str(next(self._tokens))
        self._plans[token] = plan
        while len(self._plans) > self._keep:
            self._plans.pop(next(iter(self._plans)))
        return token

    def pop(self, token: str) -> Plan | None:
        return self._plans.pop(token, None)

    def __len__(self) -> int:
        return len(self._plans)


class CellTransformer(ast.NodeTransformer):
    """AST transformer: restructures a module whose first statement is the call the
    input transformer left (see the module docstring).  Never raises: IPython drops a
    transformer that does, and the cell would then run untraced."""

    def __init__(self, plans: Plans, interactivity: Callable[[], str] = lambda: "last_expr"):
        super().__init__()
        self.plans = plans
        self.interactivity = interactivity  # the shell's ast_node_interactivity, now
        self.last_error: BaseException | None = None

    def visit(self, node):
        if not isinstance(node, ast.Module) or not node.body:
            return node
        options = _marker_options(node.body[0])
        if options is None:
            return node
        try:
            new = self._transform(node, options)
        except Exception as exc:
            self.last_error = exc
            return node  # the untransformed marker call reports it when the cell runs
        self.last_error = None
        return new

    def _transform(self, module: ast.Module, options: str) -> ast.Module:
        marker, body = module.body[0], module.body[1:]
        plan = Plan(options, marker.lineno)
        plan.nest = _calls_run(body)
        token = self.plans.add(plan)
        body, last_value = self._split_last(body)
        begin = _locate(_call(BEGIN, token, options), marker)
        end = _locate(_call(END, token), marker)
        if plan.args is not None and plan.args.thread:
            plan.body, plan.last = copy.deepcopy(body), copy.deepcopy(last_value)
            run = _assign_last(_call(THREAD, token).value, marker)
            module.body = [begin, run, end]
        else:
            tail = [] if last_value is None else [_assign_last(last_value, last_value)]
            module.body = [begin, *body, *tail, end]
        return module

    def _split_last(self, body: list[ast.stmt]) -> tuple[list[ast.stmt], ast.expr | None]:
        """The statements before the value the cell shows, and that value (or None)."""
        if body and isinstance(body[-1], ast.Expr):
            return body[:-1], body[-1].value
        if body and self.interactivity() == "last_expr_or_assign":
            name = _assigned_name(body[-1])
            if name is not None:
                return body, ast.copy_location(ast.Name(id=name, ctx=ast.Load()), body[-1])
        return body, None


def _marker_options(stmt: ast.stmt) -> str | None:
    if (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        and stmt.value.func.id == CELL
        and len(stmt.value.args) == 1
        and not stmt.value.keywords
        and isinstance(stmt.value.args[0], ast.Constant)
        and isinstance(stmt.value.args[0].value, str)
    ):
        return stmt.value.args[0].value
    return None


def _call(name: str, *args: str) -> ast.Expr:
    return ast.Expr(
        value=ast.Call(
            func=ast.Name(id=name, ctx=ast.Load()),
            args=[ast.Constant(value=a) for a in args],
            keywords=[],
        )
    )


def _assign_last(value: ast.expr, where: ast.AST) -> ast.Assign:
    node = ast.Assign(targets=[ast.Name(id=LAST, ctx=ast.Store())], value=value)
    return _locate(node, where)


_Node = TypeVar("_Node", bound=ast.AST)


def _locate(node: _Node, where: ast.AST) -> _Node:
    """Give `node` and the new nodes below it (those without a location) `where`'s."""
    loc = {
        a: getattr(where, a, None) for a in ("lineno", "col_offset", "end_lineno", "end_col_offset")
    }
    for sub in ast.walk(node):
        if "lineno" in sub._attributes and getattr(sub, "lineno", None) is None:
            for a, v in loc.items():
                setattr(sub, a, v)
    return node


def _calls_run(body: list[ast.stmt]) -> bool:
    """Does the cell call asyncio.run() or run_until_complete() itself?"""
    return any(
        isinstance(node, ast.Call) and _is_run(node.func)
        for stmt in body
        for node in ast.walk(stmt)
    )


def _is_run(f: ast.expr) -> bool:
    if isinstance(f, ast.Attribute):
        return f.attr == "run_until_complete" or (
            f.attr == "run" and isinstance(f.value, ast.Name) and f.value.id == "asyncio"
        )
    return isinstance(f, ast.Name) and f.id == "run_until_complete"


def _assigned_name(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and getattr(stmt, "value", 1):
        target = stmt.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def show_magic_line(filename: str, plan: Plan) -> None:
    """Tracebacks and debuggers read the cell's lines from linecache, which holds the
    transformed cell: show the user's ``%%asynctrace`` line there instead of the call
    that replaced it (same line count, so nothing else moves)."""
    entry = linecache.cache.get(filename)
    if not entry or len(entry) != 4 or not 0 < plan.line <= len(entry[2]):
        return
    lines = entry[2]
    text = lines[plan.line - 1]
    stripped = text.lstrip()
    if stripped.startswith(CELL + "("):
        indent = text[: len(text) - len(stripped)]
        options = f" {plan.options}" if plan.options else ""
        lines[plan.line - 1] = f"{indent}%%asynctrace{options}\n"
