"""Which function the state machines open on: the user's function with the most events —
never a comprehension (`<genexpr>`) nor library code while the user's own code ran."""

from __future__ import annotations

import pytest

from asyncviz.analysis.functions import (
    Function,
    by_function,
    default_function,
    library_file,
    user_function,
)
from asyncviz.trace import Trace
from corpus import PROGRAMS
from programs import record
from tracebuilder import TraceBuilder

GATHER = """
import asyncio
async def f(x):
    await asyncio.sleep(0)
    return x
async def main():
    return await asyncio.gather(*(f(x) for x in range(3)))
"""

# the <genexpr> drives numbers() and yields three times per number: it has the most events
GENERATOR = """
def numbers():
    for i in range(3):
        yield i
def main():
    return sum(x * k for x in numbers() for k in range(3))
"""

# with include=['*'], asyncio's sleep (a coroutine of the standard library) is recorded too,
# and has more events than f
SLEEPS = """
import asyncio
async def f():
    for _ in range(3):
        await asyncio.sleep(0)
async def main():
    await f()
"""


def events_of(trace: Trace) -> dict[str, int]:
    """Events per function name."""
    out: dict[str, int] = {}
    for f, ids in by_function(trace).items():
        out[f.name] = sum(1 for e in trace.events if e.obj in ids)
    return out


def test_gather_of_a_generator_expression_opens_on_the_function(each_backend):
    trace, ns = record(GATHER, backend=each_backend)
    assert ns["result"] == [0, 1, 2]
    names = [f.name for f in by_function(trace)]
    assert names == ["main", "main.<locals>.<genexpr>", "f"]  # the genexpr comes first
    f = default_function(trace)
    assert f is not None and (f.name, f.kind, f.firstlineno) == ("f", "coroutine", 3)


def test_a_program_whose_only_user_function_is_a_generator_opens_on_it(each_backend):
    trace, ns = record(GENERATOR, backend=each_backend)
    assert ns["result"] == 3 * (0 + 1 + 2)
    counts = events_of(trace)
    assert counts["main.<locals>.<genexpr>"] > counts["numbers"]
    f = default_function(trace)
    assert f is not None and (f.name, f.kind) == ("numbers", "generator")


def test_library_code_is_never_the_default_while_the_users_code_ran(each_backend):
    trace, _ = record(SLEEPS, backend=each_backend, include=["*"])
    counts = events_of(trace)
    assert counts["sleep"] > counts["f"] > counts["main"]
    f = default_function(trace)
    assert f is not None and f.name == "f"


def test_a_comprehension_alone_is_still_shown():
    trace, _ = record(PROGRAMS["genexpr"])
    f = default_function(trace)
    assert f is not None and f.name == "main.<locals>.<genexpr>"


def test_nothing_ran_no_default():
    assert default_function(Trace(b"", [], [])) is None


def handmade() -> TraceBuilder:
    """Objects of five functions, events given per test."""
    b = TraceBuilder()
    b.obj("generator", "<genexpr>#1", "main.<locals>.<genexpr>", filename="<cell-1>", firstlineno=2)
    b.obj("coroutine", "sleep#1", "sleep", filename="/usr/lib/python3.12/asyncio/tasks.py")
    b.obj("coroutine", "a#1", "a", filename="<cell-1>", firstlineno=5)
    b.obj("coroutine", "b#1", "b", filename="/home/me/project/app.py", firstlineno=1)
    b.obj("coroutine", "cell", "<cell>", filename="<cell-1>", firstlineno=1)
    return b


def run(b: TraceBuilder, obj: int, steps: int, t: int) -> int:
    """`steps` start/resume → yield steps of object `obj`, from time t; the next time."""
    for k in range(steps):
        b.ev(t, obj, "start" if k == 0 else "resume", line=2).ev(t + 1, obj, "yield", line=3)
        t += 2
    return t


@pytest.mark.parametrize(
    "steps, expected",
    [
        ({0: 9, 1: 9, 2: 1, 3: 2, 4: 9}, "b"),  # most events among the user's functions
        ({0: 9, 1: 9, 2: 3, 3: 2, 4: 9}, "a"),
        ({0: 9, 1: 9, 2: 2, 3: 2, 4: 9}, "a"),  # a tie: the first to appear
        ({0: 9, 1: 9, 4: 1}, "<cell>"),  # no function of the user's ran: the cell's awaits
        ({0: 1, 1: 9}, "main.<locals>.<genexpr>"),  # ... then the user's files
        ({1: 9}, "sleep"),  # ... then library code
    ],
)
def test_the_ranking(steps, expected):
    f = default_function(handmade_trace(steps))
    assert f is not None and f.name == expected


def handmade_trace(steps: dict) -> Trace:
    """The handmade objects in `steps` only (ids renumbered in order), each running its
    number of steps, one after another."""
    fresh = handmade()
    keep = sorted(steps)
    fresh.objects = [fresh.objects[i] for i in keep]
    for new, o in enumerate(fresh.objects):
        o.id = new
    t = 0
    for new, old in enumerate(keep):
        t = run(fresh, new, steps[old], t)
    return fresh.build()


@pytest.mark.parametrize(
    "filename, library",
    [
        ("/usr/lib/python3.12/asyncio/tasks.py", True),
        ("/opt/venv/lib/python3.13/site-packages/httpx/_client.py", True),
        ("/usr/lib/python3/dist-packages/gi/__init__.py", True),
        ("C:\\Python312\\Lib\\site-packages\\trio\\_core.py", True),
        ("<frozen importlib._bootstrap>", True),
        (None, True),
        ("<ipython-input-3-abc>", False),
        ("/tmp/ipykernel_123/4567.py", False),
        ("<program-0>", False),
        ("/home/me/project/app.py", False),
        ("/home/me/library/python3.12-notes/app.py", False),
    ],
)
def test_library_files(filename, library):
    assert library_file(filename) is library


def test_a_library_function_is_not_the_users():
    import asyncio

    code = asyncio.sleep.__code__
    assert library_file(code.co_filename)
    assert not user_function(Function("sleep", code.co_filename, code.co_firstlineno, "coroutine"))
    assert user_function(Function("f", "<cell-1>", 1, "coroutine"))
    assert not user_function(Function("main.<locals>.<genexpr>", "<cell-1>", 1, "generator"))
    assert not user_function(Function("<listcomp>", "/home/me/app.py", 1, "coroutine"))
