"""``%%asynctrace``: run a cell exactly as without the magic, and record it.

A plain cell magic cannot ``await`` (IPython issue #11314), so the magic is not run as a
magic at all.  Two transformers do the work:

1. an *input transformer* at the front of ``input_transformers_cleanup`` turns the first
   line ``%%asynctrace OPTIONS`` into ``__asyncviz_cell__('OPTIONS')``: the same number of
   lines, the body untouched, so every line number stays what the user sees;
2. an *AST transformer* (after the :class:`~asyncviz.recording.rewrite.CellRewriter`,
   which makes sent values and creations visible to the recorder) turns a module that
   starts with that call into these top-level statements::

       __asyncviz_begin__(TOKEN, 'OPTIONS')   # options (bad: UsageError), Recorder starts
       <the body's statements, untouched>
       __avz_last__ = <the last expression>    # if the body ends with one
       __asyncviz_end__(TOKEN)                 # stop, bind, show; returns __avz_last__

   IPython runs top-level statements one by one, so a body that awaits runs on the
   kernel's own loop (autoawait), and ``__asyncviz_end__(...)``, the last expression
   statement, is displayed as ``Out[N]`` (a trailing ``;`` in the cell still hides it).
   With ``--thread`` the body becomes ``__avz_last__ = __asyncviz_thread__(TOKEN)``,
   which runs it in a worker thread on a fresh event loop.

When the body raises, IPython stops running the cell's statements and calls its
``showtraceback``; the extension wraps that method so that the trace is stopped, bound
and shown first, then the exception is shown exactly as without the magic.  The body is
deliberately *not* wrapped in ``try``/``except``/``raise``: IPython 9 shows an ipykernel
cell's frames at ``frame.f_lineno`` (its files are not on disk), and a frame left through
a re-raise reports the ``raise`` line, not the user's.  A ``post_run_cell`` handler stops
a trace that nothing else stopped (``custom_exceptions``, ``BdbQuit``).

The helper names are dunders (class-body name mangling leaves them alone) kept in
:mod:`builtins`, so ``%reset`` does not break traced cells.  Only this module of
asyncviz imports IPython.
"""
from __future__ import annotations

import ast
import builtins
import copy
import itertools
import keyword
import linecache
import os
import re
import shutil
import signal
import sys
import threading
from pathlib import Path

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

__all__ = ["AsyncTraceMagics", "load_ipython_extension", "unload_ipython_extension"]

CELL = "__asyncviz_cell__"
BEGIN = "__asyncviz_begin__"
END = "__asyncviz_end__"
THREAD = "__asyncviz_thread__"
LAST = "__avz_last__"
HELPERS = (CELL, BEGIN, END, THREAD)

VIEWS = ("timeline", "states", "summary", "all", "none")
LATER_VIEWS: tuple[str, ...] = ()  # views accepted before they exist (none now)
DEFAULT_MAX_EVENTS = 1_000_000
EXPORT_DIR_ENV = "ASYNCVIZ_EXPORT_DIR"

NEST_NOTE = ("asyncviz: enabled nest_asyncio2 so asyncio.run() works inside the kernel's "
             "running loop (use --thread to avoid patching)")

_CO_COROUTINE = 0x80
_MAGIC_LINE = re.compile(r"([ \t]*)%%asynctrace(?:[ \t]+(.*?))?[ \t]*(\r\n|\n|\r)?")
_KEEP_PLANS = 64  # prepared cells whose code never ran (a compile error) are dropped

_state: "_State | None" = None  # the loaded extension


# ------------------------------------------------------------------------- the magic


@magics_class
class AsyncTraceMagics(Magics):
    @magic_arguments()
    @argument("--view", choices=VIEWS, default="timeline",
              help="what to show when the cell ends: 'timeline' (default: the "
                   "interactive timeline, which also carries a PNG and the summary text "
                   "for exported notebooks), 'states' (the state machines: lifecycle and "
                   "suspension points of each function or object, with an SVG and a text "
                   "listing for exported notebooks), 'summary' (the table), 'all' (the "
                   "timeline and the state machines, linked: the timeline's cursor "
                   "highlights the current state, and selecting in one selects in the "
                   "other; then the table), 'none'.")
    @argument("--save", action="append", metavar="PATH",
              help="also write the trace to PATH, in the format its suffix names "
                   "(.avz: the trace file, asyncviz.load() reads it again; .html; .txt). "
                   "May be given more than once.")
    @argument("--out", metavar="NAME",
              help="also bind the Trace to NAME in the user namespace "
                   "(it is always bound to _asynctrace).")
    @argument("--max-events", type=int, default=DEFAULT_MAX_EVENTS, metavar="N",
              help="keep at most N events (default: %(default)s); the trace then says "
                   "it was truncated (Trace.truncated) and how many were dropped.")
    @argument("--no-values", action="store_true",
              help="record no values (every Event.value is None).")
    @argument("--thread", action="store_true",
              help="run the cell on a fresh event loop in a worker thread (real C tasks, "
                   "nothing patched); the kernel waits for it. Without it, a cell that "
                   "calls asyncio.run() or loop.run_until_complete() gets nest_asyncio2 "
                   "applied to the kernel's loop (said once). A worker stuck in a "
                   "blocking call cannot be killed by an interrupt.")
    @argument("--include", action="append", metavar="GLOB",
              help="also record generators/coroutines from modules or files matching "
                   "GLOB (e.g. 'mylib.*'; '*' records everything). Repeatable.")
    @argument("--exclude", action="append", metavar="GLOB",
              help="do not record modules or files matching GLOB. Repeatable.")
    @line_cell_magic
    def asynctrace(self, line, cell=None):
        """Run the cell exactly as without the magic, recording every generator,
        coroutine, async generator and asyncio task transition it drives.

        Put ``%%asynctrace [options]`` as the first line of a cell.  Top-level
        ``await`` runs on the kernel's own loop, the last expression is displayed,
        names the cell defines persist and an exception is shown as usual (after the
        partial trace).  The finished Trace is bound to ``_asynctrace`` in the user
        namespace (and to ``--out NAME``); then the view is shown (``--view``, default:
        the timeline) and each ``--save PATH`` is written.  With the environment
        variable ASYNCVIZ_EXPORT_DIR set, every traced cell is also written there as
        cell<N>.txt, cell<N>.html and cell<N>.avz (N: the execution count).

        Example::

            %%asynctrace --out t --save run.avz
            await asyncio.gather(worker(1), worker(2))
        """
        # Reached only when the input transformer did not see the cell: run_cell_magic,
        # a line magic %asynctrace, or the line not being the cell's first.
        raise UsageError(
            "%%asynctrace must be the first line of a cell (and the asyncviz extension "
            "loaded: %load_ext asyncviz); it cannot be run as a line magic, through "
            "run_cell_magic or from inside other code")


def parse_options(options: str):
    """The parsed options of a ``%%asynctrace`` line; UsageError (one line) if bad."""
    args = parse_argstring(AsyncTraceMagics.asynctrace, options)
    if args.max_events < 0:
        raise UsageError(f"--max-events must be 0 or more, not {args.max_events}")
    if args.out is not None:
        args.out = _unquote(args.out)
        if not args.out.isidentifier() or keyword.iskeyword(args.out):
            raise UsageError(f"--out needs a Python name, not {args.out!r}")
    args.save = [_unquote(p) for p in args.save or []]
    args.include = [_unquote(p) for p in args.include or []]
    args.exclude = [_unquote(p) for p in args.exclude or []]
    formats = _save_formats()
    for path in args.save:
        suffix = Path(path).suffix.lower()
        if suffix not in formats:
            why = (f"{suffix} is not a format asyncviz writes" if suffix
                   else f"{path!r} has no suffix to pick a format by")
            raise UsageError(f"--save {path}: {why}; use one of {' '.join(formats)}")
    return args


def _unquote(text: str) -> str:
    """IPython splits magic arguments without removing quotes."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _save_formats() -> tuple[str, ...]:
    try:
        from .exports import WRITERS
        return tuple(WRITERS)
    except Exception:  # the exports module is missing or broken: only the native file
        return (".avz",)


# ----------------------------------------------------------------------- transformers


def transform_lines(lines: list[str]) -> list[str]:
    """Input transformer: the ``%%asynctrace OPTIONS`` first line becomes
    ``__asyncviz_cell__('OPTIONS')``, indented as it was; nothing else changes."""
    for i, line in enumerate(lines):
        if line.strip():
            break
    else:
        return lines
    m = _MAGIC_LINE.fullmatch(lines[i])
    if m is None:
        return lines
    indent, options, newline = m.group(1), (m.group(2) or "").strip(), m.group(3) or ""
    out = list(lines)
    out[i] = f"{indent}{CELL}({options!r}){newline}"
    return out


class _Plan:
    """What the AST transformer learned about one traced cell, for the helpers."""

    __slots__ = ("options", "args", "error", "nest", "body", "last", "line")

    def __init__(self, options: str, line: int = 0):
        self.options = options
        self.line = line                        # the line of the %%asynctrace marker
        self.args = None
        self.error: str | None = None
        self.nest = False
        self.body: list[ast.stmt] | None = None  # --thread: the statements...
        self.last: ast.expr | None = None       # ...and the last expression


class CellTransformer(ast.NodeTransformer):
    """AST transformer: restructures a module whose first statement is the call the
    input transformer left (see the module docstring).  Never raises."""

    def __init__(self, state: "_State"):
        super().__init__()
        self.state = state
        self.last_error: BaseException | None = None

    def visit(self, node):
        if not isinstance(node, ast.Module) or not node.body:
            return node
        options = _marker_options(node.body[0])
        if options is None:
            return node
        try:
            new = self._transform(node, options)
        except Exception as exc:  # IPython drops a transformer that raises
            self.last_error = exc
            return node  # __asyncviz_cell__ then reports it
        self.last_error = None
        return new

    def _transform(self, module: ast.Module, options: str) -> ast.Module:
        marker, body = module.body[0], module.body[1:]
        plan = _Plan(options, marker.lineno)
        try:
            plan.args = parse_options(options)
        except UsageError as exc:
            plan.error = str(exc)
        plan.nest = _calls_run(body)
        token = self.state.add_plan(plan)

        last_value = None
        if body and isinstance(body[-1], ast.Expr):
            last_value, body = body[-1].value, body[:-1]
        elif body and _interactivity(self.state) == "last_expr_or_assign":
            name = _assigned_name(body[-1])
            if name is not None:
                last_value = ast.copy_location(ast.Name(id=name, ctx=ast.Load()), body[-1])

        begin = _locate(_call(BEGIN, token, options), marker)
        end = _locate(_call(END, token), marker)
        if plan.args is not None and plan.args.thread:
            plan.body, plan.last = copy.deepcopy(body), copy.deepcopy(last_value)
            run = _assign_last(_call(THREAD, token).value, marker)
            module.body = [begin, run, end]
        else:
            tail = [] if last_value is None else [_assign_last(last_value, last_value)]
            module.body = [begin, *body, *tail, end]
        return module


def _marker_options(stmt: ast.stmt) -> str | None:
    if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == CELL
            and len(stmt.value.args) == 1 and not stmt.value.keywords
            and isinstance(stmt.value.args[0], ast.Constant)
            and isinstance(stmt.value.args[0].value, str)):
        return stmt.value.args[0].value
    return None


def _call(name: str, *args: str) -> ast.Expr:
    return ast.Expr(value=ast.Call(func=ast.Name(id=name, ctx=ast.Load()),
                                   args=[ast.Constant(value=a) for a in args], keywords=[]))


def _assign_last(value: ast.expr, where: ast.AST) -> ast.Assign:
    node = ast.Assign(targets=[ast.Name(id=LAST, ctx=ast.Store())], value=value)
    return _locate(node, where)


def _locate(node: ast.AST, where: ast.AST) -> ast.AST:
    """Give `node` and the new nodes below it (those without a location) `where`'s."""
    loc = {a: getattr(where, a, None) for a in ("lineno", "col_offset", "end_lineno",
                                                "end_col_offset")}
    for sub in ast.walk(node):
        if "lineno" in sub._attributes and getattr(sub, "lineno", None) is None:
            for a, v in loc.items():
                setattr(sub, a, v)
    return node


def _calls_run(body: list[ast.stmt]) -> bool:
    """Does the cell call asyncio.run() or run_until_complete() itself?"""
    for stmt in body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Attribute):
                if f.attr == "run_until_complete":
                    return True
                if f.attr == "run" and isinstance(f.value, ast.Name) and f.value.id == "asyncio":
                    return True
            elif isinstance(f, ast.Name) and f.id == "run_until_complete":
                return True
    return False


def _interactivity(state: "_State") -> str:
    return getattr(state.shell, "ast_node_interactivity", "last_expr")


def _assigned_name(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and getattr(stmt, "value", 1):
        target = stmt.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


# ------------------------------------------------------------------------- the helpers


class _Run:
    """One traced cell, from begin to end (or to the traceback)."""

    def __init__(self, token: str, plan: _Plan, recorder, count: int | None, filename: str):
        self.token = token
        self.plan = plan
        self.args = plan.args
        self.recorder = recorder
        self.count = count
        self.filename = filename      # the cell's code: on the stack while it runs
        self.thread = threading.get_ident()
        self.started = False
        self.trace = None             # set by stop(), or by the worker (--thread)
        self.stopped = False
        self.worker: threading.Thread | None = None
        self.abandoned = False        # --thread: interrupted, the worker still runs


class _State:
    def __init__(self, shell):
        self.shell = shell
        self.plans: dict[str, _Plan] = {}
        self.runs: dict[str, _Run] = {}
        self.tokens = itertools.count(1)
        self.transformer = CellTransformer(self)
        self.rewriter = None
        self.nested_loops: set[int] = set()
        self.showtraceback = None     # the shell's own, while ours is installed

    def add_plan(self, plan: _Plan) -> str:
        token = str(next(self.tokens))
        self.plans[token] = plan
        while len(self.plans) > _KEEP_PLANS:
            self.plans.pop(next(iter(self.plans)))
        return token

    # -- the names the transformed cell calls ------------------------------------------

    def cell(self, options=""):
        """Reached only if the AST transformer did not restructure the cell."""
        why = self.transformer.last_error
        detail = f" ({type(why).__name__}: {why})" if why is not None else ""
        raise UsageError("asyncviz could not prepare this %%asynctrace cell" + detail
                         + "; try %reload_ext asyncviz")

    def begin(self, token: str, options: str = ""):
        __tracebackhide__ = True  # noqa: F841 - read by IPython's traceback formatter
        filename = sys._getframe(1).f_code.co_filename
        plan = self.plans.pop(token, None)
        if plan is None:  # the same code run twice: prepare it again
            plan = _Plan(options)
            try:
                plan.args = parse_options(options)
            except UsageError as exc:
                plan.error = str(exc)
        _show_magic_line(filename, plan)
        if plan.error is not None:
            raise UsageError(plan.error)
        args = plan.args
        from .recording.recorder import Recorder, TraceError, recording
        if self.runs or recording() is not None:
            raise UsageError("a trace is already recording (asyncviz records one at a "
                             "time); this one was not started — the outer trace goes on")
        self.shell.user_ns.pop(LAST, None)
        if plan.nest and not args.thread:
            self._nest()
        try:
            recorder = Recorder(args.include, args.exclude, args.max_events,
                                not args.no_values, root_label="cell")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        run = _Run(token, plan, recorder, self._execution_count(), filename)
        if args.thread:
            self.runs[token] = run
            return
        try:
            recorder.start()
        except TraceError as exc:
            raise UsageError(str(exc)) from None
        run.started = True
        self.runs[token] = run

    def end(self, token: str):
        __tracebackhide__ = True  # noqa: F841
        value = self.shell.user_ns.pop(LAST, None)
        run = self.runs.pop(token, None)
        if run is not None:
            self._finish(run)
        return value

    def failing(self) -> BaseException | None:
        """The traced cell failed (IPython is about to show why): finish its trace.
        True if there was one to finish."""
        done = False
        for token, run in list(self.runs.items()):
            if run.thread != threading.get_ident() or _on_stack(run.filename):
                continue  # another thread, or a cell run from inside the traced cell
            self.runs.pop(token, None)
            self.shell.user_ns.pop(LAST, None)
            try:
                self._finish(run)
            except BaseException as err:  # never hide the cell's own exception
                _error_line(f"asyncviz: could not finish the trace: {err!r}")
            done = True
        return done

    def _showtraceback(self, *args, **kwargs):
        """Installed as the shell's showtraceback: the partial trace, then the error."""
        original = self.showtraceback
        try:
            finished = self.failing() if self.runs else False
            if finished:
                from .recording.recorder import TraceError
                exc_tuple = args[0] if args else kwargs.get("exc_tuple")
                value = self.shell._get_exc_info(exc_tuple)[1]
                if isinstance(value, TraceError):  # a trace inside the traced cell
                    args, kwargs = ((UsageError, UsageError(str(value)), None),), {}
        except Exception as err:
            _error_line(f"asyncviz: could not finish the trace: {err!r}")
        return original(*args, **kwargs)

    def _post_run_cell(self, result=None):
        if self.runs:
            self.failing()

    # -- finishing -----------------------------------------------------------------------

    def _stop(self, run: _Run):
        if run.stopped:
            return run.trace
        run.stopped = True
        if run.args.thread or not run.started:
            return run.trace  # the worker stopped its own recorder
        run.trace = run.recorder.stop()
        return run.trace

    def _finish(self, run: _Run) -> None:
        trace = self._stop(run)
        if trace is None:
            if run.abandoned:
                _error_line("asyncviz: the worker thread is still running; its trace "
                            "will be bound to _asynctrace when it finishes")
            return
        self._bind(run, trace)
        args = run.args
        if args.view in LATER_VIEWS:
            print(f"asyncviz: --view {args.view} comes with a later version; "
                  "showing the summary")
        if args.view != "none":
            self._show(trace, args.view)
        for path in args.save:
            self._save(trace, path)
        export = os.environ.get(EXPORT_DIR_ENV)
        if export:
            n = run.count if run.count is not None else 0
            suffixes = [".txt", ".html", ".avz", ".png", ".svg", ".dot"]
            if shutil.which("dot"):  # the state machines as a picture need Graphviz's dot
                suffixes.append(".states.svg")
            for suffix in suffixes:
                self._save(trace, os.path.join(export, f"cell{n}{suffix}"))

    def _bind(self, run: _Run, trace) -> None:
        ns = self.shell.user_ns
        ns["_asynctrace"] = trace
        if run.args.out:
            ns[run.args.out] = trace

    @staticmethod
    def _show(trace, view: str) -> None:
        from IPython.display import display
        timeline = states = None
        if view in ("timeline", "all"):
            try:
                timeline = trace.timeline()
            except Exception as exc:  # no front-end bundle, no anywidget: say so, go on
                _error_line(f"asyncviz: cannot show the timeline ({exc}); showing the summary")
        if view in ("states", "all"):
            try:
                states = trace.states()
            except Exception as exc:
                _error_line(f"asyncviz: cannot show the state machines ({exc}); "
                            "showing the summary")
        if timeline is not None and states is not None:
            try:
                states.link(timeline)  # cursor and selection, in the browser
            except Exception as exc:
                _error_line(f"asyncviz: cannot link the timeline and the state machines: {exc}")
        for widget in (timeline, states):
            if widget is not None:
                display(widget)
        shown = {"timeline": timeline, "states": states}
        if view in shown and shown[view] is not None:
            return  # else the summary stands in for the view that failed
        try:
            summary = trace.summary()
        except Exception as exc:
            _error_line(f"asyncviz: cannot show the summary: {exc!r}")
            print(repr(trace))
            return
        display(summary)

    @staticmethod
    def _save(trace, path: str) -> None:
        try:
            trace.save(os.path.expanduser(path))
        except Exception as exc:
            _error_line(f"asyncviz: {exc}" if isinstance(exc, ValueError)
                        else f"asyncviz: could not save {path}: {exc}")

    def _execution_count(self) -> int | None:
        result = getattr(self.shell.displayhook, "exec_result", None)
        count = getattr(result, "execution_count", None)
        return count if count is not None else getattr(self.shell, "execution_count", None)

    # -- asyncio.run() inside the kernel's loop ---------------------------------------

    def _nest(self) -> None:
        from asyncio import events
        loop = events._get_running_loop()
        if loop is None or id(loop) in self.nested_loops:
            return  # no running loop: asyncio.run() works as it is
        self.nested_loops.add(id(loop))
        if getattr(loop, "_nest_patched", False):
            return  # the user applied nest_asyncio(2) already
        import nest_asyncio2
        nest_asyncio2.apply(loop)
        print(NEST_NOTE)

    # -- --thread --------------------------------------------------------------------------

    def thread(self, token: str):
        """Run the cell's body in a worker thread on a fresh event loop; wait for it."""
        __tracebackhide__ = True  # noqa: F841
        run = self.runs[token]
        plan = run.plan
        frame = sys._getframe(1)
        filename = frame.f_code.co_filename
        if not linecache.getlines(filename):
            filename = f"<asynctrace-cell-{run.count}>"
        g, l = frame.f_globals, frame.f_locals
        del frame
        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT | getattr(self.shell.compile, "flags", 0)
        body = compile(ast.Module(body=plan.body, type_ignores=[]), filename, "exec",
                       flags=flags, dont_inherit=True)
        last = None
        if plan.last is not None:
            last = compile(ast.Expression(body=plan.last), filename, "eval",
                           flags=flags, dont_inherit=True)

        import contextvars
        context = contextvars.copy_context()
        outcome: dict = {}
        done = threading.Event()

        def work():
            try:
                context.run(_work, self, run, body, last, g, l, outcome)
            finally:
                done.set()

        worker = run.worker = threading.Thread(target=work, name="asynctrace-cell",
                                               daemon=True)
        handler = None
        main = threading.current_thread() is threading.main_thread()
        if main:
            # ipykernel turns SIGINT into a task cancellation while a cell that looks
            # async runs; the loop is blocked here, so take the signal ourselves.
            handler = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            worker.start()
            try:
                while not done.wait(0.05):
                    pass
            except KeyboardInterrupt:
                _interrupt(worker)
                if not _wait(done, 2.0):
                    run.abandoned = True
                    raise
        finally:
            if main:
                signal.signal(signal.SIGINT, handler)
        if "error" in outcome:
            exc = outcome.pop("error")
            raise exc.with_traceback(_user_part(exc.__traceback__, filename))
        return outcome.get("value")


def _work(state: _State, run: _Run, body, last, g, l, outcome: dict) -> None:
    """In the worker thread: a fresh loop, a recorder of this thread, the cell."""
    __tracebackhide__ = True  # noqa: F841
    import asyncio
    recorder = run.recorder
    try:
        with asyncio.Runner() as runner:
            runner.get_loop()  # created and made this thread's current loop
            if body.co_flags & _CO_COROUTINE or (last and last.co_flags & _CO_COROUTINE):
                # top-level await: the recorder starts inside the loop, so it watches it
                outcome["value"] = runner.run(_amain(run, body, last, g, l))
            else:
                recorder.start()
                try:
                    exec(body, g, l)
                    outcome["value"] = eval(last, g, l) if last is not None else None
                finally:
                    run.trace = recorder.stop()
    except BaseException as exc:
        outcome["error"] = exc
    finally:
        if run.abandoned and run.trace is not None:
            state.shell.user_ns["_asynctrace"] = run.trace
            if run.args.out:
                state.shell.user_ns[run.args.out] = run.trace


async def _amain(run: _Run, body, last, g, l):
    __tracebackhide__ = True  # noqa: F841
    run.recorder.start()
    try:
        result = eval(body, g, l)
        if body.co_flags & _CO_COROUTINE:
            await result
        if last is None:
            return None
        value = eval(last, g, l)
        if last.co_flags & _CO_COROUTINE:
            value = await value
        return value
    finally:
        run.trace = run.recorder.stop()


def _on_stack(filename: str) -> bool:
    """Is code of `filename` running now, on this thread (below the caller)?"""
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_filename == filename:
            return True
        f = f.f_back
    return False


def _show_magic_line(filename: str, plan: _Plan) -> None:
    """Tracebacks and debuggers read the cell's lines from linecache, which holds the
    transformed cell: show the user's ``%%asynctrace`` line there instead of the call
    that replaced it (same line count, so nothing else moves)."""
    entry = linecache.cache.get(filename)
    if not entry or len(entry) != 4 or not 0 < plan.line <= len(entry[2]):
        return
    lines = entry[2]
    text = lines[plan.line - 1]
    stripped = text.lstrip()
    if stripped.startswith(CELL + "("):
        indent = text[:len(text) - len(stripped)]
        options = f" {plan.options}" if plan.options else ""
        lines[plan.line - 1] = f"{indent}%%asynctrace{options}\n"


def _interrupt(worker: threading.Thread) -> None:
    """Raise KeyboardInterrupt in the worker at its next bytecode (a blocking C call
    cannot be interrupted: the worker then runs on, see `thread`)."""
    import ctypes
    if worker.ident is not None and worker.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident),
                                                   ctypes.py_object(KeyboardInterrupt))


def _wait(done: threading.Event, seconds: float) -> bool:
    try:
        return done.wait(seconds)
    except KeyboardInterrupt:  # a second interrupt: stop waiting
        return False


def _user_part(tb, filename: str):
    """The traceback from the first frame of the cell's own code on: the worker's
    machinery before it (the magic's, asyncio's) is noise.  All of it if the cell's
    code is not in it (an interrupt that landed in the event loop)."""
    t = tb
    while t is not None:
        if t.tb_frame.f_code.co_filename == filename:
            return t
        t = t.tb_next
    return tb


def _error_line(text: str) -> None:
    print(text, file=sys.stderr)


# -------------------------------------------------------------------- loading, unloading


def load_ipython_extension(ip) -> None:
    global _state
    if _state is not None:
        unload_ipython_extension(_state.shell)
    from .recording import hooks
    from .recording.rewrite import CellRewriter
    hooks.install()  # rewritten code reads __avz_on__ & co. from builtins, traced or not
    state = _state = _State(ip)
    state.rewriter = CellRewriter()
    cleanup = ip.input_transformers_cleanup
    if transform_lines not in cleanup:
        cleanup.insert(0, transform_lines)
    ip.ast_transformers.append(state.rewriter)
    ip.ast_transformers.append(state.transformer)
    for name, helper in ((CELL, state.cell), (BEGIN, state.begin), (END, state.end),
                         (THREAD, state.thread)):
        setattr(builtins, name, helper)
    state.showtraceback = ip.showtraceback
    ip.showtraceback = state._showtraceback
    ip.events.register("post_run_cell", state._post_run_cell)
    ip.register_magics(AsyncTraceMagics)


def unload_ipython_extension(ip) -> None:
    global _state
    state, _state = _state, None
    while transform_lines in ip.input_transformers_cleanup:
        ip.input_transformers_cleanup.remove(transform_lines)
    from .recording.rewrite import CellRewriter
    ip.ast_transformers[:] = [t for t in ip.ast_transformers
                              if not isinstance(t, (CellRewriter, CellTransformer))]
    for name in HELPERS:
        if hasattr(builtins, name):
            delattr(builtins, name)
    ip.magics_manager.magics["cell"].pop("asynctrace", None)
    ip.magics_manager.magics["line"].pop("asynctrace", None)
    if state is not None:
        if getattr(ip, "showtraceback", None) == state._showtraceback:
            if state.showtraceback == getattr(type(ip), "showtraceback").__get__(ip):
                del ip.showtraceback  # the class's method again
            else:
                ip.showtraceback = state.showtraceback
        try:
            ip.events.unregister("post_run_cell", state._post_run_cell)
        except ValueError:
            pass
        for run in list(state.runs.values()):  # a cell interrupted between its nodes
            try:
                state._stop(run)
            except Exception:
                pass
        state.runs.clear()
