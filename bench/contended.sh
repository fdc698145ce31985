#!/usr/bin/env bash
# Decode speed at 1 and 2 threads, quiet and with a competing busy process pinned to one
# CPU, alternated round by round so that drift in the machine's other load hits both
# alike. Prints the median over rounds of each case and the 2-thread/1-thread ratio;
# under contention that ratio should stay >= 1 (a descheduled thread must not stall the
# others). Run from the repository root after `make all`. Several --bin options compare
# builds (e.g. before and after a change): each round runs every build in both cases.
#
#   bench/contended.sh [MODEL] [--rounds N] [--tokens N] [--busy-cpu C] [--bin PATH]... [--json FILE]
set -euo pipefail

model=models/SmolLM2-135M-Instruct.Q4_1.gguf
rounds=7 tokens=64 busy_cpu=1 json_out=
bins=()
while (($#)); do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --tokens) tokens=$2; shift 2 ;;
        --busy-cpu) busy_cpu=$2; shift 2 ;;
        --bin) bins+=("$2"); shift 2 ;;
        --json) json_out=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        -*) echo "contended.sh: unknown option $1" >&2; exit 2 ;;
        *) model=$1; shift ;;
    esac
done
((${#bins[@]})) || bins=(build/llama-fast)
for bin in "${bins[@]}"; do
    [[ -x $bin ]] || { echo "contended.sh: $bin not found (make all)" >&2; exit 1; }
done
[[ -f $model ]] || { echo "contended.sh: model $model not found" >&2; exit 1; }
command -v taskset >/dev/null || { echo "contended.sh: taskset (util-linux) is needed" >&2; exit 1; }

tmp=$(mktemp -d)
busy_pid=
stop_busy() {
    if [[ -n $busy_pid ]]; then
        kill "$busy_pid" 2>/dev/null || true
        wait "$busy_pid" 2>/dev/null || true
        busy_pid=
    fi
}
trap 'stop_busy; rm -rf "$tmp"' EXIT

# One bench call per build and case: 1 and 2 threads, 3 repetitions each, JSON lines
# tagged with the build and the case.
run_case() {
    local label=$1 bin
    for bin in "${bins[@]}"; do
        "$bin" bench "$model" -p 0 -n "$tokens" -t 1,2 -r 3 --json 2>/dev/null |
            sed "s|^{|{\"bin\": \"$bin\", \"case\": \"$label\", |" >>"$tmp/all.jsonl"
    done
}

echo "contended decode: $model, tg$tokens, $rounds rounds, busy loop on CPU $busy_cpu" >&2
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((r = 1; r <= rounds; r++)); do
    run_case quiet
    taskset -c "$busy_cpu" sh -c 'while :; do :; done' &
    busy_pid=$!
    sleep 0.2
    run_case busy
    stop_busy
    echo "round $r/$rounds done" >&2
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$tmp/all.jsonl" "$json_out" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bins = list(dict.fromkeys(r["bin"] for r in rows))
by = {}
for r in rows:
    by.setdefault((r["bin"], r["case"], r["threads"]), []).append(r["tokens_per_second"]["median"])
summary = {}
for b in bins:
    print(f"build {b}")
    print(f"  {'case':6} {'threads':>7} {'median t/s':>11} {'min':>8} {'max':>8}  per-round medians")
    s = summary.setdefault(b, {})
    for case in ("quiet", "busy"):
        for t in (1, 2):
            v = by.get((b, case, t), [])
            if not v:
                continue
            s[f"{case}_t{t}"] = statistics.median(v)
            print(f"  {case:6} {t:>7} {s[f'{case}_t{t}']:>11.2f} {min(v):>8.2f} {max(v):>8.2f}  "
                  + " ".join(f"{x:.1f}" for x in v))
    for case in ("quiet", "busy"):
        if f"{case}_t1" in s and f"{case}_t2" in s:
            s[f"{case}_ratio_t2_t1"] = s[f"{case}_t2"] / s[f"{case}_t1"]
            print(f"  {case}: 2-thread / 1-thread = {s[f'{case}_ratio_t2_t1']:.2f}")
if sys.argv[2]:
    with open(sys.argv[2], "w") as f:
        json.dump({"benchmark": "contended_decode", "summary": summary, "runs": rows}, f)
        f.write("\n")
EOF
