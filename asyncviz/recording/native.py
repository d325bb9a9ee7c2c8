"""The native recording core: the C extension `_native`, loaded, and installed on the
interpreter's hook as a backend.

The extension is preferred whenever it loads (backend.py chooses).  In a source checkout
installed in editable mode, C sources edited since the last build are noticed here and
compiled again before the module is first imported (one import per process: a module
already loaded cannot be replaced); if that fails, `problem()` says why and the Python
core records instead.
"""

from __future__ import annotations

import sys

from . import nativebuild
from .backend import BackendUnavailable
from .protocol import RECORD

ABI = 2  # what this loader expects of the module (its ABI constant)

_module = None
_problem: str | None = None
_loaded = False


def _rebuild_if_stale() -> str | None:
    if not nativebuild.sources() or not nativebuild.stale():
        return None  # an installed wheel (no sources), or an up-to-date build
    if "asyncviz.recording._native" in sys.modules:
        return "the C extension changed after it was loaded; restart Python to use the new one"
    import tempfile
    from pathlib import Path

    try:
        with tempfile.TemporaryDirectory(prefix="asyncviz-build-") as tmp:
            nativebuild.build(Path(tmp), inplace=True)
    except Exception as exc:  # NativeBuildError, or no setuptools
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        return f"its C sources changed and rebuilding it failed: {first}"
    return None


def _load():
    global _module, _problem, _loaded
    if _loaded:
        return _module
    _loaded = True
    problem = _rebuild_if_stale()
    if problem is None:
        try:
            from . import _native
        except ImportError as exc:
            problem = f"the C extension is not built ({exc})"
        else:
            if getattr(_native, "ABI", None) != ABI:
                problem = (
                    f"the C extension is from another version (ABI "
                    f"{getattr(_native, 'ABI', None)}, this asyncviz needs {ABI}); "
                    "reinstall jupyter-asyncviz"
                )
            elif _native.PROBLEM:
                problem = _native.PROBLEM
            else:
                _module = _native
    _problem = problem
    return _module


def problem() -> str | None:
    """Why the native core cannot run here (None when it can)."""
    _load()
    return _problem


def module():
    """The loaded extension (problem() is None)."""
    return _load()


class NativeBackend:
    name = "native"

    def __init__(self):
        self.hook = "sys.monitoring" if hasattr(sys, "monitoring") else "sys.settrace"
        self.note = ""
        self.core = None
        self.tool: int | None = None
        self.sent_hook = None  # __avz_sent__ for rewritten cell code
        self._local: list = []
        self._calls = None  # cancels.CallWatching, when asyncio is watched (3.12+)

    def start(self, registry, thread: int, max_events: int, values: bool):
        native = module()
        if native is None:
            raise BackendUnavailable(f"the native recorder is not available: {problem()}")
        if self.hook == "sys.monitoring":
            return self._start_monitoring(native, registry, thread, max_events, values)
        return self._start_trace(native, registry, thread, max_events, values)

    # -- 3.12+ ----------------------------------------------------------------------------

    def _start_monitoring(self, native, registry, thread, max_events, values):
        from .toolid import claim_tool_id

        mon = sys.monitoring
        E = mon.events
        self.tool, self.note = claim_tool_id()
        tool = self.tool
        local = self._local
        set_local = mon.set_local_events
        decide_ = registry.decide
        LOCAL = E.PY_YIELD | E.PY_RETURN
        calls = self._calls = registry.call_watching(tool, local)

        def decide(code, frame):
            """Decide once per code object; code in scope gets its local events."""
            d = decide_(code, frame)
            if d == RECORD:
                set_local(tool, code, LOCAL | (calls.events_of(code) if calls else 0))
                local.append(code)
            return d

        core = self.core = native.Core(registry, thread, max_events, values, decide, mon.DISABLE)
        registry.attach(core)
        core.watch_end = self._watch_end
        for code in registry.special:  # their returns (their starts are global events)
            set_local(tool, code, E.PY_RETURN)
            local.append(code)
        if calls is not None:  # cancel() calls: CALL events in the code that may make them
            calls.start()
            core.watch_calls = calls.watch
        mon.restart_events()  # DISABLEs of an earlier trace would hide code in scope now
        for event, callback in (
            (E.PY_START, core.py_start),
            (E.PY_RESUME, core.py_resume),
            (E.PY_YIELD, core.py_yield),
            (E.PY_RETURN, core.py_return),
            (E.PY_THROW, core.py_throw),
            (E.PY_UNWIND, core.py_unwind),
        ):
            mon.register_callback(tool, event, callback)
        mon.set_events(tool, E.PY_START | E.PY_RESUME | E.PY_THROW | E.PY_UNWIND)
        native.activate(core)
        self.sent_hook = native.sent
        return core

    def _watch_end(self, code) -> None:
        """A task's unrecorded coroutine: watch its return (its raise is a global event)."""
        if self.tool is None:
            return
        try:
            sys.monitoring.set_local_events(self.tool, code, sys.monitoring.events.PY_RETURN)
            self._local.append(code)
        except ValueError:
            pass

    # -- 3.11 -----------------------------------------------------------------------------

    def _start_trace(self, native, registry, thread, max_events, values):
        from .pysettrace import refuse_if_traced

        refuse_if_traced()
        core = self.core = native.Core(registry, thread, max_events, values, registry.decide, None)
        registry.attach(core)
        core.install_trace()
        native.activate(core)
        self.sent_hook = native.sent
        return core

    # -- off --------------------------------------------------------------------------------

    def switch_off(self) -> None:
        """The record's budget is spent: no callback of ours runs from now on."""
        if self.tool is not None:
            mon = sys.monitoring
            try:
                mon.set_events(self.tool, 0)
                for code in self._local:
                    mon.set_local_events(self.tool, code, 0)
            except ValueError:
                pass
        elif self.core is not None and self.hook == "sys.settrace":
            self.core.uninstall_trace()

    def stop(self) -> None:
        core, self.core = self.core, None
        native = _module
        if native is not None:
            native.activate(None)
        if self.tool is not None:
            from .toolid import release_tool_id

            tool, self.tool = self.tool, None
            mon = sys.monitoring
            E = mon.events
            try:
                for event in (
                    E.PY_START,
                    E.PY_RESUME,
                    E.PY_YIELD,
                    E.PY_RETURN,
                    E.PY_THROW,
                    E.PY_UNWIND,
                    E.CALL,
                ):
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
        elif core is not None:
            core.uninstall_trace()
