#!/bin/bash
# Speculative decoding against plain decoding: effective decode speed (generated tokens
# after the first, over the time since the first; what `llama-fast generate` prints as
# "generation tok/s") of greedy answers with --lookup N (and --draft MODEL when DRAFT is
# set) beside plain decoding, runs alternated (the order flips every repetition) so both
# see the same machine load; medians. Prompts (bench/prompts/, as ChatML user turns):
# proofread (the answer repeats the prompt with two words fixed), code_rename (a rename
# in a Python file; SmolLM2-135M explains more than it copies), poem (nothing to copy:
# the cost of guesses that fail). Also checks that the speculative answers' token ids
# equal plain decoding's.
#
# usage: bench/speculative.sh [MODEL]
# environment: BIN (build/llama-fast), THREADS (1), REPS (5), N (200 tokens at most),
#              LOOKUP (3), DRAFT_MAX (10), DRAFT (a draft model: adds a --draft column),
#              PROMPTS (proofread code_rename poem)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/llama-fast}
MODEL=${1:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
THREADS=${THREADS:-1}
REPS=${REPS:-5}
N=${N:-200}
LOOKUP=${LOOKUP:-3}
DRAFT_MAX=${DRAFT_MAX:-10}
DRAFT=${DRAFT:-}
PROMPTS=${PROMPTS:-proofread code_rename poem}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# run MODE PROMPT_FILE: one greedy generation; appends its tok/s and acceptance to $tmp/MODE.*
run() {
    local mode=$1 extra=()
    case $mode in
        lookup) extra=(--lookup "$LOOKUP" --draft-max "$DRAFT_MAX") ;;
        draft) extra=(--draft "$DRAFT" --draft-max "$DRAFT_MAX") ;;
    esac
    local prompt
    prompt=$(printf '<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n' "$(cat "$2")")
    "$BIN" generate "$MODEL" --prompt "$prompt" --temperature 0 -t "$THREADS" --max-new-tokens "$N" \
        --print-token-ids "${extra[@]}" >"$tmp/$mode.ids" 2>"$tmp/$mode.err"
    sed -n 's/.*generation \([0-9.]*\) tok\/s.*/\1/p' "$tmp/$mode.err" >>"$tmp/$mode.tps"
    sed -n 's/.*generated \([0-9]*\) tokens.*/\1/p' "$tmp/$mode.err" >"$tmp/$mode.n"
    sed -n 's/.*, \([0-9]*\) of \([0-9]*\) guesses accepted.*/\1 \2/p' "$tmp/$mode.err" >"$tmp/$mode.acc"
    if [ "$mode" != plain ] && ! cmp -s "$tmp/plain.ids" "$tmp/$mode.ids"; then echo 1 >"$tmp/$mode.differs"; fi
}

modes=(plain lookup)
[ -n "$DRAFT" ] && modes+=(draft)
echo "# Speculative decoding: $(basename "$MODEL")"
echo
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs available; threads $THREADS;" \
     "greedy, at most $N tokens; --lookup $LOOKUP, --draft-max $DRAFT_MAX${DRAFT:+, --draft $(basename "$DRAFT")};" \
     "median of $REPS alternated runs; $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
printf '| %-12s | %6s | %11s |' prompt tokens "plain tok/s"
for m in "${modes[@]:1}"; do printf ' %11s | %7s | %8s | %9s |' "$m tok/s" speedup accepted "same ids"; done
echo
printf '%s' '|--------------|-------:|------------:|'
for m in "${modes[@]:1}"; do printf '%s' '------------:|--------:|---------:|----------:|'; done
echo
for p in $PROMPTS; do
    file=bench/prompts/$p.txt
    rm -f "$tmp"/*.tps "$tmp"/*.differs
    run plain "$file" # warm-up (page cache), and the reference ids
    : >"$tmp/plain.tps"
    for r in $(seq "$REPS"); do
        if [ $((r % 2)) = 1 ]; then order=("${modes[@]}"); else order=($(printf '%s\n' "${modes[@]}" | tac)); fi
        for m in "${order[@]}"; do run "$m" "$file"; done
    done
    base=$(median <"$tmp/plain.tps")
    printf '| %-12s | %6s | %11s |' "$p" "$(cat "$tmp/plain.n")" "$base"
    for m in "${modes[@]:1}"; do
        tps=$(median <"$tmp/$m.tps")
        read -r a d <"$tmp/$m.acc" || { a=0; d=0; }
        acc=$(awk -v a="${a:-0}" -v d="${d:-0}" 'BEGIN{if (d > 0) printf "%.0f %%", 100 * a / d; else print "-"}')
        same=yes
        [ -f "$tmp/$m.differs" ] && same=NO
        printf ' %11s | %6sx | %8s | %9s |' "$tps" "$(awk -v a="$tps" -v b="$base" 'BEGIN{printf "%.2f", a / b}')" "$acc" "$same"
    done
    echo
done
