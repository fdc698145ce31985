"""Hugging Face checkpoints written by transformers, their weights converted at load
(--quantize / --dtype), against transformers running the same arithmetic:

- torchchat's int8 scheme (linear:int8 + embedding, Q8_0) against transformers' fp32
  logits: cosine >= 0.999 at every position, tied and untied embeddings;
- linear:int4 groupsize 32 (Q4_0), and int8 (Q8_0), against transformers with every
  linear weight replaced by its Q4_0 / Q8_0 round trip (numpy, ggml's formulas): the
  same function, so cosine >= 0.9999 and the same argmax (precise activations);
- --dtype bf16 and f16 against transformers with the matrices rounded to that type;
- bad schemes: exit 1 and a message naming the key or field.

usage: check_load_quantize.py BUILD_DIR WORK_DIR   (run with the torch venv's python)
Prints "N passed, M failed".
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
from transformers import LlamaConfig, LlamaForCausalLM
from transformers.utils import logging as hf_logging

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

hf_logging.set_verbosity_error()
BUILD, WORK = sys.argv[1:3]
BIN = os.path.join(BUILD, "llama-fast")
LOGITS_TOOL = os.path.join(BUILD, "tools", "logits_tool")
TIMEOUT = 600 if os.environ.get("LF_SANITIZED") == "1" else 120
VOCAB = 320
INT8 = '{"linear:int8": {"groupsize": 0}, "embedding": {"bitwidth": 8, "groupsize": 0}}'
INT4 = '{"linear:int4": {"groupsize": 32}}'


def save(name, **kw):
    torch.manual_seed(len(name))
    cfg = dict(hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
               num_key_value_heads=2, vocab_size=VOCAB, max_position_embeddings=256, rms_norm_eps=1e-5)
    cfg.update(kw)
    model = LlamaForCausalLM(LlamaConfig(**cfg)).eval()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith("norm.weight"):
                p.copy_(1 + 0.5 * torch.randn_like(p))
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    model.save_pretrained(d, safe_serialization=True)
    return d, model


def ours(d, tokens, *flags):
    r = subprocess.run([LOGITS_TOOL, "--precise-activations", *flags, d, ",".join(map(str, tokens)), "2"],
                       capture_output=True, timeout=TIMEOUT)
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace")
    return np.frombuffer(r.stdout, dtype=np.float32).reshape(len(tokens), VOCAB), ""


def worst_cosine(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return min(float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y))) for x, y in zip(a, b))


def q8_0(w):
    """ggml's Q8_0 round trip of each row (blocks of 32, fp16 scale)."""
    b = w.reshape(-1, 32).astype(np.float32)
    d = np.abs(b).max(axis=1, keepdims=True) / 127
    idv = np.where(d != 0, 1 / np.where(d != 0, d, 1), 0)
    q = np.clip(np.round(b * idv), -127, 127)
    return (q * d.astype(np.float16).astype(np.float32)).reshape(w.shape)


def q4_0(w):
    """ggml's Q4_0 round trip: scale = the signed value of largest magnitude / -8."""
    b = w.reshape(-1, 32).astype(np.float32)
    mx = b[np.arange(len(b)), np.abs(b).argmax(axis=1)][:, None]
    d = mx / -8
    idv = np.where(d != 0, 1 / np.where(d != 0, d, 1), 0)
    q = np.minimum(15, np.trunc(b * idv + 8.5))
    return ((q - 8) * d.astype(np.float16).astype(np.float32)).reshape(w.shape)


def reference(model, tokens, linear=None, embedding=None, output=None):
    """transformers' logits with the matrices passed through the given round trips."""
    m = LlamaForCausalLM(model.config).eval()
    m.load_state_dict(model.state_dict())
    with torch.no_grad():
        for name, p in m.named_parameters():
            fn = embedding if "embed_tokens" in name else output if name == "lm_head.weight" else \
                linear if name.endswith("proj.weight") else None
            if fn:
                p.copy_(torch.from_numpy(np.ascontiguousarray(fn(p.detach().numpy()))))
        if m.config.tie_word_embeddings and output is not embedding:  # the output keeps a copy of its own
            m.lm_head.weight = torch.nn.Parameter(torch.from_numpy(output(model.lm_head.weight.detach().numpy())
                                                                   if output else model.lm_head.weight.detach().numpy()))
        return m(torch.tensor([tokens])).logits[0].float().numpy()


def compare(label, got, err, ref, cos_min):
    check(got is not None, f"{label}: logits_tool failed: {err}")
    if got is None:
        return
    cos = worst_cosine(got, ref)
    same = int((got.argmax(1) == ref.argmax(1)).sum())
    check(cos >= cos_min, f"{label}: worst cosine {cos:.7f} < {cos_min}")
    check(same == len(ref), f"{label}: argmax differs at {len(ref) - same} of {len(ref)} positions")
    print(f"  {label}: worst cosine {cos:.8f}")


def main():
    rng = np.random.default_rng(11)
    tokens = [int(t) for t in rng.integers(0, VOCAB, size=20)]
    for name, kw in (("untied", {}), ("tied", {"tie_word_embeddings": True})):
        d, model = save(name, **kw)
        with torch.no_grad():
            fp32 = model(torch.tensor([tokens])).logits[0].float().numpy()
        got, err = ours(d, tokens, "--quantize", INT8)
        compare(f"{name} int8 scheme vs transformers fp32", got, err, fp32, 0.999)
        compare(f"{name} int8 scheme vs Q8_0 weights", got, err,
                reference(model, tokens, linear=q8_0, embedding=q8_0, output=q8_0), 0.9999)
        got, err = ours(d, tokens, "--quantize", INT4)
        compare(f"{name} linear:int4/32 vs Q4_0 weights", got, err,
                reference(model, tokens, linear=q4_0, output=q4_0), 0.9999)
        for dtype, np_type in (("bf16", None), ("f16", np.float16)):
            round_trip = (lambda w: w.astype(np.float16).astype(np.float32)) if np_type else \
                (lambda w: torch.from_numpy(w).to(torch.bfloat16).float().numpy())
            got, err = ours(d, tokens, "--dtype", dtype)
            compare(f"{name} --dtype {dtype}", got, err,
                    reference(model, tokens, linear=round_trip, embedding=round_trip, output=round_trip), 0.9999)

    d = os.path.join(WORK, "untied")
    for scheme, words in ((INT4.replace("32", "64"), ["groupsize", "256 (Q4_K)"]),
                          ('{"linear:int4": {"group_size": 32}}', ["group_size", "groupsize"]),
                          ('{"linear:fp8": {}}', ["linear:fp8"]),
                          ("{'linear:int4': {'groupsize': 32}}", ["quantize scheme"])):
        r = subprocess.run([BIN, "generate", d, "--quantize", scheme, "--prompt-tokens", "1,2,3",
                            "--max-new-tokens", "2"], capture_output=True, timeout=TIMEOUT)
        msg = r.stderr.decode(errors="replace")
        check(r.returncode == 1 and all(w in msg for w in words), f"bad scheme {scheme}: exit {r.returncode}: {msg}")
    r = subprocess.run([BIN, "generate", d, "--quantize", INT4, "--dtype", "bf16", "--prompt-tokens", "1,2,3",
                        "--max-new-tokens", "2", "--temperature", "0"], capture_output=True, timeout=TIMEOUT)
    msg = r.stderr.decode(errors="replace")
    check(r.returncode == 0 and "linear Q4_0" in msg and "other float matrices BF16" in msg, f"generate: {msg}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
