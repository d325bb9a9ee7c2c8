"""%%asynctrace in a real ipykernel, driven by nbclient: the cell behaves as without the
magic, the trace is recorded, bound, shown and saved, and nothing is left behind.

Two kernels per run (each ≈ 2 s to start): `main` runs one notebook whose cells are
independent cases (named by a `# case: NAME` line, first or right after the magic, and
looked up by name, so a failure names its cell); `interrupts` sends real SIGINTs (each
after its cell has printed that it is looping; a missed interrupt times out in 20 s).  The kernel is this interpreter
(sys.executable), as scripts/run_workshop.py does it, whatever kernel specs are installed.
"""
from __future__ import annotations

import asyncio
import importlib.util
import base64
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

pytestmark = pytest.mark.kernel

REPO = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NEST_NOTE = ("asyncviz: enabled nest_asyncio2 so asyncio.run() works inside the kernel's "
             "running loop (use --thread to avoid patching)")


def _runner_module():
    spec = importlib.util.spec_from_file_location(
        "asyncviz_run_workshop", REPO / "scripts" / "run_workshop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- running


class Ran:
    """An executed notebook: cells by case name, execute replies by case name."""

    def __init__(self, nb, replies, seconds):
        self.nb = nb
        self.replies = replies
        self.seconds = seconds
        self.cells = {}
        for i, cell in enumerate(nb.cells):
            name = cell.metadata.get("case") or _case_name(cell.source) or f"#{i}"
            assert name not in self.cells, f"two cells are named {name}"
            self.cells[name] = cell
            cell.metadata["index"] = i

    def cell(self, name):
        return self.cells[name]

    def reply(self, name):
        return self.replies.get(self.cells[name].metadata["index"], {}).get("content", {})


def _case_name(source: str) -> str | None:
    lines = source.splitlines()
    for line in lines[:2]:  # after a %%asynctrace line, or first
        m = re.match(r"#\s*case:\s*(\S+)", line)
        if m:
            return m.group(1)
    return None


def run_notebook(sources, workdir: Path, *, env=None, interrupt=None, timeout=60) -> Ran:
    """Run `sources` as cells in one fresh kernel.  A source is the cell's text (named by
    a `# case: NAME` line) or a (NAME, text) pair.  `interrupt`: {case name: text}: while
    that cell runs, once `text` has appeared in its stdout, wait 0.5 s and interrupt."""
    runner = _runner_module()
    nb = nbformat.v4.new_notebook()
    for source in sources:
        name, source = source if isinstance(source, tuple) else (None, source)
        cell = nbformat.v4.new_code_cell(source)
        if name:
            cell.metadata["case"] = name
        nb.cells.append(cell)
    replies = {}
    client = nbclient.NotebookClient(
        nb, kernel_manager_class=runner.ThisPythonKernelManager,
        kernel_name=runner.KERNEL_NAME, timeout=timeout, allow_errors=True,
        resources={"metadata": {"path": str(workdir)}})

    def on_cell_executed(cell, cell_index, execute_reply, **_):
        replies[cell_index] = execute_reply

    client.on_cell_executed = on_cell_executed
    kernel_env = dict(os.environ)
    kernel_env["IPYTHONDIR"] = str(workdir / ".ipython")
    kernel_env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + kernel_env.get("PATH", "")
    kernel_env.pop("PYTHONSTARTUP", None)
    kernel_env.pop("ASYNCVIZ_EXPORT_DIR", None)
    kernel_env.update(env or {})
    interrupt = interrupt or {}

    async def interrupter(cell, text):
        while text not in _stream(cell, "stdout"):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        await client.km.interrupt_kernel()

    async def go():
        async with client.async_setup_kernel(env=kernel_env):
            for i, cell in enumerate(nb.cells):
                name = cell.metadata.get("case") or _case_name(cell.source)
                task = None
                if name in interrupt:
                    task = asyncio.ensure_future(interrupter(cell, interrupt[name]))
                try:
                    await client.async_execute_cell(cell, i)
                finally:
                    if task is not None:
                        task.cancel()

    t0 = time.perf_counter()
    asyncio.run(go())
    return Ran(nb, replies, time.perf_counter() - t0)


# ---------------------------------------------------------------------------- outputs


def _stream(cell, name="stdout") -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == name)


def stdout(cell) -> str:
    return _stream(cell, "stdout")


def stderr(cell) -> str:
    return _stream(cell, "stderr")


def errors(cell) -> list:
    return [o for o in cell.outputs if o.output_type == "error"]


def displays(cell) -> list:
    return [o for o in cell.outputs if o.output_type == "display_data"]


def result(cell):
    out = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(out) <= 1
    return out[0]["data"]["text/plain"] if out else None


def probe(cell) -> dict:
    """The JSON a probe cell printed as its last stdout line."""
    assert not errors(cell), describe(cell)
    lines = stdout(cell).strip().splitlines()
    assert lines, describe(cell)
    return json.loads(lines[-1])


def traceback_text(err) -> str:
    return ANSI.sub("", "\n".join(err["traceback"]))


def describe(cell) -> str:
    parts = [f"cell:\n{cell.source}\noutputs:"]
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            parts.append(f"  [{o.name}] {o.text!r}")
        elif o.output_type == "error":
            parts.append(f"  [error] {o.ename}: {o.evalue}\n" + traceback_text(o))
        else:
            parts.append(f"  [{o.output_type}] {dict(o.get('data', {})).get('text/plain')!r}")
    return "\n".join(parts)


WIDGET = "application/vnd.jupyter.widget-view+json"


def summary_shown(cell) -> dict:
    """The one display of a traced cell, by default the timeline widget: its bundle also
    carries the summary as text/plain and the timeline as image/png, for readers without
    a kernel (exported notebooks, GitHub)."""
    shown = displays(cell)
    assert len(shown) == 1, f"expected one display\n{describe(cell)}"
    data = shown[0]["data"]
    assert WIDGET in data and "text/plain" in data and "image/png" in data, describe(cell)
    assert base64.b64decode(data["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def table_shown(cell) -> dict:
    """The one summary-table display (--view summary)."""
    shown = displays(cell)
    assert len(shown) == 1, f"expected one summary display\n{describe(cell)}"
    data = shown[0]["data"]
    assert "text/plain" in data and "text/html" in data, describe(cell)
    assert "<table" in data["text/html"] or "no generator" in data["text/html"], data
    return data


def one_usage_error(cell, *words):
    """A bad option: one stderr line 'UsageError: ...', nothing else shown."""
    assert not errors(cell), describe(cell)
    assert not displays(cell) and result(cell) is None, describe(cell)
    text = stderr(cell).strip()
    assert "\n" not in text and text.startswith("UsageError: "), describe(cell)
    for w in words:
        assert w in text, describe(cell)
    assert stdout(cell) == "", describe(cell)


# -------------------------------------------------------------------------- notebooks

TRACE_PROBE = '''print(json.dumps({"labels": [o.label for o in _asynctrace.objects],
                  "n": len(_asynctrace.events)}))
'''

HOOKS_PROBE = r'''
import asyncio, builtins, json, sys
_loop = asyncio.get_running_loop()
print(json.dumps({
    "tools": [sys.monitoring.get_tool(i) for i in range(6)] if hasattr(sys, "monitoring") else None,
    "trace": repr(sys.gettrace()), "profile": repr(sys.getprofile()),
    "factory": repr(_loop.get_task_factory()),
    "create_task_patched": "create_task" in vars(_loop),
    "avz_on": getattr(builtins, "__avz_on__", False),
}))
'''

MAIN = [
    # -- setup ------------------------------------------------------------------------
    '''# case: setup
%load_ext asyncviz
import asyncio, json, sys, asyncviz
kernel_loop = id(asyncio.get_running_loop())
side = []
await asyncio.sleep(0)
''',
    "# case: hooks_before" + HOOKS_PROBE,
    '''# case: gen_def
def echo():
    received = yield 'ready'
    while True:
        received = yield received
''',
    # -- 1. a sync cell -------------------------------------------------------------------
    '''%%asynctrace --view summary
# case: sync
g = echo()
first = next(g)
g.send('A')
''',
    '''# case: sync_probe
print(json.dumps({"events": [[e.kind, e.value] for e in _asynctrace.events],
                  "labels": [o.label for o in _asynctrace.objects], "first": first}))
''',
    # -- 2. top-level await -------------------------------------------------------------
    '''%%asynctrace
# case: await
async def double(x):
    await asyncio.sleep(0)
    return 2 * x

await asyncio.sleep(0)
cell_loop = id(asyncio.get_running_loop())
answer = await double(21)
answer
''',
    '''# case: await_probe
t = _asynctrace
print(json.dumps({"same_loop": cell_loop == kernel_loop, "answer": answer,
                  "double": callable(double),
                  "events": [[e.kind, t.objects[e.obj].label] for e in t.events]}))
''',
    '''%%asynctrace --view none
# case: semicolon
await double(5);
''',
    # -- 4. --thread (before any cell applies nest_asyncio2) ------------------------------
    '''%%asynctrace --thread
# case: thread_run
async def tmain():
    await asyncio.sleep(0)
    return id(asyncio.get_running_loop())

thread_loop = asyncio.run(tmain())
print("thread loop is kernel loop:", thread_loop == kernel_loop)
''',
    '''# case: thread_run_probe
print(json.dumps({"labels": [o.label for o in _asynctrace.objects],
                  "kinds": [e.kind for e in _asynctrace.events],
                  "patched": bool(getattr(asyncio.get_running_loop(), "_nest_patched", False))}))
''',
    '''%%asynctrace --thread
# case: thread_await
async def twice(x):
    await asyncio.sleep(0)
    return 2 * x

thread_loop2 = id(asyncio.get_running_loop())
await twice(4)
''',
    '''# case: thread_await_probe
print(json.dumps({"labels": [o.label for o in _asynctrace.objects],
                  "kinds": [e.kind for e in _asynctrace.events],
                  "other_loop": thread_loop2 != kernel_loop,
                  "patched": bool(getattr(asyncio.get_running_loop(), "_nest_patched", False))}))
''',
    '''%%asynctrace --thread
# case: thread_error
def thread_fails():
    raise KeyError('in the worker')
thread_fails()
''',
    # -- 5. an error ----------------------------------------------------------------------
    '''%%asynctrace
# case: error
async def fails():
    await asyncio.sleep(0)
    raise ValueError('broken on purpose')
await fails()
''',
    '''# case: error_probe
t = _asynctrace
print(json.dumps({"events": [[e.kind, t.objects[e.obj].label, e.value] for e in t.events]}))
''',
    '''# case: plain_error
def plain_gen():
    yield 1
    raise ValueError('untraced, in a generator')
list(plain_gen())
''',
    # -- 6. KeyboardInterrupt raised by the cell -----------------------------------------
    '''%%asynctrace
# case: kbint
def counter():
    n = 0
    while True:
        n += 1
        yield n
c = counter()
next(c); next(c)
raise KeyboardInterrupt
''',
    '''# case: kbint_probe
print(json.dumps({"kinds": [e.kind for e in _asynctrace.events],
                  "labels": [o.label for o in _asynctrace.objects]}))
''',
    # -- 7. bad options -------------------------------------------------------------------
    "%%asynctrace --view nope\n# case: bad_view\nside.append('view')\n",
    "%%asynctrace --max-events -3\n# case: bad_max\nside.append('max')\n",
    "%%asynctrace --bogus\n# case: bad_flag\nside.append('bogus')\n",
    "%%asynctrace --save trace.xyz\n# case: bad_save\nside.append('save')\n",
    "%%asynctrace --out 1abc\n# case: bad_out\nside.append('out')\n",
    '''# case: bad_probe
print(json.dumps({"side": side}))
''',
    # -- 8. a trace inside a traced cell ----------------------------------------------------
    '''%%asynctrace
# case: nested
def gen3():
    yield 1
    yield 2
it3 = gen3()
next(it3)
with asyncviz.trace():
    next(it3)
''',
    '''# case: nested_probe
print(json.dumps({"kinds": [e.kind for e in _asynctrace.events],
                  "labels": [o.label for o in _asynctrace.objects]}))
''',
    '''%%asynctrace
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
''',
    '''# case: nested_caught_probe
print(json.dumps({"kinds": [e.kind for e in _asynctrace.events],
                  "values": [e.value for e in _asynctrace.events],
                  "message": nested_message, "side": side}))
''',
    # -- 9. options -------------------------------------------------------------------------
    '''%%asynctrace --out mytrace --save saved.avz --save "saved copy.txt" --no-values --view none
# case: options
it5 = echo()
next(it5)
it5.send('secret')
''',
    '''# case: options_probe
loaded = asyncviz.load('saved.avz')
import os
print(json.dumps({"same": mytrace is _asynctrace, "n": len(mytrace.events),
                  "loaded_n": len(loaded.events),
                  "loaded_kinds": [e.kind for e in loaded.events],
                  "values": [e.value for e in mytrace.events],
                  "txt": os.path.exists('saved copy.txt')}))
''',
    '''%%asynctrace --max-events 30 --view summary
# case: max_events
def many():
    for i in range(50):
        yield i
total = sum(many())
''',
    '''# case: max_events_probe
print(json.dumps({"truncated": _asynctrace.truncated, "n": len(_asynctrace.events),
                  "objects": len(_asynctrace.objects), "total": total}))
''',
    '''%%asynctrace --exclude "*ipykernel_*" --view none
# case: exclude
list(gen3())
''',
    '''# case: exclude_probe
print(json.dumps({"kinds": sorted({o.kind for o in _asynctrace.objects})}))
''',
    '''%%asynctrace --view states
# case: view_states
list(gen3())
''',
    '''%%asynctrace --view all
# case: view_all
list(gen3())
''',
    '''# case: view_all_probe
from ipywidgets.widgets.widget import _instances
from ipywidgets.widgets.widget_link import Link
print(json.dumps(sorted([l.source[1], l.source[0].model_id, l.target[0].model_id]
                        for l in list(_instances.values()) if isinstance(l, Link))))
''',
    # -- 10. help ---------------------------------------------------------------------------
    ("help", "%asynctrace?"),
    # -- 3. asyncio.run(): nest_asyncio2, said once -----------------------------------------
    '''%%asynctrace
# case: run1
async def main():
    await asyncio.sleep(0)
    return 'done'

asyncio.run(main())
''',
    '''# case: run1_probe
t = _asynctrace
print(json.dumps({"files": sorted({o.filename for o in t.objects if o.filename}),
                  "cell_file": main.__code__.co_filename,
                  "objects": [[o.kind, o.name, o.label] for o in t.objects],
                  "events": [[e.kind, t.objects[e.obj].label] for e in t.events]}))
''',
    '''%%asynctrace
# case: run2
async def main2():
    await asyncio.sleep(0.001)
    return 'done again'

asyncio.get_event_loop().run_until_complete(main2())
''',
    '''# case: run2_probe
t = _asynctrace
print(json.dumps({"files": sorted({o.filename for o in t.objects if o.filename}),
                  "cell_file": main2.__code__.co_filename,
                  "objects": [[o.kind, o.name, o.label] for o in t.objects]}))
''',
    "# case: reset\n%reset -f\n",
    '''%%asynctrace --view none
# case: after_reset
def gen5():
    yield 5
list(gen5())
''',
    "# case: hooks_after" + HOOKS_PROBE,
]


@pytest.fixture(scope="module")
def main_nb(tmp_path_factory):
    work = tmp_path_factory.mktemp("kernel-main")
    export = work / "export"
    ran = run_notebook(MAIN, work, env={"ASYNCVIZ_EXPORT_DIR": str(export)})
    ran.workdir, ran.export = work, export
    print(f"\nmain notebook: {len(MAIN)} cells in {ran.seconds:.1f} s")
    return ran


# ------------------------------------------------------------------------------- tests


def test_setup_cells_ran(main_nb):
    for name in ("setup", "hooks_before", "gen_def"):
        assert not errors(main_nb.cell(name)), describe(main_nb.cell(name))


def test_sync_cell_generator_driven_by_send(main_nb):
    cell = main_nb.cell("sync")
    assert not errors(cell), describe(cell)
    data = table_shown(cell)
    assert "echo#1" in data["text/plain"] and "echo#1" in data["text/html"], data
    assert result(cell) == "'A'", describe(cell)
    got = probe(main_nb.cell("sync_probe"))
    # echo() was defined in an earlier, untraced cell: the rewrite still tells the
    # recorder what send() passed in
    assert got["events"] == [["create", None], ["start", None], ["yield", "'ready'"],
                             ["resume", "'A'"], ["yield", "'A'"]], got
    assert got["labels"] == ["cell", "echo#1"] and got["first"] == "ready", got


def test_top_level_await_runs_on_the_kernel_loop(main_nb):
    cell = main_nb.cell("await")
    assert not errors(cell), describe(cell)
    summary_shown(cell)
    assert result(cell) == "42", describe(cell)
    got = probe(main_nb.cell("await_probe"))
    assert got["same_loop"] is True, got
    assert got["answer"] == 42 and got["double"] is True, got
    double = [k for k, label in got["events"] if label == "double#1"]
    assert double == ["create", "start", "await", "resume", "return"], got


def test_trailing_semicolon_hides_the_value(main_nb):
    cell = main_nb.cell("semicolon")
    assert cell.outputs == [], describe(cell)


def test_thread_with_asyncio_run(main_nb):
    cell = main_nb.cell("thread_run")
    assert not errors(cell), describe(cell)
    summary_shown(cell)
    assert "thread loop is kernel loop: False" in stdout(cell), describe(cell)
    assert NEST_NOTE not in stdout(cell)
    got = probe(main_nb.cell("thread_run_probe"))
    assert "tmain#1" in got["labels"], got
    assert {"start", "await", "resume", "return"} <= set(got["kinds"]), got
    assert got["patched"] is False, got


def test_thread_with_top_level_await(main_nb):
    cell = main_nb.cell("thread_await")
    assert not errors(cell), describe(cell)
    summary_shown(cell)
    assert result(cell) == "8", describe(cell)
    assert NEST_NOTE not in stdout(cell)
    got = probe(main_nb.cell("thread_await_probe"))
    assert "twice#1" in got["labels"], got
    assert got["other_loop"] is True and got["patched"] is False, got


def test_thread_error_traceback_points_at_the_users_lines(main_nb):
    cell = main_nb.cell("thread_error")
    summary_shown(cell)
    (err,) = errors(cell)
    assert err.ename == "KeyError", describe(cell)
    tb = traceback_text(err)
    assert re.search(r"line 4, in thread_fails", tb), tb
    assert "raise KeyError('in the worker')" in tb, tb
    assert "asyncio" not in tb and "magic.py" not in tb, tb
    # the cell's first line reads as the user wrote it, not as the transformed call
    assert "----> 1 %%asynctrace --thread" in tb and "__asyncviz" not in tb, tb


def test_error_shows_the_partial_trace_then_the_traceback(main_nb):
    cell = main_nb.cell("error")
    kinds = [o.output_type for o in cell.outputs]
    assert kinds == ["display_data", "error"], describe(cell)
    summary_shown(cell)
    err = errors(cell)[0]
    assert err.ename == "ValueError" and err.evalue == "broken on purpose", describe(cell)
    tb = traceback_text(err)
    # the user's own lines and line numbers (the cell's first line is the magic)
    assert re.search(r"line 6\b", tb) and "await fails()" in tb, tb
    assert re.search(r"line 5, in fails", tb), tb
    assert "raise ValueError('broken on purpose')" in tb, tb
    assert "__asyncviz" not in tb, tb
    got = probe(main_nb.cell("error_probe"))
    fails = [(k, v) for k, label, v in got["events"] if label == "fails#1"]
    assert [k for k, _ in fails] == ["create", "start", "await", "resume", "raise"], got
    assert fails[-1][1] == "ValueError('broken on purpose')", got


def test_untraced_error_in_a_rewritten_generator_is_shown_as_usual(main_nb):
    # every cell is rewritten once the extension is loaded (CellRewriter): an exception
    # leaving a generator of an untraced cell must still get IPython's usual traceback
    cell = main_nb.cell("plain_error")
    assert not displays(cell), describe(cell)
    (err,) = errors(cell)
    assert err.ename == "ValueError", describe(cell)
    tb = traceback_text(err)
    assert re.search(r"line 4, in plain_gen", tb), tb
    assert "----> 4     raise ValueError('untraced, in a generator')" in tb, tb


def test_exclude_leaves_the_cells_code_out(main_nb):
    cell = main_nb.cell("exclude")
    assert not errors(cell) and result(cell) == "[1, 2]", describe(cell)
    assert probe(main_nb.cell("exclude_probe"))["kinds"] == ["task"]


def test_reset_does_not_break_traced_cells(main_nb):
    cell = main_nb.cell("after_reset")
    assert not errors(cell) and result(cell) == "[5]", describe(cell)


def test_kernel_left_as_found(main_nb):
    before = probe(main_nb.cell("hooks_before"))
    after = probe(main_nb.cell("hooks_after"))
    assert after["create_task_patched"] is False, after
    assert after["avz_on"] is False, after
    assert after["factory"] == before["factory"], (before, after)
    assert after["trace"] == before["trace"] == "None", (before, after)
    assert after["profile"] == before["profile"] == "None", (before, after)
    if sys.version_info >= (3, 12):
        assert after["tools"] == before["tools"], (before, after)
        assert after["tools"][2] is None, after


def test_keyboard_interrupt_raised_by_the_cell(main_nb):
    cell = main_nb.cell("kbint")
    summary_shown(cell)
    (err,) = errors(cell)
    assert err.ename == "KeyboardInterrupt", describe(cell)
    got = probe(main_nb.cell("kbint_probe"))
    assert got["kinds"] == ["create", "start", "yield", "resume", "yield"], got
    assert got["labels"] == ["cell", "counter#1"], got


@pytest.mark.parametrize("name, words", [
    ("bad_view", ["--view", "nope"]),
    ("bad_max", ["--max-events", "-3"]),
    ("bad_flag", ["--bogus"]),
    ("bad_save", ["trace.xyz", ".avz"]),
    ("bad_out", ["--out", "1abc"]),
])
def test_bad_options_fail_before_the_cell_runs(main_nb, name, words):
    cell = main_nb.cell(name)
    one_usage_error(cell, *words)
    assert main_nb.reply(name).get("ename") == "UsageError", main_nb.reply(name)


def test_bad_options_ran_nothing(main_nb):
    assert probe(main_nb.cell("bad_probe"))["side"] == [], "a cell with bad options ran"


def test_trace_inside_a_traced_cell_is_refused_in_one_line(main_nb):
    cell = main_nb.cell("nested")
    summary_shown(cell)
    assert not errors(cell), describe(cell)
    text = stderr(cell).strip()
    assert "\n" not in text and text.startswith("UsageError: "), describe(cell)
    assert "already recording" in text, describe(cell)
    got = probe(main_nb.cell("nested_probe"))
    assert got["kinds"] == ["create", "start", "yield"], got
    assert got["labels"] == ["cell", "gen3#1"], got


def test_outer_trace_goes_on_after_a_refused_inner_one(main_nb):
    cell = main_nb.cell("nested_caught")
    assert not errors(cell), describe(cell)
    summary_shown(cell)
    assert result(cell) == "2", describe(cell)
    # the inner %%asynctrace cell was refused with one line and did not run
    text = stderr(cell).strip()
    assert text.startswith("UsageError: ") and "already recording" in text, describe(cell)
    got = probe(main_nb.cell("nested_caught_probe"))
    assert "already recording" in got["message"], got
    assert "inner" not in got["side"], got
    assert got["kinds"] == ["create", "start", "yield", "resume", "yield"], got
    assert got["values"][-1] == "2", got


def test_out_save_and_no_values(main_nb):
    cell = main_nb.cell("options")
    assert not errors(cell), describe(cell)
    assert not displays(cell), describe(cell)  # --view none
    assert result(cell) == "'secret'", describe(cell)
    got = probe(main_nb.cell("options_probe"))
    assert got["same"] is True, got
    assert got["n"] == got["loaded_n"] == 5, got
    assert got["loaded_kinds"] == ["create", "start", "yield", "resume", "yield"], got
    assert got["values"] == [None] * 5, got
    assert got["txt"] is True, got
    assert (main_nb.workdir / "saved.avz").is_file()


def test_max_events_truncates_and_says_so(main_nb):
    cell = main_nb.cell("max_events")
    assert not errors(cell), describe(cell)
    data = table_shown(cell)
    assert "truncated" in data["text/plain"] and "truncated" in data["text/html"], data
    got = probe(main_nb.cell("max_events_probe"))
    # events and objects share the budget: one object weighs 8 events
    assert got["truncated"] is True and got["total"] == sum(range(50)), got
    assert 0 < got["n"] and got["n"] + 8 * got["objects"] <= 30, got


def test_default_view_is_the_timeline_with_fallbacks(main_nb):
    data = summary_shown(main_nb.cell("run1"))
    assert "run1" not in data[WIDGET] and data[WIDGET]["model_id"], data[WIDGET]
    assert "events" in data["text/plain"] and "objects" in data["text/plain"], data


def states_shown(data: dict) -> dict:
    """The state-machine widget's bundle: the widget, the machine as text (and as SVG
    when Graphviz's dot is installed), for readers without a kernel."""
    assert WIDGET in data and data[WIDGET]["model_id"], data
    assert data["text/plain"].startswith("suspension points of gen3 (generator"), data
    assert "start → yield · line" in data["text/plain"], data
    if shutil.which("dot"):
        assert "<svg" in data["image/svg+xml"] and "node&#45;start" in data["image/svg+xml"]
    else:
        assert "image/svg+xml" not in data
    return data


def test_view_states_shows_the_state_machine_widget(main_nb):
    cell = main_nb.cell("view_states")
    assert not errors(cell), describe(cell)
    shown = displays(cell)
    assert len(shown) == 1, describe(cell)
    states_shown(shown[0]["data"])
    assert stdout(cell) == "" and stderr(cell) == "", describe(cell)
    assert result(cell) == "[1, 2]"


def test_view_all_shows_the_timeline_and_the_states_linked_then_the_table(main_nb):
    cell = main_nb.cell("view_all")
    assert not errors(cell), describe(cell)
    shown = displays(cell)
    assert len(shown) == 3, describe(cell)
    timeline, states, table = (o["data"] for o in shown)
    assert "image/png" in timeline and "events" in timeline["text/plain"], timeline
    states_shown(states)
    assert "<table" in table["text/html"], table
    assert stdout(cell) == "" and stderr(cell) == "", describe(cell)
    assert result(cell) == "[1, 2]"
    # linked in the front-end (jslink): cursor and selection, timeline → states
    pair = [timeline[WIDGET]["model_id"], states[WIDGET]["model_id"]]
    assert probe(main_nb.cell("view_all_probe")) == [["cursor", *pair], ["selection", *pair]]


def test_help_documents_every_option(main_nb):
    reply = main_nb.reply("help")
    assert reply.get("status") == "ok", reply
    pages = [p["data"]["text/plain"] for p in reply.get("payload", []) if p.get("source") == "page"]
    assert pages, reply
    text = ANSI.sub("", pages[0])
    for option in ("--view", "--save", "--out", "--max-events", "--no-values", "--thread",
                   "--include", "--exclude", "_asynctrace", "timeline", "states", "summary",
                   "none"):
        assert option in text, f"{option} not in the help:\n{text}"


def test_asyncio_run_works_through_nest_asyncio2_said_once(main_nb):
    run1, run2 = main_nb.cell("run1"), main_nb.cell("run2")
    for cell in (run1, run2):
        assert not errors(cell), describe(cell)
        summary_shown(cell)
    assert result(run1) == "'done'" and result(run2) == "'done again'"
    said = [c for c in main_nb.nb.cells if NEST_NOTE in stdout(c)]
    assert said == [run1], "the nest_asyncio2 note must be said exactly once, by run1"
    assert stdout(run1).count(NEST_NOTE) == 1


@pytest.mark.parametrize("name, coro", [("run1_probe", "main"), ("run2_probe", "main2")])
def test_asyncio_run_trace_has_only_the_cells_code(main_nb, name, coro):
    got = probe(main_nb.cell(name))
    # nest_asyncio2's pure-Python Future/Task add no frames: every generator or
    # coroutine is the cell's own (tasks and futures have no code of their own)
    assert got["files"] == [got["cell_file"]], got
    labels = [label for _, _, label in got["objects"]]
    assert f"{coro}#1" in labels, got
    code = [(kind, name) for kind, name, _ in got["objects"] if kind not in ("task", "future")]
    assert code == [("coroutine", coro)], got


def test_export_dir_gets_every_traced_cell(main_nb):
    for name in ("sync", "error", "run1"):
        n = main_nb.cell(name).execution_count
        for suffix in (".txt", ".html", ".avz"):
            path = main_nb.export / f"cell{n}{suffix}"
            assert path.is_file() and path.stat().st_size > 0, f"{name}: no {path.name}"
    n = main_nb.cell("sync").execution_count
    assert "echo#1" in (main_nb.export / f"cell{n}.txt").read_text()


# ------------------------------------------------------------------------ interrupts

INTERRUPTS = [
    '''# case: setup
%load_ext asyncviz
import asyncio, json, sys, time, asyncviz
''',
    "# case: hooks_before" + HOOKS_PROBE,
    '''%%asynctrace
# case: await_loop
async def spin():
    while True:
        await asyncio.sleep(0.01)
print("spinning", flush=True)
await spin()
''',
    "# case: await_loop_probe\n" + TRACE_PROBE,
    '''%%asynctrace
# case: sync_loop
def ticks():
    while True:
        yield
t = ticks()
print("ticking", flush=True)
while True:
    next(t)
    time.sleep(0.005)
''',
    "# case: sync_loop_probe\n" + TRACE_PROBE,
    '''%%asynctrace --thread
# case: thread_loop
async def tspin():
    while True:
        await asyncio.sleep(0.01)
print("thread spinning", flush=True)
await tspin()
''',
    "# case: thread_loop_probe\n" + TRACE_PROBE,
    "# case: hooks_after" + HOOKS_PROBE,
]


@pytest.fixture(scope="module")
def interrupts_nb(tmp_path_factory):
    work = tmp_path_factory.mktemp("kernel-interrupts")
    ran = run_notebook(INTERRUPTS, work, timeout=20, interrupt={
        "await_loop": "spinning", "sync_loop": "ticking", "thread_loop": "thread spinning"})
    print(f"\ninterrupts notebook: {len(INTERRUPTS)} cells in {ran.seconds:.1f} s")
    return ran


@pytest.mark.parametrize("name, enames, label", [
    # ipykernel turns SIGINT during a cell that awaits into cancelling it: the cell sees
    # CancelledError, as it does without the magic
    ("await_loop", {"CancelledError", "KeyboardInterrupt"}, "spin#1"),
    ("sync_loop", {"KeyboardInterrupt"}, "ticks#1"),
    ("thread_loop", {"KeyboardInterrupt"}, "tspin#1"),
])
def test_interrupted_cell_keeps_its_trace(interrupts_nb, name, enames, label):
    cell = interrupts_nb.cell(name)
    summary_shown(cell)
    (err,) = errors(cell)
    assert err.ename in enames, describe(cell)
    got = probe(interrupts_nb.cell(f"{name}_probe"))  # the kernel is alive
    assert label in got["labels"] and got["n"] > 10, got


def test_interrupts_leave_the_kernel_as_found(interrupts_nb):
    before = probe(interrupts_nb.cell("hooks_before"))
    after = probe(interrupts_nb.cell("hooks_after"))
    assert after == before, (before, after)
    assert after["create_task_patched"] is False and after["avz_on"] is False, after
