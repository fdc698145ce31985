#!/bin/bash
# The sampling flags of generate, chat, server and browser on SmolLM2: every flag parses
# in both "--flag value" and "--flag=value" forms, bad values are refused naming the
# flag, and the flags take effect on greedy generations (logit bias bans and forces
# tokens; a presence penalty over the whole context forbids repeating a token; -s is
# --seed). Prints "N passed, M failed". Environment: BUILD, MODEL, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
N=$((12 / SLOW + 4))

# ids PROMPT ARGS...: the generated token ids of a greedy run, one line
ids() {
    local prompt=$1
    shift
    "$BIN" generate "$MODEL" --prompt "$prompt" --temperature 0 --max-new-tokens $N --print-token-ids "$@" 2>"$tmp/err"
}

# Every flag, in both forms.
all=(--top-k 40 --top-p 0.95 --min-p 0.05 --typical-p 0.9 --repeat-penalty 1.1 --repeat-last-n 32
    --presence-penalty 0.1 --frequency-penalty 0.1 --logit-bias 15043+1 --logit-bias 28-inf --seed 5 --temperature 0.7)
eq=()
for ((i = 0; i < ${#all[@]}; i += 2)); do eq+=("${all[i]}=${all[i + 1]}"); done
a=$("$BIN" generate "$MODEL" --prompt "Once upon a time" --max-new-tokens $N --print-token-ids "${all[@]}" 2>"$tmp/err")
rc=$?
b=$("$BIN" generate "$MODEL" --prompt "Once upon a time" --max-new-tokens $N --print-token-ids "${eq[@]}" 2>/dev/null)
if [ $rc = 0 ] && [ -n "$a" ] && [ "$a" = "$b" ]; then ok; else bad "every flag, two forms: rc $rc, '$a' vs '$b': $(cat "$tmp/err")"; fi
c=$("$BIN" generate "$MODEL" --prompt "Once upon a time" --max-new-tokens $N --print-token-ids "${all[@]}" -s 5 2>/dev/null)
if [ "$a" = "$c" ]; then ok; else bad "-s 5 differs from --seed 5"; fi
if echo "Hello" | "$BIN" chat "$MODEL" "${eq[@]}" --temperature=0 --max-new-tokens=4 >"$tmp/out" 2>"$tmp/err" && [ -s "$tmp/out" ]; then
    ok
else
    bad "chat with every flag: $(tail -n 3 "$tmp/err")"
fi
for cmd in generate chat server browser; do
    "$BIN" $cmd --help >"$tmp/help" 2>&1
    missing=
    for f in --min-p --top-k --top-p --typical-p --repeat-penalty --repeat-last-n --presence-penalty \
        --frequency-penalty --logit-bias --seed --temperature; do
        grep -q -- "$f " "$tmp/help" || missing="$missing $f"
    done
    if [ -z "$missing" ]; then ok; else bad "$cmd --help lacks$missing"; fi
done

# Bad values: exit 2 and the flag named, on every command (before any model loads).
for cmd in generate chat server browser; do
    for bad_flag in "--min-p 1.5" "--top-k -1" "--top-p 0" "--typical-p=2" "--repeat-penalty -1" "--repeat-last-n -2" \
        "--presence-penalty x" "--frequency-penalty=" "--logit-bias 15043" "--logit-bias 15043+inf" \
        "--logit-bias=abc+1" "--logit-bias -3+1" "--seed -1" "-s x" "--temperature=-1"; do
        # shellcheck disable=SC2086
        "$BIN" $cmd "$MODEL" $bad_flag >"$tmp/out" 2>"$tmp/err"
        rc=$?
        flag=${bad_flag%%[ =]*}
        if [ $rc = 2 ] && grep -q -- "$flag" "$tmp/err"; then ok; else bad "$cmd $bad_flag: exit $rc, $(head -c 300 "$tmp/err")"; fi
    done
done
"$BIN" generate "$MODEL" --logit-bias 99999999+1 --max-new-tokens 1 >"$tmp/out" 2>"$tmp/err"
if [ $? != 0 ] && grep -q "logit_bias" "$tmp/err"; then ok; else bad "a token outside the vocabulary: $(cat "$tmp/err")"; fi

# Effects on greedy runs. The reference is the run without the flag.
base=$(ids "The capital of France is")
first=${base%% *}
if [ -n "$first" ]; then ok; else bad "greedy run gave nothing: $(cat "$tmp/err")"; fi
banned=$(ids "The capital of France is" --logit-bias "$first-inf")
if [ -n "$banned" ] && [ "${banned%% *}" != "$first" ] && ! grep -qw -- "$first" <<<"$banned"; then ok; else
    bad "--logit-bias $first-inf: '$banned' (without: '$base')"
fi
forced=$(ids "The capital of France is" --logit-bias=1234+100)
if [ -n "$forced" ] && [ -z "$(tr ' ' '\n' <<<"$forced" | grep -v '^1234$' | grep .)" ]; then ok; else
    bad "--logit-bias 1234+100 should give only 1234: '$forced'"
fi
# llama.cpp's syntax with '+' is needed for positive biases, '-' for negative ones
minus=$(ids "The capital of France is" --logit-bias "$first-0")
if [ "$minus" = "$base" ]; then ok; else bad "a bias of -0 changed the answer: '$minus' vs '$base'"; fi
# a presence penalty over the whole context: no token twice, none from the prompt
prompt="one two one two one two one two one two one two"
"$BIN" tokenize "$MODEL" --text "$prompt" >"$tmp/prompt_ids" 2>/dev/null
pen=$(ids "$prompt" --presence-penalty 100 --repeat-last-n -1)
plain=$(ids "$prompt")
dups=$(tr ' ' '\n' <<<"$pen" | grep . | sort | uniq -d)
if [ -n "$pen" ] && [ -z "$dups" ]; then ok; else bad "presence penalty 100: repeated tokens '$dups' in '$pen'"; fi
if [ -n "$plain" ] && [ -n "$(tr ' ' '\n' <<<"$plain" | grep . | sort | uniq -d)" ]; then ok; else
    bad "the plain run should repeat tokens (else the check above proves nothing): '$plain'"
fi
reused=0
for t in $pen; do grep -qw -- "$t" "$tmp/prompt_ids" && reused=1; done
if [ -s "$tmp/prompt_ids" ] && [ $reused = 0 ]; then ok; else bad "prompt tokens reused under the penalty: '$pen' / $(cat "$tmp/prompt_ids")"; fi
# the same penalty with a window of 0 is off
off=$(ids "$prompt" --presence-penalty 100 --repeat-last-n 0)
if [ "$off" = "$plain" ]; then ok; else bad "--repeat-last-n 0 should turn the penalty off: '$off' vs '$plain'"; fi

echo "$pass passed, $fail failed"
