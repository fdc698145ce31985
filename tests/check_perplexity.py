"""`llama-fast eval --perplexity` against a reference written from llama-perplexity's
definitions, on tiny random Llama models written by transformers:

- perplexity and its standard error (the "Final estimate" formula) at two --ctx values,
  one with --chunks, equal to the reference from transformers' logits on the same chunks
  (BOS first in each chunk, the second half scored), relative error <= 1e-4; the counts
  of chunks and scored tokens; the same from 1 and 2 threads;
- the model converted to GGUF (llama-fast quantize --type F32): the same perplexity;
- --base: every KL divergence statistic of llama-perplexity --kl-divergence (mean KL and
  its error, percentiles, base PPL, PPL ratio, delta PPL, correlation, delta p, RMS delta p,
  top-1 agreement) from transformers' logits of two models with the same vocabulary;
- a base model with another vocabulary is refused naming both models.

usage: check_perplexity.py BUILD_DIR DATA_DIR WORK_DIR   (run with the torch venv's python)
Prints "N passed, M failed".
"""
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
from transformers import LlamaConfig, LlamaForCausalLM, LlamaTokenizerFast
from transformers.utils import logging as hf_logging

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()

BUILD, DATA, WORK = sys.argv[1:4]
BIN = os.path.join(BUILD, "llama-fast")
SANITIZED = os.environ.get("LF_SANITIZED") == "1"
TIMEOUT = 900 if SANITIZED else 180

WORDS = ("the a model text token of and to in is it that was for on are with as his they at be this from have "
         "or by one had not but what all were when we there can an your which their said if do will each about how "
         "up out them then she many some so these would other into has more her two like him see time could no make "
         "than first been its who now people my made over did down only way find use may water long little very "
         "after words called just where most know llama perplexity quantization divergence").split()


def run(args):
    return subprocess.run(args, capture_output=True, timeout=TIMEOUT)


def make_text(n_words, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_words):
        w = WORDS[int(rng.integers(len(WORDS)))]
        out.append(w.capitalize() if i % 11 == 0 else w)
        if i % 11 == 10:
            out[-1] += "."
    return " ".join(out)


def save_model(d, tok, seed, perturb_from=None, vocab=32000):
    torch.manual_seed(seed)
    cfg = LlamaConfig(hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, vocab_size=vocab, max_position_embeddings=256, rms_norm_eps=1e-5,
                      initializer_range=0.1, bos_token_id=1, eos_token_id=2)
    model = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():
        if perturb_from is not None:  # the same weights, each moved by a few percent
            for (n, p), (_, q) in zip(model.named_parameters(), perturb_from.named_parameters()):
                p.copy_(q * (1 + 0.05 * torch.randn_like(q)))
        else:
            for n, p in model.named_parameters():
                if n.endswith("norm.weight"):
                    p.copy_(1 + 0.3 * torch.randn_like(p))
    shutil.rmtree(d, ignore_errors=True)
    model.save_pretrained(d, safe_serialization=True)
    if tok is not None:
        tok.save_pretrained(d)
        os.remove(os.path.join(d, "tokenizer.model"))
    return model


def chunk_logits(model, ids, n_ctx, n_chunks, bos):
    out = []
    with torch.no_grad():
        for c in range(n_chunks):
            chunk = list(ids[c * n_ctx:(c + 1) * n_ctx])
            chunk[0] = bos
            out.append(model(torch.tensor([chunk])).logits[0].double().numpy())
    return out


def log_softmax(x):
    m = x.max()
    return x - (m + math.log(np.exp(x - m).sum()))


def per_token(model_logits, base_logits, ids, n_ctx):
    """(nll, nll_base, kld, p_diff, same_top) of every scored token, in order."""
    first = n_ctx // 2
    rows = []
    for c, lg in enumerate(model_logits):
        for i in range(first, n_ctx - 1):
            tok = ids[c * n_ctx + i + 1]
            lq = log_softmax(lg[i])
            if base_logits is None:
                rows.append((-lq[tok], 0, 0, 0, 0))
                continue
            lb = log_softmax(base_logits[c][i])
            kld = float((np.exp(lb) * (lb - lq)).sum())
            p_diff = math.exp(lq[tok]) - math.exp(lb[tok])
            rows.append((-lq[tok], -lb[tok], kld, p_diff, int(np.argmax(lg[i]) == np.argmax(base_logits[c][i]))))
    return np.array(rows, dtype=np.float64)


def mean_err(s, s2, n):  # llama-perplexity's mean_and_uncertainty
    f = s / n
    df = s2 / n - f * f
    return f, (math.sqrt(df / (n - 1)) if df > 0 and n > 10 else 0.0)


def percentile(v, fraction):
    p = fraction * (len(v) - 1)
    ip = int(p)
    p -= ip
    return (1 - p) * v[ip] + p * v[min(ip + 1, len(v) - 1)]


def reference(rows, with_base):
    n = len(rows)
    nll = rows[:, 0]
    mean = nll.sum() / n
    var = (nll * nll).sum() / n - mean * mean
    ppl = math.exp(mean)
    ref = {"ppl": ppl, "ppl_stderr": math.sqrt(var / (n - 1)) * ppl, "tokens_scored": n}
    if not with_base:
        return ref
    nb, kld, pd, top = rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4]
    lq, lq_e = mean_err(nll.sum(), (nll * nll).sum(), n)
    lb, lb_e = mean_err(nb.sum(), (nb * nb).sum(), n)
    cov = ((nll * nb).sum() / n - (nll.sum() / n) * (nb.sum() / n)) / (n - 1)
    base_ppl = math.exp(lb)
    kl = {"base_ppl": base_ppl, "base_ppl_stderr": base_ppl * lb_e, "ln_ppl_correlation": cov / (lq_e * lb_e),
          "ln_ppl_ratio": lq - lb, "ln_ppl_ratio_stderr": math.sqrt(lq_e ** 2 + lb_e ** 2 - 2 * cov)}
    kl["ppl_ratio"] = math.exp(kl["ln_ppl_ratio"])
    kl["ppl_ratio_stderr"] = kl["ppl_ratio"] * kl["ln_ppl_ratio_stderr"]
    kl["delta_ppl"] = ppl - base_ppl
    kl["delta_ppl_stderr"] = math.sqrt((ppl * lq_e) ** 2 + (base_ppl * lb_e) ** 2 - 2 * ppl * base_ppl * cov)
    kl["mean"], kl["mean_stderr"] = mean_err(kld.sum(), (kld * kld).sum(), n)
    sk = np.sort(kld)
    for key, f in [("p99_9", .999), ("p99", .99), ("p95", .95), ("p90", .9), ("p10", .1), ("p5", .05),
                   ("p1", .01), ("p0_1", .001)]:
        kl[key] = percentile(sk, f)
        kl["delta_p_" + key] = percentile(np.sort(pd), f)
    kl["max"], kl["min"], kl["median"] = sk[-1], sk[0], float(np.median(sk))
    kl["delta_p_max"], kl["delta_p_min"], kl["delta_p_median"] = pd.max(), pd.min(), float(np.median(pd))
    kl["delta_p_mean"], kl["delta_p_mean_stderr"] = mean_err(pd.sum(), (pd * pd).sum(), n)
    mse, mse_e = mean_err((pd ** 2).sum(), (pd ** 4).sum(), n)
    kl["delta_p_rms"], kl["delta_p_rms_stderr"] = math.sqrt(mse), 0.5 / math.sqrt(mse) * mse_e
    t = top.sum() / n
    kl["top1_agreement"], kl["top1_agreement_stderr"] = t, math.sqrt(t * (1 - t) / (n - 1))
    ref["kl"] = kl
    return ref


def close(a, b, rel=1e-4, abs_=1e-6):
    return a is not None and abs(a - b) <= abs_ + rel * abs(b)


def ours(model, text, *args):
    r = run([BIN, "eval", model, "--perplexity", text, "--json", "--dtype", "f32", "--kv-type", "f32", *args])
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace")
    try:
        return json.loads(r.stdout), ""
    except ValueError as e:
        return None, f"not JSON ({e}): {r.stdout[:300]!r}"


def compare(label, got, ref):
    for key in ("ppl", "ppl_stderr"):
        check(close(got[key], ref[key]), f"{label}: {key} {got[key]} != reference {ref[key]}")
    check(got["tokens_scored"] == ref["tokens_scored"],
          f"{label}: tokens_scored {got['tokens_scored']} != {ref['tokens_scored']}")
    print(f"  {label}: ppl {got['ppl']:.6f} (reference {ref['ppl']:.6f}) +/- {got['ppl_stderr']:.6f}")
    if "kl" not in ref:
        return
    worst = ""
    for key, want in ref["kl"].items():
        have = got["kl"].get(key)
        ok = close(have, want)
        check(ok, f"{label}: kl.{key} {have} != reference {want}")
        if not ok:
            worst += f" {key}"
    print(f"  {label}: mean KL {got['kl']['mean']:.6g} (reference {ref['kl']['mean']:.6g}), top-1 "
          f"{got['kl']['top1_agreement']:.4f}, every KL field within 1e-4 relative" + (" except" + worst if worst else ""))


def main():
    os.makedirs(WORK, exist_ok=True)
    tok = LlamaTokenizerFast(vocab_file=os.path.join(DATA, "tokenizers", "llama2", "tokenizer.model"), from_slow=True)
    dir_a, dir_b, dir_c = (os.path.join(WORK, n) for n in ("model-a", "model-b", "model-other-vocab"))
    model_a = save_model(dir_a, tok, 1)
    model_b = save_model(dir_b, tok, 2, perturb_from=model_a)
    text = make_text(420, 3)
    path = os.path.join(WORK, "text.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")  # the trailing newline is dropped, as llama-perplexity's -f does
    ids = tok(text)["input_ids"]
    check(ids[0] == 1, "the tokenizer adds BOS")
    print(f"  text: {len(ids)} tokens")

    for n_ctx, chunks in ((32, None), (64, 3)):
        n_chunks = len(ids) // n_ctx if chunks is None else min(chunks, len(ids) // n_ctx)
        extra = ["--ctx", str(n_ctx), "-t", "2"] + (["--chunks", str(chunks)] if chunks else [])
        got, err = ours(dir_a, path, *extra)
        check(got is not None, f"ctx {n_ctx}: eval failed: {err}")
        if got is None:
            continue
        check(got["tokens"] == len(ids), f"ctx {n_ctx}: {got['tokens']} tokens, transformers {len(ids)}")
        check(got["chunks"] == n_chunks and got["chunks_total"] == n_chunks and got["ctx"] == n_ctx,
              f"ctx {n_ctx}: chunks {got['chunks']}/{got['chunks_total']}, want {n_chunks}")
        rows = per_token(chunk_logits(model_a, ids, n_ctx, n_chunks, 1), None, ids, n_ctx)
        compare(f"ctx {n_ctx}" + (f", --chunks {chunks}" if chunks else ""), got, reference(rows, False))
        if chunks is None:
            one, err = ours(dir_a, path, "--ctx", str(n_ctx), "-t", "1")
            check(one is not None and close(one["ppl"], got["ppl"], 1e-9, 0),
                  f"1 thread: {one and one['ppl']} != 2 threads: {got['ppl']} {err}")

    gguf = os.path.join(WORK, "model-a.gguf")
    r = run([BIN, "quantize", dir_a, gguf, "--type", "F32"])
    check(r.returncode == 0, f"quantize to GGUF: {r.stderr.decode(errors='replace')}")
    rows = per_token(chunk_logits(model_a, ids, 32, len(ids) // 32, 1), None, ids, 32)
    got, err = ours(gguf, path, "--ctx", "32")
    check(got is not None, f"GGUF twin: {err}")
    if got:
        compare("GGUF twin, ctx 32", got, reference(rows, False))

    n_chunks = len(ids) // 32
    got, err = ours(dir_b, path, "--ctx", "32", "--base", dir_a)
    check(got is not None, f"--base: {err}")
    if got:
        check(got["base"] == dir_a and got["model"] == dir_b, f"--base: model/base paths {got['model']} {got['base']}")
        rows = per_token(chunk_logits(model_b, ids, 32, n_chunks, 1), chunk_logits(model_a, ids, 32, n_chunks, 1),
                         ids, 32)
        compare("KL, ctx 32", got, reference(rows, True))

    save_model(dir_c, None, 4, vocab=32064)
    shutil.copy(os.path.join(dir_a, "tokenizer.json"), dir_c)
    r = run([BIN, "eval", dir_b, "--perplexity", path, "--ctx", "32", "--base", dir_c])
    msg = r.stderr.decode(errors="replace")
    check(r.returncode != 0 and "vocabulary" in msg and "base model" in msg, f"other vocabulary: {r.returncode} {msg}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
