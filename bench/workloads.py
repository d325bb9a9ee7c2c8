"""The benchmark workloads.  Kept in their own module under bench/ so asyncviz's default
scope (the user's code: not the standard library, not site-packages) records them.

Each workload is a `Workload` whose `run()` does the whole job and returns a checksum, so
a traced run can be checked against an untraced one (the benchmark never asserts times).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Callable


# -- gen_pipeline ----------------------------------------------------------------------


def source(n):
    for i in range(n):
        yield i


def squares(items):
    for x in items:
        yield x * x


def evens(items):
    for x in items:
        if x % 2 == 0:
            yield x


def gen_pipeline(n: int) -> int:
    total = 0
    for x in evens(squares(source(n))):
        total += x
    return total


# -- tasks_sleep0 ----------------------------------------------------------------------


async def sleeper(i: int, rounds: int) -> int:
    for _ in range(rounds):
        await asyncio.sleep(0)
    return i


async def gather_sleepers(n: int, rounds: int) -> int:
    results = await asyncio.gather(*[sleeper(i, rounds) for i in range(n)])
    return sum(results)


def tasks_sleep0(n: int, rounds: int = 10) -> int:
    return asyncio.run(gather_sleepers(n, rounds))


# -- tasks_timers ----------------------------------------------------------------------


async def timer_sleeper(i: int, rounds: int) -> int:
    for _ in range(rounds):
        await asyncio.sleep(0.001)
    return i


async def gather_timer_sleepers(n: int, rounds: int) -> int:
    results = await asyncio.gather(*[timer_sleeper(i, rounds) for i in range(n)])
    return sum(results)


def tasks_timers(n: int, rounds: int = 10) -> int:
    return asyncio.run(gather_timer_sleepers(n, rounds))


# -- fib25 -----------------------------------------------------------------------------


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


# -- many_generators -------------------------------------------------------------------


def yield_once():
    yield 1


def many_generators(n: int) -> int:
    """n short-lived generators: each made, advanced once (it yields once) and dropped
    while suspended, so CPython collects (closes) it at once."""
    total = 0
    for _ in range(n):
        total += next(yield_once())
    return total


# -- the table -------------------------------------------------------------------------


@dataclass
class Workload:
    name: str
    description: str
    run: Callable[[], int]
    # what the README says of this workload's cost (printed with the workload, never judged)
    promise: str | None = None
    # asyncviz's max_events for this workload (None: the benchmark's default, large enough
    # to keep every event)
    max_events: int | None = None
    # also measure the peak RSS growth of one run per mode, each in a fresh subprocess
    rss: bool = False


def workloads(quick: bool = False) -> list[Workload]:
    """The workloads; `quick` scales each down about 10x (for a CI smoke run)."""
    n_pipe = 40_000 if quick else 400_000
    n_tasks = 1_000 if quick else 10_000
    n_timers = 200 if quick else 2_000
    n_fib = 20 if quick else 25  # fib(20): 21,891 calls, fib(25): 242,785 (≈11x)
    n_gens = 100_000 if quick else 1_000_000
    budget = 1_000
    yields = n_pipe + n_pipe + n_pipe // 2
    return [
        Workload(
            "gen_pipeline",
            f"source({n_pipe:,}) -> squares -> evens (keeps half), summed by a for loop: "
            f"{n_pipe:,} + {n_pipe:,} + {n_pipe // 2:,} = {yields:,} yields by 3 generators",
            lambda: gen_pipeline(n_pipe),
        ),
        Workload(
            "tasks_sleep0",
            f"asyncio.run(gather of {n_tasks:,} tasks, each `await asyncio.sleep(0)` x10 "
            f"then return): {n_tasks * 10:,} task steps",
            lambda: tasks_sleep0(n_tasks, 10),
        ),
        Workload(
            "tasks_timers",
            f"asyncio.run(gather of {n_timers:,} tasks, each `await asyncio.sleep(0.001)` "
            f"x10 then return): {n_timers * 10:,} timers, each a new future to name",
            lambda: tasks_timers(n_timers, 10),
        ),
        Workload(
            "fib25",
            f"recursive fib({n_fib}), plain functions, no generators: {_fib_calls(n_fib):,} calls",
            lambda: fib(n_fib),
            promise="asyncviz/untraced <= 1.05x on Python 3.12+ (ordinary code is DISABLEd)",
        ),
        Workload(
            "many_generators",
            f"{n_gens:,} short-lived generators: `next(yield_once())` in a for loop, each "
            f"yields once and is dropped suspended; asyncviz under max_events={budget:,}, so "
            f"nearly all of it runs after the record's budget is spent (viztracer has no such "
            f"budget: it records every call, as in the other workloads)",
            lambda: many_generators(n_gens),
            max_events=budget,
            rss=True,
        ),
    ]


def _fib_calls(n: int) -> int:
    a, b = 1, 1  # calls(0), calls(1)
    for _ in range(n - 1):
        a, b = b, a + b + 1
    return b if n >= 1 else a
