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

# Servers started by start_server, for stop_servers (a test's EXIT trap, so none outlives it).
server_pids=()

# start_server LOG CMD...: runs CMD, a server command line with --port 0 (a free port), in
# the background with its output in LOG; sets server_pid and, once it listens and answers
# GET /health, url. Returns 1 with url empty when it exits first or is not up within
# 30 s (times SLOW): the caller reports it with the tail of LOG.
start_server() {
    local log=$1 listening
    shift
    url=
    "$@" >"$log" 2>&1 &
    server_pid=$!
    server_pids+=("$server_pid")
    for _ in $(seq $((300 * SLOW))); do
        listening=$(grep -o 'listening on http://[0-9.:]*' "$log" 2>/dev/null | cut -d' ' -f3)
        if [ -n "$listening" ] && curl -sf -o /dev/null -m 2 "$listening/health"; then
            url=$listening
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# stop_servers [SIGNAL]: sends SIGNAL (default KILL) to every server start_server started
# and waits for them to end.
stop_servers() {
    local p
    for p in "${server_pids[@]}"; do kill -"${1:-KILL}" "$p" 2>/dev/null; done
    for p in "${server_pids[@]}"; do wait "$p" 2>/dev/null; done
    server_pids=()
}
