"""Fixtures every test layer shares.

The autouse fixture is the project's promise in test form: whatever a test does —
record, raise, be interrupted — no monitoring tool id, trace or profile hook, or
recording switch is left behind.
"""

from __future__ import annotations

import builtins
import os
import sys

import pytest

# the shared helpers (programs, corpus, tracebuilder) import by name from any test folder
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from asyncviz.recording.backend import ENV as BACKEND_ENV, names as backend_names

# subprocesses the tests start (kernels, fresh interpreters) import the asyncviz of this
# checkout, as the tests themselves do — not whichever one an editable install points at
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)


def _hooks() -> dict:
    state = {
        "sys.gettrace": sys.gettrace(),
        "sys.getprofile": sys.getprofile(),
        "__avz_on__": getattr(builtins, "__avz_on__", False),
    }
    if hasattr(sys, "monitoring"):
        state["tool ids"] = tuple(sys.monitoring.get_tool(i) for i in range(6))
    return state


@pytest.fixture(autouse=True)
def nothing_left_installed():
    before = _hooks()
    yield
    after = _hooks()
    assert after == before, f"a test left hooks installed: before={before} after={after}"
    from asyncviz.recording import recorder

    assert recorder.recording() is None, "a test left a recorder running"


@pytest.fixture(params=backend_names())
def each_backend(request, monkeypatch):
    """Run the test once per recording backend this interpreter has (native, python):
    `asyncviz.trace()` without a backend argument picks it from the environment."""
    monkeypatch.setenv(BACKEND_ENV, request.param)
    return request.param
