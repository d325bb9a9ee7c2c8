"""asyncviz's cost, side by side with viztracer's, measured in one process run.

    python bench/run.py [--quick] [--repeat N] [--only NAME]...

For each workload: untraced, `with asyncviz.trace(max_events=50_000_000)` and viztracer
(log_async, unlimited depth, start/stop around the workload, nothing saved) — best of N,
the three modes alternating (in a rotating order) so that noise hits them alike.  Prints
one line stating each workload and one result line per figure; never asserts a time.
Exit status: 0, unless a mode raised or a traced run computed a different result.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))  # run from a checkout without installing

import workloads as _workloads  # noqa: E402  (bench/workloads.py)

MAX_EVENTS = 50_000_000
VIZ_ENTRIES = 10_000_000  # ≈5x the largest workload's entries; pages are touched lazily
MODES = ("untraced", "asyncviz", "viztracer")


def _now() -> float:
    return time.perf_counter()


def run_untraced(w):
    gc.collect()
    t0 = _now()
    result = w.run()
    return _now() - t0, result, None


def run_asyncviz(w):
    import asyncviz
    gc.collect()
    t0 = _now()
    with asyncviz.trace(max_events=MAX_EVENTS) as t:
        result = w.run()
    dt = _now() - t0
    info = {"events": len(t.events), "bytes_per_event": t.bytes_per_event(),
            "dropped": t.dropped, "objects": len(t.objects),
            "backend": t.meta.get("backend")}
    del t
    return dt, result, info


def run_viztracer(w, count: bool = False):
    from viztracer import VizTracer
    if hasattr(sys, "monitoring"):
        # Workaround (untimed): asyncviz's sys.monitoring backend answers DISABLE for
        # ordinary code and leaves those locations disabled for its tool id when it stops;
        # viztracer then takes the same id (2) and misses PY_START for them ("Unexpected
        # function return, tracing is stopped", 0 entries).  Re-enable them first.
        sys.monitoring.restart_events()
    tracer = VizTracer(log_async=True, max_stack_depth=-1, tracer_entries=VIZ_ENTRIES,
                       verbose=0)
    gc.collect()
    t0 = _now()
    tracer.start()
    try:
        result = w.run()
    finally:
        tracer.stop()
    dt = _now() - t0
    info = None
    if count:  # untimed: turn the buffer into events once, to say how many there were
        n = tracer.parse()
        info = {"entries": n, "overflow": n >= VIZ_ENTRIES}
    tracer.clear()
    del tracer
    return dt, result, info


def empty_trace_cost(n: int = 21) -> float:
    import asyncviz
    best = None
    for _ in range(n):
        t0 = _now()
        with asyncviz.trace(max_events=MAX_EVENTS):
            pass
        dt = _now() - t0
        best = dt if best is None or dt < best else best
    return best


def viztracer_version() -> str | None:
    try:
        import viztracer
    except ImportError:
        return None
    return getattr(viztracer, "__version__", "?")


def fmt_ratio(a, b) -> str:
    if a is None or b is None or b <= 0:
        return "n/a"
    return f"{a / b:.2f}x"


def fmt_s(x) -> str:
    return "n/a" if x is None else f"{x:.4f}s"


def measure(w, repeat: int, modes, count_entries: bool = True):
    best = {m: None for m in modes}
    times = {m: [] for m in modes}
    results = {}
    infos = {}
    errors = {}
    for rep in range(repeat):
        order = modes[rep % len(modes):] + modes[:rep % len(modes)]
        for mode in order:
            if mode in errors:
                continue
            try:
                if mode == "untraced":
                    dt, res, info = run_untraced(w)
                elif mode == "asyncviz":
                    dt, res, info = run_asyncviz(w)
                else:
                    dt, res, info = run_viztracer(w, count=count_entries and mode not in infos)
            except Exception:
                errors[mode] = traceback.format_exc(limit=6)
                continue
            times[mode].append(dt)
            if best[mode] is None or dt < best[mode]:
                best[mode] = dt
            results.setdefault(mode, res)
            if info is not None:
                infos.setdefault(mode, info)
    return best, results, infos, errors, times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="scale every workload down about 10x (CI smoke run)")
    ap.add_argument("--repeat", type=int, default=3, metavar="N",
                    help="best of N runs per mode (default 3)")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help="run only this workload (repeatable, or comma-separated)")
    ap.add_argument("--no-viztracer", action="store_true", help="skip the viztracer column")
    args = ap.parse_args(argv)

    table = _workloads.workloads(quick=args.quick)
    names = [w.name for w in table]
    only = [n for o in args.only for n in o.split(",") if n]
    unknown = [n for n in only if n not in names]
    if unknown:
        ap.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(names)}")
    if only:
        table = [w for w in table if w.name in only]

    import asyncviz
    from asyncviz.recording.backend import choose
    asyncviz.trace  # import the recorder now, not inside the first timed run
    try:
        from viztracer import VizTracer  # noqa: F401  (likewise)
    except ImportError:
        pass
    vz = None if args.no_viztracer else viztracer_version()
    modes = MODES if vz else MODES[:2]
    print(f"asyncviz bench: Python {platform.python_version()} ({sys.executable}), "
          f"asyncviz {asyncviz.__version__} backend {choose().name}, "
          f"viztracer {vz or 'not installed/skipped'}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}, "
          f"best of {args.repeat} (x{max(w.repeat_factor for w in table)} for short workloads), modes alternating{' [QUICK: workloads ~10x smaller]' if args.quick else ''}")

    failed = False
    promises = []
    w_untraced = {}
    for w in table:
        print()
        print(f"workload {w.name}: {w.description}")
        sys.stdout.flush()
        repeat = max(1, args.repeat) * w.repeat_factor
        best, results, infos, errors, times = measure(w, repeat, modes)
        for mode, tb in errors.items():
            failed = True
            print(f"{w.name}  ERROR in {mode}:\n{tb}")
        ref = results.get("untraced")
        for mode, res in results.items():
            if mode != "untraced" and ref is not None and res != ref:
                failed = True
                print(f"{w.name}  MISMATCH: {mode} computed {res!r}, untraced {ref!r}")
        u, a, v = best.get("untraced"), best.get("asyncviz"), best.get("viztracer")
        print(f"{w.name}  best of {repeat}  untraced {fmt_s(u)}  asyncviz {fmt_s(a)}  viztracer {fmt_s(v)}")
        line = (f"{w.name}  asyncviz/untraced {fmt_ratio(a, u)}  "
                f"viztracer/untraced {fmt_ratio(v, u)}  asyncviz/viztracer {fmt_ratio(a, v)}")
        ai = infos.get("asyncviz")
        if ai:
            n = ai["events"]
            line += f"  events {n}  bytes/event {ai['bytes_per_event']:.1f}"
            if a and n:
                line += f"  events/s {n / a / 1e6:.2f}M"
                if u is not None:
                    line += f"  overhead/event {(a - u) / n * 1e9:.0f}ns"
            if ai["dropped"]:
                line += f"  DROPPED {ai['dropped']}"
        print(line)
        vi = infos.get("viztracer")
        if vi:
            over = "  (BUFFER FULL: raise VIZ_ENTRIES)" if vi["overflow"] else ""
            extra = ""
            if v and vi["entries"]:
                extra = f"  entries/s {vi['entries'] / v / 1e6:.2f}M"
            print(f"{w.name}  viztracer entries {vi['entries']}{extra}{over}")
        if w.promise and a and u:
            # the promise is judged on medians of alternating runs: a best-of on an
            # 8 ms workload on a shared machine swings by more than the 5% at stake
            promises.append((w, statistics.median(times["asyncviz"])
                             / statistics.median(times["untraced"])))
            w_untraced[w.name] = u
        sys.stdout.flush()

    quick = args.quick
    for w, ratio in promises:
        print()
        applies = hasattr(sys, "monitoring")
        if applies and quick:
            print(f"PROMISE {w.name} asyncviz/untraced {ratio:.3f}x  [{w.promise}]  -> not "
                  "judged with --quick (fib(20) runs ≈0.7 ms, where the ≈40 µs fixed cost "
                  "of starting and stopping a trace is ≈6%)")
        elif applies:
            verdict = "KEPT" if ratio <= 1.05 else "OVER (noisy machine? rerun with --repeat 7)"
            print(f"PROMISE {w.name} asyncviz/untraced {ratio:.3f}x (median of alternating "
                  f"runs)  [{w.promise}]  -> {verdict}")
            fixed = empty_trace_cost()
            u = w_untraced[w.name]
            print(f"PROMISE {w.name} of which the fixed cost of starting+stopping a trace "
                  f"(empty trace, best of 21): {fixed * 1e6:.0f}us = {fixed / u * 100:.1f}% "
                  f"of untraced {u * 1e3:.2f}ms")
        else:
            print(f"PROMISE {w.name} asyncviz/untraced {ratio:.3f}x  "
                  f"[{w.promise}]  -> not applicable on Python "
                  f"{platform.python_version()} (sys.settrace backend)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
