"""The event vocabulary: kinds, states and the transitions they make.

Standard library only: the recorder, the trace file and every view agree on these names.
"""

from __future__ import annotations

CREATED = "CREATED"
RUNNING = "RUNNING"
SUSPENDED = "SUSPENDED"
CLOSED = "CLOSED"
STATES = (CREATED, RUNNING, SUSPENDED, CLOSED)
STATE_CODE = {state: code for code, state in enumerate(STATES)}  # the recorders' numbering

# Codes are stored in trace records and files: append only, never renumber.
KINDS = (
    "create",
    "start",
    "resume",
    "throw",
    "yield",
    "await",
    "return",
    "raise",
    "close",
    "cancel",
)
KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}

OBJECT_KINDS = ("generator", "coroutine", "async_generator", "task", "future")
OBJECT_KIND_CODE = {kind: code for code, kind in enumerate(OBJECT_KINDS)}

# Generators, coroutines and async generators share one machine, as inspect names it.
# kind -> (states it may happen in, state it leaves).  `None` as a source means "not
# seen before".  `throw` and `close` may hit a never-started object: CPython delivers
# the exception at the first instruction.  A close may also happen while the object is
# running its own cleanup after a GeneratorExit was thrown in (see recording).
FRAME_TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    "create": (frozenset({None}), CREATED),
    "start": (frozenset({None, CREATED}), RUNNING),
    "resume": (frozenset({None, SUSPENDED}), RUNNING),
    "throw": (frozenset({None, CREATED, SUSPENDED}), RUNNING),
    "yield": (frozenset({RUNNING}), SUSPENDED),
    "await": (frozenset({RUNNING}), SUSPENDED),
    "return": (frozenset({RUNNING}), CLOSED),
    "raise": (frozenset({RUNNING}), CLOSED),
    "close": (frozenset({None, CREATED, SUSPENDED}), CLOSED),
}

# A task's own events mark its life; its steps are the events of its coroutine.
# `cancel` records that someone asked for the task's cancellation (when cancel() was
# called; its delivery is the later `throw` into the coroutine) and leaves the state alone.
TASK_TRANSITIONS: dict[str, tuple[frozenset, str | None]] = {
    "create": (frozenset({None}), CREATED),
    "cancel": (frozenset({None, CREATED, SUSPENDED, RUNNING}), None),
    "return": (frozenset({None, CREATED, SUSPENDED, RUNNING}), CLOSED),
    "raise": (frozenset({None, CREATED, SUSPENDED, RUNNING}), CLOSED),
}
# A future awaited is a target, with one event of its own: a cancel() asked of it.
FUTURE_TRANSITIONS: dict[str, tuple[frozenset, str | None]] = {
    "cancel": (frozenset({None, CREATED, SUSPENDED}), None),
}


# The role each kind plays in a generator's, coroutine's or async generator's life: a step
# begins (it runs), a step ends with a suspension (it waits), or the object ends.  `create`
# and `cancel` are marks: they move no frame into or out of running.  Every view reads the
# roles from here (the front-end gets them in its payload).
BEGINS = frozenset({"start", "resume", "throw"})
SUSPENDS = frozenset({"yield", "await"})
ENDS = frozenset({"return", "raise", "close"})
MARKS = frozenset({"create", "cancel"})
ROLE = {
    kind: (
        "begin"
        if kind in BEGINS
        else "suspend"
        if kind in SUSPENDS
        else "end"
        if kind in ENDS
        else "mark"
    )
    for kind in KINDS
}
BEGIN_CODES = frozenset(KIND_CODE[k] for k in BEGINS)
SUSPEND_CODES = frozenset(KIND_CODE[k] for k in SUSPENDS)
END_CODES = frozenset(KIND_CODE[k] for k in ENDS)

# the state a generator-like object is in after each kind (None: the kind leaves it alone)
STATE_AFTER: dict[str, str | None] = {
    kind: FRAME_TRANSITIONS[kind][1] if kind in FRAME_TRANSITIONS else None for kind in KINDS
}


def transitions_for(object_kind: str) -> dict:
    if object_kind == "task":
        return TASK_TRANSITIONS
    if object_kind == "future":
        return FUTURE_TRANSITIONS
    return FRAME_TRANSITIONS


def next_state(object_kind: str, state: str | None, kind: str) -> str | None:
    """The state after `kind` happens in `state`; raises ValueError if it is illegal."""
    table = transitions_for(object_kind)
    if kind not in table:
        raise ValueError(f"{kind!r} is not an event of a {object_kind}")
    sources, target = table[kind]
    if state not in sources:
        raise ValueError(f"{kind!r} cannot happen to a {object_kind} in state {state}")
    return state if target is None else target
