"""Every private part of the standard library that asyncviz reads, one table per Python
version.

asyncio says what a task waits on only through private state: a gather's children, a
TaskGroup's tasks, a timer's due time, a timeout's task, the locals of its own coroutines
(`delay` in `sleep`).  Each such name is written here once, for each Python version, and
`tests/recording/test_stdlib_fields.py` checks every entry on every Python the project
supports: a rename in CPython fails that test instead of silently losing a label.

Two kinds of entry:

- `Field(module, owner, name)`: an attribute of a stdlib object (`owner` is a class of
  `module`), read with `read(obj, field)`, which never raises and never calls code the
  program can see (plain attribute storage of stdlib classes only);
- `Code(module, qualname, names)`: a stdlib function or coroutine (found by the dotted
  path of its attributes in `module`, also inside `<locals>`), whose frame's locals
  `names` are read while it is suspended or returning.

A Python newer than the last table uses the last table (the test says when it is wrong).
"""

from __future__ import annotations

import operator
import sys
import types
from typing import Any, NamedTuple


class Field(NamedTuple):
    module: str
    owner: str
    name: str


class Code(NamedTuple):
    module: str
    qualname: str
    names: tuple[str, ...] = ()


_COMMON: dict[str, Field | Code] = {
    # -- private attributes ----------------------------------------------------------------
    "TimerHandle._when": Field("asyncio.events", "TimerHandle", "_when"),
    "_GatheringFuture._children": Field("asyncio.tasks", "_GatheringFuture", "_children"),
    "TaskGroup._tasks": Field("asyncio.taskgroups", "TaskGroup", "_tasks"),
    "Task._coro": Field("asyncio.tasks", "Task", "_coro"),
    "Timeout._when": Field("asyncio.timeouts", "Timeout", "_when"),
    "Timeout._state": Field("asyncio.timeouts", "Timeout", "_state"),
    "Timeout._task": Field("asyncio.timeouts", "Timeout", "_task"),
    "_State.ENTERED": Field("asyncio.timeouts", "_State", "ENTERED"),
    "_State.EXPIRING": Field("asyncio.timeouts", "_State", "EXPIRING"),
    # -- frames whose locals name a wait ---------------------------------------------------
    "sleep": Code("asyncio.tasks", "sleep", ("delay", "h")),
    "wait": Code("asyncio.tasks", "wait", ("fs", "timeout", "return_when")),
    "_wait": Code("asyncio.tasks", "_wait", ("timeout_handle",)),
    "to_thread": Code("asyncio.threads", "to_thread", ("func",)),
    "Queue.get": Code("asyncio.queues", "Queue.get", ("self",)),
    "Queue.put": Code("asyncio.queues", "Queue.put", ("self",)),
    "Queue.join": Code("asyncio.queues", "Queue.join", ("self",)),
    "Lock.acquire": Code("asyncio.locks", "Lock.acquire", ("self",)),
    "Event.wait": Code("asyncio.locks", "Event.wait", ("self",)),
    "Condition.wait": Code("asyncio.locks", "Condition.wait", ("self",)),
    "Condition.wait_for": Code("asyncio.locks", "Condition.wait_for", ("self",)),
    "Semaphore.acquire": Code("asyncio.locks", "Semaphore.acquire", ("self",)),
    "Barrier.wait": Code("asyncio.locks", "Barrier.wait", ("self",)),
    "TaskGroup.__aexit__": Code("asyncio.taskgroups", "TaskGroup.__aexit__", ("self",)),
    "StreamReader.read": Code("asyncio.streams", "StreamReader.read", ("self", "n")),
    "StreamReader.readline": Code("asyncio.streams", "StreamReader.readline", ("self",)),
    "StreamReader.readexactly": Code("asyncio.streams", "StreamReader.readexactly", ("self", "n")),
    "StreamReader.readuntil": Code(
        "asyncio.streams", "StreamReader.readuntil", ("self", "separator")
    ),
    "StreamWriter.drain": Code("asyncio.streams", "StreamWriter.drain", ("self",)),
    "StreamWriter.wait_closed": Code("asyncio.streams", "StreamWriter.wait_closed", ("self",)),
    "open_connection": Code("asyncio.streams", "open_connection", ("host", "port")),
    "start_server": Code("asyncio.streams", "start_server", ("host", "port")),
    "create_connection": Code(
        "asyncio.base_events", "BaseEventLoop.create_connection", ("host", "port")
    ),
    "create_server": Code("asyncio.base_events", "BaseEventLoop.create_server", ("host", "port")),
    "getaddrinfo": Code("asyncio.base_events", "BaseEventLoop.getaddrinfo", ("host", "port")),
    "Server.serve_forever": Code("asyncio.base_events", "Server.serve_forever", ()),
    "Server.wait_closed": Code("asyncio.base_events", "Server.wait_closed", ()),
    "sock_connect": Code(
        "asyncio.selector_events", "BaseSelectorEventLoop.sock_connect", ("address",)
    ),
    "sock_accept": Code("asyncio.selector_events", "BaseSelectorEventLoop.sock_accept", ()),
    "sock_recv": Code("asyncio.selector_events", "BaseSelectorEventLoop.sock_recv", ("n",)),
    "sock_sendall": Code("asyncio.selector_events", "BaseSelectorEventLoop.sock_sendall", ()),
    "create_subprocess_exec": Code(
        "asyncio.subprocess", "create_subprocess_exec", ("program", "args")
    ),
    "create_subprocess_shell": Code("asyncio.subprocess", "create_subprocess_shell", ("cmd",)),
    "Process.wait": Code("asyncio.subprocess", "Process.wait", ()),
    "Process.communicate": Code("asyncio.subprocess", "Process.communicate", ()),
    # passed through to what they await: a pure-Python Future's own generator (nest_asyncio
    # swaps those in), and `async with lock:` (its acquire() is the call that waits)
    "Future.__await__": Code("asyncio.futures", "_PyFuture.__await__", ()),
    "_ContextManagerMixin.__aenter__": Code("asyncio.locks", "_ContextManagerMixin.__aenter__", ()),
    # -- plain functions that make a future: their return is watched -----------------------
    "shield": Code("asyncio.tasks", "shield", ("inner",)),
    "run_in_executor": Code("asyncio.base_events", "BaseEventLoop.run_in_executor", ("func",)),
    "timeout": Code("asyncio.timeouts", "timeout", ("delay",)),
    "timeout_at": Code("asyncio.timeouts", "timeout_at", ("when",)),
}

_AS_COMPLETED_LOCALS = {
    "as_completed": Code("asyncio.tasks", "as_completed.<locals>._wait_for_one", ()),
}

TABLES: dict[tuple[int, int], dict[str, Field | Code]] = {
    (3, 11): {
        **_COMMON,
        **_AS_COMPLETED_LOCALS,
        # wait_for wraps its argument in a task and waits on a future of its own
        "wait_for": Code("asyncio.tasks", "wait_for", ("fut", "timeout", "timeout_handle")),
    },
    (3, 12): {
        **_COMMON,
        **_AS_COMPLETED_LOCALS,
        # wait_for awaits its argument inside `async with timeouts.timeout(timeout)`
        "wait_for": Code("asyncio.tasks", "wait_for", ("fut", "timeout")),
    },
    (3, 13): {
        **_COMMON,
        "wait_for": Code("asyncio.tasks", "wait_for", ("fut", "timeout")),
        "as_completed": Code("asyncio.tasks", "_AsCompletedIterator._wait_for_one", ()),
        "as_completed.__anext__": Code("asyncio.tasks", "_AsCompletedIterator.__anext__", ()),
    },
}


def table(version: tuple[int, int] | None = None) -> dict[str, Field | Code]:
    """The table of `version` (default: this Python's)."""
    version = version or (sys.version_info[0], sys.version_info[1])
    if version in TABLES:
        return TABLES[version]
    return TABLES[max(TABLES)]


FIELDS = table()


def read(obj, key: str, default=None):
    """`obj`'s private attribute `key` (a Field of the table), or `default` when it is
    missing.  Only instance storage, slots and the C getters of stdlib types are read,
    never a property or a `__getattr__` a subclass may define: the program sees nothing."""
    cls = type(obj)
    how: Any = _HOW.get((cls, key))
    if how is None:
        how = _HOW[(cls, key)] = _how(cls, field_name(key))
    try:
        if how is _INSTANCE:
            # no class defines it: instance storage (object's lookup calls no __getattr__)
            return object.__getattribute__(obj, field_name(key))
        if how is _NOWHERE:
            return default
        return how.__get__(obj, cls)
    except Exception:
        return default


def reader(key: str):
    """A function reading `key` (a Field) from an instance of exactly its stdlib class —
    the caller checks the type, so plain attribute access calls nothing of the program —
    for a hot path.  It raises AttributeError when the field is unset."""
    return operator.attrgetter(field_name(key))


def field_name(key: str) -> str:
    """The attribute name of a Field entry."""
    entry = FIELDS[key]
    assert isinstance(entry, Field), key
    return entry.name


def class_constant(key: str, default=None):
    """A Field entry read from its owner class itself (an enum member: `_State.ENTERED`)."""
    entry = FIELDS[key]
    assert isinstance(entry, Field), key
    owner = getattr(sys.modules.get(entry.module), entry.owner, None)
    return getattr(owner, entry.name, default)


_STORAGE = (types.GetSetDescriptorType, types.MemberDescriptorType)
_INSTANCE, _NOWHERE = object(), object()
_HOW: dict = {}  # (type, key) -> how to read it: a slot or C getter, _INSTANCE or _NOWHERE


def _how(cls, name: str):
    for owner in cls.__mro__:
        attr = owner.__dict__.get(name)
        if attr is not None:
            # a slot or a C getter is storage; a property, a method, a class attribute not
            return attr if type(attr) in _STORAGE else _NOWHERE
    return _INSTANCE


def code_of(entry: Code):
    """The code object of a Code entry (None when this Python has no such function)."""
    module = sys.modules.get(entry.module)
    if module is None:
        try:
            module = __import__(entry.module, fromlist=["_"])
        except ImportError:
            return None
    outer, _, inner = entry.qualname.partition(".<locals>.")
    obj = module
    for part in outer.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    code = getattr(obj, "__code__", None)
    if code is None or not inner:
        return code
    for const in code.co_consts:
        if getattr(const, "co_qualname", None) == entry.qualname:
            return const
    return None
