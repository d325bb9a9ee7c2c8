"""The `asyncio.timeout()` contexts a recorded program makes, so that a wait inside
`async with asyncio.timeout(d)` can say so (`Queue.get() in timeout(1.0)`) and carry the
deadline.

A timeout is not in the await chain: it is seen being made (the cores report the return
of `asyncio.timeout()` / `timeout_at()`, see `waits.watched_codes`) and is active while
its state (read through `stdlib_fields`) is entered or expiring.  Nothing is set on it or
called on it: it is held weakly and its private fields are read as stored.
"""

from __future__ import annotations

import asyncio
import asyncio.timeouts
import weakref
from typing import Any

from . import stdlib_fields


class Timeouts:
    """The `asyncio.timeout()` contexts made while recording, held weakly with their text
    and the id of the frame that made them.  One is active while entered and not yet
    exited; entered ones are kept by task, so a wait looks only at its own task's."""

    def __init__(self):
        self.fresh: list[tuple[Any, str, int]] = []  # made, not seen entered yet
        self.by_task: dict[int, list[tuple[Any, str, int]]] = {}  # id(task) -> entered
        self._states: tuple = ()

    def any(self) -> bool:
        return bool(self.fresh or self.by_task)

    def add(self, timeout, text: str, owner) -> None:
        try:
            ref = weakref.ref(timeout)
        except TypeError:
            return
        self.fresh.append((ref, text, id(owner)))

    def _live_states(self) -> tuple:
        if not self._states:
            self._states = tuple(
                stdlib_fields.class_constant(key) for key in ("_State.ENTERED", "_State.EXPIRING")
            )
        return self._states

    def _sort_fresh(self) -> None:
        """Entered timeouts go to their task; dead ones are dropped."""
        still = []
        for entry in self.fresh:
            timeout = entry[0]()
            if timeout is None:
                continue
            task = stdlib_fields.read(timeout, "Timeout._task")
            if task is None:
                still.append(entry)
            else:
                self.by_task.setdefault(id(task), []).append(entry)
        self.fresh = still

    def active(self) -> list[tuple[Any, str, int]]:
        """The running task's active timeouts, oldest first (exited ones are forgotten:
        a timeout is entered once)."""
        if self.fresh:
            self._sort_fresh()
        try:
            task = asyncio.tasks.current_task()
        except RuntimeError:
            return []
        entries = self.by_task.get(id(task)) if task is not None else None
        if not entries:
            return []
        live = self._live_states()
        out, keep = [], []
        for entry in entries:
            timeout = entry[0]()
            if timeout is None or stdlib_fields.read(timeout, "Timeout._task") is not task:
                continue
            if stdlib_fields.read(timeout, "Timeout._state") in live:
                out.append((timeout, entry[1], entry[2]))
                keep.append(entry)
        if keep:
            self.by_task[id(task)] = keep
        else:
            del self.by_task[id(task)]
        return out

    @staticmethod
    def when(timeout) -> float | None:
        when = stdlib_fields.read(timeout, "Timeout._when")
        return when if isinstance(when, (int, float)) else None
