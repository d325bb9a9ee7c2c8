"""The functions a trace ran — what a suspension-point machine describes — and which of
them a view opens on: the user's function with the most events, never a comprehension
(`<genexpr>`) or library code when the user's own code ran.  A pure function of a Trace.
"""

from __future__ import annotations

import os
import re
import sysconfig
from collections import Counter
from dataclasses import dataclass

from ..trace import Trace, record_columns

MACHINE_OBJECTS = ("generator", "coroutine", "async_generator")


@dataclass(frozen=True)
class Function:
    """The code a set of objects ran: what a suspension-point machine describes."""

    name: str
    filename: str | None
    firstlineno: int | None
    kind: str

    @property
    def key(self) -> str:
        return f"{self.name} ({self.kind}, line {self.firstlineno})"


def function_of(trace: Trace, obj: int) -> Function:
    o = trace.objects[obj]
    return Function(o.name, o.filename, o.firstlineno, o.kind)


def functions(trace: Trace) -> list[Function]:
    """Functions whose objects ran in the trace, in order of first appearance (an object
    with no events did not run: the cell of %%asynctrace when it never awaited)."""
    ran = set(record_columns(trace.buffer)[1])
    seen: dict[Function, None] = {}
    for o in trace.objects:
        if o.kind in MACHINE_OBJECTS and o.id in ran:
            seen.setdefault(Function(o.name, o.filename, o.firstlineno, o.kind))
    return list(seen)


# A comprehension is a generator (a function) of its own, but not one the user wrote as one
COMPREHENSIONS = frozenset({"<genexpr>", "<listcomp>", "<setcomp>", "<dictcomp>"})
# Library code on any machine (a trace may come from another one): the standard library
# under lib/python3.N, installed packages, frozen modules
_LIBRARY = re.compile(r"[\\/](?:lib[\\/]python3\.\d+|site-packages|dist-packages)[\\/]", re.I)


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if paths.get(k)}
    roots.add(os.path.dirname(os.__file__))
    return tuple(sorted(os.path.realpath(r) + os.sep for r in roots))


_ROOTS = _library_roots()


def library_file(filename: str | None) -> bool:
    """Is this file the standard library's or an installed package's (not the user's)?
    A cell ("<ipython-input-…>", "<string>") is the user's; an unknown file is not."""
    if not filename or filename.startswith("<frozen"):
        return True
    if filename.startswith("<"):
        return False
    real = os.path.realpath(filename) if os.path.isabs(filename) else filename
    return real.startswith(_ROOTS) or _LIBRARY.search(filename) is not None


def comprehension(function: Function) -> bool:
    return function.name.rsplit(".", 1)[-1] in COMPREHENSIONS


def user_function(function: Function) -> bool:
    """A function the user wrote: not a comprehension, not library code (asyncio's own
    coroutines get into a trace when a task of theirs is adopted)."""
    return not comprehension(function) and not library_file(function.filename)


def default_function(trace: Trace) -> Function | None:
    """The function a view opens on: the user's function with the most events (ties: the
    first to appear).  Failing that, in this order: the cell's own code (its awaits), a
    comprehension or other code of the user's files, library code.  None when no
    generator, coroutine or async generator ran.  For `gather(*(f(x) for x in xs))` that
    is `f`, not the `<genexpr>`."""
    grouped = by_function(trace)
    if not grouped:
        return None
    per_object = Counter(record_columns(trace.buffer)[1])
    objects = trace.objects

    def rank(f: Function) -> tuple:
        ids = grouped[f]
        # the cell's own code (labelled "cell") is where the user's functions run
        cell = all(objects[o].label == "cell" for o in ids)
        return (
            user_function(f) and not cell,
            not library_file(f.filename),
            not comprehension(f),
            sum(per_object[o] for o in ids),
        )

    return max(grouped, key=rank)  # max keeps the first of equals


def by_function(trace: Trace) -> dict[Function, list[int]]:
    """Each function's objects (ids), the functions in order of first appearance."""
    out: dict[Function, list[int]] = {f: [] for f in functions(trace)}
    for o in trace.objects:
        if o.kind in MACHINE_OBJECTS:
            objects = out.get(function_of(trace, o.id))
            if objects is not None:  # (None: its function never ran)
                objects.append(o.id)
    return out
