#!/bin/bash
# `llama-fast export --output-gguf-path` and `quantize --quantize/--dtype` on SmolLM2:
# torchchat's int4/32 + int8 embedding scheme gives Q4_0 matrices, a Q8_0 token_embd and
# a separate Q4_0 output.weight (the source ties them); its blocks are the gguf package's
# quantizers' bytes for the source dequantized; the file gives the same logits (bit for
# bit) and greedy text as the source converted at load with the same scheme; --dtype bf16
# gives BF16 matrices; quantize COPY keeps every tensor's bytes; an executable from a
# scheme runs with no temporary file left, also when interrupted. Bad input: a type and a scheme together, an
# unknown scheme key, a scheme for a .bin, each a non-zero exit and no file.
# Prints "N passed, M failed". Environment: BUILD, MODEL, PYTHON, LF_SANITIZED.
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" = 0 ]
    exit
}
if [ ! -f "$MODEL" ]; then
    echo "SKIP: $MODEL is missing"
    finish
fi
LOGITS=${BUILD:-build}/tools/logits_tool
SCHEME='{"linear:int4": {"groupsize": 32}, "embedding": {"bitwidth": 8, "groupsize": 0}}'
TOKENS=1,504,3458,282,4649,314,2,9876,30

timeout $((120 * SLOW)) "$BIN" export "$MODEL" --output-gguf-path "$tmp/s.gguf" --quantize "$SCHEME" -t 2 \
    2>"$tmp/export.log"
[ $? = 0 ] && [ -f "$tmp/s.gguf" ] && [ ! -e "$tmp/s.gguf.part" ] && ok ||
    bad "export --output-gguf-path: $(tail -n 3 "$tmp/export.log")"

# types, file type, and the blocks against the gguf package's reference quantizers
if out=$("$PYTHON" - "$MODEL" "$tmp/s.gguf" <<'EOF' 2>&1
import sys
import numpy as np
from gguf import GGUFReader, GGMLQuantizationType as Q
from gguf.quants import dequantize, quantize
src, got = ({t.name: t for t in GGUFReader(p).tensors} for p in sys.argv[1:3])
problems = []
def want(name, q):
    if got[name].tensor_type != q:
        problems.append(f"{name} is {got[name].tensor_type.name}, not {q.name}")
for name in got:
    if ".attn_" in name and "norm" not in name or ".ffn_" in name and "norm" not in name:
        want(name, Q.Q4_0)
    elif name.endswith("norm.weight"):
        want(name, Q.F32)
want("token_embd.weight", Q.Q8_0)
want("output.weight", Q.Q4_0)
fields = GGUFReader(sys.argv[2]).fields
if int(fields["general.file_type"].parts[-1][0]) != 2:
    problems.append("general.file_type is not 2 (MOSTLY_Q4_0)")
emb = src["token_embd.weight"]
f32 = dequantize(emb.data, emb.tensor_type).reshape(-1, emb.shape[0])
for name, q in (("output.weight", Q.Q4_0), ("blk.3.attn_q.weight", Q.Q4_0), ("token_embd.weight", Q.Q8_0)):
    t = src["token_embd.weight" if name == "output.weight" else name]
    x = dequantize(t.data, t.tensor_type).reshape(-1, t.shape[0]).astype(np.float32)
    if quantize(x, q).tobytes() != np.asarray(got[name].data).tobytes():
        problems.append(f"{name}: bytes differ from gguf's {q.name} of the dequantized source")
print("\n".join(problems) or "ok")
EOF
); [ "$out" = ok ]; then ok; else bad "exported GGUF: $out"; fi

# the same numbers as the source converted at load: logits bit for bit, greedy text
"$LOGITS" "$tmp/s.gguf" "$TOKENS" 1 >"$tmp/file.f32" 2>"$tmp/l1.log" &&
    "$LOGITS" --quantize "$SCHEME" "$MODEL" "$TOKENS" 1 >"$tmp/load.f32" 2>"$tmp/l2.log" &&
    [ -s "$tmp/file.f32" ] && cmp -s "$tmp/file.f32" "$tmp/load.f32" && ok ||
    bad "logits of the exported file differ from conversion at load: $(tail -n 2 "$tmp/l1.log" "$tmp/l2.log")"
gen() { timeout $((120 * SLOW)) "$BIN" generate "$@" --prompt "The capital of France is" --max-new-tokens 12 \
    --temperature 0 -t 1 2>/dev/null; }
a=$(gen "$tmp/s.gguf")
b=$(gen "$MODEL" --quantize "$SCHEME")
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "greedy text: file '$a' vs load '$b'"

# --dtype bf16 from an F32 file: every matrix BF16 (--dtype types float matrices, as at
# load), norms F32
"$BIN" quantize "$MODEL" "$tmp/f.gguf" --type F32 -t 2 2>"$tmp/q.log" &&
    "$BIN" export "$tmp/f.gguf" --output-gguf-path "$tmp/b.gguf" --dtype bf16 -t 2 2>"$tmp/q.log" && ok ||
    bad "export --dtype bf16: $(tail -n 2 "$tmp/q.log")"
out=$("$PYTHON" - "$tmp/b.gguf" <<'EOF' 2>&1
import sys
from collections import Counter
from gguf import GGUFReader
r = GGUFReader(sys.argv[1])
c = Counter((t.tensor_type.name, t.name.endswith("norm.weight")) for t in r.tensors)
print(sorted(c), int(r.fields["general.file_type"].parts[-1][0]))
EOF
)
[ "$out" = "[('BF16', False), ('F32', True)] 32" ] && ok || bad "--dtype bf16 output: $out"
"$LOGITS" --dtype bf16 "$tmp/f.gguf" "$TOKENS" 1 >"$tmp/load.f32" 2>/dev/null &&
    "$LOGITS" "$tmp/b.gguf" "$TOKENS" 1 >"$tmp/file.f32" 2>/dev/null && cmp -s "$tmp/file.f32" "$tmp/load.f32" && ok ||
    bad "--dtype bf16: logits differ from --dtype bf16 at load"
rm -f "$tmp/f.gguf" "$tmp/b.gguf"

# COPY keeps every tensor as it is
"$BIN" quantize "$MODEL" "$tmp/c.gguf" COPY 2>"$tmp/q.log" && out=$("$PYTHON" - "$MODEL" "$tmp/c.gguf" <<'EOF' 2>&1
import sys
import numpy as np
from gguf import GGUFReader
a, b = (GGUFReader(p) for p in sys.argv[1:3])
same = [(x.name, x.tensor_type, np.asarray(x.data).tobytes()) for x in a.tensors] == \
       [(x.name, x.tensor_type, np.asarray(x.data).tobytes()) for x in b.tensors]
print(same, int(a.fields["general.file_type"].parts[-1][0]) == int(b.fields["general.file_type"].parts[-1][0]))
EOF
) && [ "$out" = "True True" ] && ok || bad "quantize COPY: $out $(tail -n 2 "$tmp/q.log")"

# an executable from a scheme: the GGUF goes through a temporary file that is removed
mkdir "$tmp/run"
timeout $((120 * SLOW)) "$BIN" export "$MODEL" --output-exe-path "$tmp/run/smol" --quantize "$SCHEME" -t 2 \
    2>"$tmp/exe.log" && [ -x "$tmp/run/smol" ] && [ "$(ls "$tmp/run")" = smol ] && ok ||
    bad "exe with --quantize: $(ls "$tmp/run") $(tail -n 3 "$tmp/exe.log")"
c=$(cd "$tmp/run" && timeout $((120 * SLOW)) ./smol generate --prompt "The capital of France is" --max-new-tokens 12 \
    --temperature 0 -t 1 2>/dev/null)
[ -n "$c" ] && [ "$c" = "$b" ] && ok || bad "exe greedy text '$c' vs load '$b'"

# interrupted while the temporary GGUF is written: nothing is left beside the output
mkdir "$tmp/int"
"$BIN" export "$MODEL" --output-exe-path "$tmp/int/smol" --quantize "$SCHEME" -t 1 2>/dev/null &
pid=$!
for _ in $(seq 2000); do [ -e "$tmp/int/smol.model.part.part" ] && break; sleep 0.005; done
if [ -e "$tmp/int/smol.model.part.part" ]; then
    kill -INT $pid
    wait $pid
    [ -z "$(ls "$tmp/int")" ] && ok || bad "interrupted export left $(ls "$tmp/int")"
else
    wait $pid
    echo "note: the export finished before it could be interrupted"
fi

# bad input: non-zero exit, a message naming the problem, no file
expect_refused() { # needle out-file args...
    local needle=$1 out=$2
    shift 2
    "$BIN" "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    if [ $rc != 0 ] && grep -qF -- "$needle" "$tmp/err" && [ ! -e "$out" ] && [ ! -e "$out.part" ]; then ok; else
        bad "$* exited $rc (want '$needle', no $out): $(head -c 400 "$tmp/err")"
    fi
}
expect_refused "not both" "$tmp/x.gguf" quantize "$MODEL" "$tmp/x.gguf" --type Q8_0 --quantize "$SCHEME"
expect_refused "not both" "$tmp/x.gguf" quantize "$MODEL" "$tmp/x.gguf" Q4_0 --dtype f16
expect_refused 'unknown quantizer "linear:int3"' "$tmp/x.gguf" export "$MODEL" --output-gguf-path "$tmp/x.gguf" \
    --quantize '{"linear:int3": {}}'
expect_refused "--bin-version 2 --group-size N" "$tmp/x.bin" export "$MODEL" --output-bin-path "$tmp/x.bin" \
    --quantize "$SCHEME"
expect_refused "--dtype does not apply" "$tmp/x.bin" export "$MODEL" --output-bin-path "$tmp/x.bin" --dtype bf16
expect_refused "refine a file type" "$tmp/x.gguf" quantize "$MODEL" "$tmp/x.gguf" --dtype f16 --pure
finish
