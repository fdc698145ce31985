#!/bin/bash
# Creates the benchmark model set: random-weight GGUF files of real shapes written by
# our own GGUF writer (tools/make_synthetic_model.c), loadable by llama-fast and by
# llama.cpp's llama-bench. Files that exist are kept; sizes are printed at the end.
#
# usage: bench/make-models.sh [FILTER...]
#   FILTER  only models whose file name contains one of these (e.g. llama3.2-1b, Q4_0)
# environment: OUT (default models/bench, git-ignored), BUILD (default build), SEED (1)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-models/bench}
BUILD=${BUILD:-build}
SEED=${SEED:-1}
TOOL=$BUILD/tools/make_synthetic_model

# shape:type, the model set of issue 3 (every matrix of the one type; norms F32)
MODELS=(
    llama2-7b:Q4_0 llama2-7b:Q8_0
    llama3.2-1b:F16 llama3.2-1b:BF16 llama3.2-1b:Q8_0 llama3.2-1b:Q4_0 llama3.2-1b:Q4_1 llama3.2-1b:Q5_0
    llama3.2-1b:Q5_1 llama3.2-1b:Q2_K llama3.2-1b:Q3_K llama3.2-1b:Q4_K llama3.2-1b:Q5_K llama3.2-1b:Q6_K
    smollm2-135m:F16 smollm2-135m:Q8_0 smollm2-135m:Q4_0 smollm2-135m:Q4_1
)

make -s BUILD="$BUILD" "$TOOL"
mkdir -p "$OUT"

wanted() {
    [ $# -eq 1 ] && return 0
    local name=$1
    shift
    for f in "$@"; do [[ $name == *"$f"* ]] && return 0; done
    return 1
}

made=()
for m in "${MODELS[@]}"; do
    shape=${m%%:*} type=${m##*:}
    file=$OUT/$shape-$type.gguf
    wanted "$file" "$@" || continue
    made+=("$file")
    if [ -f "$file" ]; then
        echo "exists: $file"
        continue
    fi
    "$TOOL" "$file" --shape "$shape" --type "$type" --seed "$SEED"
done

echo
echo "models in $OUT:"
for f in "${made[@]}"; do
    [ -f "$f" ] && awk -v f="$f" -v b="$(stat -c %s "$f")" 'BEGIN { printf "  %-44s %8.3f GB\n", f, b / 1e9 }'
done
