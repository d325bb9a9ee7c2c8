"""asyncviz's recording cost, every backend side by side with viztracer, in CPU time.

    python bench/run.py [--quick] [--repeat N] [--only NAME]... [--backend NAME]...
                        [--no-viztracer] [--json PATH]

Modes: untraced; `asyncviz.trace(backend=NAME, max_events=...)` for every NAME that
`asyncviz.recording.backend.names()` returns (or each --backend); viztracer
(`log_async=True, max_stack_depth=-1`, start()/stop() around the workload, nothing saved,
clear() after: recording only).  A backend that refuses to start is reported unavailable,
in one line, and left out.

Method.  Each workload runs once untraced, untimed (warm-up; its result is the reference),
then N rounds (--repeat, default 7); a round runs every mode once, in an order that
rotates from round to round, so drift and noise hit every mode alike.  Every run is timed
with time.thread_time() (CPU of the recording thread) and time.process_time() (CPU of the
whole process, so a tracer's helper threads are not hidden).  A ratio is computed within a
round (mode / untraced, backend / viztracer, same clock); the figure printed is the median
over the rounds, with the min–max of the per-round ratios in parentheses.  ns/event is
(traced − untraced CPU) / the events the backend saw (recorded + dropped past max_events),
also a median over rounds.  Wall clock is printed for information only, never in a ratio.

Output: a header line (Python, platform, CPUs, date), one line per backend (available, or
why not), then per workload one line stating it and one aligned result line per figure,
so that two runs compare line by line.  Nothing about time is asserted.  Exit status 0,
unless a mode raised (other than a backend refusing to start), a traced run computed a
different result from the untraced one, no asyncviz backend could start, or an RSS
measurement failed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))  # run from a checkout without installing

import report  # noqa: E402  (bench/report.py)
import workloads as _workloads  # noqa: E402  (bench/workloads.py)

MAX_EVENTS = 50_000_000  # default asyncviz budget: keeps every event of every workload
VIZ_ENTRIES = 10_000_000  # viztracer's ring buffer; ≈3x the largest workload's entries
UNTRACED, VIZTRACER, ASYNCVIZ = "untraced", "viztracer", "asyncviz:"
CLOCKS = ("thread", "process")  # the clocks ratios are computed on; "wall" is information
TRACE_FACTS = ("events", "dropped", "bytes_per_event", "objects", "backend")  # of a run's info


class Unavailable(Exception):
    """An asyncviz backend refused to start."""


@dataclass
class Run:
    thread: int  # ns of time.thread_time()
    process: int  # ns of time.process_time()
    wall: int  # ns of time.perf_counter(), information only
    result: object
    info: dict | None = None


@dataclass
class Measured:
    runs: dict = field(default_factory=dict)  # mode -> [Run | None] per round
    errors: dict = field(default_factory=dict)  # mode -> traceback text
    unavailable: dict = field(default_factory=dict)  # mode -> reason
    mismatches: list = field(default_factory=list)  # (mode, round, result)


def label(mode: str) -> str:
    return mode[len(ASYNCVIZ) :] if mode.startswith(ASYNCVIZ) else mode


def _start_clocks():
    return time.perf_counter_ns(), time.process_time_ns(), time.thread_time_ns()


def _run(c0, result, info=None) -> Run:
    t1 = time.thread_time_ns()
    p1 = time.process_time_ns()
    w1 = time.perf_counter_ns()
    w0, p0, t0 = c0
    return Run(t1 - t0, p1 - p0, w1 - w0, result, info)


# -- the modes --------------------------------------------------------------------------


def run_untraced(w) -> Run:
    gc.collect()
    c0 = _start_clocks()
    result = w.run()
    return _run(c0, result)


def run_asyncviz(w, backend: str) -> Run:
    import asyncviz

    gc.collect()
    c0 = _start_clocks()
    ctx = asyncviz.trace(backend=backend, max_events=w.max_events or MAX_EVENTS)
    try:
        t = ctx.__enter__()
    except Exception as exc:
        raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
    try:
        result = w.run()
    except BaseException:
        ctx.__exit__(*sys.exc_info())
        raise
    ctx.__exit__(None, None, None)
    run = _run(c0, result)
    run.info = {
        "events": len(t.events),
        "dropped": t.dropped,
        "bytes_per_event": t.bytes_per_event(),
        "objects": len(t.objects),
        "backend": t.meta.get("backend"),
        "notes": list(t.meta.get("notes", [])),
    }
    del t, ctx
    return run


def run_viztracer(w, count: bool = False) -> Run:
    from viztracer import VizTracer

    if hasattr(sys, "monitoring"):
        # Untimed workaround: a sys.monitoring backend answers DISABLE for ordinary code,
        # and those DISABLEs outlive its trace, per code location, for whoever takes the
        # tool id next; viztracer takes the same id and would never see PY_START there
        # ("Unexpected function return, tracing is stopped", 0 entries).  The recorder
        # re-enables them when it stops today; this keeps the comparison fair regardless.
        sys.monitoring.restart_events()
    tracer = VizTracer(log_async=True, max_stack_depth=-1, tracer_entries=VIZ_ENTRIES, verbose=0)
    gc.collect()
    c0 = _start_clocks()
    tracer.start()
    try:
        result = w.run()
    finally:
        tracer.stop()
    run = _run(c0, result)
    if count:  # untimed: turn the buffer into events once, to say how many there were
        n = tracer.parse()
        run.info = {"entries": n, "overflow": n >= VIZ_ENTRIES}
    tracer.clear()
    del tracer
    return run


def run_mode(mode: str, w, count: bool = False) -> Run:
    if mode == UNTRACED:
        return run_untraced(w)
    if mode == VIZTRACER:
        return run_viztracer(w, count)
    return run_asyncviz(w, label(mode))


def probe(backend: str, n: int = 21):
    """(None, median thread-CPU ns of an empty trace's start+stop, notes) or (reason, ...)."""
    import asyncviz

    times, notes = [], []
    for _ in range(n):
        ctx = asyncviz.trace(backend=backend, max_events=10)
        t0 = time.thread_time_ns()
        try:
            t = ctx.__enter__()
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}", None, []
        ctx.__exit__(None, None, None)
        times.append(time.thread_time_ns() - t0)
        notes = list(t.meta.get("notes", []))
    return None, statistics.median(times), notes


# -- measuring --------------------------------------------------------------------------


def measure(w, modes: list[str], rounds: int, reference) -> Measured:
    m = Measured(runs={mode: [None] * rounds for mode in modes})
    for r in range(rounds):
        k = r % len(modes)
        for mode in modes[k:] + modes[:k]:
            if mode in m.errors or mode in m.unavailable:
                continue
            try:
                count = mode == VIZTRACER and all(x is None for x in m.runs[mode])
                run = run_mode(mode, w, count)
            except Unavailable as exc:
                m.unavailable[mode] = str(exc)
                continue
            except Exception:
                m.errors[mode] = traceback.format_exc(limit=8)
                continue
            m.runs[mode][r] = run
            if run.result != reference:
                m.mismatches.append((mode, r, run.result))
    return m


def per_round(m: Measured, a: str, b: str, clock: str) -> list[float]:
    out = []
    for ra, rb in zip(m.runs.get(a, ()), m.runs.get(b, ())):
        if ra is not None and rb is not None and getattr(rb, clock) > 0:
            out.append(getattr(ra, clock) / getattr(rb, clock))
    return out


def ns_per_event(m: Measured, mode: str, clock: str, fixed: int | None = None) -> list[float]:
    """Per round: (mode − untraced CPU) / the events the mode saw — asyncviz's recorded +
    dropped of that run, or `fixed` (viztracer's entries, counted in one run)."""
    out = []
    for ra, ru in zip(m.runs.get(mode, ()), m.runs.get(UNTRACED, ())):
        if ra is None or ru is None:
            continue
        if fixed is not None:
            seen = fixed
        elif ra.info:
            seen = ra.info["events"] + ra.info["dropped"]
        else:
            continue
        if seen:
            out.append((getattr(ra, clock) - getattr(ru, clock)) / seen)
    return out


def stat(xs: list[float]) -> dict | None:
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def median_of(m: Measured, mode: str, clock: str) -> float | None:
    xs = [getattr(r, clock) for r in m.runs.get(mode, ()) if r is not None]
    return statistics.median(xs) if xs else None


def peak_rss() -> tuple[int, str]:
    """This process's peak resident set size in bytes, and where it was read.

    Linux: VmHWM of /proc/self/status, the high-water mark of this process's own memory
    since its exec.  Not ru_maxrss there: exec folds the high-water mark of the memory it
    replaces into ru_maxrss, and a child spawned (vfork) by this benchmark, by then large,
    would start with the parent's peak and show no growth at all."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024, "VmHWM"
    except OSError:
        pass
    import resource

    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale, "ru_maxrss"


def rss_child(mode: str, workload: str, quick: bool) -> None:
    """In a fresh process: the growth of the peak RSS over one run (after − before)."""
    # imports are not the workload's memory: an empty trace loads the recorder and backend
    import asyncviz

    if mode.startswith(ASYNCVIZ):
        with asyncviz.trace(backend=label(mode), max_events=10):
            pass
    elif mode == VIZTRACER:
        import viztracer  # noqa: F401
    w = {x.name: x for x in _workloads.workloads(quick=quick)}[workload]
    gc.collect()
    before, source = peak_rss()
    run = run_mode(mode, w)
    after, _ = peak_rss()
    peak = {"growth_bytes": after - before, "peak_bytes": after, "source": source}
    print(json.dumps({**peak, "result": run.result, "info": run.info}))


def rss_growth(mode: str, w, quick: bool) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--rss-child", mode, "--rss-workload", w.name]
    if quick:
        cmd.append("--quick")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 900 s"}
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit status {p.returncode}: {tail}"}
    return json.loads(lines[-1])


# -- one workload ------------------------------------------------------------------------


def mode_figures(m: Measured, mode: str, modes: list[str], runs: list[Run], bad: set) -> dict:
    """One mode's figures, keyed and ordered as --json writes them."""
    fig = {}
    viz = next((r.info for r in runs if r.info), None) if mode == VIZTRACER else None
    for clock in CLOCKS:
        f = fig[clock] = {"median_ns": median_of(m, mode, clock)}
        if mode != UNTRACED:
            f["ratio_untraced"] = stat(per_round(m, mode, UNTRACED, clock))
        if mode.startswith(ASYNCVIZ):
            if VIZTRACER in modes:
                f["ratio_viztracer"] = stat(per_round(m, mode, VIZTRACER, clock))
            f["ns_per_event"] = stat(ns_per_event(m, mode, clock))
        elif viz:
            f["ns_per_entry"] = stat(ns_per_event(m, mode, clock, viz["entries"]))
        # between the clocks, so that --json keeps the order it always had
        if clock == "thread" and mode.startswith(ASYNCVIZ):
            fig.update({k: runs[0].info[k] for k in TRACE_FACTS}, same_result=mode not in bad)
        elif clock == "thread" and viz:
            fig.update(entries=viz["entries"], same_result=mode not in bad)
    return fig


def measure_rss(w, modes: list[str], m: Measured, reference, quick: bool, lead):
    """({label: growth in bytes, None if unmeasured}, whether a measurement failed)."""
    growth, failed = {}, False
    for mode in modes:
        if mode in m.unavailable:
            continue
        got = rss_growth(mode, w, quick)
        growth[label(mode)] = None if "error" in got else got["growth_bytes"]
        failed |= "error" in got or got["result"] != reference
        print(report.rss_line(lead(mode), got, reference))
    return growth, failed


def run_workload(w, modes: list[str], rounds: int, quick: bool, cols: report.Columns):
    """Measure and print one workload: (its --json record, whether anything failed)."""
    lead = lambda mode: cols.lead(w.name, label(mode))
    print()
    print(report.workload_line(w))
    reference = w.run()  # untimed warm-up; the reference result
    m = measure(w, modes, rounds, reference)
    rec = report.workload_record(w, m, rounds, reference, w.max_events or MAX_EVENTS)
    for line in report.problem_lines(m, reference, lead):
        print(line)
    bad = {mode for mode, _, _ in m.mismatches}
    failed = bool(m.errors or m.mismatches)
    for mode in modes:
        runs = [r for r in m.runs[mode] if r is not None]
        if not runs:
            continue
        fig = rec["figures"][label(mode)] = mode_figures(m, mode, modes, runs, bad)
        for line in report.figure_lines(lead(mode), label(mode), fig, runs, rounds, CLOCKS):
            print(line)
    walls = {label(mode): median_of(m, mode, "wall") for mode in modes}
    rec["wall_median_ns"] = walls
    print(report.wall_line(lead("wall"), walls))
    if w.rss:
        rec["rss_growth_bytes"], rss_failed = measure_rss(w, modes, m, reference, quick, lead)
        failed |= rss_failed
    return rec, failed


# -- the run ------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="scale every workload down about 10x (CI smoke run)"
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=7,
        metavar="N",
        help="rounds of alternating runs; figures are medians over them (default 7)",
    )
    ap.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this workload (repeatable, or comma-separated)",
    )
    ap.add_argument(
        "--backend",
        action="append",
        default=[],
        metavar="NAME",
        help="measure only this asyncviz backend (repeatable, or comma-separated; "
        "default: every one asyncviz.recording.backend.names() returns)",
    )
    ap.add_argument("--no-viztracer", action="store_true", help="skip the viztracer mode")
    ap.add_argument("--json", metavar="PATH", help="also write every figure as JSON to PATH")
    ap.add_argument("--rss-child", metavar="MODE", help=argparse.SUPPRESS)
    ap.add_argument("--rss-workload", metavar="NAME", help=argparse.SUPPRESS)
    return ap


def select_workloads(ap: argparse.ArgumentParser, args) -> list:
    table = _workloads.workloads(quick=args.quick)
    names = [w.name for w in table]
    only = [n for o in args.only for n in o.split(",") if n]
    unknown = [n for n in only if n not in names]
    if unknown:
        ap.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(names)}")
    return [w for w in table if w.name in only] if only else table


def backend_names(asked: list[str]) -> tuple[list[str], list[str]]:
    """(the backends names() lists, those to measure: --backend's, else all listed)."""
    from asyncviz.recording import backend as _backend  # the recorder: probe() imports it

    listed = list(_backend.names())
    wanted = list(dict.fromkeys(n for b in asked for n in b.split(",") if n)) or listed
    return listed, wanted


def viztracer_version(skip: bool) -> str | None:
    if skip:
        return None
    try:
        import viztracer  # imported before any timed run, like the recorder
    except ImportError:
        return None
    return getattr(viztracer, "__version__", "?")


def probe_backends(wanted: list[str], listed: list[str], width: int) -> dict:
    """name -> {"available", "reason", "empty_trace_thread_ns", "notes"}, each printed."""
    backends = {}
    for name in wanted:
        reason, empty, notes = probe(name)
        backends[name] = {
            "available": reason is None,
            "reason": reason,
            "empty_trace_thread_ns": empty,
            "notes": notes,
        }
        print(report.backend_line(name, width, backends[name], listed))
    return backends


def main(argv=None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace", line_buffering=True)

    if args.rss_child:
        rss_child(args.rss_child, args.rss_workload, args.quick)
        return 0

    rounds = max(1, args.repeat)
    table = select_workloads(ap, args)
    listed, wanted = backend_names(args.backend)
    vz = viztracer_version(args.no_viztracer)
    header = report.header(rounds, args.quick, listed, vz)
    for line in report.header_lines(header, args.no_viztracer):
        print(line)

    width = max([len(n) for n in wanted] + [len(UNTRACED), len(VIZTRACER)])
    backends = probe_backends(wanted, listed, width)
    usable = [n for n in wanted if backends[n]["available"]]
    failed = not usable
    if not usable:
        print("no asyncviz backend could start: nothing of asyncviz to measure")
    modes = [UNTRACED] + [ASYNCVIZ + n for n in usable] + ([VIZTRACER] if vz else [])

    cols = report.Columns(max(len(w.name) for w in table), width)
    out = {"header": header, "backends": backends, "workloads": []}
    for w in table:
        rec, w_failed = run_workload(w, modes, rounds, args.quick, cols)
        out["workloads"].append(rec)
        failed |= w_failed

    out["failed"] = failed
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=repr)
        print(f"\nfigures written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
