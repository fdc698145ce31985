#!/bin/bash
# IQ4_NL end to end: llama.cpp's llama-quantize --pure IQ4_NL makes SmolLM2 (every matrix,
# the tied embedding included, IQ4_NL), llama-fast loads it and continues prompts
# greedily as llama.cpp's llama-simple does from the same file, on every kernel set
# this CPU has. Skipped visibly without the llama.cpp tools (bench/build-llama-cpp.sh
# tools builds them). Prints "N passed, M failed, K skipped". Environment: BUILD, MODEL,
# LLAMA_CPP_BIN.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
LLAMA_BIN=${LLAMA_CPP_BIN:-third_party/llama.cpp-tools/bin}
SETS=(scalar avx2 avx512)
PROMPTS=("Once upon a time" "The best way to learn programming is")
skipped=0
if [ ! -x "$LLAMA_BIN/llama-quantize" ] || [ ! -x "$LLAMA_BIN/llama-simple" ]; then
    skipped=$((2 + ${#PROMPTS[@]} * (1 + ${#SETS[@]})))
    echo "skipped: no llama-quantize / llama-simple in $LLAMA_BIN" >&2
    echo "0 passed, 0 failed, $skipped skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
model=$tmp/iq4nl.gguf

if "$LLAMA_BIN/llama-quantize" --allow-requantize --pure "$MODEL" "$model" IQ4_NL 2 >"$tmp/q.log" 2>&1; then
    ok
else
    bad "llama-quantize IQ4_NL: $(tail -n 3 "$tmp/q.log")"
fi
if "$BIN" info "$model" >"$tmp/info" 2>&1 && grep -q IQ4_NL "$tmp/info"; then
    ok
else
    bad "llama-fast info does not show IQ4_NL tensors: $(head -c 300 "$tmp/info")"
fi

# 40 characters of greedy continuation (about eight tokens): the same text as llama.cpp
# unless a logit near-tie falls the other way, which these prompts do not have.
for p in "${PROMPTS[@]}"; do
    "$LLAMA_BIN/llama-simple" -m "$model" -n 16 "$p" 2>/dev/null >"$tmp/ref"
    ref=$(head -c $((${#p} + 40)) "$tmp/ref" | tail -c 40)
    if [ ${#ref} = 40 ]; then ok; else bad "llama-simple gave no continuation of '$p'"; fi
    for s in "${SETS[@]}"; do
        LLAMA_FAST_SIMD=$s "$BIN" generate "$model" --prompt "$p" --temperature 0 --max-new-tokens 16 -t 1 \
            >"$tmp/out" 2>"$tmp/err"
        got=$(head -c 40 "$tmp/out")
        if [ "$got" = "$ref" ]; then ok; else bad "$s '$p': '$got' vs llama.cpp '$ref' ($(tail -n 1 "$tmp/err"))"; fi
    done
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
