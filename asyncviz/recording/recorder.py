"""Start and stop a recording; one at a time; always leave the interpreter as found."""
from __future__ import annotations

import datetime
import linecache
import os
import sys
import threading

from ..trace import Trace
from . import hooks
from .backend import BackendUnavailable, choose
from .core import Core
from .scope import Scope

_lock = threading.Lock()
_current: "Recorder | None" = None
_MAX_SOURCE = 200_000  # characters of one source file kept for the views


class TraceError(RuntimeError):
    """A trace cannot start here; the message says why and what to do."""


class Recorder:
    def __init__(self, include=(), exclude=(), max_events: int = 1_000_000,
                 values: bool = True, backend: str | None = None,
                 root_label: str | None = None):
        if int(max_events) < 0:
            raise ValueError(f"max_events must be 0 or more, not {max_events}")
        self.scope = Scope(include, exclude)
        self.max_events = int(max_events)
        self.values = bool(values)
        self.backend_name = backend
        self.root_label = root_label
        self.core: Core | None = None
        self.backend = None
        self.started_at = None
        self.notes: list[str] = []

    def start(self) -> None:
        global _current
        with _lock:
            if _current is not None:
                raise TraceError(
                    "a trace is already recording (asyncviz records one at a time); "
                    "this one was not started — the outer trace goes on")
            _current = self
        try:
            self._start()
        except BaseException:
            self._teardown()
            with _lock:
                _current = None
            raise

    def _start(self) -> None:
        self.started_at = datetime.datetime.now(datetime.timezone.utc)
        core = self.core = Core(self.scope, self.max_events, self.values)
        if "asyncio" in sys.modules:
            from asyncio import events
            from .tasks import TaskWatcher
            core.tasks = TaskWatcher(core)
            loop = events._get_running_loop()
            if loop is not None:
                core.tasks.install(loop)
                import asyncio
                task = asyncio.current_task(loop)
                if task is not None:
                    core.tasks.register(task, label=self.root_label)
        try:
            self.backend = choose(self.backend_name)
            self.backend.start(core)
        except BackendUnavailable as exc:
            raise TraceError(str(exc)) from None
        if self.backend.note:
            self.notes.append(self.backend.note)
        hooks.activate(core)

    def _teardown(self) -> None:
        hooks.deactivate()
        if self.backend is not None:
            self.backend.stop()
        core = self.core
        if core is not None and core.tasks is not None:
            self.notes.extend(core.tasks.uninstall())

    def stop(self) -> Trace:
        global _current
        try:
            self._teardown()
        finally:
            with _lock:
                if _current is self:
                    _current = None
        core = self.core
        if core.tasks is not None:
            core.tasks.finish()
        core.finish()
        return Trace(
            buffer=bytes(core.buf), strings=core.strings.strings, objects=core.objects,
            idle=list(core.tasks.idle) if core.tasks is not None else [],
            dropped=core.dropped, meta=self._meta(core), sources=self._sources(core))

    def _meta(self, core: Core) -> dict:
        return {
            "python": sys.version.split()[0],
            "backend": self.backend.name if self.backend else None,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "duration_ns": core.duration,
            "max_events": self.max_events,
            "values": self.values,
            "include": list(self.scope.include),
            "exclude": list(self.scope.exclude),
            "notes": list(dict.fromkeys(self.notes)),
        }

    @staticmethod
    def _sources(core: Core) -> dict[str, str]:
        out = {}
        for filename in {o.filename for o in core.objects if o.filename}:
            text = "".join(linecache.getlines(filename))
            if text and len(text) <= _MAX_SOURCE:
                out[filename] = text
            elif not text and os.path.isfile(filename):
                pass
        return out


def recording() -> Recorder | None:
    """The recorder running now, if any."""
    return _current


class trace:
    """The context manager behind `asyncviz.trace()` (documented there)."""

    def __init__(self, include=(), exclude=(), max_events: int = 1_000_000,
                 values: bool = True, *, backend: str | None = None,
                 label: str | None = None):
        if isinstance(include, str):
            include = [include]
        if isinstance(exclude, str):
            exclude = [exclude]
        self._recorder = Recorder(include, exclude, max_events, values, backend, label)
        self._trace = Trace(buffer=b"", strings=[], objects=[])

    def __enter__(self) -> Trace:
        self._recorder.start()
        return self._trace

    def __exit__(self, *exc) -> bool:
        self._fill(self._recorder.stop())
        return False

    async def __aenter__(self) -> Trace:
        return self.__enter__()

    async def __aexit__(self, *exc) -> bool:
        return self.__exit__(*exc)

    def _fill(self, finished: Trace) -> None:
        for name in ("buffer", "strings", "objects", "idle", "dropped", "meta", "sources"):
            setattr(self._trace, name, getattr(finished, name))
