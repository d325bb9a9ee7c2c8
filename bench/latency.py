"""The latency a user feels: a 2,000-task %%asynctrace cell, from Shift+Enter to its views.

    python bench/latency.py [--ui lab|notebook7|both] [--views timeline,all] [--repeat N]
                            [--tasks N] [--shots DIR] [--python-only]

Workload (WORKLOAD below, one line): a notebook cell `%%asynctrace [--view V]` whose code
starts 2,000 tasks that each wait for one shared asyncio.Event (the start signal), take
20 steps of `await asyncio.sleep(0)`, then put their number into one bounded
asyncio.Queue(maxsize=1000) that the cell drains before gathering the tasks — ≈94,000
events, ≈7,000 objects.  Its last line prints `time.time()` (the marker: when the cell's
own code ended).

Browser figures (a real JupyterLab and Notebook 7 in Debian's headless Chromium, the
recipe of tests/browser/harness.py, offline): for each UI and view, a fresh notebook and
kernel; a setup cell (`%load_ext asyncviz`) runs first, then the traced cell is run
--repeat times with Shift+Enter.  Run 1 is "cold" (the first traced cell of a kernel:
it also imports the widget and drawing libraries), the others "warm" (their median is
printed).  Times, all on the machine's one wall clock (the kernel's time.time() and the
page's performance.timeOrigin + now()):
  code     Shift+Enter -> the cell's code ended (the kernel's marker)
  frame    the cell's code ended -> the timeline canvas drew its first frame (a
           MutationObserver sees the widget set data-first-frame-ms)
  shown    the cell's code ended -> every view of the cell is on the page (--view all:
           the timeline's first frame, the state machine drawn (data-ready), the summary
           table inserted)
  done     the cell's code ended -> its execution count is shown (the kernel is idle)
  cell px  the cell's height once shown (input and outputs); out px its output area.

Python-side breakdown (in the same kernel, after the runs, on the cell's own trace
_asynctrace; modules already imported, so these are warm costs): each thing the display
does, timed alone — trace stop (the same program traced again with asyncviz.trace()),
analysis (timeline_of), payload (encode), the timeline widget (TimelineWidget.of:
analysis + payload + comm open), its display bundle (text/plain summary + static
fallback image), the static PNG alone, summary text and HTML, the states widget and its
bundle — and the bytes each sends.  A fresh interpreter's import of each library the
display needs is timed too (cold cost of the first traced cell).

Nothing is asserted; figures print as one table (tests/browser/test_latency_browser.py
holds the bounds).  --python-only skips the browser (the breakdown in this process).
Requires the `test` extra (jupyterlab, notebook, playwright) and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

TASKS = 2_000
STEPS = 20
QUEUE_MAX = 1_000
MARKER = "asyncviz-latency code-end"
WORKLOAD = (
    "{tasks} tasks each await one shared asyncio.Event, {steps}x asyncio.sleep(0), then "
    "put into one asyncio.Queue(maxsize={qmax}) the cell drains; then gather"
)

# The program: what a user might write; defined in the cell itself (recorded as cell code).
PROGRAM = """\
import asyncio, time

async def worker(i, results, start):
    await start.wait()                  # every task waits for the start signal
    for _ in range({steps}):              # steps of work, each giving the loop a turn
        await asyncio.sleep(0)
    await results.put(i)                # hand the result over (a bounded queue)

async def collect(n):
    results, start = asyncio.Queue(maxsize={qmax}), asyncio.Event()
    tasks = [asyncio.create_task(worker(i, results, start)) for i in range(n)]
    await asyncio.sleep(0)
    start.set()
    total = 0
    for _ in range(n):
        total += await results.get()
    await asyncio.gather(*tasks)
    return total
"""
RUN = "total = await collect({tasks})\n"
END = f"print('{MARKER}', repr(time.time()), flush=True)\n"


def program(tasks: int = TASKS, steps: int = STEPS) -> str:
    return PROGRAM.format(steps=steps, qmax=QUEUE_MAX)


def traced_cell(view: str, tasks: int = TASKS, steps: int = STEPS) -> str:
    option = "" if view == "timeline" else f" --view {view}"
    return f"%%asynctrace{option}\n" + program(tasks, steps) + RUN.format(tasks=tasks) + END


# ----------------------------------------------------------------- Python-side breakdown


def _timed(out: dict, name: str, fn):
    """fn(), its wall and CPU seconds noted as out[name] = [wall, cpu] (CPU time: what
    this thread spent, whatever else the machine was doing)."""
    t0, c0 = time.perf_counter(), time.thread_time()
    value = fn()
    out[name] = [time.perf_counter() - t0, time.thread_time() - c0]
    return value


async def stop_cost(tasks: int = TASKS, steps: int = STEPS) -> tuple[list, object]:
    """The program traced with asyncviz.trace() on the running loop: ([wall, cpu] seconds
    from the program's end to the finished Trace, the trace)."""
    import asyncviz

    ns: dict = {}
    exec(compile(program(tasks, steps), "<latency-program>", "exec"), ns)
    with asyncviz.trace() as t:
        await ns["collect"](tasks)
        end, cpu = time.perf_counter(), time.thread_time()
    return [time.perf_counter() - end, time.thread_time() - cpu], t


def phases(trace, view: str) -> dict:
    """What displaying `trace` under `view` costs, step by step (seconds), and the bytes
    each step sends (`*_bytes`)."""
    from asyncviz.analysis.timeline import timeline_of
    from asyncviz.render.payload import encode
    from asyncviz.widgets.timeline import TimelineWidget

    out: dict = {"events": len(trace.events), "objects": len(trace.objects)}
    tl = _timed(out, "analysis (timeline_of)", lambda: timeline_of(trace))
    details = "inline" if len(trace.events) <= 50_000 else "on_demand"
    _timed(out, "payload (encode, given the analysis)", lambda: encode(trace, tl, details))
    w = _timed(out, "timeline widget (TimelineWidget.of)", lambda: TimelineWidget.of(trace))
    out["payload_bytes"] = len(w.buffers)
    out["header_json_bytes"] = len(json.dumps(w.header, separators=(",", ":")))
    summary = _timed(out, "summary (Summary.of)", trace.summary)
    text = _timed(out, "summary text, all rows (repr)", lambda: repr(summary))
    out["text_all_rows_bytes"] = len(text.encode())
    out.update(_static_images(trace))
    bundle = _timed(out, "timeline display bundle, as shown", lambda: _shown_bundle(w, trace))
    out["timeline_bundle_bytes"] = _bundle_bytes(bundle)
    w.close()
    if view == "all":
        html = _timed(out, "summary HTML (--view all)", summary._repr_html_)
        out["summary_html_bytes"] = len(html.encode())
        st = _timed(out, "states widget (StatesWidget.of)", trace.states)
        sb = _timed(out, "states display bundle", st._repr_mimebundle_)
        out["states_state_bytes"] = len(json.dumps(st.get_state(), default=str))
        out["states_bundle_bytes"] = _bundle_bytes(sb)
        st.close()
    return out


def _static_images(trace) -> dict:
    """The static timeline PNG as exports draw it (matplotlib) and, in a checkout that has
    it, as the display bundle draws it (Pillow)."""
    from asyncviz.render.static import timeline_png

    out: dict = {}
    png = _timed(out, "static PNG, matplotlib (timeline_png)", lambda: timeline_png(trace))
    out["png_matplotlib_bytes"] = len(png)
    try:
        from asyncviz.render.static_pil import quick_png
    except ImportError:  # a checkout from before the quick picture
        return out
    png = _timed(out, "static PNG, Pillow (quick_png)", lambda: quick_png(trace))
    out["png_pillow_bytes"] = len(png)
    return out


def _shown_bundle(widget, trace):
    """The timeline's bundle as %%asynctrace displays it in this checkout."""
    try:
        from asyncviz.widgets.bundle import TimelineDisplay
    except ImportError:  # before: the widget's own bundle
        return widget._repr_mimebundle_()
    return TimelineDisplay(widget, trace)._repr_mimebundle_()


def _bundle_bytes(bundle) -> int:
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    return len(json.dumps(data or {}, default=str))


IMPORTS = {
    "widgets (anywidget, ipywidgets)": "import anywidget",
    "numpy": "import numpy",
    "matplotlib (Agg, as static_mpl uses it)": "import matplotlib; matplotlib.use('Agg');"
    " import matplotlib.figure, matplotlib.backends.backend_agg",
    "graphviz (the package)": "import graphviz",
}


def import_costs() -> dict:
    """Seconds each library takes to import in a fresh interpreter (the cold part of the
    first traced cell of a kernel; ipykernel has imported IPython already)."""
    out = {}
    for name, stmt in IMPORTS.items():
        code = (
            "import time, IPython, json; t0 = time.perf_counter(); "
            f"{stmt}; print(time.perf_counter() - t0)"
        )
        runs = []
        for _ in range(3):
            r = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            runs.append(float(r.stdout.strip().splitlines()[-1]))
        out[name] = statistics.median(runs)
    return out


# the checkout measured goes first on the kernel's path (before PYTHONPATH's)
SETUP_CELL = (
    "import json, sys, time\nsys.path[:0] = [{checkout!r}, {here!r}]\n"
    "import asyncviz, latency\n"
    "assert asyncviz.__file__.startswith({checkout!r}), asyncviz.__file__\n"
    "%load_ext asyncviz\nlatency.watch_sends()"
)
# (kind, time.time()) of each message the kernel sent that a view waits for
SENT: list = []
WATCHED = ("display_data", "comm_open", "execute_result")


def watch_sends() -> None:
    """In the bench's kernel only: note when each display and widget message is sent."""
    from IPython import get_ipython

    shell = get_ipython()
    sessions = {id(s): s for s in (shell.kernel.session, shell.display_pub.session)}
    for session in sessions.values():

        def timed(stream, msg_or_type, *args, _send=session.send, **kwargs):
            kind = msg_or_type
            if isinstance(kind, dict):
                kind = kind.get("msg_type") or kind.get("header", {}).get("msg_type")
            if kind in WATCHED:
                SENT.append((kind, time.time()))
            return _send(stream, msg_or_type, *args, **kwargs)

        session.send = timed


PHASES_CELL = (
    "_stop_s, _t2 = await latency.stop_cost({tasks}, {steps})\n"
    "_ph = latency.phases(_asynctrace, {view!r})\n"
    "_ph['trace stop (Recorder.stop)'] = _stop_s\n"
    "del _t2\n"
    "_ph['sent'] = latency.SENT\n"
    "print(json.dumps(_ph))"
)


# --------------------------------------------------------------------------- browser

# Installed in every page before it loads: the time of the last Shift+Enter, and of what
# each traced run put on the page, seen by one MutationObserver (epoch ms, the page's
# clock; the kernel's marker is epoch seconds on the same machine).
PAGE_PROBE = r"""
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const L = window.__avzLatency = { press: null };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.shiftKey && L.armed) { L.press = now(); L.armed = false; }
  }, true);
  const seen = (key) => { if (L.press !== null && L[key] === undefined) L[key] = now(); };
  const scan = (n) => {
    if (n.nodeType !== 1) return;
    const has = (sel) => n.matches(sel) || n.querySelector(sel);
    if (has('.asyncviz-summary')) seen('summary');
    // a view may draw before Lab attaches it to the page: then its attribute comes in
    // with the node, not as an attribute change
    if (has('[data-testid=asyncviz-states][data-ready="1"]')) seen('states');
    if (has('[data-testid=asyncviz-timeline][data-first-frame-ms]')) seen('frame');
    const out = has('[data-mime-type="application/vnd.jupyter.stdout"]');
    if (out && (out.textContent || '').includes('%MARKER%')) seen('marker');
  };
  // when each kernel message the views wait for reaches the page (Jupyter's v1 binary
  // websocket protocol: a table of offsets, then channel, header, ...)
  L.arrived = [];
  const Socket = window.WebSocket;
  const kind = (data) => {
    if (typeof data === 'string') {
      const m = /"msg_type":\s*"(\w+)"/.exec(data.slice(0, 2000));
      return m ? m[1] : '';
    }
    const v = new DataView(data);
    const at = (i) => Number(v.getBigUint64(8 * (i + 1), true));
    const head = new TextDecoder().decode(data.slice(at(1), at(2)));
    return JSON.parse(head).msg_type;
  };
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (L.press === null) return;
        const t = now();
        try {
          const k = kind(e.data);
          if (k === 'comm_open' || k === 'display_data')
            L.arrived.push([k, t, e.data.byteLength || e.data.length]);
        } catch (err) { /* not a kernel message */ }
      });
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      const t = r.target;
      if (r.type === 'attributes') {
        if (t.__avzOld) continue;
        if (r.attributeName === 'data-first-frame-ms') seen('frame');
        if (r.attributeName === 'data-ready' && t.dataset.ready === '1') seen('states');
      } else if (r.type === 'characterData') {
        if ((t.data || '').includes('%MARKER%')) seen('marker');
      } else r.addedNodes.forEach(scan);
    }
  }).observe(document, { subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ['data-first-frame-ms', 'data-ready'] });
})();
""".replace("%MARKER%", MARKER)

# the cell's height, and its height with the output area unscrolled (Notebook 7 puts a
# long output in a scrolled box)
HEIGHTS = """c => {
  const h = c.getBoundingClientRect().height;
  const out = c.querySelector('.jp-OutputArea');
  if (!out) return [h, h];
  return [h, h - out.getBoundingClientRect().height + Math.max(out.scrollHeight,
    ...[...out.children].map((k) => k.scrollHeight))];
}"""

ARM = """() => {
  for (const e of document.querySelectorAll('[data-testid^=asyncviz-], .asyncviz-summary'))
    e.__avzOld = true;
  window.__avzLatency = Object.assign(window.__avzLatency, { press: null, armed: true,
    frame: undefined, states: undefined, summary: undefined, marker: undefined,
    arrived: [] });
}"""


def _wanted(view: str) -> tuple[str, ...]:
    return {"timeline": ("frame",), "all": ("frame", "states", "summary")}[view]


@dataclass
class Run:
    """One Shift+Enter of the traced cell, in seconds from the cell's code end (code: from
    Shift+Enter to the code end), and the cell's height."""

    code: float
    w_sent: float  # the kernel sent the timeline widget's comm_open (its state)
    w_recv: float  # ... and it reached the page
    d_sent: float  # the kernel sent the (first) display_data: the timeline's bundle
    d_recv: float  # ... and it reached the page
    frame: float  # the timeline drew its first frame
    states: float  # the state machine is drawn (--view all; else nan)
    table: float  # the summary table is on the page (--view all; else nan)
    shown: float  # all of the above that the view has
    done: float  # the execution count is shown
    cell_px: float  # the cell as laid out
    content_px: float  # the cell with its output area unscrolled (Notebook 7 scrolls)

    @classmethod
    def of(cls, raw: dict, sent: list) -> "Run":
        marks, end = raw["marks"], raw["code_end"]

        def at(key: str) -> float:
            t = marks.get(key)
            return float("nan") if t is None else t / 1000 - end

        def first(kind: str, times) -> float:
            after = [t for k, t, *_ in times if k == kind and t >= end]
            return min(after) - end if after else float("nan")

        arrived = [(k, t / 1000) for k, t, _ in marks.get("arrived") or ()]
        parts = [at(k) for k in ("frame", "states", "summary")]
        return cls(
            code=end - marks["press"] / 1000,
            w_sent=first("comm_open", sent),
            w_recv=first("comm_open", arrived),
            d_sent=first("display_data", sent),
            d_recv=first("display_data", arrived),
            frame=parts[0],
            states=parts[1],
            table=parts[2],
            shown=max(p for p in parts if p == p),
            done=raw["done"] - end,
            cell_px=raw["heights"][0],
            content_px=raw["heights"][1],
        )


def run_traced(nb, index: int, view: str, timeout: float = 180.0) -> dict:
    """Press Shift+Enter in cell `index` and wait for its views; what the page saw."""
    page = nb.page
    before = nb.counts()[index] or 0
    page.evaluate(ARM)
    nb.cell(index).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    want = _wanted(view)
    try:
        page.wait_for_function(
            "(keys) => { const L = window.__avzLatency;"
            " return L.press !== null && keys.every((k) => L[k] !== undefined); }",
            arg=list(want),
            timeout=timeout * 1000,
        )
    except Exception as exc:
        marks = page.evaluate("() => ({...window.__avzLatency})")
        raise RuntimeError(
            f"{nb.ui} --view {view}: not every view appeared within {timeout:.0f} s "
            f"(wanted {want}, page saw {marks}):\n{nb.output_text(index)[:3000]}"
        ) from exc
    nb.wait_executed([index], after={index: before}, timeout=timeout)
    done = time.time()  # the count is shown by now (polled every 50 ms: an upper bound)
    marks = page.evaluate("() => ({...window.__avzLatency})")
    code_end = _marker_time(nb.output_text(index))
    page.wait_for_timeout(300)  # let the outputs settle before measuring heights
    heights = nb.cell(index).evaluate(HEIGHTS)
    return {"marks": marks, "code_end": code_end, "done": done, "heights": heights}


def _marker_time(text: str) -> float:
    for line in text.splitlines():
        if line.startswith(MARKER):
            return float(line.split()[-1])
    raise RuntimeError(f"the traced cell did not print its marker {MARKER!r}:\n{text[:2000]}")


def measure(browser, server, checkout: Path, view: str, args) -> dict:
    """{"runs": [Run], "phases": {...}} of one view of one checkout: a fresh page, notebook
    and kernel; the setup cell, --repeat Shift+Enters of the traced cell, the phases."""
    from browser import harness  # tests/browser/harness.py

    context, guard = harness.new_context(browser, server)
    context.set_default_timeout(180_000)
    context.add_init_script(PAGE_PROBE)
    try:
        page = context.new_page()
        cells = [
            SETUP_CELL.format(checkout=str(checkout), here=str(HERE)),
            traced_cell(view, args.tasks),
            PHASES_CELL.format(here=str(HERE), tasks=args.tasks, steps=STEPS, view=view),
        ]
        name = f"latency-{view}-{checkout.name}.ipynb"
        nb = harness.Notebook(page, guard, server, name, cells).open(timeout=120)
        nb.cell(0).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        nb.wait_executed([0], timeout=300)
        raw = [run_traced(nb, 1, view) for _ in range(args.repeat)]
        if args.shots:
            args.shots.mkdir(parents=True, exist_ok=True)
            shot = args.shots / f"latency.{server.ui}.{view}.{checkout.name}.png"
            nb.cell(1).screenshot(path=str(shot))
        nb.rerun(2, timeout=300)
        phases = nb.last_json(2)
        sent = [tuple(x) for x in phases.pop("sent")]
        result = {"runs": [Run.of(r, sent) for r in raw], "phases": phases}
        problems = guard.problems()
        if problems:
            result["problems"] = problems
        return result
    finally:
        context.close()
        server.shutdown_kernels()


def export_checkout(rev: str, tmp: Path) -> Path:
    """`rev` of this repository as files in tmp/<rev> (git archive: the repository is not
    touched), with this checkout's built front-end (not committed) and its C extension
    built in place."""
    folder = tmp / rev.replace("/", "_")
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    static = folder / "asyncviz" / "static"
    static.mkdir(exist_ok=True)
    for js in (REPO / "asyncviz" / "static").glob("*.js"):
        (static / js.name).write_bytes(js.read_bytes())
    code = "from asyncviz.recording import native; print(native.problem())"
    subprocess.run([sys.executable, "-c", code], cwd=folder, check=True, capture_output=True)
    return folder


# ----------------------------------------------------------------------------- output


def _ms(s: float) -> str:
    return "–" if s != s else f"{s * 1000:7.0f}"


COLUMNS = (
    "code",
    "w_sent",
    "w_recv",
    "d_sent",
    "d_recv",
    "frame",
    "states",
    "table",
    "shown",
    "done",
)


def _cold_warm(rounds: list) -> list[tuple[str, Run]]:
    """("cold", the median first run of each round), ("warmN", the median of the rest)."""
    out = [("cold", _median_run([r[0] for r in rounds]))]
    warm = [run for r in rounds for run in r[1:]]
    if warm:
        out.append((f"warm{len(warm)}", _median_run(warm)))
    return out


def _median_run(runs: list[Run]) -> Run:
    def med(name):
        values = [getattr(r, name) for r in runs if getattr(r, name) == getattr(r, name)]
        return statistics.median(values) if values else float("nan")

    return Run(**{f: med(f) for f in Run.__dataclass_fields__})


def print_runs(results: dict, variants: list[str]) -> None:
    print()
    print(
        "ms from the cell's code end (code: Shift+Enter to the code end; w_sent: the kernel"
        " sent the timeline widget (comm_open), w_recv: which reached the page; d_sent: the"
        " kernel sent its display (display_data), d_recv: which reached the page; frame: its"
        " first frame; states, table: --view all's state machine drawn and summary table"
        " inserted; shown: all of them; done: the execution count shown); medians"
    )
    head = f"{'ui':10} {'view':9} {'variant':9} {'run':6}" + "".join(f" {k:>6}" for k in COLUMNS)
    print(head + f" {'cell px':>8} {'content':>8}")
    for (ui, view, variant), res in results.items():
        for label, r in _cold_warm(res["rounds"]):
            times = "".join(f" {_ms(getattr(r, k)):>6}" for k in COLUMNS)
            print(
                f"{ui:10} {view:9} {variant[:9]:9} {label:6}{times}"
                f" {r.cell_px:8.0f} {r.content_px:8.0f}"
            )
        for p in res.get("problems", ()):
            print(f"  {ui} {view} {variant}: {p}")
    _print_ratios(results, variants)


def _print_ratios(results: dict, variants: list[str]) -> None:
    """--view all against the default view, per UI and variant, cold and warm."""
    for (ui, view, variant), res in results.items():
        other = results.get((ui, "timeline", variant))
        if view != "all" or other is None:
            continue
        for (label, a), (_, t) in zip(_cold_warm(res["rounds"]), _cold_warm(other["rounds"])):
            print(
                f"{ui} {variant}: --view all shown / default frame, {label}:"
                f" {a.shown / t.frame:.2f}x ({_ms(a.shown).strip()} / {_ms(t.frame).strip()} ms);"
                f" from Shift+Enter: {(a.code + a.shown) / (t.code + t.frame):.2f}x"
            )


def print_phases(phases: dict, title: str) -> None:
    print()
    print(
        f"Python-side breakdown, {title} ({phases['events']:,} events,"
        f" {phases['objects']:,} objects; modules imported already)"
    )
    print(f"  {'':44} {'wall ms':>8} {'cpu ms':>8}")
    for name, value in phases.items():
        if name in ("events", "objects"):
            continue
        if name.endswith("_bytes"):
            print(f"  {name:44} {value:17,} bytes")
        else:
            wall, cpu = value
            print(f"  {name:44} {_ms(wall):>8} {_ms(cpu):>8}")


def print_imports(costs: dict) -> None:
    print()
    print("import in a fresh interpreter (cold cost of a kernel's first traced cell)")
    for name, s in costs.items():
        print(f"  {name:40} {_ms(s)} ms")


# ------------------------------------------------------------------------------- main


def python_only(view: str, tasks: int) -> dict:
    import asyncio

    sys.path.insert(0, str(REPO))
    stop_s, t = asyncio.run(stop_cost(tasks))
    out = phases(t, view)
    out["trace stop (Recorder.stop)"] = stop_s
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ui", choices=("lab", "notebook7", "both"), default="both")
    ap.add_argument("--views", default="timeline,all")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=TASKS)
    ap.add_argument("--shots", type=Path, default=None)
    ap.add_argument("--rounds", type=int, default=1, help="repeat the whole, alternating")
    ap.add_argument(
        "--compare", metavar="REV", default=None, help="also measure commit REV, alternating"
    )
    ap.add_argument("--python-only", action="store_true")
    args = ap.parse_args(argv)
    views = [v.strip() for v in args.views.split(",") if v.strip()]
    print(
        "workload: "
        + WORKLOAD.format(tasks=args.tasks, steps=STEPS, qmax=QUEUE_MAX)
        + f" (Python {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M')},"
        f" commit {_commit()})"
    )
    if args.python_only:
        for view in views:
            print_phases(python_only(view, args.tasks), f"--view {view}, in-process")
        print_imports(import_costs())
        return 0
    sys.path.insert(0, str(REPO / "tests"))
    from browser import harness

    missing = harness.missing_chromium()
    if missing:
        print(f"latency: {missing}", file=sys.stderr)
        return 2
    # the kernels import the checkout measured (SETUP_CELL), else this one
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p
    )
    uis = harness.UIS if args.ui == "both" else (args.ui,)
    with tempfile.TemporaryDirectory(prefix="asyncviz-latency-") as tmp:
        checkouts = {"this": REPO}
        if args.compare:
            checkouts = {args.compare: export_checkout(args.compare, Path(tmp)), **checkouts}
        results = _measure_all(harness, uis, views, checkouts, args, Path(tmp))
    print_runs(results, list(checkouts))
    print(f"(load average at the end: {os.getloadavg()[0]:.1f})")
    for (ui, view, variant), r in results.items():
        if ui == uis[0]:  # the kernel runs the same code in both UIs
            print_phases(r["phases"], f"--view {view}, {variant}, in the {ui} kernel")
    print_imports(import_costs())
    return 0


def _measure_all(harness, uis, views, checkouts: dict, args, tmp: Path) -> dict:
    """{(ui, view, variant): measure(...)}; the variants alternate view by view, and
    --rounds repeats the whole, so that a machine's changing load hits each alike."""
    from playwright.sync_api import sync_playwright

    results: dict = {}
    pw = sync_playwright().start()
    try:
        browser = harness.launch_chromium(pw)
        for ui in uis:
            server = harness.JupyterServer(tmp / ui, ui).start()
            try:
                for _ in range(args.rounds):
                    for view in views:
                        for variant, checkout in checkouts.items():
                            got = measure(browser, server, checkout, view, args)
                            key = (ui, view, variant)
                            got["rounds"] = [got.pop("runs")]
                            if key in results:
                                results[key]["rounds"] += got["rounds"]
                            else:
                                results[key] = got
            finally:
                server.stop()
    finally:
        pw.stop()
    return results


def _commit() -> str:
    try:
        r = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        return r.stdout.strip() + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
