#!/bin/bash
# Perplexity speed, llama-fast eval --perplexity beside llama.cpp's llama-perplexity on the
# same model and text: ROUNDS alternated runs of each with the same context and thread
# count. Tokens/s = chunks x ctx / the seconds of the chunk loop (model loading and
# tokenizing excluded): ours from eval --json's "seconds", llama-perplexity's from its log's
# timestamps (tokenization done to "Final estimate", which includes its logit processing as
# ours does). Prints a markdown table of medians with both perplexities and the ratio.
#
# usage: bench/perplexity.sh [MODELS] [TEXT] [CTX] [THREADS] [ROUNDS] [CHUNKS]
#   defaults: models/SmolLM2-135M-Instruct.Q4_1.gguf,models/bench/llama3.2-1b-Q4_0.gguf
#             /usr/share/common-licenses/GPL-3  512  2  3  8
#   (CHUNKS: at most that many chunks per run; the synthetic 1B's filler vocabulary makes
#   GPL-3 68 chunks, ten minutes a run for llama-perplexity on two threads)
# Environment: LLAMA_PERPLEXITY (default third_party/llama.cpp-newest/bin/llama-perplexity),
#   LLAMA_FAST (default build/llama-fast).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODELS=${1:-$ROOT/models/SmolLM2-135M-Instruct.Q4_1.gguf,$ROOT/models/bench/llama3.2-1b-Q4_0.gguf}
TEXT=${2:-/usr/share/common-licenses/GPL-3}
CTX=${3:-512}
THREADS=${4:-2}
ROUNDS=${5:-3}
CHUNKS=${6:-8}
LP=${LLAMA_PERPLEXITY:-$ROOT/third_party/llama.cpp-newest/bin/llama-perplexity}
LF=${LLAMA_FAST:-$ROOT/build/llama-fast}
for f in "$TEXT" "$LP" "$LF"; do
    [ -e "$f" ] || { echo "error: $f not found (bench/build-llama-cpp.sh tools; make)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ours MODEL -> "tokens_per_second ppl"
ours() {
    "$LF" eval "$1" --perplexity "$TEXT" --ctx "$CTX" --chunks "$CHUNKS" -t "$THREADS" --json 2>/dev/null |
        python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["chunks"]*j["ctx"]/j["seconds"], j["ppl"])'
}

# theirs MODEL -> "tokens_per_second ppl": log lines start with a timestamp M.SS.mmm.uuu
theirs() {
    "$LP" -m "$1" -f "$TEXT" -c "$CTX" --chunks "$CHUNKS" -t "$THREADS" >"$tmp/log" 2>&1
    awk -v ctx="$CTX" '
        function t(s,  a) { split(s, a, "."); return a[1] * 60 + a[2] + a[3] / 1e3 + a[4] / 1e6 }
        /tokenization took/ { t0 = t($1) }
        /calculating perplexity over/ { for (i = 1; i <= NF; i++) if ($i == "over") chunks = $(i + 1) }
        /Final estimate: PPL =/ { t1 = t($1); for (i = 1; i <= NF; i++) if ($i == "=") ppl = $(i + 1) }
        END { if (!t1 || !chunks) exit 1; printf "%.3f %s\n", chunks * ctx / (t1 - t0), ppl }' "$tmp/log"
}

. "$ROOT/bench/lib.sh"

echo "text: $TEXT, ctx $CTX, at most $CHUNKS chunks, $THREADS threads, $ROUNDS alternated rounds, $(cpu_name)"
echo
echo "| model | llama-fast tok/s | llama-perplexity tok/s | ratio | llama-fast PPL | llama-perplexity PPL |"
echo "|---|---:|---:|---:|---:|---:|"
IFS=, read -r -a models <<< "$MODELS"
for m in "${models[@]}"; do
    : > "$tmp/lf"; : > "$tmp/lp"
    for _ in $(seq "$ROUNDS"); do
        ours "$m" >> "$tmp/lf"
        theirs "$m" >> "$tmp/lp"
    done
    a=$(cut -d' ' -f1 "$tmp/lf" | median); b=$(cut -d' ' -f1 "$tmp/lp" | median)
    awk -v m="$(basename "$m")" -v a="$a" -v b="$b" -v pa="$(cut -d' ' -f2 "$tmp/lf" | head -1)" \
        -v pb="$(cut -d' ' -f2 "$tmp/lp" | head -1)" 'BEGIN {
        printf "| %s | %.1f | %.1f | %.2f× | %.4f | %.4f |\n", m, a, b, a / b, pa, pb }'
done
