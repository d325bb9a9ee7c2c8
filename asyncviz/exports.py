"""Writing a trace to a file; the suffix picks the format.

A save either leaves the complete file or nothing new: the bytes go to a temporary file
beside the target, which then replaces it in one step, so an interrupted save never
leaves half a trace where a good one was.
"""

from __future__ import annotations

import html
import os
import secrets
from pathlib import Path

from .analysis.summary import Summary
from .trace import Trace


def _avz(trace: Trace) -> bytes:
    return trace.to_bytes()


def _txt(trace: Trace) -> bytes:
    return (Summary.of(trace).text() + "\n").encode("utf-8")


def _html(trace: Trace) -> bytes:
    # The summary table only, for now: the interactive page (timeline and state machines,
    # with the front-end bundle inlined) replaces it in a later issue.
    title = "asyncviz trace"
    started = trace.meta.get("started_at")
    if started:
        title += f" — {started}"
    title = html.escape(title)
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        "<style>\n"
        "body { font-family: system-ui, sans-serif; margin: 2em; }\n"
        ".asyncviz-summary table { border-collapse: collapse; font-size: 0.9em; }\n"
        ".asyncviz-summary caption { text-align: left; padding: 0.4em 0; }\n"
        ".asyncviz-summary th, .asyncviz-summary td"
        " { border-bottom: 1px solid #ddd; padding: 0.2em 0.6em; }\n"
        ".asyncviz-summary td { font-family: ui-monospace, monospace; }\n"
        "</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n{Summary.of(trace)._repr_html_()}\n"
        "</body>\n</html>\n"
    )
    return page.encode("utf-8")


def _png(trace: Trace) -> bytes:
    # render/ is the only place matplotlib is imported, and only when an image is asked for
    from .render.static import timeline_png

    return timeline_png(trace)


def _svg(trace: Trace) -> bytes:
    from .render.static import timeline_svg

    return timeline_svg(trace).encode("utf-8")


def _pdf(trace: Trace) -> bytes:
    from .render.static import timeline_pdf

    return timeline_pdf(trace)


def _dot(trace: Trace) -> bytes:
    # the graphviz package builds the text; no Graphviz program is needed for it
    from .render.dot import trace_dot

    return trace_dot(trace).encode("utf-8")


def _json(trace: Trace) -> bytes:
    from .render.chrome import chrome_json

    return chrome_json(trace).encode("ascii")


def _states_svg(trace: Trace) -> bytes:
    from .render.dot import trace_svg

    return trace_svg(trace).encode("utf-8")


def _states_png(trace: Trace) -> bytes:
    from .render.dot import trace_png

    return trace_png(trace)


WRITERS = {
    ".avz": _avz,
    ".html": _html,
    ".txt": _txt,
    ".png": _png,
    ".svg": _svg,
    ".pdf": _pdf,  # the timeline images
    ".dot": _dot,  # the state machines, as DOT
    ".json": _json,  # Chrome trace / Perfetto
}
# Names ending in these are the state machines drawn by Graphviz's `dot`; they are matched
# before the single suffixes above, so x.states.svg is not the timeline.
STATE_WRITERS = {".states.svg": _states_svg, ".states.png": _states_png}


def writer_for(path: Path):
    """The writer for `path`'s name (case-insensitive), or None."""
    name = path.name.lower()
    for ending, writer in STATE_WRITERS.items():
        if name.endswith(ending) and len(name) > len(ending):
            return writer
    return WRITERS.get(path.suffix.lower())


def format_problem(path) -> str | None:
    """Why `path`'s name picks no format, and which ones do (None when it picks one): the
    one sentence `Trace.save`, ``--save`` and ``asyncviz render`` say."""
    path = Path(path)
    if writer_for(path) is not None:
        return None
    suffix = path.suffix.lower()
    why = (
        f"{suffix} is not a format asyncviz writes"
        if suffix
        else f"{path.name!r} has no suffix to pick a format by"
    )
    return f"{why}; use one of {' '.join([*WRITERS, *STATE_WRITERS])}"


def save(trace: Trace, path: Path) -> Path:
    """Write `trace` to `path` in the format its suffix names; returns the path."""
    path = Path(path)
    writer = writer_for(path)
    if writer is None:
        raise ValueError(f"cannot save {path}: {format_problem(path)}")
    try:
        data = writer(trace)
    except RuntimeError as exc:
        from .render.dot_run import GraphvizError

        if isinstance(exc, GraphvizError):  # no `dot`: its message says how to install it
            raise ValueError(f"cannot save {path}: {exc}") from None
        raise
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, data)
    return path


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 lets the umask decide the mode, as for any new file; mkstemp's
    # 0o600 would survive os.replace and hide the trace from the user's other tools.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
