"""asyncviz: see Python's cooperative multitasking.

    import asyncviz
    with asyncviz.trace() as t:
        ...
    t.summary()

In Jupyter: `%load_ext asyncviz`, then a cell starting with `%%asynctrace`.
Importing this package is cheap: no IPython, anywidget or matplotlib.
"""
from __future__ import annotations

# The submodule asyncviz.trace (storage) shares its name with the function
# asyncviz.trace(); loading the module first lets the function below own the name
# (the import system sets the package attribute only when it first loads a submodule).
from . import trace as _storage  # noqa: F401
from .recording.recorder import TraceError, trace
from .trace import Event, Trace, Traced, TraceFileError, load

__version__ = "0.1.0"
__all__ = ["trace", "load", "Trace", "Event", "Traced", "TraceError", "TraceFileError"]


def load_ipython_extension(ipython):
    from .magic import load_ipython_extension as load_extension
    load_extension(ipython)


def unload_ipython_extension(ipython):
    from .magic import unload_ipython_extension as unload_extension
    unload_extension(ipython)
