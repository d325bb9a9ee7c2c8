"""The recorder never corrupts the interpreter: frames of every kind, objects dying while
they are recorded, under include=['*'].

Each case runs in a fresh interpreter, so a crash fails the test instead of ending the run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from asyncviz.recording import frames

# the recording suite runs against every backend (native and python)
pytestmark = pytest.mark.usefixtures("each_backend")

HARNESS = """
import asyncio, faulthandler, gc, sys
faulthandler.enable()
import asyncviz
{body}
with asyncviz.trace(include=["*"]{options}) as t:
    result = main()
    # reuse freed memory: a dangling reference to a dead object now points at garbage
    junk = [bytearray(n) for n in range(16, 1024, 8) for _ in range(40)]
for _ in range(3):
    gc.collect()
print("OK", len(t.events), result)
"""

CASES = {
    # a frame whose function finished, asked for its generator while it is recorded
    "finished_function_frames": """
import sys
def plain():
    return sys._getframe()
def gen(frames):
    frames.append(sys._getframe())
    yield plain()
def main():
    frames = []
    for _ in range(200):
        for f in gen(frames):
            frames.append(f)
    return len(frames)
""",
    # suspended generators dropped on the floor: finalised inside their deallocation,
    # their close is the first thing the recorder sees of them
    "generators_finalised": """
def g(n):
    try:
        yield n
        yield n + 1
    finally:
        pass
def h():
    yield 1
    yield 2
def main():
    total = 0
    for i in range(500):
        it = g(i)
        total += next(it)
        del it
        it = h()
        next(it)
        del it
    return total
""",
    # generators created before the trace and finalised inside it
    "finalised_before_seen": """
def g():
    try:
        yield 1
    finally:
        pass
EARLY = [g() for _ in range(300)]
for it in EARLY:
    next(it)
def main():
    EARLY.clear()
    return 0
""",
    "async_generators_and_coroutines_closed_by_gc": """
import asyncio, gc
async def agen():
    try:
        yield 1
        await asyncio.sleep(0)
        yield 2
    finally:
        pass
async def never():
    await asyncio.sleep(1)
class Cycle:
    pass
async def body():
    for i in range(100):
        a = agen()
        await a.__anext__()
        c = never()
        holder = Cycle()
        holder.self = holder
        holder.coro = c
        holder.agen = a
        del a, c, holder
        if i % 10 == 0:
            gc.collect()
    return 1
def main():
    import warnings
    warnings.simplefilter("ignore")
    return asyncio.run(body())
""",
}


def _run(body: str, options: str = "") -> subprocess.CompletedProcess:
    # the backend comes from the environment the each_backend fixture set
    code = HARNESS.format(body=textwrap.dedent(body), options=options)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_crash(case):
    proc = _run(CASES[case])
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert proc.stdout.startswith("OK"), proc.stdout


def test_generator_of_is_safe_for_any_frame():
    def plain():
        return sys._getframe()

    def gen():
        yield sys._getframe()

    g = gen()
    frame = next(g)
    assert frames.generator_of(frame) is g
    assert frames.generator_of(plain()) is None  # finished, and never a generator's
    assert frames.generator_of(sys._getframe()) is None
    g.close()
    assert frames.generator_of(frame) in (g, None)  # closed, still alive
    del g
    assert frames.generator_of(frame) is None  # gone: the frame object owns its data


def test_async_yield_unwrapped_without_layout_guesses():
    import asyncio

    seen = []

    def tracer(frame, event, arg):
        if event == "return" and frame.f_code.co_name == "ag":
            seen.append(frames.unwrap_async_yield(arg))
        return tracer

    async def ag():
        yield None
        yield 5
        yield "x"

    async def main():
        return [v async for v in ag()]

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = asyncio.run(main())
    finally:
        sys.settrace(old)
    assert result == [None, 5, "x"]
    assert seen[:3] == [None, 5, "x"]
    assert not frames.is_async_yield_wrapper(int)
