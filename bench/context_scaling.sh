#!/bin/bash
# Decode speed against KV-cache fill: `llama-fast bench -p 0 -n N -d DEPTHS` prefills each
# depth once, then times N single-token steps from there ("tg32 @ d4096"), for every
# thread count. With BEFORE=path/to/other/llama-fast the same tests run with that binary
# too, alternating binaries per (threads, depth) so both see the same machine load.
# Then one 4096-token context (4064 prefilled + 32 generated) under /usr/bin/time -v for
# the peak RSS, printed next to the file size and the fp16 KV cache size.
#
# usage: bench/context_scaling.sh MODEL [MODEL...]
# environment: BIN (default build/llama-fast), BEFORE (optional second binary),
#              DEPTHS (0,1024,4096), THREADS (1,2), N (32), REPS (3), RSS_CTX (4096)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/llama-fast}
BEFORE=${BEFORE:-}
DEPTHS=${DEPTHS:-0,1024,4096}
THREADS=${THREADS:-1,2}
N=${N:-32}
REPS=${REPS:-3}
RSS_CTX=${RSS_CTX:-4096}
[ $# -ge 1 ] || { sed -n '2,13p' "$0"; exit 2; }

bench_line() { # BIN MODEL THREADS DEPTH -> the table row
    "$1" bench "$2" -p 0 -n "$N" -d "$4" -t "$3" -r "$REPS" | tail -n 1
}

for model in "$@"; do
    [ -f "$model" ] || { echo "skip: $model not found"; continue; }
    echo "## $(basename "$model")"
    echo
    printf '| %-7s | %-5s | %-14s | %10s |' threads depth test "t/s"
    [ -n "$BEFORE" ] && printf ' %10s | %6s |' "before t/s" ratio
    echo
    printf '%s' '|---------|-------|----------------|-----------:|'
    [ -n "$BEFORE" ] && printf '%s' '-----------:|-------:|'
    echo
    for t in ${THREADS//,/ }; do
        for d in ${DEPTHS//,/ }; do
            row=$(bench_line "$BIN" "$model" "$t" "$d")
            test=$(echo "$row" | awk -F'|' '{gsub(/^ +| +$/, "", $7); print $7}')
            tps=$(echo "$row" | awk -F'|' '{gsub(/ /, "", $8); print $8}')
            printf '| %-7s | %-5s | %-14s | %10s |' "$t" "$d" "$test" "$tps"
            if [ -n "$BEFORE" ]; then
                old=$(bench_line "$BEFORE" "$model" "$t" "$d" | awk -F'|' '{gsub(/ /, "", $8); print $8}')
                printf ' %10s | %6s |' "$old" "$(awk -v a="$tps" -v b="$old" 'BEGIN{printf "%.2fx", a/b}')"
            fi
            echo
        done
    done
    echo
    # peak RSS of one full context
    info=$("$BIN" info "$model")
    layers=$(echo "$info" | awk '/^layers:/ {print $2}')
    kv_heads=$(echo "$info" | awk '/^heads:/ {print $4}')
    head_dim=$(echo "$info" | awk '/^heads:/ {print $NF}')
    kv_mib=$(awk -v l="$layers" -v h="$kv_heads" -v d="$head_dim" -v c="$RSS_CTX" 'BEGIN{printf "%.1f", l*h*d*c*2*2/1048576}')
    file_mib=$(awk -v s="$(stat -c %s "$model")" 'BEGIN{printf "%.1f", s/1048576}')
    depth=$((RSS_CTX - N))
    rss_kib=$(/usr/bin/time -v "$BIN" bench "$model" -p 0 -n "$N" -d "$depth" -t 2 -r 1 2>&1 >/dev/null |
        awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}')
    echo "peak RSS for a $RSS_CTX-token context: $(awk -v k="$rss_kib" 'BEGIN{printf "%.1f", k/1024}') MiB" \
        "(file $file_mib MiB + fp16 KV cache $kv_mib MiB + 100 MiB = $(awk -v a="$file_mib" -v b="$kv_mib" 'BEGIN{printf "%.1f", a+b+100}') MiB budget)"
    echo
done
