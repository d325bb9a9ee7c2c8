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


def natural_clock(trace: Trace, obj_column: Sequence[int] | None = None) -> str:
    """ "wall" when asyncio ran (loop idle time, an awaited future, or a task with events of
    its own), else "step".  `obj_column`: the record's object column, if the caller has it
    (trace.record_columns()[1])."""
    if trace.idle or any(o.kind == "future" for o in trace.objects):
        return WALL
    tasks = {o.id for o in trace.objects if o.kind == "task"}
    if not tasks:
        return STEP
    # a task registered but never seen doing anything (a cell's, around generator code)
    # is not asyncio running
    objs = obj_column if obj_column is not None else record_columns(trace.buffer)[1]
    return WALL if not tasks.isdisjoint(set(objs)) else STEP
