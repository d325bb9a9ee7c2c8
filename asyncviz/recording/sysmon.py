"""Python 3.12+: sys.monitoring.

PY_START and PY_RESUME are watched everywhere; code out of scope answers DISABLE once
and then costs nothing (ordinary code runs at full speed).  Code in scope gets PY_YIELD
and PY_RETURN as local events.  PY_THROW and PY_UNWIND cannot be local, nor DISABLEd,
so they filter on a per-code cache.  DISABLE is per code location and for all threads,
so the thread filter is a plain check.
"""
from __future__ import annotations

import sys
import threading

from .backend import BackendUnavailable
from .scope import GENERATOR_FLAGS

# Ids 0, 1 and 5 are promised to debuggers, coverage and optimizers; 2 is the profilers'.
_CANDIDATE_IDS = (2, 4, 3)


class MonitoringBackend:
    name = "sys.monitoring"

    def __init__(self):
        self.tool: int | None = None
        self.note = ""
        self._local: set = set()

    def _claim(self) -> int:
        mon = sys.monitoring
        held = {}
        for tool in _CANDIDATE_IDS:
            owner = mon.get_tool(tool)
            if owner is None:
                mon.use_tool_id(tool, "asyncviz")
                if tool != _CANDIDATE_IDS[0]:
                    self.note = (f"sys.monitoring tool id {_CANDIDATE_IDS[0]} is held by "
                                 f"{held[_CANDIDATE_IDS[0]]!r}; asyncviz used id {tool}")
                return tool
            held[tool] = owner
        owners = ", ".join(f"{t}: {o!r}" for t, o in held.items())
        raise BackendUnavailable(
            f"every sys.monitoring tool id asyncviz may use is taken ({owners}); "
            "stop the profiler or tracer holding them, then trace again")

    def start(self, core) -> None:
        mon = sys.monitoring
        E = mon.events
        DISABLE = mon.DISABLE
        tool = self.tool = self._claim()
        local = self._local
        wanted = core.wanted
        getframe = sys._getframe
        get_ident = threading.get_ident
        thread = core.thread
        set_local = mon.set_local_events
        LOCAL = E.PY_YIELD | E.PY_RETURN

        def decide(code, frame) -> bool:
            if code in local:  # in scope, local events already on: the common case
                return True
            w = wanted.get(code)
            if w is None:
                w = core.wants(code, frame)
            if w:
                try:
                    set_local(tool, code, LOCAL)
                except ValueError:  # the tool id was released under us: stop quietly
                    return False
                local.add(code)
            return w

        def py_start(code, offset):
            if not decide(code, getframe(1)):
                return DISABLE
            if get_ident() == thread:
                core.on_start(getframe(1), code, offset)

        def py_resume(code, offset):
            if not decide(code, getframe(1)):
                return DISABLE
            if get_ident() == thread:
                core.on_resume(getframe(1), code, offset)

        def py_yield(code, offset, value):
            if get_ident() == thread:
                core.on_yield(getframe(1), code, offset, value)

        def py_return(code, offset, value):
            if get_ident() == thread:
                core.on_return(getframe(1), code, offset, value)

        def py_throw(code, offset, exc):
            w = wanted.get(code)
            if w is False or not code.co_flags & GENERATOR_FLAGS:
                return
            if w is None and not decide(code, getframe(1)):
                return
            if get_ident() == thread:
                core.on_throw(getframe(1), code, exc)

        def py_unwind(code, offset, exc):
            if wanted.get(code) and get_ident() == thread:
                core.on_unwind(getframe(1), code, offset, exc)

        # DISABLEs from an earlier trace would hide code that this trace's scope wants.
        mon.restart_events()
        for event, callback in ((E.PY_START, py_start), (E.PY_RESUME, py_resume),
                                (E.PY_YIELD, py_yield), (E.PY_RETURN, py_return),
                                (E.PY_THROW, py_throw), (E.PY_UNWIND, py_unwind)):
            mon.register_callback(tool, event, callback)
        mon.set_events(tool, E.PY_START | E.PY_RESUME | E.PY_THROW | E.PY_UNWIND)

    def stop(self) -> None:
        tool = self.tool
        if tool is None:
            return
        self.tool = None
        mon = sys.monitoring
        E = mon.events
        events = (E.PY_START, E.PY_RESUME, E.PY_YIELD, E.PY_RETURN, E.PY_THROW, E.PY_UNWIND)
        try:
            # callbacks first: from here on no code of ours runs for this tool id
            for event in events:
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
            if mon.get_tool(tool) == "asyncviz":
                mon.free_tool_id(tool)
