#!/usr/bin/env python3
"""`llama-fast quantize` against llama.cpp's llama-quantize on a real model: SmolLM2 is
first written as F32 by our quantize (dequantizing its Q4_1), then both programs
quantize that F32 file to every file type (and --pure and the role overrides); every
tensor's type and bytes, and every metadata key-value, must be the same. SmolLM2's
576-wide rows take llama.cpp's row-length fallbacks in the K-quant mixes. llama.cpp's
llama-simple must print the same text from both Q4_K_M files. Counted as skipped when
llama-quantize is absent.
Usage: tests/check_quantize_model.py [BUILD_DIR [MODEL [LLAMA_BIN_DIR]]]"""
import os
import subprocess
import sys
import tempfile

import gguf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish, skip  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BUILD", "build")
MODEL = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("MODEL", "models/SmolLM2-135M-Instruct.Q4_1.gguf")
LLAMA = sys.argv[3] if len(sys.argv) > 3 else "third_party/llama.cpp-tools/bin"
LF = os.path.join(BUILD, "llama-fast")
QUANTIZE = os.path.join(LLAMA, "llama-quantize")
SIMPLE = os.path.join(LLAMA, "llama-simple")

TYPES = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L",
         "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "Q3_K", "Q4_K", "Q5_K"]
# (extra options, type): --pure and the per-role overrides
VARIANTS = [(["--pure"], "Q4_K_M"), (["--pure"], "Q6_K"), (["--pure"], "Q2_K"),
            (["--output-tensor-type", "q8_0", "--token-embedding-type", "q4_0"], "Q4_K_M"),
            (["--pure", "--output-tensor-type", "F16", "--token-embedding-type", "Q8_0"], "Q4_0"),
            (["--output-tensor-type", "Q6_K"], "Q5_0")]
# Under the sanitizers (LF_SANITIZED=1, ~10x slower) one case of each code path: a float
# type, each legacy family, the mixes of both K-quant families, and an override; the
# rest are counted as skipped (the normal build runs them all).
SANITIZED_CASES = {"BF16", "Q8_0", "Q4_1", "Q5_0", "Q2_K", "Q4_K_M", "Q6_K"}


def kvs(reader):
    out = {}
    for f in reader.fields.values():
        if f.name.startswith("GGUF."):
            continue
        out[f.name] = (list(f.types), [bytes(p.tobytes()) for p in f.parts[3:]])  # after key length, key, type
    return out


def compare(what, ours, theirs):
    a, b = gguf.GGUFReader(ours), gguf.GGUFReader(theirs)
    ta, tb = {t.name: t for t in a.tensors}, {t.name: t for t in b.tensors}
    check(set(ta) == set(tb), f"{what}: tensor names differ: {sorted(set(ta) ^ set(tb))[:5]}")
    for name in sorted(set(ta) & set(tb)):
        x, y = ta[name], tb[name]
        check(x.tensor_type == y.tensor_type,
              f"{what}: {name} is {x.tensor_type.name}, llama-quantize made {y.tensor_type.name}")
        check(x.tensor_type != y.tensor_type or x.data.tobytes() == y.data.tobytes(),
              f"{what}: {name} ({x.tensor_type.name}) bytes differ")
    ka, kb = kvs(a), kvs(b)
    diff = sorted(k for k in set(ka) | set(kb) if ka.get(k) != kb.get(k))
    check(not diff, f"{what}: metadata differs in {diff[:5]}")


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


def main():
    work = tempfile.mkdtemp(prefix="lf_quantize_model_")
    f32 = os.path.join(work, "f32.gguf")
    r = run([LF, "quantize", MODEL, f32, "--type", "F32"])
    check(r.returncode == 0 and os.path.exists(f32), f"F32 conversion of {MODEL} failed: {r.stderr[-400:]}")
    if r.returncode != 0:
        return finish()
    have = os.access(QUANTIZE, os.X_OK)
    cases = [([], t) for t in TYPES] + VARIANTS
    if os.environ.get("LF_SANITIZED") == "1":
        left = [c for c in cases if c[1] not in SANITIZED_CASES or (c[0] and c[0][0] != "--output-tensor-type")]
        cases = [c for c in cases if c not in left]
        skip(len(left), "under the sanitizers only one file type of each code path is compared")
    if not have:
        skip(len(cases) + 2, f"{QUANTIZE} not built (bench/build-llama-cpp.sh tools)")
        return finish()
    for opts, t in cases:
        what = " ".join(opts + [t])
        ours, theirs = os.path.join(work, "ours.gguf"), os.path.join(work, "theirs.gguf")
        r1 = run([LF, "quantize", *opts, f32, ours, t, "2"])
        r2 = run([QUANTIZE, *opts, f32, theirs, t, "2"])
        check(r1.returncode == 0, f"{what}: llama-fast quantize failed: {r1.stderr[-400:]}")
        check(r2.returncode == 0, f"{what}: llama-quantize failed: {r2.stderr[-400:]}")
        if r1.returncode == 0 and r2.returncode == 0:
            compare(what, ours, theirs)
        if t == "Q4_K_M" and not opts:
            os.replace(ours, os.path.join(work, "ours_q4km.gguf"))
            os.replace(theirs, os.path.join(work, "theirs_q4km.gguf"))
        for p in (ours, theirs):
            if os.path.exists(p):
                os.remove(p)
    # Q2_K_S needs an importance matrix: both refuse without one (with one:
    # check_quantize_imatrix.py)
    r1 = run([LF, "quantize", f32, os.path.join(work, "q2ks.gguf"), "Q2_K_S"])
    r2 = run([QUANTIZE, f32, os.path.join(work, "q2ks_l.gguf"), "Q2_K_S"])
    check(r1.returncode != 0 and "importance matrix" in r1.stderr and r2.returncode != 0,
          f"Q2_K_S without imatrix: ours {r1.returncode} {r1.stderr[-200:]!r}, llama-quantize {r2.returncode}")
    check(not os.path.exists(os.path.join(work, "q2ks.gguf")) and not os.path.exists(os.path.join(work, "q2ks.gguf.part")),
          "Q2_K_S refusal left a file")
    if os.access(SIMPLE, os.X_OK):
        outs = []
        for f in ("ours_q4km.gguf", "theirs_q4km.gguf"):
            r = run([SIMPLE, "-m", os.path.join(work, f), "-n", "8", "The capital of France is"])
            outs.append((r.returncode, r.stdout))
        check(outs[0][0] == 0 and "capital of France" in outs[0][1], f"llama-simple on our Q4_K_M: {outs[0]}")
        check(outs[0] == outs[1], f"llama-simple differs: ours {outs[0]!r} theirs {outs[1]!r}")
    else:
        skip(2, f"{SIMPLE} not built")
    for f in os.listdir(work):
        os.remove(os.path.join(work, f))
    os.rmdir(work)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
