"""How long the static timeline images take, for traces of 10k and 1M events.

    python bench/static_bench.py [--quick] [--repeat N] [--events N]... [--save DIR]

Each trace is recorded once, in this process, from a generator pipeline
(`bench/workloads.py: gen_pipeline`, under `asyncviz.trace(max_events=1_100_000)`) and —
to have many lanes as well — from `tasks_sleep0` (N tasks × 10 `asyncio.sleep(0)`).
For each trace: the timeline analysis alone, then PNG, SVG and PDF end to end (analysis
included, as `timeline_png(trace)` does it), best of N; the rectangles drawn after merging
sub-pixel slices, against the running slices in the trace; and the size of each file.
Prints one line stating each trace and one result line per figure; never asserts a time
(the promise — a 1,000,000-event PNG, analysis included, in about 1 s — is for the reader
to compare).  The layout is timed apart from the analysis: it is the static renderers' own
share (static_layout.py), the drawing the rest.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from functools import partial

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))  # run from a checkout without installing

import workloads as _workloads  # noqa: E402  (bench/workloads.py)

# events per pipeline item: source/squares resume+yield each, evens resume (+yield on even)
_PER_ITEM = 5


def pipeline_trace(events: int):
    import asyncviz

    with asyncviz.trace(max_events=max(1_100_000, events + events // 10)) as t:
        _workloads.gen_pipeline(max(1, events // _PER_ITEM))
    return t


def tasks_trace(tasks: int):
    import asyncviz

    with asyncviz.trace(max_events=1_100_000) as t:
        _workloads.tasks_sleep0(tasks)
    return t


def best(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10k and 100k events only")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--events",
        type=int,
        action="append",
        help="pipeline trace sizes (default 10,000 and 1,000,000)",
    )
    ap.add_argument("--save", metavar="DIR", help="also write each image into DIR")
    args = ap.parse_args(argv)
    from asyncviz.analysis.timeline import timeline_of
    from asyncviz.render.static import timeline_pdf, timeline_png, timeline_svg
    from asyncviz.render.static_layout import layout

    sizes = args.events or ([10_000, 100_000] if args.quick else [10_000, 1_000_000])
    print(
        f"python {platform.python_version()}, best of {args.repeat}; times include the "
        "timeline analysis"
    )
    warm = pipeline_trace(100)  # imports (matplotlib, fonts) are paid here, not below
    timeline_png(warm), timeline_pdf(warm), timeline_svg(warm)
    del warm

    cases = [(f"gen_pipeline, {n:,} events asked", lambda n=n: pipeline_trace(n)) for n in sizes]
    cases.append(
        (
            f"tasks_sleep0, {1_000 if args.quick else 10_000:,} tasks x 10 sleep(0)",
            lambda: tasks_trace(1_000 if args.quick else 10_000),
        )
    )
    status = 0
    for title, make in cases:
        trace = make()
        n = len(trace.events)
        print(
            f"\n{title}: {n:,} events, {len(trace.objects):,} objects"
            f"{', truncated' if trace.truncated else ''} "
            f"({trace.meta.get('backend')})"
        )
        try:
            t_an, tl = best(partial(timeline_of, trace), args.repeat)
            t_lay, out = best(partial(layout, trace, timeline=tl), args.repeat)
            t_png, png = best(partial(timeline_png, trace), args.repeat)
            t_svg, svg = best(partial(timeline_svg, trace), args.repeat)
            t_pdf, pdf = best(partial(timeline_pdf, trace), args.repeat)
        except Exception:  # pragma: no cover - reported, not hidden
            import traceback

            traceback.print_exc()
            status = 1
            continue
        print(f"  analysis {t_an:6.3f} s | layout {t_lay:6.3f} s (analysis done)")
        print(f"  png {t_png:6.3f} s | svg {t_svg:6.3f} s | pdf {t_pdf:6.3f} s")
        print(
            f"  png/analysis {t_png / t_an:5.2f}x | svg/png {t_svg / t_png:5.2f}x | "
            f"pdf/png {t_pdf / t_png:5.2f}x"
        )
        print(
            f"  slices {out.n_slices:,} -> rectangles drawn {out.n_rects:,} "
            f"({out.n_rects / max(out.n_slices, 1):.4f} per slice), "
            f"{len(out.lanes)} lanes, {len(out.rows)} rows, {out.width}x{out.height} px, "
            f"markers {'on' if out.markers else 'off'}"
        )
        print(f"  bytes: png {len(png):,} | svg {len(svg.encode()):,} | pdf {len(pdf):,}")
        if args.save:
            os.makedirs(args.save, exist_ok=True)
            stem = os.path.join(args.save, title.split(",")[0] + f"-{n}")
            for suffix, data in ((".png", png), (".svg", svg.encode()), (".pdf", pdf)):
                with open(stem + suffix, "wb") as f:
                    f.write(data)
            print(f"  written: {stem}.png .svg .pdf")
        del trace, tl, out, png, svg, pdf
    return status


if __name__ == "__main__":
    sys.exit(main())
