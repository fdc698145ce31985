#!/usr/bin/env python3
"""Compares lf_dequantize_row (via build/tools/dequant_tool) with the Python gguf
package's reference dequantization, for every weight type, on random valid blocks:
random bytes with every fp16 scale field overwritten by a small finite fp16 value.
Usage: tests/check_dequant.py [BUILD_DIR]   (default: $BUILD or "build")"""
import os
import subprocess
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGML_QUANT_SIZES
from gguf.quants import dequantize

# Byte offsets of the fp16 scale fields inside one block, from the GGML layouts.
FP16_FIELDS = {
    "F16": None,  # every element: handled separately
    "BF16": None,
    "F32": None,
    "Q4_0": [0],
    "Q4_1": [0, 2],
    "Q5_0": [0],
    "Q5_1": [0, 2],
    "Q8_0": [0],
    "IQ4_NL": [0],
    "Q2_K": [80, 82],
    "Q3_K": [108],
    "Q4_K": [0, 2],
    "Q5_K": [0, 2],
    "Q6_K": [208],
}


def random_blocks(rng, name, n_blocks):
    block_elems, block_bytes = GGML_QUANT_SIZES[T[name]]
    if name == "F32":
        return rng.standard_normal(n_blocks * block_elems).astype(np.float32).view(np.uint8)
    if name == "F16":
        bits = rng.integers(0, 1 << 16, n_blocks, dtype=np.uint16)
        # every fp16 bit pattern except NaN (NaN payloads need not survive numpy's cast)
        bits = np.where((bits & 0x7C00) == 0x7C00, bits & 0x83FF, bits).astype(np.uint16)
        return bits.view(np.uint8)
    if name == "BF16":
        return rng.integers(0, 1 << 16, n_blocks, dtype=np.uint16).view(np.uint8)
    raw = rng.integers(0, 256, (n_blocks, block_bytes), dtype=np.uint8)
    for off in FP16_FIELDS[name]:
        scale = (rng.standard_normal(n_blocks) * 0.05).astype(np.float16)
        raw[:, off:off + 2] = scale.view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(-1)


def run_tool(tool, name, n, data):
    out = subprocess.run([tool, name, str(n)], input=data.tobytes(), capture_output=True,
                         check=True).stdout
    return np.frombuffer(out, dtype=np.float32)


def same(ours, ref):
    both_nan = np.isnan(ours) & np.isnan(ref)
    close = np.abs(ours - ref) <= 1e-6 * np.maximum(1.0, np.abs(ref))
    return bool(np.all(both_nan | close)) and ours.shape == ref.shape


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BUILD", "build")
    tool = os.path.join(build, "tools", "dequant_tool")
    rng = np.random.default_rng(1234)
    passed = failed = 0
    for name in FP16_FIELDS:
        block_elems, _ = GGML_QUANT_SIZES[T[name]]
        for n_blocks in (1, 7, 64):
            n = n_blocks * max(block_elems, 1)
            data = random_blocks(rng, name, n if block_elems == 1 else n_blocks)
            ref = dequantize(data, T[name]).astype(np.float32).reshape(-1)
            ours = run_tool(tool, name, n, data)
            if same(ours, ref):
                passed += 1
            else:
                failed += 1
                bad = np.flatnonzero(~np.isclose(ours, ref, rtol=1e-6, atol=1e-6, equal_nan=True))
                print(f"FAIL {name} n={n}: {len(bad)} mismatches, first at {bad[:5]}: "
                      f"ours {ours[bad[:5]]} ref {ref[bad[:5]]}", file=sys.stderr)
    # A truncated input must be refused, not read past.
    r = subprocess.run([tool, "Q4_K", "256"], input=b"\0" * 10, capture_output=True)
    if r.returncode != 0:
        passed += 1
    else:
        failed += 1
        print("FAIL: truncated input accepted", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
