"""Start and stop a recording; one at a time; always leave the interpreter as found."""

from __future__ import annotations

import dataclasses
import datetime
import linecache
import sys
import threading

from ..trace import DEFAULT_BLOCKED_MS, Trace
from . import cellhooks
from .backend import BackendUnavailable, choose
from .registry import Registry
from .scope import Scope
from .watchdog import Watchdog

_lock = threading.Lock()
_current: "Recorder | None" = None
_MAX_SOURCE = 200_000  # characters of one source file kept for the views


class TraceError(RuntimeError):
    """A trace cannot start here; the message says why and what to do."""


class Recorder:
    def __init__(
        self,
        include=(),
        exclude=(),
        max_events: int = 1_000_000,
        values: bool = True,
        backend: str | None = None,
        root_label: str | None = None,
        blocked_ms: float = DEFAULT_BLOCKED_MS,
        cell: str | None = None,
    ):
        if int(max_events) < 0:
            raise ValueError(f"max_events must be 0 or more, not {max_events}")
        if not blocked_ms > 0:
            raise ValueError(
                f"blocked_ms must be more than 0 (a step longer than it blocks the loop), "
                f"not {blocked_ms}"
            )
        self.blocked_ms = float(blocked_ms)
        self.watchdog: Watchdog | None = None
        self.scope = Scope(include, exclude)
        self.max_events = int(max_events)
        self.values = bool(values)
        self.backend_name = backend
        self.root_label = root_label  # the label of the task running the trace's start
        # %%asynctrace: the cell's file; the cell is a coroutine labelled `cell` and the
        # task that runs it is not a task of the record
        self.cell = cell
        self.registry: Registry | None = None
        self.core = None
        self.backend = None
        self.reason = ""
        self.started_at = None
        self.notes: list[str] = []

    def start(self) -> None:
        global _current
        with _lock:
            if _current is not None:
                raise TraceError(
                    "a trace is already recording (asyncviz records one at a time); "
                    "this one was not started — the outer trace goes on"
                )
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
        registry = self.registry = Registry(self.scope, self.values, self.root_label)
        try:
            self.backend, self.reason = choose(self.backend_name)
        except (BackendUnavailable, ValueError) as exc:
            raise TraceError(str(exc)) from None
        watch = None
        if "asyncio" in sys.modules:
            from .tasks import AsyncioWatch, special_codes

            watch = AsyncioWatch(registry)
            registry.watch_asyncio(watch, special_codes())
        try:
            self.core = self.backend.start(
                registry, threading.get_ident(), self.max_events, self.values
            )
        except BackendUnavailable as exc:
            raise TraceError(str(exc)) from None
        self.core.on_spent = self._spent
        if self.backend.note:
            self.notes.append(self.backend.note)
        if self.cell is not None:
            registry.start_cell(self.cell)
        if watch is not None:
            self._root_task(watch)
        cellhooks.activate(self.core, sent=getattr(self.backend, "sent_hook", None))
        self.watchdog = Watchdog(self.core, registry, threading.get_ident(), self.blocked_ms)
        self.watchdog.start()
        if self.watchdog.problem is not None:
            self.notes.append(
                f"the watchdog could not start ({self.watchdog.problem}): a step that "
                "blocks the loop is named at the line it resumed at, not where it spent "
                "its time"
            )

    def _root_task(self, watch) -> None:
        """The task running now: what the cell stands for, or a task of the record."""
        from asyncio import events

        loop = events._get_running_loop()
        task = None
        if loop is not None:
            import asyncio

            task = asyncio.current_task(loop)
        if self.cell is not None:
            watch.root_task, watch.root_loop = task, loop
        elif task is not None:
            watch.register(task, late=False, label=self.root_label)

    def cell_ended(self, value=None, exc: BaseException | None = None) -> None:
        """%%asynctrace: the cell's last statement ran (`value`: what it shows) or `exc`
        stopped it; call before stop()."""
        if self.registry is not None and self.registry.core is not None:
            if self.registry.core.active:
                self.registry.end_cell(value, exc)

    def _spent(self) -> None:
        """The record's budget is spent: every hook comes off, the watchdog stops; the
        program runs on at full speed until the trace stops."""
        cellhooks.deactivate()
        if self.backend is not None:
            self.backend.switch_off()
        if self.watchdog is not None:
            self.watchdog.stop()

    def _teardown(self) -> None:
        try:
            if self.watchdog is not None:
                self.watchdog.stop()
        finally:
            cellhooks.deactivate()
            if self.backend is not None:
                self.backend.stop()

    def stop(self) -> Trace:
        global _current
        try:
            self._teardown()
        finally:
            with _lock:
                if _current is self:
                    _current = None
        registry, core = self.registry, self.core
        assert registry is not None and core is not None, "stop() before a start()"
        registry.faults.finish()
        registry.finish()
        core.finish()
        idle = registry.asyncio.idle if registry.asyncio is not None else []
        return Trace(
            buffer=core.records(),
            strings=registry.strings.strings,
            numbers=registry.numbers,
            objects=registry.objects,
            idle=[(core.to_ns(a), core.to_ns(b)) for a, b in idle],
            dropped=core.dropped,
            meta=self._meta(core),
            sources=self._sources(registry, registry.faults.files() | self._sampled()),
        )

    def _meta(self, core) -> dict:
        meta = {
            "python": sys.version.split()[0],
            "backend": self.backend.name if self.backend else None,
            "hook": self.backend.hook if self.backend else None,
            "backend_reason": self.reason,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "duration_ns": core.to_ns(core.duration),
            "max_events": self.max_events,
            "values": self.values,
            "include": list(self.scope.include),
            "exclude": list(self.scope.exclude),
            "notes": list(dict.fromkeys(self.notes)),
        }
        if core.spent:
            # the hooks came off when the budget was spent: what came after is not counted
            meta["dropped_at_least"] = True
            meta["notes"].append(
                f"the record reached max_events={self.max_events:,} (events, objects and "
                f"strings together); recording stopped there, at least {core.dropped:,} "
                "events were not recorded"
            )
        watch = self.registry.asyncio if self.registry is not None else None
        note = watch.cancels.note() if watch is not None else None
        if note:
            meta["notes"].append(note)
        if self.registry is not None and self.registry.never_awaited:
            meta["never_awaited"] = list(self.registry.never_awaited)
        meta["blocked_ms"] = self.blocked_ms
        if self.watchdog is not None and self.watchdog.samples:
            meta["blocked"] = self.watchdog.to_meta(core.to_ns)
        if self.registry is not None:
            meta.update(self.registry.faults.meta(core.to_ns))
        return meta

    def _sampled(self) -> set[str]:
        """The files the watchdog's samples name."""
        samples = self.watchdog.samples if self.watchdog is not None else []
        return {s[i] for s in samples for i in (2, 5) if s[i]}

    @staticmethod
    def _sources(
        registry: Registry, more: frozenset[str] | set[str] = frozenset()
    ) -> dict[str, str]:
        out = {}
        for filename in {o.filename for o in registry.objects if o.filename} | more:
            text = "".join(linecache.getlines(filename))
            if text and len(text) <= _MAX_SOURCE:
                out[filename] = text
        return out


def recording() -> Recorder | None:
    """The recorder running now, if any."""
    return _current


class trace:
    """The context manager behind `asyncviz.trace()` (documented there)."""

    def __init__(
        self,
        include=(),
        exclude=(),
        max_events: int = 1_000_000,
        values: bool = True,
        *,
        backend: str | None = None,
        label: str | None = None,
        blocked_ms: float = DEFAULT_BLOCKED_MS,
    ):
        if isinstance(include, str):
            include = [include]
        if isinstance(exclude, str):
            exclude = [exclude]
        self._recorder = Recorder(include, exclude, max_events, values, backend, label, blocked_ms)
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
        # every field, so that a field added to Trace is never left behind (numbers once was)
        for f in dataclasses.fields(Trace):
            setattr(self._trace, f.name, getattr(finished, f.name))
