#!/bin/bash
# "How good is my quantization?": every quantization type of one model, measured against
# the model dequantized to F32. For each type the model is quantized from that F32 file
# (llama-fast quantize, llama-quantize's mixes) without and with an importance matrix,
# then `llama-fast eval --base F32 --perplexity TEXT --json` gives perplexity, KL
# divergence and top-1 agreement, and `llama-fast bench -p 0 -n 128` the decode speed.
# The imatrix is computed on other texts than the one evaluated (no test on training data).
# Prints a markdown table and writes it to OUT.
#
# usage: bench/quality.sh [MODEL] [TYPES] [THREADS]
#   defaults: models/SmolLM2-135M-Instruct.Q4_1.gguf, every llama-quantize type from F16
#   to Q2_K, 2 threads
# Environment: TEXT (evaluated text; default Debian's GPL-3 licence text), CALIB (imatrix
#   texts, space-separated; default the Apache-2.0, MPL-2.0 and GFDL-1.3 licence texts),
#   CTX (default 512), LLAMA_FAST (default build/llama-fast), OUT (default
#   bench/results/DATE/quality.md), OUT_DIR (scratch; default a temporary directory).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
MODEL=${1:-$ROOT/models/SmolLM2-135M-Instruct.Q4_1.gguf}
TYPES=${2:-F16,BF16,Q8_0,Q6_K,Q5_K_M,Q5_K_S,Q5_1,Q5_0,Q4_K_M,Q4_K_S,Q4_1,Q4_0,Q3_K_L,Q3_K_M,Q3_K_S,Q2_K}
THREADS=${3:-2}
LICENSES=/usr/share/common-licenses
TEXT=${TEXT:-$LICENSES/GPL-3}
CALIB=${CALIB:-"$LICENSES/Apache-2.0 $LICENSES/MPL-2.0 $LICENSES/GFDL-1.3"}
CTX=${CTX:-512}
LF=${LLAMA_FAST:-$ROOT/build/llama-fast}
OUT=${OUT:-$ROOT/bench/results/$(date -u +%Y-%m-%d)/quality.md}
for f in "$MODEL" "$LF" "$TEXT" $CALIB; do
    [ -e "$f" ] || { echo "error: $f not found (make run; make)" >&2; exit 1; }
done
OUT_DIR=${OUT_DIR:-$(mktemp -d)}
trap 'rm -rf "$OUT_DIR"' EXIT
rows="$OUT_DIR/rows.jsonl"
: > "$rows"

base="$OUT_DIR/base-F32.gguf"
echo "quality: dequantizing $MODEL to F32" >&2
"$LF" quantize "$MODEL" "$base" --type F32 -t "$THREADS" >/dev/null 2>&1
# shellcheck disable=SC2086
cat $CALIB > "$OUT_DIR/calib.txt"
echo "quality: imatrix of the F32 model on: $CALIB" >&2
"$LF" imatrix "$base" --text "$OUT_DIR/calib.txt" -o "$OUT_DIR/imatrix.gguf" --ctx "$CTX" -t "$THREADS" 2>/dev/null

# measure LABEL TYPE FILE IMATRIX(0|1): appends one JSON row
measure() {
    local ev speed
    ev=$("$LF" eval "$3" --base "$base" --perplexity "$TEXT" --ctx "$CTX" -t "$THREADS" --json 2>/dev/null)
    speed=$("$LF" bench "$3" -p 0 -n 128 -r 3 -t "$THREADS" --json 2>/dev/null)
    python3 - "$1" "$2" "$(stat -c %s "$3")" "$4" "$ev" "$speed" >> "$rows" <<'EOF'
import json, sys
label, typ, size, imatrix, ev, speed = sys.argv[1:]
ev, speed = json.loads(ev), json.loads(speed)
print(json.dumps({"label": label, "type": typ, "size": int(size), "imatrix": imatrix == "1",
                  "params": speed["params"], "tg": speed["tokens_per_second"]["median"],
                  "ppl": ev["ppl"], "ppl_stderr": ev["ppl_stderr"], "kl": ev["kl"]}))
EOF
}

measure F32 F32 "$base" 0
IFS=, read -ra types <<< "$TYPES"
for t in "${types[@]}"; do
    echo "quality: $t" >&2
    q="$OUT_DIR/$t.gguf"
    "$LF" quantize "$base" "$q" --type "$t" -t "$THREADS" >/dev/null 2>&1
    measure "$t" "$t" "$q" 0
    rm -f "$q"
    case "$t" in F32|F16|BF16|Q8_0) continue ;; esac # the imatrix changes nothing
    "$LF" quantize "$base" "$q" --type "$t" --imatrix "$OUT_DIR/imatrix.gguf" -t "$THREADS" >/dev/null 2>&1
    measure "$t" "$t" "$q" 1
    rm -f "$q"
done

mkdir -p "$(dirname "$OUT")"
python3 - "$rows" "$MODEL" "$TEXT" "$CALIB" "$CTX" "$THREADS" "$(cpu_name)" > "$OUT" <<'EOF'
import json, sys
rows_path, model, text, calib, ctx, threads, cpu = sys.argv[1:]
rows = [json.loads(l) for l in open(rows_path)]
plain = [r for r in rows if not r["imatrix"]]
weighted = {r["type"]: r for r in rows if r["imatrix"]}
base_ppl = plain[0]["ppl"]

def stats(r):
    kl = r["kl"]
    return (f"{r['ppl']:.4f} ± {r['ppl_stderr']:.4f} | {100 * (r['ppl'] / base_ppl - 1):+.2f} % | "
            f"{kl['mean']:.5f} | {kl['p99']:.4f} | {100 * kl['top1_agreement']:.2f} %")

print(f"Model: `{model.split('/')[-1]}` dequantized to F32 as the base; each type quantized from that F32 file "
      f"with llama.cpp's mix rules. Text: `{text}` at ctx {ctx} (llama-perplexity's method: the second half of "
      f"each chunk scored); KL divergence and top-1 agreement against the F32 base on the same tokens. "
      f"Importance matrix: `llama-fast imatrix` of the F32 model on {', '.join('`' + c.split('/')[-1] + '`' for c in calib.split())} "
      f"(ctx {ctx}). Decode: `llama-fast bench -p 0 -n 128 -r 3`, {threads} threads, median tokens/s. "
      f"Machine: {cpu}. Produced by `bench/quality.sh`.\n")
print("| type | size MiB | bits/weight | decode tok/s | ppl | Δppl | mean KL | KL p99 | top-1 | "
      "ppl (imatrix) | Δppl (imatrix) | mean KL (imatrix) | KL p99 (imatrix) | top-1 (imatrix) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in plain:
    w = weighted.get(r["type"])
    print(f"| {r['type']} | {r['size'] / 2**20:.1f} | {8 * r['size'] / r['params']:.2f} | {r['tg']:.1f} | {stats(r)} | "
          + (stats(w) if w else "— | — | — | — | —") + " |")
EOF
cat "$OUT"
echo "quality: written to $OUT" >&2
