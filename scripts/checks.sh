#!/usr/bin/env bash
# The fast checks, run first by scripts/test.sh (and by pre-commit): the house rules in
# under half a minute.  Usage: bash scripts/checks.sh PYTHON   (a venv's python with the
# `test` extra installed).  Exits non-zero on any finding, after running them all.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=${1:-python3}
bin=$(dirname "$py")
failed=()

run() {  # run NAME COMMAND...: time it, remember a failure
    local name=$1 start=$SECONDS
    shift
    if "$@"; then
        echo "== check $name: ok ($((SECONDS - start)) s)"
    else
        echo "== check $name: FAILED ($((SECONDS - start)) s)"
        failed+=("$name")
    fi
}

PYTHON_FILES=(asyncviz tests bench scripts hatch_build.py)
run "ruff (lint, complexity <= 15)" "$bin/ruff" check --quiet "${PYTHON_FILES[@]}"
run "ruff format" "$bin/ruff" format --check --quiet "${PYTHON_FILES[@]}"
run "pyright (basic)" "$bin/pyright" --pythonpath "$py" asyncviz
run "C complexity <= 15 (lizard)" "$bin/lizard" --CCN 15 --warnings_only asyncviz/recording/csrc
run "source files <= 500 lines" "$py" scripts/house_rules.py
if [ -f js/node_modules/.bin/eslint ]; then
    run "eslint (js/)" npm --prefix js run --silent lint
    run "tsc --checkJs (js/)" npm --prefix js run --silent typecheck
else
    echo "== check js: FAILED (js/node_modules is missing: install the package first)"
    failed+=("js")
fi
run "import rules" "$py" -m pytest -q -p no:cacheprovider tests/test_imports.py

if [ ${#failed[@]} -ne 0 ]; then
    echo "== checks FAILED: ${failed[*]}"
    exit 1
fi
echo "== checks: all ok"
