"""What a frame is part of: the generator object that owns it, the line a traceback gives
for it, the frame of a generator-like object; and the value an async generator yields.

Both answers come from the interpreter's public interfaces, never from an address turned
into an object by arithmetic: a frame that no generator owns (an ordinary function's, a
finished generator's) would give a bogus object and corrupt the heap.

- `PyFrame_GetGenerator(frame)` (public C API since 3.11) returns a new reference to the
  owning generator, coroutine or async generator, or NULL.  Through ctypes it is called
  with `restype=c_void_p` (a `py_object` restype crashes on NULL) and its new reference
  is released at once.  It costs microseconds a call: the recorder asks once per object.
- An async generator's `yield` hands the interpreter a private wrapper around the value.
  The wrapper's type is recognised by identity where the interpreter exports it (3.11,
  3.12) and otherwise by what only it can be (a static, garbage-collected builtin type
  of that name, one pointer larger than an object header); the value is read with
  `gc.get_referents`, which asks the type's own traverse function — no layout assumed.
"""

from __future__ import annotations

import ctypes
import gc
import sys

_PTR = ctypes.sizeof(ctypes.c_void_p)
_HEAPTYPE = 1 << 9
_HAVE_GC = 1 << 14
_WRAPPER_NAME = "async_generator_wrapped_value"


def _frame_getter():
    if sys.implementation.name != "cpython":
        return None
    try:
        api = ctypes.pythonapi
        get = api.PyFrame_GetGenerator
        get.argtypes = [ctypes.py_object]
        get.restype = ctypes.c_void_p
        decref = api.Py_DecRef
        decref.argtypes = [ctypes.c_void_p]
        decref.restype = None
    except (AttributeError, OSError):
        return None
    return get, decref


_GETTER = _frame_getter()


def generator_of(frame):
    """The generator, coroutine or async generator running `frame`, or None."""
    if _GETTER is None or frame is None:
        return None
    get, decref = _GETTER
    address = get(frame)
    if not address:
        return None
    try:
        # a live object: the call returned a new reference to it, released below
        return ctypes.cast(address, ctypes.py_object).value
    finally:
        decref(address)


def _exported_wrapper_type() -> int | None:
    try:
        return ctypes.addressof(
            ctypes.c_char.in_dll(ctypes.pythonapi, "_PyAsyncGenWrappedValue_Type")
        )
    except (AttributeError, OSError, ValueError):
        return None


_EXPORTED = _exported_wrapper_type() if sys.implementation.name == "cpython" else None
_wrapper_types: dict[type, bool] = {}


def is_async_yield_wrapper(cls: type) -> bool:
    """Is `cls` the interpreter's wrapper of values yielded by async generators?"""
    known = _wrapper_types.get(cls)
    if known is None:
        if _EXPORTED is not None:
            known = id(cls) == _EXPORTED
        else:
            known = (
                cls.__name__ == _WRAPPER_NAME
                and cls.__module__ == "builtins"
                and not cls.__flags__ & _HEAPTYPE
                and bool(cls.__flags__ & _HAVE_GC)
                and cls.__basicsize__ == object.__basicsize__ + _PTR
            )
        _wrapper_types[cls] = known
    return known


def unwrap_async_yield(value):
    """The value an async generator yielded (its wrapper's only referent)."""
    if not is_async_yield_wrapper(type(value)):
        return value
    inside = gc.get_referents(value)
    return inside[0] if len(inside) == 1 else value


def frame_of(obj):
    """The frame of a generator, coroutine or async generator (None once it is over)."""
    for name in ("gi_frame", "cr_frame", "ag_frame"):
        frame = getattr(obj, name, False)
        if frame is not False:
            return frame
    return None


def line_of(frame) -> int | None:
    """The line a frame is at (`f_lineno`, else the line of the instruction it stands at:
    3.12 gives None in a call's inline cache, where a finaliser may run)."""
    line = frame.f_lineno
    if line is None:
        from .codeinfo import CodeInfo

        line = CodeInfo(frame.f_code).line(frame.f_lasti) or None
    return line


def raise_line(frame, exc) -> int:
    """Where the exception passed through `frame`, as its traceback says (3.12+ reports
    the offset of the frame's implicit handler, on another line)."""
    return traceback_line(getattr(exc, "__traceback__", None), frame)


def traceback_line(tb, frame) -> int:
    """The line the traceback gives for `frame` (0 if it does not pass through it)."""
    line = 0
    while tb is not None:
        if tb.tb_frame is frame:
            line = tb.tb_lineno or 0
        tb = tb.tb_next
    return line
