"""The command line, in real subprocesses: `python -m asyncviz run` runs a program as
python would (argv, __name__, globals, sys.path[0], stdout, exit status, traceback,
Ctrl-C) and writes the trace; `render` and `summary` read saved traces; bad input gets
one line and exit status 2 (usage) or 1 (a file)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import asyncviz
from asyncviz.cli import parsers, split_run
from asyncviz.options import BLOCKED_MS, EXCLUDE, INCLUDE, MAX_EVENTS, NO_VALUES, SAVE

REPO = Path(__file__).resolve().parents[1]

# prints, as JSON, what a program can see of how it was started
INTROSPECT = """
import json, sys
print(json.dumps({
    "argv": sys.argv, "name": __name__, "file": __file__, "path0": sys.path[0],
    "globals": sorted(globals()), "package": __package__,
    "spec": getattr(__spec__, "name", None), "loader": type(__loader__).__name__,
    "main": sys.modules["__main__"].__dict__ is globals(),
}))
"""

ASYNC = """
import asyncio, sys
def halves(n):
    while n > 1:
        n //= 2
        yield n
async def work(n):
    await asyncio.sleep(0)
    return sum(halves(n))
async def main():
    return await asyncio.gather(work(1), work(2))
print(asyncio.run(main()))
how = sys.argv[1] if len(sys.argv) > 1 else ""
if how == "raise":
    raise ValueError("boom")
if how == "exit3":
    sys.exit(3)
if how == "exit-text":
    sys.exit("stopped: reason")
"""


def env() -> dict:
    e = dict(os.environ)
    # this checkout's asyncviz, whatever the venv's editable install points at
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    e.pop("ASYNCVIZ_BACKEND", None)
    return e


def python(*args, cwd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


def asyncviz_cmd(*args, cwd) -> subprocess.CompletedProcess:
    return python("-m", "asyncviz", *args, cwd=cwd)


def own_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("asyncviz:")]


def others(stderr: str) -> str:
    return "".join(
        line for line in stderr.splitlines(keepends=True) if not line.startswith("asyncviz:")
    )


@pytest.fixture
def work(tmp_path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "show.py").write_text(INTROSPECT)
    (tmp_path / "prog.py").write_text(ASYNC)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text(INTROSPECT)
    return tmp_path


# -- the program sees what it would see under python ---------------------------------------


@pytest.mark.parametrize(
    "program",
    [
        ["sub/show.py"],
        ["sub/show.py", "a", "--save", "x.png", "-m", "json", "--", "-h"],
        ["-m", "pkg.mod", "--max-events", "3", "b"],
    ],
)
def test_the_program_sees_what_python_gives_it(work, program):
    alone = python(*program, cwd=work)
    traced = asyncviz_cmd("run", "--save", "t.avz", *program, cwd=work)
    assert alone.returncode == traced.returncode == 0, traced.stderr
    assert traced.stdout == alone.stdout  # byte for byte: argv, __name__, globals, path
    seen = json.loads(traced.stdout)
    assert seen["name"] == "__main__" and seen["main"] is True
    assert seen["argv"][1:] == program[2 if program[0] == "-m" else 1 :]
    assert own_lines(traced.stderr) == traced.stderr.splitlines()  # only asyncviz's lines
    assert asyncviz.load(work / "t.avz").meta["backend"]


def test_a_symlinked_script_gets_its_real_directory_first(work):
    (work / "link.py").symlink_to(work / "sub" / "show.py")
    alone, traced = python("link.py", cwd=work), asyncviz_cmd("run", "link.py", cwd=work)
    assert traced.stdout == alone.stdout
    assert json.loads(traced.stdout)["path0"] == str(work / "sub")


def test_an_asyncio_program_is_traced_and_its_output_untouched(work):
    alone = python("prog.py", cwd=work)
    traced = asyncviz_cmd(
        "run", "--save", "t.avz", "--save", "t.json", "--save", "t.txt", "prog.py", cwd=work
    )
    assert traced.returncode == alone.returncode == 0
    assert traced.stdout == alone.stdout == "[0, 1]\n"
    assert own_lines(traced.stderr) == [
        f"asyncviz: wrote {name}" for name in ("t.avz", "t.json", "t.txt")
    ]
    trace = asyncviz.load(work / "t.avz")
    labels = {o.label for o in trace.objects}
    assert {"main#1", "work#1", "work#2", "halves#1", "halves#2"} <= labels
    # asyncio's tasks are watched: the run's own task and gather's two
    assert sum(o.kind == "task" for o in trace.objects) == 3
    doc = json.loads((work / "t.json").read_text())
    assert {e["name"] for e in doc["traceEvents"] if e["ph"] == "X"} >= {"main#1", "work#1"}
    assert (work / "t.txt").read_text() == trace.summary().text() + "\n"


def test_without_save_the_summary_goes_to_stderr(work):
    traced = asyncviz_cmd("run", "prog.py", cwd=work)
    assert traced.returncode == 0 and traced.stdout == "[0, 1]\n"
    first, *table = traced.stderr.splitlines()
    assert first.startswith("asyncviz: trace of prog.py: ") and first.endswith(" objects")
    assert any(line.startswith("main#1 ") for line in table), traced.stderr


def test_recording_options_shape_the_record(work):
    traced = asyncviz_cmd(
        "run", "--no-values", "--max-events", "12", "--save", "t.avz", "prog.py", cwd=work
    )
    assert traced.returncode == 0 and traced.stdout == "[0, 1]\n"
    trace = asyncviz.load(work / "t.avz")
    assert trace.truncated and trace.meta["max_events"] == 12
    assert all(e.value is None for e in trace.events)
    traced = asyncviz_cmd("run", "--exclude", "prog.py", "--save", "e.avz", "prog.py", cwd=work)
    assert traced.returncode == 0
    assert all(o.kind in ("task", "future") for o in asyncviz.load(work / "e.avz").objects)


# -- ending as the program ends -----------------------------------------------------------


def test_sys_exit_code_after_the_trace_is_saved(work):
    traced = asyncviz_cmd("run", "--save", "t.avz", "prog.py", "exit3", cwd=work)
    assert traced.returncode == python("prog.py", "exit3", cwd=work).returncode == 3
    assert own_lines(traced.stderr) == ["asyncviz: wrote t.avz"]
    assert len(asyncviz.load(work / "t.avz").events) > 0


def test_sys_exit_message_as_python_prints_it(work):
    alone = python("prog.py", "exit-text", cwd=work)
    traced = asyncviz_cmd("run", "--save", "t.avz", "prog.py", "exit-text", cwd=work)
    assert traced.returncode == alone.returncode == 1
    assert others(traced.stderr) == alone.stderr == "stopped: reason\n"
    assert (work / "t.avz").exists()


def test_an_exception_shows_the_programs_own_traceback(work):
    alone = python("prog.py", "raise", cwd=work)
    traced = asyncviz_cmd("run", "--save", "t.avz", "prog.py", "raise", cwd=work)
    assert traced.returncode == alone.returncode == 1
    assert traced.stdout == alone.stdout
    assert others(traced.stderr) == alone.stderr  # no asyncviz or runpy frame in it
    assert alone.stderr.startswith("Traceback (most recent call last):\n  File ")
    assert own_lines(traced.stderr) == ["asyncviz: wrote t.avz"]
    assert (work / "t.avz").exists()


def test_a_syntax_error_reads_as_pythons(work):
    (work / "bad.py").write_text("x = 1\ndef f(:\n")
    alone = python("bad.py", cwd=work)
    traced = asyncviz_cmd("run", "--save", "t.avz", "bad.py", cwd=work)
    assert traced.returncode == alone.returncode == 1
    assert others(traced.stderr) == alone.stderr and "SyntaxError" in alone.stderr


LOOP = """
import atexit
atexit.register(lambda: print("atexit ran", flush=True))
def ticks():
    n = 0
    while True:
        yield n
        n += 1
for t in ticks():
    if t == 1:
        print("ready", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_saves_the_partial_trace_and_ends_as_an_interrupt(work):
    (work / "loop.py").write_text(LOOP)
    runs = {}
    for name, cmd in (
        ("alone", ["loop.py"]),
        ("traced", ["-m", "asyncviz", "run", "--save", "t.avz", "loop.py"]),
    ):
        p = subprocess.Popen(
            [sys.executable, *cmd],
            cwd=work,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert p.stdout is not None and p.stdout.readline() == "ready\n"
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        runs[name] = (p.returncode, out, err)
    (code, out, err), (alone_code, alone_out, _) = runs["traced"], runs["alone"]
    assert code == alone_code == -signal.SIGINT
    assert out == alone_out == "atexit ran\n"
    assert own_lines(err) == ["asyncviz: wrote t.avz"]
    assert others(err).startswith("Traceback") and others(err).endswith("KeyboardInterrupt\n")
    assert "asyncviz" not in others(err) and "runpy" not in others(err)
    trace = asyncviz.load(work / "t.avz")
    assert trace.objects[0].label == "ticks#1" and len(trace.events) > 2


# -- render and summary --------------------------------------------------------------------


def test_render_and_summary_read_a_saved_trace(work):
    assert asyncviz_cmd("run", "--save", "t.avz", "prog.py", cwd=work).returncode == 0
    trace = asyncviz.load(work / "t.avz")
    done = asyncviz_cmd("render", "t.avz", "--save", "out/t.json", "--save", "t.svg", cwd=work)
    assert done.returncode == 0 and done.stdout == ""
    assert own_lines(done.stderr) == ["asyncviz: wrote out/t.json", "asyncviz: wrote t.svg"]
    trace.save(work / "again.json")
    assert (work / "out" / "t.json").read_bytes() == (work / "again.json").read_bytes()
    assert (work / "t.svg").read_text().lstrip().startswith("<?xml")
    shown = asyncviz_cmd("summary", "t.avz", cwd=work)
    assert shown.returncode == 0 and shown.stderr == ""
    assert shown.stdout == trace.summary().text() + "\n"


BLOCKING = """
import asyncio, time
async def hog():
    time.sleep(0.3)
async def main():
    await asyncio.gather(hog(), asyncio.sleep(0.01))
asyncio.run(main())
"""


def test_diagnose_names_the_step_that_blocked_the_loop(work):
    (work / "hog.py").write_text(BLOCKING)
    assert asyncviz_cmd("run", "--save", "hog.avz", "hog.py", cwd=work).returncode == 0
    trace = asyncviz.load(work / "hog.avz")
    done = asyncviz_cmd("diagnose", "hog.avz", cwd=work)
    assert done.returncode == 3 and done.stderr == ""
    expected = [f"{d.kind}: {d.message}" for d in trace.diagnostics()]
    assert done.stdout.splitlines() == expected
    assert any(
        line.startswith("loop-blocked: ") and "hog" in line and "line 4" in line
        for line in expected
    ), expected
    as_json = asyncviz_cmd("diagnose", "--json", "--blocked-ms", "1000", "hog.avz", cwd=work)
    assert json.loads(as_json.stdout) == [d.as_dict() for d in trace.diagnostics(blocked_ms=1000)]
    assert "loop-blocked" not in as_json.stdout  # 0.3 s is not over 1,000 ms


def test_diagnose_a_clean_trace_says_so_and_exits_0(work):
    assert asyncviz_cmd("run", "--save", "t.avz", "prog.py", cwd=work).returncode == 0
    done = asyncviz_cmd("diagnose", "t.avz", cwd=work)
    assert (done.returncode, done.stdout) == (0, "nothing to report\n")


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (["run"], ["give the program to run"]),
        (["run", "--save", "t.xyz", "prog.py"], ["--save t.xyz", ".xyz is not a format", ".json"]),
        (["run", "--max-events", "-1", "prog.py"], ["--max-events must be 0 or more"]),
        (["run", "--blocked-ms", "0", "prog.py"], ["--blocked-ms must be more than 0"]),
        (["diagnose", "--blocked-ms", "-5", "t.avz"], ["--blocked-ms must be more than 0"]),
        (["run", "--bogus", "prog.py"], ["--bogus"]),
        (["render", "t.avz"], ["--save"]),
        (["render", "t.avz", "--save", "x"], ["'x' has no suffix"]),
        (["nope"], ["invalid choice"]),
        ([], ["required"]),
    ],
)
def test_usage_errors_exit_2_with_one_line(work, args, words):
    done = asyncviz_cmd(*args, cwd=work)
    assert done.returncode == 2 and done.stdout == ""
    error = done.stderr.splitlines()[-1]
    assert error.startswith("asyncviz") and ": error: " in error, done.stderr
    for word in words:
        assert word in error, error
    assert not (work / "t.avz").exists()


@pytest.mark.parametrize(
    "args, words",
    [
        (["run", "missing.py"], ["cannot run missing.py", "No such file", "-m"]),
        (["run", "-m", "nosuchmodule"], ["cannot run -m nosuchmodule", "check the name"]),
        (["run", "-m", "pkg"], ["cannot run -m pkg: a package with no __main__ module"]),
        (["render", "missing.avz", "--save", "x.png"], ["cannot read missing.avz", "Trace.save"]),
        (["summary", "prog.py"], ["prog.py is not a readable asyncviz trace"]),
    ],
)
def test_unreadable_files_exit_1_with_one_line(work, args, words):
    done = asyncviz_cmd(*args, cwd=work)
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("asyncviz: ")
    for word in words:
        assert word in line, line


def test_a_file_that_cannot_be_written_is_said_and_exits_1(work):
    assert asyncviz_cmd("run", "--save", "t.avz", "prog.py", cwd=work).returncode == 0
    (work / "blocker").write_text("a file where a folder should be")
    done = asyncviz_cmd(
        "render", "t.avz", "--save", "blocker/x.json", "--save", "ok.json", cwd=work
    )
    assert done.returncode == 1
    bad, good = own_lines(done.stderr)
    assert bad.startswith("asyncviz: could not save blocker/x.json: ")
    assert good == "asyncviz: wrote ok.json" and (work / "ok.json").exists()


# -- help, and the one definition of the shared options ------------------------------------------


@pytest.mark.parametrize("command", ["run", "render", "summary", "diagnose"])
def test_help_explains_each_subcommand_with_an_example(work, command):
    done = asyncviz_cmd(command, "--help", cwd=work)
    assert done.returncode == 0 and done.stderr == ""
    assert f"usage: asyncviz {command}" in done.stdout
    example = done.stdout.split("example", 1)[1]
    assert f"asyncviz {command} " in example


def test_top_help_lists_the_subcommands(work):
    done = asyncviz_cmd("--help", cwd=work)
    assert done.returncode == 0
    for word in ("run", "render", "summary", "diagnose", "examples:"):
        assert word in done.stdout


def test_the_magic_and_the_command_line_share_one_definition():
    from asyncviz.magic.options import AsyncTraceMagics

    magic = AsyncTraceMagics.asynctrace.parser  # type: ignore[attr-defined]
    run = parsers()["run"]
    for option in (SAVE, MAX_EVENTS, NO_VALUES, INCLUDE, EXCLUDE, BLOCKED_MS):
        (flag,) = option.flags
        ours, theirs = _action(run, flag), _action(magic, flag)
        for field in ("help", "default", "metavar", "type", "nargs", "const"):
            assert getattr(ours, field) == getattr(theirs, field) == _spec(option, field), field


def _action(parser, flag):
    (action,) = [a for a in parser._actions if flag in a.option_strings]
    return action


def _spec(option, field):
    defaults = {"store_true": {"default": False, "nargs": 0, "const": True}}
    spec = dict(defaults.get(option.spec.get("action"), {}), **option.spec)
    return spec.get(field)


def test_the_console_script_is_the_cli():
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"asyncviz": "asyncviz.cli:main"}


@pytest.mark.parametrize(
    "argv, ours, program",
    [
        (["x.py", "--save", "y.png"], ["x.py"], ["--save", "y.png"]),
        (
            ["--save", "a.avz", "--no-values", "x.py", "-m", "z"],
            ["--save", "a.avz", "--no-values", "x.py"],
            ["-m", "z"],
        ),
        (
            ["--max-events=5", "-m", "pkg.mod", "--save", "q"],
            ["--max-events=5", "-m", "pkg.mod"],
            ["--save", "q"],
        ),
        (["-mjson.tool", "f.json"], ["-mjson.tool"], ["f.json"]),
        (["--include", "a*", "--", "-odd.py", "1"], ["--include", "a*", "-odd.py"], ["1"]),
        (["--save"], ["--save"], []),
    ],
)
def test_the_first_word_that_is_not_an_option_starts_the_program(argv, ours, program):
    assert split_run(argv) == (ours, program)


def test_running_the_package_main_does_nothing_when_imported():
    done = subprocess.run(
        [sys.executable, "-c", "import asyncviz.__main__"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
