#!/bin/bash
# `llama-fast browser` end to end on the real SmolLM2-135M-Instruct model: options and
# refusals, the URL it prints (and hands to xdg-open with --open), the page's files it
# serves being web/ and the Debian libraries byte for byte, then a chat session and the
# page's features in headless Chromium (tests/check_browser.py, tests/check_chat_page.py). Prints "N passed, M failed".
# Environment: BUILD, MODEL, PYTHON, LF_SANITIZED (slow build: longer timeouts).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$BUILD/llama-fast
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
PYTHON=${PYTHON:-python3}
START_TIMEOUT=60 SESSION_TIMEOUT=900
[ "${LF_SANITIZED:-0}" = 1 ] && START_TIMEOUT=300 SESSION_TIMEOUT=3600
pass=0 fail=0
tmp=$(mktemp -d)
server=""
stop_server() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    server=""
}
trap 'stop_server; rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
}
contains() { if grep -qF -- "$2" "$3"; then ok; else bad "$1: '$2' not in $(head -c 400 "$3")"; fi; }
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Options.
if "$BIN" browser --help >"$tmp/out" 2>&1; then ok; else bad "browser --help: exit $?"; fi
contains "help names --open" "--open" "$tmp/out"
contains "help names --port" "--port" "$tmp/out"
"$BIN" browser >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ] && grep -q "MODEL" "$tmp/err"; then ok; else bad "no model: exit $rc, $(cat "$tmp/err")"; fi
"$BIN" browser "$tmp/missing.gguf" --port "$(free_port)" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ] && grep -qF "missing.gguf" "$tmp/err"; then ok; else bad "missing model: exit $rc, $(cat "$tmp/err")"; fi

# The server, with --open handing the URL to a stand-in xdg-open that records it. Precise
# activations: check_browser.py compares the page's answers, whose prompts are partly
# reused from the cache, with fresh ones, token for token, and plain int8 activations
# tip near-ties between the two (tests/test_speculative.sh).
mkdir "$tmp/bin"
printf '#!/bin/sh\necho "$@" >>"%s/opened"\n' "$tmp" >"$tmp/bin/xdg-open"
chmod +x "$tmp/bin/xdg-open"
port=$(free_port)
url="http://127.0.0.1:$port/"
PATH="$tmp/bin:$PATH" "$BIN" browser "$MODEL" --port "$port" --open --precise-activations >"$tmp/server.out" 2>"$tmp/server.err" &
server=$!
up=0
for _ in $(seq $((START_TIMEOUT * 5))); do
    curl -sf "${url}health" >/dev/null 2>&1 && { up=1; break; }
    kill -0 "$server" 2>/dev/null || break
    sleep 0.2
done
if [ $up = 1 ]; then ok; else
    bad "server not up on $url within ${START_TIMEOUT}s: $(tail -n 5 "$tmp/server.err")"
    echo "$pass passed, $fail failed"
    exit 1
fi
contains "URL printed" "$url" "$tmp/server.out"
for _ in $(seq 50); do [ -s "$tmp/opened" ] && break; sleep 0.1; done
if [ "$(cat "$tmp/opened" 2>/dev/null)" = "$url" ]; then ok; else bad "--open ran xdg-open with '$(cat "$tmp/opened" 2>/dev/null)'"; fi

# The page is the repository's web/ files, at / and /index.html and under their own
# names, and the Debian packages' marked and highlight.js under vendor/, each with its type.
JS=/usr/share/javascript
while read -r path file type; do
    path=${path#/}
    curl -s -D "$tmp/headers" -o "$tmp/page" "$url$path"
    if cmp -s "$tmp/page" "$file"; then ok; else bad "GET /$path is not $file ($(wc -c <"$tmp/page") bytes)"; fi
    if grep -qi "^content-type: $type" "$tmp/headers"; then ok; else bad "GET /$path: $(grep -i '^content-type' "$tmp/headers")"; fi
done <<EOF
/ web/index.html text/html
index.html web/index.html text/html
style.css web/style.css text/css
api.js web/api.js text/javascript
markdown.js web/markdown.js text/javascript
store.js web/store.js text/javascript
app.js web/app.js text/javascript
vendor/marked.js $JS/marked/marked.min.js text/javascript
vendor/highlight.js $JS/highlight.js/highlight.min.js text/javascript
vendor/highlight-light.css $JS/highlight.js/styles/github.css text/css
vendor/highlight-dark.css $JS/highlight.js/styles/atom-one-dark.css text/css
EOF
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{}' "${url}app.js")
if [ "$code" = 405 ]; then ok; else bad "POST /app.js: HTTP $code, expected 405"; fi

# Sessions in Chromium; their own checks join this test's count. check_browser.py: a
# user's chat with the real model; check_chat_page.py: the page's features.
mkdir -p "$BUILD/test-artifacts"
run_check() {
    timeout "$SESSION_TIMEOUT" "$PYTHON" "tests/$1" "$url" "$BUILD/test-artifacts" >"$tmp/session" 2>&1
    local rc=$? line p f
    grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/session" >&2
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/session" | tail -n 1)
    if [ -n "$line" ]; then
        p=${line%% passed*} f=${line#*, }
        f=${f%% failed}
        pass=$((pass + p)) fail=$((fail + f))
        [ $rc -ne 0 ] && [ "$f" = 0 ] && bad "$1 exit $rc"
    else
        bad "$1 gave no result (exit $rc)"
    fi
}
run_check check_browser.py
run_check check_chat_page.py

# The server lived through the session, and a signal ends it promptly.
if curl -sf "${url}health" >/dev/null; then ok; else bad "server down after the session: $(tail -n 5 "$tmp/server.err")"; fi
kill -INT "$server"
for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server" 2>/dev/null; then bad "server still running 10 s after SIGINT"; else ok; fi
stop_server

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
