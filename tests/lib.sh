# What the shell tests share, sourced after they `cd` to the checkout's root: the program
# and model under test, how much longer to wait under the sanitizers (SLOW), and the
# pass / fail counts behind the closing "N passed, M failed" line.
# Environment: BUILD (default build), MODEL, PYTHON, LF_SANITIZED.
BIN=${BUILD:-build}/llama-fast
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
PYTHON=${PYTHON:-python3}
SLOW=1
[ "${LF_SANITIZED:-0}" = 1 ] && SLOW=8
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
}

# server_url LOG PID: waits for the server PID (writing LOG) to listen and prints its URL;
# prints nothing when it exits first or does not listen in time.
server_url() {
    local url
    for _ in $(seq $((300 * SLOW))); do
        url=$(grep -o 'listening on http://[0-9.:]*' "$1" 2>/dev/null | cut -d' ' -f3)
        [ -n "$url" ] && echo "$url" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
