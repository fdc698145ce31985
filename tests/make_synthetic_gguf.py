"""Writes a small random-weight Llama model as GGUF with the `gguf` package's own writer.

Quantized tensors are random block bytes whose fp16 scale fields are then set so the
dequantized weights have a chosen standard deviation; the numpy reference dequantizes
them with gguf.quants, so nothing here depends on llama-fast's code.

usage: make_synthetic_gguf.py OUT.gguf WEIGHT_TYPE [--seed N] [--tied]
                               [--rope-scaling llama3 | --rope-freqs] [--ctx N]
                               [--vocab-pre NAME [--vocab-bos ID]]

--vocab-pre adds a byte-level BPE vocabulary (GPT-2's 256 byte pieces, "he", fillers,
<|endoftext|>) whose tokenizer.ggml.pre is NAME; --vocab-bos sets its BOS id as given,
even outside the vocabulary.
"""
import argparse

import gguf
import numpy as np
from gguf import quants

Q = gguf.GGMLQuantizationType

# byte offsets of the fp16 scale fields in each block (d, and dmin/m where present)
SCALE_FIELDS = {
    "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
    "Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208],
}

CONFIG = dict(n_layers=2, dim=256, hidden=512, n_heads=4, n_kv_heads=2, vocab=320, ctx=256)


def random_blocks(rng, qtype_name, rows, cols, std):
    qt = Q[qtype_name]
    block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qt]
    n_blocks = rows * cols // block_elems
    raw = rng.integers(0, 256, size=(n_blocks, block_bytes), dtype=np.uint8)
    offsets = SCALE_FIELDS[qtype_name]
    # first pass with unit scales measures the spread, second pass rescales to `std`
    for off in offsets:
        raw[:, off:off + 2] = np.frombuffer(np.float16(1.0).tobytes(), dtype=np.uint8)
    probe = quants.dequantize(raw.reshape(rows, -1), qt)
    scale = std / max(float(probe.std()), 1e-12)
    for off in offsets:
        jitter = rng.uniform(0.5, 1.5, size=n_blocks) * scale
        raw[:, off:off + 2] = jitter.astype(np.float16).view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(rows, -1)


def weight(rng, type_name, rows, cols, std):
    if type_name == "F32":
        return (rng.standard_normal((rows, cols)) * std).astype(np.float32), None
    if type_name == "F16":
        return (rng.standard_normal((rows, cols)) * std).astype(np.float16), None
    if type_name == "BF16":
        f = (rng.standard_normal((rows, cols)) * std).astype(np.float32)
        return quants.quantize(f, Q.BF16), Q.BF16
    return random_blocks(rng, type_name, rows, cols, std), Q[type_name]


def byte_pieces():
    """GPT-2's printable stand-ins for the 256 bytes, in byte order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for _, c in sorted(zip(bs, cs))]


def add_vocab(w, n_vocab, pre, bos):
    tokens = byte_pieces() + ["he"]
    tokens += [f"<filler{i}>" for i in range(n_vocab - len(tokens) - 1)] + ["<|endoftext|>"]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types([1] * (n_vocab - 1) + [3])
    w.add_token_merges(["h e"])
    w.add_eos_token_id(n_vocab - 1)
    if bos is not None:
        w.add_bos_token_id(bos)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("type")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tied", action="store_true", help="no output.weight: logits from token_embd")
    ap.add_argument("--rope-scaling", choices=["llama3"], help="Llama 3.1 scaling given as metadata")
    ap.add_argument("--rope-freqs", action="store_true", help="Llama 3.1 scaling as a rope_freqs tensor")
    ap.add_argument("--ctx", type=int, default=CONFIG["ctx"])
    ap.add_argument("--vocab-pre", help="add a byte-level vocabulary with this tokenizer.ggml.pre")
    ap.add_argument("--vocab-bos", type=int, help="its BOS id")
    a = ap.parse_args()
    c = dict(CONFIG, ctx=a.ctx)
    rng = np.random.default_rng(a.seed)
    w = gguf.GGUFWriter(a.out, "llama")
    w.add_name("synthetic-" + a.type)
    w.add_block_count(c["n_layers"])
    w.add_embedding_length(c["dim"])
    w.add_feed_forward_length(c["hidden"])
    w.add_head_count(c["n_heads"])
    w.add_head_count_kv(c["n_kv_heads"])
    w.add_context_length(c["ctx"])
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    if a.vocab_pre is not None:
        add_vocab(w, c["vocab"], a.vocab_pre, a.vocab_bos)
    head = c["dim"] // c["n_heads"]
    if a.rope_scaling:
        # small original context so the scaling bends frequencies a short test can see
        w.add_string("llama.rope.scaling.type", "llama3")
        w.add_float32("llama.rope.scaling.factor", 8.0)
        w.add_float32("llama.rope.scaling.low_freq_factor", 1.0)
        w.add_float32("llama.rope.scaling.high_freq_factor", 4.0)
        w.add_uint32("llama.rope.scaling.original_context_length", 64)
    if a.rope_freqs:
        w.add_tensor("rope_freqs.weight", rng.uniform(1.0, 8.0, head // 2).astype(np.float32))

    def add(name, rows, cols, std, type_name=a.type):
        data, raw_dtype = weight(rng, type_name, rows, cols, std)
        w.add_tensor(name, data, raw_dtype=raw_dtype)

    def add_norm(name):
        w.add_tensor(name, (1.0 + 0.1 * rng.standard_normal(c["dim"])).astype(np.float32))

    add("token_embd.weight", c["vocab"], c["dim"], 1.0)
    for l in range(c["n_layers"]):
        p = f"blk.{l}."
        add_norm(p + "attn_norm.weight")
        add(p + "attn_q.weight", c["n_heads"] * head, c["dim"], 0.08)
        add(p + "attn_k.weight", c["n_kv_heads"] * head, c["dim"], 0.08)
        add(p + "attn_v.weight", c["n_kv_heads"] * head, c["dim"], 0.08)
        add(p + "attn_output.weight", c["dim"], c["n_heads"] * head, 0.05)
        add_norm(p + "ffn_norm.weight")
        add(p + "ffn_gate.weight", c["hidden"], c["dim"], 0.06)
        add(p + "ffn_up.weight", c["hidden"], c["dim"], 0.06)
        add(p + "ffn_down.weight", c["dim"], c["hidden"], 0.05)
    add_norm("output_norm.weight")
    if not a.tied:
        add("output.weight", c["vocab"], c["dim"], 0.1)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
