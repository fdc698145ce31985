#!/usr/bin/env python3
"""Byte identity of lf_quantize_row (via build/tools/quant_tool) with reference
quantizers: the Python gguf package for the types it can quantize (F16, BF16, Q4_0, Q4_1,
Q5_0, Q5_1, Q8_0; its quants module only dequantizes the K-quants), and llama.cpp's
llama-quantize --pure (no imatrix, so ggml's quantize_row_*_ref; for IQ4_NL its
quantize_iq4_nl) on an F32 GGUF for every type, skipped visibly when the binary is absent.
Usage: tests/check_quantize.py [BUILD_DIR [LLAMA_QUANTIZE]]
(defaults: $BUILD or "build"; third_party/llama.cpp-tools/bin/llama-quantize)"""
import os
import subprocess
import tempfile
import sys
import warnings

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish, skip  # noqa: E402

GGUF_TYPES = ["F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"]
# IQ4_NL: llama-quantize's bytes (ggml's quantize_iq4_nl, whose scale search runs also
# without an imatrix), not those of quantize_row_iq4_nl_ref, which no file uses
LLAMA_TYPES = GGUF_TYPES + ["Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL"]
WIDTH = 768  # a multiple of 256, so llama-quantize keeps every K-quant it is asked for


def run_tool(tool, name, x):
    r = subprocess.run([tool, name, str(x.size)], input=x.astype(np.float32).tobytes(),
                       capture_output=True)
    return r.returncode, r.stdout


def rows(rng, n):
    """Rows that reach the rounding edges: Gaussian at several scales, exact ties
    (integers and halves, where truncation and round-half-away decide), a lone outlier,
    all zeros, constant blocks, small and sub-fp16 magnitudes, fp16 overflow."""
    yield "normal", rng.standard_normal(n)
    yield "wide", rng.standard_normal(n) * np.exp(rng.uniform(-8, 8, n))
    yield "integers", rng.integers(-16, 17, n).astype(np.float64)
    yield "halves", rng.integers(-64, 65, n) * 0.5
    out = rng.standard_normal(n) * 0.01
    out[n // 3] = 1000.0
    yield "outlier", out
    yield "zeros", np.zeros(n)
    yield "constant", np.full(n, -0.375)
    yield "tiny", rng.standard_normal(n) * 1e-30
    yield "below_fp16", rng.standard_normal(n) * 1e-7
    yield "fp16_overflow", rng.standard_normal(n) * 1e6


def write_f32_model(path, tensors):
    """A one-layer llama GGUF, the least llama-quantize accepts: its hparams, one
    attn_v per layer, and the rows under test as the 2-D weights."""
    w = gguf.GGUFWriter(path, "llama")
    w.add_context_length(64)
    w.add_embedding_length(WIDTH)
    w.add_block_count(1)
    w.add_feed_forward_length(WIDTH)
    w.add_head_count(12)
    w.add_head_count_kv(12)
    w.add_layer_norm_rms_eps(1e-5)
    for name, data in tensors.items():
        w.add_tensor(name, data)
    w.add_tensor("output_norm.weight", np.ones(WIDTH, np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def check_llama_quantize(tool, llama_quantize, rng):
    names = ["token_embd.weight", "blk.0.attn_v.weight", "blk.0.ffn_down.weight", "output.weight"]
    if not os.access(llama_quantize, os.X_OK):
        skip(len(LLAMA_TYPES) * (1 + len(names)),
             f"{llama_quantize} absent (bench/build-llama-cpp.sh builds it): no llama.cpp comparison")
        return
    # llama-quantize refuses a tensor whose fp16 scales overflowed (ggml_validate_row_data)
    all_rows = [x.astype(np.float32) for label, x in rows(rng, WIDTH) if label != "fp16_overflow"]
    all_rows += [rng.standard_normal(WIDTH).astype(np.float32) * 0.02 for _ in range(23)]
    per = len(all_rows) // len(names)
    tensors = {n: np.stack(all_rows[i * per:(i + 1) * per]) for i, n in enumerate(names)}
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "f32.gguf")
        write_f32_model(src, tensors)
        for name in LLAMA_TYPES:
            dst = os.path.join(tmp, name + ".gguf")
            r = subprocess.run([llama_quantize, "--pure", src, dst, name], capture_output=True)
            check(r.returncode == 0, f"llama-quantize {name}: {r.stderr.decode()[-300:]}")
            if r.returncode != 0:
                continue
            out = {t.name: t for t in gguf.GGUFReader(dst).tensors}
            for tname, data in tensors.items():
                ref = out[tname]
                rc, ours = run_tool(tool, name, data.reshape(-1))
                same = ref.tensor_type == T[name] and rc == 0 and ours == bytes(ref.data.tobytes())
                check(same, f"{name} {tname} vs llama-quantize: type {ref.tensor_type.name}, rc={rc}")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BUILD", "build")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    llama_quantize = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        here, "third_party", "llama.cpp-tools", "bin", "llama-quantize")
    tool = os.path.join(build, "tools", "quant_tool")
    warnings.simplefilter("ignore", RuntimeWarning)  # the fp16_overflow rows overflow on purpose
    rng = np.random.default_rng(4321)
    n = 32 * 24
    for label, x in rows(rng, n):
        x = x.astype(np.float32)
        for name in GGUF_TYPES:
            ref = quants.quantize(x.reshape(1, -1), T[name]).tobytes()
            rc, ours = run_tool(tool, name, x)
            diff = -1
            if rc == 0 and len(ours) == len(ref):
                d = np.flatnonzero(np.frombuffer(ours, np.uint8) != np.frombuffer(ref, np.uint8))
                diff = int(d[0]) if d.size else None
            check(rc == 0 and diff is None,
                  f"{name} {label}: rc={rc} len {len(ours)} vs {len(ref)}, first differing byte {diff}")
    # Refusals: non-finite values and lengths the blocks cannot hold.
    for name in GGUF_TYPES + ["IQ4_NL"]:
        for bad in (np.inf, -np.inf, np.nan):
            x = np.zeros(64, np.float32)
            x[5] = bad
            rc, _ = run_tool(tool, name, x)
            check(rc == 3, f"{name} accepted {bad}")
    check_llama_quantize(tool, llama_quantize, rng)
    rc, _ = run_tool(tool, "Q4_0", np.zeros(33, np.float32))
    check(rc == 2, "Q4_0 accepted 33 elements")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
