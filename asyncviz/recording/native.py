"""The native recording core: the C extension `_native`, loaded and wrapped as a backend.

(Being written: until it lands, `problem()` says why it cannot run.)
"""
from __future__ import annotations


def problem() -> str | None:
    try:
        from . import _native  # noqa: F401
    except ImportError as exc:
        return f"the C extension is not built ({exc})"
    return "the C extension is a placeholder"
