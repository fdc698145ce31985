#!/bin/bash
# --quantize and --dtype from the command line: generate, chat, server, browser and bench
# list them in --help; generate, bench, info and server convert SmolLM2 (Q4_1, rows of
# 576) at load and say what they made (a quantized source requantized with a warning,
# K-quants falling back as llama.cpp does, naming the tensor); bad schemes and dtypes exit
# 1 naming the field. Prints "N passed, M failed". Environment: BUILD, MODEL, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
cleanup() {
    stop_servers
    rm -rf "$tmp"
}
trap cleanup EXIT
INT8='{"linear:int8": {"groupsize": 0}, "embedding": {"bitwidth": 8, "groupsize": 0}}'

for cmd in generate chat server browser bench; do
    out=$("$BIN" "$cmd" --help 2>&1)
    if grep -q -- '--quantize SCHEME' <<<"$out" && grep -q -- '--dtype TYPE' <<<"$out"; then ok; else
        bad "$cmd --help lacks --quantize/--dtype"
    fi
done

# expect LABEL STATUS WORDS ARGS...: the exit status, and stderr containing WORDS (a grep -E pattern list, | separated)
expect() {
    local label=$1 status=$2 words=$3
    shift 3
    timeout $((120 * SLOW)) "$BIN" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ "$rc" = "$status" ] && grep -qE -- "$words" "$tmp/err"; then ok; else
        bad "$label: exit $rc (want $status), stderr: $(head -c 600 "$tmp/err")"
    fi
}

expect "generate int8" 0 "weights converted: linear Q8_0, output Q8_0, embedding Q8_0" \
    generate "$MODEL" --quantize "$INT8" --prompt "Paris is" --max-new-tokens 4 --temperature 0 -t 1
if [ "$(grep -c 'requantizing through f32' "$tmp/err")" = 1 ] && [ -s "$tmp/out" ]; then ok; else
    bad "generate int8: want one requantize warning and some text: $(head -c 600 "$tmp/err")"
fi
expect "generate Q4_K falls back" 0 "tensor 'blk.0.attn_q.weight': rows of 576 are not a multiple of Q4_K's 256; Q5_0 instead" \
    generate "$MODEL" --quantize '{"linear:int4": {"groupsize": 256}}' --prompt "Hi" --max-new-tokens 2 -t 1
expect "generate dtype" 0 "other float matrices F16" generate "$MODEL" --dtype fp16 --prompt "Hi" --max-new-tokens 2 -t 1
expect "info" 0 "weights converted" info "$MODEL" --quantize "$INT8"
if grep -q "Q8_0×" "$tmp/out" && ! grep -q "Q4_1×" "$tmp/out"; then ok; else bad "info: $(grep types "$tmp/out")"; fi
expect "bench" 0 "weights converted" bench "$MODEL" --quantize "$INT8" -p 8 -n 4 -r 1 -t 1
if grep -qE '\| Q8_0 +\|' "$tmp/out"; then ok; else bad "bench does not show Q8_0: $(cat "$tmp/out")"; fi

expect "bad groupsize" 1 'groupsize" 48 .*group sizes that work: 0 \(per channel, as Q4_0\), 32 \(Q4_0\), 256 \(Q4_K\)' \
    generate "$MODEL" --quantize '{"linear:int4": {"groupsize": 48}}' --prompt x
expect "unknown field" 1 'unknown field "bits"' generate "$MODEL" --quantize '{"embedding": {"bits": 8}}' --prompt x
expect "unknown key" 1 'unknown quantizer "linear:int2"' bench "$MODEL" --quantize '{"linear:int2": {}}'
expect "bad dtype" 1 "unknown dtype 'int4'" chat "$MODEL" --dtype int4
expect "missing file" 1 "$tmp/none.json" server "$MODEL" --quantize "$tmp/none.json" --port 0
expect "missing value" 2 "--quantize" generate "$MODEL" --quantize
printf '{"linear:int8": {"groupsize": 32}}\n' >"$tmp/scheme.json"
expect "scheme file" 0 "linear Q8_0, output Q8_0, embedding as loaded" \
    generate "$MODEL" --quantize "$tmp/scheme.json" --prompt "Hi" --max-new-tokens 2 -t 1

start_server "$tmp/server.log" "$BIN" server "$MODEL" --port 0 -t 1 --quantize "$INT8" --dtype bf16
if [ -n "$url" ] && grep -q "weights converted: linear Q8_0" "$tmp/server.log"; then ok; else
    bad "server: $(head -c 600 "$tmp/server.log")"
fi
stop_servers TERM
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
