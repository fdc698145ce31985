#!/bin/bash
# llama-fast chat on the real SmolLM2-135M-Instruct model (ChatML template), fed through a
# pipe: greedy answers equal `generate` on the same rendered prompt, the KV cache is
# reused between turns (--verbose counts), /reset, context overflow (oldest turns dropped,
# system prompt kept, answers cut at the context end), /exit and end of input, refusals of
# bad options and inputs. tests/check_chat_tty.py drives a real terminal: line editing,
# history, Ctrl-C and Ctrl-D.
# Prints "N passed, M failed". Environment: BUILD, MODEL, LF_TEST_DATA, PYTHON, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/llama-fast
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
DATA=${LF_TEST_DATA:-../shared/data}
PYTHON=${PYTHON:-python3}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
}
check() { # check NAME CONDITION-COMMAND...
    local name=$1
    shift
    if "$@"; then ok; else bad "$name"; fi
}
# The checks of answer texts run with the precise activations. SmolLM2's answers start at
# near-ties: to "What is the capital of France?" with its default system prompt, "The"
# leads "L" by 0.08 logit in f32 arithmetic, plain int8 activations (the default, errors
# ~0.6 logit) put "L" first, and a prompt partly reused from the cache, decoded in other
# pieces, can tip such a tie the other way. The precise mode's error is ~0.01 logit.
# The default mode is checked at (g): the same answers as generate's.
PRECISE=--precise-activations
# chat INPUT ARGS...: runs chat on MODEL with the lines of INPUT as its stdin; stdout in
# $tmp/out, stderr in $tmp/err, exit status in $rc
chat() {
    printf '%s' "$1" >"$tmp/in"
    shift
    "$BIN" chat "$MODEL" "$@" <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
# The "prompt N tokens: R reused, M new" numbers of every turn, one "N R M" line each.
turn_stats() { sed -n 's/.*\[prompt \([0-9]*\) tokens: \([0-9]*\) reused, \([0-9]*\) new.*/\1 \2 \3/p' "$tmp/err"; }

SYS="You are a helpful assistant."
Q1="What is the capital of France?"
Q2="And what is the capital of Germany?"
# render SYSTEM USER: $prompt is what `llama-fast template` makes of a system + user turn
# with the generation prompt (read back through a file: command substitution would drop
# its closing newline), $chatml the ChatML text SmolLM2's format has for it.
render() {
    printf '[{"role": "system", "content": "%s"}, {"role": "user", "content": "%s"}]' "$1" "$2" >"$tmp/msgs.json"
    "$BIN" template "$MODEL" --messages "$tmp/msgs.json" --add-generation-prompt >"$tmp/rendered"
    prompt=$(cat "$tmp/rendered" && printf x)
    prompt=${prompt%x}
    printf -v chatml '<|im_start|>system\n%s<|im_end|>\n<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n' "$1" "$2"
}

# (a) The first greedy answer is what generate prints for the same rendered prompt.
render "$SYS" "Name three colours of the rainbow."
"$BIN" generate "$MODEL" --prompt "$prompt" --temperature 0 --max-new-tokens 64 $PRECISE >"$tmp/gen2" 2>/dev/null
render "$SYS" "$Q1"
check "the template renders ChatML: '$prompt'" test "$prompt" = "$chatml"
"$BIN" generate "$MODEL" --prompt "$prompt" --temperature 0 --max-new-tokens 64 $PRECISE >"$tmp/gen1" 2>/dev/null
chat "$(printf '%s\n%s\n/reset\n%s\n/reset\nName three colours of the rainbow.\n' "$Q1" "$Q2" "$Q1")" \
    --system "$SYS" --temperature 0 --max-new-tokens 64 --verbose -t 2 $PRECISE
check "chat exits 0 at the end of input (exit $rc: $(tail -n 3 "$tmp/err"))" test $rc -eq 0
mapfile -t answers <"$tmp/out"
check "four answers, one line each: $(head -c 600 "$tmp/out")" test ${#answers[@]} -eq 4
check "answer 1 '${answers[0]:-}' = generate's '$(cat "$tmp/gen1")'" test "${answers[0]:-}" = "$(cat "$tmp/gen1")"
check "answer 1 names Paris" grep -q Paris <<<"${answers[0]:-}"
check "answer 2 names Berlin: '${answers[1]:-}'" grep -q Berlin <<<"${answers[1]:-}"
# (c) after /reset the same question gets the same answer
check "answer after /reset '${answers[2]:-}' = first '${answers[0]:-}'" test "${answers[2]:-}" = "${answers[0]:-}"
check "rainbow answer after /reset = generate's" test "${answers[3]:-}" = "$(cat "$tmp/gen2")"
check "no control tokens printed" bash -c "! grep -q '<|im_' '$tmp/out'"
# (b) turn 2 prefills only its new tokens; turn 1 of a new conversation re-uses the system prompt
mapfile -t stats < <(turn_stats)
check "four stats lines: $(cat "$tmp/err")" test ${#stats[@]} -eq 4
read -r n1 r1 m1 <<<"${stats[0]:-0 0 0}"
read -r n2 r2 m2 <<<"${stats[1]:-0 0 0}"
read -r n3 r3 m3 <<<"${stats[2]:-0 0 0}"
check "turn 1 is all new: ${stats[0]:-}" test "$r1" -eq 0 -a "$m1" -eq "$n1"
check "turn 1 prompt = generate's token count" test "$n1" -eq "$("$BIN" tokenize "$MODEL" --parse-special --text "$prompt" | wc -w)"
# turn 2 holds turn 1 whole (prompt + answer) and adds the end of the answer and the new message
check "turn 2 reuses turn 1: ${stats[1]:-}" test "$r2" -ge "$n1" -a "$m2" -lt 30 -a $((r2 + m2)) -eq "$n2"
printf -v sys_block '<|im_start|>system\n%s<|im_end|>\n' "$SYS"
sys_tokens=$("$BIN" tokenize "$MODEL" --parse-special --text "$sys_block" | wc -w)
check "after /reset the system prompt is reused: ${stats[2]:-}" test "$r3" -ge "$sys_tokens" -a "$n3" -eq "$n1"

# (d) A small context: old turns are dropped, the system prompt stays, the session goes on.
questions=("$Q1" "What is the capital of Italy?" "What is the capital of Spain?" "Tell me about the ocean."
    "What is the capital of Japan?" "What is two plus two?" "What is the capital of Germany?")
chat "$(printf '%s\n' "${questions[@]}")" --system "$SYS" --temperature 0 --max-seq-len 256 --max-new-tokens 48 --verbose \
    $PRECISE
check "small context: exit 0 ($rc): $(tail -n 3 "$tmp/err")" test $rc -eq 0
check "small context: 7 answers" test "$(wc -l <"$tmp/out")" -eq 7
check "small context: turns were dropped" grep -q "oldest turn" "$tmp/err"
check "small context: last answer names Berlin: $(tail -n 1 "$tmp/out")" grep -q Berlin <(tail -n 1 "$tmp/out")
# every prompt leaves the 48 answer tokens free, and keeps the system prompt in front
# (dropping it would bring SmolLM2's default system prompt, sharing only 3 tokens)
turn_stats | {
    bad_turns=0
    while read -r n r m; do
        [ "$n" -le $((256 - 48)) ] && [ "$r" -ge "$sys_tokens" ] || bad_turns=$((bad_turns + 1))
    done
    exit $bad_turns
}
check "small context: every prompt fits and reuses the system prompt: $(turn_stats | tr '\n' ';')" test $? -eq 0

# An answer that reaches the end of the context stops there; the next turn still works.
chat "$(printf 'Write a long story about a dragon and a knight.\n%s\n' "$Q1")" --temperature 0 --max-seq-len 128 --max-new-tokens 1000 --verbose \
    $PRECISE
check "context end: exit 0 ($rc)" test $rc -eq 0
check "context end: the long answer is cut: $(cat "$tmp/err")" grep -q "answer cut at [0-9]* tokens: the context is full" "$tmp/err"
check "context end: the next question is answered" grep -q Paris <(tail -n 1 "$tmp/out")

# A message that cannot fit even alone is refused; the conversation before it stays (the
# next turn reuses all of turn 1) and goes on.
long=$(printf 'word %.0s' $(seq 300))
chat "$(printf '%s\n%s\n%s\n' "$Q1" "$long" "$Q2")" --temperature 0 --max-seq-len 256 --max-new-tokens 48 --verbose \
    $PRECISE
check "too long message: exit 0 ($rc)" test $rc -eq 0
check "too long message: said so: $(cat "$tmp/err")" grep -q "error: the message does not fit" "$tmp/err"
check "too long message: next question answered: $(cat "$tmp/out")" grep -q Berlin <(tail -n 1 "$tmp/out")
mapfile -t stats < <(turn_stats)
read -r n1 r1 m1 <<<"${stats[0]:-0 0 0}"
read -r n2 r2 m2 <<<"${stats[1]:-0 0 0}"
check "too long message: turn 1 kept: ${stats[*]}" test ${#stats[@]} -eq 2 -a "$r2" -gt "$n1"

# (e) /exit and /quit end the session at once with status 0; /help and unknown commands talk to stderr.
chat "$(printf '/help\n/bogus\n%s\n/exit\n%s\n' "$Q1" "$Q2")" --temperature 0 --max-new-tokens 32
check "/exit: status 0 ($rc)" test $rc -eq 0
check "/exit: one answer only: $(cat "$tmp/out")" test "$(wc -l <"$tmp/out")" -eq 1
check "/help lists /reset" grep -q "/reset" "$tmp/err"
check "unknown command named" grep -q "unknown command /bogus" "$tmp/err"
chat "$(printf '/quit\n%s\n' "$Q1")"
check "/quit: status 0, no answer" test $rc -eq 0 -a ! -s "$tmp/out"
chat ""
check "empty input: status 0 ($rc), nothing printed" test $rc -eq 0 -a ! -s "$tmp/out"

# Sampling options reproduce: the same seed gives the same answer.
for s in 1 2; do
    echo "Tell me a story." | "$BIN" chat "$MODEL" --temperature 1 --top-k 40 --top-p 0.9 --seed 7 \
        --max-new-tokens 24 >"$tmp/seed.$s" 2>/dev/null
done
check "same seed, same answer" cmp -s "$tmp/seed.1" "$tmp/seed.2"
check "sampled answer not empty" test -s "$tmp/seed.1"

# --template replaces the model's template: SmolLM2's own would add its default system
# prompt; this one renders only what is given, and a system message makes it raise.
cat >"$tmp/custom.jinja" <<'JINJA'
{%- if messages[0].role == 'system' %}{{ raise_exception('this template takes no system prompt') }}{% endif %}
{%- for m in messages %}<|im_start|>{{ m.role }}
{{ m.content }}<|im_end|>
{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant
{% endif %}
JINJA
printf '[{"role": "user", "content": "%s"}]' "$Q1" >"$tmp/msgs.json"
"$BIN" template "$MODEL" --template "$tmp/custom.jinja" --messages "$tmp/msgs.json" --add-generation-prompt >"$tmp/rendered"
prompt=$(cat "$tmp/rendered" && printf x)
prompt=${prompt%x}
"$BIN" generate "$MODEL" --prompt "$prompt" --temperature 0 --max-new-tokens 48 >"$tmp/gen3" 2>/dev/null
chat "$Q1" --template "$tmp/custom.jinja" --temperature 0 --max-new-tokens 48 --verbose
check "--template: exit 0 ($rc): $(tail -n 3 "$tmp/err")" test $rc -eq 0
check "--template: answer = generate's on the custom rendering" test "$(cat "$tmp/out")" = "$(cat "$tmp/gen3")"
read -r n r m <<<"$(turn_stats)"
check "--template: prompt of $n tokens = the custom rendering's" \
    test "${n:-0}" -eq "$("$BIN" tokenize "$MODEL" --parse-special --text "$prompt" | wc -w)"

# BOS: a random-weight model whose tokenizer asks for BOS and that has no chat template.
# The ChatML fallback is announced once, and the prompt starts with one BOS; a template
# that writes bos_token itself does not get a second one.
TINY=$tmp/tiny.gguf
"${BUILD:-build}/tools/make_synthetic_model" "$TINY" --shape tiny --type Q8_0 >/dev/null 2>&1
"$BIN" chat "$TINY" --temperature 0 --max-new-tokens 4 --verbose <<<$'hi\nho' >"$tmp/out" 2>"$tmp/err"
rc=$?
check "no template: exit 0 ($rc): $(tail -n 3 "$tmp/err")" test $rc -eq 0
check "no template: one fallback warning" test "$(grep -c 'warning: .*no chat template' "$tmp/err")" -eq 1
printf '[{"role": "user", "content": "hi"}]' >"$tmp/msgs.json"
"$BIN" template "$TINY" --messages "$tmp/msgs.json" --add-generation-prompt >"$tmp/rendered" 2>/dev/null
prompt=$(cat "$tmp/rendered" && printf x)
read -r n r m <<<"$(turn_stats | head -n 1)"
check "no template: prompt $n = ChatML with BOS" \
    test "${n:-0}" -eq "$("$BIN" tokenize "$TINY" --parse-special --text "${prompt%x}" | wc -w)"
printf '{{ bos_token }}{%% for m in messages %%}{{ m.content }}{%% endfor %%}' >"$tmp/bos.jinja"
"$BIN" chat "$TINY" --template "$tmp/bos.jinja" --temperature 0 --max-new-tokens 4 --verbose <<<'hi' >"$tmp/out" 2>"$tmp/err"
read -r n r m <<<"$(turn_stats)"
want=$("$BIN" tokenize "$TINY" --parse-special --no-bos --text "<s>hi" | wc -w)
check "template with bos_token: prompt $n tokens, want $want (one BOS)" test "${n:-0}" -eq "$want"

# (g) Bad options and inputs: a clear error naming the culprit, exit 2 (usage) or 1.
refuse() { # refuse NAME STATUS NEEDLE ARGS...
    local name=$1 want=$2 needle=$3
    shift 3
    "$BIN" chat "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ $got -eq "$want" ] && grep -qF -- "$needle" "$tmp/err"; then ok; else
        bad "$name: exit $got (want $want), stderr: $(head -c 300 "$tmp/err")"
    fi
}
refuse "no model" 2 "usage: llama-fast chat"
refuse "negative temperature" 2 "--temperature" "$MODEL" --temperature -1
refuse "unknown option" 2 "--bogus" "$MODEL" --bogus
refuse "zero answer length" 2 "--max-new-tokens" "$MODEL" --max-new-tokens 0
refuse "missing value" 2 "--system needs a value" "$MODEL" --system
refuse "two models" 2 "unexpected argument" "$MODEL" "$MODEL"
refuse "missing model" 1 "$tmp/nope.gguf" "$tmp/nope.gguf"
refuse "missing template" 1 "$tmp/nope.jinja" "$MODEL" --template "$tmp/nope.jinja"
refuse "no tokenizer" 1 "no tokenizer" "$DATA/models/stories260K.bin"
refuse "system prompt too long" 1 "does not fit" "$MODEL" --max-seq-len 64 --system "$long"
refuse "template raises" 1 "this template takes no system prompt" "$MODEL" --template "$tmp/custom.jinja" --system "$SYS"
echo '{% for m in messages %}' >"$tmp/broken.jinja"
refuse "template does not parse" 1 "$tmp/broken.jinja" "$MODEL" --template "$tmp/broken.jinja"
"$BIN" chat --help >"$tmp/out" 2>&1
check "--help: status 0 and the options" grep -q -- "--max-seq-len" "$tmp/out"
check "chat listed by llama-fast --help" grep -q "^  chat " <("$BIN" --help)

# (g) The default activations: chat's first answers are generate's for the same prompts
# (one batch each, so the same arithmetic), with and without a system prompt.
printf '[{"role": "user", "content": "%s"}]' "$Q1" >"$tmp/msgs.json"
"$BIN" template "$MODEL" --messages "$tmp/msgs.json" --add-generation-prompt >"$tmp/rendered"
for sys in "" "$SYS"; do
    if [ -n "$sys" ]; then render "$sys" "$Q1"; else prompt=$(cat "$tmp/rendered" && printf x) && prompt=${prompt%x}; fi
    "$BIN" generate "$MODEL" --prompt "$prompt" --temperature 0 --max-new-tokens 32 >"$tmp/gen_default" 2>/dev/null
    chat "$Q1" ${sys:+--system "$sys"} --temperature 0 --max-new-tokens 32
    check "default activations, system '$sys': chat '$(cat "$tmp/out")' = generate's '$(cat "$tmp/gen_default")'" \
        test "$(cat "$tmp/out")" = "$(cat "$tmp/gen_default")"
done

# (f) A real terminal: line editing, history, Ctrl-C at the prompt and during an answer, Ctrl-D.
"$PYTHON" tests/check_chat_tty.py "$BIN" "$MODEL" >"$tmp/tty" 2>&1
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/tty" | tail -n 1)
if [ -n "$line" ]; then
    pass=$((pass + ${line%% passed*}))
    f=${line#*, }
    fail=$((fail + ${f%% failed}))
    [ "${f%% failed}" = 0 ] || grep -v -E '^[0-9]+ passed' "$tmp/tty" >&2
else
    bad "check_chat_tty.py: $(tail -n 20 "$tmp/tty")"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
