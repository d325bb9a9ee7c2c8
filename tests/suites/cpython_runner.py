"""Run one of CPython's own test modules, optionally with every test case traced.

    python tests/suites/cpython_runner.py MODULE [--traced] [--backend NAME] [--json OUT]

MODULE is loaded with `unittest.defaultTestLoader.loadTestsFromName(MODULE)` (which honours
the module's load_tests, so its doctests count) and run by a TextTestRunner writing one line
per test to stderr.  With --traced each test case — its whole run(): setUp, the test,
tearDown and cleanups, and for IsolatedAsyncioTestCase its event loop's creation and
closing — runs inside its own `asyncviz.trace(include=["*"], backend=...)`; class and
module fixtures (setUpClass, setUpModule) stay outside.  One trace per test case keeps the
memory small; each trace is dropped when its case ends, after its events are counted.

The outcome is a JSON object (to OUT, or the last line of stdout): the ids of the tests run,
of failures, errors, skips (with reasons), expected failures and unexpected successes, a
short traceback per failure or error, the time per test, and what tracing did (cases
traced, events, truncated traces, traces that could not start, errors stopping a trace).
Exit status 0 when every test passed, 1 otherwise; a crash shows as death by a signal
(faulthandler prints the Python stacks to stderr).
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import sys
import time
import traceback
import unittest

TRACEBACK_CHARS = 4000  # of each failure's traceback kept in the outcome


class OutcomeResult(unittest.TextTestResult):
    """A TextTestResult that also remembers the id of every test started and its time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started: list[str] = []
        self.seconds: dict[str, float] = {}
        self._t0: dict[str, float] = {}

    def startTest(self, test):
        self.started.append(test.id())
        self._t0[test.id()] = time.perf_counter()
        super().startTest(test)

    def stopTest(self, test):
        t0 = self._t0.pop(test.id(), None)
        if t0 is not None:
            self.seconds[test.id()] = round(time.perf_counter() - t0, 4)
        super().stopTest(test)


class TracingStats:
    def __init__(self):
        self.cases = 0
        self.events = 0
        self.truncated = 0
        self.not_started: dict[str, str] = {}  # test id -> TraceError message
        self.stop_errors: dict[str, str] = {}  # test id -> traceback of the failed stop

    def as_dict(self) -> dict:
        return {
            "cases": self.cases,
            "events": self.events,
            "truncated": self.truncated,
            "not_started": self.not_started,
            "stop_errors": self.stop_errors,
        }


def test_cases(suite):
    """Every TestCase in a suite, depth first, in run order."""
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from test_cases(test)
        else:
            yield test


def trace_each_case(suite, backend: str | None, stats: TracingStats) -> None:
    """Make each test case run inside its own trace.

    TestSuite calls `case(result)`, and TestCase.__call__ calls `self.run(result)`: an
    instance attribute `run` wraps exactly one case's whole run, whatever its class
    overrides (IsolatedAsyncioTestCase.run makes its loop there; doctest cases are
    TestCases too).
    """
    import asyncviz

    def wrap(case):
        run = case.run
        case_id = case.id()

        def traced_run(result=None):
            try:
                context = asyncviz.trace(include=["*"], backend=backend)
                trace = context.__enter__()
            except asyncviz.TraceError as exc:
                stats.not_started[case_id] = str(exc)
                return run(result)
            try:
                return run(result)
            finally:
                try:
                    context.__exit__(None, None, None)
                except BaseException:
                    stats.stop_errors[case_id] = traceback.format_exc()[-TRACEBACK_CHARS:]
                else:
                    stats.cases += 1
                    stats.events += len(trace.events)
                    stats.truncated += bool(trace.truncated)
                del trace, context

        case.run = traced_run

    for case in test_cases(suite):
        wrap(case)


def outcome(
    module: str,
    traced: bool,
    backend: str | None,
    result: OutcomeResult,
    seconds: float,
    stats: TracingStats | None,
) -> dict:
    def ids(pairs):
        return [test.id() for test, _ in pairs]

    started = set(result.started)
    details = {}
    for test, text in result.failures + result.errors:
        details.setdefault(test.id(), text[-TRACEBACK_CHARS:])
    return {
        "module": module,
        "python": sys.version.split()[0],
        "traced": traced,
        "backend": backend,
        "tests_run": result.testsRun,
        # every test started, and those skipped without being started (3.12+ skips a
        # test with a skip decorator before startTest)
        "ids": result.started
        + [test.id() for test, _ in result.skipped if test.id() not in started],
        "failures": ids(result.failures),
        "errors": ids(result.errors),
        "skipped": {test.id(): reason for test, reason in result.skipped},
        "expected_failures": ids(result.expectedFailures),
        "unexpected_successes": [test.id() for test in result.unexpectedSuccesses],
        "details": details,
        "seconds": round(seconds, 3),
        "test_seconds": result.seconds,
        "tracing": stats.as_dict() if stats is not None else None,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="e.g. test.test_generators (or one test's id)")
    parser.add_argument(
        "--traced",
        action="store_true",
        help="run each test case inside asyncviz.trace(include=['*'])",
    )
    parser.add_argument(
        "--backend", default=None, help="asyncviz backend for --traced (default: the preferred one)"
    )
    parser.add_argument(
        "--json", metavar="OUT", default=None, help="write the outcome here instead of printing it"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no line per test on stderr")
    args = parser.parse_args(argv)
    if args.backend and not args.traced:
        parser.error("--backend needs --traced")

    faulthandler.enable()
    suite = unittest.defaultTestLoader.loadTestsFromName(args.module)
    stats = None
    if args.traced:
        stats = TracingStats()
        trace_each_case(suite, args.backend, stats)
    runner = unittest.TextTestRunner(
        stream=sys.stderr, verbosity=1 if args.quiet else 2, resultclass=OutcomeResult
    )
    t0 = time.perf_counter()
    result = runner.run(suite)
    seconds = time.perf_counter() - t0
    report = outcome(args.module, args.traced, args.backend, result, seconds, stats)
    text = json.dumps(report, indent=1)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text + "\n")
    ok = result.wasSuccessful() and not (stats and (stats.stop_errors or stats.not_started))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
