"""Who ran when: lanes, rows, running slices, suspensions, relations, and every object's
state after each of its events — a pure function of the Trace.

Every view draws these facts and none derives them: the widget gets them through
render/payload.py, the static images read them here.  A few passes over the record's
columns (trace.record_columns: sliced out of the buffer, never decoded event by event)
find them all: a million events take well under a second.
"""

from __future__ import annotations

import linecache
from array import array
from bisect import bisect_left
from dataclasses import asdict, dataclass, field

from ..events import (
    BEGIN_CODES,
    CLOSED,
    END_CODES,
    KIND_CODE,
    KINDS,
    STATE_AFTER,
    STATE_CODE,
    SUSPEND_CODES,
)
from ..trace import Trace, record_columns
from .lanes import Facts, Layout, place

NO_STATE = 255  # no event has set the object's state yet
RELATION_KINDS = ("spawn", "await", "wake", "cancel")
SPAWN, AWAIT, WAKE, CANCEL = range(len(RELATION_KINDS))

_AWAIT = KIND_CODE["await"]
_CREATE = KIND_CODE["create"]
_CANCEL = KIND_CODE["cancel"]
_THROW = KIND_CODE["throw"]
_CLOSED = STATE_CODE[CLOSED]


def _state_code(state: str | None) -> int:
    return NO_STATE if state is None else STATE_CODE[state]


# per kind code, the state code it leaves an object in (NO_STATE: it leaves it alone); a
# byte translation table, so that the whole kind column translates at once
_STATE_AFTER = bytes(_state_code(STATE_AFTER[k]) for k in KINDS).ljust(256, bytes([NO_STATE]))
# objects something can delegate to (a task or a future is awaited, not delegated to)
_FRAMES = ("generator", "coroutine", "async_generator")


@dataclass
class Lane:
    """A lane of `Timeline.layout` (analysis/lanes.py) by its row count: what the static
    images' rows (render/static_rows.py) read."""

    id: int
    label: str
    kind: str  # task | free | idle
    rows: int = 1
    object: int | None = None  # the task, or the free object the lane is named after

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Relations:
    """Arrows between rows, in drawing order: each spawn, then each await on an object
    that has a row followed by its wake (when the awaited object ended and so resumed
    the waiter), then each cancel request (from the requester — the task that called
    `cancel()`, a TaskGroup's failing child, a timeout's owner — at the request, to the
    cancelled task where the cancellation was delivered: its next throw, else its end).
    An arrow leaves `tail_obj`'s row at event `tail_event`'s x and reaches `head_obj`'s
    row at event `head_event`'s x."""

    kind: array = field(default_factory=lambda: array("B"))  # index into RELATION_KINDS
    tail_event: array = field(default_factory=lambda: array("I"))
    head_event: array = field(default_factory=lambda: array("I"))
    tail_obj: array = field(default_factory=lambda: array("I"))
    head_obj: array = field(default_factory=lambda: array("I"))

    def add(
        self, kind: int, tail_event: int, head_event: int, tail_obj: int, head_obj: int
    ) -> None:
        self.kind.append(kind)
        self.tail_event.append(tail_event)
        self.head_event.append(head_event)
        self.tail_obj.append(tail_obj)
        self.head_obj.append(head_obj)

    def __len__(self) -> int:
        return len(self.kind)

    def count(self, kind: str) -> int:
        return self.kind.count(RELATION_KINDS.index(kind))

    def rows(self):
        """(kind name, tail event, head event, tail object, head object) per arrow."""
        for r in zip(self.kind, self.tail_event, self.head_event, self.tail_obj, self.head_obj):
            yield (RELATION_KINDS[r[0]], *r[1:])


@dataclass
class Timeline:
    """The timeline of a trace.  Per event (index i, as in Trace.events): t, obj, kind;
    partner — the event that ends the running slice a begin starts, or the suspension a
    suspend starts (-1: none; render/payload.py says more); state — the state the event
    leaves its object in (events.STATES index, NO_STATE: not known yet), a task being in
    its coroutine's state until the task itself ends.  Per object: lane_of, depth_of and
    link (links()).  target_event / target_obj: the events that name a known object.
    layout: the lanes and rows (analysis/lanes.py); lanes, lane_of and depth_of read it."""

    lanes: list[Lane]
    lane_of: list[int | None]  # per object (None: no row — futures, objects with no event)
    depth_of: list[int]  # per object: row within its lane
    t: array  # per event, ns since the trace started
    obj: array
    kind: array
    partner: array
    state: array = field(default_factory=lambda: array("B"))
    link: list[int | None] = field(default_factory=list)
    target_event: array = field(default_factory=lambda: array("I"))
    target_obj: array = field(default_factory=lambda: array("I"))
    relations: Relations = field(default_factory=Relations)
    idle: list[tuple[int, int]] = field(default_factory=list)
    spawns: list[list[int]] = field(default_factory=list)  # [parent, child, create event]
    layout: Layout = field(default_factory=lambda: Layout([]))

    def slices(self):
        """(object, start event, end event or -1) for every running slice."""
        for i, k in enumerate(self.kind):
            if k in BEGIN_CODES:
                yield self.obj[i], i, self.partner[i]

    @property
    def await_event(self) -> array:
        """The awaits that wait on a known object (event indices)..."""
        return array("I", (i for i in self.target_event if self.kind[i] == _AWAIT))

    @property
    def await_target(self) -> array:
        """... and the objects they wait on."""
        return array(
            "I", (o for i, o in zip(self.target_event, self.target_obj) if self.kind[i] == _AWAIT)
        )


def timeline_of(trace: Trace) -> Timeline:
    objects = trace.objects
    t, obj, target, _value, kind, _line = record_columns(trace.buffer)
    link = links(objects)
    walk = _Walk(objects, obj, kind, link)
    target_event = array("I", (i for i, tg in enumerate(target) if tg >= 0))
    target_obj = array("I", (target[i] for i in target_event))
    awaits = [
        (i, tg) for i, tg in zip(target_event, target_obj) if kind[i] == _AWAIT and tg != obj[i]
    ]
    delegator: list[int | None] = [None] * len(objects)
    for i, tg in awaits:  # the first await on a frame delegates to it
        if delegator[tg] is None and objects[tg].kind in _FRAMES:
            delegator[tg] = obj[i]
    ended = [False] * len(objects)
    for i in _positions(kind, END_CODES):
        ended[obj[i]] = True
    facts = Facts(walk.first_event, walk.last_event, ended, delegator, walk.driver)
    layout = place(objects, facts, len(kind), bool(trace.idle))
    spawns = [
        [o.parent, o.id, walk.first_event[o.id]]
        for o in objects
        if o.parent is not None
        and walk.first_event[o.id] >= 0
        and kind[walk.first_event[o.id]] == _CREATE
    ]
    relations = _relations(obj, kind, walk, awaits, spawns, layout.lane_of)
    _cancels(relations, obj, kind, target_event, target_obj, link, layout.lane_of)
    return Timeline(
        [
            Lane(lane.id, lane.label, lane.kind, len(lane.rows), lane.object)
            for lane in layout.lanes
        ],
        layout.lane_of,
        layout.row_of,
        t,
        obj,
        kind,
        walk.partner,
        walk.state,
        link,
        target_event,
        target_obj,
        relations,
        list(trace.idle),
        spawns,
        layout,
    )


def links(objects) -> list[int | None]:
    """Per object: a task's own coroutine, and that coroutine's task.  The two stand for
    each other — selecting one selects both; a task is in the state of the coroutine it
    runs — so each names the other."""
    out: list[int | None] = [None] * len(objects)
    for o in objects:
        c = o.coro
        if (
            o.kind == "task"
            and c is not None
            and 0 <= c < len(objects)
            and c != o.id
            and objects[c].kind in _FRAMES
            and out[c] is None
        ):
            out[o.id], out[c] = c, o.id
    return out


class _Walk:
    """What ran inside what (`driver`), the event that ends each running slice and each
    suspension (`partner`), and the state each event leaves its object in (`state`)."""

    def __init__(self, objects, obj, kind, link):
        no, n = len(objects), len(kind)
        self.first_event = [-1] * no
        self.last_event = [-1] * no
        self.driver: list[int | None] = [None] * no  # what ran when it first ran
        self.partner = array("i", [-1]) * n
        self._run(obj, kind)
        self.state = _states(objects, obj, kind, link)

    def _run(self, obj, kind) -> None:
        first, last, driver, partner = self.first_event, self.last_event, self.driver, self.partner
        begun = [-1] * len(first)  # per object, its running slice's begin event
        suspended = [-1] * len(first)  # ... and its suspension's
        running: list[int] = []
        for i, (o, k) in enumerate(zip(obj, kind)):
            if first[o] < 0:
                first[o] = i
            last[o] = i
            if k in BEGIN_CODES:
                if driver[o] is None and running and running[-1] != o:
                    driver[o] = running[-1]
                running.append(o)
                opened, begun[o] = suspended, i
            elif k in SUSPEND_CODES or k in END_CODES:
                if running and running[-1] == o:
                    running.pop()
                elif o in running:
                    running.remove(o)
                if k in END_CODES:
                    opened = suspended
                    if begun[o] >= 0:
                        partner[begun[o]], begun[o] = i, -1
                else:
                    opened, suspended[o] = begun, i
            else:
                continue
            if opened[o] >= 0:
                partner[opened[o]], opened[o] = i, -1


def _states(objects, obj, kind, link) -> array:
    """The state each event leaves its object in: its kind's (events.STATE_AFTER), but
    a kind that leaves the state alone keeps the one before, and a task that has not
    ended is in the state of its coroutine's latest event."""
    state = array("B", bytes(kind).translate(_STATE_AFTER))
    keep = [k for k, s in enumerate(_STATE_AFTER[: len(KINDS)]) if s == NO_STATE]
    tasks = {o.id: c for o, c in zip(objects, link) if o.kind == "task"}
    # (a cancel of anything but a task is not recorded, but a record may say so)
    odd = {obj[i] for i in _positions(kind, keep)} - tasks.keys()
    events = _events_of(obj, set(tasks) | {c for c in tasks.values() if c is not None} | odd)
    for o in odd:
        mine = events[o]
        for before, i in zip(mine, mine[1:]):
            if state[i] == NO_STATE:
                state[i] = state[before]
    for task, coro in tasks.items():
        _task_states(state, events[task], events.get(coro, []))
    return state


def _task_states(state: array, own_events: list[int], coro_events: list[int]) -> None:
    own = NO_STATE
    for i in own_events:
        own = own if state[i] == NO_STATE else state[i]
        k = bisect_left(coro_events, i) - 1
        lead = state[coro_events[k]] if k >= 0 else NO_STATE
        state[i] = lead if own != _CLOSED and lead != NO_STATE else own


def _positions(kind, codes) -> list[int]:
    """The events whose kind is one of `codes`."""
    raw, out = bytes(kind), []
    for code in codes:
        at = raw.find(code)
        while at >= 0:
            out.append(at)
            at = raw.find(code, at + 1)
    return out


def _relations(obj, kind, walk: _Walk, awaits, spawns, lane_of) -> Relations:
    """The arrows between objects that have rows: spawns, awaits and their wakes."""
    rel = Relations()
    placed = [lane is not None for lane in lane_of]
    for parent, child, at in spawns:
        if placed[parent] and placed[child]:
            rel.add(SPAWN, at, at, parent, child)
    awaits = [(i, tg) for i, tg in awaits if placed[obj[i]] and placed[tg]]
    events = _events_of(obj, {tg for _i, tg in awaits})
    partner = walk.partner
    for i, tg in awaits:
        rel.add(AWAIT, i, _await_head(events[tg], kind, i), obj[i], tg)
        resume, end = partner[i], events[tg][-1] if events[tg] else -1
        if resume >= 0 and i < end <= resume and kind[end] in END_CODES:
            rel.add(WAKE, end, resume, tg, obj[i])
    return rel


def _cancels(rel: Relations, obj, kind, target_event, target_obj, link, lane_of) -> None:
    """A cancel arrow per `cancel` event that names its requester (`target`), when both
    have rows: from the requester at the request to where the cancelled task (or the
    coroutine it drives) was told — its next throw, else its next end, else the request."""
    requests = [
        (i, r)
        for i, r in zip(target_event, target_obj)
        if kind[i] == _CANCEL and lane_of[obj[i]] is not None and lane_of[r] is not None
    ]
    if not requests:
        return
    told = {o for i, _ in requests for o in (obj[i], link[obj[i]]) if o is not None}
    events = _events_of(obj, told)
    for i, requester in requests:
        cancelled = obj[i]
        after = sorted(
            j
            for o in (cancelled, link[cancelled])
            if o is not None
            for j in events[o][bisect_left(events[o], i + 1) :]
        )
        head = next((j for j in after if kind[j] == _THROW), None)
        if head is None:
            head = next((j for j in after if kind[j] in END_CODES), i)
        rel.add(CANCEL, i, head, requester, cancelled)


def _events_of(obj, wanted: set[int]) -> dict[int, list[int]]:
    """The event indices of each wanted object."""
    out: dict[int, list[int]] = {o: [] for o in wanted}
    if wanted:
        for i, o in enumerate(obj):
            if o in wanted:
                out[o].append(i)
    return out


def _await_head(events: list[int], kind, i: int) -> int:
    """Where an await's arrow points: the awaited object's own suspension just before
    (a delegated await), else its next event (a task or coroutine yet to run), else the
    await itself."""
    k = bisect_left(events, i)
    if k > 0 and kind[events[k - 1]] in SUSPEND_CODES:
        return events[k - 1]
    return events[k] if k < len(events) else i


class SourceLines:
    """The text of a source line, stripped: from the trace's own copy of the source
    (cells, and every file the recorder saw), else from linecache; None if unknown.
    Each file is split into lines once."""

    def __init__(self, trace: Trace):
        self._sources = trace.sources or {}
        self._lines: dict[str, list[str] | None] = {}

    def __call__(self, filename: str | None, line: int | None) -> str | None:
        if not filename or not line or line < 1:
            return None
        lines = self._lines.get(filename)
        if filename not in self._lines:
            source = self._sources.get(filename)
            lines = self._lines[filename] = source.splitlines() if source is not None else None
        if lines is None:
            return (linecache.getline(filename, line) or "").strip() or None
        return lines[line - 1].strip() if line <= len(lines) else None
