"""The anywidget classes.  Only this package imports anywidget and ipywidgets.

from asyncviz.widgets import TimelineWidget, StatesWidget
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names __all__ gives, for type checkers; imported lazily below
    from .states import StatesWidget
    from .timeline import TimelineWidget

__all__ = ["TimelineWidget", "StatesWidget"]


def __getattr__(name):
    # lazy, so that importing one widget module does not load the others
    if name == "TimelineWidget":
        from .timeline import TimelineWidget

        return TimelineWidget
    if name == "StatesWidget":
        from .states import StatesWidget

        return StatesWidget
    raise AttributeError(f"module 'asyncviz.widgets' has no attribute {name!r}")
