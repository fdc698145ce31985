#!/usr/bin/env python3
"""What each activation mode costs in accuracy, measured against float arithmetic on the
same weights: the numpy reference (tests/ref/llama_ref.py, weights dequantized to f32,
f32 everywhere) against llama-fast's logits in the default mode (plain int8 activations)
and with --precise-activations (int8 activations + their int8 rounding residual). For
every position of a text: the KL divergence KL(p_ref || p_mode), and whether the most
likely token agrees. Prints a Markdown table row per model and mode: mean, median, 99th
percentile and largest KL, top-1 agreement.

For scale, --weight-types Q8_0,Q4_0 adds, for the first model, what quantizing the
(already dequantized) weights once more to those types costs, in the same f32
arithmetic: the size of error that users accept when they choose a weight type.

usage: bench/precision.py BUILD MODEL[:TOKENS] [MODEL[:TOKENS] ...] [--text FILE]
                          [--tokens N] [--threads T] [--weight-types T1,T2]
(default text: /usr/share/common-licenses/GPL-3, first --tokens (512) tokens, or TOKENS
for that model: the reference of a 1B model holds ~5 GiB of f32 weights and a
TOKENS x vocab x 8-byte array of logits per mode).
"""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
import llama_ref  # noqa: E402


def log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def logits(build, model, tokens, vocab, threads, precise):
    cmd = [os.path.join(build, "tools", "logits_tool")] + (["--precise-activations"] if precise else [])
    cmd += [model, ",".join(map(str, tokens)), str(threads)]
    out = subprocess.run(cmd, check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype=np.float32).reshape(len(tokens), vocab)


def requantized(model, type_name):
    """The model with every matrix quantized to type_name and back (norms stay f32)."""
    import gguf
    qtype = gguf.GGMLQuantizationType[type_name]
    w = {name: (np.asarray(gguf.quants.dequantize(gguf.quants.quantize(x, qtype), qtype), np.float32).reshape(x.shape)
                if x.ndim == 2 else x) for name, x in model["w"].items()}
    return dict(cfg=model["cfg"], w=w)


def row(name, mode, ref, ours):
    p_ref = np.exp(ref)
    kl = (p_ref * (ref - ours)).sum(axis=-1)
    top1 = (ref.argmax(-1) == ours.argmax(-1)).mean()
    print(f"| {name} | {mode} | {len(ref)} | {kl.mean():.2e} | {np.median(kl):.2e} | {np.percentile(kl, 99):.2e} | "
          f"{kl.max():.2e} | {100 * top1:.2f} % |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--text", default="/usr/share/common-licenses/GPL-3")
    ap.add_argument("--tokens", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--weight-types", default="")
    a = ap.parse_args()
    print("| model | mode | tokens | mean KL | median KL | 99th pct KL | max KL | top-1 agreement |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for k, arg in enumerate(a.models):
        path, _, n_tokens = arg.rpartition(":") if arg.rpartition(":")[2].isdigit() else (arg, "", "")
        model = llama_ref.load_gguf(path)
        vocab = model["w"]["token_embd.weight"].shape[0]
        ids = subprocess.run([os.path.join(a.build, "llama-fast"), "tokenize", path, "--file", a.text],
                             check=True, capture_output=True, text=True).stdout.split()
        tokens = [int(x) % vocab for x in ids][: int(n_tokens or a.tokens)]
        ref = log_softmax(np.asarray(llama_ref.forward(model, tokens)))
        name = os.path.basename(path)
        for precise, mode in ((False, "int8 (default)"), (True, "int8 + residual (--precise-activations)")):
            row(name, mode, ref, log_softmax(logits(a.build, path, tokens, vocab, a.threads, precise)))
        for t in filter(None, a.weight_types.split(",") if k == 0 else []):
            row(name, f"f32 arithmetic, weights requantized to {t}", ref,
                log_softmax(np.asarray(llama_ref.forward(requantized(model, t), tokens))))


if __name__ == "__main__":
    main()
