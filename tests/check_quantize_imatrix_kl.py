#!/usr/bin/env python3
"""`llama-fast quantize --imatrix` lowers the KL divergence from the source at the same
type, end to end with our tools only: SmolLM2 as F32 (our quantize), our imatrix of a
calibration text (GPL-3), then our Q4_0 and Q4_K_M with and without it; the mean KL
divergence from the F32 model over held-out text (Apache-2.0, check_imatrix_kl.py's
measure) must be lower with the imatrix for both. A bounded version of
`check_imatrix_kl.py F32 PLAIN WEIGHTED` (which see for more text and types).
Usage: tests/check_quantize_imatrix_kl.py [BUILD_DIR [MODEL]]"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402
from check_imatrix_kl import mean_kl, tokens  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BUILD", "build")
MODEL = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("MODEL", "models/SmolLM2-135M-Instruct.Q4_1.gguf")
LF = os.path.join(BUILD, "llama-fast")
CALIB, HELD_OUT = "/usr/share/common-licenses/GPL-3", "/usr/share/common-licenses/Apache-2.0"
CTX, CALIB_CHUNKS, CHUNKS = 128, 8, 2
TYPES = ["Q4_0", "Q4_K_M"]


def run(args):
    r = subprocess.run(args, capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, f"{' '.join(args)}: exit {r.returncode}: {r.stderr[-300:]}")
    return r.returncode == 0


def main():
    work = tempfile.mkdtemp(prefix="lf_quantize_imatrix_kl_")
    try:
        f32, imx = os.path.join(work, "f32.gguf"), os.path.join(work, "calib.imatrix")
        if not (run([LF, "quantize", MODEL, f32, "F32"]) and
                run([LF, "imatrix", f32, "--text", CALIB, "--ctx", str(CTX), "--chunks", str(CALIB_CHUNKS), "-t", "2",
                     "-o", imx])):
            return finish()
        pairs = []
        for t in TYPES:
            plain, weighted = os.path.join(work, f"{t}.gguf"), os.path.join(work, f"{t}.imatrix.gguf")
            if run([LF, "quantize", f32, plain, t, "2"]) and run([LF, "quantize", "--imatrix", imx, f32, weighted, t, "2"]):
                pairs.append((t, plain, weighted))
        ids = tokens(BUILD, f32, HELD_OUT)
        chunks = [ids[i * CTX:(i + 1) * CTX] for i in range(CHUNKS)]
        res = mean_kl(BUILD, f32, [m for _, p, w in pairs for m in (p, w)], chunks, 2)
        for t, plain, weighted in pairs:
            print(f"{t}: mean KL from F32 {res[plain][0]:.4f} without imatrix, {res[weighted][0]:.4f} with "
                  f"(top-1 agreement {100 * res[plain][1]:.1f} % -> {100 * res[weighted][1]:.1f} %; "
                  f"{CHUNKS} x {CTX} tokens of Apache-2.0)")
            check(res[weighted][0] < res[plain][0], f"{t}: the imatrix did not lower the KL divergence")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
