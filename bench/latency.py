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
    t0 = time.perf_counter()
    value = fn()
    out[name] = time.perf_counter() - t0
    return value


async def stop_cost(tasks: int = TASKS, steps: int = STEPS) -> tuple[float, object]:
    """The program traced with asyncviz.trace() on the running loop: (seconds from the
    program's end to the finished Trace, the trace)."""
    import asyncviz

    ns: dict = {}
    exec(compile(program(tasks, steps), "<latency-program>", "exec"), ns)
    with asyncviz.trace() as t:
        await ns["collect"](tasks)
        end = time.perf_counter()
    return time.perf_counter() - end, t


def phases(trace, view: str) -> dict:
    """What displaying `trace` under `view` costs, step by step (seconds), and the bytes
    each step sends (`*_bytes`)."""
    from asyncviz.analysis.timeline import timeline_of
    from asyncviz.render.payload import encode
    from asyncviz.render.static import timeline_png
    from asyncviz.widgets.timeline import TimelineWidget

    out: dict = {"events": len(trace.events), "objects": len(trace.objects)}
    tl = _timed(out, "analysis (timeline_of)", lambda: timeline_of(trace))
    details = "inline" if len(trace.events) <= 50_000 else "on_demand"
    _timed(out, "payload (encode, given the analysis)", lambda: encode(trace, tl, details))
    w = _timed(out, "timeline widget (TimelineWidget.of)", lambda: TimelineWidget.of(trace))
    out["payload_bytes"] = len(w.buffers)
    out["header_json_bytes"] = len(json.dumps(w.header, separators=(",", ":")))
    png = _timed(out, "static PNG (timeline_png)", lambda: timeline_png(trace))
    out["png_bytes"] = len(png)
    summary = _timed(out, "summary (Summary.of)", trace.summary)
    text = _timed(out, "summary text (text/plain)", lambda: repr(summary))
    out["text_bytes"] = len(text.encode())
    bundle = _timed(out, "timeline display bundle", w._repr_mimebundle_)
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


PHASES_CELL = (
    "import json, sys\nsys.path.insert(0, {here!r})\nimport latency\n"
    "_stop_s, _t2 = await latency.stop_cost({tasks}, {steps})\n"
    "_ph = latency.phases(_asynctrace, {view!r})\n"
    "_ph['trace stop (Recorder.stop)'] = _stop_s\n"
    "del _t2\n"
    "print(json.dumps(_ph))"
)


# --------------------------------------------------------------------------- browser

# Installed in every page before it loads: the time of the last Shift+Enter, and of what
# each traced run put on the page, seen by one MutationObserver (epoch ms, the page's
# clock; the kernel's marker is epoch seconds on the same machine).
PAGE_PROBE = """
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const L = window.__avzLatency = { press: null };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.shiftKey && L.armed) { L.press = now(); L.armed = false; }
  }, true);
  const seen = (key) => { if (L.press !== null && L[key] === undefined) L[key] = now(); };
  const scan = (n) => {
    if (n.nodeType !== 1) return;
    if (n.matches('.asyncviz-summary') || n.querySelector('.asyncviz-summary')) seen('summary');
    if ((n.textContent || '').includes('%MARKER%')) seen('marker');
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

ARM = """() => {
  for (const e of document.querySelectorAll('[data-testid^=asyncviz-], .asyncviz-summary'))
    e.__avzOld = true;
  window.__avzLatency = Object.assign(window.__avzLatency, { press: null, armed: true,
    frame: undefined, states: undefined, summary: undefined, marker: undefined });
}"""


def _wanted(view: str) -> tuple[str, ...]:
    return {"timeline": ("frame",), "all": ("frame", "states", "summary")}[view]


class Run:
    """One Shift+Enter of the traced cell and what the page saw (seconds)."""

    def __init__(self, marks: dict, code_end: float, cell_px: float, out_px: float, done: float):
        press = marks["press"] / 1000
        self.code = code_end - press
        self.frame = marks["frame"] / 1000 - code_end
        shown = [marks[k] for k in ("frame", "states", "summary") if marks.get(k) is not None]
        self.shown = max(shown) / 1000 - code_end
        self.done = done - code_end
        self.marker_seen = (marks.get("marker") or 0) / 1000 - code_end
        self.cell_px, self.out_px = cell_px, out_px


def run_traced(nb, index: int, view: str, timeout: float = 180.0) -> Run:
    """Press Shift+Enter in cell `index` and wait for its views; the figures of that run."""
    page = nb.page
    before = nb.counts()[index] or 0
    page.evaluate(ARM)
    nb.cell(index).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    want = _wanted(view)
    page.wait_for_function(
        "(keys) => { const L = window.__avzLatency;"
        " return L.press !== null && keys.every((k) => L[k] !== undefined); }",
        arg=list(want),
        timeout=timeout * 1000,
    )
    nb.wait_executed([index], after={index: before}, timeout=timeout)
    done = time.time()  # the count is shown by now (polled every 50 ms: an upper bound)
    marks = page.evaluate("() => ({...window.__avzLatency})")
    code_end = _marker_time(nb.output_text(index))
    page.wait_for_timeout(300)  # let the outputs settle before measuring heights
    heights = nb.cell(index).evaluate(
        "c => [c.getBoundingClientRect().height,"
        " (c.querySelector('.jp-OutputArea') || c).getBoundingClientRect().height]"
    )
    return Run(marks, code_end, heights[0], heights[1], done)


def _marker_time(text: str) -> float:
    for line in text.splitlines():
        if line.startswith(MARKER):
            return float(line.split()[-1])
    raise RuntimeError(f"the traced cell did not print its marker {MARKER!r}:\n{text[:2000]}")


def measure_ui(browser, ui: str, views, repeat: int, tasks: int, shots, tmp: Path) -> dict:
    """{view: {"runs": [Run], "phases": {...}}} for one UI, a fresh kernel per view."""
    from browser import harness  # tests/browser/harness.py

    server = harness.JupyterServer(tmp / ui, ui).start()
    results = {}
    try:
        for view in views:
            context, guard = harness.new_context(browser, server)
            context.set_default_timeout(180_000)
            context.add_init_script(PAGE_PROBE)
            page = context.new_page()
            phases_cell = PHASES_CELL.format(here=str(HERE), tasks=tasks, steps=STEPS, view=view)
            cells = ["%load_ext asyncviz\nimport time", traced_cell(view, tasks), phases_cell]
            nb = harness.Notebook(page, guard, server, f"latency-{view}.ipynb", cells)
            nb.open(timeout=120)
            nb.cell(0).locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            nb.wait_executed([0], timeout=120)
            runs = [run_traced(nb, 1, view) for _ in range(repeat)]
            if shots:
                shots.mkdir(parents=True, exist_ok=True)
                nb.cell(1).screenshot(path=str(shots / f"latency.{ui}.{view}.png"))
            nb.rerun(2, timeout=300)
            results[view] = {"runs": runs, "phases": nb.last_json(2)}
            problems = guard.problems()
            if problems:
                results[view]["problems"] = problems
            context.close()
            server.shutdown_kernels()
    finally:
        server.stop()
    return results


# ----------------------------------------------------------------------------- output


def _ms(s: float) -> str:
    return f"{s * 1000:7.0f}"


def print_runs(results: dict) -> None:
    print()
    print("ms from the cell's code end (code: from Shift+Enter to the code end)")
    head = f"{'ui':10} {'view':9} {'run':5} {'code':>7} {'frame':>7} {'shown':>7} {'done':>7}"
    print(head + f" {'cell px':>8} {'out px':>8}")
    for ui, views in results.items():
        for view, res in views.items():
            runs = res["runs"]
            rows = [("cold", runs[0])]
            if len(runs) > 1:
                rows.append((f"warm{len(runs) - 1}", _median_run(runs[1:])))
            for label, r in rows:
                print(
                    f"{ui:10} {view:9} {label:5} {_ms(r.code)} {_ms(r.frame)} {_ms(r.shown)}"
                    f" {_ms(r.done)} {r.cell_px:8.0f} {r.out_px:8.0f}"
                )
            for p in res.get("problems", ()):
                print(f"  {ui} {view}: {p}")
    _print_ratio(results)


def _median_run(runs):
    class M:
        pass

    m = M()
    for name in ("code", "frame", "shown", "done", "cell_px", "out_px", "marker_seen"):
        setattr(m, name, statistics.median(getattr(r, name) for r in runs))
    return m


def _print_ratio(results: dict) -> None:
    for ui, views in results.items():
        if "timeline" in views and "all" in views:
            for label, pick in (("cold", lambda r: r[0]), ("warm", lambda r: _median_run(r[1:]))):
                runs_t, runs_a = views["timeline"]["runs"], views["all"]["runs"]
                if label == "warm" and (len(runs_t) < 2 or len(runs_a) < 2):
                    continue
                t, a = pick(runs_t), pick(runs_a)
                print(
                    f"{ui}: --view all shown / default frame, {label}: "
                    f"{a.shown / t.frame:.2f}x ({_ms(a.shown).strip()} / {_ms(t.frame).strip()} ms)"
                    f"; Shift+Enter to shown: {(a.code + a.shown) / (t.code + t.frame):.2f}x"
                )


def print_phases(phases: dict, title: str) -> None:
    print()
    print(
        f"Python-side breakdown, {title} ({phases['events']:,} events,"
        f" {phases['objects']:,} objects; warm)"
    )
    for name, value in phases.items():
        if name in ("events", "objects"):
            continue
        if name.endswith("_bytes"):
            print(f"  {name:40} {value:12,} bytes")
        else:
            print(f"  {name:40} {_ms(value)} ms")


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
    ap.add_argument("--python-only", action="store_true")
    args = ap.parse_args(argv)
    views = [v.strip() for v in args.views.split(",") if v.strip()]
    print(
        "workload: "
        + WORKLOAD.format(tasks=args.tasks, steps=STEPS, qmax=QUEUE_MAX)
        + f" (Python {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" {time.strftime('%Y-%m-%d %H:%M')}, commit {_commit()})"
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
    # the kernels import this checkout's asyncviz, not the one an editable install names
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p
    )
    from playwright.sync_api import sync_playwright

    uis = harness.UIS if args.ui == "both" else (args.ui,)
    results = {}
    with tempfile.TemporaryDirectory(prefix="asyncviz-latency-") as tmp:
        pw = sync_playwright().start()
        try:
            browser = harness.launch_chromium(pw)
            for ui in uis:
                results[ui] = measure_ui(
                    browser, ui, views, args.repeat, args.tasks, args.shots, Path(tmp)
                )
        finally:
            pw.stop()
    print_runs(results)
    for ui, res in results.items():
        for view, r in res.items():
            print_phases(r["phases"], f"--view {view}, in the {ui} kernel")
        break  # the kernel is the same program in both UIs: one breakdown is enough
    print_imports(import_costs())
    return 0


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
