"""Python 3.11: the interpreter's trace hook, on the recording thread only.

Why the trace hook and not sys.setprofile: the profile hook hides the exception a
generator raises or is thrown, and it is called for every C call too.  The trace
hook's global function sees each frame start and each generator resume ('call'); it
returns a local function only for generator frames in scope, which then report
'return' (a yield or a return, told apart by the opcode at f_lasti) and 'exception'.
A resume at the YIELD_VALUE itself (not the RESUME after it) is a throw() or close()
being delivered; the exception arrives with the next 'exception' event.
"""
from __future__ import annotations

import sys
import time

from .backend import BackendUnavailable
from .core import traceback_line
from .sites import RETURN_OPS, YIELD_VALUE, sites

_now = time.perf_counter_ns


class SetTraceBackend:
    name = "sys.settrace"

    def __init__(self):
        self.note = ""
        self._installed = None

    def start(self, core) -> None:
        current = sys.gettrace()
        if current is not None:
            raise BackendUnavailable(
                f"another tool is tracing this thread ({current!r}: a debugger or coverage); "
                "on Python 3.11 asyncviz needs the trace hook — stop that tool, or use "
                "Python 3.12+ where both can run")
        wanted = core.wanted
        pending: dict[int, tuple[int, int]] = {}
        last_exc: dict[int, int] = {}
        # frames where an exception was thrown in and no instruction has run since: a
        # 'return' there is the exception unwinding, though f_lasti is still at the yield
        thrown: set[int] = set()
        # frames re-entered at their SEND after the iterator they delegate to ended on the
        # throw path: a resume if it returned, a throw if it raised (next event tells)
        maybe_thrown: dict[int, int] = {}
        frames = core.frames

        def local(frame, event, arg):
            code = frame.f_code
            if event == "opcode":  # the thrown exception is being handled
                thrown.discard(id(frame))
                frame.f_trace_opcodes = False
                return local
            if event == "return":
                lasti = frame.f_lasti
                op = sites(code).opcode(lasti)
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

        def global_(frame, event, arg):
            code = frame.f_code
            w = wanted.get(code)
            if w is None:
                w = core.wants(code, frame)
            if not w:
                return None
            frame.f_trace_lines = False
            lasti = frame.f_lasti
            s = sites(code)
            arg_ = s.resume_arg(lasti)
            if arg_ == 0:
                core.on_start(frame, code, lasti)
            elif arg_ is not None:
                core.on_resume(frame, code, lasti)
            elif lasti > s.start and s.opcode(lasti) != YIELD_VALUE:
                core.on_resume(frame, code, lasti)
                maybe_thrown[id(frame)] = lasti
            else:  # at the YIELD_VALUE, or before the first RESUME: an exception thrown in
                o = frames.get(id(frame))
                pending[id(frame)] = (_now() - core.t0, o.line if o is not None else
                                      s.line(lasti) or code.co_firstlineno)
            return local

        self._installed = global_
        sys.settrace(global_)

    def stop(self) -> None:
        if self._installed is None:
            return
        if sys.gettrace() is self._installed:
            sys.settrace(None)
        self._installed = None

