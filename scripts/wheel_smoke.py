"""Smoke test of an installed wheel (cibuildwheel's test-command; see pyproject.toml).

Run from outside the source tree: the C extension must have been compiled into the wheel,
import, and a tiny trace must record.
"""

import sys

import asyncviz
import asyncviz.recording._native as native

# insist on the compiled module, not something else of that name
assert getattr(native, "__file__", None), f"not the compiled module: {native!r}"
assert native.ABI >= 1, native.ABI


def countdown(n):
    while n > 0:
        yield n
        n -= 1


with asyncviz.trace() as t:
    assert list(countdown(3)) == [3, 2, 1]

kinds = [e.kind for e in t.events]
assert "start" in kinds and kinds.count("yield") == 3 and kinds[-1] == "return", kinds
print(
    f"ok: {native.__file__} (ABI {native.ABI}), {len(kinds)} events on "
    f"Python {sys.version.split()[0]}"
)
