"""Run a workshop notebook the way the main job does and hand its tests the traces it binds.

Each notebook is executed once per test session by scripts/run_workshop.py's own `run_one`
(a fresh ipykernel of this interpreter, nbclient, ASYNCVIZ_EXPORT_DIR set), so the tests
check what the main job produces. Every traced cell runs with ``--out NAME`` and leaves
``NAME.avz``: the facts a notebook teaches are checked on those traces, loaded back, never
on the notebook's text or printed output.
"""

from __future__ import annotations

import importlib.util
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat

import asyncviz

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"


def _runner():
    spec = importlib.util.spec_from_file_location("run_workshop", REPO / "scripts/run_workshop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Executed:
    path: Path
    ok: bool
    message: str
    out_dir: Path
    notebook: nbformat.NotebookNode

    def trace(self, name: str):
        """The trace the cell with ``--out name`` bound, as the notebook saved it."""
        path = self.out_dir / f"{name}.avz"
        assert path.is_file(), f"{self.path.name}: no traced cell wrote {path.name}"
        return asyncviz.load(path)

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.out_dir.glob("*.avz"))


@cache
def execute(stem: str) -> Executed:
    """Execute notebooks/<stem>.ipynb (once per session) and return what it produced; a
    notebook that raises anywhere fails every test of it with the failing cell's error."""
    runner = _runner()
    root = Path(tempfile.mkdtemp(prefix=f"workshop-{stem}-"))
    ipython_dir = tempfile.mkdtemp(prefix="ipython-")
    ok, message, _files = runner.run_one(NOTEBOOKS / f"{stem}.ipynb", root, 120, ipython_dir)
    out_dir = root / stem
    return Executed(
        NOTEBOOKS / f"{stem}.ipynb",
        ok,
        message,
        out_dir,
        nbformat.read(out_dir / f"{stem}.ipynb", as_version=4),
    )


def executed(stem: str) -> Executed:
    run = execute(stem)
    assert run.ok, f"{stem}.ipynb failed: {run.message}"
    return run
