"""Which clock a trace is best read on, when nobody asked: a pure function of a Trace.

Wall-clock time says where the time went, but only asyncio programs spend it on anything
but running: in a trace with no task, no awaited future and no loop idle time, nothing
waited, and the gaps between events are the tracer's own cost — a generator pipeline's
microseconds measure the recording, not the code.  Such a trace reads on step time (one
step per event, in order).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..trace import Trace, record_columns

WALL, STEP = "wall", "step"
LONG_GAP_NS = 10_000_000  # 10 ms: far beyond what recording an event costs
LONG_GAP_RATIO = 100


def natural_clock(trace: Trace, obj_column: Sequence[int] | None = None) -> str:
    """ "wall" when asyncio ran (loop idle time, an awaited future, or a task with events of
    its own), else "step".  `obj_column`: the record's object column, if the caller has it
    (trace.record_columns()[1])."""
    if trace.idle or any(o.kind == "future" for o in trace.objects):
        return WALL
    tasks = {o.id for o in trace.objects if o.kind == "task"}
    # a task registered but never seen doing anything (a cell's, around generator code)
    # is not asyncio running
    if tasks:
        objs = obj_column if obj_column is not None else record_columns(trace.buffer)[1]
        if not tasks.isdisjoint(set(objs)):
            return WALL
    return WALL if _one_gap_dwarfs_the_rest(record_columns(trace.buffer)[0]) else STEP


def _one_gap_dwarfs_the_rest(t: Sequence[int]) -> bool:
    if len(t) < 3:
        return False
    gaps = sorted(b - a for a, b in zip(t, t[1:]))
    longest, median = gaps[-1], gaps[len(gaps) // 2]
    return longest >= LONG_GAP_NS and longest >= LONG_GAP_RATIO * max(median, 1)
