"""Short, safe descriptions of the values that cross a suspension point.

The recorder never keeps a user object: it keeps a string made here.  Builtin values are
described without calling any user code; other objects get their own `repr` under guard
(an exception, a slow or a huge result all fall back to `<TypeName>`), and a type whose
`repr` misbehaved once is not asked again.  A `repr` that never returns is stopped by a
deadline (an interval timer, on the main thread when no one else uses it); where no
deadline can be set, only the standard library's reprs are called.
"""

from __future__ import annotations

import signal
import sys
import threading
import time

MAX_LEN = 80
MAX_ITEMS = 6
_SLOW_NS = 2_000_000  # a repr slower than this is not called again for its type
_DEADLINE_S = 0.1  # a repr still running after this is stopped

_SCALARS = (int, float, complex, bool, type(None), type(...), range)
_unsafe_types: set = set()


def _cut(text: str, limit: int = MAX_LEN) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _type_name(value) -> str:
    return f"<{type(value).__name__}>"


def _describe(value, depth: int) -> str:
    cls = type(value)
    if cls is int and value.bit_length() > 200:
        return f"<int of {value.bit_length()} bits>"
    if cls in _SCALARS:
        return repr(value)
    if cls is str:
        return repr(value) if len(value) <= MAX_LEN else repr(value[:MAX_LEN]) + "…"
    if cls is bytes or cls is bytearray:
        return repr(value[:MAX_LEN]) + ("…" if len(value) > MAX_LEN else "")
    if cls in (list, tuple, set, frozenset, dict):
        return _container(value, cls, depth)
    if isinstance(value, BaseException) and cls.__module__ in ("builtins", "asyncio.exceptions"):
        args = ", ".join(_describe(a, depth + 1) for a in value.args[:2])
        return f"{cls.__qualname__}({args})"
    if getattr(cls, "_asyncio_future_blocking", None) is not None:
        return _future(value)
    return _guarded_repr(value)


def _future(value) -> str:
    """asyncio's own reprs list callbacks and coroutines: too long to be read at a glance."""
    state = "cancelled" if value.cancelled() else ("done" if value.done() else "pending")
    # looked up on the type: a future subclass's __getattr__ is the program's code
    get_name = getattr(type(value), "get_name", None)
    if get_name is not None:
        return _cut(f"<{type(value).__name__} {get_name(value)!r} {state}>")
    return f"<{type(value).__name__} {state}>"


def _container(value, cls, depth: int) -> str:
    if depth >= 2:
        return f"<{cls.__name__} of {len(value)}>"
    if cls is dict:
        items = [
            f"{_describe(k, depth + 1)}: {_describe(v, depth + 1)}" for k, v in _take(value.items())
        ]
        open_, close = "{", "}"
    else:
        items = [_describe(v, depth + 1) for v in _take(value)]
        open_, close = {list: "[]", tuple: "()", set: "{}", frozenset: "{}"}[cls]
        if cls is tuple and len(value) == 1:
            items[0] += ","
        if not value and cls in (set, frozenset):
            return f"{cls.__name__}()"
    if len(value) > MAX_ITEMS:
        items.append(f"… {len(value)} items")
    return open_ + ", ".join(items) + close


def _take(iterable):
    out = []
    for item in iterable:
        if len(out) == MAX_ITEMS:
            break
        out.append(item)
    return out


class _Deadline(BaseException):
    """Raised into a repr that ran out of time (BaseException: `except Exception` in the
    user's repr must not swallow it)."""


def _on_alarm(signum, frame):
    raise _Deadline


def _stdlib_type(cls) -> bool:
    return cls.__module__.split(".")[0] in sys.stdlib_module_names


def _can_set_deadline() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
    )


def _repr_with_deadline(value) -> str:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, _DEADLINE_S)
        try:
            return repr(value)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _guarded_repr(value) -> str:
    cls = type(value)
    if cls in _unsafe_types or cls.__repr__ is object.__repr__:
        return _type_name(value)
    guarded = _can_set_deadline()
    if not guarded and not _stdlib_type(cls):
        return _type_name(value)  # user code that might never return, and no deadline
    began = time.perf_counter_ns()
    try:
        text = _repr_with_deadline(value) if guarded else repr(value)
    except KeyboardInterrupt:
        _unsafe_types.add(cls)
        raise
    except BaseException:  # it raised, or ran out of time (_Deadline)
        _unsafe_types.add(cls)
        return _type_name(value)
    if time.perf_counter_ns() - began > _SLOW_NS or not isinstance(text, str):
        _unsafe_types.add(cls)
        if not isinstance(text, str):
            return _type_name(value)
    return _cut(text)


def describe(value) -> str:
    """A short description of `value` that is safe to keep, show and escape later."""
    try:
        return _cut(_describe(value, 0))
    except KeyboardInterrupt:
        raise
    except BaseException:
        return _type_name(value)
