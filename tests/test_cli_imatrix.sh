#!/bin/bash
# llama-fast imatrix on good and bad input: a short run writes a file that reads back
# (both formats); a text too short for the context, an unreadable text, a bad format, an
# output directory that does not exist and a hostile --in-file each exit non-zero with
# "error:" and the cause on stderr, and leave nothing under the output name (nor its
# .part). Prints "N passed, M failed". Environment: BUILD, MODEL.
set -u
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/llama-fast
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { # ok DESCRIPTION CONDITION-EXIT-STATUS
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi
}

# expect_error RC NEEDLE OUT ARGS...: exit status RC, "error:" and NEEDLE on stderr, no OUT
expect_error() {
    local want=$1 needle=$2 out=$3
    shift 3
    "$BIN" imatrix "$@" >"$tmp/stdout" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ "$rc" -eq "$want" ] && grep -q 'error:' "$tmp/err" && grep -qF -- "$needle" "$tmp/err" &&
        [ ! -e "$out" ] && [ ! -e "$out.part" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: llama-fast imatrix $* exited $rc (wanted $want, '$needle'); stderr:" >&2
        sed 's/^/    /' "$tmp/err" >&2
    fi
}

if [ ! -f "$MODEL" ]; then
    echo "SKIP: $MODEL absent" >&2
    echo "0 passed, 0 failed, 10 skipped"
    exit 0
fi
head -c 3000 /usr/share/common-licenses/GPL-3 >"$tmp/text.txt"
"$BIN" imatrix "$MODEL" --text "$tmp/text.txt" --ctx 32 --chunks 3 -t 2 -o "$tmp/m.gguf" 2>"$tmp/err" </dev/null
ok "short run: $(cat "$tmp/err")" $?
ok "no progress line when stderr is not a terminal" "$(grep -c $'\r' "$tmp/err")"
"$BIN" imatrix --in-file "$tmp/m.gguf" -o "$tmp/m.dat" --output-format dat 2>"$tmp/err" &&
    grep -q '210 entries, 3 chunks' "$tmp/err"
ok "GGUF read back and written as .dat: $(cat "$tmp/err")" $?
"$BIN" imatrix --in-file "$tmp/m.dat" -o "$tmp/m2.dat" --output-format dat 2>"$tmp/err" && cmp -s "$tmp/m.dat" "$tmp/m2.dat"
ok ".dat round trip: $(cat "$tmp/err")" $?

printf 'too short' >"$tmp/short.txt"
expect_error 1 "needs at least 64" "$tmp/x.gguf" "$MODEL" --text "$tmp/short.txt" --ctx 32 -o "$tmp/x.gguf"
expect_error 1 "$tmp/none.txt" "$tmp/x.gguf" "$MODEL" --text "$tmp/none.txt" -o "$tmp/x.gguf"
expect_error 2 "neither gguf nor dat" "$tmp/x.gguf" "$MODEL" --text "$tmp/text.txt" --output-format ggml -o "$tmp/x.gguf"
expect_error 1 "$tmp/no/dir/x.gguf" "$tmp/no/dir/x.gguf" "$MODEL" --text "$tmp/text.txt" --ctx 32 --chunks 2 \
    -o "$tmp/no/dir/x.gguf"
expect_error 1 "$tmp/text.txt" "$tmp/x.gguf" --in-file "$tmp/text.txt" -o "$tmp/x.gguf"
expect_error 1 "no raw sums" "$tmp/x.gguf" --in-file "$tmp/m.dat" -o "$tmp/x.gguf"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
