"""Short, safe descriptions of the values that cross a suspension point.

The recorder never keeps a user object: it keeps a string made here.  Builtin values are
described without calling any user code; other objects get their own `repr` under guard
(an exception, a slow or a huge result all fall back to `<TypeName>`), and a type whose
`repr` misbehaved once is not asked again.
"""
from __future__ import annotations

import time

MAX_LEN = 80
MAX_ITEMS = 6
_SLOW_NS = 2_000_000  # a repr slower than this is not called again for its type

_SCALARS = (int, float, complex, bool, type(None), type(...), range)
_unsafe_types: set = set()


def _cut(text: str, limit: int = MAX_LEN) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _type_name(value) -> str:
    return f"<{type(value).__qualname__}>"


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
    get_name = getattr(value, "get_name", None)
    if get_name is not None:
        return _cut(f"<{type(value).__name__} {get_name()!r} {state}>")
    return f"<{type(value).__name__} {state}>"


def _container(value, cls, depth: int) -> str:
    if depth >= 2:
        return f"<{cls.__name__} of {len(value)}>"
    if cls is dict:
        items = [f"{_describe(k, depth + 1)}: {_describe(v, depth + 1)}"
                 for k, v in _take(value.items())]
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


def _guarded_repr(value) -> str:
    cls = type(value)
    if cls in _unsafe_types or cls.__repr__ is object.__repr__:
        return _type_name(value)
    began = time.perf_counter_ns()
    try:
        text = repr(value)
    except KeyboardInterrupt:
        _unsafe_types.add(cls)
        raise
    except BaseException:
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
