"""sys.monitoring tool ids: take a free one, never one someone holds."""

from __future__ import annotations

import sys

from .backend import BackendUnavailable

NAME = "asyncviz"
# Ids 0, 1 and 5 are promised to debuggers, coverage and optimizers; 2 is the profilers'.
CANDIDATES = (2, 4, 3)


def claim_tool_id() -> tuple[int, str]:
    """A tool id for asyncviz, and a note when it is not the usual one."""
    mon = sys.monitoring
    held = {}
    for tool in CANDIDATES:
        owner = mon.get_tool(tool)
        if owner is None:
            mon.use_tool_id(tool, NAME)
            note = ""
            if tool != CANDIDATES[0]:
                note = (
                    f"sys.monitoring tool id {CANDIDATES[0]} is held by "
                    f"{held[CANDIDATES[0]]!r}; asyncviz used id {tool}"
                )
            return tool, note
        held[tool] = owner
    owners = ", ".join(f"{t}: {o!r}" for t, o in held.items())
    raise BackendUnavailable(
        f"every sys.monitoring tool id asyncviz may use is taken ({owners}); "
        "stop the profiler or tracer holding them, then trace again"
    )


def release_tool_id(tool: int) -> None:
    if sys.monitoring.get_tool(tool) == NAME:
        sys.monitoring.free_tool_id(tool)
