"""Finding and running Graphviz's `dot` program: the one place that looks for it (the
magic and the states widget ask `dot_program()` too), and `DOT_INSTALL`, the one way of
saying how to install it."""

from __future__ import annotations

import os
import shutil

__all__ = ["DOT_INSTALL", "DOT_MISSING", "GraphvizError", "GraphvizNotFound", "dot_program", "pipe"]

DOT_INSTALL = (
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
    "or `conda install graphviz`"
)
DOT_MISSING = (
    "Graphviz's `dot` program was not found on PATH, and drawing a state machine as "
    f"SVG or PNG needs it; install it with {DOT_INSTALL}, or save a .dot file "
    "instead — in a notebook the states widget works without it"
)

_dot_found: dict[str, str] = {}


def dot_program() -> str | None:
    """The path of Graphviz's `dot` program, or None when it is not on PATH.

    A path found is remembered for the process (per value of PATH), so asking costs
    nothing after the first time; a miss is asked again, so that installing Graphviz
    from a running notebook is seen."""
    key = os.environ.get("PATH", "")
    found = _dot_found.get(key)
    if found is None:
        found = shutil.which("dot")
        if found is not None:
            _dot_found[key] = found
    return found


class GraphvizError(RuntimeError):
    """Graphviz could not draw the picture; the message (one line) says why."""


class GraphvizNotFound(GraphvizError):
    """Graphviz's `dot` program is not installed; the message says how to install it."""

    def __init__(self, message: str = DOT_MISSING):
        super().__init__(message)


def pipe(source: str, fmt: str) -> bytes:
    """`source` drawn by `dot` in format `fmt` (GraphvizNotFound without it; GraphvizError
    with dot's first line of complaint when it fails)."""
    import graphviz

    if dot_program() is None:
        raise GraphvizNotFound()
    try:
        return graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFound() from None
    except graphviz.CalledProcessError as exc:  # dot ran and failed: say how, on one line
        why = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        detail = why[0] if why else f"exit status {exc.returncode}"
        raise GraphvizError(f"Graphviz's dot failed to draw the state machine ({detail})") from None
