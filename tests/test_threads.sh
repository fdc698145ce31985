#!/bin/bash
# Threads: the default thread count follows the CPUs the process may run on (under
# `taskset -c 0` generate's summary and bench --json report 1 thread); results do not
# depend on the thread count: prompt logits (logits_tool) are bit-identical with 1, 2, 3
# and 5 threads (more than the CPUs), and greedy decoding gives the same token ids with
# 1, 2 and 3 threads, also beside a busy loop pinned to one CPU. Every run has a time
# limit, so a stalled pool fails instead of hanging. Prints "N passed, M failed, K skipped".
# Environment: BUILD, MODEL, LF_SANITIZED (=1: slower binary, longer limits).
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
BUILD=${BUILD:-build}
BIN=$BUILD/llama-fast
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
LIMIT=120
[ "${LF_SANITIZED:-0}" = 1 ] && LIMIT=600
pass=0 fail=0 skip=0
tmp=$(mktemp -d)
busy_pid=
cleanup() {
    [ -n "$busy_pid" ] && kill "$busy_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

check() { # check LABEL COND...
    local label=$1
    shift
    if "$@"; then ok; else bad "$label"; fi
}

if ! command -v taskset >/dev/null; then
    echo "taskset not found: default thread count under an affinity mask not tested"
    skip=$((skip + 2))
else
    timeout $LIMIT taskset -c 0 "$BIN" generate "$MODEL" --prompt "Hi" --max-new-tokens 2 --temperature 0 \
        >/dev/null 2>"$tmp/gen.err"
    check "generate under taskset -c 0 reports 1 thread: $(tail -n 1 "$tmp/gen.err")" \
        grep -q "generation .* tok/s, 1 thread\b" "$tmp/gen.err"
    timeout $LIMIT taskset -c 0 "$BIN" bench "$MODEL" -p 4 -n 2 -r 1 --json >"$tmp/bench.json" 2>/dev/null
    check "bench under taskset -c 0 runs 1 thread: $(head -c 300 "$tmp/bench.json")" \
        grep -q '"threads": 1,' "$tmp/bench.json"
fi

# the default is never more than the CPUs online
timeout $LIMIT "$BIN" bench "$MODEL" -p 4 -n 0 -r 1 --json >"$tmp/bench_all.json" 2>/dev/null
n=$(sed -n 's/.*"threads": \([0-9]*\),.*/\1/p' "$tmp/bench_all.json")
check "default thread count '$n' within 1..$(nproc --all)" test -n "$n" -a "${n:-0}" -ge 1 -a "${n:-0}" -le "$(nproc --all)"

tokens=$(seq -s, 100 37 7500) # 200 ids
for t in 1 2 3 5; do
    timeout $LIMIT "$BUILD/tools/logits_tool" "$MODEL" "$tokens" $t >"$tmp/logits.$t" 2>"$tmp/logits.$t.err" ||
        bad "logits_tool with $t threads: $(cat "$tmp/logits.$t.err")"
done
size=$(stat -c %s "$tmp/logits.1" 2>/dev/null || echo 0)
check "logits_tool wrote 200 positions of logits ($size bytes)" test "$size" -gt 800000
for t in 2 3 5; do
    check "prompt logits with $t threads are bit-identical to 1 thread" cmp -s "$tmp/logits.1" "$tmp/logits.$t"
done

decode() { # decode THREADS OUT
    timeout $LIMIT "$BIN" generate "$MODEL" --prompt "The capital of France is" --max-new-tokens 48 \
        --temperature 0 --print-token-ids -t "$1" >"$2" 2>/dev/null || bad "generate -t $1 failed"
}
decode 1 "$tmp/ids.1"
check "greedy decode printed token ids" grep -q '[0-9]' "$tmp/ids.1"
for t in 2 3; do
    decode $t "$tmp/ids.$t"
    check "greedy ids with $t threads equal 1 thread's" cmp -s "$tmp/ids.1" "$tmp/ids.$t"
done
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    taskset -c 1 sh -c 'while :; do :; done' &
    busy_pid=$!
    decode 2 "$tmp/ids.busy"
    kill "$busy_pid" 2>/dev/null
    wait "$busy_pid" 2>/dev/null
    busy_pid=
    check "greedy ids with 2 threads beside a busy CPU equal 1 thread's" cmp -s "$tmp/ids.1" "$tmp/ids.busy"
else
    echo "fewer than 2 CPUs or no taskset: decode beside a busy CPU not tested"
    skip=$((skip + 1))
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
