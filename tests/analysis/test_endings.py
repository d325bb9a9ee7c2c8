"""analysis/endings.py: an implicit return is told from a written one."""

from __future__ import annotations

import pytest

from asyncviz.analysis.endings import implicit_return
from programs import record


@pytest.mark.parametrize(
    "value, source, implicit",
    [
        ("None", "    await q.put(None)", True),  # fell off the end after this line
        ("None", "    x = 2  # return later", True),  # a comment writes no return
        ("None", "    returned = compute()", True),  # a name, not the keyword
        ("None", "    self.return_value = 1", True),
        ("None", "    return", False),
        ("None", "    return None", False),
        ("None", "    if done: return", False),
        ("3", "    await q.put(None)", False),  # a value came back: a return was written
        (None, "    total += 1", True),  # values not recorded: the line still tells
        ("None", None, False),  # no source: not claimed
    ],
)
def test_implicit_return_from_value_and_line(value, source, implicit):
    assert implicit_return("return", value, source) is implicit


def test_only_returns_are_implicit():
    assert not implicit_return("raise", "None", "    x = 1")
    assert not implicit_return("yield", "None", "    x = 1")


def test_recorded_returns_written_and_fallen_off(each_backend):
    source = """
def falls_off():
    yield 1
    x = 2

def returns():
    yield 1
    return 5

def returns_none():
    yield 1
    return

def main():
    for f in (falls_off, returns, returns_none):
        list(f())
"""
    t, _ = record(source)
    lines = source.splitlines()
    said = {}
    for e in t.events:
        if e.kind == "return":
            name = t.objects[e.obj].name
            said[name] = implicit_return(e.kind, e.value, lines[e.line - 1])
    assert said == {"falls_off": True, "returns": False, "returns_none": False}
