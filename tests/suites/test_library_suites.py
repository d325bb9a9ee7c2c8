"""Real libraries' own test suites pass the same way under `-p asyncviz.pytest_plugin
--asyncviz-trace` as without it.

Each library is pinned to one sdist (version and sha256), downloaded with
`pip download --no-binary :all: --no-deps` into `.suites-cache/` (gitignored, kept between
runs; nothing of theirs is committed) and unpacked into pytest's temporary directory.
Their test-only dependencies (pinned with hashes too) are installed at run time with
`pip install --no-deps --target` into `.suites-cache/py3.X/`, put on PYTHONPATH of the
library's run only: an auto-loading plugin such as pytest-asyncio must not join this
project's own test session, where it would change how our tests are collected.

Each suite runs in a subprocess — once plainly (cached for the session) and once traced
per backend — with the plugin loaded both times (so "loaded but off" is exercised too),
and the outcome of every test id in the --junitxml reports must match.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from asyncviz.recording.backend import names

pytestmark = pytest.mark.suites

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".suites-cache"
RUN_TIMEOUT = 600  # seconds for one run of one suite
SHOWN = 150  # ids listed per kind of difference


@dataclasses.dataclass(frozen=True)
class Library:
    name: str  # as pip knows it
    version: str
    sdist: str  # file name of the sdist on the index
    sha256: str
    tests: str  # the tests' folder in the sdist
    deps: tuple[str, ...] = ()  # "name==version --hash=sha256:..." lines for pip
    addopts: str = ""  # replaces the library's own addopts (coverage and the like)
    deselect: tuple[str, ...] = ()  # node ids left out of BOTH runs (say why in a comment)
    why: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


PYTEST_ASYNCIO = (
    "pytest-asyncio==1.5.0 --hash=sha256:"
    "557f255ee03cc84f84a8d5f438bc9c6e0f714bf86970ae743c7ecb5a38d7e07d"
)

LIBRARIES = [
    # async generators as stream operators, run by pytest-asyncio on its own event loop
    # class (virtual time, a Mock for a selector); tasks for every merge/switch/timeout
    Library(
        "aiostream",
        "0.8.1",
        "aiostream-0.8.1.tar.gz",
        "32d180b4ab01ebb2fc59eda7fa59f496895a4d07b32fc57537d1dade2514a8a1",
        tests="tests",
        deps=(PYTEST_ASYNCIO,),
        addopts="--strict-markers",
        why="async generators and many tasks, a custom loop with a Mock selector",
    ),
    # async generators and coroutines driven by hand with send()/throw() by its own tiny
    # scheduler (no asyncio), plus async itertools/functools/contextlib
    Library(
        "asyncstdlib",
        "3.14.0",
        "asyncstdlib-3.14.0.tar.gz",
        "f99396992a3bba7495d8cf6c832bfe8c8727f61213233d3569a5a9cbd1c04385",
        tests="unittests",
        why="coroutines and async generators driven by send/throw/close, no event loop",
    ),
    # plain generators and iterator pipelines, unittest-style with subtests
    Library(
        "more-itertools",
        "11.2.1",
        "more_itertools-11.2.1.tar.gz",
        "cbf08fd0af284dc69718b9b76a8e6203df624d70209ea511e4219d350c856f63",
        # its prime-sieve tests record millions of events: they fill the 1,000,000-event
        # budget, after which the recorder switches its hooks off (traced ≈ untraced)
        tests="tests",
        why="generators: 765 tests, ~21,000 subtests",
    ),
]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pip(*args: str, what: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"),
    )
    if proc.returncode:
        pytest.fail(
            f"could not {what} (pip exit {proc.returncode}):\n"
            + "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        )


def download_sdist(lib: Library) -> Path:
    """The library's sdist in the cache, fetched once and checked against its hash."""
    folder = CACHE / "sdists"
    path = folder / lib.sdist
    if path.exists() and sha256(path) == lib.sha256:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    req = folder / f"{lib.key}.txt"
    req.write_text(f"{lib.name}=={lib.version} --hash=sha256:{lib.sha256}\n")
    pip(
        "download",
        "--no-binary",
        ":all:",
        "--no-deps",
        "--require-hashes",
        "-r",
        str(req),
        "-d",
        str(folder),
        what=f"download {lib.key}",
    )
    assert path.exists(), f"pip downloaded no {lib.sdist} into {folder}"
    return path


def install_deps(lib: Library) -> Path | None:
    """A folder holding the library's test dependencies for this Python, or None."""
    if not lib.deps:
        return None
    text = "".join(d + "\n" for d in lib.deps)
    tag = hashlib.sha256(text.encode()).hexdigest()[:12]
    target = CACHE / f"py{sys.version_info[0]}.{sys.version_info[1]}" / f"deps-{tag}"
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    (target / "requirements.txt").write_text(text)
    pip(
        "install",
        "--no-deps",
        "--only-binary",
        ":all:",
        "--require-hashes",
        "--target",
        str(target),
        "-r",
        str(target / "requirements.txt"),
        what=f"install {', '.join(d.split()[0] for d in lib.deps)}",
    )
    (target / ".complete").write_text(text)
    return target


def unpack(sdist: Path, dest: Path) -> Path:
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - every Python we support has the filter
            tar.extractall(dest)
    (root,) = [p for p in dest.iterdir() if p.is_dir()]
    return root


@dataclasses.dataclass
class Prepared:
    lib: Library
    src: Path
    env: dict


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """Each library downloaded, unpacked and its dependencies installed, once."""
    cache: dict[str, Prepared] = {}

    def get(lib: Library) -> Prepared:
        if lib.key not in cache:
            src = unpack(download_sdist(lib), tmp_path_factory.mktemp(lib.key))
            deps = install_deps(lib)
            path = [str(src)] + ([str(deps)] if deps else [])
            if os.environ.get("PYTHONPATH"):
                path.append(os.environ["PYTHONPATH"])
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
            env.pop("PYTEST_ADDOPTS", None)
            # the tests must import the library from the sdist, not from site-packages
            module = lib.name.replace("-", "_")
            where = subprocess.run(
                [sys.executable, "-c", f"import {module}; print({module}.__file__)"],
                cwd=src,
                env=env,
                capture_output=True,
                text=True,
            ).stdout.strip()
            assert where.startswith(str(src)), f"{module} imports from {where!r}, not {src}"
            cache[lib.key] = Prepared(lib, src, env)
        return cache[lib.key]

    return get


def run_suite(prep: Prepared, *, traced: bool, backend: str | None, out: Path) -> dict:
    """Run the library's tests with pytest in a subprocess; the outcome per test id."""
    lib = prep.lib
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        lib.tests,
        "-p",
        "asyncviz.pytest_plugin",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(prep.src),
        "-o",
        f"addopts={lib.addopts}",
        "-o",
        "junit_family=xunit1",
        "-o",
        "faulthandler_timeout=120",
        f"--junitxml={out}",
        "-v",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    for node in lib.deselect:
        cmd += ["--deselect", node]
    if traced:
        cmd.append("--asyncviz-trace")
        if backend is not None:
            cmd += ["--asyncviz-backend", backend]
    t0 = time.perf_counter()
    mode = f"traced with {backend}" if traced else "untraced"
    try:
        proc = subprocess.run(
            cmd, cwd=prep.src, env=prep.env, capture_output=True, text=True, timeout=RUN_TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        output = (
            exc.stdout.decode(errors="replace")
            if isinstance(exc.stdout, bytes)
            else (exc.stdout or "")
        )
        pytest.fail(
            f"{lib.key} {mode} did not finish in {RUN_TIMEOUT} s; its last lines:\n"
            + "\n".join(output.splitlines()[-30:])
        )
    seconds = time.perf_counter() - t0
    if proc.returncode < 0:
        try:
            sig = signal.Signals(-proc.returncode).name
        except ValueError:
            sig = str(-proc.returncode)
        pytest.fail(
            f"{lib.key} {mode}: the interpreter died of {sig}; its last lines:\n"
            + "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
        )
    if not out.exists():
        pytest.fail(
            f"{lib.key} {mode}: pytest exit {proc.returncode} and no report:\n"
            + "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        )
    result = parse_junit(out)
    result.update(
        seconds=seconds,
        returncode=proc.returncode,
        summary=[
            ln
            for ln in proc.stdout.splitlines()
            if ln.startswith("asyncviz:") and "tests traced" in ln
        ],
    )
    return result


def parse_junit(path: Path) -> dict:
    """{outcomes: {id: [outcome, ...]}, details, events, truncated, not_started, traced_ids};
    an outcome is a tuple: ("passed",), ("failure",), ("skipped", type, message), ..."""
    root = ET.parse(path).getroot()
    outcomes: dict[str, list[tuple]] = {}
    details: dict[str, str] = {}
    events = truncated = 0
    not_started: dict[str, str] = {}
    traced_ids: set[str] = set()
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        kinds = []
        for child in case:
            if child.tag == "skipped":  # skips and xfails (type pytest.xfail)
                kinds.append(
                    ("skipped", child.get("type") or "", (child.get("message") or "")[:200])
                )
            elif child.tag in ("failure", "error"):
                kinds.append((child.tag,))
                details.setdefault(test_id, (child.get("message") or "")[:300])
        outcome = tuple(sorted(kinds)) or (("passed",),)
        outcomes.setdefault(test_id, []).append(outcome)
        for prop in case.iter("property"):
            if prop.get("name") == "asyncviz_events":
                events += int(prop.get("value"))
                traced_ids.add(test_id)
            elif prop.get("name") == "asyncviz_truncated":
                truncated += 1
            elif prop.get("name") == "asyncviz_not_started":
                not_started[test_id] = prop.get("value")
    return {
        "outcomes": outcomes,
        "details": details,
        "events": events,
        "truncated": truncated,
        "not_started": not_started,
        "traced_ids": traced_ids,
    }


def describe(outcomes: list[tuple]) -> str:
    return " / ".join("+".join(" ".join(k).strip() for k in o) for o in outcomes)


def is_bad(outcomes: list[tuple]) -> bool:
    return any(k[0] in ("failure", "error") for o in outcomes for k in o)


def differences(plain: dict, traced: dict) -> tuple[list[str], set[str]]:
    problems, differing = [], set()

    def listing(title, ids, why=None):
        ids = sorted(ids)
        differing.update(ids)
        lines = [f"{title} ({len(ids)}):"]
        lines += [f"    {i}" + (f"  -- {why(i)}" if why else "") for i in ids[:SHOWN]]
        if len(ids) > SHOWN:
            lines.append(f"    ... and {len(ids) - SHOWN} more")
        problems.append("\n".join(lines))

    a, b = plain["outcomes"], traced["outcomes"]
    if a.keys() - b.keys():
        listing("run untraced, not traced", a.keys() - b.keys())
    if b.keys() - a.keys():
        listing("run traced, not untraced", b.keys() - a.keys())
    changed = {i for i in a.keys() & b.keys() if Counter(a[i]) != Counter(b[i])}
    # grouped by what changed: one library bug often breaks a hundred tests the same way
    groups: dict[str, set[str]] = {}
    for i in changed:
        how = f"untraced {describe(a[i])}, traced {describe(b[i])}" + (
            f": {traced['details'][i]}" if i in traced["details"] else ""
        )
        groups.setdefault(how, set()).add(i)
    for how, ids in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        listing(f"outcome differs: {how}", ids)
    if traced["not_started"]:
        listing(
            "traces that could not start (tests ran untraced)",
            traced["not_started"].keys(),
            traced["not_started"].get,
        )
    untraced_calls = {i for i, o in b.items() if (("passed",),) in o} - traced["traced_ids"]
    if untraced_calls:
        listing("passed traced, but no trace was recorded for them", untraced_calls)
    if plain["returncode"] != traced["returncode"]:
        problems.append(
            f"pytest exit status: untraced {plain['returncode']}, traced {traced['returncode']}"
        )
    return problems, differing


@pytest.fixture(scope="module")
def untraced_run(prepared, tmp_path_factory):
    cache: dict[str, dict] = {}

    def get(lib: Library) -> dict:
        if lib.key not in cache:
            out = tmp_path_factory.mktemp(f"{lib.key}-untraced") / "junit.xml"
            cache[lib.key] = run_suite(prepared(lib), traced=False, backend=None, out=out)
        return cache[lib.key]

    return get


@pytest.mark.timeout(2 * RUN_TIMEOUT + 300)
@pytest.mark.parametrize("backend", names())
@pytest.mark.parametrize("lib", LIBRARIES, ids=lambda lib: lib.key)
def test_library_suite_runs_identically_traced(
    lib, backend, prepared, untraced_run, tmp_path, suite_timings
):
    prep = prepared(lib)
    plain = untraced_run(lib)
    broken = sorted(i for i, o in plain["outcomes"].items() if is_bad(o))
    assert plain["returncode"] == 0 and not broken, (
        f"{lib.key}'s own suite does not pass untraced here (pytest exit "
        f"{plain['returncode']}): {broken[:SHOWN]}"
    )
    traced = run_suite(prep, traced=True, backend=backend, out=tmp_path / "junit.xml")
    suite_timings.append(
        {
            "suite": lib.key,
            "backend": backend,
            "tests": len(plain["outcomes"]),
            "untraced": plain["seconds"],
            "traced": traced["seconds"],
            "events": traced["events"],
            "truncated": traced["truncated"],
            "differ": None,
        }
    )
    print(
        f"{lib.key} [{backend}]: {len(plain['outcomes'])} tests, untraced "
        f"{plain['seconds']:.1f} s, traced {traced['seconds']:.1f} s; "
        + " ".join(traced["summary"])
    )
    problems, differing = differences(plain, traced)
    if not traced["events"]:
        problems.append("the traced run recorded no events")
    suite_timings[-1]["differ"] = len(differing)
    if problems:
        pytest.fail(
            f"{lib.key}'s suite behaves differently traced ({backend}, Python "
            f"{sys.version.split()[0]}) than untraced:\n" + "\n".join(problems),
            pytrace=False,
        )
