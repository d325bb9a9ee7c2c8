"""One interface, one backend per interpreter family, and the reason for the choice.

A backend installs its interpreter hook for the recording thread and translates what
the hook reports into `Core.on_*` calls.  It must tolerate stop() without start().
"""
from __future__ import annotations

import sys
from typing import Protocol


class BackendUnavailable(RuntimeError):
    """The hook a backend needs is held by someone else (a debugger, coverage, a profiler)."""


class Backend(Protocol):
    name: str
    note: str

    def start(self, core) -> None: ...

    def stop(self) -> None: ...


def choose(name: str | None = None) -> Backend:
    """The backend for this interpreter: sys.monitoring on 3.12+, else sys.settrace."""
    if name is None:
        name = "sys.monitoring" if hasattr(sys, "monitoring") else "sys.settrace"
    if name == "sys.monitoring":
        if not hasattr(sys, "monitoring"):
            raise BackendUnavailable(
                f"sys.monitoring needs Python 3.12 or newer; this is {sys.version.split()[0]}")
        from .sysmon import MonitoringBackend
        return MonitoringBackend()
    if name == "sys.settrace":
        if sys.version_info >= (3, 12):
            # 3.12 rebuilt the trace hook on top of sys.monitoring and moved f_lasti
            # around suspension points; this backend reads 3.11's bytecode positions
            raise BackendUnavailable(
                "the sys.settrace backend reads Python 3.11's bytecode; on "
                f"{sys.version.split()[0]} use the default, sys.monitoring")
        from .profile import SetTraceBackend
        return SetTraceBackend()
    raise ValueError(f"unknown backend {name!r}; use 'sys.monitoring' or 'sys.settrace'")


def names() -> list[str]:
    """The backends this interpreter can run, the preferred one first (what
    `asyncviz.trace(backend=...)` accepts)."""
    return ["sys.monitoring"] if hasattr(sys, "monitoring") else ["sys.settrace"]
