"""``%load_ext asyncviz``: what the extension installs in the shell, and takes out again.

Installed: the input transformer (first in ``input_transformers_cleanup``), the
CellRewriter and the CellTransformer (last in ``ast_transformers``), the helpers the
transformed cell calls (in :mod:`builtins`, so that ``%reset`` does not break traced
cells), a wrapper around the shell's ``showtraceback``, a ``post_run_cell`` handler, and
the magic itself, for ``%asynctrace?``.
"""

from __future__ import annotations

import builtins

from .cell import Cells
from .display import error_line
from .options import AsyncTraceMagics
from .transform import BEGIN, CELL, END, HELPERS, THREAD, CellTransformer, Plans, transform_lines


class Extension:
    """The extension loaded in one shell."""

    def __init__(self, shell):
        from ..recording.rewrite import CellRewriter

        self.shell = shell
        self.plans = Plans()
        self.transformer = CellTransformer(
            self.plans, lambda: getattr(shell, "ast_node_interactivity", "last_expr")
        )
        self.rewriter = CellRewriter()
        self.cells = Cells(shell, self.plans, self.transformer)
        self.original_showtraceback = shell.showtraceback  # given back on unload

    def install(self) -> None:
        from ..recording import cellhooks

        ip, cells = self.shell, self.cells
        cellhooks.install()  # rewritten code reads __avz_on__ & co. from builtins, traced or not
        cleanup = ip.input_transformers_cleanup
        if transform_lines not in cleanup:
            cleanup.insert(0, transform_lines)
        ip.ast_transformers.append(self.rewriter)
        ip.ast_transformers.append(self.transformer)
        for name, helper in (
            (CELL, cells.cell),
            (BEGIN, cells.begin),
            (END, cells.end),
            (THREAD, cells.thread),
        ):
            setattr(builtins, name, helper)
        ip.showtraceback = self.showtraceback
        ip.events.register("post_run_cell", cells.post_run_cell)
        ip.register_magics(AsyncTraceMagics)

    def uninstall(self) -> None:
        """Take out what only this instance installed (see `_remove_from` for the rest)."""
        ip = self.shell
        if getattr(ip, "showtraceback", None) == self.showtraceback:
            if self.original_showtraceback == type(ip).showtraceback.__get__(ip):
                del ip.showtraceback  # the class's method again
            else:
                ip.showtraceback = self.original_showtraceback
        try:
            ip.events.unregister("post_run_cell", self.cells.post_run_cell)
        except ValueError:
            pass
        self.cells.stop_all()

    def showtraceback(self, *args, **kwargs):
        """Installed as the shell's showtraceback: the partial trace, then the error."""
        try:
            args, kwargs = self.cells.before_traceback(args, kwargs)
        except Exception as err:
            error_line(f"asyncviz: could not finish the trace: {err!r}")
        return self.original_showtraceback(*args, **kwargs)


_loaded: Extension | None = None


def load_ipython_extension(ip) -> None:
    global _loaded
    if _loaded is not None:
        unload_ipython_extension(_loaded.shell)
    extension = _loaded = Extension(ip)
    extension.install()


def unload_ipython_extension(ip) -> None:
    global _loaded
    extension, _loaded = _loaded, None
    _remove_from(ip)
    if extension is not None:
        extension.uninstall()


def _remove_from(ip) -> None:
    """Take out of `ip` whatever any load of the extension put there."""
    from ..recording.rewrite import CellRewriter

    while transform_lines in ip.input_transformers_cleanup:
        ip.input_transformers_cleanup.remove(transform_lines)
    ip.ast_transformers[:] = [
        t for t in ip.ast_transformers if not isinstance(t, (CellRewriter, CellTransformer))
    ]
    for name in HELPERS:
        if hasattr(builtins, name):
            delattr(builtins, name)
    ip.magics_manager.magics["cell"].pop("asynctrace", None)
    ip.magics_manager.magics["line"].pop("asynctrace", None)
