"""The transformers without a shell (`transformed`), and a stand-in for IPython's shell
(`FakeShell`): what the extension touches, and a run_cell that runs a cell as IPython
does (the transformers, then the top-level statements one by one, an exception handed
to showtraceback, then post_run_cell) — without a kernel, for sync cells.
"""

from __future__ import annotations

import ast
import asyncio
import itertools
import linecache
import sys
from types import SimpleNamespace

_cells = itertools.count(1)


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def transformed(source: str, interactivity: str = "last_expr"):
    """The module the transformers make of `source`, and the plans they left (no shell,
    no extension loaded)."""
    from asyncviz.magic.transform import CellTransformer, Plans, transform_lines

    plans = Plans()
    transformer = CellTransformer(plans, lambda: interactivity)
    tree = transformer.visit(ast.parse("".join(transform_lines(lines(source)))))
    assert transformer.last_error is None, transformer.last_error
    return tree, plans


def other_transformer(lines):
    return lines


class Events:
    def __init__(self):
        self.callbacks: dict[str, list] = {}

    def register(self, event, callback):
        self.callbacks.setdefault(event, []).append(callback)

    def unregister(self, event, callback):
        try:
            self.callbacks.get(event, []).remove(callback)
        except ValueError:
            raise ValueError(f"{callback} is not registered for {event}") from None

    def trigger(self, event, *args):
        for callback in list(self.callbacks.get(event, [])):
            callback(*args)


class FakeShell:
    ast_node_interactivity = "last_expr"

    def __init__(self):
        self.input_transformers_cleanup = [other_transformer]
        self.ast_transformers = []
        self.user_ns: dict = {}
        self.events = Events()
        self.magics_manager = SimpleNamespace(magics={"cell": {}, "line": {}})
        self.displayhook = SimpleNamespace(exec_result=None)
        self.execution_count = 0
        self.compile = SimpleNamespace(flags=0)
        self.shown: list = []  # the exceptions showtraceback was given

    def showtraceback(self, exc_tuple=None, *args, **kwargs):
        self.shown.append(self._get_exc_info(exc_tuple)[1])

    def _get_exc_info(self, exc_tuple=None):
        return exc_tuple if exc_tuple is not None else sys.exc_info()

    def register_magics(self, magics):
        for kind in ("cell", "line"):
            self.magics_manager.magics[kind]["asynctrace"] = magics

    custom_exceptions: tuple = ()  # handled by the shell without showtraceback

    def run_cell(self, source: str):
        """Run `source` as a cell; its value (the last expression's), or None."""
        return self.run(*self.prepare(source))

    def prepare(self, source: str):
        """The cell's filename and its module after the input and AST transformers."""
        filename = f"<fake-cell-{next(_cells)}>"
        lines = source.splitlines(keepends=True)
        for transform in self.input_transformers_cleanup:
            lines = transform(lines)
        text = "".join(lines)
        linecache.cache[filename] = (len(text), None, lines, filename)
        tree = ast.parse(text, filename)
        for transformer in self.ast_transformers:
            tree = ast.fix_missing_locations(transformer.visit(tree))
        return filename, tree

    def run_async(self, source: str):
        """Run `source` as IPython runs a cell with top-level await: each statement that
        awaits is a coroutine of its own, awaited in one task (the cell's) on a fresh loop."""
        filename, tree = self.prepare(source)
        return asyncio.run(_RUN_ASYNC(self, filename, tree))

    def run(self, filename: str, tree: ast.Module):
        self.execution_count += 1
        value = None
        try:
            for i, node in enumerate(tree.body):
                if i == len(tree.body) - 1 and isinstance(node, ast.Expr):
                    code = compile(ast.Expression(node.value), filename, "eval")
                    value = eval(code, self.user_ns)
                else:
                    exec(compile(ast.Module([node], []), filename, "exec"), self.user_ns)
        except self.custom_exceptions:
            pass
        except BaseException:
            self.showtraceback()
        self.events.trigger("post_run_cell", None)
        return value


# The task's own driver, as IPython's run_cell_async: compiled under a name that reads as
# the interpreter's (out of the recorder's scope), as IPython's own code is.
_DRIVER = """
async def run_async(shell, filename, tree):
    shell.execution_count += 1
    value = None
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    try:
        for i, node in enumerate(tree.body):
            if i == len(tree.body) - 1 and isinstance(node, ast.Expr):
                code = compile(ast.Expression(node.value), filename, "eval", flags=flags)
            else:
                code = compile(ast.Module([node], []), filename, "exec", flags=flags)
            result = eval(code, shell.user_ns)
            if code.co_flags & 0x80:  # CO_COROUTINE: a statement that awaits
                result = await result
            if i == len(tree.body) - 1 and isinstance(node, ast.Expr):
                value = result
    except shell.custom_exceptions:
        pass
    except BaseException:
        shell.showtraceback()
    shell.events.trigger("post_run_cell", None)
    return value
"""
_namespace: dict = {"ast": ast}
exec(compile(_DRIVER, "<frozen fake shell>", "exec"), _namespace)
_RUN_ASYNC = _namespace["run_async"]
