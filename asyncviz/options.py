"""The options ``%%asynctrace`` and the ``asyncviz`` command share, defined once.

Each is the flags and the argparse keywords of one argument: the magic declares it with
IPython's ``@argument(*OPTION.flags, **OPTION.spec)``, the command line with
``parser.add_argument(*OPTION.flags, **OPTION.spec)``, so both take the same names with
the same meaning and help.  Their checks are here too, each returning the one-line
problem (None when the value is good).  The standard library and asyncviz.trace (the
default threshold) only; the export formats are asked of asyncviz.exports when a path is
checked.
"""

from __future__ import annotations

from typing import NamedTuple

from .trace import DEFAULT_BLOCKED_MS

DEFAULT_MAX_EVENTS = 1_000_000


class Option(NamedTuple):
    flags: tuple[str, ...]
    spec: dict


SAVE = Option(
    ("--save",),
    dict(
        action="append",
        metavar="PATH",
        help="also write the trace to PATH, in the format its suffix names "
        "(.png, .svg, .pdf: the timeline as an image; .avz: the trace file, "
        "asyncviz.load() reads it again; .html; .txt: the summary; .dot: the "
        "state machines; .json: a Chrome trace for Perfetto or chrome://tracing). "
        "May be given more than once.",
    ),
)
MAX_EVENTS = Option(
    ("--max-events",),
    dict(
        type=int,
        default=DEFAULT_MAX_EVENTS,
        metavar="N",
        help="keep at most N events (default: %(default)s); the trace then says "
        "it was truncated (Trace.truncated) and how many were dropped.",
    ),
)
NO_VALUES = Option(
    ("--no-values",),
    dict(action="store_true", help="record no values (every Event.value is None)."),
)
INCLUDE = Option(
    ("--include",),
    dict(
        action="append",
        metavar="GLOB",
        help="also record generators/coroutines from modules or files matching "
        "GLOB (e.g. 'mylib.*'; '*' records everything). Repeatable.",
    ),
)
EXCLUDE = Option(
    ("--exclude",),
    dict(
        action="append",
        metavar="GLOB",
        help="do not record modules or files matching GLOB. Repeatable.",
    ),
)
BLOCKED_MS = Option(
    ("--blocked-ms",),
    dict(
        type=float,
        default=DEFAULT_BLOCKED_MS,
        metavar="N",
        help="a step that holds the event loop longer than N ms blocks it (default: "
        "%(default)g, as asyncio's debug mode): while one runs that long, a watchdog "
        "samples where its time goes, and the diagnostics (Trace.diagnostics(), the "
        "summary) name it, and timers that woke more than N ms late.",
    ),
)
# what the recorder is asked for, in the order the help lists them
RECORDING = (MAX_EVENTS, NO_VALUES, INCLUDE, EXCLUDE, BLOCKED_MS)


def max_events_problem(n: int) -> str | None:
    return None if n >= 0 else f"--max-events must be 0 or more, not {n}"


def blocked_ms_problem(ms: float) -> str | None:
    return None if ms > 0 else f"--blocked-ms must be more than 0, not {ms:g}"  # (also NaN)


def save_problem(path: str) -> str | None:
    """Why ``--save PATH`` cannot be written (its name picks no format), or None."""
    try:
        from .exports import format_problem
    except Exception:  # a broken exports package: the save says so when it is tried
        return None
    problem = format_problem(path)
    return None if problem is None else f"--save {path}: {problem}"
