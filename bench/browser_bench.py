"""The timeline widget at scale, in a real browser: first frame, pan/zoom redraws, payload.

    python bench/browser_bench.py [--events N] [--steps N] [--ui lab|notebook7] [--shots DIR]

Workload: a notebook (JupyterLab by default, headless Debian Chromium, the recipe of
tests/browser/harness.py) records `bench/workloads.py: gen_pipeline(N // 5)` — ≈1,000,000
events by default — under `asyncviz.trace(max_events=MAX_EVENTS)` and displays
`t.timeline()`.  Then, with the pointer on the canvas, N steps (30 by default) alternate
a wheel zoom (in for the first half, out for the second) and a 150 px drag pan.

Prints one line per figure: events recorded; payload bytes per event all in (the
buffers and the header's JSON, over n_events, printed by a cell) with each part; the
kernel's time to build the widget; the widget's own `data-first-frame-ms`; the wall time
from clicking Run All to that first frame (everything a user waits for); and the median /
p90 / max of `data-last-redraw-ms` after each step.  The targets (first frame <= 100 ms,
median redraw <= 16 ms, <= 16 bytes/event all in) are printed beside them for the
reader; nothing is asserted.  Requires the `test` extra (jupyterlab, playwright) and
/usr/bin/chromium (apt-get install -y chromium; never `playwright install`).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))

from browser import harness  # noqa: E402  (tests/browser/harness.py, no pytest needed)

ROOT = "[data-testid=asyncviz-timeline]"
EVENTS_PER_ITEM = 5  # gen_pipeline: source/squares resume+yield, evens resume (+yield)
# the budget counts the values too (the squares are wide ints, kept in the numbers
# table): room for every event of the default million
MAX_EVENTS = 3_000_000


def cells(events: int) -> list[str]:
    items = max(1, events // EVENTS_PER_ITEM)
    return [
        f"import json, sys, time\nsys.path.insert(0, {str(HERE)!r})\nimport asyncviz, workloads",
        f"with asyncviz.trace(max_events={MAX_EVENTS}) as t:\n"
        f"    workloads.gen_pipeline({items})\n"
        "t0 = time.perf_counter()\n"
        "widget = t.timeline()\n"
        "build_s = time.perf_counter() - t0\n"
        "n = len(t.events)\n"
        "header = len(json.dumps(widget.header, separators=(',', ':')))\n"
        "print(json.dumps({'n_events': n, 'truncated': t.truncated, 'build_s': build_s,\n"
        "                  'payload_bytes': len(widget.buffers), 'header_bytes': header,\n"
        "                  'bytes_per_event': (len(widget.buffers) + header) / max(1, n),\n"
        "                  'details': widget.header.get('details'),\n"
        "                  'lanes': len(widget.header['lanes']['label'])}))",
        "widget",
    ]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def redraw_after(page, root, action) -> float:
    """Run `action`, then wait for the frame it caused and return its data-last-redraw-ms
    (the attribute is removed first; the widget sets it again on every draw)."""
    root.evaluate("el => el.removeAttribute('data-last-redraw-ms')")
    action()
    page.wait_for_function(
        "el => el.hasAttribute('data-last-redraw-ms')", arg=root.element_handle(), timeout=30_000
    )
    page.wait_for_timeout(30)  # a drag's last move may still be drawing
    return float(root.get_attribute("data-last-redraw-ms"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--ui", choices=harness.UIS, default="lab")
    ap.add_argument(
        "--shots",
        type=Path,
        default=None,
        help="save screenshots of the widget before and after the steps here",
    )
    args = ap.parse_args(argv)
    missing = harness.missing_chromium()
    if missing:
        print(f"browser_bench: {missing}", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    print(
        f"workload: {args.ui} in headless Chromium; gen_pipeline({args.events // EVENTS_PER_ITEM})"
        f" (~{args.events:,} events) traced with max_events={MAX_EVENTS:_}, t.timeline() shown;"
        f" {args.steps} steps alternating wheel zoom and 150 px drag pan"
        f" (Python {platform.python_version()}, {os.cpu_count()} CPUs)"
    )
    with tempfile.TemporaryDirectory(prefix="asyncviz-browser-bench-") as tmp:
        server = harness.JupyterServer(Path(tmp) / args.ui, args.ui).start()
        pw = sync_playwright().start()
        try:
            browser = harness.launch_chromium(pw)
            context, guard = harness.new_context(browser, server)
            context.set_default_timeout(120_000)
            page = context.new_page()
            nb = harness.Notebook(page, guard, server, "bench.ipynb", cells(args.events))
            nb.open(timeout=120)
            t_run = time.perf_counter()
            nb.run_all(timeout=600)
            info = nb.last_json(1)
            root = nb.output(2).locator(ROOT).first
            root.wait_for(state="attached", timeout=120_000)
            root.scroll_into_view_if_needed()
            page.wait_for_function(
                "el => el.hasAttribute('data-first-frame-ms')",
                arg=root.element_handle(),
                timeout=120_000,
            )
            seen_s = time.perf_counter() - t_run
            first_ms = float(root.get_attribute("data-first-frame-ms"))
            if args.shots:
                args.shots.mkdir(parents=True, exist_ok=True)
                root.screenshot(path=str(args.shots / "browser_bench.before.png"))

            canvas = root.locator("[data-testid=timeline-canvas]")
            box = canvas.bounding_box()
            cx, cy = box["x"] + box["width"] * 0.6, box["y"] + min(box["height"] / 2, 80)
            page.mouse.move(cx, cy)
            page.mouse.click(cx, cy)  # a plain wheel zooms once the timeline has focus
            times = []
            zooms = (args.steps + 1) // 2
            for i in range(args.steps):
                if i % 2 == 0:
                    k = i // 2
                    delta = -240 if k < zooms // 2 else 240  # in, then back out

                    def act(delta=delta):
                        page.mouse.move(cx, cy)
                        page.mouse.wheel(0, delta)
                else:
                    dx = 150 if (i // 2) % 2 == 0 else -150

                    def act(dx=dx):
                        page.mouse.move(cx, cy)
                        page.mouse.down()
                        page.mouse.move(cx + dx, cy, steps=4)
                        page.mouse.up()

                times.append(redraw_after(page, root, act))
            if args.shots:
                root.screenshot(path=str(args.shots / "browser_bench.after.png"))
            blocked = sorted(set(guard.blocked))
        finally:
            try:
                pw.stop()
            finally:
                server.stop()

    n = info["n_events"]
    print(
        f"events recorded:             {n:,}{' (truncated)' if info['truncated'] else ''},"
        f" {info['lanes']} lanes"
    )
    print(
        f"payload bytes/event, all in: {info['bytes_per_event']:.2f}"
        f"  ({info['payload_bytes']:,} bytes of buffers + header JSON {info['header_bytes']:,}"
        f" bytes; details {info['details']})  [target <= 16]"
    )
    print(f"widget build in the kernel:  {info['build_s'] * 1000:.0f} ms (t.timeline())")
    print(f"first frame (widget's own):  {first_ms:.1f} ms  [target <= 100]")
    print(
        f"Run All -> first frame:      {seen_s:.2f} s (record, build, display bundle,"
        f" transfer, render)"
    )
    print(
        f"redraw on pan/zoom:          median {statistics.median(times):.2f} ms,"
        f" p90 {percentile(times, 0.9):.2f} ms, max {max(times):.2f} ms"
        f" over {len(times)} steps  [target median <= 16]"
    )
    print(f"redraw ms per step:          {' '.join(f'{t:.1f}' for t in times)}")
    if blocked:
        print(f"requests blocked (left localhost): {', '.join(blocked)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
