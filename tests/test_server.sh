#!/bin/bash
# `llama-fast server` end to end on SmolLM2: two servers on free ports of 127.0.0.1 (one
# with an API key and 4 slots, one with 1 slot and a queue of 1), curl for /health,
# /v1/models and /apply-template, tests/check_server.py for everything an OpenAI client
# sees, then a clean shutdown on SIGTERM in the middle of a stream. The servers are
# killed at the end even when a check fails. Prints "N passed, M failed".
# Environment: BUILD, MODEL, PYTHON, LF_SANITIZED (=1: slower binary, longer waits).
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
KEY=test-key-$RANDOM$RANDOM
THREADS=2
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

# server LOG ARGS...: a server of MODEL on a free port; sets $server_pid, and $url once it listens.
server() {
    local log=$1
    shift
    start_server "$log" "$BIN" server "$MODEL" --port 0 -t $THREADS "$@"
}

# The main server runs the precise activations: check_server.py compares answers of
# prompts reused from the cache with fresh ones and looks for "Paris", whose answer starts
# at a near-tie that plain int8 activations tip (tests/test_cli_chat.sh). The small one
# runs the default.
server "$tmp/server.log" --api-key "$KEY" --parallel 4 --max-seq-len 1024 --precise-activations
URL=$url SERVER=$server_pid
if [ -n "$URL" ]; then ok; else bad "server did not start: $(tail -n 5 "$tmp/server.log")"; finish; fi
case $URL in http://127.0.0.1:*) ok ;; *) bad "default bind address: $URL" ;; esac
server "$tmp/small.log" --parallel 1 --queue 1 --max-seq-len 1024
URL_SMALL=$url SMALL=$server_pid
if [ -n "$URL_SMALL" ]; then ok; else bad "small server did not start: $(tail -n 5 "$tmp/small.log")"; finish; fi

# curl: health (no key needed), models (key needed), apply-template
out=$(curl -s "$URL/health")
case $out in *'"status":"ok"'*) ok ;; *) bad "health: $out" ;; esac
out=$(curl -s -H "Authorization: Bearer $KEY" "$URL/v1/models")
case $out in *"\"id\":\"$(basename "$MODEL")\""*'"object":"model"'*) ok ;; *) bad "models: $out" ;; esac
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/models")
[ "$code" = 401 ] && ok || bad "models without key: $code"

msgs='[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi there!"}]'
printf '%s' "$msgs" >"$tmp/messages.json"
curl -s -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" "$URL/apply-template" -d "{\"messages\": $msgs}" >"$tmp/template.json"
got=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["prompt"], end="")' "$tmp/template.json")
if "$BIN" template --help >/dev/null 2>&1; then
    want=$("$BIN" template "$MODEL" --messages "$tmp/messages.json" --add-generation-prompt)
else
    want=$'<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there!<|im_end|>\n<|im_start|>assistant\n'
fi
[ "$got" = "$want" ] && ok || bad "apply-template: '$got' != '$want'"

# everything a client sees
"$PYTHON" tests/check_server.py "$URL" "$KEY" "$BIN" "$MODEL" $THREADS "$URL_SMALL" >"$tmp/check.out" 2>"$tmp/check.err"
cat "$tmp/check.err" >&2
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/check.out" | tail -n 1)
if [ -n "$line" ]; then
    p=${line%% passed*} f=${line#*, }
    pass=$((pass + p)) fail=$((fail + ${f%% failed}))
else
    bad "check_server.py gave no result: $(tail -n 5 "$tmp/check.err")"
fi

# survived it all
kill -0 "$SERVER" 2>/dev/null && ok || bad "server died: $(tail -n 20 "$tmp/server.log")"
kill -0 "$SMALL" 2>/dev/null && ok || bad "small server died: $(tail -n 20 "$tmp/small.log")"

# SIGTERM in the middle of a stream: the stream ends, the server exits 0.
curl -sN "$URL_SMALL/v1/completions" -H "Content-Type: application/json" -d '{"prompt":"1, 2, 3,","max_tokens":900,"temperature":0,"stream":true}' \
    >"$tmp/stream.out" 2>&1 &
curl_pid=$!
for _ in $(seq $((100 * SLOW))); do grep -q '"text"' "$tmp/stream.out" && break; sleep 0.1; done
kill -TERM "$SMALL"
for _ in $(seq $((100 * SLOW))); do kill -0 "$SMALL" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SMALL" 2>/dev/null; then bad "server still running after SIGTERM"; else
    wait "$SMALL"
    rc=$?
    [ $rc = 0 ] && grep -q "shutting down" "$tmp/small.log" && ok || bad "SIGTERM: exit $rc, $(tail -n 3 "$tmp/small.log")"
fi
wait $curl_pid
grep -q '"text"' "$tmp/stream.out" && grep -q 'shutting down' "$tmp/stream.out" && ok ||
    bad "stream at shutdown: $(tail -c 300 "$tmp/stream.out")"
kill -TERM "$SERVER"
wait "$SERVER" && ok || bad "server exit status $?"
if grep -qiE 'sanitizer|runtime error|leak' "$tmp/server.log" "$tmp/small.log"; then
    bad "sanitizer report: $(grep -iE -m 3 'sanitizer|runtime error' "$tmp/server.log" "$tmp/small.log")"
else ok; fi
finish
