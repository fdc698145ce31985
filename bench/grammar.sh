#!/bin/bash
# The cost of structured output: decode speed ("generation tok/s" of `llama-fast
# generate`) with --json-schema beside the same generation unconstrained, runs alternated
# (the order flips every repetition) so both see the same machine load; medians. The
# schema asks for an array of 8 {name, age} objects (about 120 tokens), so that most
# tokens are drawn under the grammar, strings and structure both; sampling at the
# defaults (temperature 0.8, top-k 200), fixed seed.
#
# usage: bench/grammar.sh [MODEL]
# environment: BIN (build/llama-fast), THREADS (2), REPS (5), N (160 tokens at most)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=${BIN:-build/llama-fast}
MODEL=${1:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
THREADS=${THREADS:-2}
REPS=${REPS:-5}
N=${N:-160}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SCHEMA='{"type":"array","minItems":8,"maxItems":8,"items":{"type":"object","properties":{"name":{"type":"string","maxLength":20},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}}'
PROMPT=$'<|im_start|>user\nList eight people with their ages as JSON.<|im_end|>\n<|im_start|>assistant\n'

# run MODE: one generation; appends its tok/s and token count to $tmp/MODE.*
run() {
    local extra=()
    [ "$1" = schema ] && extra=(--json-schema "$SCHEMA")
    "$BIN" generate "$MODEL" --prompt "$PROMPT" -t "$THREADS" --max-new-tokens "$N" --seed 1 "${extra[@]}" \
        >"$tmp/$1.out" 2>"$tmp/$1.err"
    sed -n 's/.*generation \([0-9.]*\) tok\/s.*/\1/p' "$tmp/$1.err" >>"$tmp/$1.tps"
    sed -n 's/.*generated \([0-9]*\) tokens.*/\1/p' "$tmp/$1.err" >>"$tmp/$1.n"
}

for r in $(seq "$REPS"); do
    if [ $((r % 2)) = 1 ]; then run plain; run schema; else run schema; run plain; fi
done
python3 -c 'import json,sys; json.loads(open(sys.argv[1]).read())' "$tmp/schema.out" ||
    { echo "the constrained answer is not JSON: $(cat "$tmp/schema.out")" >&2; exit 1; }
plain=$(median <"$tmp/plain.tps")
schema=$(median <"$tmp/schema.tps")
echo "# Structured output: $(basename "$MODEL")"
echo
echo "CPU: $(cpu_name), $(nproc) CPUs available; threads $THREADS; median of $REPS alternated runs;" \
     "$(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "| run | tokens (median) | decode tok/s |"
echo "|---|---:|---:|"
echo "| unconstrained | $(median <"$tmp/plain.n") | $plain |"
echo "| --json-schema (8 objects) | $(median <"$tmp/schema.n") | $schema |"
echo
awk -v p="$plain" -v s="$schema" 'BEGIN { printf "constrained / unconstrained: %.3f (cost %.1f %%)\n", s / p, 100 * (1 - s / p) }'
