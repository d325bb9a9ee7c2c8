"""What bench/run.py reports: its lines (header, backends, a workload's figures) and the
records --json writes.

Nothing here measures, so run.py's numbers and the way they read can change apart.  A result
line opens with the same two fixed-width columns (Columns) and its figures sit at fixed
offsets, so that two runs compare line by line.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
from dataclasses import dataclass


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


@dataclass(frozen=True)
class Columns:
    """The widths of a result line's first two columns, fixed for the whole run."""

    workload: int
    mode: int

    def lead(self, workload: str, mode: str) -> str:
        return f"{workload:<{self.workload}}  {mode:<{self.mode}}"


# -- before the workloads ---------------------------------------------------------------


def header(rounds: int, quick: bool, listed: list[str], vz: str | None) -> dict:
    """The machine and the run, as the first line and --json's "header" state them."""
    import asyncviz

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date": now,
        "load_average": load,
        "asyncviz": asyncviz.__version__,
        "viztracer": vz,
        "rounds": rounds,
        "quick": quick,
        "backends_listed": listed,
    }


def header_lines(header: dict, no_viztracer: bool) -> list[str]:
    load = header["load_average"]
    vz = header["viztracer"] or ("skipped" if no_viztracer else "not installed")
    return [
        f"asyncviz bench  Python {header['python']} ({header['implementation']}, "
        f"{header['executable']})  {header['platform']}  {header['cpus']} CPUs  {header['date']}"
        f"{f'  load {load:.2f}' if load is not None else ''}  asyncviz {header['asyncviz']}"
        f"  viztracer {vz}"
        f"{'  [QUICK: workloads ~10x smaller]' if header['quick'] else ''}",
        f"method: {header['rounds']} rounds, modes alternating in a rotating order; 'thread' and "
        f"'process' are CPU time (time.thread_time, time.process_time), median ms; ratios "
        f"are per-round CPU-time ratios on the same clock, median (min–max) over rounds; "
        f"ns/event = (traced − untraced CPU) / events seen (recorded + dropped); wall clock "
        f"is information only",
    ]


def backend_line(name: str, width: int, probed: dict, listed: list[str]) -> str:
    extra = f" (not among names(): {listed})" if name not in listed else ""
    if not probed["available"]:
        return f"backend {name:<{width}}  UNAVAILABLE{extra}: {probed['reason']}"
    notes = probed["notes"]
    return (
        f"backend {name:<{width}}  available{extra}; an empty trace's start+stop "
        f"costs {probed['empty_trace_thread_ns'] / 1e3:.0f} µs thread CPU (median of 21)"
        + (f"; notes: {'; '.join(notes)}" if notes else "")
    )


# -- per workload -----------------------------------------------------------------------


def workload_line(w) -> str:
    return f"workload {w.name}: {w.description}" + (
        f"  [promised: {w.promise}]" if w.promise else ""
    )


def problem_lines(m, reference, lead) -> list[str]:
    """What kept a mode of run.py's Measured `m` from a clean figure; lead(mode) opens a line."""
    return (
        [f"{lead(mode)}  unavailable: {reason}" for mode, reason in m.unavailable.items()]
        + [f"{lead(mode)}  ERROR (mode raised):\n{tb}" for mode, tb in m.errors.items()]
        + [
            f"{lead(mode)}  MISMATCH in round {r + 1}: computed {res!r}, untraced {reference!r}"
            for mode, r, res in m.mismatches
        ]
    )


def figure_lines(lead: str, name: str, fig: dict, runs: list, rounds: int, clocks) -> list[str]:
    """One line per clock of a mode's figures (run.py's mode_figures).  The columns follow the
    keys the figures have, so a line shows exactly what --json writes for that mode."""
    lines = []
    for clock in clocks:
        f = fig[clock]
        line = f"{lead}  {clock:<7} {fms(f['median_ns'])} ms"
        if "ratio_untraced" in f:
            line += f"  cpu/untraced {fratio(f['ratio_untraced'])}"
        if "ns_per_event" in f:  # an asyncviz backend
            if "ratio_viztracer" in f:
                line += f"  cpu/viztracer {fratio(f['ratio_viztracer'])}"
            line += f"  {fns(f['ns_per_event'], 'event')}"
            if clock == "thread":
                line += _trace_tail(name, fig, runs)
        elif "ns_per_entry" in f:  # viztracer, its entries counted
            # blank where an asyncviz line has cpu/viztracer, so ns/entry lines up with ns/event
            pad = len(f"  cpu/viztracer {fratio(None)}")
            line += f"{' ' * pad}  {fns(f['ns_per_entry'], 'entry')}"
            if clock == "thread":
                line += _viztracer_tail(fig, runs)
        if len(runs) < rounds:
            line += f"  (only {len(runs)} of {rounds} rounds)"
        lines.append(line)
    return lines


def _same(fig: dict) -> str:
    return "  same result" if fig["same_result"] else "  RESULT DIFFERS"


def _trace_tail(name: str, fig: dict, runs: list) -> str:
    # the figures hold the first run's counts; a later run that recorded otherwise is said
    counts = {(r.info["events"], r.info["dropped"]) for r in runs}
    bpe = f"{fig['bytes_per_event']:.1f}" if fig["events"] else "–"
    tail = f"  {bpe:>5} B/event  {fig['events']:,} events"
    if fig["dropped"]:
        tail += f" +{fig['dropped']:,} dropped"
    if len(counts) > 1:
        tail += f" (varies: {sorted(counts)})"
    tail += f"  {fig['objects']:,} objects" + _same(fig)
    if fig["backend"] != name:
        tail += f"  (trace says backend {fig['backend']!r})"
    return tail


def _viztracer_tail(fig: dict, runs: list) -> str:
    info = next(r.info for r in runs if r.info)
    tail = f"  {fig['entries']:,} entries (counted once, untimed)"
    if info["overflow"]:
        tail += " BUFFER FULL: raise VIZ_ENTRIES"
    return tail + _same(fig)


def wall_line(lead: str, walls: dict) -> str:
    return f"{lead}  (information only, in no ratio) median ms: " + "  ".join(
        f"{k} {v / 1e6:.2f}" for k, v in walls.items() if v is not None
    )


def rss_line(lead: str, got: dict, reference) -> str:
    if "error" in got:
        return f"{lead}  peak RSS  could not measure: {got['error']}"
    differs = got["result"] != reference
    return (
        f"{lead}  peak RSS {fmb(got['growth_bytes']):>12}"
        f"  (one run in a fresh subprocess: {got['source']} after − before)"
        + (f"  RESULT DIFFERS: {got['result']!r}" if differs else "")
    )


# -- --json -----------------------------------------------------------------------------


def workload_record(w, m, rounds: int, reference, max_events: int) -> dict:
    """What --json keeps of one workload measured into run.py's Measured `m`; run.py adds its
    figures, wall clock and RSS growth as it prints them."""
    return {
        "name": w.name,
        "description": w.description,
        "rounds": rounds,
        "max_events": max_events,
        "reference_result": repr(reference),
        "runs": {mode: [_run_record(r) for r in runs] for mode, runs in m.runs.items()},
        "errors": m.errors,
        "unavailable": m.unavailable,
        "mismatches": [
            {"mode": mode, "round": r, "result": repr(res)} for mode, r, res in m.mismatches
        ],
        "figures": {},
    }


def _run_record(r) -> dict | None:
    if r is None:  # a round the mode did not run: it raised or was unavailable by then
        return None
    return {"thread_ns": r.thread, "process_ns": r.process, "wall_ns": r.wall, "info": r.info}
