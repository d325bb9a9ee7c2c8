"""The notebooks the kernel tests read, each run once per test session in one fresh
kernel, whichever test modules ask for them (a kernel is the expensive part).

`main_nb` runs notebooks.MAIN with ASYNCVIZ_EXPORT_DIR set; `interrupts_nb` runs
notebooks.INTERRUPTS and sends real SIGINTs (each after its cell has printed that it is
looping; a missed interrupt times out in 20 s).
"""

from __future__ import annotations

import pytest

from .notebooks import INTERRUPTS, MAIN
from .running import run_notebook


def _need_nbclient():
    pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")


@pytest.fixture(scope="session")
def main_nb(tmp_path_factory):
    _need_nbclient()
    work = tmp_path_factory.mktemp("kernel-main")
    export = work / "export"
    ran = run_notebook(MAIN, work, env={"ASYNCVIZ_EXPORT_DIR": str(export)})
    ran.workdir, ran.export = work, export
    print(f"\nmain notebook: {len(MAIN)} cells in {ran.seconds:.1f} s")
    return ran


@pytest.fixture(scope="session")
def interrupts_nb(tmp_path_factory):
    _need_nbclient()
    work = tmp_path_factory.mktemp("kernel-interrupts")
    ran = run_notebook(
        INTERRUPTS,
        work,
        timeout=20,
        interrupt={
            "await_loop": "spinning",
            "sync_loop": "ticking",
            "thread_loop": "thread spinning",
        },
    )
    print(f"\ninterrupts notebook: {len(INTERRUPTS)} cells in {ran.seconds:.1f} s")
    return ran
