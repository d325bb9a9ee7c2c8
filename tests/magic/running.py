"""Running cells in one fresh ipykernel with nbclient, and finding them again by name.

The kernel is this interpreter (sys.executable), as scripts/run_workshop.py does it,
whatever kernel specs are installed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import sys
import time
from pathlib import Path

from .outputs import stdout

REPO = Path(__file__).resolve().parents[2]


def _runner_module():
    spec = importlib.util.spec_from_file_location(
        "asyncviz_run_workshop", REPO / "scripts" / "run_workshop.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Ran:
    """An executed notebook: cells by case name, execute replies by case name."""

    def __init__(self, nb, replies, seconds):
        self.nb = nb
        self.replies = replies
        self.seconds = seconds
        self.cells = {}
        for i, cell in enumerate(nb.cells):
            name = cell.metadata.get("case") or _case_name(cell.source) or f"#{i}"
            assert name not in self.cells, f"two cells are named {name}"
            self.cells[name] = cell
            cell.metadata["index"] = i

    def cell(self, name):
        return self.cells[name]

    def reply(self, name):
        return self.replies.get(self.cells[name].metadata["index"], {}).get("content", {})


def _case_name(source: str) -> str | None:
    lines = source.splitlines()
    for line in lines[:2]:  # after a %%asynctrace line, or first
        m = re.match(r"#\s*case:\s*(\S+)", line)
        if m:
            return m.group(1)
    return None


def run_notebook(sources, workdir: Path, *, env=None, interrupt=None, timeout=60) -> Ran:
    """Run `sources` as cells in one fresh kernel.  A source is the cell's text (named by
    a `# case: NAME` line) or a (NAME, text) pair.  `interrupt`: {case name: text}: while
    that cell runs, once `text` has appeared in its stdout, wait 0.5 s and interrupt."""
    import nbclient
    import nbformat

    runner = _runner_module()
    nb = nbformat.v4.new_notebook()
    for source in sources:
        name, source = source if isinstance(source, tuple) else (None, source)
        cell = nbformat.v4.new_code_cell(source)
        if name:
            cell.metadata["case"] = name
        nb.cells.append(cell)
    replies = {}
    client = nbclient.NotebookClient(
        nb,
        kernel_manager_class=runner.ThisPythonKernelManager,
        kernel_name=runner.KERNEL_NAME,
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": str(workdir)}},
    )

    def on_cell_executed(cell, cell_index, execute_reply, **_):
        replies[cell_index] = execute_reply

    client.on_cell_executed = on_cell_executed
    kernel_env = dict(os.environ)
    kernel_env["IPYTHONDIR"] = str(workdir / ".ipython")
    kernel_env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + kernel_env.get("PATH", "")
    kernel_env.pop("PYTHONSTARTUP", None)
    kernel_env.pop("ASYNCVIZ_EXPORT_DIR", None)
    kernel_env.update(env or {})
    interrupt = interrupt or {}

    async def interrupter(cell, text):
        while text not in stdout(cell):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        await client.km.interrupt_kernel()

    async def go():
        async with client.async_setup_kernel(env=kernel_env):
            for i, cell in enumerate(nb.cells):
                name = cell.metadata.get("case") or _case_name(cell.source)
                task = None
                if name in interrupt:
                    task = asyncio.ensure_future(interrupter(cell, interrupt[name]))
                try:
                    await client.async_execute_cell(cell, i)
                finally:
                    if task is not None:
                        task.cancel()

    t0 = time.perf_counter()
    asyncio.run(go())
    return Ran(nb, replies, time.perf_counter() - t0)
