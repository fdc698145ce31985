#!/usr/bin/env python3
"""`llama-fast quantize --imatrix` against `llama-quantize --imatrix` on a real model:
SmolLM2's first 8 layers (its token embedding and metadata, block_count 8: the least
that has llama.cpp's "first n_layer/8 layers" rules) dequantized to F32 and moved off
the Q4_1 grid its weights were stored on (noise of 5 % of each matrix's spread; on the
grid Q4_1 gives the same bytes with or without importance); two importance files of a
calibration text over the whole model, one by llama-imatrix and one by `llama-fast
imatrix`; both programs quantize the F32 file to each file type with one of them, and
every tensor's type and bytes and every metadata key-value (quantize.imatrix.*
included) must be the same. Our Q4_0 with an imatrix must also differ from ours without
(the importance is used) and have blk.0.ffn_down as Q4_1 (llama.cpp's rule with an
imatrix). LF_QUANTIZE_IMATRIX_FULL=1: all 30 layers, every type with both files (~7
minutes). Counted as skipped when llama.cpp's binaries are absent.
Usage: tests/check_quantize_imatrix.py [BUILD_DIR [MODEL [LLAMA_BIN_DIR]]]"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import gguf
import numpy as np
from gguf import quants

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish, skip  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BUILD", "build")
MODEL = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("MODEL", "models/SmolLM2-135M-Instruct.Q4_1.gguf")
LLAMA = sys.argv[3] if len(sys.argv) > 3 else "third_party/llama.cpp-tools/bin"
LF = os.path.join(BUILD, "llama-fast")
QUANTIZE = os.path.join(LLAMA, "llama-quantize")
IMATRIX = os.path.join(LLAMA, "llama-imatrix")
TEXT = "/usr/share/common-licenses/GPL-3"
CTX, CHUNKS = 128, 2
FULL = os.environ.get("LF_QUANTIZE_IMATRIX_FULL") == "1"
LAYERS = None if FULL else 8
TYPES = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q2_K_S", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K"]
# (file type, importance file): each type once, alternating the two files (both files
# for every type with FULL); Q4_0 with ours is the one check_effect compares
CASES = ([(t, w) for t in TYPES for w in ("theirs", "ours")] if FULL else
         [(t, ("ours", "theirs")[i % 2]) for i, t in enumerate(TYPES)] + [("Q4_K_M", "theirs")])


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


def layer_of(name):
    return int(name.split(".")[1]) if name.startswith("blk.") else -1


def make_source(model, dst, layers):
    """model's first `layers` layers (all for None) and token embedding as F32, each layer
    matrix plus noise of 5 % of its spread; model's metadata but block_count."""
    rng = np.random.default_rng(11)
    r = gguf.GGUFReader(model)
    arch = r.fields["general.architecture"].contents()
    w = gguf.GGUFWriter(dst, arch)
    for key, f in r.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type"):
            continue
        value = f.contents()
        if key == f"{arch}.block_count" and layers is not None:
            value = layers
        w.add_key_value(key, value, f.types[0], f.types[1] if len(f.types) > 1 else None)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    for t in r.tensors:
        if layers is not None and layer_of(t.name) >= layers:
            continue
        x = quants.dequantize(t.data, t.tensor_type).reshape([int(d) for d in reversed(t.shape)])
        x = x.astype(np.float32)
        if len(t.shape) == 2 and t.name.startswith("blk."):
            x += rng.standard_normal(x.shape, dtype=np.float32) * np.float32(0.05 * x.std())
        w.add_tensor(t.name, x)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def make_imatrices(work):
    """llama-imatrix's and our importance files of the same text, context and chunks."""
    files = {"theirs": os.path.join(work, "theirs.imatrix"), "ours": os.path.join(work, "ours.imatrix")}
    r1 = run([IMATRIX, "-m", MODEL, "-f", TEXT, "-c", str(CTX), "--chunks", str(CHUNKS), "-t", "2", "--no-ppl",
              "-o", files["theirs"]])
    r2 = run([LF, "imatrix", MODEL, "--text", TEXT, "--ctx", str(CTX), "--chunks", str(CHUNKS), "-t", "2",
              "-o", files["ours"]])
    check(r1.returncode == 0 and os.path.exists(files["theirs"]), f"llama-imatrix failed: {r1.stderr[-300:]}")
    check(r2.returncode == 0 and os.path.exists(files["ours"]), f"llama-fast imatrix failed: {r2.stderr[-300:]}")
    return files if r1.returncode == 0 and r2.returncode == 0 else None


def read_gguf(path):
    """The key-value section's bytes and {tensor name: (type, shape, data bytes)}: a quick
    reader (gguf.GGUFReader takes seconds over SmolLM2's tokenizer arrays)."""
    b = open(path, "rb").read()
    n_tensors, n_kv = struct.unpack_from("<QQ", b, 8)
    off = 24

    def skip_value(t):
        nonlocal off
        if t == 8:
            off += 8 + struct.unpack_from("<Q", b, off)[0]
        elif t == 9:
            sub, n = struct.unpack_from("<IQ", b, off)
            off += 12
            if sub in (8, 9):
                for _ in range(n):
                    skip_value(sub)
            else:
                off += n * {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}[sub]
        else:
            off += {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}[t]

    for _ in range(n_kv):
        off += 8 + struct.unpack_from("<Q", b, off)[0]
        (t,) = struct.unpack_from("<I", b, off)
        off += 4
        skip_value(t)
    kv = b[24:off]
    infos = []
    for _ in range(n_tensors):
        (ln,) = struct.unpack_from("<Q", b, off)
        name = b[off + 8:off + 8 + ln].decode()
        off += 8 + ln
        (nd,) = struct.unpack_from("<I", b, off)
        ne = struct.unpack_from(f"<{nd}Q", b, off + 4)
        off += 4 + 8 * nd
        typ, data_off = struct.unpack_from("<IQ", b, off)
        off += 12
        infos.append((name, typ, ne, data_off))
    base = (off + 31) // 32 * 32  # llama-quantize's and our alignment: SmolLM2 states none
    starts = sorted(i[3] for i in infos) + [len(b) - base]
    end = {s: e for s, e in zip(starts, starts[1:])}
    return kv, {name: (typ, ne, b[base + o:base + end[o]]) for name, typ, ne, o in infos}


def compare(what, ours, theirs):
    """Equal key-values (byte for byte, in order) and, tensor by tensor, equal types,
    shapes and bytes (padding to the next tensor included: zeros in both)."""
    (ka, ta), (kb, tb) = read_gguf(ours), read_gguf(theirs)
    check(ka == kb, f"{what}: metadata differs")
    check(set(ta) == set(tb), f"{what}: tensor names differ: {sorted(set(ta) ^ set(tb))[:5]}")
    for name in sorted(set(ta) & set(tb)):
        check(ta[name][:2] == tb[name][:2], f"{what}: {name} is {ta[name][:2]}, llama-quantize made {tb[name][:2]}")
        check(ta[name][2] == tb[name][2], f"{what}: {name} bytes differ")


def tensor_bytes(path):
    return {name: (gguf.GGMLQuantizationType(t[0]), t[2]) for name, t in read_gguf(path)[1].items()}


def check_effect(work, f32, weighted, n_layers):
    """Our Q4_0 made with an imatrix (weighted) differs from our plain Q4_0 in every layer
    matrix that stays Q4_0, and its ffn_down of the first n_layer/8 layers is Q4_1."""
    plain = os.path.join(work, "plain.gguf")
    r = run([LF, "quantize", f32, plain, "Q4_0", "2"])
    check(r.returncode == 0, f"Q4_0 without imatrix: {r.stderr[-300:]}")
    if r.returncode != 0:
        return
    a, b = tensor_bytes(plain), tensor_bytes(weighted)
    q = gguf.GGMLQuantizationType
    both = [n for n in a if n.startswith("blk.") and a[n][0] == q.Q4_0 == b[n][0]]
    same = [n for n in both if a[n][1] == b[n][1]]
    check(len(both) >= 6 * n_layers - 1 and not same, f"{len(same)} of {len(both)} Q4_0 tensors unchanged: {same[:3]}")
    downs = sorted(n for n in b if "ffn_down" in n and b[n][0] == q.Q4_1)
    check(downs == [f"blk.{i}.ffn_down.weight" for i in range(n_layers // 8)], f"ffn_down as Q4_1: {downs}")
    check(all(a[f"blk.{i}.ffn_down.weight"][0] == q.Q4_0 for i in range(n_layers)), "plain Q4_0 ffn_down not Q4_0")
    os.remove(plain)


def main():
    if not (os.access(QUANTIZE, os.X_OK) and os.access(IMATRIX, os.X_OK)):
        skip(2 + 5 * len(CASES), f"{QUANTIZE} or {IMATRIX} not built (bench/build-llama-cpp.sh tools)")
        return finish()
    work = tempfile.mkdtemp(prefix="lf_quantize_imatrix_")
    try:
        f32 = os.path.join(work, "f32.gguf")
        make_source(MODEL, f32, LAYERS)
        n_layers = LAYERS or int(gguf.GGUFReader(MODEL).fields["llama.block_count"].contents())
        files = make_imatrices(work)
        if not files:
            return finish()
        for t, which in CASES:
            what = f"{t} --imatrix {which}"
            ours, theirs = os.path.join(work, "ours.gguf"), os.path.join(work, "theirs.gguf")
            # the same path string for both: quantize.imatrix.file records it as given
            r1 = run([LF, "quantize", "--imatrix", files[which], f32, ours, t, "2"])
            r2 = run([QUANTIZE, "--imatrix", files[which], f32, theirs, t, "2"])
            check(r1.returncode == 0, f"{what}: llama-fast quantize failed: {r1.stderr[-400:]}")
            check(r2.returncode == 0, f"{what}: llama-quantize failed: {r2.stderr[-400:]}")
            if r1.returncode == 0 and r2.returncode == 0:
                compare(what, ours, theirs)
                if (t, which) == ("Q4_0", "ours"):
                    check_effect(work, f32, ours, n_layers)
            for p in (ours, theirs):
                if os.path.exists(p):
                    os.remove(p)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
