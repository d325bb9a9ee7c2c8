"""The house rules of DESIGN.md, checked by importing each module in a fresh interpreter."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import asyncviz

MODULES = sorted(m.name for m in pkgutil.walk_packages(asyncviz.__path__, "asyncviz."))


def imported_by(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out))


def top(names) -> set[str]:
    return {n.split(".")[0] for n in names}


FORBIDDEN_ANYWHERE_BUT = {
    # anywidget needs ipywidgets, which needs IPython: the widgets get it through them
    "IPython": ("asyncviz.magic", "asyncviz.widgets"),
    "anywidget": ("asyncviz.widgets",),
    "ipywidgets": ("asyncviz.widgets",),
    "matplotlib": ("asyncviz.render",),
    "graphviz": ("asyncviz.render",),
}


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_follow_the_rules(module):
    loaded = imported_by(module)
    ours = {m for m in loaded if m.startswith("asyncviz.")}
    for package, owners in FORBIDDEN_ANYWHERE_BUT.items():
        if not module.startswith(owners):
            assert package not in top(loaded), f"{module} imports {package}"
    if module.startswith("asyncviz.recording"):
        assert not {
            m
            for m in ours
            if m.startswith(
                ("asyncviz.analysis", "asyncviz.render", "asyncviz.widgets", "asyncviz.magic")
            )
        }
    if module.startswith("asyncviz.magic"):  # views and images load when a cell shows one
        assert not {m for m in ours if m.startswith(("asyncviz.render", "asyncviz.widgets"))}
    if module.startswith("asyncviz.analysis"):
        # data flows one way: record -> trace -> analysis -> render -> widgets
        assert not {
            m
            for m in ours
            if m.startswith(
                ("asyncviz.recording", "asyncviz.render", "asyncviz.widgets", "asyncviz.magic")
            )
        }, ours
    if module.startswith("asyncviz.render"):
        assert not {
            m
            for m in ours
            if m.startswith(("asyncviz.recording", "asyncviz.widgets", "asyncviz.magic"))
        }, ours
    if module in ("asyncviz.events", "asyncviz.trace", "asyncviz.text"):
        third_party = {
            m
            for m in top(loaded) - set(sys.stdlib_module_names) - {"asyncviz"}
            if not m.startswith("_")
        }
        assert not third_party, third_party


def test_import_is_cheap():
    loaded = imported_by("asyncviz")
    assert not top(loaded) & {
        "IPython",
        "anywidget",
        "ipywidgets",
        "matplotlib",
        "graphviz",
        "asyncio",
    }, loaded
    assert not {m for m in loaded if m.startswith("asyncviz.recording")}


def test_public_names():
    assert callable(asyncviz.trace) and not isinstance(asyncviz.trace, type(asyncviz))
    assert issubclass(asyncviz.TraceError, RuntimeError)
