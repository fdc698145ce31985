#!/bin/bash
# llama-fast eval against llama.cpp's llama-perplexity on the real SmolLM2 model and the
# GPL-3 text: the perplexity at --ctx 512 (every chunk) and 256 (10 chunks) within 0.5 %,
# and with an F32 dequantization of the model as the base, the mean KL divergence within
# 5 % and the top-1 agreement within 1 point of llama-perplexity --kl-divergence (both
# multiply int8 activations, each in its own arithmetic, so the figures are close, not
# equal). Skipped (visibly) without llama-perplexity (bench/build-llama-cpp.sh tools), the
# model or the text, and under the sanitizers (minutes of model runs).
# Prints "N passed, M failed[, K skipped]". Environment: BUILD, MODEL, LLAMA_CPP_BIN.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
LLAMA=${LLAMA_CPP_BIN:-third_party/llama.cpp-tools/bin}/llama-perplexity
TEXT=/usr/share/common-licenses/GPL-3
why=""
[ -x "$LLAMA" ] || why="$LLAMA is not built (bench/build-llama-cpp.sh tools)"
[ -f "$MODEL" ] || why="$MODEL absent"
[ -f "$TEXT" ] || why="$TEXT absent"
[ "${LF_SANITIZED:-0}" = 1 ] && why="sanitized build (minutes of model runs)"
if [ -n "$why" ]; then
    echo "SKIP (4 checks): $why"
    echo "0 passed, 0 failed, 4 skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# json_field FILE KEY...: the value at that path of the JSON in FILE
json_field() { "$PYTHON" -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: v=v[k]
print(v)' "$@"; }
# within A B REL: |A - B| <= REL x |B|
within() { "$PYTHON" -c 'import sys; a,b,r=map(float,sys.argv[1:]); sys.exit(abs(a-b)>r*abs(b))' "$@"; }

for run in "512 0" "256 10"; do
    set -- $run
    chunks=()
    [ "$2" != 0 ] && chunks=(--chunks "$2")
    "$LLAMA" -m "$MODEL" -f "$TEXT" -c "$1" -t 2 "${chunks[@]}" >"$tmp/llama.log" 2>&1
    theirs=$(sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p' "$tmp/llama.log")
    "$BIN" eval "$MODEL" --perplexity "$TEXT" --ctx "$1" -t 2 "${chunks[@]}" --json >"$tmp/ours.json" 2>"$tmp/err"
    ours=$(json_field "$tmp/ours.json" ppl 2>/dev/null)
    if [ -n "$theirs" ] && [ -n "$ours" ] && within "$ours" "$theirs" 0.005; then ok; else
        bad "ctx $1: ppl ours '$ours', llama-perplexity '$theirs' ($(tail -3 "$tmp/err"))"; fi
    echo "  ctx $1 ${chunks[*]:-(every chunk)}: ppl ours $ours, llama-perplexity $theirs"
done

"$BIN" quantize "$MODEL" "$tmp/f32.gguf" --type F32 >/dev/null 2>&1 || bad "quantize to F32"
"$LLAMA" -m "$tmp/f32.gguf" -f "$TEXT" -c 512 -t 2 --chunks 6 --kl-divergence-base "$tmp/base.bin" >"$tmp/base.log" 2>&1
"$LLAMA" -m "$MODEL" -f "$TEXT" -c 512 -t 2 --chunks 6 --kl-divergence-base "$tmp/base.bin" --kl-divergence \
    >"$tmp/kl.log" 2>&1
kl_theirs=$(sed -n 's/^Mean    KLD: *\([0-9.]*\).*/\1/p' "$tmp/kl.log")
top_theirs=$(sed -n 's/^Same top p: *\([0-9.]*\).*/\1/p' "$tmp/kl.log")
"$BIN" eval "$MODEL" --perplexity "$TEXT" --base "$tmp/f32.gguf" -t 2 --chunks 6 --json >"$tmp/kl.json" 2>"$tmp/err"
kl_ours=$(json_field "$tmp/kl.json" kl mean 2>/dev/null)
top_ours=$(json_field "$tmp/kl.json" kl top1_agreement 2>/dev/null)
if [ -n "$kl_theirs" ] && [ -n "$kl_ours" ] && within "$kl_ours" "$kl_theirs" 0.05; then ok; else
    bad "mean KL ours '$kl_ours', llama-perplexity '$kl_theirs' ($(tail -3 "$tmp/err"))"; fi
if [ -n "$top_theirs" ] && [ -n "$top_ours" ] &&
    "$PYTHON" -c 'import sys; sys.exit(abs(100*float(sys.argv[1])-float(sys.argv[2]))>1)' "$top_ours" "$top_theirs"; then
    ok; else bad "top-1 ours '$top_ours', llama-perplexity '$top_theirs' %"; fi
echo "  KL from F32, 6 chunks of 512: mean ours $kl_ours, llama-perplexity $kl_theirs; top-1 ours $top_ours," \
    "llama-perplexity $top_theirs %"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
