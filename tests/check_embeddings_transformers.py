"""/v1/embeddings against transformers: a tiny random Llama (GQA, 2 layers) written by
transformers as a Hugging Face directory with its own byte-level BPE tokenizer, served by
`llama-fast server DIR` (F32 weights, --precise-activations, mean and last pooling); the
reference is transformers' final hidden state (after the model's last norm, what
LlamaModel returns) of the same token ids, mean-pooled or the last one, L2-normalized.
Checks cosine >= 0.99999 and the largest difference per value, for token-id input and for
text input (whose ids /tokenize gives), several lengths, and a batch of inputs.

usage: check_embeddings_transformers.py BUILD_DIR WORK_DIR   (run with the torch venv's python)
Prints "N passed, M failed".
"""
import json
import os
import sys
import urllib.request

import numpy as np
import torch
from transformers.utils import logging as hf_logging

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402
from server_process import SLOW, ServerProcess  # noqa: E402
from tiny_hf_llama import make_tiny_llama  # noqa: E402

hf_logging.set_verbosity_error()
BUILD, WORK = sys.argv[1:3]
BIN = os.path.join(BUILD, "llama-fast")
TEXTS = ["The quick brown fox jumps over the lazy dog.", "hello", "A longer sentence about embeddings, "
         "pooling and the final norm of a small random model, repeated: " * 3]


def make_model():
    d = os.path.join(WORK, "tiny-llama")
    model, _ = make_tiny_llama(d, TEXTS * 20, vocab_size=400, seed=5, max_positions=512)
    return d, model


def post(url, path, body):
    req = urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120 * SLOW) as r:
        return json.load(r)


def reference(model, ids, pooling):
    with torch.no_grad():
        states = model.model(torch.tensor([ids])).last_hidden_state[0].double().numpy()
    v = states.mean(axis=0) if pooling == "mean" else states[-1]
    return v / np.linalg.norm(v)


def compare(label, got, want):
    got = np.asarray(got, np.float64)
    check(got.shape == want.shape, f"{label}: {got.shape} values, transformers {want.shape}")
    if got.shape != want.shape:
        return
    cos, diff = float(got @ want), float(np.abs(got - want).max())
    check(cos >= 0.99999 and diff < 2e-3, f"{label}: cosine {cos:.7f}, max abs diff {diff:.2e}")
    check(abs(np.linalg.norm(got) - 1) < 1e-5, f"{label}: norm {np.linalg.norm(got)}")
    return cos, diff


def main():
    d, model = make_model()
    worst = (1.0, 0.0)
    for pooling in ("mean", "last"):
        with ServerProcess(BIN, d, "--pooling", pooling, "--precise-activations", "-t", "2") as server:
            for text in TEXTS:
                ids = post(server.url, "/tokenize", {"content": text})["tokens"]
                check(len(ids) >= 1, f"/tokenize gave no ids for {text!r}")
                want = reference(model, ids, pooling)
                for label, inp in (("ids", ids), ("text", text)):
                    r = post(server.url, "/v1/embeddings", {"input": inp, "encoding_format": "float"})
                    c = compare(f"{pooling} pooling, {label} of {len(ids)} tokens", r["data"][0]["embedding"], want)
                    if c:
                        worst = (min(worst[0], c[0]), max(worst[1], c[1]))
            r = post(server.url, "/v1/embeddings", {"input": TEXTS, "encoding_format": "float"})
            check([e["index"] for e in r["data"]] == list(range(len(TEXTS))), f"batch indices {r['data']}")
            for e, text in zip(r["data"], TEXTS):
                ids = post(server.url, "/tokenize", {"content": text})["tokens"]
                compare(f"{pooling} pooling, batch entry {e['index']}", e["embedding"], reference(model, ids, pooling))
            status, clean = server.stop()
            check(status == 0 and clean, f"the server ends cleanly on SIGTERM (status {status}, log clean {clean})")
    print(f"embeddings vs transformers: worst cosine {worst[0]:.7f}, worst max abs diff {worst[1]:.2e}", flush=True)
    finish()


main()
