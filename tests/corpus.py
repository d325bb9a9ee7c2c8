"""Programs the tests run traced, shared by several test modules (the sequences, the
transparency corpus, the views).  Each is source text with a `main()`: tests compile it
through the cell rewrite (programs.load) as a notebook cell would be."""

from __future__ import annotations

PROGRAMS: dict[str, str] = {}
PROGRAMS["for_loop"] = """
def g():
    yield 1
    yield 2
def main():
    return [x for x in g()]
"""
PROGRAMS["next_send"] = """
def acc():
    total = 0
    while True:
        v = yield total
        total += v
def main():
    a = acc()
    next(a)
    a.send(5)
    return a.send(10)
"""
PROGRAMS["throw_caught"] = """
def g():
    while True:
        try:
            yield 1
        except ValueError:
            yield "caught"
def main():
    it = g()
    next(it)
    return it.throw(ValueError("x"))
"""
PROGRAMS["throw_uncaught"] = """
def g():
    yield 1
def main():
    it = g()
    next(it)
    try:
        it.throw(KeyError("k"))
    except KeyError:
        return "ok"
"""
PROGRAMS["close_suspended"] = """
def g():
    try:
        yield 1
        yield 2
    finally:
        print("cleanup")
def main():
    it = g()
    next(it)
    it.close()
"""
PROGRAMS["close_created"] = """
def g():
    yield 1
def main():
    it = g()
    it.close()
    return it
"""
PROGRAMS["close_outside_try"] = """
def g():
    yield 1
    yield 2
def main():
    it = g()
    next(it)
    it.close()
    return it
"""
PROGRAMS["gc_finalised"] = """
def g():
    yield 1
def main():
    it = g()
    next(it)
    del it
    g()
"""
PROGRAMS["yield_from_chain"] = """
def inner():
    x = yield "i1"
    y = yield x
    return y
def middle():
    r = yield from inner()
    return r * 2
def outer():
    r = yield from middle()
    return r + 1
def main():
    it = outer()
    next(it)
    it.send(3)
    try:
        it.send(4)
    except StopIteration as stop:
        return stop.value
"""
PROGRAMS["round_robin"] = """
def worker(name, n):
    got = None
    for i in range(n):
        got = yield (name, i, got)
    return name
def main():
    ready = [worker("a", 2), worker("b", 1)]
    replies = {}
    done = []
    while ready:
        w = ready.pop(0)
        try:
            msg = w.send(replies.get(id(w)))
        except StopIteration as stop:
            done.append(stop.value)
            continue
        replies[id(w)] = msg[1] * 10
        ready.append(w)
    return done
"""
PROGRAMS["genexpr"] = """
def main():
    return sum(x * x for x in range(3))
"""
PROGRAMS["raise_first"] = """
def g():
    raise ValueError("early")
    yield
def main():
    try:
        next(g())
    except ValueError:
        return "ok"
"""
PROGRAMS["two_instances"] = """
def g(n):
    yield n
def main():
    a, b = g(1), g(2)
    return next(b), next(a)
"""
PROGRAMS["return_value"] = """
def g():
    yield 1
    return "done"
def main():
    it = g()
    next(it)
    try:
        next(it)
    except StopIteration as stop:
        return stop.value
"""
PROGRAMS["async_chain"] = """
import asyncio
async def leaf():
    await asyncio.sleep(0)
    return 1
async def mid():
    return await leaf() + 1
async def main():
    return await mid()
"""
PROGRAMS["gather"] = """
import asyncio
async def work(n):
    await asyncio.sleep(0)
    return n
async def main():
    return await asyncio.gather(work(1), work(2))
"""
PROGRAMS["queue"] = """
import asyncio
async def producer(q):
    for i in range(2):
        await q.put(i)
    await q.put(None)
async def consumer(q):
    got = []
    while (item := await q.get()) is not None:
        got.append(item)
    return got
async def main():
    q = asyncio.Queue(maxsize=1)
    p = asyncio.create_task(producer(q), name="producer")
    got = await consumer(q)
    await p
    return got
"""
PROGRAMS["timeout"] = """
import asyncio
async def slow():
    await asyncio.sleep(10)
async def main():
    try:
        async with asyncio.timeout(0.01):
            await slow()
    except TimeoutError:
        return "timeout"
"""
PROGRAMS["cancel"] = """
import asyncio
async def sleeper():
    try:
        await asyncio.sleep(10)
    finally:
        pass
async def main():
    t = asyncio.create_task(sleeper(), name="sleeper")
    await asyncio.sleep(0)
    t.cancel("stop")
    try:
        await t
    except asyncio.CancelledError:
        return t.cancelled()
"""
PROGRAMS["taskgroup"] = """
import asyncio
async def job(n):
    await asyncio.sleep(0)
    return n
async def main():
    async with asyncio.TaskGroup() as tg:
        a = tg.create_task(job(1), name="a")
        b = tg.create_task(job(2), name="b")
    return a.result() + b.result()
"""
PROGRAMS["taskgroup_failure"] = """
import asyncio
async def sibling():
    await asyncio.sleep(10)
async def failing():
    await asyncio.sleep(0)
    raise ValueError("boom")
async def main():
    caught = None
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sibling(), name="a")
            tg.create_task(failing(), name="bad")
    except* ValueError as group:
        caught = group.exceptions
    return caught
"""
PROGRAMS["wait_for_timeout"] = """
import asyncio
async def slow():
    await asyncio.sleep(10)
async def main():
    try:
        await asyncio.wait_for(slow(), 0.01)
    except TimeoutError:
        return "timeout"
"""
PROGRAMS["gather_cancel"] = """
import asyncio
async def job():
    await asyncio.sleep(10)
async def main():
    g = asyncio.gather(job(), job())
    await asyncio.sleep(0)
    g.cancel("enough")
    try:
        await g
    except asyncio.CancelledError as e:
        return e.args
"""
PROGRAMS["future_cancel"] = """
import asyncio
async def waiter(fut):
    try:
        await fut
    except asyncio.CancelledError:
        return "cancelled"
async def main():
    fut = asyncio.get_running_loop().create_future()
    t = asyncio.create_task(waiter(fut))
    await asyncio.sleep(0)
    fut.cancel()
    return await t
"""
PROGRAMS["async_for"] = """
import asyncio
async def ticks(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i
async def main():
    out = []
    async for i in ticks(2):
        out.append(i)
    return out
"""
PROGRAMS["asend_athrow_aclose"] = """
async def agen():
    try:
        x = yield 1
        while True:
            try:
                x = yield x
            except ValueError:
                x = yield "caught"
    finally:
        pass
async def main():
    a = agen()
    r = [await a.asend(None), await a.asend("hi"), await a.athrow(ValueError("v"))]
    await a.aclose()
    return r
"""
PROGRAMS["eager_task"] = """
import asyncio
async def quick():
    return 7
async def main():
    loop = asyncio.get_running_loop()
    loop.set_task_factory(asyncio.eager_task_factory)
    try:
        t = asyncio.create_task(quick(), name="quick")
        return t.done(), await t
    finally:
        loop.set_task_factory(None)
"""
PROGRAMS["future"] = """
import asyncio
async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    loop.call_soon(fut.set_result, "ready")
    return await fut
"""
PROGRAMS["types_coroutine"] = """
import types
@types.coroutine
def legacy():
    got = yield "tick"
    return got
async def main_():
    return await legacy()
def main():
    c = main_()
    c.send(None)
    try:
        c.send("tock")
    except StopIteration as stop:
        return stop.value
"""
PROGRAMS["async_with"] = """
import asyncio
class Res:
    async def __aenter__(self):
        await asyncio.sleep(0)
        return "res"
    async def __aexit__(self, *exc):
        await asyncio.sleep(0)
async def main():
    async with Res() as r:
        return r
"""
PROGRAMS["nested_creation"] = """
def child():
    yield "c"
def parent():
    c = child()
    yield next(c)
def main():
    return list(parent())
"""
PROGRAMS["async_gen_closed_early"] = """
async def count():
    try:
        i = 0
        while True:
            yield i
            i += 1
    finally:
        pass
async def main():
    out = []
    a = count()
    async for i in a:
        out.append(i)
        if i == 1:
            break
    await a.aclose()
    return out
"""
PROGRAMS["unrecorded_task_coroutine"] = """
import asyncio
async def main():
    # a task whose coroutine is asyncio's own (out of scope): it still ends when that does
    t = asyncio.ensure_future(asyncio.sleep(0.001, result="slept"))
    return await t
"""


# programs that end in an exception, traced and untraced alike
FAILING = {
    "raise_in_coroutine": """
import asyncio
async def inner():
    await asyncio.sleep(0)
    raise ValueError("deep")
async def main():
    print("before")
    await inner()
""",
    "generator_error": """
def g():
    yield 1
    1 / 0
def main():
    print(list(g()))
""",
    "group_error": """
import asyncio
async def bad(n):
    await asyncio.sleep(0)
    raise KeyError(n)
async def main():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(bad(1))
        tg.create_task(bad(2))
""",
    "stop_iteration_in_generator": """
def g():
    next(iter([]))
    yield 1
def main():
    return list(g())
""",
}

CORPUS = {**PROGRAMS, **FAILING}

# tasks with children and a queue (the widgets' tests)
TASKS = """
import asyncio

async def child(n):
    await asyncio.sleep(0)
    return n * 2

async def main():
    task = asyncio.create_task(child(21), name="kid")
    return await task
"""

# a polling loop of tasks (the state machines' tests)
POLL = """
import asyncio
async def tick(i):
    await asyncio.sleep(0)
    return i * 10
async def poll():
    total = 0
    for i in range(3):
        await asyncio.sleep(0)
        total += await tick(i)
        await asyncio.sleep(0)
    return total
async def main():
    return await poll()
"""
