#!/bin/bash
# The CLI on bad input: a missing path, a directory, garbage and truncated model files,
# an unknown command. Each must exit non-zero without being killed by a signal and say
# "error:" on stderr (naming the file where there is one). Prints "N passed, M failed".
# Environment: BUILD (build directory, default build).
set -u
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/llama-fast
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_error NEEDLE ARGS...: non-zero exit below 128, stderr has "error:" and NEEDLE.
expect_error() {
    local needle=$1
    shift
    "$BIN" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && grep -q 'error:' "$tmp/err" && grep -qF -- "$needle" "$tmp/err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: llama-fast $* exited $rc; stderr:" >&2
        sed 's/^/    /' "$tmp/err" >&2
    fi
}

if [ ! -x "$BIN" ]; then
    echo "FAIL: $BIN not built" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

head -c 4096 /dev/urandom >"$tmp/garbage.bin"
printf 'GGUF\003\000\000\000' >"$tmp/header_only.gguf"
printf 'GGUF\003\000\000\000\377\377\377\377\377\377\377\177\001\000\000\000\000\000\000\000' >"$tmp/huge_count.gguf"
: >"$tmp/empty.gguf"
mkdir "$tmp/dir.gguf"

expect_error /nonexistent generate /nonexistent --prompt hi
expect_error /nonexistent info /nonexistent
expect_error /nonexistent bench /nonexistent
expect_error "$tmp/dir.gguf" generate "$tmp/dir.gguf" --prompt hi
expect_error "$tmp/dir.gguf" info "$tmp/dir.gguf"
expect_error "$tmp/garbage.bin" generate "$tmp/garbage.bin" --prompt hi
expect_error "$tmp/header_only.gguf" info "$tmp/header_only.gguf"
expect_error "$tmp/huge_count.gguf" info "$tmp/huge_count.gguf"
expect_error "$tmp/empty.gguf" generate "$tmp/empty.gguf" --prompt hi
expect_error no-such-command no-such-command

# errors that say what to do: a renamed file, an unknown name, a model not downloaded (with
# --no-download), a text prompt to a model without tokenizer
STORIES=${LF_TEST_DATA:-../shared/data}/models/stories260K.bin
cp "$STORIES" "$tmp/renamed.gguf"
expect_error "not a GGUF file" generate "$tmp/renamed.gguf" --prompt hi
expect_error 'see `llama-fast list`' generate no-such-model-name --prompt hi
LLAMA_FAST_HOME=$tmp/store expect_error '`llama-fast download tinyllamas`' generate tinyllamas --no-download --prompt hi
expect_error "--tokenizer-path" generate "$STORIES" --prompt hi
expect_error "--tokenizer-path" generate "$STORIES" -p hi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
