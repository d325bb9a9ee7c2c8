"""The private parts of asyncio read to tell a task exception nobody retrieved, one table
per Python version.

asyncio knows whether a future's exception was retrieved only through private state: the
flag `_log_traceback` (set when the exception is stored, cleared by `exception()`,
`result()` or `await`; the Python future keeps it as `__log_traceback` behind a property)
and the exception itself, `_exception` (the public `exception()` would clear the flag:
the program would then never hear of its own mistake).  A future
collected with the flag still set is reported through `call_exception_handler(context)`,
whose argument is read from its frame.  `tests/recording/test_fault_fields.py` checks
every entry on every Python the project supports, on asyncio's C and Python futures.

The entries are `stdlib_fields.py`'s kinds (`Field`, `Code`) and a Code entry is found
the same way; `read` differs on purpose: the Python future's flag is a class default an
instance shadows, which the named-waits reader refuses.  A Python newer than the last
table uses the last table (the test says when it is wrong).
"""

from __future__ import annotations

import sys
import types

from . import stdlib_fields
from .stdlib_fields import Code, Field

__all__ = ["FIELDS", "TABLES", "Code", "Field", "code_of", "local", "read", "table", "unretrieved"]

_COMMON: dict[str, Field | Code] = {
    # the C future's flag is a getter; the Python future's (nest_asyncio's tasks) is a
    # property over a name-mangled attribute: its storage is read instead
    "Future._log_traceback": Field("asyncio.futures", "Future", "_log_traceback"),
    "_PyFuture.__log_traceback": Field("asyncio.futures", "_PyFuture", "_Future__log_traceback"),
    "Future._exception": Field("asyncio.futures", "Future", "_exception"),
    "call_exception_handler": Code(
        "asyncio.base_events", "BaseEventLoop.call_exception_handler", ("context",)
    ),
}

TABLES: dict[tuple[int, int], dict[str, Field | Code]] = {
    (3, 11): dict(_COMMON),
    (3, 12): dict(_COMMON),
    (3, 13): dict(_COMMON),
}


def table(version: tuple[int, int] | None = None) -> dict[str, Field | Code]:
    """The table of `version` (default: this Python's)."""
    version = version or (sys.version_info[0], sys.version_info[1])
    return TABLES.get(version) or TABLES[max(TABLES)]


FIELDS = table()
_STORAGE = (types.GetSetDescriptorType, types.MemberDescriptorType)
_ABSENT = object()


def read(obj, key: str, default=None):
    """`obj`'s private attribute `key` (a Field of the table), or `default`.  Only the C
    getters and slots of stdlib types, the instance's own dict and plain class values are
    read — never a property, a method or a `__getattr__` a subclass may define: the
    program sees nothing, and nothing it defined runs."""
    entry = FIELDS[key]
    if not isinstance(entry, Field):
        return default
    name, cls = entry.name, type(obj)
    plain = _ABSENT
    for owner in cls.__mro__:
        attr = owner.__dict__.get(name, _ABSENT)
        if attr is _ABSENT:
            continue
        if type(attr) in _STORAGE:
            try:
                return attr.__get__(obj, cls)
            except Exception:
                return default
        if hasattr(type(attr), "__get__"):
            return default  # a property, a method, a descriptor of the program's
        plain = attr  # a class default (the Python Future's): the instance may shadow it
        break
    try:
        own = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        own = None
    if type(own) is dict and name in own:
        return own[name]
    return default if plain is _ABSENT else plain


def unretrieved(future) -> bool:
    """Does `future` (a task) hold an exception nobody retrieved?  Asked of the flag
    asyncio itself reports by, without clearing it."""
    flag = read(future, "Future._log_traceback")
    if flag is None:
        flag = read(future, "_PyFuture.__log_traceback")
    return flag is True


def code_of(key: str):
    """The code object of a Code entry (None when this Python has no such function)."""
    entry = FIELDS[key]
    return stdlib_fields.code_of(entry) if isinstance(entry, Code) else None


def local(frame, key: str, default=None):
    """The local variable a Code entry names (its first), read from the running `frame`."""
    entry = FIELDS[key]
    if not isinstance(entry, Code) or not entry.names:
        return default
    try:
        return frame.f_locals.get(entry.names[0], default)
    except Exception:
        return default
