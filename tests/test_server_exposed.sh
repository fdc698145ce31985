#!/bin/bash
# The server bound beyond loopback (--host 0.0.0.0), run inside a network namespace of its
# own whose only interface is loopback, so nothing outside this test can reach it: the
# warning at start without --api-key, every Host name served without --allowed-hosts, and
# only the listed (and loopback) names with it. Skipped, visibly, where a network
# namespace cannot be made (no unshare or no privilege).
# Environment: BUILD, MODEL, LF_SANITIZED. Prints "N passed, M failed[, K skipped]".
set -u
cd "$(dirname "$0")/.."
if [ -z "${LF_IN_NETNS:-}" ]; then
    if ! unshare -n true 2>/dev/null; then
        echo "skipped: cannot create a network namespace here (unshare -n)" >&2
        echo "0 passed, 0 failed, 1 skipped"
        exit 0
    fi
    LF_IN_NETNS=1 exec unshare -n bash "$0"
fi
ip link set lo up || { echo "0 passed, 1 failed"; exit 1; }
. tests/lib.sh
tmp=$(mktemp -d)
trap 'stop_servers; rm -rf "$tmp"' EXIT
check() { # check NAME CONDITION-EXIT-STATUS DETAIL
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: $3" >&2; fi
}
start() { # start LOG ARGS...: sets $port once the server listens
    local log=$1
    shift
    port=
    start_server "$log" "$BIN" server "$MODEL" --host 0.0.0.0 --port 0 -t 2 --max-seq-len 256 "$@" || return 1
    port=${url##*:}
}
status_for_host() { # status_for_host PORT HOST [CURL ARGS...]
    local p=$1 h=$2
    shift 2
    curl -s -o /dev/null -w '%{http_code}' -H "Host: $h" "$@" "http://127.0.0.1:$p/v1/models"
}

start "$tmp/open.log"
check "open server starts" $? "$(tail -n 3 "$tmp/open.log")"
grep -q "warning: .*reachable beyond this machine.*--api-key" "$tmp/open.log"
check "warning without --api-key" $? "$(cat "$tmp/open.log")"
for h in anything.example 192.0.2.7:8080 localhost; do
    code=$(status_for_host "$port" "$h")
    [ "$code" = 200 ]
    check "beyond loopback, no list: Host $h served" $? "$code"
done

start "$tmp/keyed.log" --api-key k3y --allowed-hosts api.example,10.0.0.5
check "keyed server starts" $? "$(tail -n 3 "$tmp/keyed.log")"
grep -q "warning" "$tmp/keyed.log"
[ $? != 0 ]
check "no warning with --api-key" $? "$(cat "$tmp/keyed.log")"
for pair in api.example:200 API.EXAMPLE:8080:200 10.0.0.5:200 localhost:200 other.example:403 api.example.evil:403; do
    h=${pair%:*} want=${pair##*:}
    code=$(status_for_host "$port" "$h" -H "Authorization: Bearer k3y")
    [ "$code" = "$want" ]
    check "--allowed-hosts: Host $h -> $want" $? "$code"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
