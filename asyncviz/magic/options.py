"""The ``%%asynctrace`` line: its options, their help, and the one-line errors.

The magic class is where the options are declared (its decorators are the argparse
arguments, and ``%asynctrace?`` shows its docstring with them).  It never runs as a
magic: the input transformer replaces the line before IPython would call it (see
:mod:`.transform`), so reaching it means the line was not a cell's first.
"""

from __future__ import annotations

import keyword
from argparse import Namespace

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

# shared with the command line (asyncviz run): one definition of each
from ..options import (
    BLOCKED_MS,
    DEFAULT_MAX_EVENTS,
    EXCLUDE,
    INCLUDE,
    MAX_EVENTS,
    NO_VALUES,
    SAVE,
    blocked_ms_problem,
    max_events_problem,
    save_problem,
)

__all__ = ["DEFAULT_MAX_EVENTS", "VIEWS", "AsyncTraceMagics", "parse_options", "save_formats"]

VIEWS = ("timeline", "states", "summary", "all", "none")


@magics_class
class AsyncTraceMagics(Magics):
    @magic_arguments()
    @argument(
        "--view",
        choices=VIEWS,
        default="timeline",
        help="what to show when the cell ends: 'timeline' (default: the "
        "interactive timeline, which also carries a PNG and the summary text "
        "for exported notebooks), 'states' (the state machines: lifecycle and "
        "suspension points of each function or object, with an SVG and a text "
        "listing for exported notebooks), 'summary' (the table), 'all' (the "
        "timeline and the state machines, linked: the timeline's cursor "
        "highlights the current state, and selecting in one selects in the "
        "other; then the table), 'none'.",
    )
    @argument(*SAVE.flags, **SAVE.spec)
    @argument(
        "--out",
        metavar="NAME",
        help="also bind the Trace to NAME in the user namespace "
        "(it is always bound to _asynctrace).",
    )
    @argument(*MAX_EVENTS.flags, **MAX_EVENTS.spec)
    @argument(*NO_VALUES.flags, **NO_VALUES.spec)
    @argument(
        "--thread",
        action="store_true",
        help="run the cell on a fresh event loop in a worker thread (real C tasks, "
        "nothing patched); the kernel waits for it. Without it, a cell that "
        "calls asyncio.run() or loop.run_until_complete() gets nest_asyncio2 "
        "applied to the kernel's loop (said once). A worker stuck in a "
        "blocking call cannot be killed by an interrupt.",
    )
    @argument(*BLOCKED_MS.flags, **BLOCKED_MS.spec)
    @argument(*INCLUDE.flags, **INCLUDE.spec)
    @argument(*EXCLUDE.flags, **EXCLUDE.spec)
    @line_cell_magic
    def asynctrace(self, line, cell=None):
        """Run the cell exactly as without the magic, recording every generator,
        coroutine, async generator and asyncio task transition it drives.

        Put ``%%asynctrace [options]`` as the first line of a cell.  Top-level
        ``await`` runs on the kernel's own loop, the last expression is displayed,
        names the cell defines persist and an exception is shown as usual (after the
        partial trace).  The finished Trace is bound to ``_asynctrace`` in the user
        namespace (and to ``--out NAME``); then the view is shown (``--view``, default:
        the timeline) and each ``--save PATH`` is written.  With the environment
        variable ASYNCVIZ_EXPORT_DIR set, every traced cell is also written there as
        cell<N>.txt, .html, .avz, .png, .svg and .dot, and cell<N>.states.svg when
        Graphviz's dot is installed (N: the execution count).

        Example::

            %%asynctrace --out t --save run.avz
            await asyncio.gather(worker(1), worker(2))
        """
        # Only run_cell_magic, a line magic %asynctrace, or the line not being the
        # cell's first get here: the input transformer sees every other cell first.
        raise UsageError(
            "%%asynctrace must be the first line of a cell (and the asyncviz extension "
            "loaded: %load_ext asyncviz); it cannot be run as a line magic, through "
            "run_cell_magic or from inside other code"
        )


def parse_options(options: str) -> Namespace:
    """The parsed options of a ``%%asynctrace`` line; UsageError (one line) if bad."""
    args = parse_argstring(AsyncTraceMagics.asynctrace, options)
    problem = max_events_problem(args.max_events) or blocked_ms_problem(args.blocked_ms)
    if problem:
        raise UsageError(problem)
    if args.out is not None:
        args.out = _unquote(args.out)
        if not args.out.isidentifier() or keyword.iskeyword(args.out):
            raise UsageError(f"--out needs a Python name, not {args.out!r}")
    args.save = [_unquote(p) for p in args.save or []]
    args.include = [_unquote(p) for p in args.include or []]
    args.exclude = [_unquote(p) for p in args.exclude or []]
    for path in args.save:
        _check_save(path)
    return args


def _check_save(path: str) -> None:
    problem = save_problem(path)
    if problem:
        raise UsageError(problem)


def _unquote(text: str) -> str:
    """IPython splits magic arguments without removing quotes."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def save_formats() -> tuple[str, ...]:
    """The suffixes --save accepts: those the exports module writes."""
    try:
        from ..exports import WRITERS

        return tuple(WRITERS)
    except Exception:  # a broken exports module must not make every traced cell fail
        return (".avz",)
