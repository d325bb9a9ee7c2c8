"""What the pieces of the recorder promise each other.

A *core* turns interpreter hooks into records and keeps the per-object recording state:
the native one (`_native`, C) or the Python one (`pycore.PyCore`).  The *registry*
(`registry.Registry`) is the Python side both cores share: who the objects are, their
labels, parents and tasks, which code is recorded, and values a core cannot describe by
itself.  A *backend* installs one core's hooks on the interpreter and takes them off.

The numbers below are shared with the C core (`csrc/native.h`; a test checks they
agree).  States and object kinds count in the order `events.STATES` and
`events.OBJECT_KINDS` name them.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..events import OBJECT_KIND_CODE, STATE_CODE

CREATED = STATE_CODE["CREATED"]
RUNNING = STATE_CODE["RUNNING"]
SUSPENDED = STATE_CODE["SUSPENDED"]
CLOSED = STATE_CODE["CLOSED"]

GENERATOR = OBJECT_KIND_CODE["generator"]
COROUTINE = OBJECT_KIND_CODE["coroutine"]
ASYNC_GENERATOR = OBJECT_KIND_CODE["async_generator"]
TASK = OBJECT_KIND_CODE["task"]
FUTURE = OBJECT_KIND_CODE["future"]

# What a core does with a code object, decided once per code object and trace.
OUT = 0  # not recorded (ordinary code, or out of scope)
RECORD = 1  # a generator, coroutine or async generator in scope
CREATE_TASK = 2  # asyncio's BaseEventLoop.create_task: a task is born
SELECT = 3  # a selector's select(): the event loop waits (idle time)
UNAWAITED = 4  # warnings._warn_unawaited_coroutine: a coroutine never awaited
TASK_NAME = 5  # asyncio.tasks._set_task_name (3.11, 3.12): a task named after it is made
CANCELS = 6  # 3.11: asyncio code that calls Task.cancel() (cancels.watched_codes_311)
WAITS = 8  # a stdlib function whose return names a future or a timeout (waits.py)
EXCEPTION_HANDLER = 9  # BaseEventLoop.call_exception_handler: asyncio reports a fault

# One event costs 1 in the record's budget; an object and a string cost what they weigh,
# in records: `max_events` bounds the memory of the whole record, not just its events.
OBJECT_COST = 8
STRING_COST_BYTES = 24

# co_flags of code whose calls make generator-like objects: GENERATOR, COROUTINE,
# ITERABLE_COROUTINE (types.coroutine), ASYNC_GENERATOR
CO_GENERATOR_FLAGS = 0x20 | 0x80 | 0x100 | 0x200


def object_kind(flags: int) -> int:
    """The object kind of a code object's instances, from its co_flags."""
    if flags & 0x200:
        return ASYNC_GENERATOR
    if flags & 0x80:
        return COROUTINE
    return GENERATOR


class Core(Protocol):
    """The recording core, as the registry and the asyncio hooks use it.  Times are the
    core's clock ticks (`now()`); the trace converts them to ns when it stops."""

    values: bool
    active: bool

    def now(self) -> int: ...

    def emit(
        self, t: int, oid: int, kind: int, value: int = ..., line: int = 0, target: int = -1
    ) -> int: ...

    def value(self, v: Any) -> int: ...

    def set_value(self, at: int, value: int) -> None: ...

    def intern(self, text: str) -> int: ...

    def add(
        self, kind: int, state: int, task: int, line: int, code: Any, obj: Any, watch: bool
    ) -> int: ...

    def bind(self, oid: int, obj: Any) -> None: ...

    def lookup(self, obj: Any) -> int: ...

    def state(self, oid: int) -> int: ...

    def set_state(self, oid: int, state: int) -> None: ...

    def task(self, oid: int) -> int: ...

    def link(self, coro_oid: int, task_oid: int) -> None: ...

    def end_task(self, task_oid: int, t: int, kind: int, value: int) -> None: ...

    def running(self) -> int: ...

    # read by the watchdog thread while a step runs (ints: they allocate nothing a garbage
    # collection counts)
    def running_since(self) -> int: ...

    def last_record_at(self) -> int: ...

    def dying(self, obj: Any) -> int: ...


class Backend(Protocol):
    """Installs a core's hooks on the interpreter (for the recording thread) and takes
    them off.  `stop()` must be safe without `start()`, and twice."""

    name: str  # "native" | "python"
    hook: str  # "sys.monitoring" | "sys.settrace"
    note: str  # said in Trace.meta["notes"] when not empty

    def start(self, registry: Any) -> Core: ...

    def switch_off(self) -> None: ...

    def stop(self) -> None: ...
