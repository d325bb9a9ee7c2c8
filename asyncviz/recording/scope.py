"""Which code the record holds: the user's, by default, never the machinery's.

A decision is made once per code object and cached by the backends.
"""

from __future__ import annotations

import fnmatch
import os
import site
import sysconfig

from .protocol import CO_GENERATOR_FLAGS

# Code that runs the cell, not code the cell runs: never recorded, even with --include '*'.
_ALWAYS_OUT_TOP = frozenset({"asyncviz", "ipykernel", "nest_asyncio2", "nest_asyncio"})


def _library_roots() -> tuple[str, ...]:
    roots = set()
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if paths.get(key):
            roots.add(os.path.realpath(paths[key]))
    try:
        roots.update(os.path.realpath(p) for p in site.getsitepackages())
    except AttributeError:  # virtualenvs of old
        pass
    user_site = getattr(site, "USER_SITE", None)
    if user_site:
        roots.add(os.path.realpath(user_site))
    roots.add(os.path.realpath(os.path.dirname(os.__file__)))
    return tuple(sorted(r + os.sep for r in roots))


_ROOTS = _library_roots()
_OWN_DIR = os.path.realpath(os.path.dirname(os.path.dirname(__file__))) + os.sep


class Scope:
    """include/exclude are globs matched against module names and file names."""

    def __init__(self, include=(), exclude=()):
        self.include = tuple(include or ())
        self.exclude = tuple(exclude or ())
        self.everything = "*" in self.include

    def __repr__(self) -> str:
        return f"Scope(include={list(self.include)}, exclude={list(self.exclude)})"

    @staticmethod
    def _matches(patterns, module: str, filename: str) -> bool:
        base = os.path.basename(filename)
        return any(
            fnmatch.fnmatchcase(module, p)
            or fnmatch.fnmatchcase(filename, p)
            or fnmatch.fnmatchcase(base, p)
            for p in patterns
        )

    def excludes_file(self, filename: str) -> bool:
        """Is code in `filename` (a notebook cell's) excluded by name?"""
        return bool(self.exclude) and self._matches(self.exclude, "__main__", filename)

    def wants(self, code, module: str | None) -> bool:
        """Record objects running `code` (from a module named `module`)?"""
        if not code.co_flags & CO_GENERATOR_FLAGS:
            return False
        if code.co_name == "<module>":  # a cell's own top-level code, run by IPython
            return False
        return self.owns(code, module)

    def owns(self, code, module: str | None) -> bool:
        """Is `code` the program's own — the user's, or included — rather than a
        library's or the machinery's?  (Any code: what `wants` asks of generators.)"""
        filename = code.co_filename
        module = module or ""
        real = os.path.realpath(filename) if os.path.isabs(filename) else filename
        if machinery(real, module):
            return False
        if self.exclude and self._matches(self.exclude, module, filename):
            return False
        if self.everything or (self.include and self._matches(self.include, module, filename)):
            return True
        return is_user_code(real)

    def allows(self, code, module: str | None) -> bool:
        """Not the machinery's and not excluded: code whose faults the record keeps even
        when it is a library's (a coroutine the program forgot to await)."""
        filename = code.co_filename
        real = os.path.realpath(filename) if os.path.isabs(filename) else filename
        if machinery(real, module):
            return False
        return not (self.exclude and self._matches(self.exclude, module or "", filename))


def machinery(filename: str, module: str | None) -> bool:
    """Code that runs the program rather than being run by it (asyncviz, the kernel,
    IPython's core): never the program's, even with --include '*'.  `filename` real."""
    module = module or ""
    return (
        module.split(".")[0] in _ALWAYS_OUT_TOP
        or module.startswith("IPython.core")
        or filename.startswith(_OWN_DIR)
    )


def is_user_code(filename: str) -> bool:
    if filename.startswith("<frozen"):
        return False
    if filename.startswith("<"):  # <ipython-input-..>, <string>, <stdin>: the user's
        return True
    return not filename.startswith(_ROOTS)


def module_of(frame) -> str | None:
    try:
        return frame.f_globals.get("__name__")
    except Exception:
        return None
