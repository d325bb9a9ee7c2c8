"""Shared by the suite comparisons: a table of their timings at the end of the run."""

from __future__ import annotations

import sys

import pytest

TIMINGS: list[dict] = []


@pytest.fixture(scope="session")
def suite_timings() -> list[dict]:
    """Append {suite, backend, tests, untraced, traced, events, truncated, differ} here."""
    return TIMINGS


def pytest_terminal_summary(terminalreporter):
    if not TIMINGS:
        return
    tr = terminalreporter
    tr.write_sep("-", f"suites traced vs untraced (Python {sys.version.split()[0]})")
    width = max(len(t["suite"]) for t in TIMINGS)
    for t in TIMINGS:
        ratio = t["traced"] / t["untraced"] if t["untraced"] else float("nan")
        differ = "?" if t["differ"] is None else t["differ"]
        tr.write_line(
            f"{t['suite']:<{width}}  {t['backend']:<14} {t['tests']:>5} tests  "
            f"untraced {t['untraced']:6.1f} s  traced {t['traced']:6.1f} s ({ratio:4.1f}x)  "
            f"{t['events']:>10,} events  {t['truncated']:>2} truncated  {differ} differ"
        )
    total_u = sum(t["untraced"] for t in {t["suite"]: t for t in TIMINGS}.values())
    total_t = sum(t["traced"] for t in TIMINGS)
    tr.write_line(f"total: untraced {total_u:.1f} s, traced {total_t:.1f} s")
