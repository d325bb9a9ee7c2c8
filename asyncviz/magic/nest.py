"""``asyncio.run()`` in a cell: the kernel's loop is already running, and asyncio refuses
to start another in its thread.  nest_asyncio2 lets the running loop be entered again;
it swaps in the pure-Python Task and Future for the whole kernel, so it is applied only
when a traced cell calls ``asyncio.run()`` or ``run_until_complete()`` itself, and said.
``--thread`` avoids it (a fresh loop in a worker thread).
"""

from __future__ import annotations

NEST_NOTE = (
    "asyncviz: enabled nest_asyncio2 so asyncio.run() works inside the kernel's "
    "running loop (use --thread to avoid patching)"
)


class Nesting:
    """The loops this extension let be nested: each is patched and said once."""

    def __init__(self):
        self.loops: set[int] = set()

    def apply(self) -> None:
        from asyncio import events

        loop = events._get_running_loop()
        if loop is None or id(loop) in self.loops:
            return  # no running loop: asyncio.run() works as it is
        self.loops.add(id(loop))
        if getattr(loop, "_nest_patched", False):
            return  # the user applied nest_asyncio(2) already
        import nest_asyncio2

        nest_asyncio2.apply(loop)
        print(NEST_NOTE)
