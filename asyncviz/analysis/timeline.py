"""Who ran when: lanes, rows, running slices, suspensions and relations of a Trace.

A pure function of the trace.  Columns are sliced out of the record buffer with
memoryviews rather than decoded event by event, so a million events take a fraction of
a second.  See render/payload.py for how this travels to the front-end.
"""
from __future__ import annotations

from array import array
from dataclasses import asdict, dataclass, field

from ..events import KIND_CODE
from ..trace import RECORD_SIZE, Trace

_BEGIN = {KIND_CODE[k] for k in ("start", "resume", "throw")}
_SUSPEND = {KIND_CODE[k] for k in ("yield", "await")}
_END = {KIND_CODE[k] for k in ("return", "raise", "close")}
_AWAIT = KIND_CODE["await"]
_CREATE = KIND_CODE["create"]


@dataclass
class Lane:
    id: int
    label: str
    kind: str            # task | free | idle
    rows: int = 1
    object: int | None = None  # the task, or the free object the lane is named after

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Timeline:
    lanes: list[Lane]
    lane_of: list[int | None]   # per object (None: futures, drawn only as targets)
    depth_of: list[int]         # per object: row within its lane
    t: array                    # per event, ns since the trace started
    obj: array
    kind: array
    partner: array              # see render/payload.py
    await_event: array = field(default_factory=lambda: array("I"))
    await_target: array = field(default_factory=lambda: array("I"))
    idle: list[tuple[int, int]] = field(default_factory=list)
    spawns: list[list[int]] = field(default_factory=list)

    def slices(self):
        """(object, start event, end event or -1) for every running slice."""
        for i, k in enumerate(self.kind):
            if k in _BEGIN:
                yield self.obj[i], i, self.partner[i]


def columns(trace: Trace) -> tuple[array, array, array, array]:
    """t (int64), obj (uint32), target (int32), kind (uint8) straight from the records."""
    buf = memoryview(trace.buffer)
    if not len(buf):
        return array("q"), array("I"), array("i"), array("B")
    words = buf.cast("I")
    per = RECORD_SIZE // 4
    t = array("q", buf.cast("q")[0::RECORD_SIZE // 8])
    obj = array("I", words[2::per])
    target = array("i", buf.cast("i")[3::per])
    kind = array("B", buf[20::RECORD_SIZE])
    return t, obj, target, kind


def timeline_of(trace: Trace) -> Timeline:
    objects = trace.objects
    t, obj, target, kind = columns(trace)
    n = len(kind)

    # relations: who delegates to whom, which awaits wait on a known object
    delegator: list[int | None] = [None] * len(objects)
    driver: list[int | None] = [None] * len(objects)  # what was running when it first ran
    await_event, await_target = array("I"), array("I")
    first_event = [-1] * len(objects)
    running: list[int] = []
    for i in range(n):
        o = obj[i]
        k = kind[i]
        if first_event[o] < 0:
            first_event[o] = i
        if k in _BEGIN:
            if driver[o] is None and running and running[-1] != o:
                driver[o] = running[-1]
            running.append(o)
        elif k in _SUSPEND or k in _END:
            if running and running[-1] == o:
                running.pop()
            elif o in running:
                running.remove(o)
        if k == _AWAIT:
            tg = target[i]
            if tg >= 0:
                await_event.append(i)
                await_target.append(tg)
                if delegator[tg] is None and tg != o and objects[tg].kind not in ("task", "future"):
                    delegator[tg] = o

    lanes, lane_of, depth_of = _place(trace, delegator, driver, first_event)

    # partner: the event that ends each running slice and each suspension
    partner = array("i", [-1]) * n
    begun = [-1] * len(objects)
    suspended = [-1] * len(objects)
    for i in range(n):
        k = kind[i]
        o = obj[i]
        if k in _BEGIN:
            if suspended[o] >= 0:
                partner[suspended[o]] = i
                suspended[o] = -1
            begun[o] = i
        elif k in _SUSPEND:
            if begun[o] >= 0:
                partner[begun[o]] = i
                begun[o] = -1
            suspended[o] = i
        elif k in _END:
            for pending in (begun, suspended):
                if pending[o] >= 0:
                    partner[pending[o]] = i
                    pending[o] = -1

    spawns = [[o.parent, o.id, first_event[o.id]] for o in objects
              if o.parent is not None and first_event[o.id] >= 0
              and kind[first_event[o.id]] == _CREATE]
    return Timeline(lanes, lane_of, depth_of, t, obj, kind, partner, await_event,
                    await_target, list(trace.idle), spawns)


def _place(trace: Trace, delegator, driver, first_event):
    """Lanes in order of first appearance; each object's lane and row."""
    objects = trace.objects
    lane_of: list[int | None] = [None] * len(objects)
    depth_of = [0] * len(objects)
    placed = [False] * len(objects)
    lanes: list[Lane] = []
    lane_for_task: dict[int, int] = {}

    def new_lane(label: str, kind: str, owner: int | None) -> int:
        lanes.append(Lane(len(lanes), label, kind, 1, owner))
        return len(lanes) - 1

    def task_lane(task: int) -> int:
        if task not in lane_for_task:
            lane_for_task[task] = new_lane(objects[task].label, "task", task)
        return lane_for_task[task]

    def place(i: int, seen: frozenset = frozenset()) -> None:
        if placed[i]:
            return
        o = objects[i]
        if o.kind == "future" or i in seen:
            placed[i] = True
            return
        seen = seen | {i}
        lane, depth = None, 0
        d = delegator[i]
        if o.kind == "task":
            lane = task_lane(i)
        elif d is not None:
            place(d, seen)
            lane, depth = lane_of[d], depth_of[d] + 1
        elif o.task is not None and objects[o.task].kind == "task":
            lane = task_lane(o.task)
            if objects[o.task].coro != i:
                # below whatever drove it (a for loop over a generator in a coroutine)
                p = driver[i] if driver[i] is not None else o.parent
                if p is not None and p != o.task:
                    place(p, seen)
                if p is not None and p != o.task and lane_of[p] == lane:
                    depth = depth_of[p] + 1
                else:
                    depth = 1
        if lane is None:
            lane = new_lane(o.label, "free", i)
        lane_of[i], depth_of[i] = lane, depth
        placed[i] = True
        lanes[lane].rows = max(lanes[lane].rows, depth + 1)

    # by first appearance; objects with no events of their own (the cell's task, whose
    # top-level code is not recorded, yet spawns the others) head the picture
    order = sorted(range(len(objects)), key=lambda i: (first_event[i], i))
    for i in order:
        place(i)
    if trace.idle:
        new_lane("loop idle", "idle", None)
    return lanes, lane_of, depth_of
