"""The helpers that rewritten cell code calls (`__avz_sent__` & co.), installed in `builtins`.

Rewritten code reads `__avz_on__` before calling any of them, so while nothing is being
recorded it pays one global lookup and a branch.  The helpers never raise: a failure to
record must not become a failure of the user's code.
"""

from __future__ import annotations

import builtins
import sys
import threading

from .rewrite import NEW, ON, SENT, SYNC

_core = None  # the recording core, while one records
_get_ident = threading.get_ident
_getframe = sys._getframe


def __avz_sent__(value):
    core = _core
    if core is not None and _get_ident() == core.thread:
        try:
            core.sent(_getframe(1), value)
        except Exception:
            pass
    return value


def __avz_new__(obj):
    core = _core
    if core is not None and _get_ident() == core.thread:
        try:
            core.registry.created(obj)
        except Exception:
            pass
    return obj


def __avz_sync__(result, obj):
    core = _core
    if core is not None and _get_ident() == core.thread:
        try:
            core.sync(obj)
        except Exception:
            pass
    return result


def _set(name: str, value) -> None:
    setattr(builtins, name, value)  # names no module declares: rewritten code reads them


def install() -> None:
    """Make the helpers visible to rewritten code (idempotent; they stay once there)."""
    if not hasattr(builtins, ON):
        _set(ON, False)
    _set(SENT, __avz_sent__)
    _set(NEW, __avz_new__)
    _set(SYNC, __avz_sync__)


def activate(core, sent=None) -> None:
    """Rewritten code reports to `core` from now on; `sent`: a faster __avz_sent__ (the
    native core's, which finds the frame without a Python call)."""
    global _core
    install()
    _core = core
    if sent is not None:
        _set(SENT, sent)
    _set(ON, True)


def deactivate() -> None:
    global _core
    _core = None
    _set(ON, False)
    _set(SENT, __avz_sent__)
