"""`llama-fast eval --task` against a Python reference of lm-evaluation-harness's scoring,
on a tiny random Llama written by transformers with a byte-level BPE tokenizer that adds
BOS (trained here with `tokenizers`):

- data files written here in each published shape (rowanz hellaswag, winogrande 1.1,
  AI2 ARC, ybisk piqa with its labels file, Hendrycks MMLU CSV files and directory) and
  in the shape of Hugging Face `datasets` rows saved as JSON Lines;
- the reference builds lm-eval's prompts from the task definitions (hellaswag's
  preprocess, winogrande's partial scoring, "Question: ...\\nAnswer:", mmlu's
  description and A-D options), tokenizes each (context, continuation) pair as
  _encode_pair does, with the tokenizer's BOS, and sums log-softmax of the model's fp32
  logits from transformers;
- every item's pred and pred_norm equal (log-likelihoods within 1e-3), acc, acc_norm and
  their standard errors equal; --limit; --num-fewshot with --fewshot-data and from the
  evaluated file itself (the README's splitmix64 sampling, mmlu's first_n per subject);
  mmlu directory mode with two subjects (per subject and pooled stderr).

usage: check_eval_tasks.py BUILD_DIR WORK_DIR   (run with the torch venv's python)
Prints "N passed, M failed".
"""
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import torch
from transformers.utils import logging as hf_logging

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402
from tiny_hf_llama import make_tiny_llama  # noqa: E402

hf_logging.set_verbosity_error()
BUILD, WORK = sys.argv[1:3]
BIN = os.path.join(BUILD, "llama-fast")
TIMEOUT = 900 if os.environ.get("LF_SANITIZED") == "1" else 180
rng = np.random.default_rng(12)

WORDS = ("the a man woman dog cat runs jumps over under quickly slowly house car snow window kitchen chef "
         "pans oven cookies bakes writes reads green blue big small water fire tree river city road "
         "because although then after before he she they it is was were will can").split()


def sentence(n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


# ------------------------------------------------------------------ model and reference
def make_model():
    d = os.path.join(WORK, "tiny-llama")
    corpus = [sentence(12) + "." for _ in range(300)] + [" ".join(WORDS)] * 5
    model, tok = make_tiny_llama(d, corpus, vocab_size=500, seed=3, bos=True)
    return d, model, tok


class Reference:
    def __init__(self, model, tok):
        self.model, self.tok, self.cache = model, tok, {}

    def loglikelihood(self, context, continuation):
        n = len(context) - len(context.rstrip())  # lm-eval's _encode_pair
        if n:
            continuation, context = context[-n:] + continuation, context[:-n]
        whole = self.tok.encode(context + continuation).ids
        ctx = self.tok.encode(context).ids
        cont = whole[len(ctx):]
        inp = tuple(ctx + cont)
        if inp not in self.cache:
            with torch.no_grad():
                logits = self.model(torch.tensor([list(inp)])).logits[0].double()
            self.cache[inp] = torch.log_softmax(logits, dim=-1).numpy()
        lp = self.cache[inp]
        return float(sum(lp[len(ctx) - 1 + i, t] for i, t in enumerate(cont)))


# ------------------------------------------------------------------ lm-eval's task definitions
def hs_preprocess(text):
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    return text.replace("  ", " ")


def doc_hellaswag(r):
    ctx = r["ctx_a"] + " " + r["ctx_b"].capitalize()
    return dict(text=hs_preprocess(r["activity_label"] + ": " + ctx), choices=[hs_preprocess(e) for e in r["endings"]],
                gold=int(r["label"]))


def doc_winogrande(r):
    i = r["sentence"].index("_")
    return dict(text=None, choices=[r["sentence"][:i] + o for o in (r["option1"], r["option2"])],
                target=r["sentence"][i + 1:].strip(), gold={"1": 0, "2": 1}[r["answer"]])


def doc_arc(r):
    if isinstance(r["question"], dict):
        stem, texts, labels = (r["question"]["stem"], [c["text"] for c in r["question"]["choices"]],
                               [c["label"] for c in r["question"]["choices"]])
    else:
        stem, texts, labels = r["question"], r["choices"]["text"], r["choices"]["label"]
    return dict(text=f"Question: {stem}\nAnswer:", choices=texts, gold=labels.index(r["answerKey"]))


def doc_piqa(r):
    return dict(text=f"Question: {r['goal']}\nAnswer:", choices=[r["sol1"], r["sol2"]], gold=int(r["label"]))


def doc_mmlu(q, opts, answer, subject):
    return dict(text=f"{q.strip()}\nA. {opts[0]}\nB. {opts[1]}\nC. {opts[2]}\nD. {opts[3]}\nAnswer:",
                choices=["A", "B", "C", "D"], gold=answer, subject=subject)


def splitmix_draw(seed, index, n, k):
    """The README's few-shot sampling: a partial Fisher-Yates shuffle driven by splitmix64."""
    m = (1 << 64) - 1
    state = (seed + 0x9E3779B97F4A7C15 * (index + 1)) & m
    perm, out = {}, []
    for i in range(k):
        state = (state + 0x9E3779B97F4A7C15) & m
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
        z ^= z >> 31
        j = i + z % (n - i)
        vi, vj = perm.get(i, i), perm.get(j, j)
        perm[i], perm[j] = vj, vi
        out.append(vj)
    return out


def example(d):
    if d["text"] is None:
        return d["choices"][d["gold"]] + " " + d["target"]
    return d["text"] + " " + d["choices"][d["gold"]]


def prefix(docs, i, k, pool, seed, mmlu):
    same = pool is None
    pool = docs if same else pool
    out = ""
    if mmlu:
        out = f"The following are multiple choice questions (with answers) about {docs[i]['subject'].replace('_', ' ')}.\n\n"
        chosen = [j for j, d in enumerate(pool) if not (same and j == i) and d["subject"] == docs[i]["subject"]][:k]
    else:
        chosen = splitmix_draw(seed, i, len(pool) - (1 if same else 0), k)
        chosen = [j + 1 if same and j >= i else j for j in chosen]
    return out + "".join(example(pool[j]) + "\n\n" for j in chosen)


def stderr(xs):
    n = len(xs)
    if n < 2:
        return 0.0
    mu = sum(xs) / n
    return math.sqrt(sum((x - mu) ** 2 for x in xs) / (n - 1)) / math.sqrt(n)


def reference(ref, docs, k=0, pool=None, limit=None, seed=1234, mmlu=False):
    items = []
    for i in range(len(docs) if not limit else min(limit, len(docs))):
        d = docs[i]
        p = prefix(docs, i, k, pool, seed, mmlu) if (k or mmlu) else ""
        if d["text"] is None:
            reqs = [(p + c, " " + d["target"]) for c in d["choices"]]
        else:
            reqs = [(p + d["text"], " " + c) for c in d["choices"]]
        lls = [ref.loglikelihood(c, x) for c, x in reqs]
        lens = [len(c) for c in d["choices"]]
        items.append(dict(label=d["gold"], lls=lls, lens=lens, pred=int(np.argmax(lls)),
                          pred_norm=int(np.argmax(np.array(lls) / np.array(lens))), subject=d.get("subject")))
    acc = [float(it["pred"] == it["label"]) for it in items]
    norm = [float(it["pred_norm"] == it["label"]) for it in items]
    out = dict(items=items, acc=sum(acc) / len(acc), acc_stderr=stderr(acc), acc_norm=sum(norm) / len(norm),
               acc_norm_stderr=stderr(norm))
    if mmlu:
        subjects = {}
        for it, a in zip(items, acc):
            subjects.setdefault(it["subject"], []).append(a)
        out["subjects"] = {s: dict(n=len(v), acc=sum(v) / len(v), acc_stderr=stderr(v)) for s, v in subjects.items()}
        if len(subjects) > 1:  # lm-eval's pooled_sample_stderr
            sizes = [len(v) for v in subjects.values()]
            var = sum((n - 1) * stderr(v) ** 2 * n for n, v in zip(sizes, subjects.values())) / (sum(sizes) - len(sizes))
            out["acc_stderr"] = math.sqrt(var / sum(sizes))
    return out


# ------------------------------------------------------------------ data files
def write_jsonl(name, rows):
    path = os.path.join(WORK, name)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    return path


def hellaswag_rows(n):
    rows = []
    for i in range(n):
        endings = [sentence(int(rng.integers(3, 9))) + "." for _ in range(4)]
        endings[i % 4] = "[header] " + endings[i % 4] + "  [title] more  words"
        rows.append(dict(ind=i, activity_label=sentence(2).capitalize(), ctx_a=sentence(8) + ".",
                         ctx_b=("" if i == 2 else "THEN " + sentence(2)), ctx="ignored", endings=endings,
                         split="val", label=int(rng.integers(0, 4))))
    return rows


def winogrande_rows(n):
    rows = []
    for i in range(n):
        s = sentence(5) + " _ " + sentence(4) + "."
        rows.append(dict(qID=f"q{i}", sentence=s, option1=sentence(1), option2=sentence(2),
                         answer=str(int(rng.integers(1, 3)))))
    return rows


def arc_rows(n):
    rows = []
    for i in range(n):
        k = [4, 3, 5, 4][i % 4]
        labels = list("ABCDE"[:k]) if i % 4 != 3 else [str(j + 1) for j in range(k)]
        texts = [sentence(int(rng.integers(1, 5))) for _ in range(k)]
        rows.append(dict(id=f"Q{i}", question=dict(stem=sentence(7) + "?", choices=[
            dict(text=t, label=l) for t, l in zip(texts, labels)]), answerKey=labels[int(rng.integers(0, k))]))
    return rows


def arc_hf(rows):
    return [dict(id=r["id"], question=r["question"]["stem"],
                 choices=dict(text=[c["text"] for c in r["question"]["choices"]],
                              label=[c["label"] for c in r["question"]["choices"]]), answerKey=r["answerKey"])
            for r in rows]


def piqa_rows(n):
    return [dict(goal=sentence(6), sol1=sentence(int(rng.integers(2, 8))), sol2=sentence(int(rng.integers(2, 8))))
            for _ in range(n)]


def mmlu_csv(dirname, subject, split, n):
    d = os.path.join(WORK, dirname)
    os.makedirs(d, exist_ok=True)
    rows = []
    for i in range(n):
        q = sentence(6) + (', "quoted", with commas\nand a newline' if i == 1 else "") + "?  "
        rows.append([q] + [sentence(int(rng.integers(1, 4))) for _ in range(4)] + ["ABCD"[int(rng.integers(0, 4))]])
    with open(os.path.join(d, f"{subject}_{split}.csv"), "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return d, [doc_mmlu(r[0], r[1:5], "ABCD".index(r[5]), subject) for r in rows]


# ------------------------------------------------------------------ comparison
def ours(model_dir, task, data, *extra):
    r = subprocess.run([BIN, "eval", model_dir, "--dtype", "f32", "--kv-type", "f32", "--task", task, "--data", data, "--json", *extra],
                       capture_output=True, timeout=TIMEOUT)
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace")
    return json.loads(r.stdout), ""


def compare(label, got, err, want, has_norm=True):
    check(got is not None, f"{label}: eval failed: {err[-500:]}")
    if got is None:
        return
    items = got["items"]
    check(got["n"] == len(want["items"]) == len(items), f"{label}: {got['n']} items, want {len(want['items'])}")
    worst = 0.0
    for o, w in zip(items, want["items"]):
        worst = max(worst, max(abs(a - b) for a, b in zip(o["loglikelihoods"], w["lls"])))
        check(o["label"] == w["label"], f"{label}: item {o['index']}: label {o['label']} != {w['label']}")
        check(o["lengths"] == w["lens"], f"{label}: item {o['index']}: lengths {o['lengths']} != {w['lens']}")
        for key in ("pred", "pred_norm"):
            vals = w["lls"] if key == "pred" else list(np.array(w["lls"]) / np.array(w["lens"]))
            tie = abs(vals[o[key]] - vals[w[key]]) < 1e-4  # a near-tie may go either way
            check(o[key] == w[key] or tie, f"{label}: item {o['index']}: {key} {o[key]} != {w[key]} ({w['lls']})")
    check(worst < 1e-3, f"{label}: log-likelihoods differ by {worst:.2e}")
    keys = ["acc", "acc_stderr"] + (["acc_norm", "acc_norm_stderr"] if has_norm else [])
    for k in keys:
        check(abs(got[k] - want[k]) < 1e-9, f"{label}: {k} {got[k]} != {want[k]}")
    if not has_norm:
        check(got["acc_norm"] is None, f"{label}: acc_norm {got['acc_norm']} reported")
    if "subjects" in want:
        check(set(got.get("subjects", {})) == set(want["subjects"]), f"{label}: subjects {got.get('subjects')}")
        for s, w in want["subjects"].items():
            g = got.get("subjects", {}).get(s, {})
            check(g.get("n") == w["n"] and abs(g.get("acc", -1) - w["acc"]) < 1e-9 and
                  abs(g.get("acc_stderr", -1) - w["acc_stderr"]) < 1e-9, f"{label}: subject {s}: {g} != {w}")
    print(f"  {label}: {got['n']} items, acc {got['acc']:.4f}, worst |dll| {worst:.1e}")


def main():
    model_dir, model, tok = make_model()
    ref = Reference(model, tok)

    hs = hellaswag_rows(6)
    hs_file = write_jsonl("hellaswag_val.jsonl", hs)
    hs_hf = write_jsonl("hellaswag_hf.jsonl", [dict(r, label=str(r["label"])) for r in hs])
    hs_train = hellaswag_rows(5)
    hs_train_file = write_jsonl("hellaswag_train.jsonl", hs_train)
    docs = [doc_hellaswag(r) for r in hs]
    want = reference(ref, docs)
    compare("hellaswag", *ours(model_dir, "hellaswag", hs_file), want)
    compare("hellaswag HF rows", *ours(model_dir, "hellaswag", hs_hf), want)
    compare("hellaswag --limit 3", *ours(model_dir, "hellaswag", hs_file, "--limit", "3"), reference(ref, docs, limit=3))
    compare("hellaswag 2-shot from the train file",
            *ours(model_dir, "hellaswag", hs_file, "--num-fewshot", "2", "--fewshot-data", hs_train_file),
            reference(ref, docs, k=2, pool=[doc_hellaswag(r) for r in hs_train]))

    wg = winogrande_rows(6)
    wg_file = write_jsonl("winogrande_dev.jsonl", wg)
    docs = [doc_winogrande(r) for r in wg]
    compare("winogrande", *ours(model_dir, "winogrande", wg_file), reference(ref, docs), has_norm=False)
    compare("winogrande 3-shot from the same file (seed 7)",
            *ours(model_dir, "winogrande", wg_file, "--num-fewshot", "3", "--seed", "7"),
            reference(ref, docs, k=3, seed=7), has_norm=False)

    arc = arc_rows(8)
    docs = [doc_arc(r) for r in arc]
    want = reference(ref, docs)
    compare("arc-easy (AI2 jsonl)", *ours(model_dir, "arc-easy", write_jsonl("ARC-Easy-Test.jsonl", arc)), want)
    compare("arc_challenge (HF rows)", *ours(model_dir, "arc_challenge", write_jsonl("arc_hf.jsonl", arc_hf(arc))), want)
    compare("arc-challenge 1-shot", *ours(model_dir, "arc-challenge", write_jsonl("arc2.jsonl", arc), "--num-fewshot",
                                          "1"), reference(ref, docs, k=1))

    pq = piqa_rows(6)
    labels = [int(rng.integers(0, 2)) for _ in pq]
    pq_file = write_jsonl("valid.jsonl", pq)
    lab_file = os.path.join(WORK, "valid-labels.lst")
    open(lab_file, "w").write("".join(f"{x}\n" for x in labels))
    docs = [doc_piqa(dict(r, label=l)) for r, l in zip(pq, labels)]
    want = reference(ref, docs)
    compare("piqa with --labels", *ours(model_dir, "piqa", pq_file, "--labels", lab_file), want)
    train = piqa_rows(4)
    train_labels = [int(rng.integers(0, 2)) for _ in train]
    train_lab = os.path.join(WORK, "train-labels.lst")
    open(train_lab, "w").write("".join(f"{x}\n" for x in train_labels))
    compare("piqa 2-shot from train.jsonl with train-labels.lst",
            *ours(model_dir, "piqa", pq_file, "--labels", lab_file, "--num-fewshot", "2", "--fewshot-data",
                  write_jsonl("train.jsonl", train), "--fewshot-labels", train_lab),
            reference(ref, docs, k=2, pool=[doc_piqa(dict(r, label=l)) for r, l in zip(train, train_labels)]))
    compare("piqa HF rows", *ours(model_dir, "piqa", write_jsonl("piqa_hf.jsonl",
                                                                   [dict(r, label=l) for r, l in zip(pq, labels)])), want)

    test_dir, alg = mmlu_csv("mmlu-test", "abstract_algebra", "test", 4)
    _, ast = mmlu_csv("mmlu-test", "astronomy", "test", 5)
    dev_dir, alg_dev = mmlu_csv("mmlu-dev", "abstract_algebra", "dev", 3)
    _, ast_dev = mmlu_csv("mmlu-dev", "astronomy", "dev", 3)
    docs = alg + ast
    compare("mmlu one CSV", *ours(model_dir, "mmlu", os.path.join(test_dir, "astronomy_test.csv")),
            reference(ref, ast, mmlu=True), has_norm=False)
    compare("mmlu directory, two subjects", *ours(model_dir, "mmlu", test_dir), reference(ref, docs, mmlu=True),
            has_norm=False)
    compare("mmlu directory, 2-shot from the dev directory",
            *ours(model_dir, "mmlu", test_dir, "--num-fewshot", "2", "--fewshot-data", dev_dir),
            reference(ref, docs, k=2, pool=alg_dev + ast_dev, mmlu=True), has_norm=False)
    hf = [dict(question=r[0], subject=r[1], choices=r[2], answer=r[3]) for r in
          [(d["text"].split("\nA. ")[0], d["subject"], [d["text"].split(f"\n{x}. ")[1].split("\n")[0] for x in "ABCD"],
            d["gold"]) for d in docs]]
    compare("mmlu HF rows, 1-shot from the file", *ours(model_dir, "mmlu", write_jsonl("mmlu_hf.jsonl", hf),
                                                        "--num-fewshot", "1"),
            reference(ref, docs, k=1, mmlu=True), has_norm=False)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
