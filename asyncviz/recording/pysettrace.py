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
            "Python 3.12+ where both can run")


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
        roots: set[int] = set()    # id() of unrecorded coroutine code that ends a task
        core.watch_end = lambda code: roots.add(id(code))
        decided: dict[int, int] = {}
        decide = registry.decide
        special_ids = registry.special_ids
        special = registry.special_event
        pending: dict[int, tuple[int, int]] = {}
        last_exc: dict[int, tuple[int, int]] = {}
        # frames where an exception was thrown in and no instruction has run since: a
        # 'return' there is the exception unwinding, though f_lasti is still at the yield
        thrown: set[int] = set()
        # frames re-entered at their SEND after the iterator they delegate to ended on the
        # throw path: a resume if it returned, a throw if it raised (next event tells)
        maybe_thrown: dict[int, int] = {}
        raised: dict[int, object] = {}   # id(frame) -> the exception leaving it
        frames = core.frames

        def local(frame, event, arg):
            code = frame.f_code
            if event == "opcode":  # the thrown exception is being handled
                thrown.discard(id(frame))
                frame.f_trace_opcodes = False
                return local
            if event == "return":
                lasti = frame.f_lasti
                op = core.info(code).opcode(lasti)
                maybe_thrown.pop(id(frame), None)
                if id(frame) in thrown:
                    thrown.discard(id(frame))
                    frame.f_trace_opcodes = False
                    op = None
                if op == YIELD_VALUE:
                    core.on_yield(frame, code, lasti, arg)
                elif op in RETURN_OPS:
                    core.on_return(frame, code, lasti, arg)
                else:
                    described, line = last_exc.pop(id(frame), (core.value(None), 0))
                    core.on_unwind(frame, code, lasti, None, described=described, line=line)
                last_exc.pop(id(frame), None)
            elif event == "exception":
                key = id(frame)
                if maybe_thrown.pop(key, -1) == frame.f_lasti:
                    core.retype_as_throw(frame, arg[1])
                    last_exc[key] = (core.value(arg[1]), traceback_line(arg[2], frame))
                    return local
                throw = pending.pop(key, None)
                if throw is not None:
                    core.on_throw(frame, code, arg[1], t=throw[0], line=throw[1])
                    last_exc[key] = (core.value(arg[1]), traceback_line(arg[2], frame))
                    thrown.add(key)
                    frame.f_trace_opcodes = True
                elif key in frames:
                    # where it was raised: a finally it passes through moves f_lasti
                    last_exc[key] = (core.value(arg[1]), traceback_line(arg[2], frame))
            return local

        def watched(frame, event, arg):
            """A stdlib function watched for asyncio: its return, or the raise leaving it."""
            if event == "exception":
                raised[id(frame)] = arg[1]
            elif event == "return":
                d = decided[id(frame.f_code)]
                if raised.pop(id(frame), None) is not None:
                    special(d, RAISE, frame)
                else:
                    special(d, RETURN, frame, arg)
            return watched

        def root_end(frame, event, arg):
            """An unrecorded coroutine that runs a task: only its end matters."""
            if event == "exception":
                raised[id(frame)] = arg[1]
            elif event == "return":
                code = frame.f_code
                op = core.info(code).opcode(frame.f_lasti)
                exc = raised.pop(id(frame), None)
                if exc is not None:
                    if op != YIELD_VALUE:
                        core.on_unwind(frame, code, frame.f_lasti, exc)
                elif op in RETURN_OPS:
                    core.on_return(frame, code, frame.f_lasti, arg)
            return root_end

        def global_(frame, event, arg):
            code = frame.f_code
            d = decided.get(id(code))
            if d is None:
                if not code.co_flags & CO_GENERATOR_FLAGS and id(code) not in special_ids:
                    return None
                d = decided[id(code)] = decide(code, frame)
            if d == OUT:
                return root_end if id(code) in roots else None
            frame.f_trace_lines = False
            if d != RECORD:
                special(d, START, frame)
                return watched
            lasti = frame.f_lasti
            info = core.info(code)
            arg_ = info.resume_arg(lasti)
            if arg_ == 0:
                core.on_start(frame, code, lasti)
            elif arg_ is not None:
                core.on_resume(frame, code, lasti)
            elif lasti > info.start and info.opcode(lasti) != YIELD_VALUE:
                core.on_resume(frame, code, lasti)
                maybe_thrown[id(frame)] = lasti
            else:  # at the YIELD_VALUE, or before the first RESUME: an exception thrown in
                o = frames.get(id(frame))
                pending[id(frame)] = (core.now(), o.line if o is not None else
                                      info.line(lasti) or code.co_firstlineno)
            return local

        self._installed = global_
        sys.settrace(global_)
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
