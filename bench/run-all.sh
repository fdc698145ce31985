#!/bin/bash
# Issue 3's side-by-side table in one command, on a fresh machine: builds llama-fast and
# llama.cpp's llama-bench in two versions (bench/build-llama-cpp.sh all): the newest, which
# every ratio is against, and b4875, the peer of the earlier tables, as a second column.
# Measures the memory read bandwidth (bench/bandwidth.sh, 8 streams per thread; the best of
# 10 runs is the limit) and the f32 FMA / bf16 / int8 dot peaks (bench/peak.sh), writes the synthetic models (bench/make-models.sh) and fetches the
# real SmolLM2, then runs bench/compare.py on every model at 1 and 2 threads, alternating
# the three programs, in llama-fast's default mode (plain int8 activations, llama.cpp's
# precision) and with --precise-activations (int8 activations + their rounding residual).
# Then the other tables of bench/RESULTS.md: decode at depth 4096 beside depth 0 for each KV
# cache type (bench/context_scaling.sh, 1B Q4_0, against the newest llama.cpp), decode with
# a busy CPU beside it (bench/contended.sh), speculative decoding (bench/speculative.sh) and,
# on a CPU with AVX-512, the comparison again with both programs held to AVX2 (llama-fast's
# avx2 kernel set, the newest llama.cpp built without AVX-512): the stand-in for an AVX2-only
# machine when none is at hand (default mode, ROUNDS rounds).
# Tables (markdown) and every sample (JSON) go to $OUT; the markdown is also printed.
#
# usage: bench/run-all.sh [FILTER...]
#   FILTER  only models whose file name contains one of these (e.g. llama3.2-1b Q4_0)
# environment: ROUNDS (5), THREADS (1,2), OUT (bench/results/YYYY-MM-DD), MODES
#              ("default precise"), WAIT_QUIET (20: seconds to wait for quiet CPUs per run),
#              EXTRAS ("depth contended speculative avx2": the tables after the comparison)
# The whole set (7B models included) takes hours on two cores; a filter such as
# `bench/run-all.sh llama3.2-1b smollm2` takes about half an hour.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-1,2}
OUT=${OUT:-bench/results/$(date +%Y-%m-%d)}
MODES=${MODES:-default precise}
WAIT_QUIET=${WAIT_QUIET:-20}
EXTRAS=${EXTRAS:-depth contended speculative avx2}
PYTHON=${PYTHON:-python3}

make -s build/llama-fast build/tools/make_synthetic_model models/SmolLM2-135M-Instruct.Q4_1.gguf
bench/build-llama-cpp.sh all
mkdir -p "$OUT"

echo "== memory read bandwidth"
bench/bandwidth.sh --threads 1,2 --streams 8 --json | tee "$OUT/bandwidth.json"
bw() { # THREADS -> best GB/s of the last JSON line
    tail -n 1 "$OUT/bandwidth.json" | "$PYTHON" -c 'import json, sys
r = [x for x in json.load(sys.stdin)["results"] if x["threads"] == int(sys.argv[1])]
print(r[0]["best_gbs"])' "$1"
}
BW1=$(bw 1)
BW2=$(bw 2)

echo "== arithmetic peaks (the GEMMs' fractions of them are in bench/RESULTS.md)"
bench/peak.sh --threads "$THREADS" | tee "$OUT/peak.txt"

echo "== models"
# (OUT is our results directory; the models go where the loop below looks for them)
OUT=models/bench bench/make-models.sh "$@"
models=()
for f in models/SmolLM2-135M-Instruct.Q4_1.gguf models/bench/*.gguf; do
    name=$(basename "$f")
    if [ $# -gt 0 ]; then
        keep=0
        for filter in "$@"; do [[ $name == *"$filter"* ]] && keep=1; done
        # the real SmolLM2 goes with the smollm2 shape
        [[ $name == SmolLM2* ]] && for filter in "$@"; do [[ smollm2-135m == *"$filter"* ]] && keep=1; done
        [ $keep -eq 1 ] || continue
    fi
    models+=("$f")
done

status=0
for mode in $MODES; do
    extra=()
    [ "$mode" = precise ] && extra=(--ours-extra-args=--precise-activations)
    echo "== compare, llama-fast mode: $mode"
    "$PYTHON" bench/compare.py "${models[@]}" --rounds "$ROUNDS" -t "$THREADS" "${extra[@]}" \
        --bandwidth-gbps-1 "$BW1" --bandwidth-gbps-2 "$BW2" --wait-quiet "$WAIT_QUIET" \
        --markdown-out "$OUT/compare-$mode.md" --json-out "$OUT/compare-$mode.json" || status=1
done
for extra in $EXTRAS; do
    case $extra in
    depth)
        echo "== decode at depth (context_scaling.sh)"
        THREADS=$THREADS bench/context_scaling.sh models/bench/llama3.2-1b-Q4_0.gguf | tee "$OUT/depth.md" || status=1 ;;
    contended)
        echo "== decode beside a busy CPU (contended.sh)"
        bench/contended.sh models/bench/llama3.2-1b-Q4_0.gguf --json "$OUT/contended.json" | tee "$OUT/contended.md" ||
            status=1 ;;
    speculative)
        echo "== speculative decoding (speculative.sh)"
        bench/speculative.sh models/SmolLM2-135M-Instruct.Q4_1.gguf | tee "$OUT/speculative.md" || status=1 ;;
    avx2)
        if ! grep -qw avx512f /proc/cpuinfo; then
            echo "== avx2 table skipped: this CPU has no AVX-512, so the tables above are its AVX2 numbers"
            continue
        fi
        echo "== compare with both programs held to AVX2 (llama-fast: LLAMA_FAST_SIMD=avx2)"
        bench/build-llama-cpp.sh avx2
        LLAMA_FAST_SIMD=avx2 "$PYTHON" bench/compare.py "${models[@]}" --rounds "$ROUNDS" -t "$THREADS" \
            --peer avx2=third_party/llama.cpp-avx2/bin/llama-bench \
            --bandwidth-gbps-1 "$BW1" --bandwidth-gbps-2 "$BW2" --wait-quiet "$WAIT_QUIET" \
            --markdown-out "$OUT/compare-avx2.md" --json-out "$OUT/compare-avx2.json" || status=1 ;;
    *)
        echo "run-all.sh: EXTRAS: unknown table '$extra' (known: depth contended speculative avx2)" >&2
        status=1 ;;
    esac
done
echo "tables: $OUT/*.md (bandwidth $BW1 / $BW2 GB/s at 1 / 2 threads)"
exit $status
