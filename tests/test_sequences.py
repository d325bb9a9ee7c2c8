"""Exact event sequences for small programs, the same on every Python and backend.

Each expected list was derived by hand from what CPython does (and checked against
the record).  The same file runs on 3.11 (trace hook) and 3.12/3.13 (sys.monitoring), so
passing everywhere is the parity proof; on 3.12+ the trace-hook backend runs too.
"""
from __future__ import annotations

import sys

import pytest

from programs import normal_tasks, record, states


PROGRAMS: dict[str, str] = {}
PROGRAMS["for_loop"] = '''
def g():
    yield 1
    yield 2
def main():
    return [x for x in g()]
'''
PROGRAMS["next_send"] = '''
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
'''
PROGRAMS["throw_caught"] = '''
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
'''
PROGRAMS["throw_uncaught"] = '''
def g():
    yield 1
def main():
    it = g()
    next(it)
    try:
        it.throw(KeyError("k"))
    except KeyError:
        return "ok"
'''
PROGRAMS["close_suspended"] = '''
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
'''
PROGRAMS["close_created"] = '''
def g():
    yield 1
def main():
    it = g()
    it.close()
    return it
'''
PROGRAMS["close_outside_try"] = '''
def g():
    yield 1
    yield 2
def main():
    it = g()
    next(it)
    it.close()
    return it
'''
PROGRAMS["gc_finalised"] = '''
def g():
    yield 1
def main():
    it = g()
    next(it)
    del it
    g()
'''
PROGRAMS["yield_from_chain"] = '''
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
'''
PROGRAMS["round_robin"] = '''
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
'''
PROGRAMS["genexpr"] = '''
def main():
    return sum(x * x for x in range(3))
'''
PROGRAMS["raise_first"] = '''
def g():
    raise ValueError("early")
    yield
def main():
    try:
        next(g())
    except ValueError:
        return "ok"
'''
PROGRAMS["two_instances"] = '''
def g(n):
    yield n
def main():
    a, b = g(1), g(2)
    return next(b), next(a)
'''
PROGRAMS["return_value"] = '''
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
'''
PROGRAMS["async_chain"] = '''
import asyncio
async def leaf():
    await asyncio.sleep(0)
    return 1
async def mid():
    return await leaf() + 1
async def main():
    return await mid()
'''
PROGRAMS["gather"] = '''
import asyncio
async def work(n):
    await asyncio.sleep(0)
    return n
async def main():
    return await asyncio.gather(work(1), work(2))
'''
PROGRAMS["queue"] = '''
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
'''
PROGRAMS["timeout"] = '''
import asyncio
async def slow():
    await asyncio.sleep(10)
async def main():
    try:
        async with asyncio.timeout(0.01):
            await slow()
    except TimeoutError:
        return "timeout"
'''
PROGRAMS["cancel"] = '''
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
'''
PROGRAMS["taskgroup"] = '''
import asyncio
async def job(n):
    await asyncio.sleep(0)
    return n
async def main():
    async with asyncio.TaskGroup() as tg:
        a = tg.create_task(job(1), name="a")
        b = tg.create_task(job(2), name="b")
    return a.result() + b.result()
'''
PROGRAMS["async_for"] = '''
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
'''
PROGRAMS["asend_athrow_aclose"] = '''
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
'''
PROGRAMS["eager_task"] = '''
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
'''
PROGRAMS["future"] = '''
import asyncio
async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    loop.call_soon(fut.set_result, "ready")
    return await fut
'''
PROGRAMS["types_coroutine"] = '''
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
'''
PROGRAMS["async_with"] = '''
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
'''
PROGRAMS["nested_creation"] = '''
def child():
    yield "c"
def parent():
    c = child()
    yield next(c)
def main():
    return list(parent())
'''
PROGRAMS["async_gen_closed_early"] = '''
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
'''


EXPECTED: dict[str, list[str]] = {
    'for_loop': [
        'create|g#1',
        'start|g#1',
        'yield|g#1|1',
        'resume|g#1|None',
        'yield|g#1|2',
        'resume|g#1|None',
        'return|g#1|None',
    ],
    'next_send': [
        'create|acc#1',
        'start|acc#1',
        'yield|acc#1|0',
        'resume|acc#1|5',
        'yield|acc#1|5',
        'resume|acc#1|10',
        'yield|acc#1|15',
        'close|acc#1',
    ],
    'throw_caught': [
        'create|g#1',
        'start|g#1',
        'yield|g#1|1',
        "throw|g#1|ValueError('x')",
        "yield|g#1|'caught'",
        'close|g#1',
    ],
    'throw_uncaught': [
        'create|g#1',
        'start|g#1',
        'yield|g#1|1',
        "throw|g#1|KeyError('k')",
        "raise|g#1|KeyError('k')",
    ],
    'close_suspended': [
        'create|g#1',
        'start|g#1',
        'yield|g#1|1',
        'close|g#1',
    ],
    'close_created': [
        'create|g#1',
        'close|g#1',
    ],
    'close_outside_try': [
        'create|g#1',
        'start|g#1',
        'yield|g#1|1',
        'close|g#1',
    ],
    'gc_finalised': [
        'create|g#1',
        'start|g#1',
        'yield|g#1|1',
        'close|g#1',
        'create|g#2',
        'close|g#2',
    ],
    'yield_from_chain': [
        'create|outer#1',
        'start|outer#1',
        'create|middle#1',
        'start|middle#1',
        'create|inner#1',
        'start|inner#1',
        "yield|inner#1|'i1'",
        "await|middle#1|'i1'|inner#1",
        "await|outer#1|'i1'|middle#1",
        'resume|outer#1',
        'resume|middle#1',
        'resume|inner#1|3',
        'yield|inner#1|3',
        'await|middle#1|3|inner#1',
        'await|outer#1|3|middle#1',
        'resume|outer#1|8',
        'resume|middle#1|4',
        'resume|inner#1|4',
        'return|inner#1|4',
        'return|middle#1|8',
        'return|outer#1|9',
    ],
    'round_robin': [
        'create|worker#1',
        'create|worker#2',
        'start|worker#1',
        "yield|worker#1|('a', 0, None)",
        'start|worker#2',
        "yield|worker#2|('b', 0, None)",
        'resume|worker#1|0',
        "yield|worker#1|('a', 1, 0)",
        'resume|worker#2|0',
        "return|worker#2|'b'",
        'resume|worker#1|10',
        "return|worker#1|'a'",
    ],
    'genexpr': [
        'start|<genexpr>#1',
        'yield|<genexpr>#1|0',
        'resume|<genexpr>#1',
        'yield|<genexpr>#1|1',
        'resume|<genexpr>#1',
        'yield|<genexpr>#1|4',
        'resume|<genexpr>#1',
        'return|<genexpr>#1|None',
    ],
    'raise_first': [
        'create|g#1',
        'start|g#1',
        "raise|g#1|ValueError('early')",
    ],
    'two_instances': [
        'create|g#1',
        'create|g#2',
        'start|g#2',
        'yield|g#2|2',
        'start|g#1',
        'yield|g#1|1',
        'close|g#1',
        'close|g#2',
    ],
    'return_value': [
        'create|g#1',
        'start|g#1',
        'yield|g#1|1',
        'resume|g#1|None',
        "return|g#1|'done'",
    ],
    'async_chain': [
        'start|main#1',
        'create|mid#1',
        'start|mid#1',
        'create|leaf#1',
        'start|leaf#1',
        'await|leaf#1|None',
        'await|mid#1|None|leaf#1',
        'await|main#1|None|mid#1',
        'resume|main#1|2',
        'resume|mid#1|1',
        'resume|leaf#1|None',
        'return|leaf#1|1',
        'return|mid#1|2',
        'return|main#1|2',
    ],
    'gather': [
        'start|main#1',
        'create|work#1',
        'create|work#2',
        'create|Task@1',
        'create|Task@2',
        'await|main#1|<_GatheringFuture pending>|_GatheringFuture#1',
        'start|work#1',
        'await|work#1|None',
        'start|work#2',
        'await|work#2|None',
        'resume|work#1|None',
        'return|work#1|1',
        'return|Task@1|1',
        'resume|work#2|None',
        'return|work#2|2',
        'return|Task@2|2',
        'resume|main#1|[1, 2]',
        'return|main#1|[1, 2]',
    ],
    'queue': [
        'start|main#1',
        'create|producer#1',
        'create|producer',
        'create|consumer#1',
        'start|consumer#1',
        'await|consumer#1|<Future pending>|Future#1',
        'await|main#1|<Future pending>|consumer#1',
        'start|producer#1',
        'await|producer#1|<Future pending>|Future#2',
        'resume|main#1',
        'resume|consumer#1|0',
        'await|consumer#1|<Future pending>|Future#3',
        'await|main#1|<Future pending>|consumer#1',
        'resume|producer#1|None',
        'await|producer#1|<Future pending>|Future#4',
        'resume|main#1',
        'resume|consumer#1|1',
        'await|consumer#1|<Future pending>|Future#5',
        'await|main#1|<Future pending>|consumer#1',
        'resume|producer#1|None',
        'return|producer#1|None',
        'return|producer|None',
        'resume|main#1|[0, 1]',
        'resume|consumer#1|None',
        'return|consumer#1|[0, 1]',
        'return|main#1|[0, 1]',
    ],
    'timeout': [
        'start|main#1',
        'create|slow#1',
        'start|slow#1',
        'await|slow#1|<Future pending>|Future#1',
        'await|main#1|<Future pending>|slow#1',
        'throw|slow#1|CancelledError()',
        'cancel|root',
        'raise|slow#1|CancelledError()',
        'throw|main#1|CancelledError()',
        "return|main#1|'timeout'",
    ],
    'cancel': [
        'start|main#1',
        'create|sleeper#1',
        'create|sleeper',
        'await|main#1|None',
        'start|sleeper#1',
        'await|sleeper#1|<Future pending>|Future#1',
        'resume|main#1|None',
        "await|main#1|<Task 'sleeper' pending>|sleeper",
        "throw|sleeper#1|CancelledError('stop')",
        "cancel|sleeper|'stop'",
        "raise|sleeper#1|CancelledError('stop')",
        "raise|sleeper|CancelledError('stop')",
        "throw|main#1|CancelledError('stop')",
        'return|main#1|True',
    ],
    'taskgroup': [
        'start|main#1',
        'create|job#1',
        'create|a',
        'create|job#2',
        'create|b',
        'await|main#1|<Future pending>|Future#1',
        'start|job#1',
        'await|job#1|None',
        'start|job#2',
        'await|job#2|None',
        'resume|job#1|None',
        'return|job#1|1',
        'return|a|1',
        'resume|job#2|None',
        'return|job#2|2',
        'return|b|2',
        'resume|main#1',
        'return|main#1|3',
    ],
    'async_for': [
        'start|main#1',
        'create|ticks#1',
        'start|ticks#1',
        'await|ticks#1|None',
        'await|main#1|None|ticks#1',
        'resume|main#1|0',
        'resume|ticks#1|None',
        'yield|ticks#1|0',
        'resume|ticks#1|None',
        'await|ticks#1|None',
        'await|main#1|None|ticks#1',
        'resume|main#1|1',
        'resume|ticks#1|None',
        'yield|ticks#1|1',
        'resume|ticks#1|None',
        'return|ticks#1|None',
        'return|main#1|[0, 1]',
    ],
    'asend_athrow_aclose': [
        'start|main#1',
        'create|agen#1',
        'start|agen#1',
        'yield|agen#1|1',
        "resume|agen#1|'hi'",
        "yield|agen#1|'hi'",
        "throw|agen#1|ValueError('v')",
        "yield|agen#1|'caught'",
        'close|agen#1',
        "return|main#1|[1, 'hi', 'caught']",
    ],
    'eager_task': [
        'start|main#1',
        'create|quick#1',
        'create|quick',
        'start|quick#1',
        'return|quick#1|7',
        'return|quick|7',  # the eager task ends in create_task, with its coroutine
        'return|main#1|(True, 7)',
    ],
    'future': [
        'start|main#1',
        'await|main#1|<Future pending>|Future#1',
        "resume|main#1|'ready'",
        "return|main#1|'ready'",
    ],
    'types_coroutine': [
        'create|main_#1',
        'start|main_#1',
        'create|legacy#1',
        'start|legacy#1',
        "yield|legacy#1|'tick'",
        "await|main_#1|'tick'|legacy#1",
        "resume|main_#1|'tock'",
        "resume|legacy#1|'tock'",
        "return|legacy#1|'tock'",
        "return|main_#1|'tock'",
    ],
    'async_with': [
        'start|main#1',
        'start|__aenter__#1',
        'await|__aenter__#1|None',
        'await|main#1|None|__aenter__#1',
        "resume|main#1|'res'",
        'resume|__aenter__#1|None',
        "return|__aenter__#1|'res'",
        'start|__aexit__#1',
        'await|__aexit__#1|None',
        'await|main#1|None|__aexit__#1',
        'resume|main#1',
        'resume|__aexit__#1|None',
        'return|__aexit__#1|None',
        "return|main#1|'res'",
    ],
    'nested_creation': [
        'create|parent#1',
        'start|parent#1',
        'create|child#1',
        'start|child#1',
        "yield|child#1|'c'",
        "yield|parent#1|'c'",
        'resume|parent#1|None',
        'return|parent#1|None',
        'close|child#1',
    ],
    'async_gen_closed_early': [
        'start|main#1',
        'create|count#1',
        'start|count#1',
        'yield|count#1|0',
        'resume|count#1|None',
        'yield|count#1|1',
        'close|count#1',
        'return|main#1|[0, 1]',
    ],
}

FINAL_STATES: dict[str, dict[str, str]] = {
    'for_loop': {'g#1': 'CLOSED'},
    'next_send': {'acc#1': 'CLOSED'},
    'throw_caught': {'g#1': 'CLOSED'},
    'throw_uncaught': {'g#1': 'CLOSED'},
    'close_suspended': {'g#1': 'CLOSED'},
    'close_created': {'g#1': 'CLOSED'},
    'close_outside_try': {'g#1': 'CLOSED'},
    'gc_finalised': {'g#1': 'CLOSED', 'g#2': 'CLOSED'},
    'yield_from_chain': {'outer#1': 'CLOSED', 'middle#1': 'CLOSED', 'inner#1': 'CLOSED'},
    'round_robin': {'worker#1': 'CLOSED', 'worker#2': 'CLOSED'},
    'genexpr': {'<genexpr>#1': 'CLOSED'},
    'raise_first': {'g#1': 'CLOSED'},
    'two_instances': {'g#1': 'CLOSED', 'g#2': 'CLOSED'},
    'return_value': {'g#1': 'CLOSED'},
    'async_chain': {'root': 'SUSPENDED', 'main#1': 'CLOSED', 'mid#1': 'CLOSED', 'leaf#1': 'CLOSED'},
    'gather': {'root': 'SUSPENDED', 'main#1': 'CLOSED', 'work#1': 'CLOSED', 'work#2': 'CLOSED', 'Task@1': 'CLOSED', 'Task@2': 'CLOSED', '_GatheringFuture#1': 'CLOSED'},
    'queue': {'root': 'SUSPENDED', 'main#1': 'CLOSED', 'producer#1': 'CLOSED', 'producer': 'CLOSED', 'consumer#1': 'CLOSED', 'Future#1': 'CLOSED', 'Future#2': 'CLOSED', 'Future#3': 'CLOSED', 'Future#4': 'CLOSED', 'Future#5': 'CLOSED'},
    'timeout': {'root': 'SUSPENDED', 'main#1': 'CLOSED', 'slow#1': 'CLOSED', 'Future#1': 'CLOSED'},
    'cancel': {'root': 'SUSPENDED', 'main#1': 'CLOSED', 'sleeper#1': 'CLOSED', 'sleeper': 'CLOSED', 'Future#1': 'CLOSED'},
    'taskgroup': {'root': 'SUSPENDED', 'main#1': 'CLOSED', 'job#1': 'CLOSED', 'a': 'CLOSED', 'job#2': 'CLOSED', 'b': 'CLOSED', 'Future#1': 'CLOSED'},
    'async_for': {'root': 'SUSPENDED', 'main#1': 'CLOSED', 'ticks#1': 'CLOSED'},
    'asend_athrow_aclose': {'root': 'SUSPENDED', 'main#1': 'CLOSED', 'agen#1': 'CLOSED'},
    'eager_task': {'root': 'SUSPENDED', 'main#1': 'CLOSED', 'quick#1': 'CLOSED', 'quick': 'CLOSED'},
    'future': {'root': 'SUSPENDED', 'main#1': 'CLOSED', 'Future#1': 'CLOSED'},
    'types_coroutine': {'main_#1': 'CLOSED', 'legacy#1': 'CLOSED'},
    'async_with': {'root': 'SUSPENDED', 'main#1': 'CLOSED', '__aenter__#1': 'CLOSED', '__aexit__#1': 'CLOSED'},
    'nested_creation': {'parent#1': 'CLOSED', 'child#1': 'CLOSED'},
    'async_gen_closed_early': {'root': 'SUSPENDED', 'main#1': 'CLOSED', 'count#1': 'CLOSED'},
}


from asyncviz.recording.backend import names as _backend_names

BACKENDS = _backend_names()


def _applicable(name: str) -> bool:
    return name != "eager_task" or sys.version_info >= (3, 12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_exact_sequence(name, backend):
    if not _applicable(name):
        pytest.skip("eager tasks are new in 3.12")
    trace, ns = record(PROGRAMS[name], backend=backend)
    got, labels = normal_tasks(trace)
    assert got == EXPECTED[name]
    assert {labels.get(k, k): v for k, v in states(trace).items()} == FINAL_STATES[name]
    assert trace.meta["backend"] == backend
    assert not trace.truncated


def test_corpus_covers_every_kind():
    kinds = {line.split("|")[0] for lines in EXPECTED.values() for line in lines}
    assert kinds == {"create", "start", "resume", "throw", "yield", "await", "return",
                     "raise", "close", "cancel"}
    assert len(PROGRAMS) >= 25
