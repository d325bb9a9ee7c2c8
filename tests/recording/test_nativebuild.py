"""The C extension asyncviz.recording._native: how it is built (nativebuild.py) and that
every way of installing the package builds it, or goes on without it.

The fast tests build in a temporary copy of the sources (the real sources' mtimes are
never touched).  The slow one builds the sdist of this checkout and installs it into two
fresh venvs, with and without a C compiler.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from asyncviz.recording import nativebuild

ROOT = Path(__file__).resolve().parents[2]
NATIVE = ROOT / "asyncviz" / "recording" / "csrc"


def _copy_tree(dest: Path) -> Path:
    """A minimal project tree at dest: the C sources and empty asyncviz packages."""
    pkg = dest / "asyncviz" / "recording"
    shutil.copytree(
        NATIVE,
        pkg / "csrc",
        ignore=lambda d, names: [n for n in names if not n.endswith((".c", ".h"))],
    )
    (dest / "asyncviz" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    return dest


def _import_in_subprocess(root: Path) -> dict:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "import asyncviz.recording._native as m; "
        "print(json.dumps({'file': m.__file__, 'ABI': getattr(m, 'ABI', None)}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(root)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    ).stdout
    return json.loads(out)


def _have_compiler() -> bool:
    cc = os.environ.get("CC", "").split()
    return bool(shutil.which(cc[0]) if cc else any(shutil.which(c) for c in ("cc", "gcc", "clang")))


def test_sources_and_headers():
    srcs = nativebuild.sources()
    assert NATIVE / "module.c" in srcs
    assert srcs == sorted(srcs) and all(p.suffix == ".c" and p.parent == NATIVE for p in srcs)
    assert all(p.suffix == ".h" and p.parent == NATIVE for p in nativebuild.headers())
    assert nativebuild.inplace_path().parent == NATIVE.parent
    assert nativebuild.inplace_path().name.startswith("_native.")
    assert nativebuild.wheel_path() == ("asyncviz/recording/" + nativebuild.inplace_path().name)


def test_loads_by_path_without_asyncviz_or_setuptools():
    # what hatch_build.py does: the build must not depend on importing the package
    code = (
        "import importlib.util, sys; "
        "spec = importlib.util.spec_from_file_location('nb', sys.argv[1]); "
        "nb = importlib.util.module_from_spec(spec); spec.loader.exec_module(nb); "
        "assert nb.sources(), nb.sources(); "
        "bad = {'asyncviz', 'setuptools', 'distutils'} & set(sys.modules); "
        "assert not bad, bad"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(Path(nativebuild.__file__))], check=True, cwd=ROOT.parent
    )


@pytest.mark.skipif(not _have_compiler(), reason="no C compiler on PATH")
def test_stale_build_inplace_and_import(tmp_path):
    root = _copy_tree(tmp_path / "tree")
    assert nativebuild.built_path(root) is None
    assert nativebuild.stale(root)

    built = nativebuild.build(tmp_path / "build", inplace=True, root=root)
    assert built == nativebuild.inplace_path(root) == nativebuild.built_path(root)
    assert not nativebuild.stale(root)
    # the real sources' in-place module (if any) is not the one that was built
    assert not str(built).startswith(str(ROOT))

    # an edited source, then an edited (new) header, make it stale; a build fixes that.
    # "Edited after the build": the module's mtime is set back rather than the source's
    # forward, so that the rebuilt module is newer again.
    def edited(path):
        then = path.stat().st_mtime - 10
        os.utime(built, (then, then))

    edited(nativebuild.sources(root)[0])
    assert nativebuild.stale(root)
    assert nativebuild.build(tmp_path / "build", inplace=True, root=root) == built
    assert not nativebuild.stale(root)
    header = root / "asyncviz" / "recording" / "csrc" / "zz_test_only.h"
    header.write_text("/* test */\n")
    assert header in nativebuild.headers(root)
    edited(header)
    assert nativebuild.stale(root)
    nativebuild.build(tmp_path / "build", inplace=True, root=root)
    assert not nativebuild.stale(root)

    info = _import_in_subprocess(root)
    assert Path(info["file"]) == built
    assert isinstance(info["ABI"], int) and info["ABI"] >= 1


@pytest.mark.skipif(not _have_compiler(), reason="no C compiler on PATH")
def test_build_not_inplace_leaves_the_tree_alone(tmp_path):
    root = _copy_tree(tmp_path / "tree")
    built = nativebuild.build(tmp_path / "build", inplace=False, root=root)
    assert built.is_file() and built.is_relative_to(tmp_path / "build")
    assert built.name == nativebuild.inplace_path(root).name
    assert nativebuild.built_path(root) is None


def test_compile_error_is_reported_with_the_compilers_output(tmp_path):
    root = _copy_tree(tmp_path / "tree")
    (root / "asyncviz" / "recording" / "csrc" / "zz_broken.c").write_text(
        "int asyncviz_broken = ;\n"
    )
    with pytest.raises(nativebuild.NativeBuildError) as info:
        nativebuild.build(tmp_path / "build", inplace=True, root=root)
    message = str(info.value)
    assert "zz_broken.c" in message  # the compiler's own output
    assert "C compiler" in message and "pure-Python" in message  # what to do
    assert nativebuild.built_path(root) is None


def test_missing_compiler_is_a_clear_error(tmp_path, monkeypatch):
    root = _copy_tree(tmp_path / "tree")
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    with pytest.raises(nativebuild.NativeBuildError) as info:
        nativebuild.build(tmp_path / "build", inplace=False, root=root)
    assert "no-such-cc" in str(info.value) and "C compiler" in str(info.value)


def test_no_sources_is_a_clear_error(tmp_path):
    with pytest.raises(nativebuild.NativeBuildError, match="no C sources"):
        nativebuild.build(tmp_path / "build", inplace=False, root=tmp_path)


def test_required_reads_the_environment(monkeypatch):
    monkeypatch.delenv("ASYNCVIZ_REQUIRE_NATIVE", raising=False)
    assert not nativebuild.required()
    for value, expected in (("1", True), ("true", True), ("0", False), ("", False)):
        monkeypatch.setenv("ASYNCVIZ_REQUIRE_NATIVE", value)
        assert nativebuild.required() is expected


@pytest.mark.skipif(not _have_compiler(), reason="no C compiler on PATH")
def test_editable_install_compiled_in_place():
    """`pip install -e .` (scripts/test.sh) leaves the module next to the sources."""
    spec = importlib.util.find_spec("asyncviz")
    if spec is None or Path(spec.origin).resolve().parent != ROOT / "asyncviz":
        pytest.skip("asyncviz is not installed editable from this checkout")
    assert nativebuild.built_path() is not None, (
        f"no {nativebuild.inplace_path()}: reinstall with pip install -e ."
    )


# ---------------------------------------------------------------- the real thing (slow)


def _pip_install(venv_python: Path, sdist: Path, env: dict) -> subprocess.CompletedProcess:
    # pip of the running interpreter, installing into the fresh venv (which has no pip),
    # with build isolation (hatchling and setuptools from the package index)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv_python),
            "install",
            "-v",
            "--no-deps",
            "--disable-pip-version-check",
            str(sdist),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="hides the compiler the POSIX way")
@pytest.mark.skipif(not _have_compiler(), reason="no C compiler on PATH")
def test_sdist_installs_with_and_without_a_compiler(tmp_path):
    start = time.monotonic()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ASYNCVIZ_") and k not in ("PYTHONPATH", "PYTHONHOME")
    }
    # the pip cache of this test only: the two installs share its downloads, and a wheel
    # pip cached from the first install can never stand in for the second build
    env["PIP_CACHE_DIR"] = str(tmp_path / "pip-cache")
    if all(
        (ROOT / "asyncviz" / "static" / n).is_file()
        for n in ("timeline.js", "states.js", "states-layout.js")
    ):
        env["ASYNCVIZ_BUILD_JS"] = "0"  # the bundle exists: no npm

    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (sdist,) = (tmp_path / "dist").glob("jupyter_asyncviz-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for src in nativebuild.sources() + nativebuild.headers():
        assert src.relative_to(ROOT).as_posix() in names
    assert "asyncviz/recording/nativebuild.py" in names and "hatch_build.py" in names
    assert "asyncviz/static/timeline.js" in names
    assert not [
        n for n in names if n.startswith("asyncviz/recording/_native.") and not n.endswith(".pyi")
    ], names  # the type stub ships, no built module

    # 1. a normal install compiles the extension into the wheel it installs
    python = _venv(tmp_path / "with-cc")
    result = _pip_install(python, sdist, env)
    assert result.returncode == 0, result.stdout + result.stderr
    probe = "import json, asyncviz.recording._native as m; print(json.dumps([m.__file__, m.ABI]))"
    out = subprocess.run(
        [str(python), "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    ).stdout
    file, abi = json.loads(out)
    assert Path(file).is_relative_to(tmp_path / "with-cc") and abi >= 1

    # 2. no compiler: CC names none and PATH holds no cc/gcc/clang
    bare = tmp_path / "bare-bin"
    bare.mkdir()
    nocc = dict(env, CC="/nonexistent/cc", PATH=str(bare))
    assert not any(shutil.which(c, path=nocc["PATH"]) for c in ("cc", "gcc", "clang"))
    python = _venv(tmp_path / "no-cc")
    result = _pip_install(python, sdist, nocc)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "/nonexistent/cc" in log, log  # it tried, and failed
    assert "going on WITHOUT the C extension" in log, log
    assert "py3-none-any.whl" in log, log  # a pure wheel
    probe = (
        "import importlib, asyncviz, asyncviz.recording\n"
        "try:\n"
        "    importlib.import_module('asyncviz.recording._native')\n"
        "except ImportError:\n"
        "    print('no native module')\n"
    )
    out = subprocess.run(
        [str(python), "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=nocc,
        check=True,
    ).stdout
    assert out.strip() == "no native module", out

    # 3. ... and with ASYNCVIZ_REQUIRE_NATIVE=1 the same install fails
    python = _venv(tmp_path / "no-cc-required")
    result = _pip_install(python, sdist, dict(nocc, ASYNCVIZ_REQUIRE_NATIVE="1"))
    assert result.returncode != 0
    assert "ASYNCVIZ_REQUIRE_NATIVE is set" in result.stdout + result.stderr

    print(f"sdist + 3 installs: {time.monotonic() - start:.1f} s")
