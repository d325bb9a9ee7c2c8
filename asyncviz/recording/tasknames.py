"""Who a task is in the views: the name the program gave it, or its coroutine's.

asyncio names every task it is not given a name for (`Task-87`), from one counter for the
whole process: the same cell reads `Task-15` once and `Task-22` the next time.  So a task
the program named keeps that name as its label (`worker`, then `worker#2`, ... for names
given to several tasks), and any other task is labelled after the coroutine it runs: the
task and its coroutine share the label (`fetch#3`) and read as one.  A task whose coroutine
is out of scope is labelled after that coroutine's qualified name, numbered like code in
scope.  The asyncio name stays in `Traced.name`.  Labels are given when the trace stops,
numbered within the trace: the same cell gives the same labels every run.

Given or automatic is told exactly for a task seen being made: the `name` argument of
`BaseEventLoop.create_task` and of `tasks._set_task_name` (3.11, 3.12: how
`asyncio.create_task` and `TaskGroup.create_task` pass it on), and a name at the end that
differs from the one right after creation (a later `set_name`).  A task adopted after it
was made (it ran, or was awaited or cancelled, before anyone saw it made) has no such
history: its name is taken as automatic when it has the shape asyncio gives (`Task-<n>`).
"""

from __future__ import annotations

import types

_AUTO_PREFIX = "Task-"


def looks_automatic(name: str) -> bool:
    """asyncio's own name for a task (`Task-<n>`): only for tasks not seen being made."""
    return name.startswith(_AUTO_PREFIX) and name[len(_AUTO_PREFIX) :].isdigit()


def coroutine_name(coro) -> str | None:
    """The qualified name of a coroutine (or generator-based one), read from its code: no
    attribute lookup that could run the program's code."""
    if isinstance(coro, types.CoroutineType):
        return coro.cr_code.co_qualname
    if isinstance(coro, types.GeneratorType):
        return coro.gi_code.co_qualname
    return None


class TaskNames:
    """What is known about each task's name, until labels are given at the end."""

    def __init__(self):
        self.given: set[int] = set()  # tasks the program named (exact)
        self.first: dict[int, str] = {}  # task -> its name right after it was made
        self.adopted: set[int] = set()  # tasks not seen being made
        self.coro_names: dict[int, str] = {}  # task -> qualname of an unrecorded coroutine
        self.fixed: dict[int, str] = {}  # task -> label given by the recorder's caller

    def created(self, oid: int, name_arg) -> None:
        """`create_task(..., name=name_arg)` made task `oid`."""
        if name_arg is not None:
            self.given.add(oid)

    def named(self, oid: int, name_arg) -> None:
        """`tasks._set_task_name(task, name_arg)` ran for task `oid`."""
        if name_arg is not None:
            self.given.add(oid)

    def first_name(self, oid: int, name: str) -> None:
        self.first.setdefault(oid, name)

    def is_given(self, oid: int, name: str) -> bool:
        if oid in self.given or name != self.first.get(oid, name):
            return True
        return oid in self.adopted and not looks_automatic(name)

    def label_all(self, tasks: list[int], objects, new_label) -> None:
        """Give every task its label; `new_label(qualname)` numbers a name like code's."""
        seen: dict[str, int] = {}
        for oid in tasks:
            traced = objects[oid]
            label = self.fixed.get(oid)
            if label is None:
                label = self._label_of(oid, traced, objects, new_label)
            seen[label] = seen.get(label, 0) + 1
            traced.label = label if seen[label] == 1 else f"{label}#{seen[label]}"

    def _label_of(self, oid: int, traced, objects, new_label) -> str:
        if self.is_given(oid, traced.name):
            return traced.name
        coro = traced.coro
        if coro is not None and objects[coro].label:
            return objects[coro].label
        qualname = self.coro_names.get(oid)
        return new_label(qualname) if qualname else traced.name
