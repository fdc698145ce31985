#!/usr/bin/env python3
"""Reference Llama forward pass in numpy, the yardstick for llama-fast's C forward pass.

Written for clarity, not speed: every forward() call runs the whole sequence. Weights are
kept in float32 (as dequantized by the `gguf` package or read from a llama2.c .bin) and
activations are computed in float64, so the reference adds no rounding error of its own.

    python3 tests/ref/llama_ref.py MODEL --tokens 1,2,3 [--greedy N] [--out logits.npy]
"""
import argparse
import struct
import sys

import numpy as np

LAYER_KINDS = ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
               "ffn_norm", "ffn_gate", "ffn_down", "ffn_up")


def load_gguf(path):
    """Model dict from a GGUF file: config from llama.* metadata, weights by GGUF name as
    numpy arrays shaped (ne[1], ne[0]), i.e. (out, in) for matrices."""
    import gguf
    reader = gguf.GGUFReader(path)
    meta = {name: field.contents() for name, field in reader.fields.items()
            if not name.startswith("tokenizer.ggml.")}
    weights = {t.name: np.asarray(gguf.quants.dequantize(t.data, t.tensor_type), np.float32)
               .reshape(tuple(int(n) for n in reversed(t.shape)))
               for t in reader.tensors}
    a = meta.get("general.architecture", "llama")
    dim, n_heads = meta[a + ".embedding_length"], meta[a + ".attention.head_count"]
    cfg = dict(dim=dim, n_layers=meta[a + ".block_count"], n_heads=n_heads,
               n_kv_heads=meta.get(a + ".attention.head_count_kv", n_heads),
               head_dim=meta.get(a + ".attention.key_length", dim // n_heads),
               eps=meta.get(a + ".attention.layer_norm_rms_epsilon", 1e-5),
               rope_theta=meta.get(a + ".rope.freq_base", 10000.0))
    cfg["n_rot"] = meta.get(a + ".rope.dimension_count", cfg["head_dim"])
    if "rope_freqs.weight" in weights:  # llama3 scaling, precomputed by the converter
        cfg["rope_factors"] = weights["rope_freqs.weight"].astype(np.float64)
    elif meta.get(a + ".rope.scaling.type") == "llama3":
        cfg["rope_factors"] = llama3_rope_factors(
            cfg, meta.get(a + ".rope.scaling.factor", 8.0),
            meta.get(a + ".rope.scaling.low_freq_factor", 1.0),
            meta.get(a + ".rope.scaling.high_freq_factor", 4.0),
            meta.get(a + ".rope.scaling.original_context_length", 8192))
    return dict(cfg=cfg, w=weights)


def load_llama2c(path):
    """Model dict from a llama2.c checkpoint (v0 legacy, v1 fp32, v2 Q8_0), per export.py."""
    raw = np.fromfile(path, dtype=np.uint8)
    magic, version = struct.unpack_from("<Ii", raw)
    if magic == 0x616B3432:
        dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = struct.unpack_from("<7i", raw, 8)
        shared = raw[36] == 1
        group = struct.unpack_from("<i", raw, 37)[0] if version == 2 else 0
        pos = 256
    else:
        version, group, pos = 0, 0, 28
        dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = struct.unpack_from("<7i", raw)
        shared, vocab = vocab > 0, abs(vocab)
    head = dim // n_heads
    shapes = {"token_embd": (vocab, dim), "output": (vocab, dim), "output_norm": (dim,),
              "attn_norm": (dim,), "ffn_norm": (dim,), "attn_q": (n_heads * head, dim),
              "attn_k": (n_kv * head, dim), "attn_v": (n_kv * head, dim),
              "attn_output": (dim, n_heads * head), "ffn_gate": (hidden, dim),
              "ffn_down": (dim, hidden), "ffn_up": (hidden, dim),
              "freqs": (2, seq_len * head // 2)}
    if version == 0:
        order = ["token_embd", *LAYER_KINDS, "output_norm", "freqs"]
    else:
        order = ["attn_norm", "ffn_norm", "output_norm", "token_embd", *LAYER_KINDS[1:5], *LAYER_KINDS[6:]]
    order += [] if shared else ["output"]
    weights = {}
    for kind in order:
        for layer in range(n_layers if kind in LAYER_KINDS else 1):
            n = int(np.prod(shapes[kind]))
            if version == 2 and len(shapes[kind]) == 2:  # int8 values, then fp32 group scales
                q = raw[pos:pos + n].view(np.int8).astype(np.float32)
                scales = raw[pos + n:pos + n + 4 * (n // group)].view(np.float32)
                w, pos = (q.reshape(-1, group) * scales[:, None]), pos + n + 4 * (n // group)
            else:
                w, pos = raw[pos:pos + 4 * n].view(np.float32), pos + 4 * n
            name = f"blk.{layer}.{kind}.weight" if kind in LAYER_KINDS else kind + ".weight"
            if kind != "freqs":  # v0's precomputed RoPE tables; rope() computes its own
                weights[name] = w.reshape(shapes[kind])
    assert pos == raw.size, f"{path}: {raw.size} bytes, layout implies {pos}"
    cfg = dict(dim=dim, n_layers=n_layers, n_heads=n_heads, n_kv_heads=n_kv, head_dim=head,
               n_rot=head, eps=1e-5, rope_theta=10000.0)
    return dict(cfg=cfg, w=weights)


def llama3_rope_factors(cfg, factor, low_freq_factor, high_freq_factor, old_context):
    """Per-frequency divisors of Llama 3.1 rope scaling: long wavelengths are slowed by
    `factor`, short ones kept, the band between interpolated smoothly."""
    freqs = cfg["rope_theta"] ** (-np.arange(0, cfg["n_rot"], 2) / cfg["n_rot"])
    wavelen = 2 * np.pi / freqs
    smooth = (old_context / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    scaled = np.where(wavelen > old_context / low_freq_factor, freqs / factor,
                      (1 - smooth) * freqs / factor + smooth * freqs)
    scaled = np.where(wavelen < old_context / high_freq_factor, freqs, scaled)
    return freqs / scaled


def rms_norm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rope(x, cfg):
    """Rotates adjacent pairs (2i, 2i+1) of the first n_rot dims of each head; x is
    [n_tokens, n_heads, head_dim]."""
    n_rot = cfg["n_rot"]
    freqs = cfg["rope_theta"] ** (-np.arange(0, n_rot, 2) / n_rot) / cfg.get("rope_factors", 1.0)
    angle = np.arange(x.shape[0])[:, None, None] * freqs[None, None, :]
    cos, sin = np.cos(angle), np.sin(angle)
    out = x.copy()
    even, odd = x[..., 0:n_rot:2], x[..., 1:n_rot:2]
    out[..., 0:n_rot:2] = even * cos - odd * sin
    out[..., 1:n_rot:2] = even * sin + odd * cos
    return out


def q8_0_round(x):
    """x as a Q8_0 KV cache row stores it, blocks of 32 along the last axis: d = max|x|/127
    and q = x/d rounded to nearest even (float32 arithmetic), d kept as fp16."""
    b = np.asarray(x, np.float32).reshape(*x.shape[:-1], -1, 32)
    d = np.abs(b).max(axis=-1, keepdims=True) / np.float32(127)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    q = np.round(b * inv)
    return (d.astype(np.float16).astype(np.float32) * q).reshape(x.shape)


def kv_round(x, kv_dtype):
    """Keys or values as a KV cache of kv_dtype (None, np.float16, np.float32 or "q8_0") holds them."""
    if kv_dtype is None:
        return x
    r = q8_0_round(x) if kv_dtype == "q8_0" else x.astype(kv_dtype)
    return r.astype(np.float64)


def forward(model, tokens, kv_dtype=None):
    """Logits [n_tokens, vocab] (float64) for every position of tokens, starting at 0.
    kv_dtype (np.float16, "q8_0") rounds keys and values as a KV cache of that type stores them."""
    w = model["w"]
    return hidden_states(model, tokens, kv_dtype) @ w.get("output.weight", w["token_embd.weight"]).T  # tied when absent


def hidden_states(model, tokens, kv_dtype=None):
    """The final hidden states [n_tokens, dim] (float64, after the output norm) that the
    output projection turns into logits."""
    cfg, w = model["cfg"], model["w"]
    n, hd, nh, nkv = len(tokens), cfg["head_dim"], cfg["n_heads"], cfg["n_kv_heads"]
    x = w["token_embd.weight"][np.asarray(tokens)].astype(np.float64)
    causal = np.triu(np.full((n, n), -np.inf), k=1)
    for layer in range(cfg["n_layers"]):
        p = {kind: w[f"blk.{layer}.{kind}.weight"] for kind in LAYER_KINDS}
        h = rms_norm(x, p["attn_norm"], cfg["eps"])
        q = rope((h @ p["attn_q"].T).reshape(n, nh, hd), cfg)
        k = rope((h @ p["attn_k"].T).reshape(n, nkv, hd), cfg)
        v = (h @ p["attn_v"].T).reshape(n, nkv, hd)
        k, v = kv_round(k, kv_dtype), kv_round(v, kv_dtype)
        k, v = np.repeat(k, nh // nkv, axis=1), np.repeat(v, nh // nkv, axis=1)  # GQA
        scores = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(hd) + causal
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        attn = np.einsum("hqk,khd->qhd", scores, v).reshape(n, nh * hd)
        x = x + attn @ p["attn_output"].T
        h = rms_norm(x, p["ffn_norm"], cfg["eps"])
        gate, up = h @ p["ffn_gate"].T, h @ p["ffn_up"].T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ p["ffn_down"].T  # SwiGLU
    return rms_norm(x, w["output_norm.weight"], cfg["eps"])


def greedy(model, tokens, n, kv_dtype=None):
    """The n ids greedy decoding appends to tokens."""
    seq = list(tokens)
    for _ in range(n):
        seq.append(int(np.argmax(forward(model, seq, kv_dtype)[-1])))
    return seq[len(tokens):]


def runc_step(model, cache, token, pos):
    """Logits (float32) of one token at position pos, in the arithmetic of llama2.c's run.c
    forward(): float32 weights, activations, keys and values (cache: per layer, the lists of
    earlier keys and values), RoPE angles pos * 1/powf(10000, hd_i/head_size), scores
    divided by sqrtf(head_size), softmax in float32."""
    cfg, w, f32 = model["cfg"], model["w"], np.float32
    hd, nh, nkv = cfg["head_dim"], cfg["n_heads"], cfg["n_kv_heads"]

    def rmsnorm(x, weight):
        ss = np.dot(x, x) / f32(x.size) + f32(cfg["eps"])
        return (weight * (x * (f32(1) / np.sqrt(ss)))).astype(f32)

    def rope(vec, n_heads):
        i = np.arange(0, hd, 2)
        freq = f32(1) / np.power(f32(cfg["rope_theta"]), (i / f32(hd)).astype(f32))
        val = (f32(pos) * freq).astype(f32)
        c, s = np.cos(val), np.sin(val)
        v = vec.reshape(n_heads, hd).copy()
        a, b = v[:, 0::2].copy(), v[:, 1::2].copy()
        v[:, 0::2], v[:, 1::2] = a * c - b * s, a * s + b * c
        return v.reshape(-1)

    x = w["token_embd.weight"][token].astype(f32)
    for layer in range(cfg["n_layers"]):
        p = {kind: w[f"blk.{layer}.{kind}.weight"].astype(f32) for kind in LAYER_KINDS}
        xb = rmsnorm(x, p["attn_norm"])
        q, k, v = rope(p["attn_q"] @ xb, nh), rope(p["attn_k"] @ xb, nkv), p["attn_v"] @ xb
        keys, values = cache.setdefault(layer, ([], []))
        keys.append(k.reshape(nkv, hd))
        values.append(v.reshape(nkv, hd))
        K, V = np.stack(keys), np.stack(values)  # [pos + 1, nkv, hd]
        out = np.empty((nh, hd), f32)
        for h in range(nh):
            att = (K[:, h // (nh // nkv)] @ q[h * hd:(h + 1) * hd]) / np.sqrt(f32(hd))
            att = np.exp(att - att.max())
            att /= att.sum()
            out[h] = att @ V[:, h // (nh // nkv)]
        x = x + p["attn_output"] @ out.reshape(-1)
        xb = rmsnorm(x, p["ffn_norm"])
        gate, up = p["ffn_gate"] @ xb, p["ffn_up"] @ xb
        x = x + p["ffn_down"] @ (gate * (f32(1) / (f32(1) + np.exp(-gate))) * up)
    x = rmsnorm(x, w["output_norm.weight"].astype(f32))
    return w.get("output.weight", w["token_embd.weight"]).astype(f32) @ x


def greedy_runc(model, tokens, n):
    """The n ids run.c's greedy decoding (temperature 0) appends to tokens, and the logits
    of each step."""
    cache, seq, steps = {}, list(tokens), []
    for pos in range(len(tokens) + n - 1):
        logits = runc_step(model, cache, seq[pos], pos)
        if pos >= len(tokens) - 1:
            steps.append(logits)
            seq.append(int(np.argmax(logits)))
    return seq[len(tokens):], steps


def load(path):
    return load_gguf(path) if path.endswith(".gguf") else load_llama2c(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--tokens", required=True, help="comma-separated token ids")
    ap.add_argument("--greedy", type=int, default=0, help="also generate N tokens greedily")
    ap.add_argument("--out", help="save the logits [n_tokens, vocab] as .npy")
    args = ap.parse_args()
    model, tokens = load(args.model), [int(t) for t in args.tokens.split(",")]
    logits = forward(model, tokens)
    print("argmax per position:", ",".join(str(i) for i in logits.argmax(axis=-1)))
    if args.out:
        np.save(args.out, logits)
    if args.greedy:
        print("greedy:", ",".join(str(i) for i in greedy(model, tokens, args.greedy)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
