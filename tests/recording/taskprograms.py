"""Programs for test_native_tasks.py, in a module of their own: imported, not rewritten
as a cell is, so the coroutines they make are first seen by create_task (the native
core's own path, csrc/tasks.c), as in a program's imported code."""

from __future__ import annotations

import asyncio


async def work(n: int) -> int:
    await asyncio.sleep(0)
    return n


def counter():
    yield 1
    yield 2


async def renamed_and_done() -> str:
    asyncio.current_task().set_name("renamed")  # type: ignore[union-attr]
    await asyncio.sleep(0)
    return "done"


async def mixed() -> list:
    """Tasks the core makes alone, between objects the registry makes: a generator, a
    future, a task made from a callback, one for a coroutine out of scope, a create_task
    that raises, named and renamed tasks, one dropped after it ended."""
    loop = asyncio.get_running_loop()
    tasks = [asyncio.create_task(work(1)), asyncio.create_task(work(2), name="given")]
    out = list(counter())  # a generator: made by the registry between two tasks
    tasks.append(asyncio.create_task(work(3)))
    fut = loop.create_future()
    loop.call_soon(fut.set_result, 4)
    out.append(await fut)  # a future: the registry again
    made = []
    loop.call_soon(lambda: made.append(loop.create_task(work(5))))  # no coroutine runs it
    tasks.append(asyncio.create_task(asyncio.sleep(0, 6)))  # its coroutine is out of scope
    try:
        loop.create_task(42)  # type: ignore[arg-type]
    except TypeError:
        out.append("no task")
    later = asyncio.create_task(work(7))
    later.set_name("later")
    await asyncio.create_task(renamed_and_done())  # ends and is dropped before the end
    await asyncio.sleep(0)
    out.extend(await asyncio.gather(*tasks, *made, later))
    return out


async def many(n: int) -> int:
    return sum(await asyncio.gather(*[work(i) for i in range(n)]))


async def eager() -> list:
    loop = asyncio.get_running_loop()
    loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined]
    try:
        first = asyncio.create_task(work(1))  # runs to its first await inside create_task
        done = asyncio.create_task(asyncio.sleep(0, 2))
        return [await first, await done]
    finally:
        loop.set_task_factory(None)
