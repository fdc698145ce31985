"""PyTorch checkpoints written by torch.save, loaded by llama-fast:

- Meta's layout (consolidated.00.pth + params.json: tok_embeddings, layers.N.attention.wq …,
  Q/K rows in the adjacent-pair RoPE order) converted here from tiny random transformers
  Llama models (GQA, F32 / F16 / BF16 storages, llama3 RoPE scaling via use_scaled_rope),
  and torchchat's / gpt-fast's layout (model.pth with a fused attention.wqkv, wrapped as
  {"model": state_dict}): llama-fast's logits (tools/logits_tool) against transformers' on
  the same tokens, cosine >= 0.9999 and the same argmax at every position;
- a checkpoint without params.json takes its shape from --params-path or from
  torchchat's table (--params-table stories15M: greedy ids equal transformers');
- hostile and broken checkpoints: pickles that call os.system, builtins.eval or
  subprocess, reduce of arbitrary callables, a storage out of bounds, truncation, a
  missing params.json: refused with a clear error naming the problem (exit status 1, no
  command ever run, never a crash).

usage: check_torch_loader.py BUILD_DIR WORK_DIR   (run with the torch venv's python)
Prints "N passed, M failed".
"""
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import torch
from transformers import LlamaConfig, LlamaForCausalLM
from transformers.utils import logging as hf_logging

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

hf_logging.set_verbosity_error()

BUILD, WORK = sys.argv[1:3]
LOGITS_TOOL = os.path.join(BUILD, "tools", "logits_tool")
BIN = os.path.join(BUILD, "llama-fast")
TIMEOUT = 600 if os.environ.get("LF_SANITIZED") == "1" else 120



def run(args):
    return subprocess.run(args, capture_output=True, timeout=TIMEOUT)


def tiny(**kw):
    base = dict(hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, vocab_size=320, max_position_embeddings=256, rms_norm_eps=1e-5)
    base.update(kw)
    return base


def hf_to_meta_rows(w, n_heads):
    """HF's rotate-half Q/K rows back to Meta's adjacent pairs (the inverse of the
    permute in transformers' convert_llama_weights_to_hf.py)."""
    rows, cols = w.shape
    hd = rows // n_heads
    return w.reshape(n_heads, 2, hd // 2, cols).transpose(1, 2).reshape(rows, cols)


def meta_state_dict(model, cfg, fused):
    sd = model.state_dict()
    out = {"tok_embeddings.weight": sd["model.embed_tokens.weight"], "norm.weight": sd["model.norm.weight"],
           "output.weight": sd["lm_head.weight"]}
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        q = hf_to_meta_rows(sd[p + "self_attn.q_proj.weight"], cfg["num_attention_heads"])
        k = hf_to_meta_rows(sd[p + "self_attn.k_proj.weight"], cfg["num_key_value_heads"])
        v = sd[p + "self_attn.v_proj.weight"]
        m = f"layers.{l}."
        if fused:
            out[m + "attention.wqkv.weight"] = torch.cat([q, k, v]).contiguous()
        else:
            out[m + "attention.wq.weight"], out[m + "attention.wk.weight"] = q.contiguous(), k.contiguous()
            out[m + "attention.wv.weight"] = v
        out[m + "attention.wo.weight"] = sd[p + "self_attn.o_proj.weight"]
        out[m + "feed_forward.w1.weight"] = sd[p + "mlp.gate_proj.weight"]
        out[m + "feed_forward.w2.weight"] = sd[p + "mlp.down_proj.weight"]
        out[m + "feed_forward.w3.weight"] = sd[p + "mlp.up_proj.weight"]
        out[m + "attention_norm.weight"] = sd[p + "input_layernorm.weight"]
        out[m + "ffn_norm.weight"] = sd[p + "post_attention_layernorm.weight"]
    return out


def params_of(cfg, **extra):
    p = {"dim": cfg["hidden_size"], "n_layers": cfg["num_hidden_layers"], "n_heads": cfg["num_attention_heads"],
         "n_kv_heads": cfg["num_key_value_heads"], "vocab_size": cfg["vocab_size"], "multiple_of": 32,
         "norm_eps": cfg["rms_norm_eps"], "rope_theta": cfg.get("rope_theta", 10000.0)}
    p.update(extra)
    return p


CASES = [  # name, transformers config, storage dtype, layout, params.json extras
    ("meta-f32", tiny(), torch.float32, "meta", {}),
    ("meta-f16-mha", tiny(num_key_value_heads=4), torch.float16, "meta", {"vocab_size": -1}),
    ("meta-bf16", tiny(), torch.bfloat16, "meta", {}),
    ("meta-llama3-scaled", tiny(rope_theta=500000.0, max_position_embeddings=16384,
                                rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                              "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
     torch.float32, "meta", {"use_scaled_rope": True}),
    ("torchchat-fused", tiny(), torch.float32, "torchchat", {}),
]


def save_case(name, cfg, dtype, layout, extra, seed):
    torch.manual_seed(seed)
    model = LlamaForCausalLM(LlamaConfig(**cfg)).eval()
    with torch.no_grad():  # norms away from 1 so a wrong norm weight would show
        for n, p in model.named_parameters():
            if n.endswith("norm.weight"):
                p.copy_(1 + 0.5 * torch.randn_like(p))
        model.to(dtype)
        model.float()  # the reference computes in fp32 on exactly the rounded weights
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    sd = {k: v.to(dtype) for k, v in meta_state_dict(model, cfg, layout == "torchchat").items()}
    if layout == "torchchat":
        torch.save({"model": sd}, os.path.join(d, "model.pth"))
    else:
        torch.save(sd, os.path.join(d, "consolidated.00.pth"))
    with open(os.path.join(d, "params.json"), "w") as f:
        json.dump(params_of(cfg, **extra), f)
    return d, model


def our_logits(path, tokens, vocab):
    r = run([LOGITS_TOOL, path, ",".join(map(str, tokens)), "2"])
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace")
    return np.frombuffer(r.stdout, dtype=np.float32).reshape(len(tokens), vocab), ""


def check_models():
    rng = np.random.default_rng(11)
    dirs = {}
    for seed, (name, cfg, dtype, layout, extra) in enumerate(CASES):
        d, model = save_case(name, cfg, dtype, layout, extra, seed)
        dirs[name] = d
        tokens = [int(t) for t in rng.integers(0, cfg["vocab_size"], size=24)]
        with torch.no_grad():
            ref = model(torch.tensor([tokens])).logits[0].float().numpy()
        ours, err = our_logits(d, tokens, cfg["vocab_size"])
        check(ours is not None, f"{name}: logits_tool failed: {err}")
        if ours is None:
            continue
        worst = min(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
                    for a, b in zip(ours.astype(np.float64), ref.astype(np.float64)))
        same = sum(int(np.argmax(a) == np.argmax(b)) for a, b in zip(ours, ref))
        check(worst >= 0.9999, f"{name}: worst cosine {worst:.7f} < 0.9999")
        check(same == len(tokens), f"{name}: argmax differs at {len(tokens) - same} of {len(tokens)} positions")
        print(f"  {name}: worst cosine {worst:.8f}, max |diff| {np.abs(ours - ref).max():.2e}")
    # the checkpoint file itself (params.json beside it) loads as the directory does
    tokens = [3, 1, 4, 1, 5, 9, 2, 6]
    a, _ = our_logits(dirs["meta-f32"], tokens, 320)
    b, err = our_logits(os.path.join(dirs["meta-f32"], "consolidated.00.pth"), tokens, 320)
    check(a is not None and b is not None and np.array_equal(a, b), f".pth path: {err}")
    return dirs


def check_params_options(dirs):
    """A checkpoint without params.json: --params-path names one; --params-table names a
    shape from torchchat's table (stories15M), checked by greedy generation against
    transformers' on the same weights."""
    d = os.path.join(WORK, "no-params-json")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    shutil.copy(os.path.join(dirs["meta-f32"], "consolidated.00.pth"), d)
    r = run([BIN, "info", os.path.join(d, "consolidated.00.pth"), "--params-path",
             os.path.join(dirs["meta-f32"], "params.json")])
    out = r.stdout.decode()
    check(r.returncode == 0 and "layers:          2" in out and "heads:           4 query, 2 key/value" in out,
          f"--params-path: {r.returncode} {out[-300:]} {r.stderr.decode()[-300:]}")
    cfg = dict(hidden_size=288, intermediate_size=768, num_hidden_layers=6, num_attention_heads=6,
               num_key_value_heads=6, vocab_size=32000, max_position_embeddings=256, rms_norm_eps=1e-5)
    d, model = save_case("stories15M-shape", cfg, torch.float16, "torchchat", {}, 99)
    os.remove(os.path.join(d, "params.json"))
    prompt = [1, 306, 4966, 263]
    ids = list(prompt)
    with torch.no_grad():  # greedy, step by step (transformers' generate needs a newer torch here)
        for _ in range(8):
            ids.append(int(model(torch.tensor([ids])).logits[0, -1].argmax()))
    ref = ids[len(prompt):]
    r = run([BIN, "generate", os.path.join(d, "model.pth"), "--params-table", "stories15M", "--prompt-tokens",
             ",".join(map(str, prompt)), "--no-bos", "--max-new-tokens", "8", "--temperature", "0",
             "--print-token-ids"])
    got = [int(x) for x in r.stdout.split()] if r.returncode == 0 else r.stderr.decode(errors="replace")
    check(got == ref, f"--params-table stories15M: {got} != transformers {ref}")
    expect_error("unknown --params-table", d, "no params.json")
    r = run([BIN, "info", d, "--params-table", "no-such-model"])
    check(r.returncode == 1 and "no model named 'no-such-model'" in r.stderr.decode(), f"bad table name: {r.stderr!r}")


def expect_error(label, path, want, forbidden_file=None):
    """want: the text the error must hold, or a tuple of alternatives (pickle protocol 2
    writes Python 3 modules under their Python 2 names, e.g. builtins as __builtin__)."""
    r = run([LOGITS_TOOL, path, "1,2,3", "1"])
    err = r.stderr.decode(errors="replace")
    wants = want if isinstance(want, tuple) else (want,)
    check(r.returncode == 1 and any(w in err for w in wants) and "Sanitizer" not in err and "runtime error" not in err,
          f"{label}: exit {r.returncode}, stderr {err[-400:]!r} lacks {want!r}")
    if forbidden_file:
        check(not os.path.exists(forbidden_file), f"{label}: the pickle's command ran ({forbidden_file} exists)")


def hostile_dir(name, src, pickle_bytes=None, obj=None):
    """A copy of checkpoint directory src whose consolidated.00.pth holds obj (saved by
    torch.save) or whose data.pkl is replaced by pickle_bytes."""
    d = os.path.join(WORK, "hostile-" + name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(src, d)
    path = os.path.join(d, "consolidated.00.pth")
    if obj is not None:
        torch.save(obj, path)
    if pickle_bytes is not None:
        with zipfile.ZipFile(os.path.join(src, "consolidated.00.pth")) as zin:
            members = [(i, zin.read(i.filename)) for i in zin.infolist()]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zout:
            for info, data in members:
                zout.writestr(info, pickle_bytes if info.filename.endswith("data.pkl") else data)
    return d


class CallsSystem:
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


class CallsEval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('true')",))


class CallsSubprocess:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (subprocess.call, (["touch", self.marker],))


def check_hostile(dirs):
    src = dirs["meta-f32"]
    marker = os.path.join(WORK, "pwned")
    sd = torch.load(os.path.join(src, "consolidated.00.pth"))
    evil = dict(sd)
    evil["tok_embeddings.weight"] = CallsSystem(f"touch {marker}")
    expect_error("os.system in a state dict", hostile_dir("system", src, obj=evil), "refuses global posix.system",
                 marker)
    expect_error("builtins.eval", hostile_dir("eval", src, obj={"x": CallsEval()}), ("refuses global builtins.eval", "refuses global __builtin__.eval"))
    expect_error("subprocess.call", hostile_dir("subprocess", src, obj={"x": CallsSubprocess(marker)}),
                 ("refuses global subprocess.call", "refuses global commands.call"), marker)
    # hand-written pickles: GLOBAL + REDUCE of a callable outside the allow-list, STACK_GLOBAL,
    # opcodes a state dict never uses
    raw = {
        "global-reduce": (b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.", "refuses global os.system"),
        "stack-global": (b"\x80\x04\x8c\x08builtins\x8c\x04exec\x93)R.", "refuses global builtins.exec"),
        "newobj": (b"\x80\x02ccollections\nOrderedDict\n)\x81.", "opcode 0x81"),
        "not-a-dict": (b"\x80\x02]q\x00.", "not a dict of tensors"),
        "truncated": (b"\x80\x02}q\x00(X\x05\x00\x00\x00", "string longer than the pickle"),
        "no-stop": (b"\x80\x02}", "ends before STOP"),
        "bad-memo": (b"\x80\x02h\x05.", "GET of an index never PUT"),
    }
    for name, (data, want) in raw.items():
        expect_error(f"pickle {name}", hostile_dir(name, src, pickle_bytes=data), want)
    check(not os.path.exists(marker), "no hostile pickle ran its command")
    # a tensor whose storage is shorter than it claims
    buf = io.BytesIO()
    pickle.dump(1, buf)
    with zipfile.ZipFile(os.path.join(src, "consolidated.00.pth")) as zin:
        members = [(i, zin.read(i.filename)) for i in zin.infolist()]
    d = os.path.join(WORK, "hostile-short-storage")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(src, d)
    with zipfile.ZipFile(os.path.join(d, "consolidated.00.pth"), "w", zipfile.ZIP_STORED) as zout:
        for info, data in members:
            zout.writestr(info, data[: len(data) // 2] if "/data/" in info.filename else data)
    expect_error("short storage", d, "outside its storage")
    # truncations of the whole file, a missing params.json, a deflated storage
    whole = open(os.path.join(src, "consolidated.00.pth"), "rb").read()
    for cut in (10, len(whole) // 3, len(whole) - 30):
        t = os.path.join(WORK, f"truncated-{cut}")
        shutil.rmtree(t, ignore_errors=True)
        shutil.copytree(src, t)
        open(os.path.join(t, "consolidated.00.pth"), "wb").write(whole[:cut])
        expect_error(f"truncated at {cut}", t, "consolidated.00.pth")
    t = os.path.join(WORK, "no-params")
    shutil.rmtree(t, ignore_errors=True)
    os.makedirs(t)
    shutil.copy(os.path.join(src, "consolidated.00.pth"), t)
    expect_error("no params.json", os.path.join(t, "consolidated.00.pth"), "no params.json")
    t = os.path.join(WORK, "deflated")
    shutil.rmtree(t, ignore_errors=True)
    shutil.copytree(src, t)
    with zipfile.ZipFile(os.path.join(t, "consolidated.00.pth"), "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in members:
            zout.writestr(info.filename, data)
    expect_error("deflated members", t, "consolidated.00.pth")
    p = json.load(open(os.path.join(src, "params.json")))
    t = os.path.join(WORK, "wrong-shape")
    shutil.rmtree(t, ignore_errors=True)
    shutil.copytree(src, t)
    json.dump(dict(p, dim=128, n_heads=8), open(os.path.join(t, "params.json"), "w"))
    expect_error("params.json disagrees with the weights", t, "has shape")


def main():
    os.makedirs(WORK, exist_ok=True)
    dirs = check_models()
    check_params_options(dirs)
    check_hostile(dirs)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
