#!/bin/bash
# Decode speed against KV-cache fill, per KV cache type: `llama-fast bench -p 0 -n N -d
# DEPTH --kv-type T` prefills each depth once, then times N single-token steps from there
# ("tg128 @ d4096"), for every thread count; the last column is the speed at that depth
# over the speed at depth 0 (issue 10's goal for the 1B shape: >= 80 % at 4096). With PEER
# (default: the newest llama.cpp's llama-bench, third_party/llama.cpp-newest/bin, when
# built by bench/build-llama-cpp.sh) the same test runs there too (`llama-bench -p 0 -n N
# -d DEPTH -ctk T -ctv T -fa on`), alternating with ours per (type, threads, depth) so
# both see the same machine load. With BEFORE=path/to/other/llama-fast, that binary too.
# Then one RSS_CTX-token context (RSS_CTX - N prefilled + N generated) under
# /usr/bin/time -v for the peak RSS, next to the file size and the KV cache size.
#
# usage: bench/context_scaling.sh MODEL [MODEL...]   (e.g. models/bench/llama3.2-1b-Q4_0.gguf)
# environment: BIN (default build/llama-fast), PEER (llama-bench; "none" to skip),
#              BEFORE (optional second llama-fast), KV_TYPES (f16,q8_0,f32),
#              DEPTHS (0,4096), THREADS (2), N (128), REPS (3), RSS_CTX (4096; 0 = no RSS run)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/llama-fast}
PEER=${PEER:-third_party/llama.cpp-newest/bin/llama-bench}
[ -x "$PEER" ] || PEER=
BEFORE=${BEFORE:-}
KV_TYPES=${KV_TYPES:-f16,q8_0,f32}
DEPTHS=${DEPTHS:-0,4096}
THREADS=${THREADS:-2}
N=${N:-128}
REPS=${REPS:-3}
RSS_CTX=${RSS_CTX:-4096}
[ $# -ge 1 ] || { sed -n '2,16p' "$0"; exit 2; }

ours_tps() { # BIN MODEL THREADS DEPTH KV -> median tokens/s
    "$1" bench "$2" -p 0 -n "$N" -d "$4" -t "$3" -r "$REPS" --kv-type "$5" --json | tail -n 1 |
        python3 -c 'import json, sys; print("%.2f" % json.load(sys.stdin)["tokens_per_second"]["median"])'
}

peer_tps() { # MODEL THREADS DEPTH KV -> average tokens/s of llama-bench
    "$PEER" -m "$1" -p 0 -n "$N" -d "$3" -t "$2" -r "$REPS" -ctk "$4" -ctv "$4" -fa on -o json 2>/dev/null |
        python3 -c 'import json, sys; print("%.2f" % json.load(sys.stdin)[0]["avg_ts"])'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}'; }

for model in "$@"; do
    [ -f "$model" ] || { echo "skip: $model not found"; continue; }
    echo "## $(basename "$model") ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
    echo
    printf '| %-4s | %-7s | %-5s | %10s | %8s |' kv threads depth "t/s" "/ d0"
    [ -n "$PEER" ] && printf ' %10s | %8s | %8s |' "llama.cpp" "/ d0" "ours/l.c"
    [ -n "$BEFORE" ] && printf ' %10s | %6s |' "before t/s" ratio
    echo
    printf '%s' '|------|---------|-------|-----------:|---------:|'
    [ -n "$PEER" ] && printf '%s' '-----------:|---------:|---------:|'
    [ -n "$BEFORE" ] && printf '%s' '-----------:|-------:|'
    echo
    for kv in ${KV_TYPES//,/ }; do
        for t in ${THREADS//,/ }; do
            base= peer_base=
            for d in ${DEPTHS//,/ }; do
                tps=$(ours_tps "$BIN" "$model" "$t" "$d" "$kv")
                [ -n "$base" ] || base=$tps
                printf '| %-4s | %-7s | %-5s | %10s | %8s |' "$kv" "$t" "$d" "$tps" "$(ratio "$tps" "$base")"
                if [ -n "$PEER" ]; then
                    p=$(peer_tps "$model" "$t" "$d" "$kv" || echo 0)
                    [ -n "$peer_base" ] || peer_base=$p
                    printf ' %10s | %8s | %8s |' "$p" "$(ratio "$p" "$peer_base")" "$(ratio "$tps" "$p")"
                fi
                if [ -n "$BEFORE" ]; then
                    old=$(ours_tps "$BEFORE" "$model" "$t" "$d" "$kv")
                    printf ' %10s | %6s |' "$old" "$(ratio "$tps" "$old")x"
                fi
                echo
            done
        done
    done
    echo
    [ "$RSS_CTX" -gt 0 ] || continue
    # peak RSS of one full context, per KV type
    file_mib=$(awk -v s="$(stat -c %s "$model")" 'BEGIN{printf "%.1f", s/1048576}')
    depth=$((RSS_CTX - N))
    for kv in ${KV_TYPES//,/ }; do
        kv_bytes=$("$BIN" bench "$model" -p 0 -n 1 -d 0 -t 1 -r 1 --kv-type "$kv" --json | tail -n 1 |
            python3 -c 'import json, sys; print(json.load(sys.stdin)["kv_bytes"])')
        kv_mib=$(awk -v b="$kv_bytes" -v c="$RSS_CTX" 'BEGIN{printf "%.1f", b * c / 1048576}')
        rss_kib=$(/usr/bin/time -v "$BIN" bench "$model" -p 0 -n "$N" -d "$depth" -t 2 -r 1 --kv-type "$kv" 2>&1 >/dev/null |
            awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}')
        echo "peak RSS for a $RSS_CTX-token context, --kv-type $kv: $(awk -v k="$rss_kib" 'BEGIN{printf "%.1f", k/1024}') MiB" \
            "(file $file_mib MiB + KV cache $kv_mib MiB + 100 MiB = $(awk -v a="$file_mib" -v b="$kv_mib" 'BEGIN{printf "%.1f", a+b+100}') MiB budget)"
    done
    echo
done
