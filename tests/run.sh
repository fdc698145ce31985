#!/bin/bash
# Runs every test of the suite and adds up their closing "N passed, M failed" lines.
# Environment: BUILD (build dir, default build), MODEL (SmolLM2 GGUF), LF_TEST_DATA
# (shared test data, default ../shared/data), PYTHON (default python3).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
export LF_TEST_DATA=${LF_TEST_DATA:-../shared/data}
export BUILD MODEL
PYTHON=${PYTHON:-python3}
total_pass=0 total_fail=0 total_skip=0 broken=()

run() {
    local name=$1
    shift
    local log
    log=$(mktemp)
    local start=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "  $name: no result line (exit $rc)"
        tail -n 20 "$log" | sed 's/^/    /'
        broken+=("$name")
        total_fail=$((total_fail + 1))
    else
        local p=${line%% passed*} f=${line#*, } k=0
        f=${f%% failed*}
        case $line in *skipped) k=${line##*failed, }; k=${k%% skipped} ;; esac
        total_skip=$((total_skip + k))
        total_pass=$((total_pass + p))
        total_fail=$((total_fail + f))
        if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
            grep -v -E '^[0-9]+ passed' "$log" | tail -n 30 | sed 's/^/    /'
            [ "$f" = 0 ] && { broken+=("$name"); total_fail=$((total_fail + 1)); }
        fi
        printf '  %-34s %s  (%ds)\n' "$name" "$line" $((SECONDS - start))
    fi
    rm -f "$log"
}

echo "C unit tests ($BUILD/tests):"
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && run "$(basename "$t")" "$t"
done
echo "Shell tests:"
for t in tests/test_*.sh; do
    [ -f "$t" ] && run "$(basename "$t")" bash "$t"
done
echo "Conformance against reference libraries:"
run check_dequant.py "$PYTHON" tests/check_dequant.py "$BUILD"
run check_quantize.py "$PYTHON" tests/check_quantize.py "$BUILD"
run check_imatrix.py "$PYTHON" tests/check_imatrix.py "$BUILD" "$MODEL"
run check_quantize_model.py "$PYTHON" tests/check_quantize_model.py "$BUILD" "$MODEL"
run check_quantize_imatrix.py "$PYTHON" tests/check_quantize_imatrix.py "$BUILD" "$MODEL"
run check_quantize_imatrix_kl.py "$PYTHON" tests/check_quantize_imatrix_kl.py "$BUILD" "$MODEL"
[ -f tests/check_tokenizer_spm.py ] && run check_tokenizer_spm.py "$PYTHON" tests/check_tokenizer_spm.py
run check_forward.py "$PYTHON" tests/check_forward.py "$BUILD" "$MODEL" "$LF_TEST_DATA"
run check_kv_types.py "$PYTHON" tests/check_kv_types.py "$BUILD" "$MODEL" "$LF_TEST_DATA"
run check_memory.py "$PYTHON" tests/check_memory.py "$BUILD" "$MODEL"
run check_export_bin.py "$PYTHON" tests/check_export_bin.py "$BUILD" "$MODEL" "$LF_TEST_DATA"
tiktoken_work=$(mktemp -d)
run check_tiktoken.py "$PYTHON" tests/check_tiktoken.py "$BUILD" "$LF_TEST_DATA" "$tiktoken_work"
rm -rf "$tiktoken_work"
[ -f tests/check_generate.sh ] && run check_generate.sh bash tests/check_generate.sh

echo
[ ${#broken[@]} -gt 0 ] && echo "broken: ${broken[*]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ]
