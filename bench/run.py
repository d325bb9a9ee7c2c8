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
import datetime
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))  # run from a checkout without installing

import workloads as _workloads  # noqa: E402  (bench/workloads.py)

MAX_EVENTS = 50_000_000   # default asyncviz budget: keeps every event of every workload
VIZ_ENTRIES = 10_000_000  # viztracer's ring buffer; ≈3x the largest workload's entries
UNTRACED, VIZTRACER, ASYNCVIZ = "untraced", "viztracer", "asyncviz:"
CLOCKS = ("thread", "process")  # the clocks ratios are computed on; "wall" is information


class Unavailable(Exception):
    """An asyncviz backend refused to start."""


@dataclass
class Run:
    thread: int   # ns of time.thread_time()
    process: int  # ns of time.process_time()
    wall: int     # ns of time.perf_counter(), information only
    result: object
    info: dict | None = None


@dataclass
class Measured:
    runs: dict = field(default_factory=dict)         # mode -> [Run | None] per round
    errors: dict = field(default_factory=dict)       # mode -> traceback text
    unavailable: dict = field(default_factory=dict)  # mode -> reason
    mismatches: list = field(default_factory=list)   # (mode, round, result)


def label(mode: str) -> str:
    return mode[len(ASYNCVIZ):] if mode.startswith(ASYNCVIZ) else mode


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
    run.info = {"events": len(t.events), "dropped": t.dropped,
                "bytes_per_event": t.bytes_per_event(), "objects": len(t.objects),
                "backend": t.meta.get("backend"), "notes": list(t.meta.get("notes", []))}
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
    tracer = VizTracer(log_async=True, max_stack_depth=-1, tracer_entries=VIZ_ENTRIES,
                       verbose=0)
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
    print(json.dumps({"growth_bytes": after - before, "peak_bytes": after, "source": source,
                      "result": run.result, "info": run.info}))


def rss_growth(mode: str, w, quick: bool) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--rss-child", mode,
           "--rss-workload", w.name] + (["--quick"] if quick else [])
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 900 s"}
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit status {p.returncode}: {tail}"}
    return json.loads(lines[-1])


# -- printing ---------------------------------------------------------------------------

def fx(v: float) -> str:
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:.0f}"


def fratio(s: dict | None) -> str:
    if s is None:
        return f"{'n/a':>6} {'':<11}"
    spread = f"({fx(s['min'])}–{fx(s['max'])})"
    return f"{fx(s['median']) + 'x':>6} {spread:<11}"


def fns(s: dict | None, unit: str) -> str:
    return f"{'–' if s is None else format(s['median'], '.0f'):>6} ns/{unit}"


def fms(ns: float | None) -> str:
    return f"{'n/a':>9}" if ns is None else f"{ns / 1e6:9.2f}"


def fmb(n: int) -> str:
    return f"{n / 2**20:+.1f} MiB"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="scale every workload down about 10x (CI smoke run)")
    ap.add_argument("--repeat", type=int, default=7, metavar="N",
                    help="rounds of alternating runs; figures are medians over them (default 7)")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help="run only this workload (repeatable, or comma-separated)")
    ap.add_argument("--backend", action="append", default=[], metavar="NAME",
                    help="measure only this asyncviz backend (repeatable, or comma-separated; "
                         "default: every one asyncviz.recording.backend.names() returns)")
    ap.add_argument("--no-viztracer", action="store_true", help="skip the viztracer mode")
    ap.add_argument("--json", metavar="PATH", help="also write every figure as JSON to PATH")
    ap.add_argument("--rss-child", metavar="MODE", help=argparse.SUPPRESS)
    ap.add_argument("--rss-workload", metavar="NAME", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace", line_buffering=True)

    if args.rss_child:
        rss_child(args.rss_child, args.rss_workload, args.quick)
        return 0

    rounds = max(1, args.repeat)
    table = _workloads.workloads(quick=args.quick)
    names = [w.name for w in table]
    only = [n for o in args.only for n in o.split(",") if n]
    unknown = [n for n in only if n not in names]
    if unknown:
        ap.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(names)}")
    if only:
        table = [w for w in table if w.name in only]

    import asyncviz
    from asyncviz.recording import backend as _backend  # the recorder: probe() imports it
    listed = list(_backend.names())
    wanted = list(dict.fromkeys(n for b in args.backend for n in b.split(",") if n)) or listed
    vz = None
    if not args.no_viztracer:
        try:
            import viztracer  # likewise imported before any timed run
            vz = getattr(viztracer, "__version__", "?")
        except ImportError:
            pass

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    header = {
        "python": platform.python_version(), "implementation": platform.python_implementation(),
        "executable": sys.executable, "platform": platform.platform(), "cpus": os.cpu_count(),
        "date": now, "load_average": load, "asyncviz": asyncviz.__version__,
        "viztracer": vz, "rounds": rounds, "quick": args.quick, "backends_listed": listed,
    }
    print(f"asyncviz bench  Python {header['python']} ({header['implementation']}, "
          f"{sys.executable})  {header['platform']}  {header['cpus']} CPUs  {now}"
          f"{f'  load {load:.2f}' if load is not None else ''}  asyncviz {asyncviz.__version__}"
          f"  viztracer {vz or ('skipped' if args.no_viztracer else 'not installed')}"
          f"{'  [QUICK: workloads ~10x smaller]' if args.quick else ''}")
    print(f"method: {rounds} rounds, modes alternating in a rotating order; 'thread' and "
          f"'process' are CPU time (time.thread_time, time.process_time), median ms; ratios "
          f"are per-round CPU-time ratios on the same clock, median (min–max) over rounds; "
          f"ns/event = (traced − untraced CPU) / events seen (recorded + dropped); wall clock "
          f"is information only")

    failed = False
    backends = {}  # name -> {"available", "reason", "empty_trace_thread_ns", "notes"}
    width = max([len(n) for n in wanted] + [len(UNTRACED), len(VIZTRACER)])
    for name in wanted:
        reason, empty, notes = probe(name)
        backends[name] = {"available": reason is None, "reason": reason,
                          "empty_trace_thread_ns": empty, "notes": notes}
        extra = f" (not among names(): {listed})" if name not in listed else ""
        if reason is None:
            print(f"backend {name:<{width}}  available{extra}; an empty trace's start+stop "
                  f"costs {empty / 1e3:.0f} µs thread CPU (median of 21)"
                  + (f"; notes: {'; '.join(notes)}" if notes else ""))
        else:
            print(f"backend {name:<{width}}  UNAVAILABLE{extra}: {reason}")
    usable = [n for n in wanted if backends[n]["available"]]
    if not usable:
        print("no asyncviz backend could start: nothing of asyncviz to measure")
        failed = True
    modes = [UNTRACED] + [ASYNCVIZ + n for n in usable] + ([VIZTRACER] if vz else [])

    nw = max(len(w.name) for w in table)

    def lead(w, mode: str) -> str:  # the first two columns of a result line
        return f"{w.name:<{nw}}  {label(mode):<{width}}"

    out = {"header": header, "backends": backends, "workloads": []}
    for w in table:
        print()
        print(f"workload {w.name}: {w.description}"
              + (f"  [promised: {w.promise}]" if w.promise else ""))
        reference = w.run()  # untimed warm-up; the reference result
        m = measure(w, modes, rounds, reference)
        rec = {"name": w.name, "description": w.description, "rounds": rounds,
               "max_events": w.max_events or MAX_EVENTS, "reference_result": repr(reference),
               "runs": {mode: [None if r is None else
                               {"thread_ns": r.thread, "process_ns": r.process,
                                "wall_ns": r.wall, "info": r.info} for r in runs]
                        for mode, runs in m.runs.items()},
               "errors": m.errors, "unavailable": m.unavailable,
               "mismatches": [{"mode": mode, "round": r, "result": repr(res)}
                              for mode, r, res in m.mismatches],
               "figures": {}}
        out["workloads"].append(rec)
        for mode, reason in m.unavailable.items():
            print(f"{lead(w, mode)}  unavailable: {reason}")
        for mode, tb in m.errors.items():
            failed = True
            print(f"{lead(w, mode)}  ERROR (mode raised):\n{tb}")
        bad = {}
        for mode, r, res in m.mismatches:
            failed = True
            bad.setdefault(mode, []).append(r)
            print(f"{lead(w, mode)}  MISMATCH in round {r + 1}: "
                  f"computed {res!r}, untraced {reference!r}")

        for mode in modes:
            runs = [r for r in m.runs[mode] if r is not None]
            if not runs:
                continue
            fig = rec["figures"][label(mode)] = {}
            for clock in CLOCKS:
                f = fig[clock] = {"median_ns": median_of(m, mode, clock)}
                line = f"{lead(w, mode)}  {clock:<7} {fms(f['median_ns'])} ms"
                if mode != UNTRACED:
                    f["ratio_untraced"] = stat(per_round(m, mode, UNTRACED, clock))
                    line += f"  cpu/untraced {fratio(f['ratio_untraced'])}"
                if mode.startswith(ASYNCVIZ):
                    if VIZTRACER in modes:
                        f["ratio_viztracer"] = stat(per_round(m, mode, VIZTRACER, clock))
                        line += f"  cpu/viztracer {fratio(f['ratio_viztracer'])}"
                    f["ns_per_event"] = stat(ns_per_event(m, mode, clock))
                    line += f"  {fns(f['ns_per_event'], 'event')}"
                    if clock == "thread":
                        info = runs[0].info
                        counts = {(r.info["events"], r.info["dropped"]) for r in runs}
                        fig.update(events=info["events"], dropped=info["dropped"],
                                   bytes_per_event=info["bytes_per_event"],
                                   objects=info["objects"], backend=info["backend"],
                                   same_result=mode not in bad)
                        bpe = f"{info['bytes_per_event']:.1f}" if info["events"] else "–"
                        line += f"  {bpe:>5} B/event  {info['events']:,} events"
                        if info["dropped"]:
                            line += f" +{info['dropped']:,} dropped"
                        if len(counts) > 1:
                            line += f" (varies: {sorted(counts)})"
                        line += f"  {info['objects']:,} objects"
                        line += "  same result" if mode not in bad else "  RESULT DIFFERS"
                        if info["backend"] != label(mode):
                            line += f"  (trace says backend {info['backend']!r})"
                elif mode == VIZTRACER:
                    info = next((r.info for r in runs if r.info), None)
                    if info:
                        f["ns_per_entry"] = stat(ns_per_event(m, mode, clock, info["entries"]))
                        pad = len(f"  cpu/viztracer {fratio(None)}")
                        line += f"{' ' * pad}  {fns(f['ns_per_entry'], 'entry')}"
                        if clock == "thread":
                            fig.update(entries=info["entries"], same_result=mode not in bad)
                            line += f"  {info['entries']:,} entries (counted once, untimed)"
                            if info["overflow"]:
                                line += " BUFFER FULL: raise VIZ_ENTRIES"
                            line += "  same result" if mode not in bad else "  RESULT DIFFERS"
                if len(runs) < rounds:
                    line += f"  (only {len(runs)} of {rounds} rounds)"
                print(line)
        walls = {label(mode): median_of(m, mode, "wall") for mode in modes}
        rec["wall_median_ns"] = walls
        print(f"{lead(w, 'wall')}  (information only, in no ratio) median ms: "
              + "  ".join(f"{k} {v / 1e6:.2f}" for k, v in walls.items() if v is not None))

        if w.rss:
            rec["rss_growth_bytes"] = {}
            for mode in modes:
                if mode in m.unavailable:
                    continue
                got = rss_growth(mode, w, args.quick)
                if "error" in got:
                    failed = True
                    rec["rss_growth_bytes"][label(mode)] = None
                    print(f"{lead(w, mode)}  peak RSS  could not "
                          f"measure: {got['error']}")
                    continue
                rec["rss_growth_bytes"][label(mode)] = got["growth_bytes"]
                same = got["result"] == reference
                failed |= not same
                print(f"{lead(w, mode)}  peak RSS {fmb(got['growth_bytes']):>12}"
                      f"  (one run in a fresh subprocess: {got['source']} after − before)"
                      + ("" if same else f"  RESULT DIFFERS: {got['result']!r}"))

    out["failed"] = failed
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=repr)
        print(f"\nfigures written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
