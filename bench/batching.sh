#!/bin/bash
# Serving many clients: aggregate decode throughput of `llama-fast server` (continuous
# batching: every busy slot advances in one forward pass per step) with 1, 2, 4, 8
# parallel greedy streams, side by side with llama.cpp's llama-server (-np 8, continuous
# batching on by default) built by bench/build-llama-cpp.sh. Both servers run at once
# (an idle one costs nothing) and the measurements alternate between them, so both see
# the same machine load; medians of REPS runs. bench/batching_client.py is the load:
# STREAMS streamed requests at once, MAX_TOKENS tokens each of a count that does not stop
# early (llama-server also gets ignore_eos). Two rates: decode = the tokens that arrived
# while every stream was decoding / that window (the aggregate decode rate, prefill and
# the ragged start and end left out), and wall = all completion tokens / the wall time
# from the first request to the last answer (prompts' prefill included).
#
# usage: bench/batching.sh [MODEL...]        (default: models/SmolLM2-135M-Instruct.Q4_1.gguf)
# environment: BIN (build/llama-fast), PEER (third_party/llama.cpp-newest/bin/llama-server),
#              THREADS (the CPU count), REPS (3), MAX_TOKENS (64), STREAMS (1 2 4 8)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=${BIN:-build/llama-fast}
PEER=${PEER:-third_party/llama.cpp-newest/bin/llama-server}
THREADS=${THREADS:-$(nproc)}
REPS=${REPS:-3}
MAX_TOKENS=${MAX_TOKENS:-64}
STREAMS=${STREAMS:-1 2 4 8}
PYTHON=${PYTHON:-python3}
[ $# -eq 0 ] && set -- models/SmolLM2-135M-Instruct.Q4_1.gguf
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_health URL PID: until URL/health answers 200 (the model is loaded)
wait_health() {
    for _ in $(seq 600); do
        curl -sf "$1/health" >/dev/null 2>&1 && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

# measure NAME URL STREAMS [--ignore-eos]: appends the decode and the wall tok/s of one
# run to $tmp/NAME-STREAMS.decode and $tmp/NAME-STREAMS.wall
measure() {
    local name=$1 url=$2 n=$3 out
    shift 3
    out=$("$PYTHON" bench/batching_client.py "$url" "$n" "$MAX_TOKENS" "$@")
    awk -v want=$((n * MAX_TOKENS)) '{ if ($1 != want) printf "note: %d of %d tokens\n", $1, want > "/dev/stderr" }' <<<"$out"
    awk '{ printf "%.1f\n", $3 / $4 }' <<<"$out" >>"$tmp/$name-$n.decode"
    awk '{ printf "%.1f\n", $1 / $2 }' <<<"$out" >>"$tmp/$name-$n.wall"
}

have_peer=0
if [ -x "$PEER" ]; then have_peer=1; else
    echo "NOTE: no llama-server at $PEER (bench/build-llama-cpp.sh builds it): llama-fast alone" >&2
fi

echo "# Serving many clients: aggregate decode tokens/s"
echo
echo "CPU: $(cpu_name), $(nproc) CPUs available; $THREADS threads; $MAX_TOKENS greedy tokens per stream;" \
     "median of $REPS alternated runs; $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
if [ $have_peer = 1 ]; then
    echo "Peer: llama-server $(cat "$(dirname "$PEER")/../upstream-build" 2>/dev/null || echo '(build unknown)') -np 8"
else
    echo "Peer: none (no llama-server at $PEER; bench/build-llama-cpp.sh builds it)"
fi
for model in "$@"; do
    rm -f "$tmp"/fast-* "$tmp"/peer-*
    port=$(free_port)
    fast_url=http://127.0.0.1:$port
    "$BIN" server "$model" --port "$port" -t "$THREADS" --parallel 8 --max-seq-len 1024 >"$tmp/fast.log" 2>&1 &
    fast=$!
    pids+=($fast)
    wait_health "$fast_url" $fast || { echo "llama-fast server did not start: $(tail -n 3 "$tmp/fast.log")" >&2; exit 1; }
    peer_url=
    if [ $have_peer = 1 ]; then
        port=$(free_port)
        peer_url=http://127.0.0.1:$port
        # A guest that lists AMX but faults on its tiles kills llama-server's AMX weight
        # repacking (SIGILL at the first product); then the peer runs with --no-repack.
        for extra in "" --no-repack; do
            # shellcheck disable=SC2086 # extra is one option or none
            "$PEER" -m "$model" --port "$port" -t "$THREADS" -np 8 -c 8192 $extra >"$tmp/peer.log" 2>&1 &
            peer=$!
            pids+=($peer)
            wait_health "$peer_url" $peer && curl -sf "$peer_url/v1/completions" -H 'Content-Type: application/json' \
                -d '{"prompt":"1, 2,","max_tokens":2}' >/dev/null && break
            kill $peer 2>/dev/null || true
            peer=
            [ -z "$extra" ] && echo "NOTE: llama-server failed ($(tail -n 1 "$tmp/peer.log")); again with --no-repack"
        done
        [ -n "$peer" ] || { echo "llama-server did not start: $(tail -n 3 "$tmp/peer.log")" >&2; exit 1; }
    fi
    # warm-up: page in the weights, start the threads
    measure warm "$fast_url" 2
    [ -n "$peer_url" ] && measure warm "$peer_url" 2 --ignore-eos
    for _ in $(seq "$REPS"); do
        for n in $STREAMS; do
            measure fast "$fast_url" "$n"
            [ -n "$peer_url" ] && measure peer "$peer_url" "$n" --ignore-eos
        done
    done
    kill $fast ${peer:-} 2>/dev/null || true
    wait $fast ${peer:-} 2>/dev/null || true

    echo
    echo "## $(basename "$model")"
    for rate in decode wall; do
        echo
        if [ $rate = decode ]; then echo "Decode tok/s (every stream decoding):"; else echo "Wall-time tok/s (prompts included):"; fi
        echo
        if [ -n "$peer_url" ]; then
            echo "| streams | llama-fast tok/s | vs 1 stream | llama-server tok/s | vs 1 stream | llama-fast / llama-server |"
            echo "|--------:|-----------------:|------------:|-------------------:|------------:|--------------------------:|"
        else
            echo "| streams | llama-fast tok/s | vs 1 stream |"
            echo "|--------:|-----------------:|------------:|"
        fi
        first=$(echo $STREAMS | cut -d' ' -f1)
        f1=$(median <"$tmp/fast-$first.$rate")
        [ -n "$peer_url" ] && p1=$(median <"$tmp/peer-$first.$rate")
        for n in $STREAMS; do
            f=$(median <"$tmp/fast-$n.$rate")
            row=$(awk -v n="$n" -v f="$f" -v f1="$f1" 'BEGIN { printf "| %d | %.1f | %.2fx |", n, f, f / f1 }')
            if [ -n "$peer_url" ]; then
                p=$(median <"$tmp/peer-$n.$rate")
                row+=$(awk -v f="$f" -v p="$p" -v p1="$p1" 'BEGIN { printf " %.1f | %.2fx | %.2f |", p, p / p1, f / p }')
            fi
            echo "$row"
        done
    done
done
