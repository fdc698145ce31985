#!/bin/bash
# Quantization throughput and memory, llama-fast beside llama.cpp's llama-quantize on the
# same source file: for each type, ROUNDS alternated runs of both programs with the same
# thread count; each run's wall time and peak RSS come from GNU time. Prints a markdown
# table of medians: source MB/s (source bytes / wall seconds), peak RSS, output size, and
# llama-fast's ratio to llama-quantize for both.
#
# usage: bench/quantize.sh [SOURCE.gguf] [TYPES] [THREADS] [ROUNDS]
#   defaults: models/bench/llama3.2-1b-F16.gguf  Q8_0,Q4_0,Q4_K_M,Q6_K  2  3
# Environment: LLAMA_QUANTIZE (default third_party/llama.cpp-newest/bin/llama-quantize),
#   LLAMA_FAST (default build/llama-fast), OUT_DIR (scratch space for the outputs; default
#   a temporary directory on the same disk as the source).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${1:-$ROOT/models/bench/llama3.2-1b-F16.gguf}
TYPES=${2:-Q8_0,Q4_0,Q4_K_M,Q6_K}
THREADS=${3:-2}
ROUNDS=${4:-3}
LQ=${LLAMA_QUANTIZE:-$ROOT/third_party/llama.cpp-newest/bin/llama-quantize}
LF=${LLAMA_FAST:-$ROOT/build/llama-fast}
for f in "$SRC" "$LQ" "$LF" /usr/bin/time; do
    [ -e "$f" ] || { echo "error: $f not found (bench/build-llama-cpp.sh tools; make; bench/make-models.sh)" >&2; exit 1; }
done
OUT_DIR=${OUT_DIR:-$(mktemp -d "$(dirname "$SRC")/quantize-bench.XXXXXX")}
trap 'rm -rf "$OUT_DIR"' EXIT
src_mb=$(( $(stat -c %s "$SRC") / 1000000 ))

# run NAME TYPE -> "seconds rss_kib out_bytes" of one run
run() {
    local out="$OUT_DIR/$1-$2.gguf" log="$OUT_DIR/time.log"
    rm -f "$out"
    if [ "$1" = llama-fast ]; then
        /usr/bin/time -f '%e %M' -o "$log" "$LF" quantize "$SRC" "$out" --type "$2" -t "$THREADS" >/dev/null 2>&1
    else
        /usr/bin/time -f '%e %M' -o "$log" "$LQ" "$SRC" "$out" "$2" "$THREADS" >/dev/null 2>&1
    fi
    echo "$(tail -1 "$log") $(stat -c %s "$out")"
    rm -f "$out"
}

. "$ROOT/bench/lib.sh"

echo "source: $SRC ($src_mb MB), $THREADS threads, $ROUNDS alternated rounds, $(cpu_name)"
echo
echo "| type | llama-fast MB/s | llama-quantize MB/s | speed ratio | llama-fast peak RSS MiB | llama-quantize peak RSS MiB | RSS ratio | output MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
IFS=, read -r -a types <<< "$TYPES"
for t in "${types[@]}"; do
    : > "$OUT_DIR/lf" ; : > "$OUT_DIR/lq"
    for _ in $(seq "$ROUNDS"); do
        run llama-fast "$t" >> "$OUT_DIR/lf"
        run llama-quantize "$t" >> "$OUT_DIR/lq"
    done
    lf_s=$(cut -d' ' -f1 "$OUT_DIR/lf" | median); lq_s=$(cut -d' ' -f1 "$OUT_DIR/lq" | median)
    lf_m=$(cut -d' ' -f2 "$OUT_DIR/lf" | median); lq_m=$(cut -d' ' -f2 "$OUT_DIR/lq" | median)
    out_mb=$(( $(cut -d' ' -f3 "$OUT_DIR/lf" | head -1) / 1000000 ))
    awk -v t="$t" -v mb="$src_mb" -v a="$lf_s" -v b="$lq_s" -v ma="$lf_m" -v mq="$lq_m" -v o="$out_mb" 'BEGIN {
        printf "| %s | %.0f | %.0f | %.2f× | %.0f | %.0f | %.2f | %d |\n", t, mb / a, mb / b, b / a, ma / 1024, mq / 1024, ma / mq, o }'
done
