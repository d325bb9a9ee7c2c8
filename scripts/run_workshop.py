"""Run every workshop notebook headless and collect what it produces.

    python scripts/run_workshop.py [--out DIR] [--timeout SECONDS] [--jobs N] [NOTEBOOK...]

Runs each notebooks/*.ipynb (or only the NOTEBOOKs named: a path, a file name or a stem
such as 03_delegation), top to bottom with nbclient in a fresh ipykernel of *this*
interpreter (sys.executable; no installed kernel spec is consulted), N at a time (default
2). A notebook whose metadata says {"asyncviz": {"run_alone": true}} (one that measures
durations or uses every CPU) runs afterwards, with no other beside it.

For notebook NAME the kernel gets ASYNCVIZ_EXPORT_DIR=<out>/NAME (where %%asynctrace writes
each traced cell's exports, named after its --out); <out>/NAME is emptied first, and the
executed notebook is written to <out>/NAME/NAME.ipynb and its self-contained HTML handout
to <out>/NAME/NAME.html (scripts/handout.py), also when it fails. At the end every file
produced is listed, one path per line, with a one-line summary. Exit status 1 if any
notebook failed (each failure is reported with the notebook and the failing cell's error),
2 if there was nothing to run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from traitlets import default

REPO = Path(__file__).resolve().parent.parent
KERNEL_NAME = "python3"


def _load_handout():
    """scripts/handout.py, by path: this file is run as a script and loaded by path by the
    tests (tests/workshop/harness.py), never imported from a package."""
    spec = importlib.util.spec_from_file_location(
        "asyncviz_workshop_handout", Path(__file__).with_name("handout.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


handout = _load_handout()


class ThisPythonKernelSpecs(KernelSpecManager):
    """'python3' is always ipykernel's own spec for sys.executable, so the kernel runs in
    this venv whatever kernel specs are installed in the user's or system's Jupyter dirs."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name == KERNEL_NAME:
            from ipykernel.kernelspec import RESOURCES, get_kernel_dict

            return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())
        return super().get_kernel_spec(kernel_name)


class ThisPythonKernelManager(AsyncKernelManager):
    """Kernel manager using ThisPythonKernelSpecs. Given to nbclient as a class (not an
    instance) so that nbclient owns it and shuts each kernel down after its notebook."""

    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        return ThisPythonKernelSpecs(data_dir=self.data_dir)


def display_path(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def failing_cell(nb) -> str:
    """'ename: evalue' of the first error output in the notebook, or ''."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename')}: {out.get('evalue')}"
    return ""


def run_one(
    path: Path, out_root: Path, timeout: int, ipython_dir: str
) -> tuple[bool, str, list[Path]]:
    stem = path.stem
    out_dir = (out_root / stem).resolve()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ)
    env["ASYNCVIZ_EXPORT_DIR"] = str(out_dir)
    env["IPYTHONDIR"] = ipython_dir  # no user profile / startup files leak in
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONSTARTUP", None)

    client = NotebookClient(
        nb,
        kernel_manager_class=ThisPythonKernelManager,
        kernel_name=KERNEL_NAME,
        timeout=timeout,
        allow_errors=False,
        record_timing=True,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    current = [0]  # index (1-based) of the cell being run, for the error message

    def on_cell_start(cell, cell_index, **_):
        current[0] = cell_index + 1

    client.on_cell_start = on_cell_start
    ok, msg = True, ""
    t0 = time.perf_counter()
    try:
        client.execute(env=env)
    except CellTimeoutError:
        ok, msg = False, f"cell {current[0]} timed out after {timeout} s"
    except DeadKernelError as e:
        ok, msg = False, f"kernel died in cell {current[0]}: {e}"
    except CellExecutionError as e:
        ok = False
        err = failing_cell(nb) or f"{e.ename}: {e.evalue}"
        msg = f"cell {current[0]} raised {err}\n" + re.sub(r"\x1b\[[0-9;]*m", "", str(e))
    except Exception as e:  # noqa: BLE001 - report anything else the same way
        ok, msg = False, f"cell {current[0]}: {type(e).__name__}: {e}"
    elapsed = time.perf_counter() - t0

    nbformat.write(nb, out_dir / f"{stem}.ipynb")
    try:
        handout.write_handout(
            nb, out_dir / f"{stem}.html", notebook_dir=path.parent.resolve(), export_dir=out_dir
        )
    except Exception as e:  # noqa: BLE001 - a notebook without its handout has failed
        problem = f"handout not written: {type(e).__name__}: {e}"
        ok, msg = False, f"{msg}\n{problem}" if msg else problem
    files = sorted(p for p in out_dir.rglob("*") if p.is_file())
    status = "ok" if ok else "FAILED"
    print(f"[{status}] {path.name} ({elapsed:.1f} s, {len(files)} files)", flush=True)
    return ok, msg, files


def runs_alone(path: Path) -> bool:
    """Does the notebook ask to run with no other notebook beside it (metadata
    {"asyncviz": {"run_alone": true}}: it measures durations or uses every CPU)?"""
    try:
        meta = nbformat.read(path, as_version=4).metadata.get("asyncviz", {})
    except Exception:  # noqa: BLE001 - run_one reports an unreadable notebook
        return False
    return bool(isinstance(meta, dict) and meta.get("run_alone"))


def select(nb_dir: Path, names: list[str]) -> tuple[list[Path], list[str]]:
    """The notebooks to run: every nb_dir/*.ipynb, or those `names` pick (a path, a file
    name or a stem in nb_dir), in name order; and the names that match nothing."""
    if not names:
        return sorted(nb_dir.glob("*.ipynb")), []
    chosen, unknown = set(), []
    for name in names:
        candidates = [Path(name), nb_dir / name, nb_dir / f"{name}.ipynb"]
        found = next((c for c in candidates if c.suffix == ".ipynb" and c.is_file()), None)
        if found is None:
            unknown.append(name)
        else:
            chosen.add(found.resolve())
    return sorted(chosen, key=lambda p: p.name), unknown


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run the workshop notebooks headless.")
    ap.add_argument(
        "names",
        nargs="*",
        metavar="NOTEBOOK",
        help="run only these (a path, a file name or a stem such as 03_delegation)",
    )
    ap.add_argument("--out", default=str(REPO / "out"), help="output folder (default: out/)")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per cell (default: 120)")
    ap.add_argument(
        "--jobs", type=int, default=2, help="notebooks run at the same time (default: 2)"
    )
    ap.add_argument("--notebooks", default=str(REPO / "notebooks"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    nb_dir, out_root = Path(args.notebooks), Path(args.out)
    notebooks, unknown = select(nb_dir, args.names)
    for name in unknown:
        print(
            f"workshop: no notebook {name!r} in {display_path(nb_dir.resolve())}", file=sys.stderr
        )
    if unknown:
        return 2
    if not notebooks:
        print(f"workshop: no notebooks found in {display_path(nb_dir.resolve())}", file=sys.stderr)
        return 2
    jobs = max(1, min(args.jobs, len(notebooks)))
    print(
        f"workshop: {len(notebooks)} notebooks, {jobs} at a time, kernel {sys.executable}",
        flush=True,
    )

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="asyncviz-ipython-") as ipython_root:

        def run(path: Path):
            ipython_dir = Path(ipython_root) / path.stem  # kernels share no history database
            ipython_dir.mkdir()
            return run_one(path, out_root, args.timeout, str(ipython_dir))

        alone = [p for p in notebooks if runs_alone(p)]
        done: dict[Path, tuple[bool, str, list[Path]]] = {}
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            shared = [p for p in notebooks if p not in alone]
            done.update(zip(shared, pool.map(run, shared)))
        for path in alone:  # timing demonstrations: no other kernel competes for the CPUs
            done[path] = run(path)
        results = [done[p] for p in notebooks]  # listed in name order, whatever ended first
    elapsed = time.perf_counter() - t0

    produced = [f for _ok, _msg, files in results for f in files]
    failures = [(p.name, msg) for p, (ok, msg, _) in zip(notebooks, results) if not ok]
    print()
    for p in produced:
        print(display_path(p))
    for name, msg in failures:
        print(f"\nFAILED {name}: {msg}", file=sys.stderr)
    print(
        f"\nworkshop: {len(notebooks) - len(failures)} passed, {len(failures)} failed"
        f" in {elapsed:.0f} s; {len(produced)} files under {display_path(out_root.resolve())}/"
        f" (handouts: <notebook>/<notebook>.html)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
