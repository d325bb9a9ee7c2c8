"""Hatch build hook: bundle the front-end (js/) into asyncviz/static/ with esbuild.

Three bundles: timeline.js and states.js (the two widgets' ESM) and states-layout.js
(Graphviz compiled to WebAssembly, which the states widget loads when `dot` is missing).

Runs for every build target (wheel, sdist, editable).  In a git checkout it always
rebuilds: `npm ci` when js/node_modules is missing, then `npm run build`.  From an
unpacked sdist (it has PKG-INFO and ships the built bundles) it uses them as they are,
so `pip install jupyter-asyncviz-*.tar.gz` needs neither Node.js nor the network.
ASYNCVIZ_BUILD_JS=1 forces a rebuild, ASYNCVIZ_BUILD_JS=0 skips it when the bundles exist.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

STATIC = Path("asyncviz") / "static"
BUNDLES = tuple(STATIC / name for name in ("timeline.js", "states.js", "states-layout.js"))
NODE_MIN = 18


class AsyncvizFrontendError(RuntimeError):
    pass


class CustomBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        root = Path(self.root)
        js = root / "js"
        built = all((root / b).is_file() for b in BUNDLES)
        force = os.environ.get("ASYNCVIZ_BUILD_JS", "").strip().lower()
        from_sdist = (root / "PKG-INFO").is_file()

        if built and (force in ("0", "no", "false")
                      or (from_sdist and force not in ("1", "yes", "true"))):
            self.app.display_info(f"asyncviz: using the prebuilt front-end in {STATIC}")
            return
        if not (js / "package.json").is_file():
            if built:
                return
            raise AsyncvizFrontendError(
                f"asyncviz: neither the front-end bundles in {STATIC} nor their sources js/ "
                "are here")

        npm = shutil.which("npm")
        problem = None
        if npm is None:
            problem = "npm was not found"
        else:
            major = _node_major()
            if major is None:
                problem = "node was not found"
            elif major < NODE_MIN:
                problem = f"node is version {major}"
        if problem:
            if built:
                self.app.display_warning(
                    f"asyncviz: {problem}; keeping the existing bundles in {STATIC} (they "
                    "may be stale)")
                return
            raise AsyncvizFrontendError(
                f"asyncviz: building the front-end needs Node.js >= {NODE_MIN} "
                f"with npm ({problem}): install Node.js from https://nodejs.org or your "
                "package manager, or install a released wheel/sdist, which ships the bundles")

        if not (js / "node_modules").is_dir():
            self._run([npm, "ci", "--no-audit", "--no-fund"], js)
        self._run([npm, "run", "build"], js)
        missing = [str(b) for b in BUNDLES if not (root / b).is_file()]
        if missing:
            raise AsyncvizFrontendError(
                f"asyncviz: `npm run build` did not produce {', '.join(missing)}")

    def _run(self, cmd: list[str], cwd: Path) -> None:
        self.app.display_info(f"asyncviz: npm {' '.join(cmd[1:])} (in js/)")
        try:
            subprocess.run(cmd, cwd=cwd, check=True)
        except subprocess.CalledProcessError as exc:
            raise AsyncvizFrontendError(
                f"asyncviz: `{' '.join(cmd[1:])}` in js/ failed with exit code "
                f"{exc.returncode}; see its output above") from None


def _node_major() -> int | None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        return None
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.match(r"v?(\d+)", out.strip())
    return int(m.group(1)) if m else None
