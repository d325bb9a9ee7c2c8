"""Python 3.12+: the Python core fed by sys.monitoring callbacks written in Python.

PY_START and PY_RESUME are watched everywhere; code out of scope answers DISABLE once
and then costs nothing (ordinary code runs at full speed).  Code in scope gets PY_YIELD
and PY_RETURN as local events; so do the stdlib functions watched for asyncio
(`tasks.special_codes()`), which are recognised before anything answers DISABLE.
PY_THROW and PY_UNWIND cannot be local, nor DISABLEd, so they filter on the decision
cache.  DISABLE is per code location and for all threads: the thread filter is a plain
check.  Decisions are cached by id(code) (hashing a code object is slow; the registry
keeps every decided code alive, so an id stays its code's).
"""

from __future__ import annotations

import sys
import threading

from .protocol import CO_GENERATOR_FLAGS, OUT, RECORD
from .pycore import PyCore
from .tasks import RAISE, RETURN, START
from .toolid import claim_tool_id, release_tool_id


class PythonMonitoringBackend:
    name = "python"
    hook = "sys.monitoring"

    def __init__(self):
        self.tool: int | None = None
        self.note = ""
        self._local: list = []

    def start(self, registry, thread: int, max_events: int, values: bool) -> PyCore:
        mon = sys.monitoring
        E = mon.events
        self.tool, self.note = claim_tool_id()
        core = PyCore(registry, thread, max_events, values)
        registry.attach(core)
        core.watch_end = self._watch_end
        calls = registry.call_watching(self.tool, self._local)
        hooks = _Callbacks(core, registry, self.tool, thread, self._local, calls)
        # DISABLEs from an earlier trace would hide code that this trace's scope wants.
        mon.restart_events()
        self._events = (E.PY_START, E.PY_RESUME, E.PY_YIELD, E.PY_RETURN, E.PY_THROW, E.PY_UNWIND)
        for event, callback in zip(
            self._events,
            (
                hooks.py_start,
                hooks.py_resume,
                hooks.py_yield,
                hooks.py_return,
                hooks.py_throw,
                hooks.py_unwind,
            ),
        ):
            mon.register_callback(self.tool, event, callback)
        if calls is not None:  # cancel() calls: CALL events in the code that may make them
            calls.start()
            self._events += (E.CALL,)
        mon.set_events(self.tool, E.PY_START | E.PY_RESUME | E.PY_THROW | E.PY_UNWIND)
        return core

    def _watch_end(self, code) -> None:
        """An unrecorded coroutine runs a task: watch its return (its raise is seen)."""
        if self.tool is None:
            return
        try:
            sys.monitoring.set_local_events(self.tool, code, sys.monitoring.events.PY_RETURN)
            self._local.append(code)
        except ValueError:
            pass

    def switch_off(self) -> None:
        """The record's budget is spent: no callback of ours runs from now on."""
        tool = self.tool
        if tool is None:
            return
        mon = sys.monitoring
        try:
            mon.set_events(tool, 0)
            for code in self._local:
                mon.set_local_events(tool, code, 0)
        except ValueError:
            pass

    def stop(self) -> None:
        tool = self.tool
        if tool is None:
            return
        self.tool = None
        mon = sys.monitoring
        try:
            # callbacks first: from here on no code of ours runs for this tool id
            for event in self._events:
                mon.register_callback(tool, event, None)
            mon.set_events(tool, 0)
            for code in self._local:
                try:
                    mon.set_local_events(tool, code, 0)
                except ValueError:
                    pass
            # our DISABLEs outlive us in the interpreter: the next holder of this id
            # (a profiler, viztracer) would never see the code we switched off
            mon.restart_events()
        finally:
            self._local.clear()
            release_tool_id(tool)


class _Callbacks:
    """The six callbacks, around the decision cache they share."""

    def __init__(self, core, registry, tool: int, thread: int, local: list, calls=None):
        self.core = core
        self.calls = calls  # cancels.CallWatching, or None
        self.thread = thread
        self.tool = tool
        self.local = local  # codes given local events (turned off at the end)
        self.decided: dict[int, int] = {}
        self.decide_ = registry.decide
        self.special_ids = registry.special_ids
        self.special = registry.special_event
        self.DISABLE = sys.monitoring.DISABLE

    def decide(self, code, frame) -> int:
        d = self.decide_(code, frame)
        if d != OUT:  # in scope: its yields and returns; watched stdlib code: its returns
            E = sys.monitoring.events
            events = E.PY_YIELD | E.PY_RETURN if d == RECORD else E.PY_RETURN
            if d == RECORD and self.calls is not None:
                events |= self.calls.events_of(code)
            try:
                sys.monitoring.set_local_events(self.tool, code, events)
            except ValueError:  # the tool id was released under us: stop quietly
                return OUT
            self.local.append(code)
        self.decided[id(code)] = d
        return d

    def py_start(self, code, offset):
        d = self.decided.get(id(code))
        if d is None:
            if not code.co_flags & CO_GENERATOR_FLAGS and id(code) not in self.special_ids:
                if self.calls is not None and "cancel" in code.co_names:
                    self.calls.watch(code, sys._getframe(1))
                return self.DISABLE  # ordinary code: never asked again
            d = self.decide(code, sys._getframe(1))
        if d == OUT:
            return self.DISABLE
        if threading.get_ident() == self.thread:
            if d == RECORD:
                self.core.on_start(sys._getframe(1), code, offset)
            else:
                self.special(d, START, sys._getframe(1))

    def py_resume(self, code, offset):
        d = self.decided.get(id(code))
        if d is None:
            if not code.co_flags & CO_GENERATOR_FLAGS:
                return self.DISABLE
            d = self.decide(code, sys._getframe(1))
        if d != RECORD:
            return self.DISABLE
        if threading.get_ident() == self.thread:
            self.core.on_resume(sys._getframe(1), code, offset)

    def py_yield(self, code, offset, value):
        if threading.get_ident() == self.thread:
            self.core.on_yield(sys._getframe(1), code, offset, value)

    def py_return(self, code, offset, value):
        if threading.get_ident() == self.thread:
            d = self.decided.get(id(code), OUT)
            if d == RECORD or d == OUT:
                self.core.on_return(sys._getframe(1), code, offset, value)
            else:
                self.special(d, RETURN, sys._getframe(1), value)

    def py_throw(self, code, offset, exc):
        if not code.co_flags & CO_GENERATOR_FLAGS:
            return
        d = self.decided.get(id(code))
        if d is None:
            d = self.decide(code, sys._getframe(1))
        if d == RECORD and threading.get_ident() == self.thread:
            self.core.on_throw(sys._getframe(1), code, exc)

    def py_unwind(self, code, offset, exc):
        if threading.get_ident() != self.thread:
            return
        d = self.decided.get(id(code), OUT)
        if d == RECORD or (d == OUT and self.core.roots and code.co_flags & CO_GENERATOR_FLAGS):
            self.core.on_unwind(sys._getframe(1), code, offset, exc)
        elif d != OUT:
            self.special(d, RAISE, sys._getframe(1))
