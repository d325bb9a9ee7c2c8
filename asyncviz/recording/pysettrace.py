"""Python 3.11: the Python core fed by the interpreter's trace hook, on the recording
thread only.

Why the trace hook and not sys.setprofile: the profile hook hides the exception a
generator raises or is thrown, and it is called for every C call too.  The trace
hook's global function sees each frame start and each generator resume ('call'); it
returns a local function only for generator frames in scope (and the stdlib functions
watched for asyncio), which then report 'return' (a yield or a return, told apart by the
opcode at f_lasti) and 'exception'.  A resume at the YIELD_VALUE itself (not the RESUME
after it) is a throw() or close() being delivered; the exception arrives with the next
'exception' event.
"""

from __future__ import annotations

import sys

from .backend import BackendUnavailable
from .codeinfo import RETURN_OPS, YIELD_VALUE
from .protocol import CO_GENERATOR_FLAGS, OUT, RECORD
from .frames import traceback_line
from .pycore import PyCore
from .tasks import RAISE, RETURN, START


def refuse_if_traced() -> None:
    current = sys.gettrace()
    if current is not None:
        raise BackendUnavailable(
            f"another tool is tracing this thread ({current!r}: a debugger or coverage); "
            "on Python 3.11 asyncviz needs the trace hook — stop that tool, or use "
            "Python 3.12+ where both can run"
        )


class PythonTraceBackend:
    name = "python"
    hook = "sys.settrace"

    def __init__(self):
        self.note = ""
        self._installed = None

    def start(self, registry, thread: int, max_events: int, values: bool) -> PyCore:
        refuse_if_traced()
        core = PyCore(registry, thread, max_events, values)
        registry.attach(core)
        hook = _TraceHook(core, registry)
        core.watch_end = hook.watch_end
        self._installed = hook.global_
        sys.settrace(self._installed)
        return core

    def switch_off(self) -> None:
        """The record's budget is spent: the hook comes off now."""
        if self._installed is not None and sys.gettrace() is self._installed:
            sys.settrace(None)

    def stop(self) -> None:
        if self._installed is None:
            return
        if sys.gettrace() is self._installed:
            sys.settrace(None)
        self._installed = None


class _TraceHook:
    """The global trace function and the local ones it hands out, around the notes they
    keep about frames between events."""

    def __init__(self, core, registry):
        self.core = core
        self.frames = core.frames
        self.decided: dict[int, int] = {}
        self.decide = registry.decide
        self.special_ids = registry.special_ids
        self.special = registry.special_event
        # unrecorded coroutine code that ends a task, by id (kept alive while watched)
        self.roots: dict[int, object] = {}
        self.pending: dict[int, tuple[int, int]] = {}
        self.last_exc: dict[int, tuple[int, int]] = {}
        # frames where an exception was thrown in and no instruction has run since: a
        # 'return' there is the exception unwinding, though f_lasti is still at the yield
        self.thrown: set[int] = set()
        # frames re-entered at their SEND after the iterator they delegate to ended on the
        # throw path: a resume if it returned, a throw if it raised (next event tells)
        self.maybe_thrown: dict[int, int] = {}
        self.raised: dict[int, object] = {}  # id(frame) -> the exception leaving it

    def watch_end(self, code) -> None:
        self.roots[id(code)] = code

    def local(self, frame, event, arg):
        if event == "opcode":  # the thrown exception is being handled
            self.thrown.discard(id(frame))
            frame.f_trace_opcodes = False
        elif event == "return":
            self._return(frame, arg)
        elif event == "exception":
            self._exception(frame, arg)
        return self.local

    def _return(self, frame, arg) -> None:
        core, code, key = self.core, frame.f_code, id(frame)
        lasti = frame.f_lasti
        op = core.info(code).opcode(lasti)
        self.maybe_thrown.pop(key, None)
        if key in self.thrown:
            self.thrown.discard(key)
            frame.f_trace_opcodes = False
            op = None
        if op == YIELD_VALUE:
            core.on_yield(frame, code, lasti, arg)
        elif op in RETURN_OPS:
            core.on_return(frame, code, lasti, arg)
        else:
            described, line = self.last_exc.pop(key, (core.value(None), 0))
            core.on_unwind(frame, code, lasti, None, described=described, line=line)
        self.last_exc.pop(key, None)

    def _exception(self, frame, arg) -> None:
        core, key = self.core, id(frame)
        if self.maybe_thrown.pop(key, -1) == frame.f_lasti:
            core.retype_as_throw(frame, arg[1])
            self.last_exc[key] = (core.value(arg[1]), traceback_line(arg[2], frame))
            return
        throw = self.pending.pop(key, None)
        if throw is not None:
            core.on_throw(frame, frame.f_code, arg[1], t=throw[0], line=throw[1])
            self.last_exc[key] = (core.value(arg[1]), traceback_line(arg[2], frame))
            self.thrown.add(key)
            frame.f_trace_opcodes = True
        elif key in self.frames:
            # where it was raised: a finally it passes through moves f_lasti
            self.last_exc[key] = (core.value(arg[1]), traceback_line(arg[2], frame))

    def watched(self, frame, event, arg):
        """A stdlib function watched for asyncio: its return, or the raise leaving it.
        (An 'exception' event may be one the function handles: the opcode it leaves at
        tells a return from a raise.)"""
        if event == "return":
            d = self.decided[id(frame.f_code)]
            if self.core.info(frame.f_code).opcode(frame.f_lasti) in RETURN_OPS:
                self.special(d, RETURN, frame, arg)
            else:
                self.special(d, RAISE, frame)
        return self.watched

    def root_end(self, frame, event, arg):
        """An unrecorded coroutine that runs a task: only its end matters.  An 'exception'
        event may be one it handles (a future's StopIteration inside `await`): the opcode
        it leaves at tells a return, a yield and an exception unwinding apart."""
        if event == "exception":
            self.raised[id(frame)] = arg[1]
        elif event == "return":
            code = frame.f_code
            op = self.core.info(code).opcode(frame.f_lasti)
            exc = self.raised.pop(id(frame), None)
            if op in RETURN_OPS:
                self.core.on_return(frame, code, frame.f_lasti, arg)
            elif op != YIELD_VALUE:
                self.core.on_unwind(frame, code, frame.f_lasti, exc)
        return self.root_end

    def global_(self, frame, event, arg):
        code = frame.f_code
        d = self.decided.get(id(code))
        if d is None:
            if not code.co_flags & CO_GENERATOR_FLAGS and id(code) not in self.special_ids:
                return None
            d = self.decided[id(code)] = self.decide(code, frame)
        if d == OUT:
            return self.root_end if id(code) in self.roots else None
        frame.f_trace_lines = False
        if d != RECORD:
            self.special(d, START, frame)
            return self.watched
        self._enter(frame, code)
        return self.local

    def _enter(self, frame, code) -> None:
        """A frame in scope starts or resumes: which one, by where it stands."""
        core = self.core
        lasti = frame.f_lasti
        info = core.info(code)
        arg_ = info.resume_arg(lasti)
        if arg_ == 0:
            core.on_start(frame, code, lasti)
        elif arg_ is not None:
            core.on_resume(frame, code, lasti)
        elif lasti > info.start and info.opcode(lasti) != YIELD_VALUE:
            core.on_resume(frame, code, lasti)
            self.maybe_thrown[id(frame)] = lasti
        else:  # at the YIELD_VALUE, or before the first RESUME: an exception thrown in
            o = self.frames.get(id(frame))
            self.pending[id(frame)] = (
                core.now(),
                o.line if o is not None else info.line(lasti) or code.co_firstlineno,
            )
