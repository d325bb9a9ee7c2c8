"""pytest plugin: run every test inside `asyncviz.trace()`.

    python -m pytest -p asyncviz.pytest_plugin --asyncviz-trace [--asyncviz-include GLOB]...
                     [--asyncviz-backend NAME] [--asyncviz-max-events N]

Not loaded automatically (no entry point): `-p asyncviz.pytest_plugin` loads it, and even
then it does nothing until `--asyncviz-trace` is given.  Loading it imports only this
module; the recorder is imported when tracing is switched on.

Each test's call phase (where pytest-asyncio, anyio and other plugins run the event loop)
runs inside one trace, `include=['*']` unless `--asyncviz-include` says otherwise; setup and
teardown (fixtures) are not traced.  The trace is dropped when the test ends: what is kept
is a count of events, whether it was truncated and the backend, shown as one line of the
terminal summary and as `asyncviz_events` / `asyncviz_truncated` properties of the test
(`item.user_properties`, written to `--junitxml` reports).  A trace that cannot start (a
debugger, coverage or another trace holds the hook) does not fail the test: the test runs
untraced, and the summary counts it and says why.  A test that starts its own
`asyncviz.trace()` gets asyncviz's one-trace-at-a-time TraceError under this plugin.
"""

from __future__ import annotations

import pytest

_DEFAULT_INCLUDE = ("*",)


def pytest_addoption(parser) -> None:
    group = parser.getgroup("asyncviz", "asyncviz: trace each test")
    group.addoption(
        "--asyncviz-trace",
        action="store_true",
        default=False,
        dest="asyncviz_trace",
        help="run each test's call phase inside asyncviz.trace()",
    )
    group.addoption(
        "--asyncviz-include",
        action="append",
        default=None,
        dest="asyncviz_include",
        metavar="GLOB",
        help="what to record: a glob on module or file names (repeatable; default '*', everything)",
    )
    group.addoption(
        "--asyncviz-backend",
        default=None,
        dest="asyncviz_backend",
        metavar="NAME",
        help="recording backend (default: the interpreter's preferred one)",
    )
    group.addoption(
        "--asyncviz-max-events",
        type=int,
        default=1_000_000,
        dest="asyncviz_max_events",
        metavar="N",
        help="keep at most N events per test (default 1,000,000)",
    )


def pytest_configure(config) -> None:
    if not config.getoption("asyncviz_trace"):
        return
    backend = config.getoption("asyncviz_backend")
    if backend is not None:
        from asyncviz.recording.backend import names

        if backend not in names():
            raise pytest.UsageError(
                f"--asyncviz-backend {backend!r}: this Python can run "
                + ", ".join(repr(n) for n in names())
            )
    max_events = config.getoption("asyncviz_max_events")
    if max_events < 0:
        raise pytest.UsageError(f"--asyncviz-max-events must be 0 or more, not {max_events}")
    include = tuple(config.getoption("asyncviz_include") or _DEFAULT_INCLUDE)
    config.pluginmanager.register(TracingPlugin(include, backend, max_events), "asyncviz-tracing")


class TestRecord:
    """What is kept of one test's trace."""

    __slots__ = ("events", "truncated", "dropped", "backend")
    __test__ = False  # not a test class, whatever pytest's naming rules say

    def __init__(self, events: int, truncated: bool, dropped: int, backend: str | None):
        self.events = events
        self.truncated = truncated
        self.dropped = dropped
        self.backend = backend


class TracingPlugin:
    """Registered by pytest_configure when --asyncviz-trace is on."""

    def __init__(self, include, backend, max_events):
        import asyncviz

        self.trace = asyncviz.trace
        self.TraceError = asyncviz.TraceError  # imports the recorder
        self.include = include
        self.backend = backend
        self.max_events = max_events
        self.records: dict[str, TestRecord] = {}
        self.not_started: dict[str, str] = {}  # nodeid -> why

    # the innermost wrapper around the test function: pytest's own wrappers (output
    # capture, unraisable-exception and thread-exception collection, logging) and other
    # plugins' stay outside the trace; async plugins run the loop inside item.runtest()
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_call(self, item):
        try:
            context = self.trace(
                include=self.include, max_events=self.max_events, backend=self.backend
            )
            trace = context.__enter__()
        except self.TraceError as exc:
            self.not_started[item.nodeid] = str(exc)
            item.user_properties.append(("asyncviz_not_started", str(exc)))
            return (yield)
        try:
            return (yield)
        finally:
            context.__exit__(None, None, None)
            record = TestRecord(
                len(trace.events), trace.truncated, trace.dropped, trace.meta.get("backend")
            )
            del trace, context
            self.records[item.nodeid] = record
            item.user_properties.append(("asyncviz_events", record.events))
            if record.truncated:
                item.user_properties.append(("asyncviz_truncated", record.dropped))

    def pytest_report_header(self, config):
        backend = self.backend or "default backend"
        return (
            f"asyncviz: tracing each test (include={list(self.include)}, {backend}, "
            f"max {self.max_events:,} events)"
        )

    def summary_line(self) -> str:
        records = self.records.values()
        line = (
            f"asyncviz: {len(self.records)} tests traced, "
            f"{sum(r.events for r in records):,} events, "
            f"{sum(r.truncated for r in records)} traces truncated"
        )
        backends = sorted({r.backend for r in records if r.backend})
        if backends:
            line += f" ({', '.join(backends)})"
        if self.not_started:
            reasons = list(dict.fromkeys(self.not_started.values()))
            line += (
                f"; {len(self.not_started)} traces could not start "
                f"(tests ran untraced): {reasons[0]}"
            )
            if len(reasons) > 1:
                line += f" (and {len(reasons) - 1} other reasons)"
        return line

    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.write_sep("-", "asyncviz")
        markup = {"yellow": True} if self.not_started else {}
        terminalreporter.write_line(self.summary_line(), **markup)
