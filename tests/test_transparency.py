"""A program computes, prints and raises the same things traced and untraced."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import traceback

import pytest

import asyncviz
from programs import load
from corpus import CORPUS, FAILING


# the recording suite runs against every backend (native and python)
pytestmark = pytest.mark.usefixtures("each_backend")


def _scrub(text: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x?", text)


def run(source: str, traced: bool):
    ns = load(source)
    out = io.StringIO()
    result = error = None
    with contextlib.redirect_stdout(out):
        try:
            tracer = asyncviz.trace() if traced else contextlib.nullcontext()
            with tracer:
                if asyncio.iscoroutinefunction(ns["main"]):
                    result = asyncio.run(ns["main"]())
                else:
                    result = ns["main"]()
        except BaseException as exc:  # noqa: BLE001 - compared, not swallowed
            error = (
                type(exc).__name__,
                _scrub(str(exc)),
                [
                    (f.name, f.lineno)
                    for f in traceback.extract_tb(exc.__traceback__)
                    if f.filename.startswith("<program")
                ],
            )
    return _scrub(repr(result)), out.getvalue(), error


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_same_traced_and_untraced(name):
    if name == "eager_task" and not hasattr(asyncio, "eager_task_factory"):
        pytest.skip("eager tasks are new in 3.12")
    plain = run(CORPUS[name], traced=False)
    traced = run(CORPUS[name], traced=True)
    assert traced == plain
    if name in FAILING:
        assert plain[2] is not None, "this program is meant to raise"
