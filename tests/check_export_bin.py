#!/usr/bin/env python3
"""`llama-fast export --output-bin-path` against a re-implementation of llama2.c's
export.py (legacy_export = v0, version1_export, version2_export) and tokenizer.py's
export, written here in numpy from the formats: byte identity of the whole files, on
stories260K.bin (llama2.c v0, 5 layers, grouped-query) and on SmolLM2 (Q4_1 GGUF, tied
embeddings, 9 heads of 64, 3 KV heads; dequantized by the `gguf` package). Also: the
exported files load again with the greedy ids of the source, our v0 of stories260K equals
the file llama2.c wrote (its RoPE tables within 1 ulp: torch's float32 cos/sin are not
correctly rounded), and bad options fail cleanly without leaving a file.

usage: check_export_bin.py BUILD MODEL DATA"""
import hashlib
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import sentencepiece
from gguf import GGUFReader
from gguf.quants import dequantize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish, skip  # noqa: E402

BUILD, MODEL, DATA = sys.argv[1:4]
BIN = os.path.join(BUILD, "llama-fast")
LAYER_KINDS = ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_down", "ffn_up"]


class Model:
    """Weights as export.py sees them (torch layout: rows = outputs), float32."""

    def __init__(self, cfg, w, shared):
        self.cfg, self.w, self.shared = cfg, w, shared


def read_llama2c_v0(path):
    b = open(path, "rb").read()
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq = struct.unpack("<7i", b[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    hs = dim // n_heads
    f = np.frombuffer(b, dtype="<f4", offset=28)
    pos = 0
    w = {}

    def take(name, shape):
        nonlocal pos
        n = int(np.prod(shape))
        w[name] = f[pos:pos + n].reshape(shape)
        pos += n

    take("token_embd", (vocab, dim))
    shapes = {"attn_norm": (dim,), "attn_q": (dim, dim), "attn_k": (n_kv * hs, dim), "attn_v": (n_kv * hs, dim),
              "attn_output": (dim, dim), "ffn_norm": (dim,), "ffn_gate": (hidden, dim), "ffn_down": (dim, hidden),
              "ffn_up": (hidden, dim)}
    for kind in LAYER_KINDS:
        for layer in range(n_layers):
            take(f"blk.{layer}.{kind}", shapes[kind])
    take("output_norm", (dim,))
    pos += seq * hs  # the cos and sin tables
    if not shared:
        take("output", (vocab, dim))
    cfg = dict(dim=dim, hidden=hidden, n_layers=n_layers, n_heads=n_heads, n_kv=n_kv, vocab=vocab, seq=seq)
    return Model(cfg, w, shared)


def read_gguf(path):
    r = GGUFReader(path)
    w = {}
    for t in r.tensors:
        name = t.name[:-len(".weight")] if t.name.endswith(".weight") else t.name
        shape = tuple(int(d) for d in reversed(t.shape))
        w[name] = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(shape)

    def u32(key):
        return int(r.fields[key].parts[-1][0])

    a = "llama"
    cfg = dict(dim=u32(f"{a}.embedding_length"), hidden=u32(f"{a}.feed_forward_length"),
               n_layers=u32(f"{a}.block_count"), n_heads=u32(f"{a}.attention.head_count"),
               n_kv=u32(f"{a}.attention.head_count_kv"), vocab=w["token_embd"].shape[0],
               seq=u32(f"{a}.context_length"))
    shared = "output" not in w or np.array_equal(w["output"], w["token_embd"])
    return Model(cfg, w, shared)


class Sink:
    """Hashes what a writer produces (a 500 MB file need not be built in memory)."""

    def __init__(self):
        self.h, self.n = hashlib.sha256(), 0

    def write(self, b):
        self.h.update(b)
        self.n += len(b)


def f32(sink, a):
    sink.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


def layers(m, kind):
    return [m.w[f"blk.{layer}.{kind}"] for layer in range(m.cfg["n_layers"])]


def rope_tables(cfg):
    """precompute_freqs_cis in float32 with each operation correctly rounded."""
    hs = cfg["dim"] // cfg["n_heads"]
    x = (np.arange(0, hs, 2, dtype=np.float32) / np.float32(hs)).astype(np.float32)
    p = np.power(10000.0, x.astype(np.float64)).astype(np.float32)
    freqs = (np.float64(1.0) / p.astype(np.float64)).astype(np.float32)
    t = np.arange(cfg["seq"], dtype=np.float32)
    ang = (np.outer(t.astype(np.float64), freqs.astype(np.float64))).astype(np.float32)
    return np.cos(ang.astype(np.float64)).astype(np.float32), np.sin(ang.astype(np.float64)).astype(np.float32)


def header7(cfg, vocab):
    c = cfg
    return struct.pack("<7i", c["dim"], c["hidden"], c["n_layers"], c["n_heads"], c["n_kv"], vocab, c["seq"])


def export_v0(m, sink):
    sink.write(header7(m.cfg, m.cfg["vocab"] if m.shared else -m.cfg["vocab"]))
    f32(sink, m.w["token_embd"])
    for kind in LAYER_KINDS:
        for a in layers(m, kind):
            f32(sink, a)
    f32(sink, m.w["output_norm"])
    cos, sin = rope_tables(m.cfg)
    f32(sink, cos)
    f32(sink, sin)
    if not m.shared:
        f32(sink, m.w["output"])


def versioned_header(m, version, group_size=None):
    b = struct.pack("<Ii", 0x616B3432, version) + header7(m.cfg, m.cfg["vocab"]) + struct.pack("B", int(m.shared))
    if version == 2:
        b += struct.pack("<i", group_size)
    return b + b"\0" * (256 - len(b))


def matrices(m):
    mats = [m.w["token_embd"]]
    for kind in ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_down", "ffn_up"]:
        mats += layers(m, kind)
    if not m.shared:
        mats.append(m.w["output"])
    return mats


def norms(m):
    return layers(m, "attn_norm") + layers(m, "ffn_norm") + [m.w["output_norm"]]


def export_v1(m, sink):
    sink.write(versioned_header(m, 1))
    for a in norms(m) + matrices(m):
        f32(sink, a)


def quantize_q80(w, gs):
    """export.py's quantize_q80 with torch's float32 semantics (round half to even)."""
    g = w.astype(np.float32).reshape(-1, gs)
    wmax = np.abs(g).max(axis=1)
    scale = (wmax / np.float32(127.0)).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.rint(g / scale[:, None])
    q = np.nan_to_num(q, nan=0.0).astype(np.int8)  # 0/0 of an all-zero group casts to 0
    return q, scale


def export_v2(m, sink, gs=64):
    sink.write(versioned_header(m, 2, gs))
    for a in norms(m):
        f32(sink, a)
    for a in matrices(m):
        q, s = quantize_q80(a, gs)
        sink.write(q.tobytes())
        f32(sink, s)


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest(), os.path.getsize(path)


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300)


def greedy_ids(path, *extra):
    r = run("generate", path, "--temperature", "0", "--max-new-tokens", "24", "--print-token-ids", *extra)
    return r.stdout.split() if r.returncode == 0 else ["error", r.stderr]


def compare_exports(label, src, m, work, cases):
    for version, gs, writer in cases:
        out = os.path.join(work, f"{label}-v{version}-{gs}.bin")
        r = run("export", src, "--output-bin-path", out, "--bin-version", str(version), "--group-size", str(gs))
        check(r.returncode == 0, f"{label} v{version}: export failed: {r.stderr}")
        if r.returncode:
            continue
        sink = Sink()
        writer(m, sink, gs) if version == 2 else writer(m, sink)
        check(file_digest(out) == (sink.h.hexdigest(), sink.n),
              f"{label} v{version} group {gs}: {os.path.getsize(out)} bytes differ from export.py's {sink.n}")
        yield version, gs, out


def check_stories(work):
    src = os.path.join(DATA, "models", "stories260K.bin")
    if not os.path.exists(src):
        skip(9, f"{src} is missing")
        return
    m = read_llama2c_v0(src)
    cases = [(0, 64, export_v0), (1, 64, export_v1), (2, 64, export_v2), (2, 32, export_v2)]
    outs = {(v, gs): out for v, gs, out in compare_exports("stories260K", src, m, work, cases)}
    # our v0 is the file llama2.c wrote, but for torch's last-bit RoPE table rounding
    if (0, 64) in outs:
        a = np.fromfile(src, dtype="<u4")
        b = np.fromfile(outs[(0, 64)], dtype="<u4")
        c = m.cfg
        hs = c["dim"] // c["n_heads"]
        start = 7 + sum(x.size for k, x in m.w.items() if k != "output")  # the tables follow output_norm
        end = start + c["seq"] * hs
        check(a.shape == b.shape and np.array_equal(a[:start], b[:start]) and np.array_equal(a[end:], b[end:]),
              "stories260K v0: weights differ from llama2.c's own file")
        diff = np.abs(a[start:end].view(np.int32).astype(np.int64) - b[start:end].view(np.int32).astype(np.int64))
        check(diff.max() <= 1, f"stories260K v0: RoPE tables differ from llama2.c's by {diff.max()} ulp")
    want = greedy_ids(src)
    check(len(want) == 24, f"stories260K: greedy ids of the source: {want}")
    for key in [(0, 64), (1, 64)]:
        if key in outs:
            check(greedy_ids(outs[key]) == want, f"stories260K v{key[0]}: greedy ids differ after reload")
    if (2, 64) in outs:  # v2 quantizes: its own ids must survive a v2 -> v0 round trip
        back = os.path.join(work, "stories260K-v2-v0.bin")
        r = run("export", outs[(2, 64)], "--output-bin-path", back)
        check(r.returncode == 0 and greedy_ids(back) == greedy_ids(outs[(2, 64)]),
              "stories260K v2 -> v0: greedy ids differ")


def check_smollm2(work):
    if not os.path.exists(MODEL):
        skip(3, f"{MODEL} is missing")
        return
    m = read_gguf(MODEL)
    check(m.shared and m.cfg["n_heads"] == 9 and m.cfg["n_kv"] == 3, "SmolLM2: expected tied embeddings, 9/3 heads")
    for _ in compare_exports("SmolLM2", MODEL, m, work, [(0, 64, export_v0), (2, 64, export_v2)]):
        pass
    del m


def tokenizer_py_export(sp):
    """llama2.c tokenizer.py's Tokenizer.export."""
    tokens, scores = [], []
    for i in range(sp.vocab_size()):
        t, s = sp.id_to_piece(i), sp.get_score(i)
        if i == sp.bos_id():
            t = "\n<s>\n"
        elif i == sp.eos_id():
            t = "\n</s>\n"
        elif len(t) == 6 and t.startswith("<0x") and t.endswith(">"):
            t = chr(int(t[3:5], 16))
        t = t.replace("\u2581", " ")
        tokens.append(t.encode("utf-8"))
        scores.append(s)
    out = struct.pack("I", max(len(t) for t in tokens))
    for b, s in zip(tokens, scores):
        out += struct.pack("fI", s, len(b)) + b
    return out


def check_tokenizer(work):
    model = os.path.join(DATA, "tokenizers", "llama2", "tokenizer.model")
    if not os.path.exists(model):
        skip(2, f"{model} is missing")
        return
    out = os.path.join(work, "tokenizer.bin")
    r = subprocess.run([os.path.join(BUILD, "tools", "export_tokenizer"), model, out], capture_output=True, text=True)
    check(r.returncode == 0, f"export_tokenizer: {r.stderr}")
    if r.returncode:
        return
    ours = open(out, "rb").read()
    check(ours == tokenizer_py_export(sentencepiece.SentencePieceProcessor(model_file=model)),
          "tokenizer.bin differs from tokenizer.py's export")
    # llama2.c's shipped file predates tokenizer.py's byte-token rewrite: the same but
    # for the 256 <0xNN> pieces
    shipped = os.path.join(DATA, "tokenizers", "llama2", "tokenizer.bin")
    if os.path.exists(shipped):
        def records(b):
            pos, recs = 4, []
            while pos < len(b):
                n = struct.unpack_from("<I", b, pos + 4)[0]
                recs.append(b[pos:pos + 8 + n])
                pos += 8 + n
            return recs
        a, b = records(ours), records(open(shipped, "rb").read())
        differ = [i for i in range(min(len(a), len(b))) if a[i] != b[i]]
        check(len(a) == len(b) and differ == list(range(3, 259)),
              f"tokenizer.bin vs llama2.c's: {len(differ)} records differ, first {differ[:5]}")


def check_bad_options(work):
    src = os.path.join(DATA, "models", "stories260K.bin")
    if not os.path.exists(src):
        skip(6, f"{src} is missing")
        return
    out = os.path.join(work, "bad.bin")
    for args, needle in [(["--bin-version", "2", "--group-size", "48"], "group size 48"),
                         (["--bin-version", "3"], "--bin-version"),
                         (["--quantize", '{"linear:int8": {}}'], "--bin-version 2 --group-size N"),
                         (["--dtype", "f16"], "fp32 weights")]:
        r = run("export", src, "--output-bin-path", out, *args)
        check(r.returncode != 0 and needle in r.stderr and not os.path.exists(out) and
              not os.path.exists(out + ".part"), f"export {args}: exit {r.returncode}, {r.stderr.strip()}")
    copy = os.path.join(work, "copy.bin")
    open(copy, "wb").write(open(src, "rb").read())
    r = run("export", copy, "--output-bin-path", copy)
    check(r.returncode != 0 and "overwrite its own input" in r.stderr and open(copy, "rb").read() ==
          open(src, "rb").read(), f"export onto its own input: {r.stderr.strip()}")
    r = run("export", src, "--output-bin-path", os.path.join(work, "no", "such", "dir", "x.bin"))
    check(r.returncode != 0 and "cannot create" in r.stderr, f"export into a missing directory: {r.stderr.strip()}")


def check_interrupt(work):
    """Ctrl-C while the .part file is being written leaves neither it nor the output."""
    out = os.path.join(work, "interrupted.bin")
    p = subprocess.Popen([BIN, "export", MODEL, "--output-bin-path", out], stderr=subprocess.DEVNULL)
    while p.poll() is None and not os.path.exists(out + ".part"):
        time.sleep(0.005)
    if p.poll() is not None:
        skip(1, "the export finished before it could be interrupted")
        os.path.exists(out) and os.unlink(out)
        return
    p.send_signal(signal.SIGINT)
    rc = p.wait(timeout=60)
    check(rc == 130 and not os.path.exists(out) and not os.path.exists(out + ".part"),
          f"interrupted export: exit {rc}, left {[f for f in os.listdir(work) if f.startswith('interrupted')]}")


def main():
    with tempfile.TemporaryDirectory() as work:
        check_tokenizer(work)
        check_bad_options(work)
        check_stories(work)
        check_smollm2(work)
        if os.path.exists(MODEL):
            check_interrupt(work)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
