# Sourced by the shell tests whose checks need transformers: runs a Python check in the
# environment of scripts/torch-venv.sh (Debian's python3-torch + transformers, created once
# under $BUILD/venv-torch) with a scratch directory that is removed afterwards.
# usage: torch_check tests/check_X.py ARGS... — the word WORK among ARGS becomes the
# scratch directory. Prints the check's "N passed, M failed" (or one failure when the
# environment cannot be made). Environment: BUILD.
torch_check() {
    local script=$1 py work arg
    shift
    if ! py=$(scripts/torch-venv.sh "${BUILD:-build}/venv-torch"); then
        echo "scripts/torch-venv.sh failed (it needs: apt-get install python3-torch python3-venv)" >&2
        echo "0 passed, 1 failed"
        return 1
    fi
    work=$(mktemp -d)
    local args=()
    for arg in "$@"; do
        [ "$arg" = WORK ] && arg=$work
        args+=("$arg")
    done
    "$py" "$script" "${args[@]}"
    local rc=$?
    rm -rf "$work"
    return $rc
}
