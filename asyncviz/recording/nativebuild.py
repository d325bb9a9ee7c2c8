"""How the C extension `asyncviz.recording._native` is built: the one definition.

Used by hatch_build.py (loaded there by file path, without importing asyncviz) for
wheels and editable installs, and by the runtime loader (`from . import nativebuild`) to
tell whether an in-place build is out of date.  Standard library only at import time;
setuptools is needed by build() alone, and only in the child process it runs.

The extension is every `*.c` in asyncviz/recording/csrc/ (headers `*.h` next to them),
compiled with setuptools' build_ext into one module `asyncviz.recording._native`.  An
in-place build puts it next to the package's sources, at
asyncviz/recording/_native<EXT_SUFFIX>.  `root` everywhere is the project root: the
directory that holds the `asyncviz/` package (default: the one this file is in).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

MODULE = "asyncviz.recording._native"
PACKAGE = Path("asyncviz") / "recording"
SOURCE_DIR = PACKAGE / "csrc"
# when set to 1/yes/true, a failed build fails the package build (wheel pipelines)
REQUIRE_ENV = "ASYNCVIZ_REQUIRE_NATIVE"

# gcc and clang (and compilers that mimic them); MSVC gets setuptools' defaults (/Ox /W3)
UNIX_FLAGS = ["-O2", "-std=c11", "-Wall", "-fvisibility=hidden"]

_OUTPUT_LINES = 80  # lines of compiler output kept in a NativeBuildError


class NativeBuildError(RuntimeError):
    """Compiling asyncviz.recording._native failed; the message says why and what to do."""


def project_root() -> Path:
    """The directory that holds the asyncviz package this file belongs to."""
    return Path(__file__).resolve().parents[2]


def _root(root) -> Path:
    return Path(root) if root is not None else project_root()


def ext_suffix() -> str:
    """This interpreter's extension-module suffix, e.g. `.cpython-312-x86_64-linux-gnu.so`."""
    return sysconfig.get_config_var("EXT_SUFFIX")


def wheel_path() -> str:
    """Where the module goes inside a wheel (a POSIX path)."""
    return (PACKAGE / ("_native" + ext_suffix())).as_posix()


def inplace_path(root: Path | None = None) -> Path:
    """Where an in-place build puts the module (whether or not it is there)."""
    return _root(root) / PACKAGE / ("_native" + ext_suffix())


def sources(root: Path | None = None) -> list[Path]:
    """The C sources of the extension, sorted; empty where they are not shipped (wheels)."""
    return sorted((_root(root) / SOURCE_DIR).glob("*.c"))


def headers(root: Path | None = None) -> list[Path]:
    """The headers next to the sources, sorted."""
    return sorted((_root(root) / SOURCE_DIR).glob("*.h"))


def built_path(root: Path | None = None) -> Path | None:
    """The in-place built module for this interpreter, if there is one."""
    path = inplace_path(root)
    return path if path.is_file() else None


def stale(root: Path | None = None) -> bool:
    """True when the in-place module is missing or older than any source or header:
    what an editable install checks to notice edited C sources."""
    path = built_path(root)
    if path is None:
        return True
    built = path.stat().st_mtime_ns
    return any(p.stat().st_mtime_ns > built for p in sources(root) + headers(root))


def required() -> bool:
    """Does the environment (ASYNCVIZ_REQUIRE_NATIVE) make a failed build an error?"""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in ("1", "yes", "true", "on")


def build(
    build_dir: Path, inplace: bool, verbose: bool = False, *, root: Path | None = None
) -> Path:
    """Compile the extension with setuptools' build_ext; return the built file.

    Objects and the linked module go under `build_dir` (temp/ and lib/).  With `inplace`
    the module is then moved next to the sources (see inplace_path) by an atomic rename,
    so a process that has the old module loaded keeps working.  The compiler runs in a
    child interpreter (this one, sys.executable) whose output is captured: it goes into
    the NativeBuildError on failure and is printed when `verbose`.
    """
    root = _root(root).resolve()
    build_dir = Path(build_dir).resolve()
    srcs = sources(root)
    if not srcs:
        raise NativeBuildError(
            f"asyncviz: no C sources (*.c) in {root / SOURCE_DIR}; the native recorder "
            "cannot be built here (the pure-Python recorder works without it)"
        )
    build_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "sources": [str(p) for p in srcs],
        "headers": [str(p) for p in headers(root)],
        "include_dirs": [str(root / SOURCE_DIR)],
        "build_temp": str(build_dir / "temp"),
        "build_lib": str(build_dir / "lib"),
        "verbose": verbose,
    }
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(Path(__file__).resolve()), json.dumps(spec)],
            cwd=build_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise NativeBuildError(
            f"asyncviz: could not run {sys.executable} to compile {MODULE}: {exc}"
        ) from None
    output = proc.stdout or ""
    built = None
    for line in output.splitlines():
        if line.startswith(_MARK):
            built = Path(line[len(_MARK) :].strip())
    if verbose and output:
        print(output, end="" if output.endswith("\n") else "\n", flush=True)
    if proc.returncode != 0 or built is None or not built.is_file():
        lines = output.rstrip().splitlines()
        if len(lines) > _OUTPUT_LINES:  # the first errors and how it ended
            lines = lines[: _OUTPUT_LINES // 2] + ["[...]"] + lines[-_OUTPUT_LINES // 2 :]
        raise NativeBuildError(
            f"asyncviz: compiling the C extension {MODULE} from {len(srcs)} source(s) in "
            f"{root / SOURCE_DIR} failed (exit code {proc.returncode}); the output below "
            "says why. Install a C compiler (gcc or clang; on Windows the MSVC build "
            "tools) and the Python headers (e.g. Debian's python3-dev) and reinstall, or "
            "fix the sources if the compiler reports errors in them -- or use the "
            "pure-Python recorder, which works without the extension.\n"
            "--- compiler output ---\n" + "\n".join(lines)
        )
    if not inplace:
        return built
    target = inplace_path(root)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(built.read_bytes())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise NativeBuildError(
            f"asyncviz: built {MODULE} but could not put it at {target}: {exc} (on Windows "
            "a module loaded by a running Python cannot be replaced: stop it and "
            "reinstall)"
        ) from None
    return target


_MARK = "asyncviz-native-built: "


def _compile(spec: dict) -> Path:
    """In the child interpreter: run build_ext.  setuptools is imported here only."""
    import logging

    try:
        from setuptools import Distribution, Extension
        from setuptools.command.build_ext import build_ext
    except ImportError as exc:
        print(
            f"setuptools is not installed in {sys.executable} ({exc}): install it "
            "(pip install setuptools), or build with pip's default build isolation",
            flush=True,
        )
        raise SystemExit(3) from None
    # setuptools' own distutils (the stdlib's is gone since 3.12), put in place when
    # setuptools is imported: pyright finds its stubs but no source
    from distutils import log  # pyright: ignore[reportAttributeAccessIssue, reportMissingModuleSource]
    from distutils.errors import CCompilerError, DistutilsError  # pyright: ignore[reportMissingModuleSource]

    # distutils logs through the root logger (setuptools < 66: through its own log)
    logging.basicConfig(
        level=logging.INFO if spec["verbose"] else logging.WARNING,
        format="%(message)s",
        stream=sys.stdout,
    )
    log.set_verbosity(1 if spec["verbose"] else 0)

    class BuildExt(build_ext):
        def build_extensions(self):
            if self.compiler.compiler_type != "msvc":
                for ext in self.extensions:
                    ext.extra_compile_args = UNIX_FLAGS + list(ext.extra_compile_args or [])
            super().build_extensions()

    ext = Extension(
        MODULE, sources=spec["sources"], depends=spec["headers"], include_dirs=spec["include_dirs"]
    )
    dist = Distribution(
        {"name": "asyncviz-native", "ext_modules": [ext], "cmdclass": {"build_ext": BuildExt}}
    )
    dist.verbose = 1 if spec["verbose"] else 0  # pyright: ignore[reportAttributeAccessIssue]
    cmd = dist.get_command_obj("build_ext")
    cmd.build_temp = spec["build_temp"]
    cmd.build_lib = spec["build_lib"]
    cmd.inplace = 0  # pyright: ignore[reportAttributeAccessIssue]
    cmd.force = 1
    cmd.ensure_finalized()
    try:
        cmd.run()
    except (CCompilerError, DistutilsError) as exc:  # the compiler's output says more
        print(f"error: {exc}", flush=True)
        raise SystemExit(1) from None
    return Path(cmd.get_ext_fullpath(MODULE)).resolve()


# Run by build() as `python -c _CHILD <this file> <spec json>`: loads this file by path
# (no `import asyncviz`), compiles, prints the marker line with the built file.
_CHILD = """\
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("_asyncviz_nativebuild", sys.argv[1])
nb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nb)
path = nb._compile(json.loads(sys.argv[2]))
print(nb._MARK + str(path), flush=True)
"""
