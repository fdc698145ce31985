#!/bin/bash
# The cost of structured output: decode speed ("generation tok/s" of `llama-fast
# generate`) with --json-schema beside the same generation unconstrained, runs alternated
# (the order flips every repetition) so both see the same machine load; medians. The
# schema asks for an array of 8 {name, age} objects (about 120 tokens), so that most
# tokens are drawn under the grammar, strings and structure both; sampling at the
# defaults (temperature 0.8, top-k 200), fixed seed. The unconstrained run generates as
# many tokens as the constrained one did. Also the CPU time (user + system) of the whole
# run per generated token, which a busy machine disturbs less than wall-clock speed.
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

# run MODE MAX: one generation of at most MAX tokens; appends its tok/s, token count and
# CPU ms per token to $tmp/MODE.*
run() {
    local extra=()
    [ "$1" = schema ] && extra=(--json-schema "$SCHEMA")
    /usr/bin/time -f '%U %S' -o "$tmp/$1.time" "$BIN" generate "$MODEL" --prompt "$PROMPT" -t "$THREADS" \
        --max-new-tokens "$2" --seed 1 "${extra[@]}" >"$tmp/$1.out" 2>"$tmp/$1.err"
    sed -n 's/.*generation \([0-9.]*\) tok\/s.*/\1/p' "$tmp/$1.err" >>"$tmp/$1.tps"
    local n
    n=$(sed -n 's/.*generated \([0-9]*\) tokens.*/\1/p' "$tmp/$1.err")
    echo "$n" >>"$tmp/$1.n"
    awk -v n="$n" '{ printf "%.3f\n", 1000 * ($1 + $2) / n }' "$tmp/$1.time" >>"$tmp/$1.cpu"
}

# the schema run first in odd rounds, second in even ones (then with the previous count)
n_schema=$N
for r in $(seq "$REPS"); do
    if [ $((r % 2)) = 1 ]; then
        run schema "$N"
        n_schema=$(tail -n 1 "$tmp/schema.n")
        run plain "$n_schema"
    else
        run plain "$n_schema"
        run schema "$N"
        n_schema=$(tail -n 1 "$tmp/schema.n")
    fi
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
cpu_plain=$(median <"$tmp/plain.cpu")
cpu_schema=$(median <"$tmp/schema.cpu")
echo "| run | tokens (median) | decode tok/s | CPU ms per token (whole run) |"
echo "|---|---:|---:|---:|"
echo "| unconstrained | $(median <"$tmp/plain.n") | $plain | $cpu_plain |"
echo "| --json-schema (8 objects) | $(median <"$tmp/schema.n") | $schema | $cpu_schema |"
echo
awk -v p="$plain" -v s="$schema" -v cp="$cpu_plain" -v cs="$cpu_schema" 'BEGIN {
    printf "decode speed constrained / unconstrained: %.3f (cost %.1f %%); CPU per token: %.3f (cost %.1f %%)\n",
           s / p, 100 * (1 - s / p), cs / cp, 100 * (cs / cp - 1) }'
