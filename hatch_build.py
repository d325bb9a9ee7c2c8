"""Hatch build hook: bundle the front-end (js/) into asyncviz/static/ with esbuild, and
compile the C extension asyncviz.recording._native.

Three bundles: timeline.js and states.js (the two widgets' ESM) and states-layout.js
(Graphviz compiled to WebAssembly, which the states widget loads when `dot` is missing).

Runs for every build target (wheel, sdist, editable).  In a git checkout it always
rebuilds: `npm ci` when js/node_modules is missing, then `npm run build`.  From an
unpacked sdist (it has PKG-INFO and ships the built bundles) it uses them as they are,
so `pip install jupyter-asyncviz-*.tar.gz` needs neither Node.js nor the network.
ASYNCVIZ_BUILD_JS=1 forces a rebuild, ASYNCVIZ_BUILD_JS=0 skips it when the bundles exist.

The C extension (every asyncviz/recording/csrc/*.c) is built as
asyncviz/recording/nativebuild.py defines it, loaded here by file path:
- wheel: compiled in a temporary directory and put into the wheel, which is then
  platform-specific;
- editable install: compiled in place, next to the sources (gitignored);
- sdist: not compiled; the sdist ships the C sources and installing it compiles them.
Without a working compiler the build still succeeds, with a warning, and asyncviz uses
its pure-Python recorder; ASYNCVIZ_REQUIRE_NATIVE=1 makes that a build failure instead.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

STATIC = Path("asyncviz") / "static"
BUNDLES = tuple(STATIC / name for name in ("timeline.js", "states.js", "states-layout.js"))
NODE_MIN = 18
NATIVEBUILD = Path("asyncviz") / "recording" / "nativebuild.py"


class AsyncvizFrontendError(RuntimeError):
    pass


class CustomBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        self._frontend()
        if self.target_name == "wheel":
            self._native(version, build_data)

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        self._drop_native_tmp()

    def _drop_native_tmp(self) -> None:
        tmp = getattr(self, "_native_tmp", None)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
            self._native_tmp = None

    def _native(self, version: str, build_data: dict) -> None:
        root = Path(self.root)
        nb = _load_nativebuild(root / NATIVEBUILD)
        editable = version == "editable"
        where = "in place" if editable else "for the wheel"
        self.app.display_info(f"asyncviz: compiling the C extension {nb.MODULE} {where}")
        self._native_tmp = tempfile.mkdtemp(prefix="asyncviz-native-")
        try:
            # verbose: the compiler's commands and warnings show in `pip install -v`
            built = nb.build(Path(self._native_tmp), inplace=editable, verbose=True, root=root)
        except nb.NativeBuildError as exc:
            self._drop_native_tmp()
            if nb.required():
                raise nb.NativeBuildError(
                    f"{exc}\n{nb.REQUIRE_ENV} is set: the build stops here rather than "
                    "produce a package without the extension"
                ) from None
            self.app.display_warning(
                f"{exc}\n"
                f"asyncviz: WARNING: going on WITHOUT the C extension {nb.MODULE}; the "
                "pure-Python recorder will be used (it records the same events, more "
                "slowly). Once a compiler is installed, reinstall (pip install "
                "--no-cache-dir --force-reinstall ..., so that pip does not reuse a wheel it "
                f"cached); set {nb.REQUIRE_ENV}=1 to make this failure stop the build."
            )
            return
        self.app.display_info(f"asyncviz: built {built}")
        if editable:  # the module is in place now; the wheel carries only the .pth
            self._drop_native_tmp()
            return
        # the temporary directory lives until finalize(): hatch copies the file from it
        build_data["force_include"][str(built)] = nb.wheel_path()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def _frontend(self) -> None:
        root = Path(self.root)
        js = root / "js"
        built = all((root / b).is_file() for b in BUNDLES)
        force = os.environ.get("ASYNCVIZ_BUILD_JS", "").strip().lower()
        from_sdist = (root / "PKG-INFO").is_file()

        if built and (
            force in ("0", "no", "false") or (from_sdist and force not in ("1", "yes", "true"))
        ):
            self.app.display_info(f"asyncviz: using the prebuilt front-end in {STATIC}")
            return
        if not (js / "package.json").is_file():
            if built:
                return
            raise AsyncvizFrontendError(
                f"asyncviz: neither the front-end bundles in {STATIC} nor their sources js/ "
                "are here"
            )

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
                    "may be stale)"
                )
                return
            raise AsyncvizFrontendError(
                f"asyncviz: building the front-end needs Node.js >= {NODE_MIN} "
                f"with npm ({problem}): install Node.js from https://nodejs.org or your "
                "package manager, or install a released wheel/sdist, which ships the bundles"
            )

        if not (js / "node_modules").is_dir():
            self._run([npm, "ci", "--no-audit", "--no-fund"], js)
        self._run([npm, "run", "build"], js)
        missing = [str(b) for b in BUNDLES if not (root / b).is_file()]
        if missing:
            raise AsyncvizFrontendError(
                f"asyncviz: `npm run build` did not produce {', '.join(missing)}"
            )

    def _run(self, cmd: list[str], cwd: Path) -> None:
        self.app.display_info(f"asyncviz: npm {' '.join(cmd[1:])} (in js/)")
        try:
            subprocess.run(cmd, cwd=cwd, check=True)
        except subprocess.CalledProcessError as exc:
            raise AsyncvizFrontendError(
                f"asyncviz: `{' '.join(cmd[1:])}` in js/ failed with exit code "
                f"{exc.returncode}; see its output above"
            ) from None


def _load_nativebuild(path: Path):
    """asyncviz/recording/nativebuild.py as a module, without importing asyncviz."""
    name = "_asyncviz_nativebuild"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _node_major() -> int | None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        return None
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.match(r"v?(\d+)", out.strip())
    return int(m.group(1)) if m else None
