#!/bin/bash
# Chat templates against Hugging Face transformers: every template in
# tests/chat_templates/ (Llama 2/3/3.1/3.2, ChatML of SmolLM2/Qwen2.5/Hermes 3, Mistral,
# Mixtral, Mistral-Nemo, Gemma, Gemma 2, Phi-3.5, DeepSeek-R1-Distill-Llama) rendered by
# `llama-fast template` must equal apply_chat_template's text byte for byte (see
# check_chat_templates.py), plus the CLI's argument and input errors.
# Prints "N passed, M failed". Environment: BUILD, MODEL, PYTHON.
set -u
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/llama-fast
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
PYTHON=${PYTHON:-python3}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
}
# refuse NAME STATUS TEXT COMMAND...: the command exits with STATUS and says TEXT on stderr.
refuse() {
    local name=$1 want=$2 text=$3
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -eq "$want" ] && grep -qF -- "$text" "$tmp/err" && [ ! -s "$tmp/out" ]; then ok; else
        bad "$name: exit $rc (want $want), stderr: $(head -c 300 "$tmp/err")"
    fi
}

# The byte-for-byte comparison with transformers.
"$PYTHON" tests/check_chat_templates.py "$BIN" "$MODEL" >"$tmp/check" 2>&1
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/check" | tail -n 1)
if [ -n "$line" ]; then
    pass=$((pass + ${line%% passed*}))
    f=${line#*, }
    fail=$((fail + ${f%% failed}))
    grep '^FAIL' "$tmp/check" | head -n 40 >&2
else
    bad "check_chat_templates.py gave no result: $(tail -n 5 "$tmp/check")"
fi

# The printed prompt is exactly the template's text: no trailing newline added.
printf '[{"role": "user", "content": "Hi"}]' >"$tmp/one.json"
printf '{{ messages[0].content }}|{{ bos_token }}|{{ eos_token }}' >"$tmp/echo.jinja"
"$BIN" template "$MODEL" --messages "$tmp/one.json" --template "$tmp/echo.jinja" >"$tmp/out" 2>"$tmp/err"
printf 'Hi|<|im_start|>|<|im_end|>' >"$tmp/want"
if cmp -s "$tmp/out" "$tmp/want"; then ok; else
    bad "echo template printed $(od -c "$tmp/out" | head -n 3)"
fi
# {"messages": [...]} is accepted as well as a bare array.
printf '{"messages": [{"role": "user", "content": "Hi"}]}' >"$tmp/obj.json"
if "$BIN" template "$MODEL" --messages "$tmp/obj.json" --template "$tmp/echo.jinja" | cmp -s - "$tmp/out"; then ok; else
    bad "object with messages rendered differently"
fi
# --help
if "$BIN" template --help | grep -q -- "--add-generation-prompt"; then ok; else bad "template --help"; fi

# Bad input: a clear message naming the file, a non-zero status, nothing printed.
printf '[{"role": "user", "content": "Hi"' >"$tmp/broken.json"
refuse "truncated JSON" 1 "$tmp/broken.json" "$BIN" template "$MODEL" --messages "$tmp/broken.json"
refuse "missing file" 1 "$tmp/none.json" "$BIN" template "$MODEL" --messages "$tmp/none.json"
printf '[{"content": "no role"}]' >"$tmp/norole.json"
refuse "message without role" 1 'message 0 has no "role"' "$BIN" template "$MODEL" --messages "$tmp/norole.json"
printf '[{"role": "user", "content": 5}]' >"$tmp/badcontent.json"
refuse "content not a string" 1 "not a string" "$BIN" template "$MODEL" --messages "$tmp/badcontent.json"
printf '{"role": "user"}' >"$tmp/notlist.json"
refuse "no message list" 1 "expected a JSON array" "$BIN" template "$MODEL" --messages "$tmp/notlist.json"
printf '{%% if %%}' >"$tmp/syntax.jinja"
refuse "template syntax error" 1 "line 1" "$BIN" template "$MODEL" --messages "$tmp/one.json" --template "$tmp/syntax.jinja"
refuse "missing template file" 1 "$tmp/none.jinja" "$BIN" template "$MODEL" --messages "$tmp/one.json" --template "$tmp/none.jinja"
refuse "no --messages" 2 "usage" "$BIN" template "$MODEL"
refuse "--bos without --eos" 2 "go together" "$BIN" template "$MODEL" --messages "$tmp/one.json" --bos "<s>"
refuse "unknown option" 2 "unexpected argument" "$BIN" template "$MODEL" --messages "$tmp/one.json" --bogus

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
