#!/bin/bash
# Speculative decoding end to end: greedy token ids with --lookup and --draft equal plain
# decoding's on the real SmolLM2-135M-Instruct and stories260K models (prompts whose
# answers copy the prompt, and prompts whose answers do not); guesses are accepted where
# the answer repeats the prompt and when a model drafts for itself (greedy and sampling);
# the summary reports acceptance; bad combinations and a draft of another vocabulary are
# refused, naming both models. Prints "N passed, M failed". Environment: BUILD, MODEL,
# LF_TEST_DATA.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
DATA=${LF_TEST_DATA:-../shared/data}
STORIES=$DATA/models/stories260K.bin
tmp=$(mktemp -d)
cleanup() {
    stop_servers
    rm -rf "$tmp"
}
trap cleanup EXIT

# The token-for-token checks run with the precise activations. Guesses are verified in one
# batch, whose float rounding differs from single steps'; plain int8 activations (the
# default) sometimes turn that into a different int8 rounding of an activation, a change
# of ~0.1 logit that tips near-ties (SmolLM2 prompt 3 parts after 40 tokens). With the
# residual the change stays ~1e-4 logit. The default mode is checked at the end: equal
# ids, or ids that part at a near-tie.
PRECISE=--precise-activations
# ids NAME ARGS...: greedy token ids of `generate ARGS` into $tmp/NAME (summary in $tmp/NAME.err)
ids() {
    local name=$1
    shift
    "$BIN" generate "$@" --temperature 0 --print-token-ids -t 2 >"$tmp/$name" 2>"$tmp/$name.err" ||
        bad "$name: exit $?: $(tail -n 2 "$tmp/$name.err")"
}
same() {
    if [ -s "$tmp/$2" ] && cmp -s "$tmp/$2" "$tmp/$3"; then ok; else
        bad "$1: ids differ: $(head -c 300 "$tmp/$2") / $(head -c 300 "$tmp/$3")"
    fi
}
# accepted NAME: the "A of D guesses accepted" of $tmp/NAME.err as "A D"
accepted() { sed -n 's/.*, \([0-9]*\) of \([0-9]*\) guesses accepted.*/\1 \2/p' "$tmp/$1.err"; }
# at_least NAME PERCENT: at least PERCENT % of the guesses were accepted (and some made)
at_least() {
    local a d
    read -r a d <<<"$(accepted "$1")"
    if [ -n "${d:-}" ] && [ "$d" -gt 0 ] && [ $((100 * a)) -ge $(($2 * d)) ]; then ok; else
        bad "$1: accepted '${a:-?}' of '${d:-?}' guesses, wanted >= $2 %: $(cat "$tmp/$1.err")"
    fi
}

chat() { printf '<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n' "$1"; }
prompts=(
    "$(chat 'Repeat exactly: The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. How vexingly quick daft zebras jump!')"
    "$(chat $'Rename the variable x to total in this code and show the whole code:\n\ndef add_all(items):\n    x = 0\n    for item in items:\n        x = x + item\n    return x\n\nprint(add_all([1, 2, 3]))')"
    "The capital of France is"
    "Once upon a time"
)
for i in "${!prompts[@]}"; do
    ids "plain$i" "$MODEL" --prompt "${prompts[$i]}" --max-new-tokens 96 $PRECISE
    for n in 1 3; do
        ids "lookup$i.$n" "$MODEL" --prompt "${prompts[$i]}" --max-new-tokens 96 --lookup $n $PRECISE
        same "SmolLM2 prompt $i --lookup $n" "plain$i" "lookup$i.$n"
    done
    ids "short$i" "$MODEL" --prompt "${prompts[$i]}" --max-new-tokens 96 --lookup 2 --draft-max 3 $PRECISE
    same "SmolLM2 prompt $i --lookup 2 --draft-max 3" "plain$i" "short$i"
done
# The answers that copy the prompt are mostly guessed right.
at_least lookup0.3 50
at_least lookup1.3 15
if grep -q "generation [0-9.]* tok/s, [0-9]* threads\{0,1\}, [0-9]* of [0-9]* guesses accepted ([0-9.]* %)" "$tmp/lookup0.3.err"; then ok; else
    bad "summary without acceptance: $(cat "$tmp/lookup0.3.err")"
fi
if grep -q "guesses accepted" "$tmp/plain0.err"; then bad "plain decoding reports guesses"; else ok; fi

# stories260K (ids only, no tokenizer): the stories repeat themselves.
ids s_plain "$STORIES" --max-new-tokens 250
ids s_lookup "$STORIES" --max-new-tokens 250 --lookup 2
same "stories260K --lookup 2" s_plain s_lookup
at_least s_lookup 5
ids s_draft "$STORIES" --max-new-tokens 250 --draft "$STORIES"
same "stories260K drafting for itself" s_plain s_draft
at_least s_draft 90

# A model drafting for itself agrees with itself: identical ids, almost every guess kept.
ids self "$MODEL" --prompt "${prompts[3]}" --max-new-tokens 96 --draft "$MODEL" $PRECISE
same "SmolLM2 drafting for itself" plain3 self
at_least self 90
# Sampling with a draft: a guess is kept with probability min(1, p/q); p = q keeps them.
# With the residual the draft's single-token logits (q) and the verifying batch's (p) are
# equal to ~1e-4 logit, so almost every guess stays. With plain int8 activations (the
# default) they are not: 70-80 % of guesses stayed over seeds 7-9 (SmolLM2, Intel
# AVX-512), while greedy runs part only at near-ties (<= 0.07 logit); the bound below
# only says the rule still keeps most of them.
for mode in precise:90 default:50; do
    name=sampled_${mode%%:*}
    flags=()
    [ "${mode%%:*}" = precise ] && flags=("$PRECISE")
    if "$BIN" generate "$MODEL" --prompt "Once upon a time" --temperature 1 --seed 7 --max-new-tokens 48 -t 2 \
        --draft "$MODEL" "${flags[@]}" >"$tmp/$name" 2>"$tmp/$name.err" && [ -s "$tmp/$name" ]; then ok; else
        bad "sampling with --draft (${mode%%:*}): $(cat "$tmp/$name.err")"
    fi
    at_least "$name" "${mode##*:}"
done
# Sampling with lookup: reproducible for a seed; a cool temperature still copies. One
# sampled answer may wander off the prompt (seed 11 accepts 29 % of its guesses, seed 13
# 12 %, seed 14 61 %, and a change of rounding in the batched kernels moves them), so the
# acceptance is summed over five seeds (42 % at the time of writing).
samp() { # samp NAME SEED
    "$BIN" generate "$MODEL" --prompt "${prompts[0]}" --temperature 0.2 --seed "$2" --max-new-tokens 48 -t 2 \
        --lookup 2 >"$tmp/$1" 2>"$tmp/$1.err" || bad "sampling with --lookup: exit $?"
}
samp samp_lookup1 11
samp samp_lookup2 11
same "sampling with --lookup reproduces a seed" samp_lookup1 samp_lookup2
for seed in 12 13 14 15; do samp "samp_seed$seed" "$seed"; done
sa=0 sd=0
for name in samp_lookup1 samp_seed12 samp_seed13 samp_seed14 samp_seed15; do
    read -r a d <<<"$(accepted "$name")"
    sa=$((sa + ${a:-0})) sd=$((sd + ${d:-0}))
done
if [ "${sd:-0}" -gt 0 ] && [ $((100 * sa)) -ge $((30 * sd)) ]; then ok; else
    bad "sampling with --lookup over five seeds: accepted ${sa:-?} of ${sd:-?} guesses, wanted >= 30 %"
fi

# chat: the same answers, turn after turn (the caches of model and draft follow the
# conversation), and --verbose reports the guesses.
printf 'Repeat exactly: The quick brown fox jumps over the lazy dog.\nNow repeat it again, twice.\nWhat is 2+2?\n' >"$tmp/turns"
for f in plain lookup draft; do
    case $f in plain) extra=() ;; lookup) extra=(--lookup 3) ;; draft) extra=(--draft "$MODEL") ;; esac
    "$BIN" chat "$MODEL" --temperature 0 -t 2 --max-new-tokens 48 --verbose $PRECISE "${extra[@]}" <"$tmp/turns" \
        >"$tmp/chat_$f" 2>"$tmp/chat_$f.err" || bad "chat $f: exit $?: $(tail -n 2 "$tmp/chat_$f.err")"
done
same "chat --lookup 3" chat_plain chat_lookup
same "chat --draft (itself)" chat_plain chat_draft
n=$(grep -c 'guesses accepted' "$tmp/chat_lookup.err")
if [ "$n" -ge 2 ]; then ok; else bad "chat --verbose reports guesses in $n turns: $(cat "$tmp/chat_lookup.err")"; fi
if "$BIN" chat "$MODEL" --draft "$STORIES" </dev/null >"$tmp/r.out" 2>"$tmp/r.err"; then
    bad "chat accepted a draft of another vocabulary"
elif grep -q "stories260K.*Smollm2\|Smollm2.*stories260K" "$tmp/r.err"; then ok; else
    bad "chat draft mismatch: $(cat "$tmp/r.err")"
fi

# server: the same greedy answers from every slot, several requests at once.
# server NAME ARGS...: a server on a free loopback port; sets $url ("" on failure)
server() {
    local log=$tmp/$1.log
    shift
    start_server "$log" "$BIN" server "$MODEL" --port 0 -t 2 --parallel 2 --max-seq-len 1024 $PRECISE "$@" ||
        bad "server $* did not start: $(tail -n 3 "$log")"
}
# ask URL N OUT: the greedy answer to prompt N (chat) into OUT
ask() {
    local body
    body=$(printf '%s' "${prompts[$2]}" | python3 -c 'import json,sys; p=sys.stdin.read()
print(json.dumps({"prompt": p, "temperature": 0, "max_tokens": 64}))')
    curl -s --max-time $((60 * SLOW)) -H 'Content-Type: application/json' -d "$body" "$1/v1/completions" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["choices"][0]["text"])' >"$3" 2>"$3.err"
}
server srv_plain
plain_url=$url
server srv_lookup --lookup 3
lookup_url=$url
server srv_draft --draft "$MODEL" --draft-max 6
draft_url=$url
for i in 0 1 3; do
    ask "$plain_url" $i "$tmp/sp$i"
    # two at once: both slots run, interleaved
    ask "$lookup_url" $i "$tmp/sl$i" &
    a=$!
    ask "$draft_url" $i "$tmp/sd$i" &
    b=$!
    ask "$lookup_url" $(((i + 1) % 4)) "$tmp/sx$i"
    wait $a $b
    same "server --lookup 3, prompt $i" sp$i sl$i
    same "server --draft (itself), prompt $i" sp$i sd$i
done
ask "$plain_url" 1 "$tmp/sp_next"
same "server --lookup 3, a request beside another" sp_next sx0
stop_servers TERM
if "$BIN" server "$MODEL" --port 0 --draft "$STORIES" >"$tmp/r.out" 2>"$tmp/r.err"; then
    bad "server accepted a draft of another vocabulary"
elif grep -q "stories260K.*Smollm2" "$tmp/r.err"; then ok; else bad "server draft mismatch: $(cat "$tmp/r.err")"; fi

# Default activations: --lookup and --draft give plain decoding's ids, or ids that part
# at a near-tie: at the first step where they differ, plain decoding's token and the other
# are within TIE_LOGITS of each other in a one-batch decode of the common prefix. Bound:
# single-token decode and a batch sum the same int8 products in different orders, and a
# float difference that moves one activation across an int8 rounding boundary moves the
# logits; the partings measured on AVX-512 are 0.13-0.33 logit apart, below plain int8's
# whole error against f32 arithmetic (~0.6 logit per position, median of the largest).
TIE_LOGITS=0.5
same_or_tie() { # same_or_tie NAME PROMPT_INDEX PLAIN OTHER
    if "$PYTHON" - "${BUILD:-build}" "$MODEL" "${prompts[$2]}" "$tmp/$3" "$tmp/$4" "$TIE_LOGITS" <<'PY'; then ok; else bad "$1"; fi
import subprocess, sys
import numpy as np
build, model, prompt, a, b, tol = sys.argv[1:7]
a, b = [list(map(int, open(f).read().split())) for f in (a, b)]
k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
if k is None:
    sys.exit(0 if len(a) == len(b) and a else f"ids: {len(a)} / {len(b)}")
ids = [int(x) for x in subprocess.run([f"{build}/llama-fast", "tokenize", model, "--parse-special", "--text", prompt],
                                      check=True, capture_output=True, text=True).stdout.split()] + a[:k]
out = subprocess.run([f"{build}/tools/logits_tool", model, ",".join(map(str, ids)), "2"], check=True,
                     capture_output=True).stdout
logits = np.frombuffer(out, dtype=np.float32)[-len(out) // 4 // len(ids):]
gap = abs(float(logits[a[k]]) - float(logits[b[k]]))
print(f"parted at step {k}: {a[k]} / {b[k]}, {gap:.3f} logit apart")
sys.exit(0 if gap <= float(tol) else f"step {k}: {a[k]} and {b[k]} are {gap:.3f} logit apart, more than {tol}")
PY
}
for i in 0 1 3; do
    args=("$MODEL" --prompt "${prompts[$i]}" --max-new-tokens 96)
    ids "d_plain$i" "${args[@]}"
    ids "d_lookup$i" "${args[@]}" --lookup 3
    same_or_tie "default activations, prompt $i --lookup 3" $i "d_plain$i" "d_lookup$i"
done
ids d_self "$MODEL" --prompt "${prompts[3]}" --max-new-tokens 96 --draft "$MODEL"
same_or_tie "default activations, drafting for itself" 3 d_plain3 d_self

# Refusals: exit 1 or 2 with a message, nothing generated.
refuse() {
    local name=$1 want=$2
    shift 2
    "$BIN" generate "$@" --max-new-tokens 4 >"$tmp/r.out" 2>"$tmp/r.err"
    local rc=$?
    if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -qF -- "$want" "$tmp/r.err" && [ ! -s "$tmp/r.out" ]; then ok; else
        bad "$name: exit $rc, wanted '$want' in: $(cat "$tmp/r.err") / out: $(head -c 200 "$tmp/r.out")"
    fi
}
refuse "vocabulary mismatch" "has 512 tokens and the model" "$MODEL" --draft "$STORIES"
refuse "mismatch names the draft" "stories260K" "$MODEL" --draft "$STORIES"
refuse "mismatch names the model" "Smollm2" "$MODEL" --draft "$STORIES"
refuse "both sources" "cannot be used together" "$MODEL" --draft "$MODEL" --lookup 2
refuse "lookup 0" "--lookup" "$MODEL" --lookup 0
refuse "lookup too long" "--lookup" "$MODEL" --lookup 65
refuse "draft-max 0" "--draft-max" "$MODEL" --lookup 2 --draft-max 0
refuse "missing draft" "missing" "$MODEL" --draft "$tmp/missing.gguf"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
