#!/bin/bash
# Continuous batching in `llama-fast server` on SmolLM2: a server with 8 slots,
# tests/check_server_batching.py sends 8 greedy completions at once and compares each with
# the same request alone. Prints "N passed, M failed".
# Environment: BUILD, MODEL, PYTHON, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
trap 'stop_servers; rm -rf "$tmp"' EXIT
start_server "$tmp/server.log" "$BIN" server "$MODEL" --port 0 -t 2 --parallel 8 --max-seq-len 512 --precise-activations
server=$server_pid
if [ -z "$url" ]; then
    bad "server did not start: $(tail -n 5 "$tmp/server.log")"
else
    "$PYTHON" tests/check_server_batching.py "$url" >"$tmp/check.out"
    cat "$tmp/check.out"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$tmp/check.out" | tail -n 1)
    if [ -n "$line" ]; then
        read -r p _ f _ k _ <<<"${line//,/}"
        pass=$((pass + p)) fail=$((fail + f)) skipped=${k:-0}
    else
        bad "check_server_batching.py gave no result"
    fi
    kill -TERM $server
    wait $server && ok || bad "server exit status $?"
    if grep -qiE 'sanitizer|runtime error|leak' "$tmp/server.log"; then
        bad "sanitizer report: $(grep -iE -m 3 'sanitizer|runtime error' "$tmp/server.log")"
    else ok; fi
fi
if [ "${skipped:-0}" -gt 0 ]; then echo "$pass passed, $fail failed, $skipped skipped"; else echo "$pass passed, $fail failed"; fi
[ "$fail" = 0 ]
