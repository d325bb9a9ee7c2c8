"""House rules the linters do not check: no source file over 500 lines.

Python (asyncviz/), C (the native core) and JavaScript (the front-end): a file that grows
past the limit is a room doing more than one job.  Prints each offender; exit 1 if any.
"""

from __future__ import annotations

import sys
from pathlib import Path

LIMIT = 500
ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("asyncviz/**/*.py", "asyncviz/recording/csrc/*.[ch]", "js/src/**/*.js")


def offenders() -> list[tuple[str, int]]:
    out = []
    for pattern in SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            n = len(path.read_text(encoding="utf-8").splitlines())
            if n > LIMIT:
                out.append((path.relative_to(ROOT).as_posix(), n))
    return out


if __name__ == "__main__":
    found = offenders()
    for name, n in found:
        print(f"{name}: {n} lines (the limit is {LIMIT}: split it into rooms of one job each)")
    sys.exit(1 if found else 0)
