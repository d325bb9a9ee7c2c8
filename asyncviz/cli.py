"""The ``asyncviz`` command (also ``python -m asyncviz``): run a program traced, and turn
saved traces into files and text.

    asyncviz run [--save PATH]... [recording options] script.py [args...]
    asyncviz run [--save PATH]... [recording options] -m module [args...]
    asyncviz render FILE.avz --save PATH [--save PATH]...
    asyncviz summary FILE.avz
    asyncviz diagnose FILE.avz [--blocked-ms N] [--json]

Everything after the program is the program's.  asyncviz's own messages go to stderr,
each line starting ``asyncviz:``.  Exit status: ``run`` exits as the program does; 2 for a
command line asyncviz cannot use (argparse's usage error), 1 for a file it cannot read or
write.  Only argparse is imported up front: the recorder, the exports and the program's
runner load when a subcommand needs them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .options import (
    BLOCKED_MS,
    RECORDING,
    SAVE,
    blocked_ms_problem,
    max_events_problem,
    save_problem,
)

PROG = "asyncviz"

RUN_HELP = """\
Run a Python program as `python script.py [args...]` (or `python -m module [args...]`)
would, recording every generator, coroutine, async generator and asyncio task it drives.
The program sees its own sys.argv, __name__ == "__main__", its directory first on
sys.path; its output, exceptions and exit status are its own.  When it ends — also by an
exception, sys.exit() or Ctrl-C — the trace is written to each --save PATH, or without
--save its summary is printed to stderr.  Values sent into generators with send() are not
recorded (that needs the notebook's cell rewrite); everything else is.

examples:
  asyncviz run --save trace.avz --save trace.json crawler.py --depth 2
  asyncviz run --max-events 100000 --include 'mylib.*' -m mylib.main
"""
RENDER_HELP = """\
Write a saved trace (.avz) in other formats, picked by each PATH's suffix: .png .svg .pdf
(the timeline), .html, .txt (the summary), .dot (the state machines), .json (a Chrome
trace for Perfetto or chrome://tracing), .states.svg .states.png (drawn by Graphviz),
.avz.

example:
  asyncviz render trace.avz --save timeline.png --save trace.json
"""
SUMMARY_HELP = """\
Print a saved trace's summary table (one row per generator, coroutine and task: steps,
running time, what it waited on) to stdout.

example:
  asyncviz summary trace.avz
"""


DIAGNOSE_HELP = """\
Print what went wrong in a saved trace, one line each in time order: the event loop
blocked by a step longer than the threshold (and where its time went), timers that woke
late, coroutines never awaited, task exceptions nobody retrieved, tasks and waits still
pending at the end.  Exit status 0 when there is nothing to report, 3 when there is (for
scripts and CI).

examples:
  asyncviz diagnose trace.avz
  asyncviz diagnose --blocked-ms 20 --json trace.avz
"""


def parser() -> argparse.ArgumentParser:
    """The whole command line (its subcommands' parsers: `parsers()`)."""
    return parsers()["asyncviz"]


def parsers() -> dict[str, argparse.ArgumentParser]:
    top = argparse.ArgumentParser(
        prog=PROG,
        description="Record and show what Python's generators, coroutines and asyncio "
        "tasks do. Each subcommand's --help says more.",
        epilog="examples:\n  asyncviz run --save trace.avz script.py arg1\n"
        "  asyncviz render trace.avz --save trace.json\n  asyncviz summary trace.avz\n"
        "  asyncviz diagnose trace.avz",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = top.add_subparsers(dest="command", metavar="{run,render,summary,diagnose}")
    sub.required = True
    raw = argparse.RawDescriptionHelpFormatter
    run = sub.add_parser(
        "run", help="run a program traced", description=RUN_HELP, formatter_class=raw
    )
    # exact option names only: the first word that is not one starts the program
    run.allow_abbrev = False
    run.add_argument(*SAVE.flags, **SAVE.spec)
    for option in RECORDING:
        run.add_argument(*option.flags, **option.spec)
    run.add_argument("-m", dest="module", metavar="MODULE", help="run a module, as python -m")
    run.add_argument("program", nargs="?", metavar="script.py", help="the program to run")
    run.add_argument("args", nargs="*", metavar="args", help="the program's arguments")
    render = sub.add_parser(
        "render",
        help="write a saved trace in other formats",
        description=RENDER_HELP,
        formatter_class=raw,
    )
    render.add_argument("file", metavar="FILE.avz", help="a trace saved as .avz")
    save = dict(SAVE.spec, help="where to write, in the format its suffix names (repeatable)")
    render.add_argument(*SAVE.flags, **save, required=True)
    summary = sub.add_parser(
        "summary",
        help="print a saved trace's summary",
        description=SUMMARY_HELP,
        formatter_class=raw,
    )
    summary.add_argument("file", metavar="FILE.avz", help="a trace saved as .avz")
    diagnose = sub.add_parser(
        "diagnose",
        help="print what went wrong in a saved trace",
        description=DIAGNOSE_HELP,
        formatter_class=raw,
    )
    diagnose.add_argument("file", metavar="FILE.avz", help="a trace saved as .avz")
    threshold: dict[str, Any] = {
        **BLOCKED_MS.spec,
        "default": None,
        "help": "a step longer than N ms blocks the loop (default: the threshold the "
        "trace was recorded with, else 100)",
    }
    diagnose.add_argument(*BLOCKED_MS.flags, **threshold)
    diagnose.add_argument("--json", action="store_true", help="one JSON list on stdout")
    return {
        "asyncviz": top,
        "run": run,
        "render": render,
        "summary": summary,
        "diagnose": diagnose,
    }


def _version() -> str:
    from . import __version__

    return __version__


def split_run(argv: list[str]) -> tuple[list[str], list[str]]:
    """`asyncviz run`'s words: (asyncviz's own, ending with the program or ``-m MODULE``;
    the program's arguments).  The first word that is not one of run's options is the
    program; `--` may stand before it."""
    takes_value = {"--save": True, "-m": True, "-h": False, "--help": False}
    for option in RECORDING:
        store = option.spec.get("action") in ("store_true", "store_false")
        takes_value.update(dict.fromkeys(option.flags, not store))
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return argv[:i] + argv[i + 1 : i + 2], argv[i + 2 :]
        if word == "-m" or (word.startswith("-m") and not word.startswith("--")):
            end = i + 2 if word == "-m" else i + 1
            return argv[:end], argv[end:]
        if not word.startswith("-") or word == "-":
            return argv[: i + 1], argv[i + 1 :]
        i += 2 if takes_value.get(word) else 1
    return argv, []


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    every = parsers()
    program_args: list[str] = []
    if argv[:1] == ["run"]:
        ours, program_args = split_run(argv[1:])
        argv = ["run", *ours]
    args = every["asyncviz"].parse_args(argv)
    if args.command == "run":
        args.args = program_args
        return _run(every["run"], args)
    for path in getattr(args, "save", None) or []:
        _check_save(every[args.command], path)
    blocked = getattr(args, "blocked_ms", None)
    problem = blocked_ms_problem(blocked) if blocked is not None else None
    if problem:
        every[args.command].error(problem)
    trace = _load(args.file)
    if trace is None:
        return 1
    if args.command == "summary":
        print(trace.summary().text())
        return 0
    if args.command == "diagnose":
        return _diagnose(trace, blocked, args.json)
    return 0 if save_all(trace, args.save) else 1


def _diagnose(trace, blocked_ms: float | None, as_json: bool) -> int:
    found = trace.diagnostics(blocked_ms=blocked_ms)
    if as_json:
        import json

        print(json.dumps([d.as_dict() for d in found], indent=1))
    elif not found:
        print("nothing to report")
    for d in found if not as_json else ():
        print(f"{d.kind}: {d.message}")
    return 3 if found else 0


def _run(run: argparse.ArgumentParser, args) -> int:
    if args.module is None and args.program is None:
        run.error("give the program to run: a script (script.py [args...]) or -m module")
    problem = max_events_problem(args.max_events) or blocked_ms_problem(args.blocked_ms)
    if problem:
        run.error(problem)
    for path in args.save or []:
        _check_save(run, path)
    from .program import run_traced

    return run_traced(args)


def _check_save(p: argparse.ArgumentParser, path: str) -> None:
    problem = save_problem(path)
    if problem:
        p.error(problem)


def _load(path: str):
    from .trace import TraceFileError, load

    try:
        return load(path)
    except TraceFileError as exc:
        say(str(exc))
        return None


def save_all(trace, paths) -> bool:
    """Write each path; False if any could not be written (each said in one line)."""
    import os

    good = True
    for path in paths or []:
        try:
            written = trace.save(os.path.expanduser(path))
        except (ValueError, OSError) as exc:
            reason = exc if isinstance(exc, ValueError) else f"could not save {path}: {exc}"
            say(f"{reason}")
            good = False
        else:
            say(f"wrote {written}")
    return good


def say(text: str) -> None:
    """One line of asyncviz's own, on stderr (the program's stdout stays its own)."""
    print(f"{PROG}: {text}", file=sys.stderr, flush=True)
