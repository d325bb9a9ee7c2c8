"""The traced objects, as both recording cores share them.

A core (native or Python) keeps each object's recording state and writes the records;
it asks the registry when it meets something new: a code object (is it recorded?), an
object (who is it, who made it, which task runs it?), a value it cannot describe by
itself, an awaited thing it does not know.  The registry owns the answers: the `Traced`
list, labels, the string table, the scope, and the asyncio watch (`tasks.py`).
"""

from __future__ import annotations

import sys
import types
from typing import Any

from ..events import KIND_CODE, OBJECT_KINDS, STATES
from ..trace import NO_TARGET, NO_VALUE, StringTable, Traced
from ..values import describe
from .faults import Faults
from .protocol import (
    CLOSED,
    COROUTINE,
    CREATED,
    FUTURE,
    OUT,
    RECORD,
    RUNNING,
    SUSPENDED,
    object_kind,
)
from .scope import module_of

_K_CREATE = KIND_CODE["create"]
_K_RETURN = KIND_CODE["return"]
_K_RAISE = KIND_CODE["raise"]
_CO_COROUTINE = 0x80
_MAX_DEPTH = 200  # frames walked to find the program's own


class Registry:
    def __init__(self, scope, values: bool = True, root_label: str | None = None):
        self.scope = scope
        self.values = values
        self.root_label = root_label
        self._objects: list[Traced] = []
        self.strings = StringTable()
        self.numbers: list = []  # wide ints and floats, by index (trace.NUMBER_BASE)
        self.labels: dict[str, int] = {}
        # the recording core (protocol.Core): attach() sets it before its hooks go on
        self.core: Any = None
        self.asyncio = None  # tasks.AsyncioWatch, when asyncio is in play
        self.faults = Faults(self)  # never awaited, never retrieved (faults.py)
        self._owned: dict[int, tuple] = {}  # id(code) -> (code, the program's own?)
        self.special: dict = {}  # code -> decision, for the stdlib code watched for asyncio
        self.special_ids: set[int] = set()  # their ids (the dict keeps the codes alive)
        self._decisions: dict[int, tuple] = {}  # id(code) -> (code, decision)
        self.never_awaited: list[int] = []
        self.cell = -1  # a %%asynctrace cell: one coroutine, its statements its parts
        self.cell_file: str | None = None
        self.waits: Any = None  # waits.Waits: awaited futures' names, made when first needed

    def attach(self, core) -> None:
        """The core that records (a backend calls this before its hooks go on)."""
        self.core = core
        if self.asyncio is not None:
            self.asyncio.attach(core)

    # -- code ---------------------------------------------------------------------------

    def watch_asyncio(self, watch, codes: dict) -> None:
        """Watch asyncio (tasks.AsyncioWatch) through these stdlib code objects."""
        self.asyncio = watch
        self.special = dict(codes)
        self.special_ids = {id(code) for code in self.special}
        self.special_event = watch.on_code
        self.cancel_reached = watch.cancels.delivered

    def decide(self, code, frame=None) -> int:
        """What a core does with `code` (protocol.OUT, RECORD, or an asyncio hook)."""
        known = self._decisions.get(id(code))
        if known is not None:
            return known[1]
        decision = self.special.get(code)
        if decision is None and self._cell_part(code):
            decision = RECORD
        elif decision is None:
            module = module_of(frame) if frame is not None else None
            decision = RECORD if self.scope.wants(code, module) else OUT
        self._decisions[id(code)] = (code, decision)  # the code is kept: its id stays its own
        return decision

    def owns(self, code, frame=None) -> bool:
        """Is `code` the program's own (any code: the watchdog and the fault finder ask
        which frame of a stack is the program's)?  Decided once per code object."""
        known = self._owned.get(id(code))
        if known is None:
            module = module_of(frame) if frame is not None else None
            known = self._owned[id(code)] = (code, self.scope.owns(code, module))
        return known[1]

    def own_frame(self, frame):
        """The innermost frame of the program's own code, from `frame` outwards."""
        for _ in range(_MAX_DEPTH):
            if frame is None or self.owns(frame.f_code, frame):
                return frame
            frame = frame.f_back
        return None

    # -- the cell -----------------------------------------------------------------------

    def start_cell(self, filename: str) -> None:
        """%%asynctrace: the cell is a coroutine labelled `cell`.  IPython runs each of its
        top-level statements that awaits as a coroutine of its own (code `<module>` in the
        cell's file); they are its parts (core.merge).  Its events are its awaits and its
        end; a cell that never awaits has none.  A cell whose file is excluded is not
        recorded, as any code out of scope."""
        if self.scope.excludes_file(filename):
            return
        oid = self.new_object(COROUTINE, "<cell>", None, CREATED, label="cell")
        if oid >= 0:
            self.objects[oid].filename, self.objects[oid].firstlineno = filename, 1
            self.cell, self.cell_file = oid, filename

    def _cell_part(self, code) -> bool:
        return (
            self.cell >= 0
            and code.co_name == "<module>"
            and code.co_filename == self.cell_file
            and bool(code.co_flags & _CO_COROUTINE)
        )

    def end_cell(self, value=None, exc: BaseException | None = None) -> None:
        """The cell's last statement ran (`value`: what it shows) or `exc` stopped it: the
        end of a cell that awaited (it is running between its statements)."""
        core = self.core
        if self.cell < 0 or core.state(self.cell) != RUNNING:
            return
        kind, what = (_K_RETURN, value) if exc is None else (_K_RAISE, exc)
        core.emit(core.now(), self.cell, kind, core.value(what), 0)
        core.set_state(self.cell, CLOSED)

    # -- objects ------------------------------------------------------------------------

    @property
    def objects(self) -> list[Traced]:
        """Every object so far, by id (the core's own are told first)."""
        self.tell()
        return self._objects

    def tell(self) -> None:
        """The core's own objects first: the native core makes a common task and its
        coroutine alone (csrc/tasks.c) and builds their `Traced` here when asked
        (csrc/told.c), in id order, before any other object is made or read: ids and
        labels stay as if they were made here."""
        core = self.core
        told = core.tell(self._objects, self.labels, Traced, OBJECT_KINDS, STATES) if core else None
        if told is not None and self.asyncio is not None:
            self.asyncio.told(*told)

    def new_object(
        self,
        kind: int,
        name: str,
        parent: int | None,
        state: int,
        *,
        label: str | None = None,
        obj=None,
        initial: int | None = None,
    ) -> int:
        """An object that is not code running in a frame: a task or a future."""
        self.tell()
        if label is None:
            label = self._label(name)
        oid = self.core.add(kind, state, -1, 0, None, obj, True, None)
        if oid < 0:
            return -1  # the record's budget is spent
        self._traced(oid, kind, name, label, None, None, state, parent, initial)
        return oid

    def object_of_code(
        self,
        code,
        parent: int | None,
        initial: int | None,
        state: int,
        task: int,
        line: int,
        obj,
        watch: bool,
        frame,
    ) -> int:
        """A generator, coroutine or async generator running `code` (first sight)."""
        kind = object_kind(code.co_flags)
        name = code.co_qualname
        self.tell()
        oid = self.core.add(kind, state, task, line, code, obj, watch, frame)
        if oid < 0:
            return -1  # the record's budget is spent
        self._traced(
            oid,
            kind,
            name,
            self._label(name),
            code.co_filename,
            code.co_firstlineno,
            state,
            parent,
            initial,
        )
        return oid

    def _label(self, name: str) -> str:
        short = name[name.rfind(".") + 1 :]
        n = self.labels[short] = self.labels.get(short, 0) + 1
        return f"{short}#{n}"

    def _traced(self, oid, kind, name, label, filename, firstlineno, state, parent, initial):
        if oid != len(self._objects):
            raise AssertionError(f"object ids out of step: {oid} != {len(self._objects)}")
        self._objects.append(
            Traced(
                oid,
                OBJECT_KINDS[kind],
                name,
                label,
                filename,
                firstlineno,
                STATES[state],
                parent,
                None if initial is None else STATES[initial],
            )
        )

    def driver(self) -> tuple[int | None, int]:
        """(parent, task) for an object first seen now: what runs, or the running task."""
        core = self.core
        running = core.running()
        if running >= 0:
            return running, core.task(running)
        if self.asyncio is not None:
            task = self.asyncio.current()  # the cell, for the task that runs it
            if task >= 0:
                return task, (task if task != self.cell else -1)
            return None, -1
        return (self.cell, -1) if self.cell >= 0 else (None, -1)

    def first_sight(self, frame, gen, code, initial: int, dying: bool = False) -> int:
        """A core met a running frame it does not know.  `dying`: it is first seen being
        closed, maybe by its finaliser inside its deallocation, which has cleared its weak
        references already: a new one would outlive it."""
        if self.cell >= 0 and self._cell_part(code):
            self.core.merge(self.cell, frame, gen, code)
            return self.cell
        aio = self.asyncio
        starting = aio.starting(gen) if aio is not None and gen is not None else -1
        if starting >= 0:
            parent = task = starting  # an eager task's first step, inside create_task
        else:
            parent, task = self.driver()
        oid = self.object_of_code(code, parent, initial, initial, task, 0, gen, not dying, frame)
        if oid >= 0 and aio is not None and task >= 0 and parent == task:
            aio.adopt(task, oid, gen, eager=starting >= 0)
        return oid

    def created(self, obj) -> None:
        """Rewritten cell code just made `obj` (a generator, coroutine or async generator)."""
        code, frame = _code_and_frame(obj)
        core = self.core
        if code is None or frame is None or core.lookup(obj) >= 0:
            return
        if self.decide(code, frame) != RECORD:
            return
        parent, task = self.driver()
        line = code.co_firstlineno
        oid = self.object_of_code(code, parent, None, CREATED, task, line, obj, True, frame)
        if oid >= 0:
            core.emit(core.now(), oid, _K_CREATE, NO_VALUE, line)

    def adopt_coroutine(self, coro, task_oid: int) -> int:
        """The coroutine a task was made for, not seen being created; -1 if not recorded."""
        code, frame = _code_and_frame(coro)
        if code is None or frame is None or self.decide(code, frame) != RECORD:
            return -1
        state = _state_of(coro, CREATED)
        return self.object_of_code(
            code, task_oid, state, state, task_oid, code.co_firstlineno, coro, True, frame
        )

    # -- values and awaited things --------------------------------------------------------

    def describe(self, value) -> int:
        """The string index of a value a core does not describe by itself."""
        return self.core.intern(describe(value))

    def target(self, value, gen=None, line: int = 0) -> int:
        """The object an `await` waits on, when the core does not know it: a task
        (adopted), a future (new, named after the call that made it: `gen` is the
        recorded coroutine awaiting it at `line`), or nothing we follow (-1)."""
        cls = type(value)
        if getattr(cls, "_asyncio_future_blocking", None) is None:
            return NO_TARGET
        if self.asyncio is not None and getattr(cls, "get_coro", None) is not None:
            task = self.asyncio.register(value, late=True)
            if task >= 0:
                return task
        try:
            return self.waits_of().future(value, gen, line)
        except Exception:  # a name we failed to read: the plain one, never into the program
            label = self._label(cls.__name__) + (f" (line {line})" if line > 0 else "")
            return self.new_object(FUTURE, cls.__name__, None, SUSPENDED, label=label, obj=value)

    def waits_of(self):
        """The named-waits room (asyncio is imported: an asyncio future exists)."""
        if self.waits is None:
            from .waits import Waits

            self.waits = Waits(self)
        return self.waits

    # -- asyncio, through the stdlib code the cores watch ---------------------------------
    # No-ops without asyncio; `watch_asyncio` puts the watch's own methods in their place,
    # so that a core calls them directly.

    def call_watching(self, tool: int, local: list):
        """3.12+: what watches cancel() calls for a backend on `tool` (cancels.py), or
        None without asyncio."""
        if self.asyncio is None or not hasattr(sys, "monitoring"):
            return None
        return self.asyncio.cancels.call_watching(tool, local)

    def special_event(self, decision: int, event: int, frame, *value) -> None:
        """A core saw watched stdlib code start (event 0; `value`: its argument, when the
        core read it), return (1; what it returned) or raise (2)."""

    def cancel_reached(self, task_oid: int, exc, t: int) -> bool:
        """A CancelledError is about to be thrown into a task's coroutine chain: True
        when a `cancel` was recorded for it now (cancels.CancelWatch.delivered)."""
        return False

    # -- the end --------------------------------------------------------------------------

    def finish(self) -> None:
        """Final states: sweep what ended without an event while the trace ran, then
        take each object's state from the object itself (dead ones are over)."""
        core = self.core
        for oid, traced in enumerate(self.objects):
            if traced.kind in ("task", "future"):
                continue
            state = core.state(oid)
            if state == CREATED or state == SUSPENDED:
                obj = core.alive(oid)
                if obj is not None:
                    core.sync(obj)
        if self.asyncio is not None:
            self.asyncio.finish()
        if self.waits is not None:
            self.waits.finish()  # after the tasks' labels: a wait's label may name them
        for oid, traced in enumerate(self.objects):
            state = core.state(oid)
            obj = core.alive(oid)
            if traced.kind == "future":
                state = CLOSED if obj is None or _done(obj) else SUSPENDED
            elif traced.kind != "task":
                task = core.task(oid)
                if task >= 0:
                    traced.task = task
                # the object knows best (events after a spent budget were not seen)
                state = CLOSED if obj is None else _state_of(obj, state)
                if state == RUNNING:
                    state = SUSPENDED
            traced.state = STATES[state]


_STATE_PREFIX = {
    types.GeneratorType: "gi",
    types.CoroutineType: "cr",
    types.AsyncGeneratorType: "ag",
}


def _state_of(obj, recorded: int) -> int:
    """The state of a live generator, coroutine or async generator, as inspect names it."""
    prefix = _STATE_PREFIX.get(type(obj))
    if prefix is None:
        return recorded
    if getattr(obj, prefix + "_running", False):
        return RUNNING
    if getattr(obj, prefix + "_frame", None) is None:
        return CLOSED
    suspended = getattr(obj, prefix + "_suspended", None)
    if suspended is not None:
        return SUSPENDED if suspended else CREATED
    return recorded if recorded != CLOSED else SUSPENDED


def _done(future) -> bool:
    try:
        return bool(future.done())
    except Exception:
        return True


_PARTS = {
    types.GeneratorType: ("gi_code", "gi_frame"),
    types.CoroutineType: ("cr_code", "cr_frame"),
    types.AsyncGeneratorType: ("ag_code", "ag_frame"),
}


def _code_and_frame(obj):
    """(code, frame) of a generator, coroutine or async generator; (None, None) else."""
    names = _PARTS.get(type(obj))
    if names is None:  # a subclass, or something that only looks like one
        for names in _PARTS.values():
            if hasattr(obj, names[0]):
                break
        else:
            return None, None
    return getattr(obj, names[0], None), getattr(obj, names[1], None)
