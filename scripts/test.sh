#!/usr/bin/env bash
# THE test command: install everything and run every test layer on each supported
# Python the machine has (3.11 required; 3.12 and 3.13 when installed).
#   bash scripts/test.sh [PYTEST ARGS...]      e.g.  bash scripts/test.sh -k recording -x
# ASYNCVIZ_PYTHONS="3.12" restricts the versions (default "3.11 3.12 3.13").
# The browser layer (tests/browser: JupyterLab + Notebook 7 in Debian's Chromium) runs on
# one of them, ASYNCVIZ_BROWSER_PYTHON (default 3.12), with ASYNCVIZ_BROWSER=1; on the
# others its tests are skipped with that reason.  Where it runs, a missing Chromium fails.
# Screenshots of every browser test go to ASYNCVIZ_SCREENSHOTS (default out/screenshots).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

VERSIONS=${ASYNCVIZ_PYTHONS:-3.11 3.12 3.13}
REQUIRED=3.11
BROWSER_PY=${ASYNCVIZ_BROWSER_PYTHON:-3.12}
CHROMIUM=${ASYNCVIZ_CHROMIUM:-/usr/bin/chromium}
export ASYNCVIZ_SCREENSHOTS=${ASYNCVIZ_SCREENSHOTS:-$PWD/out/screenshots}

# system packages the tests need (graphviz: `dot` for state-machine exports; chromium:
# the browser layer, driven by the `playwright` pip package -- never `playwright install`)
ensure_apt graphviz chromium

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
browser_ran=0
summary=()

# The house rules first (lint, format, types, complexity, file sizes, import rules): under
# half a minute, in the venv of the first supported Python the machine has.
for v in $VERSIONS; do
    [ -n "$(find_python "$v")" ] || continue
    if ensure_venv "$v" ".venvs/py$v"; then
        echo "===== checks (Python $v) ====="
        if bash scripts/checks.sh ".venvs/py$v/bin/python"; then
            summary+=("checks: ok")
        else
            summary+=("checks: FAILED (scripts/checks.sh)")
            failed=1
        fi
    fi
    break
done

for v in $VERSIONS; do
    if [ -z "$(find_python "$v")" ]; then
        if [ "$v" = "$REQUIRED" ]; then
            echo "ERROR: Python $v is required but not installed" >&2
            summary+=("py$v: FAILED (not installed, required)")
            failed=1
        else
            echo "skipping $v: not installed"
            summary+=("py$v: skipped (not installed)")
        fi
        continue
    fi
    if ! ensure_venv "$v" ".venvs/py$v"; then
        summary+=("py$v: FAILED (could not set up .venvs/py$v)")
        failed=1
        continue
    fi
    browser=0
    if [ "$v" = "$BROWSER_PY" ]; then
        browser=1
        browser_ran=1
        if [ ! -x "$CHROMIUM" ]; then
            # the tests fail on it too (ASYNCVIZ_BROWSER=1): say it once, up front
            echo "ERROR: the browser layer runs on Python $v but $CHROMIUM is missing:" \
                 "apt-get install -y chromium (as root)" >&2
        fi
    fi
    echo "===== Python $v: $(".venvs/py$v/bin/python" -V 2>&1) (.venvs/py$v)" \
         "browser layer: $([ $browser = 1 ] && echo on || echo "off (runs on $BROWSER_PY)") ====="
    rc=0
    ASYNCVIZ_BROWSER=$browser ".venvs/py$v/bin/python" -m pytest -q -p no:cacheprovider \
        --junitxml="$tmp/py$v.xml" "$@" || rc=$?
    case $rc in
        0) summary+=("py$v: ok") ;;
        5) summary+=("py$v: FAILED (pytest exit 5: no tests collected)"); failed=1 ;;
        *) summary+=("py$v: FAILED (pytest exit $rc)"); failed=1 ;;
    esac
done

case " $VERSIONS " in
    *" $BROWSER_PY "*)
        if [ "$browser_ran" = 0 ]; then
            # CI must run the browser layer: its Python missing is a failure, not a skip
            summary+=("browser layer: FAILED (Python $BROWSER_PY, where it runs, is not available)")
            failed=1
        else
            summary+=("browser layer: ran on py$BROWSER_PY; screenshots in $ASYNCVIZ_SCREENSHOTS")
        fi ;;
    *) summary+=("browser layer: not run (ASYNCVIZ_PYTHONS=\"$VERSIONS\" leaves out $BROWSER_PY)") ;;
esac

echo "===== summary ====="
for line in "${summary[@]}"; do echo "$line"; done
# one closing total over all versions, from the junit reports
py=$(find_python "$REQUIRED"); [ -n "$py" ] || py=python3
"$py" - "$tmp"/*.xml <<'PY' || true
import os, sys, xml.etree.ElementTree as ET
tests = bad = skipped = 0
paths = [p for p in sys.argv[1:] if os.path.exists(p)]
for path in paths:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        continue
    for s in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
        tests += int(s.get("tests", 0))
        bad += int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped += int(s.get("skipped", 0))
if paths:
    print(f"total: {tests - bad - skipped} passed, {bad} failed, {skipped} skipped")
PY
exit $failed
