"""What a finished trace becomes below its cell: the views (``--view``), the files
(``--save``), and the exports of every traced cell (``ASYNCVIZ_EXPORT_DIR``).

Nothing here may hide the cell's own result or exception: a view that cannot be shown
falls back to the summary, and a file that cannot be written is said in one line.
"""

from __future__ import annotations

import os
import sys

EXPORT_DIR_ENV = "ASYNCVIZ_EXPORT_DIR"
# what every traced cell leaves in the export directory, as <NAME><suffix> for
# --out NAME (a name the notebook chose survives edits above it), else cell<N><suffix>
EXPORTS = (".txt", ".html", ".avz", ".json", ".png", ".svg", ".dot")
DOT_EXPORTS = (".states.svg",)  # drawn by Graphviz's dot: only when it is installed


def present(trace, args, count: int | None) -> None:
    """Show the view the options asked for, write each ``--save`` file, then the
    exports, named after ``--out`` or else `count`, the cell's execution count."""
    if args.view != "none":
        show(trace, args.view)
    for path in args.save:
        save(trace, path)
    directory = os.environ.get(EXPORT_DIR_ENV)
    if directory:
        name = args.out or f"cell{count if count is not None else 0}"
        export(trace, directory, name)


def show(trace, view: str) -> None:
    """Display `view` ("timeline", "states", "summary" or "all") of `trace`.

    Each view is displayed as soon as it is made, the timeline first: under --view all
    its first frame does not wait for the state machines or the table.  The summary is
    made once: the timeline's text/plain is its first rows, and the table (--view all, or
    standing in for a view that failed) is the whole of it."""
    from IPython.display import display

    summary = None
    timeline = states = None
    if view in ("timeline", "all"):
        timeline = _made(trace.timeline, "the timeline")
        if timeline is not None:
            summary = _summary(trace, quiet=True)  # None: the bundle keeps its own text
            _display_timeline(timeline, trace, summary)
    if view in ("states", "all"):
        states = _made(trace.states, "the state machines")
        if states is not None:
            if timeline is not None:
                try:
                    states.link(timeline)  # cursor and selection, in the browser
                except Exception as exc:
                    error_line(f"asyncviz: cannot link the timeline and the state machines: {exc}")
            display(states)
    if view in ("timeline", "states") and (timeline if view == "timeline" else states) is not None:
        return  # else the summary stands in for the view that failed
    if summary is None:
        summary = _summary(trace)
    if summary is None:
        print(repr(trace))
        return
    display(summary)


def _made(make, what: str):
    """make(), or None when it failed (said in one line: the summary stands in)."""
    try:
        return make()
    except Exception as exc:
        error_line(f"asyncviz: cannot show {what} ({exc}); showing the summary")
        return None


def _summary(trace, quiet: bool = False):
    try:
        return trace.summary()
    except Exception as exc:
        if not quiet:
            error_line(f"asyncviz: cannot show the summary: {exc!r}")
        return None


def _display_timeline(widget, trace, summary) -> None:
    """The timeline widget with the cheap fallbacks of widgets/bundle.py (its text/plain
    is the summary made here, not made again)."""
    from IPython.display import display

    from ..widgets.bundle import TimelineDisplay

    display(TimelineDisplay(widget, trace, summary))


def save(trace, path: str) -> None:
    try:
        trace.save(os.path.expanduser(path))
    except Exception as exc:
        error_line(
            f"asyncviz: {exc}"
            if isinstance(exc, ValueError)
            else f"asyncviz: could not save {path}: {exc}"
        )


def export(trace, directory: str, name: str) -> None:
    suffixes: list[str] = list(EXPORTS)
    if _has_dot():
        suffixes.extend(DOT_EXPORTS)
    for suffix in suffixes:
        save(trace, os.path.join(directory, f"{name}{suffix}"))


def _has_dot() -> bool:
    try:
        # here, not above: loading the magic loads no render
        from ..render.dot_run import dot_program
    except Exception:  # a broken render package: the other exports say so, one line each
        return False
    return dot_program() is not None


def error_line(text: str) -> None:
    print(text, file=sys.stderr)
