"""The timeline's layout: which lane and which row each object is drawn in, and which
lanes fold together.  A pure function of what ran inside what; the widget, the static
images and `Trace.lanes()` all read this one layout.

Lanes, in order of first appearance:
- one per task: the task and the coroutine it drives are one (the lane's first row), and
  everything that runs inside the task's coroutines — what they await or `yield from`,
  generators they drive — sits in the same lane;
- one per function for the free objects (no task, nothing delegating to them, no
  recorded frame driving them) that one parent created: three `worker` generators the
  cell drives round-robin are one lane `worker ×3`;
- one for loop idle time, last.
An object with no event of its own has no row; a lane none of whose objects has an event
is not drawn (a cell that never awaited has no lane).

Rows: one row per object alive at the same time in its lane.  An object's lifetime runs
from its first event to its last event when it ended (return, raise or close), else to
the trace's end; a row is reused only by objects whose lifetimes do not overlap, and each
object takes the lowest row free when it appears (greedy interval partitioning: as few
rows as the most objects alive at once).  A task lane's first row is the task and its
coroutine, drawn as one; a task whose coroutine is not recorded (one the trace began
inside, or asyncio's own) is only marks — create, cancel, its end — on its first row,
which the first object that runs in the task shares.

Folding: lanes of one function (a task lane's is its coroutine's) fold into one group
once there are more than FOLD_AT of them — 2,000 tasks of `work` are one `work ×2000`
group, its lanes side by side.  The views draw a group as one row until it is unfolded.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from dataclasses import asdict, dataclass, field

FOLD_AT = 8  # lanes of one function fold into a group when there are more than this
IDLE_LABEL = "loop idle"
_NUMBER = re.compile(r"#\d+$")


@dataclass
class Lane:
    """One lane: `rows` lists, per row top to bottom, the `Traced.id`s drawn there in
    order of appearance (a task lane's first row starts with the task, then its
    coroutine)."""

    id: int
    label: str
    kind: str  # task | free | idle
    rows: list[list[int]]
    object: int | None = None  # the task, or the first object of a free lane
    function: str | None = None  # what lanes fold by (None: the idle lane)
    group: int | None = None  # its fold group (index into Layout.groups), if any

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Group:
    """Lanes of one function folded together: `lanes` are consecutive lane ids."""

    id: int
    label: str  # "work ×2000"
    function: str
    lanes: list[int]

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Layout:
    lanes: list[Lane]
    groups: list[Group] = field(default_factory=list)
    lane_of: list[int | None] = field(default_factory=list)  # per object (None: no row)
    row_of: list[int] = field(default_factory=list)  # per object: its row in its lane


@dataclass
class Facts:
    """What placement needs, per object: its first and last event (-1: none), whether it
    ended, the frame that first delegated to it (await / yield from) and the object that
    was running when it first ran (None: none recorded)."""

    first: list[int]
    last: list[int]
    ended: list[bool]
    delegator: list[int | None]
    driver: list[int | None]


def short_name(name: str) -> str:
    """A function's name as people say it: `worker`, not `main.<locals>.worker`."""
    return name.rsplit(".<locals>.", 1)[-1]


def place(objects, facts: Facts, n_events: int, idle: bool) -> Layout:
    """The layout of `objects` (Trace.objects) from `facts`; `idle`: the trace has loop
    idle time (a lane of its own, last)."""
    keys = _LaneKeys(objects, facts)
    order = sorted(range(len(objects)), key=lambda i: (facts.first[i], i))
    members: dict[tuple, list[int]] = {}
    for i in order:
        key = keys.of(i)
        if key is not None:
            members.setdefault(key, []).append(i)
    lanes = [
        _lane(key, ids, objects, facts, n_events, [i for i in ids if i in keys.own])
        for key, ids in members.items()
        if any(facts.first[i] >= 0 for i in ids)
    ]
    lanes, groups = _fold(lanes)
    if idle:
        lanes.append(Lane(len(lanes), IDLE_LABEL, "idle", [[]]))
    lane_of: list[int | None] = [None] * len(objects)
    row_of = [0] * len(objects)
    for lane in lanes:
        for r, row in enumerate(lane.rows):
            for i in row:
                lane_of[i], row_of[i] = lane.id, r
    return Layout(lanes, groups, lane_of, row_of)


class _LaneKeys:
    """Which lane each object belongs to, as a key: ("task", task id) or ("free", parent,
    function name); None: no lane (a future, or an object with no event)."""

    def __init__(self, objects, facts: Facts):
        self.objects, self.facts = objects, facts
        self.keys: dict[int, tuple | None] = {}
        self.own: set[int] = set()  # objects a free lane is named after

    def of(self, i: int, seen: frozenset = frozenset()) -> tuple | None:
        if i not in self.keys:
            self.keys[i] = None if i in seen else self._find(i, seen | {i})
        return self.keys[i]

    def _find(self, i: int, seen: frozenset) -> tuple | None:
        o, facts = self.objects[i], self.facts
        if o.kind == "task":
            return ("task", i)
        if o.kind == "future" or facts.first[i] < 0:
            return None
        task = o.task if o.task is not None and self._is_task(o.task) else None
        for other in (facts.delegator[i], task, facts.driver[i]):
            if other is not None and other != i:
                key = self.of(other, seen)
                if key is not None:
                    return key
        self.own.add(i)
        return ("free", o.parent, o.name)

    def _is_task(self, i: int) -> bool:
        return 0 <= i < len(self.objects) and self.objects[i].kind == "task"


def _lane(key: tuple, ids: list[int], objects, facts: Facts, n: int, own: list[int]) -> Lane:
    """The lane of the objects `ids`: a task's, or free objects' (`own`: those it is named
    after, the others run inside them)."""
    if key[0] == "task":
        task = objects[key[1]]
        coro = task.coro if task.coro is not None and task.coro in ids else None
        head = [task.id] + ([coro] if coro is not None else [])
        rest = [i for i in ids if i not in head]
        function = objects[coro].name if coro is not None else _NUMBER.sub("", task.label)
        return Lane(0, task.label, "task", _rows(head, rest, facts, n), task.id, function)
    evented = [i for i in ids if facts.first[i] >= 0]
    first = objects[own[0]]
    label = first.label if len(own) == 1 else f"{short_name(first.name)} ×{len(own)}"
    return Lane(0, label, "free", _rows([], evented, facts, n), first.id, first.name)


def _span(ids: list[int], facts: Facts, n: int) -> tuple[int, int]:
    """The lifetime of objects drawn as one, in event indices: (first, last)."""
    firsts = [facts.first[i] for i in ids if facts.first[i] >= 0]
    if not firsts:
        return -1, -1
    ends = [facts.last[i] if facts.ended[i] else n for i in ids if facts.first[i] >= 0]
    return min(firsts), max(ends)


def _rows(head: list[int], rest: list[int], facts: Facts, n: int) -> list[list[int]]:
    """Rows for a lane: `head` (a task and its coroutine) on the first row, the `rest`
    each on the lowest row free when it appears."""
    rows: list[list[int]] = [list(head)] if head else []
    busy: list[tuple[int, int]] = []  # (last event, row) of rows in use
    free: list[int] = []  # rows free again
    if len(head) == 2:  # a task and its coroutine
        busy.append((_span(head, facts, n)[1], 0))
    elif head:
        # a task whose coroutine is not recorded shows as its own marks (create, cancel,
        # return): on the first row, with the first object that runs in it
        free.append(0)
    for i in sorted(rest, key=lambda i: (facts.first[i], i)):
        start, end = _span([i], facts, n)
        while busy and busy[0][0] < start:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            r = heapq.heappop(free)
        else:
            r = len(rows)
            rows.append([])
        rows[r].append(i)
        heapq.heappush(busy, (end, r))
    return rows or [[]]


def _fold(lanes: list[Lane]) -> tuple[list[Lane], list[Group]]:
    """Group the lanes of each function that has more than FOLD_AT; a group's lanes move
    up next to its first one.  Lanes are renumbered in their final order."""
    count = Counter(lane.function for lane in lanes)
    folded = {f for f, k in count.items() if k > FOLD_AT}
    out: list[Lane] = []
    groups: list[Group] = []
    done: set[str] = set()
    for lane in lanes:
        f = lane.function
        if f not in folded:
            out.append(lane)
        elif f is not None and f not in done:
            done.add(f)
            mine = [x for x in lanes if x.function == f]
            groups.append(Group(len(groups), f"{short_name(f)} ×{len(mine)}", f, []))
            for x in mine:
                x.group = groups[-1].id
            out.extend(mine)
    for k, lane in enumerate(out):
        lane.id = k
        if lane.group is not None:
            groups[lane.group].lanes.append(k)
    return out, groups
