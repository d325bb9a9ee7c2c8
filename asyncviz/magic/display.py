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
    """Display `view` ("timeline", "states", "summary" or "all") of `trace`."""
    from IPython.display import display

    timeline, states = _widgets(trace, view)
    for widget in (timeline, states):
        if widget is not None:
            display(widget)
    shown = {"timeline": timeline, "states": states}
    if view in shown and shown[view] is not None:
        return  # else the summary stands in for the view that failed
    try:
        summary = trace.summary()
    except Exception as exc:
        error_line(f"asyncviz: cannot show the summary: {exc!r}")
        print(repr(trace))
        return
    display(summary)


def _widgets(trace, view: str):
    """The timeline and state-machine widgets `view` asks for (None: not asked for, or
    they could not be made: no front-end bundle, no anywidget), linked when both are."""
    timeline = states = None
    if view in ("timeline", "all"):
        try:
            timeline = trace.timeline()
        except Exception as exc:
            error_line(f"asyncviz: cannot show the timeline ({exc}); showing the summary")
    if view in ("states", "all"):
        try:
            states = trace.states()
        except Exception as exc:
            error_line(f"asyncviz: cannot show the state machines ({exc}); showing the summary")
    if timeline is not None and states is not None:
        try:
            states.link(timeline)  # cursor and selection, in the browser
        except Exception as exc:
            error_line(f"asyncviz: cannot link the timeline and the state machines: {exc}")
    return timeline, states


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
