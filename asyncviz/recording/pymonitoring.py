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
        DISABLE = mon.DISABLE
        self.tool, self.note = claim_tool_id()
        tool = self.tool
        core = PyCore(registry, thread, max_events, values)
        registry.attach(core)
        core.watch_end = self._watch_end
        decided: dict[int, int] = {}
        decide_ = registry.decide
        special_ids = registry.special_ids
        special = registry.special_event
        getframe = sys._getframe
        get_ident = threading.get_ident
        set_local = mon.set_local_events
        local = self._local
        LOCAL = E.PY_YIELD | E.PY_RETURN

        def decide(code, frame) -> int:
            d = decide_(code, frame)
            if d != OUT:  # in scope: its yields and returns; watched stdlib code: its returns
                try:
                    set_local(tool, code, LOCAL if d == RECORD else E.PY_RETURN)
                except ValueError:  # the tool id was released under us: stop quietly
                    return OUT
                local.append(code)
            decided[id(code)] = d
            return d

        def py_start(code, offset):
            d = decided.get(id(code))
            if d is None:
                if not code.co_flags & CO_GENERATOR_FLAGS and id(code) not in special_ids:
                    return DISABLE  # ordinary code: never asked again
                d = decide(code, getframe(1))
            if d == OUT:
                return DISABLE
            if get_ident() == thread:
                if d == RECORD:
                    core.on_start(getframe(1), code, offset)
                else:
                    special(d, START, getframe(1))

        def py_resume(code, offset):
            d = decided.get(id(code))
            if d is None:
                if not code.co_flags & CO_GENERATOR_FLAGS:
                    return DISABLE
                d = decide(code, getframe(1))
            if d != RECORD:
                return DISABLE
            if get_ident() == thread:
                core.on_resume(getframe(1), code, offset)

        def py_yield(code, offset, value):
            if get_ident() == thread:
                core.on_yield(getframe(1), code, offset, value)

        def py_return(code, offset, value):
            if get_ident() == thread:
                d = decided.get(id(code), OUT)
                if d == RECORD or d == OUT:
                    core.on_return(getframe(1), code, offset, value)
                else:
                    special(d, RETURN, getframe(1), value)

        def py_throw(code, offset, exc):
            if not code.co_flags & CO_GENERATOR_FLAGS:
                return
            d = decided.get(id(code))
            if d is None:
                d = decide(code, getframe(1))
            if d == RECORD and get_ident() == thread:
                core.on_throw(getframe(1), code, exc)

        def py_unwind(code, offset, exc):
            d = decided.get(id(code), OUT)
            if get_ident() != thread:
                return
            if d == RECORD or (d == OUT and core.roots and code.co_flags & CO_GENERATOR_FLAGS):
                core.on_unwind(getframe(1), code, offset, exc)
            elif d != OUT:
                special(d, RAISE, getframe(1))

        # DISABLEs from an earlier trace would hide code that this trace's scope wants.
        mon.restart_events()
        for event, callback in ((E.PY_START, py_start), (E.PY_RESUME, py_resume),
                                (E.PY_YIELD, py_yield), (E.PY_RETURN, py_return),
                                (E.PY_THROW, py_throw), (E.PY_UNWIND, py_unwind)):
            mon.register_callback(tool, event, callback)
        mon.set_events(tool, E.PY_START | E.PY_RESUME | E.PY_THROW | E.PY_UNWIND)
        self._events = (E.PY_START, E.PY_RESUME, E.PY_YIELD, E.PY_RETURN, E.PY_THROW,
                        E.PY_UNWIND)
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
