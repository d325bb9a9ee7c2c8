"""The two notebooks the kernel tests run, one kernel each (≈ 2 s to start).

`MAIN`: cells that are independent cases, each named by a `# case: NAME` line (first or
right after the magic) and looked up by name, so that a failure names its cell; the
comments say which test module reads them.  Order matters where a comment says so.
`INTERRUPTS`: cells that loop until they are interrupted by a real SIGINT.
"""

from __future__ import annotations

TRACE_PROBE = """print(json.dumps({"labels": [o.label for o in _asynctrace.objects],
                  "n": len(_asynctrace.events)}))
"""

HOOKS_PROBE = r"""
import asyncio, builtins, json, sys
_loop = asyncio.get_running_loop()
print(json.dumps({
    "tools": [sys.monitoring.get_tool(i) for i in range(6)] if hasattr(sys, "monitoring") else None,
    "trace": repr(sys.gettrace()), "profile": repr(sys.getprofile()),
    "factory": repr(_loop.get_task_factory()),
    "create_task_patched": "create_task" in vars(_loop),
    "avz_on": getattr(builtins, "__avz_on__", False),
}))
"""

MAIN = [
    # -- setup; hooks_before: test_extension.py --------------------------------------------
    """# case: setup
%load_ext asyncviz
import asyncio, json, sys, asyncviz
kernel_loop = id(asyncio.get_running_loop())
side = []
await asyncio.sleep(0)
""",
    "# case: hooks_before" + HOOKS_PROBE,
    """# case: gen_def
def echo():
    received = yield 'ready'
    while True:
        received = yield received
""",
    # -- test_cell.py: a sync cell ---------------------------------------------------------
    """%%asynctrace --view summary
# case: sync
g = echo()
first = next(g)
g.send('A')
""",
    """# case: sync_probe
print(json.dumps({"events": [[e.kind, e.value] for e in _asynctrace.events],
                  "labels": [o.label for o in _asynctrace.objects], "first": first}))
""",
    # -- test_cell.py: top-level await; semicolon: test_transform.py -----------------------
    """%%asynctrace
# case: await
async def double(x):
    await asyncio.sleep(0)
    return 2 * x

await asyncio.sleep(0)
cell_loop = id(asyncio.get_running_loop())
answer = await double(21)
answer
""",
    """# case: await_probe
t = _asynctrace
print(json.dumps({"same_loop": cell_loop == kernel_loop, "answer": answer,
                  "double": callable(double),
                  "events": [[e.kind, t.objects[e.obj].label] for e in t.events]}))
""",
    """%%asynctrace --view none
# case: semicolon
await double(5);
""",
    # -- test_cell_coroutine.py: the cell is a coroutine; labels of two runs; its cancel -----
    """%%asynctrace --view none
# case: cell_coro
def numbers():
    yield 1
async def tick():
    await asyncio.sleep(0)
first = sum(numbers())
await asyncio.sleep(0)
ticking = asyncio.create_task(tick())
y = await double(21)
await ticking
y + first
""",
    """# case: cell_coro_probe
t = _asynctrace
c = [o for o in t.objects if o.label == "cell"][0]
print(json.dumps({"cell": [c.kind, c.name, c.id],
                  "cell_events": [[e.kind, e.value] for e in t.events if e.obj == c.id],
                  "parents": {o.label: o.parent for o in t.objects
                              if o.kind != "task" and o.label != "cell"},
                  "tasks": [[o.label, o.parent, t.objects[o.coro].label]
                            for o in t.objects if o.kind == "task"]}))
""",
    """%%asynctrace --view none --out twice1
# case: twice1
async def sleeper():
    await asyncio.sleep(10)
s = asyncio.create_task(sleeper())
await asyncio.sleep(0)
s.cancel("bye")
try:
    await s
except asyncio.CancelledError:
    pass
""",
    """%%asynctrace --view none --out twice2
# case: twice2
async def sleeper():
    await asyncio.sleep(10)
s = asyncio.create_task(sleeper())
await asyncio.sleep(0)
s.cancel("bye")
try:
    await s
except asyncio.CancelledError:
    pass
""",
    """# case: twice_probe
_c = [e for e in twice2.events if e.kind == "cancel"][0]
print(json.dumps({"first": [[o.kind, o.label] for o in twice1.objects],
                  "second": [[o.kind, o.label] for o in twice2.objects],
                  "cancel": [_c.value, twice2.objects[_c.target].label
                             if _c.target is not None else None]}))
""",
    # -- test_thread.py, before any cell applies nest_asyncio2 -----------------------------
    """%%asynctrace --thread
# case: thread_run
async def tmain():
    await asyncio.sleep(0)
    return id(asyncio.get_running_loop())

thread_loop = asyncio.run(tmain())
print("thread loop is kernel loop:", thread_loop == kernel_loop)
""",
    """# case: thread_run_probe
print(json.dumps({"labels": [o.label for o in _asynctrace.objects],
                  "kinds": [e.kind for e in _asynctrace.events],
                  "patched": bool(getattr(asyncio.get_running_loop(), "_nest_patched", False))}))
""",
    """%%asynctrace --thread
# case: thread_await
async def twice(x):
    await asyncio.sleep(0)
    return 2 * x

thread_loop2 = id(asyncio.get_running_loop())
await twice(4)
""",
    """# case: thread_await_probe
print(json.dumps({"labels": [o.label for o in _asynctrace.objects],
                  "kinds": [e.kind for e in _asynctrace.events],
                  "other_loop": thread_loop2 != kernel_loop,
                  "patched": bool(getattr(asyncio.get_running_loop(), "_nest_patched", False))}))
""",
    """%%asynctrace --thread
# case: thread_error
def thread_fails():
    raise KeyError('in the worker')
thread_fails()
""",
    # -- test_cell.py: an error; plain_error: test_extension.py ----------------------------
    """%%asynctrace
# case: error
async def fails():
    await asyncio.sleep(0)
    raise ValueError('broken on purpose')
await fails()
""",
    """# case: error_probe
t = _asynctrace
print(json.dumps({"events": [[e.kind, t.objects[e.obj].label, e.value] for e in t.events]}))
""",
    """# case: plain_error
def plain_gen():
    yield 1
    raise ValueError('untraced, in a generator')
list(plain_gen())
""",
    # -- test_cell.py: KeyboardInterrupt raised by the cell --------------------------------
    """%%asynctrace
# case: kbint
def counter():
    n = 0
    while True:
        n += 1
        yield n
c = counter()
next(c); next(c)
raise KeyboardInterrupt
""",
    """# case: kbint_probe
print(json.dumps({"kinds": [e.kind for e in _asynctrace.events],
                  "labels": [o.label for o in _asynctrace.objects]}))
""",
    # -- test_options.py: bad options ------------------------------------------------------
    "%%asynctrace --view nope\n# case: bad_view\nside.append('view')\n",
    "%%asynctrace --max-events -3\n# case: bad_max\nside.append('max')\n",
    "%%asynctrace --bogus\n# case: bad_flag\nside.append('bogus')\n",
    "%%asynctrace --save trace.xyz\n# case: bad_save\nside.append('save')\n",
    "%%asynctrace --out 1abc\n# case: bad_out\nside.append('out')\n",
    """# case: bad_probe
print(json.dumps({"side": side}))
""",
    # -- test_cell.py: a trace inside a traced cell ----------------------------------------
    """%%asynctrace
# case: nested
def gen3():
    yield 1
    yield 2
it3 = gen3()
next(it3)
with asyncviz.trace():
    next(it3)
""",
    """# case: nested_probe
print(json.dumps({"kinds": [e.kind for e in _asynctrace.events],
                  "labels": [o.label for o in _asynctrace.objects]}))
""",
    """%%asynctrace
# case: nested_caught
it4 = gen3()
next(it4)
try:
    with asyncviz.trace():
        pass
except asyncviz.TraceError as e:
    nested_message = str(e)
get_ipython().run_cell("%%asynctrace\\nside.append('inner')")
next(it4)
""",
    """# case: nested_caught_probe
print(json.dumps({"kinds": [e.kind for e in _asynctrace.events],
                  "values": [e.value for e in _asynctrace.events],
                  "message": nested_message, "side": side}))
""",
    # -- test_display.py: --out, --save, views; test_options.py: --max-events, --exclude ---
    """%%asynctrace --out mytrace --save saved.avz --save "saved copy.txt" --no-values --view none
# case: options
it5 = echo()
next(it5)
it5.send('secret')
""",
    """# case: options_probe
loaded = asyncviz.load('saved.avz')
import os
print(json.dumps({"same": mytrace is _asynctrace, "n": len(mytrace.events),
                  "loaded_n": len(loaded.events),
                  "loaded_kinds": [e.kind for e in loaded.events],
                  "values": [e.value for e in mytrace.events],
                  "txt": os.path.exists('saved copy.txt')}))
""",
    """%%asynctrace --max-events 30 --view summary
# case: max_events
def many():
    for i in range(50):
        yield i
total = sum(many())
""",
    """# case: max_events_probe
print(json.dumps({"truncated": _asynctrace.truncated, "n": len(_asynctrace.events),
                  "objects": len(_asynctrace.objects), "total": total}))
""",
    """%%asynctrace --exclude "*ipykernel_*" --view none
# case: exclude
list(gen3())
""",
    """# case: exclude_probe
print(json.dumps({"kinds": sorted({o.kind for o in _asynctrace.objects})}))
""",
    """%%asynctrace --view states
# case: view_states
list(gen3())
""",
    """%%asynctrace --view all
# case: view_all
list(gen3())
""",
    # the links a widget made in the browser: both ends share the link's id as link_id
    """# case: view_all_probe
from ipywidgets.widgets.widget import _instances
print(json.dumps(sorted([l.source[1], l.source[0].model_id, l.target[0].model_id]
                        for w in list(_instances.values()) for l in getattr(w, "links", ())
                        if l.source[0].link_id == l.target[0].link_id == l.id != "")))
""",
    # -- test_options.py: help -------------------------------------------------------------
    ("help", "%asynctrace?"),
    # -- test_nest.py: asyncio.run(), nest_asyncio2 said once; the export directory --------
    """%%asynctrace
# case: run1
async def main():
    await asyncio.sleep(0)
    return 'done'

asyncio.run(main())
""",
    """# case: run1_probe
t = _asynctrace
print(json.dumps({"files": sorted({o.filename for o in t.objects if o.filename}),
                  "cell_file": main.__code__.co_filename,
                  "objects": [[o.kind, o.name, o.label] for o in t.objects],
                  "events": [[e.kind, t.objects[e.obj].label] for e in t.events]}))
""",
    """%%asynctrace
# case: run2
async def main2():
    await asyncio.sleep(0.001)
    return 'done again'

asyncio.get_event_loop().run_until_complete(main2())
""",
    """# case: run2_probe
t = _asynctrace
print(json.dumps({"files": sorted({o.filename for o in t.objects if o.filename}),
                  "cell_file": main2.__code__.co_filename,
                  "objects": [[o.kind, o.name, o.label] for o in t.objects]}))
""",
    # -- test_cell_coroutine.py: run_until_complete on a new loop (nest_asyncio2 applied) --
    """%%asynctrace --view none
# case: ruc_new_loop
async def main3():
    await asyncio.sleep(0)
    return 'new loop'

new_loop = asyncio.new_event_loop()
try:
    out3 = new_loop.run_until_complete(main3())
finally:
    new_loop.close()
out3
""",
    """# case: ruc_new_loop_probe
from asyncviz.analysis.timeline import timeline_of
t = _asynctrace
print(json.dumps({"tasks": [[o.label, t.objects[o.parent].label, t.objects[o.coro].label]
                            for o in t.objects if o.kind == "task"],
                  "lanes": [[l.kind, l.label] for l in timeline_of(t).lanes]}))
""",
    # -- test_extension.py: %reset, then the kernel as found (last) ------------------------
    "# case: reset\n%reset -f\n",
    """%%asynctrace --view none
# case: after_reset
def gen5():
    yield 5
list(gen5())
""",
    "# case: hooks_after" + HOOKS_PROBE,
]


# test_interrupts.py
INTERRUPTS = [
    """# case: setup
%load_ext asyncviz
import asyncio, json, sys, time, asyncviz
""",
    "# case: hooks_before" + HOOKS_PROBE,
    """%%asynctrace
# case: await_loop
async def spin():
    while True:
        await asyncio.sleep(0.01)
print("spinning", flush=True)
await spin()
""",
    "# case: await_loop_probe\n" + TRACE_PROBE,
    """%%asynctrace
# case: sync_loop
def ticks():
    while True:
        yield
t = ticks()
print("ticking", flush=True)
while True:
    next(t)
    time.sleep(0.005)
""",
    "# case: sync_loop_probe\n" + TRACE_PROBE,
    """%%asynctrace --thread
# case: thread_loop
async def tspin():
    while True:
        await asyncio.sleep(0.01)
print("thread spinning", flush=True)
await tspin()
""",
    "# case: thread_loop_probe\n" + TRACE_PROBE,
    "# case: hooks_after" + HOOKS_PROBE,
]
