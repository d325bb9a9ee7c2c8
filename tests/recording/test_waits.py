"""Named waits: what each kind of await waits on reads like the call that made it.

For each wait kind a tiny program, recorded on every backend, and the exact labels of the
futures its awaits wait on (in await order), with their deadlines and members where the
record sets them.  Labels are computed at record time from the stdlib frames below the
awaiting coroutine, so each expectation is also a check of `stdlib_fields` on this Python.
"""

from __future__ import annotations

import asyncio
import os
import sys


from programs import load, record

PY = sys.version_info[:2]
MS = 1_000_000  # ns


def waits(trace) -> list[tuple[str, str]]:
    """(awaiting object, label of the future it waits on), per await, in order."""
    objs = {o.id: o for o in trace.objects}
    return [
        (objs[e.obj].label, objs[e.target].label)
        for e in trace.events
        if e.kind == "await" and e.target is not None and objs[e.target].kind == "future"
    ]


def runs(pairs: list) -> list:
    """`pairs` with consecutive repeats dropped: one call may wait more than once (each
    new future it awaits is a wait of its own: open_connection's address lookup, then its
    connect), and how often can depend on timing (communicate's reads and writes)."""
    return [p for i, p in enumerate(pairs) if i == 0 or pairs[i - 1] != p]


def future(trace, label: str):
    """The one future labelled `label`."""
    found = [o for o in trace.objects if o.kind == "future" and o.label == label]
    assert len(found) == 1, (label, [o.label for o in trace.objects])
    return found[0]


def member_labels(trace, obj) -> list[str]:
    objs = {o.id: o for o in trace.objects}
    return [objs[m].label for m in obj.members or ()]


def due_in(trace, obj, delay_ms: float) -> bool:
    """`obj`'s deadline is `delay_ms` after the timer or timeout was made: after the event
    before its await (the program ran on from there to make it) and no later than the
    await itself (0.5 ms allowed for reading the two clocks together)."""
    assert obj.deadline is not None, obj.label
    events = list(trace.events)
    i = next(i for i, e in enumerate(events) if e.kind == "await" and e.target == obj.id)
    after, before = events[i - 1].t + delay_ms * MS, events[i].t + delay_ms * MS
    ok = after - MS / 2 <= obj.deadline <= before + MS / 2
    assert ok, (obj.label, (obj.deadline - after) / MS, (obj.deadline - before) / MS)
    return ok


# -- timers, queues, locks -------------------------------------------------------------------

SLEEP = """
import asyncio
async def main():
    await asyncio.sleep(0.01)
    await asyncio.sleep(0)          # a bare yield: no future
    await asyncio.sleep(delay=0.002)
"""


def test_sleep(each_backend):
    trace, _ = record(SLEEP)
    assert waits(trace) == [("main#1", "sleep(0.01)"), ("main#1", "sleep(0.002)")]
    assert due_in(trace, future(trace, "sleep(0.01)"), 10)
    assert due_in(trace, future(trace, "sleep(0.002)"), 2)
    assert future(trace, "sleep(0.01)").members is None


ASYNC_FOR = """
import asyncio
async def countdown(n):
    while n:
        await asyncio.sleep(0.001)
        yield n
        n -= 1
async def main():
    async for x in countdown(2):
        await asyncio.sleep(0.002)
"""


def test_an_await_in_an_async_for_body_waits_on_its_own_future(each_backend):
    # the async generator's yield hands its value to the consumer: the consumer's next
    # await is on its own timer, not on the generator it just got a value from
    trace, _ = record(ASYNC_FOR)
    objs = {o.id: o for o in trace.objects}
    awaits = [
        (e.line, objs[e.target].label)
        for e in trace.events
        if e.kind == "await" and objs[e.obj].label == "main#1" and e.target is not None
    ]
    assert [label for _, label in awaits] == ["countdown#1", "sleep(0.002)"] * 2, awaits
    assert waits(trace) == [
        ("countdown#1", "sleep(0.001)"),
        ("main#1", "sleep(0.002)"),
        ("countdown#1", "sleep(0.001)"),
        ("main#1", "sleep(0.002)"),
    ]


def test_a_computed_delay_reads_as_written(each_backend):
    trace, _ = record("""
import asyncio
async def main():
    await asyncio.sleep(0.0001 * 3)  # float arithmetic says 0.00030000000000000003
    await asyncio.sleep(1.0 / 1000)
""")
    assert waits(trace) == [("main#1", "sleep(0.0003)"), ("main#1", "sleep(0.001)")]


QUEUES = """
import asyncio
async def main():
    queues = [asyncio.Queue(1), asyncio.LifoQueue(1), asyncio.PriorityQueue(1)]
    async def fill():
        for q in queues:
            await q.put(1)
            await q.put(2)      # full: waits for the get below
    t = asyncio.ensure_future(fill())
    await asyncio.sleep(0)
    for q in queues:
        await q.get()
        await q.get()           # empty until fill's second put
    await t
    q = asyncio.Queue()
    q.put_nowait(1)
    asyncio.get_running_loop().call_later(0.001, lambda: (q.get_nowait(), q.task_done()))
    await q.join()
"""


def test_queues(each_backend):
    trace, _ = record(QUEUES)
    assert waits(trace) == [
        ("fill#1", "Queue.put()"),
        ("main#1", "Queue.get()"),
        ("fill#1", "LifoQueue.put()"),
        ("main#1", "LifoQueue.get()"),
        ("fill#1", "PriorityQueue.put()"),
        ("main#1", "PriorityQueue.get()"),
        ("main#1", "Queue.join()"),
    ]


LOCKS = """
import asyncio
async def main():
    lock, sem, bsem = asyncio.Lock(), asyncio.Semaphore(1), asyncio.BoundedSemaphore(1)
    async def hold(prim):
        async with prim:
            await asyncio.sleep(0.001)
    for prim in (lock, sem, bsem):
        t = asyncio.ensure_future(hold(prim))
        await asyncio.sleep(0)
        async with prim:
            pass
        await t
"""


def test_lock_and_semaphores(each_backend):
    trace, _ = record(LOCKS)
    assert [w for w in waits(trace) if w[0] == "main#1"] == [
        ("main#1", "Lock.acquire()"),
        ("main#1", "Semaphore.acquire()"),
        ("main#1", "BoundedSemaphore.acquire()"),
    ]


EVENTS = """
import asyncio
async def main():
    ev, cond = asyncio.Event(), asyncio.Condition()
    loop = asyncio.get_running_loop()
    loop.call_later(0.001, ev.set)
    await ev.wait()
    async def notify():
        async with cond:
            cond.notify_all()
    async with cond:
        loop.call_soon(asyncio.ensure_future, notify())
        await cond.wait()
        loop.call_soon(asyncio.ensure_future, notify())
        await cond.wait_for(lambda: True)
"""


def test_event_and_condition(each_backend):
    trace, _ = record(EVENTS)
    assert [w for w in waits(trace) if w[0] == "main#1"] == [
        ("main#1", "Event.wait()"),
        ("main#1", "Condition.wait()"),
    ]


BARRIER = """
import asyncio
async def main():
    bar = asyncio.Barrier(2)
    async def party():
        await bar.wait()
    t = asyncio.ensure_future(party())
    await asyncio.sleep(0)
    await bar.wait()
    await t
"""


def test_barrier(each_backend):
    trace, _ = record(BARRIER)
    assert waits(trace) == [("party#1", "Barrier.wait()")]


# -- waits for several tasks: members --------------------------------------------------------

TASK_GROUP = """
import asyncio
async def job(d):
    await asyncio.sleep(d)
async def main():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(job(0.002), name='a')
        tg.create_task(job(0.001), name='b')
"""


def test_task_group(each_backend):
    trace, _ = record(TASK_GROUP)
    assert waits(trace)[0] == ("main#1", "TaskGroup(a, b)")
    assert member_labels(trace, future(trace, "TaskGroup(a, b)")) == ["a", "b"]
    assert future(trace, "TaskGroup(a, b)").deadline is None


GATHER = """
import asyncio
async def job(d):
    await asyncio.sleep(d)
    return round(d * 1000)
async def main():
    a = asyncio.create_task(job(0.002), name='a')
    b = asyncio.create_task(job(0.001), name='b')
    return await asyncio.gather(a, b)
"""


def test_gather(each_backend):
    trace, ns = record(GATHER)
    assert ns["result"] == [2, 1]
    assert waits(trace)[0] == ("main#1", "gather(a, b)")
    assert member_labels(trace, future(trace, "gather(a, b)")) == ["a", "b"]


WAIT = """
import asyncio
async def job(d):
    await asyncio.sleep(d)
async def main():
    ts = [asyncio.create_task(job(0.001), name='x'), asyncio.create_task(job(0.002), name='y')]
    await asyncio.wait(ts)
    ts = [asyncio.create_task(job(0.001), name='p'), asyncio.create_task(job(1), name='q')]
    done, pending = await asyncio.wait(ts, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
    for t in pending:
        t.cancel()
    for f in asyncio.as_completed([asyncio.create_task(job(0.001), name='r')]):
        await f
"""


def test_wait_and_as_completed(each_backend):
    trace, _ = record(WAIT)
    first = "wait(x, y)"
    second = "wait(p, q, timeout=0.5, return_when=FIRST_COMPLETED)"
    assert [w for w in waits(trace) if w[0] == "main#1"] == [
        ("main#1", first),
        ("main#1", second),
        ("main#1", "as_completed()"),
    ]
    assert member_labels(trace, future(trace, first)) == ["x", "y"]
    assert member_labels(trace, future(trace, second)) == ["p", "q"]
    assert future(trace, first).deadline is None
    assert due_in(trace, future(trace, second), 500)


# -- deadlines: wait_for and timeout() -------------------------------------------------------

WAIT_FOR = """
import asyncio
async def main():
    q = asyncio.Queue()
    try:
        await asyncio.wait_for(q.get(), 0.01)
    except TimeoutError:
        return 'timed out'
"""


def test_wait_for(each_backend):
    trace, ns = record(WAIT_FOR)
    assert ns["result"] == "timed out"
    label = "wait_for(Queue.get(), 0.01)"
    mine = [w for w in waits(trace) if w[0] == "main#1"]
    if PY == (3, 11):
        # 3.11's wait_for waits on a future of its own, then (timed out) for the task it
        # wrapped the coroutine in to finish being cancelled: no deadline on that one
        assert mine == [("main#1", label)] * 2
        first, second = [o for o in trace.objects if o.label == label]
        assert second.deadline is None
        assert due_in(trace, first, 10)
    else:  # 3.12+: it awaits the coroutine inside `async with timeout(0.01)`
        assert mine == [("main#1", label)]
        assert due_in(trace, future(trace, label), 10)


TIMEOUT = """
import asyncio
async def main():
    q = asyncio.Queue()
    try:
        async with asyncio.timeout(0.01):
            await q.get()
    except TimeoutError:
        pass
    async with asyncio.timeout(1.0):
        async with asyncio.timeout(0.5):
            await asyncio.sleep(0.001)
    await asyncio.sleep(0.001)  # outside any timeout again
"""


def test_timeout(each_backend):
    trace, _ = record(TIMEOUT)
    inner = "sleep(0.001) in timeout(0.5) in timeout(1.0)"
    assert waits(trace) == [
        ("main#1", "Queue.get() in timeout(0.01)"),
        ("main#1", inner),
        ("main#1", "sleep(0.001)"),
    ]
    assert due_in(trace, future(trace, "Queue.get() in timeout(0.01)"), 10)
    assert due_in(trace, future(trace, inner), 1)  # the sleep's: the earliest


SHIELD = """
import asyncio
async def job():
    await asyncio.sleep(0.001)
    return 1
async def main():
    q = asyncio.Queue()
    asyncio.get_running_loop().call_later(0.001, q.put_nowait, 2)
    return await asyncio.shield(job()) + await asyncio.shield(q.get())
"""


def test_shield(each_backend):
    trace, ns = record(SHIELD)
    assert ns["result"] == 3
    # shield() wraps the coroutine in a task: the wait names that task by its label
    job = next(o for o in trace.objects if o.label == "job#1")
    task = next(o for o in trace.objects if o.kind == "task" and o.coro == job.id)
    assert [w for w in waits(trace) if w[0] == "main#1"] == [
        ("main#1", f"shield({task.label})"),
        ("main#1", "shield(Queue.get())"),
    ]
    assert member_labels(trace, future(trace, f"shield({task.label})")) == [task.label]


THREADS = """
import asyncio, functools, time
def work(n=1):
    time.sleep(0.001)
    return n
async def main():
    loop = asyncio.get_running_loop()
    a = await asyncio.to_thread(work)
    b = await loop.run_in_executor(None, work)
    c = await loop.run_in_executor(None, functools.partial(work, 2))
    return a + b + c
"""


def test_threads(each_backend):
    trace, ns = record(THREADS)
    assert ns["result"] == 4
    assert waits(trace) == [
        ("main#1", "to_thread(work)"),
        ("main#1", "run_in_executor(work)"),
        ("main#1", "run_in_executor(work)"),
    ]


# -- streams, connections, subprocesses ------------------------------------------------------

STREAMS = """
import asyncio
async def serve(reader, writer):
    await reader.read(100)
    for piece in (b'hello\\n', b'world', b'!xyz'):
        writer.write(piece)
        await asyncio.sleep(0.005)  # each piece arrives after the client waits for it
    writer.close()
async def main():
    server = await asyncio.start_server(serve, '127.0.0.1', 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    writer.write(b'go')
    line = await reader.readline()
    word = await reader.readexactly(5)
    rest = await reader.readuntil(b'z')
    tail = await reader.read()
    writer.close()
    await writer.wait_closed()
    server.close()
    return port, line, word, rest, tail
"""


def test_streams(each_backend):
    trace, ns = record(STREAMS)
    port, *data = ns["result"]
    assert data == [b"hello\n", b"world", b"!xyz", b""]
    assert runs([label for who, label in waits(trace) if who == "main#1"]) == [
        "start_server('127.0.0.1', 0)",
        f"open_connection('127.0.0.1', {port})",  # the address lookup, then the connect
        "StreamReader.readline()",
        "StreamReader.readexactly(5)",
        "StreamReader.readuntil(b'z')",
        "StreamReader.read()",
        "StreamWriter.wait_closed()",
    ]
    assert [label for who, label in waits(trace) if who == "serve#1"][0] == (
        "StreamReader.read(100)"
    )


DRAIN = """
import asyncio
async def main():
    got = asyncio.Queue()
    async def serve(reader, writer):
        await asyncio.sleep(0.01)  # the client's write fills the socket meanwhile
        got.put_nowait(len(await reader.readexactly(1 << 24)))
        writer.close()
    server = await asyncio.start_server(serve, '127.0.0.1', 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    writer.write(bytes(1 << 24))
    await writer.drain()
    n = await got.get()
    writer.close()
    server.close()
    return n
"""


def test_drain(each_backend):
    trace, ns = record(DRAIN)
    assert ns["result"] == 1 << 24
    mine = [label for who, label in waits(trace) if who == "main#1"]
    assert "StreamWriter.drain()" in mine
    assert mine[-1] == "Queue.get()" or mine[-2:] == ["StreamWriter.drain()", "Queue.get()"]


CONNECT = """
import asyncio, socket
async def main():
    loop = asyncio.get_running_loop()
    server = await asyncio.start_server(lambda r, w: w.close(), '127.0.0.1', 0)
    port = server.sockets[0].getsockname()[1]
    await loop.getaddrinfo('127.0.0.1', port)
    transport, _ = await loop.create_connection(asyncio.Protocol, '127.0.0.1', port)
    transport.close()
    sock = socket.socket()
    sock.setblocking(False)
    await loop.sock_connect(sock, ('127.0.0.1', port))
    sock.close()
    server.close()
    await server.wait_closed()
    return port
"""


def test_connections(each_backend):
    trace, port = record(CONNECT)
    port = port["result"]
    expected = [
        "start_server('127.0.0.1', 0)",
        f"loop.getaddrinfo('127.0.0.1', {port})",
        f"loop.create_connection('127.0.0.1', {port})",  # its lookup, then its connect
        f"loop.sock_connect(('127.0.0.1', {port}))",
    ]
    if PY >= (3, 12):  # 3.11's wait_closed() returns at once with no connection open
        expected.append("Server.wait_closed()")
    assert runs([label for _who, label in waits(trace)]) == expected


SUBPROCESS = """
import asyncio, sys
async def main():
    p = await asyncio.create_subprocess_exec(
        sys.executable, '-c', 'import sys; print(sys.stdin.read().upper())',
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    out, _ = await p.communicate(b'hi')
    q = await asyncio.create_subprocess_exec(sys.executable, '-c', 'pass')
    await q.wait()
    return out.strip(), p.returncode, q.returncode
"""


def test_subprocess(each_backend):
    trace, ns = record(SUBPROCESS)
    assert ns["result"] == (b"HI", 0, 0)
    name = os.path.basename(sys.executable)
    assert runs(waits(trace)) == [
        ("main#1", f"create_subprocess_exec({name!r}, …)"),
        ("main#1", "Process.communicate()"),
        ("main#1", f"create_subprocess_exec({name!r}, …)"),
        ("main#1", "Process.wait()"),
    ]


# -- futures nothing names -------------------------------------------------------------------

PLAIN = """
import asyncio
async def main():
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    loop.call_later(0.001, f.set_result, 1)
    return await f
"""


def test_plain_future(each_backend):
    trace, ns = record(PLAIN)
    assert ns["result"] == 1
    assert waits(trace) == [("main#1", "Future#1 (line 7)")]
    assert future(trace, "Future#1 (line 7)").deadline is None


# -- the table of private stdlib fields, on this Python ---------------------------------------


def _instances() -> dict:
    """A live instance of each class the table reads a field of, C and pure-Python kinds
    where asyncio has both (a Field entry must read on each)."""
    import asyncio.taskgroups
    import asyncio.timeouts
    from asyncio import events, futures, tasks

    loop = asyncio.new_event_loop()
    out: dict = {"TimerHandle": [loop.call_later(5, print)]}

    async def idle():
        await asyncio.sleep(0)

    coros = [idle(), idle()]
    out["Task"] = [tasks._CTask(coros[0], loop=loop), tasks._PyTask(coros[1], loop=loop)]
    gathered = [loop.create_future(), futures._PyFuture(loop=loop)]
    out["_GatheringFuture"] = [tasks._GatheringFuture(gathered, loop=loop)]
    group = asyncio.taskgroups.TaskGroup()
    out["TaskGroup"] = [group]
    out["Timeout"] = [asyncio.timeouts.Timeout(loop.time() + 5)]
    out["_State"] = [asyncio.timeouts._State]
    assert isinstance(out["TimerHandle"][0], events.TimerHandle)
    return {"loop": loop, "tasks": out["Task"], "by_owner": out}


def test_every_field_of_the_table_reads_on_this_python():
    """A renamed private field fails here, not silently in a label."""
    from asyncviz.recording import stdlib_fields
    from asyncviz.recording.stdlib_fields import Code, Field

    made = _instances()
    try:
        for key, entry in stdlib_fields.FIELDS.items():
            if not isinstance(entry, Field):
                continue
            if entry.owner == "_State":  # enum members, read from the class
                assert stdlib_fields.class_constant(key) is not None, key
                continue
            for obj in made["by_owner"][entry.owner]:
                missing = object()
                value = stdlib_fields.read(obj, key, missing)
                if key == "Timeout._task":  # unset until entered: the attribute exists
                    assert value is None, key
                else:
                    assert value is not missing and value is not None, (key, type(obj))
        assert sum(isinstance(e, Code) for e in stdlib_fields.FIELDS.values()) > 30
    finally:
        for task in made["tasks"]:
            task.cancel()
        loop = made["loop"]
        loop.run_until_complete(asyncio.gather(*made["tasks"], return_exceptions=True))
        made["loop"].close()


def test_every_code_of_the_table_exists_with_its_locals():
    """Each stdlib function the table names exists on this Python, and the locals read
    from its frame are its own (parameters or variables): a rename fails here."""
    from asyncviz.recording import stdlib_fields
    from asyncviz.recording.stdlib_fields import Code

    for key, entry in stdlib_fields.FIELDS.items():
        if not isinstance(entry, Code):
            continue
        code = stdlib_fields.code_of(entry)
        assert code is not None, key
        # found under its own name (the pure-Python Future is futures._PyFuture)
        assert code.co_qualname.rpartition(".")[2] == entry.qualname.rpartition(".")[2], key
        names = set(code.co_varnames) | set(code.co_cellvars)
        assert set(entry.names) <= names, (key, set(entry.names) - names)


def test_the_table_is_per_version():
    from asyncviz.recording import stdlib_fields

    assert set(stdlib_fields.TABLES) == {(3, 11), (3, 12), (3, 13)}
    assert stdlib_fields.FIELDS is stdlib_fields.TABLES[PY]
    assert stdlib_fields.table((3, 99)) is stdlib_fields.TABLES[(3, 13)]


# -- pure-Python futures and tasks ------------------------------------------------------------

PY_FUTURES = """
import asyncio
from asyncio import futures, tasks
async def job():
    await asyncio.sleep(0.001)
    return 1
async def main():
    loop = asyncio.get_running_loop()
    f = futures._PyFuture(loop=loop)
    loop.call_later(0.001, f.set_result, 2)
    a = tasks._PyTask(job(), loop=loop, name='a')
    b = tasks._PyTask(job(), loop=loop, name='b')
    return await f + sum(await asyncio.gather(a, b))
"""


def test_pure_python_futures_and_tasks(each_backend):
    """The pure-Python Future's own __await__ generator is seen through; _PyTask's fields
    read like the C Task's."""
    trace, ns = record(PY_FUTURES)
    assert ns["result"] == 4
    assert [w for w in waits(trace) if w[0] == "main#1"] == [
        ("main#1", "Future#1 (line 13)"),
        ("main#1", "gather(a, b)"),
    ]
    assert member_labels(trace, future(trace, "gather(a, b)")) == ["a", "b"]


# -- naming runs nothing of the program -------------------------------------------------------

SPY = """
import asyncio
calls = []
class Spy(asyncio.Future):
    def __repr__(self):
        calls.append('repr')
        raise RuntimeError('repr')
    def __getattr__(self, name):
        calls.append(name)
        raise AttributeError(name)
    @property
    def _children(self):
        calls.append('_children')
        return []
def work():
    return 2
async def main():
    loop = asyncio.get_running_loop()
    f = Spy(loop=loop)
    loop.call_later(0.001, f.set_result, 1)
    await f
    await loop.run_in_executor(None, work)
    return list(calls)
"""


def test_naming_runs_no_program_code(each_backend):
    trace, ns = record(SPY)
    assert ns["result"] == []
    import asyncio as aio

    plain = load(SPY)
    assert aio.run(plain["main"]()) == []  # the same untraced
    assert waits(trace) == [("main#1", "Spy#1 (line 21)"), ("main#1", "run_in_executor(work)")]


def test_many_children_are_counted():
    from asyncviz.recording.waits import group_text

    assert group_text(["a", "b", "c", "d"]) == "a, b, c, d"
    assert group_text([f"fetch#{i}" for i in range(1, 2001)]) == "fetch ×2000"
    assert group_text(["a#1", "a#2", "b", "c"] + [f"d#{i}" for i in range(3)]) == (
        "a ×2, b, c, d ×3"
    )
    many = [f"Task-{i}" for i in range(1, 2001)]
    assert group_text(many) == "Task-1, Task-2, Task-3, Task-4, … 2000 in all"


def test_a_failing_namer_never_reaches_the_program(each_backend, monkeypatch):
    """Whatever goes wrong while naming, the program runs as untraced and the wait keeps
    its plain name."""
    from asyncviz.recording import waits as waits_module

    def broken(*args, **kwargs):
        raise AttributeError("broken namer")

    monkeypatch.setattr(waits_module.Waits, "future", broken)
    monkeypatch.setattr(waits_module.Waits, "returned", broken)
    trace, ns = record(TIMEOUT.replace("pass", "return 'timed out'", 1))
    assert ns["result"] == "timed out"
    assert [e.kind for e in trace.events if e.kind == "raise"] == []
    assert [label for _who, label in waits(trace)] == ["Future#1 (line 7)"]
