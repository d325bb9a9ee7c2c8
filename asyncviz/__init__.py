"""asyncviz: see Python's cooperative multitasking.

    import asyncviz
    with asyncviz.trace() as t:
        ...
    t.summary()

In Jupyter: `%load_ext asyncviz`, then a cell starting with `%%asynctrace`.
Importing this package is cheap: no IPython, anywidget or matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The submodule asyncviz.trace (storage) shares its name with the function
# asyncviz.trace(); loading the module first lets the function below own the name
# (the import system sets the package attribute only when it first loads a submodule).
from . import trace as _storage  # noqa: F401
from .trace import DEFAULT_BLOCKED_MS, Event, Trace, Traced, TraceFileError, load

if TYPE_CHECKING:  # at run time, imported on first use (__getattr__ below)
    from .analysis.diagnostics import Diagnostic
    from .recording.recorder import TraceError


def trace(
    include=(),
    exclude=(),
    max_events: int = 1_000_000,
    values: bool = True,
    *,
    backend: str | None = None,
    label: str | None = None,
    blocked_ms: float = DEFAULT_BLOCKED_MS,
):
    """Record what the generators, coroutines and tasks run inside the block do.

        with asyncviz.trace() as t:          # or: async with asyncviz.trace() as t:
            ...
        t.events, t.objects, t.summary()

    `t` is the Trace; it fills in when the block ends, also when the block raises.
    include / exclude: globs on module or file names that widen or narrow the default
    scope (your own code); include=['*'] records everything.  max_events caps the record
    (the trace says how many were dropped); values=False records no values.
    blocked_ms: a step longer than this blocks the loop — while one runs that long, a
    watchdog samples where its time goes, for `t.diagnostics()`.
    """
    # imported here so that `import asyncviz` (and asyncviz.analysis) stays light
    from .recording.recorder import trace as recording

    return recording(
        include, exclude, max_events, values, backend=backend, label=label, blocked_ms=blocked_ms
    )


def __getattr__(name):
    if name == "TraceError":
        from .recording.recorder import TraceError

        return TraceError
    if name == "Diagnostic":  # analysis is imported on first use: the recorder needs none
        from .analysis.diagnostics import Diagnostic

        return Diagnostic
    raise AttributeError(f"module 'asyncviz' has no attribute {name!r}")


__version__ = "0.1.0"
# TraceError and Diagnostic are imported on first use (module __getattr__ above)
__all__ = [
    "trace",
    "load",
    "Trace",
    "Event",
    "Traced",
    "Diagnostic",
    "TraceError",
    "TraceFileError",
]


def load_ipython_extension(ipython):
    from .magic import load_ipython_extension as load_extension

    load_extension(ipython)


def unload_ipython_extension(ipython):
    from .magic import unload_ipython_extension as unload_extension

    unload_extension(ipython)
