#!/bin/bash
# llama-fast eval --perplexity from the command line: --json prints one valid JSON object
# with the keys scripts read; the report has the PPL line and tokens/s, and with --base the
# KL statistics; llama-perplexity's and torchchat's spellings (-f, -c, --tasks wikitext
# --data, --max-seq-length, --opt=value) give the same figures; Ctrl-C stops after a chunk
# with the partial result ("interrupted": true) and exit status 130; bad input (missing,
# unreadable, empty or too short text, --ctx out of range or odd, unknown option, text
# with --task, a base model with another vocabulary) exits non-zero with "error:" naming the cause.
# Prints "N passed, M failed". Environment: BUILD, MODEL, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
if [ ! -f "$MODEL" ]; then
    echo "SKIP: $MODEL absent" >&2
    echo "0 passed, 0 failed, 20 skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 6000 /usr/share/common-licenses/GPL-3 >"$tmp/text.txt"

check() { # check DESCRIPTION EXIT-STATUS
    if [ "$2" -eq 0 ]; then ok; else bad "$1"; fi
}
# field FILE KEY: a top-level value of the JSON in FILE
field() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# expect_error RC NEEDLE ARGS...: exit status RC, "error:" and NEEDLE on stderr
expect_error() {
    local want=$1 needle=$2
    shift 2
    "$BIN" eval "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ "$rc" -eq "$want" ] && grep -q 'error:' "$tmp/err" && grep -qF -- "$needle" "$tmp/err"; then ok; else
        bad "llama-fast eval $* exited $rc (wanted $want, '$needle'); stderr: $(head -c 600 "$tmp/err")"
    fi
}

A=(--ctx 64 --chunks 2 -t 2)
"$BIN" eval "$MODEL" --perplexity "$tmp/text.txt" "${A[@]}" --json >"$tmp/a.json" 2>"$tmp/err"
check "--json run: $(cat "$tmp/err")" $?
"$PYTHON" -m json.tool "$tmp/a.json" >/dev/null
check "--json output is valid JSON: $(head -c 300 "$tmp/a.json")" $?
"$PYTHON" - "$tmp/a.json" "$MODEL" "$tmp/text.txt" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
keys = ["model", "base", "text", "ctx", "chunks", "chunks_total", "tokens_scored", "ppl", "ppl_stderr",
        "tokens_per_second", "seconds", "interrupted", "kl"]
missing = [k for k in keys if k not in j]
assert not missing, missing
assert j["model"] == sys.argv[2] and j["text"] == sys.argv[3] and j["base"] is None and j["kl"] is None, j
assert j["ctx"] == 64 and j["chunks"] == 2 and j["chunks_total"] == 2 and j["tokens_scored"] == 2 * 31, j
assert j["interrupted"] is False and 1 < j["ppl"] < 1000 and j["ppl_stderr"] > 0 and j["tokens_per_second"] > 0, j
PY
check "JSON keys and values" $?

"$BIN" eval "$MODEL" --perplexity "$tmp/text.txt" "${A[@]}" >"$tmp/human" 2>"$tmp/err"
grep -q '^PPL = [0-9.]* +/- [0-9.]* (over 62 tokens, 2 chunks of 64)$' "$tmp/human" && grep -q 'tokens/s' "$tmp/human"
check "report: $(cat "$tmp/human" "$tmp/err")" $?
ppl=$(field "$tmp/a.json" ppl)
for spelling in "-f $tmp/text.txt -c 64" "--tasks wikitext --data $tmp/text.txt --max-seq-length 64" \
    "--task=wikitext --perplexity=$tmp/text.txt --ctx=64" "--tasks wikitext --perplexity $tmp/text.txt --ctx-size 64"; do
    # shellcheck disable=SC2086 # the spelling is a list of words
    "$BIN" eval "$MODEL" $spelling --chunks 2 -t 2 --json >"$tmp/b.json" 2>"$tmp/err"
    [ "$(field "$tmp/b.json" ppl 2>/dev/null)" = "$ppl" ]
    check "'$spelling' gives the ppl of --perplexity ($ppl): $(head -c 200 "$tmp/b.json") $(cat "$tmp/err")" $?
done

"$BIN" eval "$MODEL" --perplexity "$tmp/text.txt" "${A[@]}" --base "$MODEL" >"$tmp/human" 2>"$tmp/err"
grep -q '^Mean    KLD:   0.000000' "$tmp/human" && grep -q '^Same top p: 100.000' "$tmp/human" &&
    grep -q '^Mean PPL(base)' "$tmp/human" && grep -q '^99.0%   KLD' "$tmp/human" && grep -q '^RMS Δp' "$tmp/human"
check "--base report (the model against itself): $(cat "$tmp/human" "$tmp/err")" $?
"$BIN" eval "$MODEL" --perplexity "$tmp/text.txt" "${A[@]}" --base "$MODEL" --json >"$tmp/kl.json" 2>"$tmp/err"
"$PYTHON" -c 'import json,sys; j=json.load(open(sys.argv[1])); k=j["kl"]
assert j["base"] == sys.argv[2] and k["mean"] == 0 and k["top1_agreement"] == 1 and k["ppl_ratio"] == 1, k' \
    "$tmp/kl.json" "$MODEL"
check "--base --json: $(head -c 300 "$tmp/kl.json") $(cat "$tmp/err")" $?

# Ctrl-C: a long run at a small context stops after the chunk in progress
for _ in 1 2 3; do cat /usr/share/common-licenses/GPL-3; done >"$tmp/long.txt"
"$BIN" eval "$MODEL" --perplexity "$tmp/long.txt" --ctx 16 -t 2 --json >"$tmp/int.json" 2>"$tmp/err" &
pid=$!
sleep $((2 * SLOW))
kill -INT "$pid"
wait "$pid"
rc=$?
"$PYTHON" -c 'import json,sys; j=json.load(open(sys.argv[1]))
assert j["interrupted"] is True and 0 < j["chunks"] < j["chunks_total"] and j["ppl"] > 1, j' "$tmp/int.json"
check "Ctrl-C: exit $rc (want 130), $(head -c 400 "$tmp/int.json") $(cat "$tmp/err")" $(( $? || rc != 130 ))

printf '' >"$tmp/empty.txt"
printf '\n' >"$tmp/newline.txt"
printf 'too short' >"$tmp/short.txt"
expect_error 1 "$tmp/none.txt: cannot read" "$MODEL" --perplexity "$tmp/none.txt"
expect_error 1 "$tmp: cannot read" "$MODEL" --perplexity "$tmp"
expect_error 1 "$tmp/empty.txt is empty" "$MODEL" --perplexity "$tmp/empty.txt"
expect_error 1 "$tmp/newline.txt is empty" "$MODEL" --perplexity "$tmp/newline.txt"
expect_error 1 "$tmp/short.txt tokenizes to 2 tokens; a context of 64 needs at least 128" "$MODEL" \
    --perplexity "$tmp/short.txt" --ctx 64
expect_error 2 "--ctx: '3' is not an integer in [4," "$MODEL" --perplexity "$tmp/text.txt" --ctx 3
expect_error 2 "--ctx 63 is odd" "$MODEL" --perplexity "$tmp/text.txt" --ctx 63
expect_error 1 "a context of 100000 tokens is outside [4, 8192]" "$MODEL" --perplexity "$tmp/text.txt" --ctx 100000
expect_error 2 "unexpected argument '--bogus'" "$MODEL" --perplexity "$tmp/text.txt" --bogus
expect_error 2 "no text given" "$MODEL"
expect_error 2 "--perplexity is not an option of --task hellaswag" "$MODEL" --task hellaswag --perplexity "$tmp/text.txt"
expect_error 2 "two texts given" "$MODEL" --perplexity "$tmp/text.txt" -f "$tmp/short.txt"
expect_error 1 "$tmp/nomodel.gguf" "$tmp/nomodel.gguf" --perplexity "$tmp/text.txt"
expect_error 1 "$tmp/nobase.gguf" "$MODEL" --perplexity "$tmp/text.txt" --base "$tmp/nobase.gguf"
if [ -x "${BUILD:-build}/tools/make_synthetic_model" ] &&
    "${BUILD:-build}/tools/make_synthetic_model" "$tmp/tiny.gguf" --shape tiny --type F32 >/dev/null 2>&1; then
    expect_error 1 "has a vocabulary of 49152 tokens and the base model synthetic tiny F32 one of 512" "$MODEL" \
        --perplexity "$tmp/text.txt" --base "$tmp/tiny.gguf"
else
    bad "make_synthetic_model could not write a base model with another vocabulary"
fi
"$BIN" eval --help >"$tmp/help" 2>&1 && grep -q -- '--perplexity FILE' "$tmp/help" && grep -q -- '--base BASE' "$tmp/help"
check "--help: $(head -c 300 "$tmp/help")" $?
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
