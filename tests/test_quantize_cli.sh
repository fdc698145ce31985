#!/bin/bash
# llama-fast quantize from the command line: bad input (an unknown type, a missing
# source, the source as the output, also through a symlink, an output directory that
# cannot be written, a full disk through ulimit -f, non-finite and fp16-overflowing
# weights, bad --imatrix files), OUT.part handling (never left behind, an existing OUT survives a failure, an
# interrupted run leaves nothing), the tensor types the Q4_K_M mix chooses, and that the
# output loads and generates. Prints "N passed, M failed".
# Environment: BUILD, MODEL (SmolLM2 GGUF), PYTHON, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT

# expect_error NEEDLE OUT ARGS...: non-zero exit below 128, "error:" and NEEDLE on
# stderr, nothing under OUT or OUT.part.
expect_error() {
    local needle=$1 out=$2
    shift 2
    "$BIN" quantize "$@" >"$tmp/stdout" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && grep -q 'error:' "$tmp/err" && grep -qF -- "$needle" "$tmp/err" &&
        [ ! -e "$out" ] && [ ! -e "$out.part" ]; then
        ok
    else
        bad "quantize $* exited $rc (want an error naming '$needle' and no $out); stderr: $(head -c 600 "$tmp/err")"
    fi
}

if [ ! -x "$BIN" ] || [ ! -f "$MODEL" ]; then
    bad "$BIN or $MODEL missing"
    echo "$pass passed, $fail failed"
    exit 1
fi

# --help lists every type with its bits per weight
"$BIN" quantize --help >"$tmp/help" 2>&1
for t in F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K; do
    grep -qE "^  $t +[0-9.]+ " "$tmp/help" || bad "--help does not list $t with bits per weight"
done
ok

expect_error "unknown quantization type 'Q9_9'" "$tmp/a.gguf" "$MODEL" "$tmp/a.gguf" --type Q9_9
grep -q "Q4_K_M" "$tmp/err" && ok || bad "the unknown-type error does not list the valid types"
expect_error "unknown tensor type 'Q7'" "$tmp/a.gguf" "$MODEL" "$tmp/a.gguf" --type Q4_0 --output-tensor-type Q7
expect_error "$tmp/missing.gguf" "$tmp/a.gguf" "$tmp/missing.gguf" "$tmp/a.gguf" --type Q8_0

# the output must never be the source: same path, or a symlink to it
cp "$MODEL" "$tmp/src.gguf"
sum=$(cksum <"$tmp/src.gguf")
"$BIN" quantize "$tmp/src.gguf" "$tmp/src.gguf" --type Q8_0 2>"$tmp/err"
[ $? -ne 0 ] && grep -q "overwrite the source" "$tmp/err" && [ "$(cksum <"$tmp/src.gguf")" = "$sum" ] &&
    [ ! -e "$tmp/src.gguf.part" ] && ok || bad "output = source was not refused: $(cat "$tmp/err")"
ln -s src.gguf "$tmp/link.gguf"
"$BIN" quantize "$tmp/src.gguf" "$tmp/link.gguf" --type Q8_0 2>"$tmp/err"
[ $? -ne 0 ] && grep -q "overwrite the source" "$tmp/err" && [ "$(cksum <"$tmp/src.gguf")" = "$sum" ] &&
    ok || bad "output = symlink to the source was not refused: $(cat "$tmp/err")"

# an output directory that cannot be written (root ignores permissions: /proc refuses all)
expect_error "cannot create /proc/lf_out.gguf.part" /proc/lf_out.gguf "$MODEL" /proc/lf_out.gguf --type Q8_0
mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
if touch "$tmp/ro/probe" 2>/dev/null; then
    rm -f "$tmp/ro/probe"
    echo "SKIP: running as root, a read-only directory is writable"
else
    expect_error "cannot create $tmp/ro/out.gguf.part" "$tmp/ro/out.gguf" "$MODEL" "$tmp/ro/out.gguf" --type Q8_0
fi

# a full disk: the file-size limit makes write() fail with EFBIG
(ulimit -f 2048; "$BIN" quantize "$MODEL" "$tmp/big.gguf" --type Q8_0 >/dev/null 2>"$tmp/err")
rc=$?
[ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q "big.gguf.part: File too large" "$tmp/err" && [ ! -e "$tmp/big.gguf" ] &&
    [ ! -e "$tmp/big.gguf.part" ] && ok || bad "full disk: exit $rc, $(cat "$tmp/err")"
# ... and an existing OUT survives such a failure untouched
echo "previous" >"$tmp/keep.gguf"
(ulimit -f 2048; "$BIN" quantize "$MODEL" "$tmp/keep.gguf" --type Q8_0 >/dev/null 2>&1)
[ "$(cat "$tmp/keep.gguf")" = previous ] && [ ! -e "$tmp/keep.gguf.part" ] && ok || bad "a failed run changed OUT"

# interrupted: SIGTERM and SIGINT mid-run leave neither OUT nor OUT.part
for sig in TERM INT; do
    "$BIN" quantize "$MODEL" "$tmp/int.gguf" --type Q4_K_M -t 1 >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do [ -s "$tmp/int.gguf.part" ] && break; sleep 0.05; done
    kill -$sig $pid
    wait $pid
    rc=$?
    [ $rc -ne 0 ] && [ ! -e "$tmp/int.gguf" ] && [ ! -e "$tmp/int.gguf.part" ] && ok ||
        bad "SIG$sig: exit $rc, left $(ls "$tmp" | grep int)"
done

# a run: a quantized source is requantized with a warning; a stale OUT.part is replaced
echo stale >"$tmp/q.gguf.part"
"$BIN" quantize "$MODEL" "$tmp/q.gguf" Q4_K_M 2 >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && [ -f "$tmp/q.gguf" ] && [ ! -e "$tmp/q.gguf.part" ] && ok || bad "Q4_K_M run: exit $rc $(tail -3 "$tmp/err")"
grep -q "warning: .*requantized through f32" "$tmp/err" && ok || bad "no requantize warning"
grep -q "rows of 576 are not a multiple of Q4_K's 256-element blocks; using Q5_0" "$tmp/err" && ok ||
    bad "the row-length fallback was not said"

# the types llama.cpp's Q4_K_M mix gives SmolLM2 (30 layers, tied embeddings, 576 wide)
"$PYTHON" - "$tmp/q.gguf" >"$tmp/types" 2>&1 <<'PY'
import sys, gguf
r = gguf.GGUFReader(sys.argv[1])
t = {x.name: x.tensor_type.name for x in r.tensors}
want = {"token_embd.weight": "Q8_0",          # tied: the output's Q6_K, 576 % 256 -> Q8_0
        "blk.0.attn_q.weight": "Q5_0",        # Q4_K -> Q5_0 fallback
        "blk.0.attn_v.weight": "Q8_0",        # more bits: Q6_K -> Q8_0
        "blk.3.attn_v.weight": "Q5_0",
        "blk.0.ffn_down.weight": "Q6_K",      # 1536 wide: K-quants fit
        "blk.3.ffn_down.weight": "Q4_K",
        "blk.5.ffn_down.weight": "Q6_K",
        "blk.0.attn_norm.weight": "F32", "output_norm.weight": "F32"}
bad = [f"{k}: {t.get(k)} (want {v})" for k, v in want.items() if t.get(k) != v]
ft = r.fields["general.file_type"]
if int(ft.parts[ft.data[0]][0]) != 15: bad.append("general.file_type is not 15")
print("\n".join(bad) if bad else "OK")
PY
[ "$(cat "$tmp/types")" = OK ] && ok || bad "Q4_K_M types: $(cat "$tmp/types")"

# the output loads and generates
timeout $((60 * SLOW)) "$BIN" generate "$tmp/q.gguf" --prompt "The capital of France is" --max-new-tokens 8 \
    --temperature 0 >"$tmp/gen" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && [ -s "$tmp/gen" ] && ok || bad "generate on the Q4_K_M output: exit $rc $(tail -3 "$tmp/err")"

# refused weights: a non-finite value, and one beyond what Q4_0's fp16 scale can hold
"$BIN" quantize "$MODEL" "$tmp/f32.gguf" --type F32 >/dev/null 2>&1 || bad "F32 conversion failed"
poke() {
    "$PYTHON" - "$tmp/f32.gguf" "$1" <<'PY'
import sys, gguf
r = gguf.GGUFReader(sys.argv[1], "r+")
t = next(x for x in r.tensors if x.name == "blk.1.attn_q.weight")
t.data[7, 3] = float(sys.argv[2])
PY
}
poke inf
expect_error "blk.1.attn_q.weight: row 7 holds a non-finite value" "$tmp/n.gguf" "$tmp/f32.gguf" "$tmp/n.gguf" --type Q8_0
poke nan
expect_error "blk.1.attn_q.weight: row 7 holds a non-finite value" "$tmp/n.gguf" "$tmp/f32.gguf" "$tmp/n.gguf" --type F16
poke 1e30
expect_error "blk.1.attn_q.weight: row 7 has values too large for Q4_0" "$tmp/n.gguf" "$tmp/f32.gguf" "$tmp/n.gguf" --type Q4_0
expect_error "blk.1.attn_q.weight: row 7 has values too large for F16" "$tmp/n.gguf" "$tmp/f32.gguf" "$tmp/n.gguf" --type F16

# --imatrix: a missing file, garbage, an imatrix of another model (an entry of another
# size), one without the entries Q2_K_S needs: each an error naming the file, no OUT
grep -q -- "--imatrix FILE" "$tmp/help" && ok || bad "--help does not give --imatrix"
expect_error "$tmp/none.imatrix" "$tmp/i.gguf" "$MODEL" "$tmp/i.gguf" --type Q4_0 --imatrix "$tmp/none.imatrix"
head -c 3000 /dev/urandom >"$tmp/garbage.imatrix"
expect_error "$tmp/garbage.imatrix" "$tmp/i.gguf" "$MODEL" "$tmp/i.gguf" --type Q4_0 --imatrix "$tmp/garbage.imatrix"
dat() { # dat FILE COLUMNS: a legacy .dat imatrix with one entry, blk.0.attn_q.weight
    "$PYTHON" - "$1" "$2" <<'PY'
import struct, sys
n = int(sys.argv[2]); name = b"blk.0.attn_q.weight"; ds = b"other.txt"
open(sys.argv[1], "wb").write(struct.pack("<ii", 1, len(name)) + name + struct.pack("<ii", 1, n) +
                              struct.pack(f"<{n}f", *([1.0] * n)) + struct.pack("<ii", 1, len(ds)) + ds)
PY
}
dat "$tmp/other.imatrix" 2048
expect_error "$tmp/other.imatrix: imatrix size 2048 is different from tensor size 576 for blk.0.attn_q.weight" \
    "$tmp/i.gguf" "$MODEL" "$tmp/i.gguf" --type Q4_K_M --imatrix "$tmp/other.imatrix"
dat "$tmp/one.imatrix" 576
expect_error "which Q2_K_S quantizes to Q2_K" "$tmp/i.gguf" "$MODEL" "$tmp/i.gguf" Q2_K_S --imatrix "$tmp/one.imatrix"
expect_error "needs an importance matrix (--imatrix FILE" "$tmp/i.gguf" "$MODEL" "$tmp/i.gguf" Q2_K_S
# ... and a good one (ours, in the --type form) is used and recorded, its path cut to
# 127 bytes as llama-quantize records it
good="$tmp/$(printf 'long-directory-name-%.0s' 1 2 3 4 5 6 7)/good.imatrix"
mkdir -p "$(dirname "$good")"
"$BIN" imatrix "$MODEL" --text /usr/share/common-licenses/GPL-3 --ctx 64 --chunks 1 -t 2 -o "$good" >/dev/null 2>&1 ||
    bad "llama-fast imatrix failed"
"$BIN" quantize "$MODEL" "$tmp/i.gguf" --type Q4_0 --imatrix "$good" -t 2 >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && "$PYTHON" - "$tmp/i.gguf" "$good" <<'PY' && ok || bad "Q4_0 --imatrix: exit $rc $(tail -3 "$tmp/err")"
import sys, gguf
r = gguf.GGUFReader(sys.argv[1])
f = r.fields
assert len(sys.argv[2]) > 127 and f["quantize.imatrix.file"].contents() == sys.argv[2][:127]
assert f["quantize.imatrix.dataset"].contents() == "/usr/share/common-licenses/GPL-3"
assert f["quantize.imatrix.chunks_count"].contents() == 1
assert f["quantize.imatrix.entries_count"].contents() == 210
assert {t.name: t.tensor_type.name for t in r.tensors}["blk.0.ffn_down.weight"] == "Q4_1"
PY

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
