#!/usr/bin/env bash
# THE main job: set up .venvs/py3.11 and run every workshop notebook headless,
# writing the executed notebooks and their exports under out/.
#   bash scripts/workshop.sh [--out DIR] [--timeout SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

ver=$(python_minor python3)
[ -n "$ver" ] || { echo "workshop: python3 not found" >&2; exit 1; }
ensure_apt graphviz   # `dot`, for state-machine exports
ensure_venv "$ver" ".venvs/py$ver" || exit 1
exec ".venvs/py$ver/bin/python" scripts/run_workshop.py "$@"
