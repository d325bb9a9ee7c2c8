"""Which recording core runs, on which interpreter hook, and why.

Two cores keep the same promises: the native one (C, `csrc/`) and the Python one
(`pycore.py`), the fallback when the extension is not built.  Each is fed by
sys.monitoring on 3.12+ and by the trace hook on 3.11.  The native core is preferred
when it imports; `asyncviz.trace(backend="python")` or the environment variable
ASYNCVIZ_BACKEND=python picks the Python one.  This module only chooses: it says why in
`Trace.meta["backend_reason"]`, and says once when the native core is missing.
"""

from __future__ import annotations

import os
import sys

ENV = "ASYNCVIZ_BACKEND"
NAMES = ("native", "python")


class BackendUnavailable(RuntimeError):
    """The hook a backend needs is held by someone else (a debugger, coverage, a profiler),
    or the backend cannot run here."""


_said_missing = False


def native_problem() -> str | None:
    """Why the native core cannot run here (None when it can)."""
    try:
        from . import native
    except ImportError as exc:  # pragma: no cover - native.py itself is pure Python
        return str(exc)
    return native.problem()


def names() -> list[str]:
    """The backends this interpreter can run, the preferred one first (what
    `asyncviz.trace(backend=...)` accepts)."""
    return (["native"] if native_problem() is None else []) + ["python"]


def hook_name() -> str:
    return "sys.monitoring" if hasattr(sys, "monitoring") else "sys.settrace"


def choose(name: str | None = None):
    """(backend, reason): the backend to record with, and why it was picked."""
    global _said_missing
    asked, source = name, "asked for"
    if asked is None and os.environ.get(ENV):
        asked, source = os.environ[ENV].strip().lower(), f"{ENV}={os.environ[ENV]}"
    if asked is not None and asked not in NAMES:
        raise ValueError(f"unknown backend {asked!r} ({source}); use one of: " + ", ".join(NAMES))
    if asked in (None, "native"):
        problem = native_problem()
        if problem is None:
            from .native import NativeBackend

            reason = f"native: the C core, {hook_name()}" + (
                f" ({source})" if asked else " (preferred when built)"
            )
            return NativeBackend(), reason
        if asked == "native":
            raise BackendUnavailable(f"the native recorder is not available: {problem}")
        if not _said_missing:
            _said_missing = True
            print(
                f"asyncviz: the native recorder is not available ({problem}); "
                "recording with the pure-Python one, which is slower",
                file=sys.stderr,
            )
        reason = f"python: the native core is not available ({problem})"
    else:
        reason = f"python: {source}"
    return _python_backend(), reason


def _python_backend():
    if hasattr(sys, "monitoring"):
        from .pymonitoring import PythonMonitoringBackend

        return PythonMonitoringBackend()
    from .pysettrace import PythonTraceBackend

    return PythonTraceBackend()
