"""Run small programs under a trace and describe the record compactly for comparison.

Programs are source strings: they are compiled through the cell rewrite, as a notebook
cell would be, so sent values and creations are recorded the way users see them.
"""

from __future__ import annotations

import asyncio
import itertools
import textwrap

import asyncviz
from asyncviz.recording.rewrite import exec_rewritten

_counter = itertools.count()


def load(source: str) -> dict:
    ns: dict = {"__name__": "__avz_test__"}
    exec_rewritten(textwrap.dedent(source), ns, filename=f"<program-{next(_counter)}>")
    return ns


def loop_is_clean(loop) -> None:
    assert "create_task" not in vars(loop), "create_task watcher left on the loop"
    selector = getattr(loop, "_selector", None)
    assert selector is None or "select" not in vars(selector), "select() wrapper left"
    assert loop.get_task_factory() is None, "a task factory was left installed"


def record(source: str, call: str = "main", *, backend=None, **options):
    """Trace ns[call]() (awaited on a fresh loop if it is a coroutine function)."""
    options.setdefault("exclude", [__file__])  # not the harness's own runner coroutine
    ns = load(source)
    fn = ns[call]
    if asyncio.iscoroutinefunction(fn):

        async def runner():
            async with asyncviz.trace(backend=backend, label="root", **options) as t:
                ns["result"] = await fn()
            return t

        loop = asyncio.new_event_loop()
        try:
            trace = loop.run_until_complete(runner())
            loop_is_clean(loop)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
    else:
        with asyncviz.trace(backend=backend, **options) as trace:
            ns["result"] = fn()
    return trace, ns


def shown_labels(trace) -> dict[int, str]:
    """Each object's label; a task that shares its coroutine's label (a task the program did
    not name) reads `label (task)`, so that the two can be told apart in a test."""
    count: dict[str, int] = {}
    for o in trace.objects:
        count[o.label] = count.get(o.label, 0) + 1
    return {
        o.id: f"{o.label} (task)" if o.kind == "task" and count[o.label] > 1 else o.label
        for o in trace.objects
    }


def normal(trace) -> list[str]:
    """Events as 'kind|label|value|target' strings, trailing empty fields dropped."""
    labels = shown_labels(trace)
    out = []
    for e in trace.events:
        fields = [
            e.kind,
            labels[e.obj],
            "" if e.value is None else e.value,
            "" if e.target is None else labels[e.target],
        ]
        while fields and fields[-1] == "":
            fields.pop()
        out.append("|".join(fields))
    return out


def states(trace) -> dict[str, str]:
    labels = shown_labels(trace)
    return {labels[o.id]: o.state for o in trace.objects}


def normal_tasks(trace) -> tuple[list[str], dict[str, str]]:
    """normal(), with asyncio's numbered task names (Task-7) renumbered by appearance."""
    import re

    names: dict[str, str] = {}

    def rename(match):
        return names.setdefault(match.group(0), f"Task@{len(names) + 1}")

    return [re.sub(r"Task-\d+", rename, line) for line in normal(trace)], names


def rename_tasks(text: str, names: dict[str, str]) -> str:
    """`text` with the task names normal_tasks() renumbered (also inside a wait's label:
    `gather(Task-7, Task-8)`)."""
    import re

    return re.sub(r"Task-\d+", lambda m: names.get(m.group(0), m.group(0)), text)
