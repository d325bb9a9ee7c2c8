"""`asyncviz run`: a program run as ``python script.py`` / ``python -m module`` would run
it, inside a trace.

The program is sacred.  It sees the sys.argv, ``__name__``, ``__file__``, module globals
and sys.path[0] it would see under python, writes its own stdout and stderr, and ends as
it would: its exit status, its ``sys.exit()`` message, its traceback — shown by
``sys.excepthook`` from its own first frame, asyncviz's and runpy's frames left out — and
a Ctrl-C that ends the process as the interrupt it was.  The trace is stopped and written
first, whichever way the program ended.

What differs, and why: asyncio is imported before the program starts, so that the
recorder can watch its tasks from the start; for ``-m pkg.mod`` the package is imported
(to find the module) before the trace starts, so a missing module is said in one line.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from .cli import say

_OWN_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class Program:
    """The script or module to run: where it is, what python would put in sys.argv[0]
    and sys.path[0]."""

    def __init__(self, script: str | None, module: str | None):
        self.script, self.module = script, module
        self.spec = None  # a module's, once found

    def problem(self) -> str | None:
        """Why it cannot be run (None when it can): checked before the trace starts."""
        if self.module is not None:
            return self._module_problem(self.module)
        assert self.script is not None
        try:
            if not os.path.isdir(self.script):
                with open(self.script, "rb"):
                    pass
        except OSError as exc:
            return (
                f"cannot run {self.script}: {exc.strerror or exc}; give the path of a "
                "Python script, or -m and a module name"
            )
        return None

    def _module_problem(self, name: str) -> str | None:
        """Finds the module as python -m does: a package runs its __main__."""
        from importlib.util import find_spec

        why = None
        try:
            spec = find_spec(name)
        except Exception as exc:  # a parent package that does not import, a bad name
            spec, why = None, f"{type(exc).__name__}: {exc}"
        if spec is not None and spec.submodule_search_locations is not None:
            if name.endswith(".__main__"):
                why = "a package's __main__ is itself a package"
            else:
                return self._module_problem(name + ".__main__")
        elif spec is None and name.endswith(".__main__") and why is None:
            why = "a package with no __main__ module"
        elif spec is not None and hasattr(spec.loader, "get_code") and spec.origin:
            self.spec = spec
            return None
        why = why or "no module of that name"
        return f"cannot run -m {self.module}: {why}; check the name"

    def prepare(self, args: list[str]) -> None:
        """sys.argv and sys.path[0] as python would set them for the program."""
        if self.spec is not None:
            sys.argv = [self.spec.origin, *args]
            first = os.getcwd()
        else:
            assert self.script is not None
            sys.argv = [self.script, *args]
            first = os.path.dirname(os.path.realpath(self.script))
        if not sys.flags.safe_path:  # python -P / PYTHONSAFEPATH: nothing is prepended
            if sys.path:
                sys.path[0] = first
            else:
                sys.path.append(first)

    def run(self) -> None:
        spec = self.spec
        if spec is not None:
            loader: Any = spec.loader  # one with get_code: problem() made sure
            code = loader.get_code(spec.name)
            if code is None:  # as runpy says it (an extension module, say)
                raise ImportError(f"No code object available for {spec.name}")
            _run_as_main(
                code,
                __file__=spec.origin,
                __cached__=spec.cached,
                __loader__=spec.loader,
                __package__=spec.parent,
                __spec__=spec,
            )
        elif os.path.isfile(self.script or ""):
            path = os.path.abspath(self.script or "")
            _run_file(path)
        else:  # a directory or zip file with a __main__.py
            import runpy

            runpy.run_path(self.script or "", run_name="__main__")


def _run_file(path: str) -> None:
    """The script as python runs it: compiled from its bytes (its coding cookie, no
    __future__ of ours)."""
    from importlib.machinery import SourceFileLoader

    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, path, "exec", dont_inherit=True)
    loader = SourceFileLoader("__main__", path)
    _run_as_main(code, __file__=path, __cached__=None, __loader__=loader, __package__=None)


def _run_as_main(code, **names) -> None:
    """Run `code` as the ``__main__`` module, with the globals python gives it."""
    import builtins
    import types

    module = types.ModuleType("__main__")
    module.__dict__.update(__spec__=None, __builtins__=builtins)
    module.__dict__.update(names)
    if sys.version_info < (3, 14):  # 3.14 made module annotations lazy (PEP 649)
        module.__dict__["__annotations__"] = {}
    sys.modules["__main__"] = module
    exec(code, module.__dict__)


def run_traced(args) -> int:
    """Run the program in `args` traced, write the trace, end as the program ended."""
    program = Program(args.program, args.module)
    problem = program.problem()
    if problem:
        say(problem)
        return 1
    import asyncio  # noqa: F401 - loaded before the trace starts: its tasks are watched

    from .recording.recorder import Recorder, TraceError

    recorder = Recorder(
        args.include, args.exclude, args.max_events, not args.no_values, blocked_ms=args.blocked_ms
    )
    program.prepare(args.args)
    try:
        recorder.start()
    except TraceError as exc:
        say(f"the trace cannot start, so the program was not run: {exc}")
        return 1
    ended: BaseException | None = None
    try:
        program.run()
    except BaseException as exc:  # every way out: exit, interrupt, error
        ended = exc
    trace = recorder.stop()
    written = _keep(trace, args.save, program)
    return _end_as_the_program_did(ended, written)


def _keep(trace, paths: list[str] | None, program: Program) -> bool:
    """Write the trace to each path (without any, its summary to stderr); False if a
    file could not be written."""
    from .cli import save_all

    for note in trace.meta.get("notes", []):
        say(note)
    if paths:
        return save_all(trace, paths)
    name = program.script or f"-m {program.module}"
    say(f"trace of {name}: {len(trace.events):,} events, {len(trace.objects):,} objects")
    try:
        print(trace.summary().text(), file=sys.stderr, flush=True)
    except Exception as exc:
        say(f"cannot show the summary: {exc!r}")
    return True


def _end_as_the_program_did(ended: BaseException | None, written: bool) -> int:
    if ended is None:
        return 0 if written else 1
    if isinstance(ended, SystemExit):
        raise ended  # the interpreter prints its message and exits with its code
    # The interpreter shows the traceback (and, for Ctrl-C, ends by SIGINT as it would):
    # through sys.excepthook, given the program's own frames only.
    tb = _program_frames(ended.__traceback__)
    previous = sys.excepthook

    def show_once(kind, value, traceback):
        sys.excepthook = previous
        if value is ended:
            value.__traceback__ = traceback = tb
        previous(kind, value, traceback)

    sys.excepthook = show_once
    raise ended


def _program_frames(tb):
    """The traceback from the program's first frame: asyncviz's and runpy's dropped."""
    import runpy

    machinery = (os.path.abspath(runpy.__file__), "<frozen runpy>")
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not (filename.startswith(_OWN_DIR) or filename in machinery):
            break
        tb = tb.tb_next
    return tb
