"""The harness behind the suite comparisons: asyncviz's pytest plugin and the CPython runner,
each run in a subprocess on small made-up suites (fast; not marked `suites`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

RUNNER = Path(__file__).with_name("cpython_runner.py")

PLUGIN_TESTS = """
import asyncio
import sys
import pytest

def gen():
    yield 1
    yield 2

def test_generator():
    assert list(gen()) == [1, 2]

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_tasks_on_the_loop():
    # the plugin wraps the call phase: the loop that anyio's plugin runs is inside it
    recorder = sys.modules.get("asyncviz.recording.recorder")  # not imported when off
    assert recorder is None or recorder.recording() is not None
    async def work(i):
        await asyncio.sleep(0)
        return i
    assert await asyncio.gather(*(work(i) for i in range(20))) == list(range(20))

def test_fails():
    assert sum(gen()) == 4
"""


def pytest_in(tmp_path: Path, *args: str, files: dict[str, str]) -> subprocess.CompletedProcess:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        f"--rootdir={tmp_path}",
        "-c",
        str(tmp_path / "pytest.ini"),
        *args,
    ]
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)


def junit_properties(path: Path) -> dict[str, dict[str, str]]:
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        out[case.get("name")] = {p.get("name"): p.get("value") for p in case.iter("property")}
    return out


def summary_line(output: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.startswith("asyncviz:") and "traced" in ln]
    assert len(lines) == 1, output
    return lines[0]


def test_plugin_is_off_unless_asked(tmp_path):
    # loaded but off: no header, no summary, and the recorder is never imported
    conftest = """
    import sys
    def pytest_sessionfinish(session):
        loaded = sorted(m for m in sys.modules if m.startswith("asyncviz.recording"))
        open("loaded.txt", "w").write(repr(loaded))
    """
    proc = pytest_in(
        tmp_path,
        "-p",
        "asyncviz.pytest_plugin",
        files={"test_x.py": PLUGIN_TESTS, "conftest.py": conftest},
    )
    assert proc.returncode == 1, proc.stdout  # test_fails fails, the rest pass
    assert "1 failed, 2 passed" in proc.stdout
    assert not [ln for ln in proc.stdout.splitlines() if ln.startswith("asyncviz")]
    assert (tmp_path / "loaded.txt").read_text() == "[]"


def test_import_is_cheap():
    code = (
        "import sys, asyncviz.pytest_plugin; "
        "print([m for m in sys.modules if m.startswith('asyncviz.recording')])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_plugin_traces_each_test_call(tmp_path):
    proc = pytest_in(
        tmp_path,
        "-p",
        "asyncviz.pytest_plugin",
        "--asyncviz-trace",
        "--junitxml=junit.xml",
        files={"test_x.py": PLUGIN_TESTS},
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed, 2 passed" in proc.stdout
    assert "asyncviz: tracing each test (include=['*']" in proc.stdout  # the header
    line = summary_line(proc.stdout)
    assert line.startswith("asyncviz: 3 tests traced, "), line
    assert "0 traces truncated" in line and "could not start" not in line, line
    props = junit_properties(tmp_path / "junit.xml")
    events = {name: int(p["asyncviz_events"]) for name, p in props.items()}
    assert set(events) == {"test_generator", "test_tasks_on_the_loop", "test_fails"}
    assert all(n > 0 for n in events.values()), events
    # 20 tasks and their coroutines, each created, started, awaiting and returning
    assert events["test_tasks_on_the_loop"] > 100, events
    total = int(line.split(" tests traced, ")[1].split(" events")[0].replace(",", ""))
    assert total == sum(events.values())


def test_plugin_options(tmp_path):
    proc = pytest_in(
        tmp_path,
        "-p",
        "asyncviz.pytest_plugin",
        "--asyncviz-trace",
        "--asyncviz-include",
        "test_*",
        "--asyncviz-include",
        "other.*",
        "--asyncviz-max-events",
        "5",
        "--junitxml=junit.xml",
        files={"test_x.py": PLUGIN_TESTS},
    )
    assert "include=['test_*', 'other.*']" in proc.stdout and "max 5 events" in proc.stdout
    line = summary_line(proc.stdout)
    assert "3 traces truncated" in line, line
    props = junit_properties(tmp_path / "junit.xml")
    assert all(
        int(p["asyncviz_events"]) <= 5 and "asyncviz_truncated" in p for p in props.values()
    ), props


def test_unknown_backend_is_a_usage_error(tmp_path):
    proc = pytest_in(
        tmp_path,
        "-p",
        "asyncviz.pytest_plugin",
        "--asyncviz-trace",
        "--asyncviz-backend",
        "no-such-backend",
        files={"test_x.py": PLUGIN_TESTS},
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "--asyncviz-backend 'no-such-backend': this Python can run" in proc.stderr


def test_a_trace_that_cannot_start_does_not_fail_the_test(tmp_path):
    # a trace already recording around every test (as a debugger or coverage holding the
    # hook would): asyncviz refuses to start a second one; the tests run untraced and pass
    conftest = """
    import asyncviz, pytest
    @pytest.fixture(autouse=True)
    def someone_else_traces():
        with asyncviz.trace():
            yield
    """
    tests = """
    def test_one():
        assert True
    def test_two():
        assert [x for x in (1, 2)] == [1, 2]
    """
    proc = pytest_in(
        tmp_path,
        "-p",
        "asyncviz.pytest_plugin",
        "--asyncviz-trace",
        "--junitxml=junit.xml",
        files={"test_x.py": tests, "conftest.py": conftest},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = summary_line(proc.stdout)
    assert line.startswith("asyncviz: 0 tests traced, 0 events, 0 traces truncated"), line
    assert "2 traces could not start (tests ran untraced): a trace is already recording" in line, (
        line
    )
    props = junit_properties(tmp_path / "junit.xml")
    assert all("asyncviz_not_started" in p for p in props.values()), props


RUNNER_MODULE = '''
import asyncio
import doctest
import unittest
from asyncviz.recording import recorder


def recording():
    return recorder.recording() is not None


class Plain(unittest.TestCase):
    def setUp(self):
        self.traced_in_setup = recording()

    def tearDown(self):
        # the whole TestCase.run is traced: setUp and tearDown too
        assert self.traced_in_setup == recording()

    def test_passes(self):
        self.assertEqual(list(x * x for x in range(3)), [0, 1, 4])

    def test_fails(self):
        self.assertEqual(1, 2)

    def test_errors(self):
        raise RuntimeError("boom")

    @unittest.skip("not today")
    def test_skipped(self):
        pass

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1, 2)

    @unittest.expectedFailure
    def test_unexpected_success(self):
        pass

    def test_traced_here(self):
        print("TRACED" if recording() else "UNTRACED")


class Async(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.traced_in_setup = recording()

    async def test_tasks(self):
        async def work(i):
            await asyncio.sleep(0)
            return i
        self.assertEqual(await asyncio.gather(*(work(i) for i in range(5))), list(range(5)))


def doctested():
    """
    >>> list(reversed(range(3)))
    [2, 1, 0]
    """


def load_tests(loader, tests, pattern):
    tests.addTests(doctest.DocTestSuite())
    return tests
'''


@pytest.mark.parametrize("traced", [False, True], ids=["untraced", "traced"])
def test_cpython_runner_outcome(tmp_path, traced):
    (tmp_path / "made_up_suite.py").write_text(RUNNER_MODULE)
    out = tmp_path / "outcome.json"
    cmd = [sys.executable, str(RUNNER), "made_up_suite", "--json", str(out)]
    if traced:
        cmd.append("--traced")
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    proc = subprocess.run(
        cmd,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=path),
    )
    assert proc.returncode == 1, proc.stderr  # a failure and an error
    result = json.loads(out.read_text())
    p = "made_up_suite.Plain."
    # 3.12.1 does not count a test skipped by a decorator in testsRun (3.11.7 and 3.13.0
    # do); the runner lists its id all the same
    assert result["tests_run"] in (8, 9)
    assert sorted(result["ids"]) == sorted(
        [
            p + n
            for n in (
                "test_passes",
                "test_fails",
                "test_errors",
                "test_skipped",
                "test_expected_failure",
                "test_unexpected_success",
                "test_traced_here",
            )
        ]
        + ["made_up_suite.Async.test_tasks", "made_up_suite.doctested"]
    )
    assert result["failures"] == [p + "test_fails"]
    assert result["errors"] == [p + "test_errors"]
    assert result["skipped"] == {p + "test_skipped": "not today"}
    assert result["expected_failures"] == [p + "test_expected_failure"]
    assert result["unexpected_successes"] == [p + "test_unexpected_success"]
    assert "RuntimeError: boom" in result["details"][p + "test_errors"]
    assert ("TRACED" if traced else "UNTRACED") in proc.stdout.split()
    if traced:
        tracing = result["tracing"]
        assert tracing["cases"] == 9 and tracing["events"] > 0, tracing
        assert not tracing["not_started"] and not tracing["stop_errors"], tracing
    else:
        assert result["tracing"] is None


def test_cpython_comparison_lists_the_differing_ids():
    from test_cpython_suites import differences, first_line

    plain = {
        "ids": ["m.A.a", "m.A.b", "m.A.c"],
        "failures": [],
        "errors": [],
        "skipped": {"m.A.c": "why"},
        "expected_failures": [],
        "unexpected_successes": [],
        "details": {},
        "tracing": None,
    }
    diff_tb = (
        'Traceback (most recent call last):\n  File "x.py", line 1, in a\n'
        "AssertionError: {'n': 2} != {'n': 1}\n- {'n': 2}\n?       ^\n"
    )
    traced = dict(
        plain,
        ids=["m.A.a", "m.A.b", "m.A.c", "m.A.d"],
        failures=["m.A.a"],
        details={"m.A.a": diff_tb},
        tracing={"not_started": {}, "stop_errors": {"m.A.b": "Traceback\nX: y"}},
    )
    problems, differing = differences(plain, traced)
    text = "\n".join(problems)
    assert differing == {"m.A.a", "m.A.b", "m.A.d"}
    assert "run traced, not untraced (1):\n    m.A.d" in text
    assert "failures traced only (1):\n    m.A.a  -- AssertionError: {'n': 2} != {'n': 1}" in text
    assert "traces that failed to stop (1):\n    m.A.b  -- X: y" in text
    assert first_line(diff_tb) == "AssertionError: {'n': 2} != {'n': 1}"
    assert differences(plain, dict(plain, tracing={})) == ([], set())
    # a known flaky test is left to its own comparison
    assert differences(
        plain, dict(traced, ids=plain["ids"], tracing={}), flaky=frozenset({"m.A.a"})
    ) == ([], set())


def test_library_comparison_groups_by_what_changed():
    from test_library_suites import differences

    passed = [(("passed",),)]
    plain = {
        "outcomes": {f"t::{i}": passed for i in "abcd"},
        "details": {},
        "events": 0,
        "truncated": 0,
        "not_started": {},
        "traced_ids": set(),
        "returncode": 0,
    }
    broken = [(("error",),)]
    traced = dict(
        plain,
        outcomes={**plain["outcomes"], "t::a": broken, "t::b": broken},
        details={"t::a": "AttributeError: select", "t::b": "AttributeError: select"},
        traced_ids={"t::a", "t::b", "t::c"},
        returncode=1,
    )
    problems, differing = differences(plain, traced)
    assert differing == {"t::a", "t::b", "t::d"}
    assert problems[0] == (
        "outcome differs: untraced passed, traced error: "
        "AttributeError: select (2):\n    t::a\n    t::b"
    )
    assert "passed traced, but no trace was recorded for them (1):\n    t::d" in problems
    assert "pytest exit status: untraced 0, traced 1" in problems


def test_a_known_flaky_test_is_rerun_alone(monkeypatch, tmp_path):
    import test_cpython_suites as suites

    monkeypatch.setattr(suites, "FLAKY", {"m.A.x": "timing on a loaded machine"})
    calls = []

    def run_module(test_id, *, traced, backend, workdir):
        calls.append((test_id, traced))
        failed = traced and len(calls) < 2  # fails on its first rerun, passes on the next
        return {"failures": [test_id] if failed else [], "errors": []}

    monkeypatch.setattr(suites, "run_module", run_module)
    plain = {"ids": ["m.A.x", "m.A.y"], "failures": [], "errors": []}
    traced = {"ids": ["m.A.x", "m.A.y"], "failures": ["m.A.x"], "errors": []}
    assert suites.compare_flaky("m", plain, traced, "b", tmp_path) == []
    assert calls == [("m.A.x", True), ("m.A.x", True)]
    calls.clear()
    always = {"ids": ["m.A.x"], "failures": ["m.A.x"], "errors": []}
    monkeypatch.setattr(suites, "run_module", lambda test_id, **kw: calls.append(test_id) or always)
    problems = suites.compare_flaky("m", plain, traced, "b", tmp_path)
    assert problems == [
        f"known flaky test m.A.x failed traced in {suites.FLAKY_RERUNS + 1} "
        "runs (timing on a loaded machine)"
    ]
    assert len(calls) == suites.FLAKY_RERUNS
