"""What the Python core keeps for the asyncio watch (tasks.py), as the C core does in
csrc/tasks.c: the create_task calls running, and each task's name as last read — when
its coroutine ended it (the task may not outlive the trace), or by the registry.  The C
core also makes the common task by itself; the Python core never does, so `tell()` has
nothing to tell."""

from __future__ import annotations


class TaskCalls:
    calls: list[tuple]  # (coro, task oid), innermost last
    names: dict[int, str]

    def creating(self, coro, oid: int) -> None:
        """A create_task call for `coro` runs; `oid` is its task's id (-1: none)."""
        self.calls.append((coro, oid))

    def created(self) -> tuple | None:
        """The innermost create_task call returned: its (coro, oid), or None."""
        return self.calls.pop() if self.calls else None

    def starting(self, gen) -> int:
        """The task whose create_task call was given `gen` and runs now, or -1."""
        for coro, oid in reversed(self.calls):
            if coro is gen:
                return oid
        return -1

    def tell(self, objects, labels, traced, kinds, states) -> None:
        """The objects made by the core alone: none in the Python core."""
        return None

    def last_name(self, oid: int) -> str | None:
        return self.names.get(oid)

    def named(self, oid: int, name: str) -> None:
        self.names[oid] = name

    def read_end_name(self, oid: int, ref) -> None:
        task = ref() if ref is not None else None
        if task is not None:
            try:
                self.names[oid] = str(task.get_name())
            except Exception:
                pass
