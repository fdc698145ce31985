#!/usr/bin/env python3
"""Byte identity of lf_quantize_row (via build/tools/quant_tool) with reference
quantizers: the Python gguf package for the types it can quantize (F16, BF16, Q4_0, Q4_1,
Q5_0, Q5_1, Q8_0; its quants module only dequantizes the K-quants).
Usage: tests/check_quantize.py [BUILD_DIR]   (default: $BUILD or "build")"""
import os
import subprocess
import sys
import warnings

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

GGUF_TYPES = ["F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"]


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


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BUILD", "build")
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
    for name in GGUF_TYPES:
        for bad in (np.inf, -np.inf, np.nan):
            x = np.zeros(64, np.float32)
            x[5] = bad
            rc, _ = run_tool(tool, name, x)
            check(rc == 3, f"{name} accepted {bad}")
    rc, _ = run_tool(tool, "Q4_0", np.zeros(33, np.float32))
    check(rc == 2, "Q4_0 accepted 33 elements")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
