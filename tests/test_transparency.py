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
from test_sequences import PROGRAMS

FAILING = {
    "raise_in_coroutine": '''
import asyncio
async def inner():
    await asyncio.sleep(0)
    raise ValueError("deep")
async def main():
    print("before")
    await inner()
''',
    "generator_error": '''
def g():
    yield 1
    1 / 0
def main():
    print(list(g()))
''',
    "group_error": '''
import asyncio
async def bad(n):
    await asyncio.sleep(0)
    raise KeyError(n)
async def main():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(bad(1))
        tg.create_task(bad(2))
''',
    "stop_iteration_in_generator": '''
def g():
    next(iter([]))
    yield 1
def main():
    return list(g())
''',
}
CORPUS = {**PROGRAMS, **FAILING}

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
            error = (type(exc).__name__, _scrub(str(exc)),
                     [(f.name, f.lineno) for f in traceback.extract_tb(exc.__traceback__)
                      if f.filename.startswith("<program")])
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
