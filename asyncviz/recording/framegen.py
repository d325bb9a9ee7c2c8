"""The generator object that owns a running frame.

CPython keeps a generator's frame inside the generator object, at a fixed offset; a
frame object points at that frame.  Nothing public maps a frame back to its generator
before 3.14, so we read the pointer, after checking at import that the layout is the one
we expect on this interpreter.  If the check fails, `generator_of` returns None and the
recorder simply cannot notice a never-started or silently closed object's end.
"""
from __future__ import annotations

import ctypes
import sys

_PTR = ctypes.sizeof(ctypes.c_void_p)
_FRAME_FIELD = 3 * _PTR  # PyObject_HEAD (2 words), f_back, then f_frame


def _iframe_address(frame) -> int:
    return ctypes.c_void_p.from_address(id(frame) + _FRAME_FIELD).value or 0


def _calibrate() -> int | None:
    if sys.implementation.name != "cpython" or hasattr(sys, "gettotalrefcount"):
        return None

    def gen():
        yield sys._getframe(0)

    async def agen():
        yield sys._getframe(0)

    try:
        offsets = set()
        for _ in range(2):
            g = gen()
            frame = next(g)
            offsets.add(_iframe_address(frame) - id(g))
            g.close()
        a = agen()
        step = a.asend(None)
        try:
            step.send(None)
        except StopIteration as stop:
            offsets.add(_iframe_address(stop.value) - id(a))
        step.close()
        a.aclose().close()
    except Exception:
        return None
    if len(offsets) != 1:
        return None
    offset = offsets.pop()
    return offset if 16 <= offset <= 1024 else None


_OFFSET = _calibrate()


def generator_of(frame):
    """The generator, coroutine or async generator running `frame`, or None."""
    if _OFFSET is None:
        return None
    address = _iframe_address(frame)
    if not address:
        return None
    obj = ctypes.cast(address - _OFFSET, ctypes.py_object).value
    code = getattr(obj, "gi_code", None) or getattr(obj, "cr_code", None) \
        or getattr(obj, "ag_code", None)
    return obj if code is frame.f_code else None


available = _OFFSET is not None


def unwrap_async_yield(value):
    """The value an async generator yielded.  CPython wraps it (a private C type holding
    one object pointer) so asend() can tell a yield from an await; unwrap it by that
    pointer when the layout is the one checked at import."""
    if _OFFSET is None or type(value).__name__ != "async_generator_wrapped_value":
        return value
    address = ctypes.c_void_p.from_address(id(value) + 2 * _PTR).value
    return ctypes.cast(address, ctypes.py_object).value if address else value
