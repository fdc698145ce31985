#!/bin/bash
# The library's warnings reach the user from every command, not only chat: a GGUF whose
# tokenizer.ggml.pre is unknown loads (with GPT-2's pre-tokenizer) and info, tokenize,
# generate, bench, template and server each say so on stderr, naming the file; the same
# model with a known pre-tokenizer loads without a warning. Metadata the program cannot
# honour is refused by every command with the key and value: a BOS id outside the
# vocabulary, a context length of 0 or 2^31. The models are written by
# tests/make_synthetic_gguf.py with the `gguf` package. Prints "N passed, M failed".
# Environment: BUILD, PYTHON, LF_SANITIZED (=1: slower binary, longer waits).
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
cleanup() {
    stop_servers
    rm -rf "$tmp"
}
trap cleanup EXIT

model() { # model OUT ARGS...: a synthetic Q8_0 model with a byte-level vocabulary
    local out=$1
    shift
    "$PYTHON" tests/make_synthetic_gguf.py "$out" Q8_0 "$@" || bad "cannot write $out"
}
model "$tmp/unknown_pre.gguf" --vocab-pre no-such-pre
model "$tmp/known_pre.gguf" --vocab-pre smollm
model "$tmp/bad_bos.gguf" --vocab-pre smollm --vocab-bos 320
model "$tmp/ctx0.gguf" --vocab-pre smollm --ctx 0
model "$tmp/ctx_huge.gguf" --vocab-pre smollm --ctx 2147483648
printf '[{"role": "user", "content": "hi"}]' >"$tmp/messages.json"

WARNING="warning: $tmp/unknown_pre.gguf: tokenizer.ggml.pre \"no-such-pre\" is unknown"
# expect_warning LABEL ARGS...: exit 0, the warning once on stderr
expect_warning() {
    local label=$1
    shift
    "$BIN" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$? n
    n=$(grep -cF -- "$WARNING" "$tmp/err")
    if [ $rc -eq 0 ] && [ "$n" = 1 ]; then ok; else bad "$label: exit $rc, warning $n times; stderr: $(head -c 600 "$tmp/err")"; fi
}
M=$tmp/unknown_pre.gguf
expect_warning info info "$M"
expect_warning tokenize tokenize "$M" --text hello
expect_warning generate generate "$M" --prompt hello --max-new-tokens 2 -t 1
expect_warning bench bench "$M" -p 8 -n 2 -r 1 -t 1
expect_warning template template "$M" --messages "$tmp/messages.json"

# a known pre-tokenizer: no warning at all
"$BIN" info "$tmp/known_pre.gguf" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ] && ! grep -q 'warning:' "$tmp/err"; then ok; else bad "known pre: exit $rc: $(cat "$tmp/err")"; fi

# the server says it at load, before it listens
start_server "$tmp/server.log" "$BIN" server "$M" --port 0 -t 1
if [ -n "$url" ] && [ "$(grep -cF -- "$WARNING" "$tmp/server.log")" = 1 ]; then ok; else
    bad "server: $(head -c 600 "$tmp/server.log")"
fi
# a model without a chat template: the ChatML fallback is said once, not per request
for _ in 1 2 3; do
    curl -s -o /dev/null "$url/v1/chat/completions" -H 'Content-Type: application/json' \
        -d '{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}'
done
n=$(grep -c 'has no chat template' "$tmp/server.log")
if [ "$n" = 1 ]; then ok; else bad "server: the ChatML fallback warned $n times in 3 requests"; fi
stop_servers TERM

# expect_refusal NEEDLE ARGS...: exit 1 with "error:", the file and NEEDLE on stderr
expect_refusal() {
    local needle=$1 file=$3
    shift
    "$BIN" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ $rc -eq 1 ] && grep -q "error: $file" "$tmp/err" && grep -qF -- "$needle" "$tmp/err"; then ok; else
        bad "$*: exit $rc; stderr lacks '$needle': $(head -c 600 "$tmp/err")"
    fi
}
expect_refusal "tokenizer.ggml.bos_token_id 320 is not a token id of the vocabulary (ids 0..319)" info "$tmp/bad_bos.gguf"
expect_refusal "tokenizer.ggml.bos_token_id 320" generate "$tmp/bad_bos.gguf" --prompt hi --max-new-tokens 1
expect_refusal "llama.context_length 0 is not a context length" info "$tmp/ctx0.gguf"
expect_refusal "llama.context_length 2147483648 is not a context length" generate "$tmp/ctx_huge.gguf" --max-new-tokens 1

# LLAMA_FAST_SIMD naming no kernel set is said, with the sets there are and the one used
LLAMA_FAST_SIMD=avx9000 "$BIN" generate "$MODEL" --prompt hi --max-new-tokens 1 >/dev/null 2>"$tmp/err"
if grep -q "warning: LLAMA_FAST_SIMD=avx9000 names no kernel set (scalar, avx2" "$tmp/err" && grep -q "; using " "$tmp/err"; then
    ok
else bad "LLAMA_FAST_SIMD=avx9000: no warning: $(head -c 300 "$tmp/err")"; fi
LLAMA_FAST_SIMD=scalar "$BIN" generate "$MODEL" --prompt hi --max-new-tokens 1 >/dev/null 2>"$tmp/err"
if grep -q "LLAMA_FAST_SIMD" "$tmp/err"; then bad "LLAMA_FAST_SIMD=scalar warned: $(head -c 300 "$tmp/err")"; else ok; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
