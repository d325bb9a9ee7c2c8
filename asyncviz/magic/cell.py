"""The lifecycle of one traced cell: begin, end — or failing, when the body raises.

When the body raises, IPython stops running the cell's statements and calls its
``showtraceback``; the extension wraps that method so that the trace is stopped, bound
and shown first (:meth:`Cells.failing`), then the exception is shown exactly as without
the magic.  The body is deliberately *not* wrapped in ``try``/``except``/``raise``:
IPython 9 shows an ipykernel cell's frames at ``frame.f_lineno`` (its files are not on
disk), and a frame left through a re-raise reports the ``raise`` line, not the user's.
A ``post_run_cell`` handler stops a trace that nothing else stopped
(``custom_exceptions``, ``BdbQuit``).

The helpers the transformed cell calls hide their frames from IPython's tracebacks
(``__tracebackhide__``), so a traceback shows the user's lines only.
"""

from __future__ import annotations

import sys
import threading
from argparse import Namespace

from IPython.core.error import UsageError

from . import display
from .nest import Nesting
from .transform import LAST, CellTransformer, Plan, Plans, show_magic_line


class Run:
    """One traced cell, from begin to end (or to the traceback)."""

    def __init__(self, token: str, plan: Plan, recorder, count: int | None, filename: str):
        assert plan.args is not None, "begin raises a plan's error instead of running it"
        self.token = token
        self.plan = plan
        self.args: Namespace = plan.args
        self.recorder = recorder
        self.count = count
        self.filename = filename  # the cell's code: on the stack while it runs
        self.thread = threading.get_ident()
        self.started = False
        self.trace = None  # set by stop(), or by the worker (--thread)
        self.stopped = False
        self.worker: threading.Thread | None = None
        self.abandoned = False  # --thread: interrupted, the worker still runs


class Cells:
    """The traced cells of one shell; one records at a time."""

    def __init__(self, shell, plans: Plans, transformer: CellTransformer):
        self.shell = shell
        self.plans = plans
        self.transformer = transformer
        self.runs: dict[str, Run] = {}
        self.nesting = Nesting()

    # -- the names the transformed cell calls ------------------------------------------

    def cell(self, options=""):
        """Reached only if the AST transformer did not restructure the cell."""
        why = self.transformer.last_error
        detail = f" ({type(why).__name__}: {why})" if why is not None else ""
        raise UsageError(
            "asyncviz could not prepare this %%asynctrace cell"
            + detail
            + "; try %reload_ext asyncviz"
        )

    def begin(self, token: str, options: str = ""):
        __tracebackhide__ = True  # noqa: F841 - read by IPython's traceback formatter
        filename = sys._getframe(1).f_code.co_filename
        plan = self.plans.pop(token)
        if plan is None:  # the same code run twice: prepare it again
            plan = Plan(options)
        show_magic_line(filename, plan)
        if plan.args is None:
            raise UsageError(plan.error)
        from ..recording.recorder import TraceError, recording

        if self.runs or recording() is not None:
            raise UsageError(
                "a trace is already recording (asyncviz records one at a "
                "time); this one was not started — the outer trace goes on"
            )
        self.shell.user_ns.pop(LAST, None)
        if plan.nest and not plan.args.thread:
            self.nesting.apply()
        run = Run(token, plan, _recorder(plan.args, filename), self._execution_count(), filename)
        if not plan.args.thread:  # else the worker starts it, in its thread
            try:
                run.recorder.start()
            except TraceError as exc:
                raise UsageError(str(exc)) from None
            run.started = True
        self.runs[token] = run

    def end(self, token: str):
        __tracebackhide__ = True  # noqa: F841
        value = self.shell.user_ns.pop(LAST, None)
        run = self.runs.pop(token, None)
        if run is not None:
            if run.started and not run.stopped:
                run.recorder.cell_ended(value)
            self.finish(run)
        return value

    def thread(self, token: str):
        """Run the cell's body in a worker thread on a fresh event loop; wait for it."""
        __tracebackhide__ = True  # noqa: F841
        from .thread import run_in_thread

        frame = sys._getframe(1)
        code = frame.f_code.co_filename, frame.f_globals, frame.f_locals
        del frame
        return run_in_thread(
            self.runs[token], *code, flags=getattr(self.shell.compile, "flags", 0), bind=self.bind
        )

    # -- failing -----------------------------------------------------------------------

    def failing(self, exc: BaseException | None = None) -> bool:
        """The traced cell failed (IPython is about to show why: `exc`, when known):
        finish its trace.  True if there was one to finish."""
        done = False
        for token, run in list(self.runs.items()):
            if run.thread != threading.get_ident() or _on_stack(run.filename):
                continue  # another thread, or a cell run from inside the traced cell
            self.runs.pop(token, None)
            self.shell.user_ns.pop(LAST, None)
            try:
                if exc is not None and run.started and not run.stopped:
                    run.recorder.cell_ended(exc=exc)
                self.finish(run)
            except BaseException as err:  # never hide the cell's own exception
                display.error_line(f"asyncviz: could not finish the trace: {err!r}")
            done = True
        return done

    def before_traceback(self, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        """Called with showtraceback's arguments before it runs: the partial trace is
        shown, and the arguments it is to be called with returned."""
        if not self.runs:
            return args, kwargs
        exc_tuple = args[0] if args else kwargs.get("exc_tuple")
        try:
            value = self.shell._get_exc_info(exc_tuple)[1]
        except Exception:  # no exception to show after all: IPython will say so
            value = None
        if not self.failing(value if isinstance(value, BaseException) else None):
            return args, kwargs
        from ..recording.recorder import TraceError

        if isinstance(value, TraceError):  # a trace inside the traced cell: one line
            return ((UsageError, UsageError(str(value)), None),), {}
        return args, kwargs

    def post_run_cell(self, result=None):
        if self.runs:
            self.failing()

    # -- finishing -----------------------------------------------------------------------

    def stop(self, run: Run):
        if run.stopped:
            return run.trace
        run.stopped = True
        if run.args.thread or not run.started:
            return run.trace  # the worker stopped its own recorder
        run.trace = run.recorder.stop()
        return run.trace

    def stop_all(self) -> None:
        """Stop every run (unloading: a cell interrupted between its statements)."""
        for run in list(self.runs.values()):
            try:
                self.stop(run)
            except Exception:
                pass
        self.runs.clear()

    def finish(self, run: Run) -> None:
        trace = self.stop(run)
        if trace is None:
            if run.abandoned:
                display.error_line(
                    "asyncviz: the worker thread is still running; its "
                    "trace will be bound to _asynctrace when it finishes"
                )
            return
        self.bind(run, trace)
        display.present(trace, run.args, run.count)

    def bind(self, run: Run, trace) -> None:
        ns = self.shell.user_ns
        ns["_asynctrace"] = trace
        if run.args.out:
            ns[run.args.out] = trace

    def _execution_count(self) -> int | None:
        result = getattr(self.shell.displayhook, "exec_result", None)
        count = getattr(result, "execution_count", None)
        return count if count is not None else getattr(self.shell, "execution_count", None)


def _recorder(args, filename: str):
    from ..recording.recorder import Recorder

    try:
        return Recorder(
            args.include,
            args.exclude,
            args.max_events,
            not args.no_values,
            cell=filename,
            blocked_ms=args.blocked_ms,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _on_stack(filename: str) -> bool:
    """Is code of `filename` running now, on this thread (below the caller)?"""
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_filename == filename:
            return True
        f = f.f_back
    return False
