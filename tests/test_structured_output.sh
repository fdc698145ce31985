#!/bin/bash
# Structured output end to end: a server on a free port of 127.0.0.1 with SmolLM2 (and a
# default --grammar for requests that ask for no structure of their own), and
# tests/check_structured_output.py against it with the openai client and jsonschema; then
# generate --json-schema / --grammar from the command line. Prints "N passed, M failed".
# Environment: BUILD, MODEL, PYTHON, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
cleanup() {
    stop_servers
    rm -rf "$tmp"
}
trap cleanup EXIT
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" = 0 ]
    exit
}

start_server "$tmp/server.log" "$BIN" server "$MODEL" --port 0 -t 2 --parallel 4 --max-seq-len 512 --grammar 'root ::= "ok" "!"?'
if [ -n "$url" ]; then ok; else bad "server did not start: $(tail -n 5 "$tmp/server.log")"; finish; fi

"$PYTHON" tests/check_structured_output.py "$url" >"$tmp/check.out" 2>&1
cat "$tmp/check.out" >&2
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/check.out" | tail -n 1)
if [ -n "$line" ]; then
    p=${line%% passed*} f=${line#*, }
    pass=$((pass + p)) fail=$((fail + ${f%% failed*}))
else
    bad "check_structured_output.py gave no result"
fi
out=$(curl -s "$url/v1/completions" -H "Content-Type: application/json" -d '{"prompt":"Say:","max_tokens":8,"temperature":1}')
"$PYTHON" -c 'import json,sys; c=json.loads(sys.argv[1])["choices"][0]; assert c["text"] in ("ok","ok!") and c["finish_reason"]=="stop"' "$out" &&
    ok || bad "server default --grammar: $out"
kill -TERM "$server_pid"
wait "$server_pid" && ok || bad "server exit status $?"
if grep -qiE 'sanitizer|runtime error' "$tmp/server.log"; then bad "sanitizer report: $(grep -iE -m 3 'sanitizer|runtime error' "$tmp/server.log")"; else ok; fi

# the command line: the answer validates (python's json and re as the judges)
schema='{"type":"object","properties":{"ok":{"type":"boolean"},"n":{"type":"integer"}},"required":["ok","n"],"additionalProperties":false}'
out=$("$BIN" generate "$MODEL" -t 2 --prompt "JSON:" --json-schema "$schema" --max-new-tokens 80 --seed 5 2>"$tmp/gen.err")
"$PYTHON" -c 'import json,sys; d=json.loads(sys.argv[1]); assert set(d)=={"ok","n"} and isinstance(d["ok"],bool) and type(d["n"]) is int' "$out" &&
    ok || bad "generate --json-schema: '$out' $(tail -n 2 "$tmp/gen.err")"
printf 'root ::= "x" [0-9]{3}\n' >"$tmp/g.gbnf"
out=$("$BIN" generate "$MODEL" -t 2 --prompt "Code:" --grammar-file "$tmp/g.gbnf" --max-new-tokens 20 --seed 5 2>/dev/null)
[[ $out =~ ^x[0-9]{3}$ ]] && ok || bad "generate --grammar-file: '$out'"
err=$("$BIN" generate "$MODEL" --grammar 'root ::= [z-a]' 2>&1 >/dev/null)
[[ $err == *"--grammar: grammar: line 1, column 12: range U+7A-U+61 runs backwards"* ]] && ok || bad "bad --grammar: $err"
err=$("$BIN" generate "$MODEL" --grammar 'root ::= "a"' --json-schema '{}' 2>&1 >/dev/null)
[[ $err == *"give one grammar or schema"* ]] && ok || bad "two grammars: $err"
err=$("$BIN" generate "$MODEL" --json-schema-file "$tmp/missing.json" 2>&1 >/dev/null)
[[ $err == *"--json-schema-file"*"No such file"* ]] && ok || bad "missing schema file: $err"
finish
