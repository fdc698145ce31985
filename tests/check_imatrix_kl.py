#!/usr/bin/env python3
"""Mean KL divergence of quantized models from their source over a held-out text: the
test-side measure that an importance matrix lowers the divergence at the same type.

  check_imatrix_kl.py SRC.gguf PLAIN.gguf WEIGHTED.gguf [options]
      KL(SRC || PLAIN) and KL(SRC || WEIGHTED), token by token over the text, averaged;
      a check that WEIGHTED (quantized with --imatrix) is the lower.
  check_imatrix_kl.py --demo [options]
      makes everything from the SmolLM2 GGUF with llama.cpp's tools: an F32 source
      (every tensor dequantized), llama-imatrix on a calibration text, llama-quantize
      --pure at --type with and without --imatrix; then the comparison above.
  check_imatrix_kl.py --make-f32 MODEL.gguf OUT.gguf
      only the F32 source: every tensor dequantized, all metadata kept.

Logits come from build/tools/logits_tool (llama-fast's forward pass, --precise-activations
so that activation rounding does not blur the weights' error), ctx tokens per chunk from
an empty cache. Options: --build DIR (build), --text FILE (held-out text, default
/usr/share/common-licenses/Apache-2.0), --ctx N (128), --chunks K (4), --type T (Q4_0),
--calib FILE (GPL-3, for --demo), --bins DIR (llama.cpp binaries), --keep DIR (keep the
--demo files there), -t N (threads, 2). Prints the closing "N passed, M failed" line."""
import argparse
import os
import subprocess
import sys
import tempfile

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFValueType as V
from gguf import quants

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish, skip  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_f32(src, dst):
    """Every tensor of src dequantized to F32 (norms and F32 tensors copied), with src's
    metadata: the full-precision source the quantized models are measured against."""
    r = gguf.GGUFReader(src)
    arch = r.fields["general.architecture"].contents()
    w = gguf.GGUFWriter(dst, arch)
    for key, f in r.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type"):
            continue
        sub = f.types[1] if len(f.types) > 1 else None
        w.add_key_value(key, f.contents(), f.types[0], sub)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    for t in r.tensors:
        shape = [int(d) for d in reversed(t.shape)]
        data = quants.dequantize(t.data, t.tensor_type).reshape(shape).astype(np.float32)
        w.add_tensor(t.name, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def tokens(build, model, text):
    r = subprocess.run([os.path.join(build, "llama-fast"), "tokenize", model, "--file", text],
                       capture_output=True, text=True, check=True)
    return [int(t) for t in r.stdout.split()]


def logits(build, model, ids, threads):
    r = subprocess.run([os.path.join(build, "tools", "logits_tool"), "--precise-activations", model,
                        ",".join(map(str, ids)), str(threads)], capture_output=True, check=True)
    return np.frombuffer(r.stdout, np.float32).reshape(len(ids), -1).astype(np.float64)


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def mean_kl(build, src, models, chunks, threads):
    """{model: (mean KL from src, top-1 agreement)} over every position of every chunk."""
    kl = {m: [] for m in models}
    top = {m: [] for m in models}
    for ids in chunks:
        p = log_softmax(logits(build, src, ids, threads))
        for m in models:
            q = log_softmax(logits(build, m, ids, threads))
            kl[m].extend((np.exp(p) * (p - q)).sum(axis=1))
            top[m].extend(p.argmax(axis=1) == q.argmax(axis=1))
    return {m: (float(np.mean(kl[m])), float(np.mean(top[m]))) for m in models}


def compare(args, src, plain, weighted):
    ids = tokens(args.build, src, args.text)
    n = min(args.chunks, len(ids) // args.ctx)
    check(n >= 1, f"{args.text}: {len(ids)} tokens, fewer than one chunk of {args.ctx}")
    chunks = [ids[i * args.ctx:(i + 1) * args.ctx] for i in range(n)]
    res = mean_kl(args.build, src, [plain, weighted], chunks, args.threads)
    for label, m in (("without imatrix", plain), ("with imatrix", weighted)):
        print(f"{label:16s} {os.path.basename(m)}: mean KL {res[m][0]:.6f}, top-1 agreement {100 * res[m][1]:.1f} % "
              f"({n} x {args.ctx} tokens of {os.path.basename(args.text)})")
    check(res[weighted][0] < res[plain][0],
          f"the imatrix did not lower the KL divergence: {res[weighted][0]:.6f} >= {res[plain][0]:.6f}")
    return res


def demo(args):
    model = os.environ.get("MODEL", os.path.join(HERE, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    lq, li = os.path.join(args.bins, "llama-quantize"), os.path.join(args.bins, "llama-imatrix")
    if not (os.access(lq, os.X_OK) and os.access(li, os.X_OK)):
        skip(2, f"{lq} or {li} absent (bench/build-llama-cpp.sh builds them)")
        return
    work = args.keep or tempfile.mkdtemp()
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "f32.gguf")
    if not os.path.exists(src):
        make_f32(model, src)
    imx = os.path.join(work, "calib.imatrix.gguf")
    if args.imatrix:
        imx = args.imatrix
    else:
        subprocess.run([li, "-m", src, "-f", args.calib, "-c", str(args.ctx), "--chunks", "16", "-t",
                        str(args.threads), "--no-ppl", "-o", imx], capture_output=True, check=True)
    out = {}
    for label, extra in (("plain", []), ("imatrix", ["--imatrix", imx])):
        out[label] = os.path.join(work, f"{args.type}.{label}.gguf")
        subprocess.run([lq, "--pure"] + extra + [src, out[label], args.type], capture_output=True, check=True)
    compare(args, src, out["plain"], out["imatrix"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*")
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("--make-f32", action="store_true")
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--text", default="/usr/share/common-licenses/Apache-2.0")
    ap.add_argument("--calib", default="/usr/share/common-licenses/GPL-3")
    ap.add_argument("--imatrix", help="for --demo: this imatrix file instead of llama-imatrix's")
    ap.add_argument("--ctx", type=int, default=128)
    ap.add_argument("--chunks", type=int, default=4)
    ap.add_argument("--type", default="Q4_0")
    ap.add_argument("--bins", default=os.path.join(HERE, "third_party", "llama.cpp-tools", "bin"))
    ap.add_argument("--keep")
    ap.add_argument("-t", "--threads", type=int, default=2)
    args = ap.parse_args()
    if args.make_f32:
        if len(args.models) != 2:
            ap.error("--make-f32 MODEL.gguf OUT.gguf")
        make_f32(*args.models)
        return 0
    if args.demo:
        demo(args)
    elif len(args.models) == 3:
        compare(args, *args.models)
    else:
        ap.error("give SRC PLAIN WEIGHTED, or --demo")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
