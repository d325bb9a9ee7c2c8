"""asyncviz: see Python's cooperative multitasking.

    import asyncviz
    with asyncviz.trace() as t:
        ...
    t.summary()

In Jupyter: `%load_ext asyncviz`, then a cell starting with `%%asynctrace`.
Importing this package is cheap: nothing heavy loads until it is used.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["trace", "load", "Trace", "Event", "Traced", "TraceError", "TraceFileError"]

_LAZY = {
    "trace": ("asyncviz.recording.recorder", "trace"),
    "TraceError": ("asyncviz.recording.recorder", "TraceError"),
    "load": ("asyncviz.trace", "load"),
    "Trace": ("asyncviz.trace", "Trace"),
    "Event": ("asyncviz.trace", "Event"),
    "Traced": ("asyncviz.trace", "Traced"),
    "TraceFileError": ("asyncviz.trace", "TraceFileError"),
}


def __getattr__(name):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'asyncviz' has no attribute {name!r}") from None
    import importlib
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def load_ipython_extension(ipython):
    from .magic import load_ipython_extension as load
    load(ipython)


def unload_ipython_extension(ipython):
    from .magic import unload_ipython_extension as unload
    unload(ipython)
