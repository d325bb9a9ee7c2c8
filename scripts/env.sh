# shellcheck shell=bash
# Helpers shared by scripts/test.sh and scripts/workshop.sh.  Source it, don't run it.
# Works under `set -euo pipefail`: every helper handles its own failures and
# returns a status instead of letting a command abort the caller.

export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_INPUT=1
# The browser layer drives Debian's Chromium (/usr/bin/chromium, from ensure_apt) through
# the `playwright` pip package; Playwright's own browser downloads never work here, so
# nothing may trigger one (`playwright install` is never run).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# python_minor EXE -> prints "3.X" if EXE runs, nothing otherwise
python_minor() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

# find_python 3.X -> prints the path of a real interpreter of that minor version,
# or nothing.  Tries `python3.X` on PATH (only if it really runs 3.X: pyenv shims
# may exist but refuse), then the newest $(pyenv root)/versions/3.X.<patch>.
find_python() {
    local want=$1 cand root exe
    if cand=$(command -v "python$want" 2>/dev/null) && [ "$(python_minor "$cand")" = "$want" ]; then
        # print the interpreter itself, not a shim or wrapper
        exe=$("$cand" -c 'import sys; print(sys.executable)' 2>/dev/null || true)
        if [ -n "$exe" ] && [ "$(python_minor "$exe")" = "$want" ]; then
            echo "$exe"
        else
            echo "$cand"
        fi
        return 0
    fi
    root=""
    if command -v pyenv >/dev/null 2>&1; then
        root=$(pyenv root 2>/dev/null || true)
    fi
    [ -n "$root" ] || root=${PYENV_ROOT:-$HOME/.pyenv}
    [ -d "$root/versions" ] || return 0
    # newest patch release first; only plain X.Y.Z directories (no 3.13.0t etc.)
    while IFS= read -r cand; do
        [ -n "$cand" ] || continue
        exe="$cand/bin/python3"
        if [ -x "$exe" ] && [ "$(python_minor "$exe")" = "$want" ]; then
            echo "$exe"
            return 0
        fi
    done < <(find "$root/versions" -mindepth 1 -maxdepth 1 \
                 -regex ".*/${want//./\\.}\.[0-9]+" 2>/dev/null | sort -V -r)
    return 0
}

# build_inputs_changed STAMP: is pyproject.toml, or anything the install compiles (the C
# extension's sources and headers, nativebuild.py, hatch_build.py), newer than STAMP?
build_inputs_changed() {
    local stamp=$1 f
    for f in pyproject.toml hatch_build.py asyncviz/recording/nativebuild.py \
             asyncviz/recording/csrc/*.c asyncviz/recording/csrc/*.h; do
        [ -e "$f" ] || continue
        if [ "$f" -nt "$stamp" ]; then
            return 0
        fi
    done
    return 1
}

# ensure_venv 3.X DIR: create a venv at DIR from Python 3.X if missing (or broken,
# or of another version) and install this repo into it with `pip install -e ".[test]"`
# (which also compiles the C extension in place).
# Idempotent: skips the install while DIR/.installed is newer than pyproject.toml and
# the C extension's inputs (build_inputs_changed).
# Must be called from the repo root.  Returns 1 (with a message) on failure.
ensure_venv() {
    local ver=$1 dir=$2 base stamp start
    stamp="$dir/.installed"
    if [ -x "$dir/bin/python" ] && [ "$(python_minor "$dir/bin/python")" = "$ver" ]; then
        if [ -f "$stamp" ] && ! build_inputs_changed "$stamp"; then
            return 0
        fi
    else
        base=$(find_python "$ver")
        if [ -z "$base" ]; then
            echo "ensure_venv: Python $ver not found (python$ver on PATH or pyenv)" >&2
            return 1
        fi
        rm -rf "$dir"
        echo "== creating $dir from $base" >&2
        "$base" -m venv "$dir" || { echo "ensure_venv: venv creation failed for $ver" >&2; return 1; }
    fi
    start=$SECONDS
    echo "== installing jupyter-asyncviz[test] into $dir" >&2
    rm -f "$stamp"
    "$dir/bin/python" -m pip install -q --upgrade pip \
        || { echo "ensure_venv: pip upgrade failed in $dir" >&2; return 1; }
    "$dir/bin/python" -m pip install -q -e ".[test]" \
        || { echo "ensure_venv: pip install -e .[test] failed in $dir" >&2; return 1; }
    touch "$stamp"
    echo "== $dir ready ($((SECONDS - start)) s)" >&2
    return 0
}

# ensure_apt PACKAGE...: install the Debian packages that are missing.
# As root: `apt-get update` once per script run, then `apt-get install -y`.
# Otherwise (or without apt-get) only print a hint.
_ASYNCVIZ_APT_UPDATED=0
ensure_apt() {
    local pkg missing=()
    command -v dpkg >/dev/null 2>&1 || {
        echo "hint: not a Debian system; install these yourself if needed: $*" >&2
        return 0
    }
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "hint: missing Debian packages: ${missing[*]} -- run: sudo apt-get install -y ${missing[*]}" >&2
        return 0
    fi
    if [ "$_ASYNCVIZ_APT_UPDATED" -eq 0 ]; then
        echo "== apt-get update" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
            || { echo "ensure_apt: apt-get update failed" >&2; return 1; }
        _ASYNCVIZ_APT_UPDATED=1
    fi
    echo "== apt-get install -y ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
        || { echo "ensure_apt: apt-get install ${missing[*]} failed" >&2; return 1; }
    return 0
}
