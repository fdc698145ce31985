#!/usr/bin/env python3
"""Calibrated quantization against llama.cpp:
1. lf_quantize_row_weighted (via build/tools/quant_tool) is byte-identical to
   llama-quantize --pure --imatrix (ggml's quantize_row_*_impl) on SmolLM2's first layer
   dequantized to f32, for Q4_0/Q4_1/Q5_0/Q5_1 and the K-quants, with the importance of
   each tensor computed from llama-imatrix's file as llama-quantize computes it
   (in_sum2 / counts); 576-wide tensors that llama-quantize moves off a K-quant are
   compared at the type it chose, with the same importance; and 768-wide hostile rows
   (zeros, outliers, ties, denormals) with importances that are zero, huge, or from a
   matrix never reached (count 0).
2. `llama-fast imatrix` on the same text, context and chunks as llama-imatrix: the same
   tensor names and counts, sums within a relative tolerance; llama-quantize accepts our
   file (GGUF and .dat) and we read llama-imatrix's (both formats) to the same values.
Everything that needs llama.cpp's binaries is skipped visibly when they are absent.
Usage: tests/check_imatrix.py [BUILD_DIR [MODEL [LLAMA_BIN_DIR]]]"""
import os
import struct
import subprocess
import sys
import tempfile

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish, skip  # noqa: E402

TYPES = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]
LAYER = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]
TEXT = "/usr/share/common-licenses/GPL-3"
CTX, CHUNKS = 128, 4


def read_imatrix_gguf(path):
    """{tensor name: (sums, counts)} of a GGUF imatrix file, plus its metadata."""
    r = gguf.GGUFReader(path)
    sums, counts = {}, {}
    for t in r.tensors:
        data = np.array(t.data, np.float32).reshape(-1)
        if t.name.endswith(".in_sum2"):
            sums[t.name[:-len(".in_sum2")]] = data
        elif t.name.endswith(".counts"):
            counts[t.name[:-len(".counts")]] = data
    meta = {k: f.contents() for k, f in r.fields.items() if not k.startswith("GGUF.")}
    return {n: (sums[n], counts.get(n)) for n in sums}, meta


def read_imatrix_dat(path):
    """{tensor name: (values, ncall)} of a legacy .dat imatrix, chunk count, dataset."""
    b = open(path, "rb").read()
    off = 0

    def take(fmt):
        nonlocal off
        v = struct.unpack_from(fmt, b, off)
        off += struct.calcsize(fmt)
        return v

    (n,) = take("<i")
    out = {}
    for _ in range(n):
        (ln,) = take("<i")
        name = b[off:off + ln].decode()
        off += ln
        ncall, nval = take("<ii")
        out[name] = (np.frombuffer(b, np.float32, nval, off).copy(), ncall)
        off += 4 * nval
    (chunks,) = take("<i")
    (ln,) = take("<i")
    return out, chunks, b[off:off + ln].decode()


def importance_gguf(sums, counts):
    """llama-quantize's per-column importance from a GGUF entry (one matrix)."""
    c = np.float32(round(float(counts[0])))
    return sums / c if c > 0 else np.ones_like(sums)


def run_tool(tool, name, x, imp_path=None, cols=None):
    args = [tool, name, str(x.size)] + ([imp_path, str(cols)] if imp_path else [])
    r = subprocess.run(args, input=x.astype(np.float32).tobytes(), capture_output=True)
    return r.returncode, r.stdout


def first_layer_f32(model):
    """SmolLM2's layer-0 matrices as f32, off the Q4_1 grid they were stored on (by noise
    of 5 % of each tensor's spread), else Q4_1 gives the same bytes with or without
    importance."""
    rng = np.random.default_rng(11)
    r = gguf.GGUFReader(model)
    tensors = {}
    for t in r.tensors:
        for role in LAYER:
            if t.name == f"blk.0.{role}.weight":
                rows, cols = int(t.shape[1]), int(t.shape[0])
                x = quants.dequantize(t.data, t.tensor_type).reshape(rows, cols)
                tensors[t.name] = (x + rng.standard_normal(x.shape) * 0.05 * x.std()).astype(np.float32)
    return tensors


def write_f32_model(path, tensors):
    """A one-layer llama GGUF with SmolLM2's shapes, the least llama-quantize accepts."""
    w = gguf.GGUFWriter(path, "llama")
    w.add_context_length(2048)
    w.add_embedding_length(576)
    w.add_block_count(1)
    w.add_feed_forward_length(1536)
    w.add_head_count(9)
    w.add_head_count_kv(3)
    w.add_layer_norm_rms_eps(1e-5)
    for name, data in tensors.items():
        w.add_tensor(name, data)
    w.add_tensor("output_norm.weight", np.ones(576, np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def check_weighted_quantizers(tool, bins, model, tmp):
    lq, li = os.path.join(bins, "llama-quantize"), os.path.join(bins, "llama-imatrix")
    tensors = first_layer_f32(model)
    n_checks = len(TYPES) * (1 + 2 * len(LAYER)) + 1
    if not (os.access(lq, os.X_OK) and os.access(li, os.X_OK)):
        skip(n_checks, f"{lq} or {li} absent (bench/build-llama-cpp.sh builds them): no byte comparison")
        return None
    ref = os.path.join(tmp, "ref.imatrix.gguf")
    r = subprocess.run([li, "-m", model, "-f", TEXT, "-c", str(CTX), "--chunks", str(CHUNKS), "-t", "2",
                        "--no-ppl", "-o", ref], capture_output=True)
    check(r.returncode == 0 and os.path.exists(ref), f"llama-imatrix: {r.stderr.decode()[-300:]}")
    if r.returncode != 0:
        return None
    entries, _ = read_imatrix_gguf(ref)
    src = os.path.join(tmp, "f32.gguf")
    write_f32_model(src, tensors)
    for name in TYPES:
        dst = os.path.join(tmp, name + ".gguf")
        r = subprocess.run([lq, "--pure", "--imatrix", ref, src, dst, name], capture_output=True)
        check(r.returncode == 0, f"llama-quantize --imatrix {name}: {r.stderr.decode()[-300:]}")
        if r.returncode != 0:
            continue
        out = {t.name: t for t in gguf.GGUFReader(dst).tensors}
        for tname, data in tensors.items():
            got = out[tname]
            tname_type = got.tensor_type.name  # a K-quant on 576 columns falls back
            imp = importance_gguf(*entries[tname])
            imp_path = os.path.join(tmp, "imp.f32")
            imp.astype(np.float32).tofile(imp_path)
            rc, ours = run_tool(tool, tname_type, data.reshape(-1), imp_path, data.shape[1])
            same = rc == 0 and ours == bytes(got.data.tobytes())
            check(same, f"{name} {tname} (as {tname_type}) vs llama-quantize --imatrix: rc={rc}")
            if tname_type in TYPES:  # the importance matters (Q8_0, a fallback, takes none)
                rc2, plain = run_tool(tool, tname_type, data.reshape(-1), None)
                check(rc2 == 0 and plain != ours, f"{name} {tname}: importance changed nothing")
    return ref


def run_ours(lf, args):
    r = subprocess.run([lf, "imatrix"] + args, capture_output=True, timeout=600)
    return r.returncode, r.stderr.decode(errors="replace")


def check_collection(lf, bins, model, tmp, ref):
    """Our imatrix against llama-imatrix's of the same text, context and chunks."""
    ours = os.path.join(tmp, "ours.imatrix.gguf")
    rc, err = run_ours(lf, [model, "--text", TEXT, "--ctx", str(CTX), "--chunks", str(CHUNKS), "-t", "2", "-o", ours])
    check(rc == 0 and os.path.exists(ours) and not os.path.exists(ours + ".part"), f"llama-fast imatrix: {err[-300:]}")
    if rc != 0:
        return
    b, mb = read_imatrix_gguf(ours)
    check(mb.get("general.type") == "imatrix" and mb.get("imatrix.chunk_count") == CHUNKS and
          mb.get("imatrix.chunk_size") == CTX and mb.get("imatrix.datasets") == [TEXT], f"our metadata {mb}")
    n_layers = 30
    check(len(b) == 7 * n_layers, f"{len(b)} entries, expected {7 * n_layers}")
    check(all(float(c[0]) == CTX * CHUNKS and len(c) == 1 for _, c in b.values()), "counts are not tokens run")
    # inputs shared by several weights carry the same sums
    check(all(np.array_equal(b[f"blk.{i}.attn_q.weight"][0], b[f"blk.{i}.attn_v.weight"][0]) and
              np.array_equal(b[f"blk.{i}.ffn_gate.weight"][0], b[f"blk.{i}.ffn_up.weight"][0])
              for i in range(n_layers)), "q/k/v or gate/up sums differ")
    if ref is None:
        skip(4, "no llama-imatrix file to compare with")
        return
    a, ma = read_imatrix_gguf(ref)
    check(sorted(a) == sorted(b), "tensor names differ from llama-imatrix's")
    check(all(np.array_equal(a[n][1], b[n][1]) for n in a if n in b), "counts differ from llama-imatrix's")
    # float sums in another order, and activations from other kernels: close, not equal
    rel = {n: float(np.linalg.norm(a[n][0] - b[n][0]) / np.linalg.norm(a[n][0])) for n in a if n in b}
    worst = max(rel, key=rel.get)
    check(rel[worst] < 0.05, f"{worst}: relative L2 difference {rel[worst]:.4f} from llama-imatrix's")
    check(rel["blk.0.attn_q.weight"] < 1e-5, f"layer 0 input differs by {rel['blk.0.attn_q.weight']}")
    print(f"imatrix vs llama-imatrix: worst relative L2 difference {rel[worst]:.4f} ({worst}), "
          f"mean {np.mean(list(rel.values())):.4f}")


def check_interchange(lf, bins, tmp, ref):
    """Either program's quantizer reads either's file, in both formats."""
    ours = os.path.join(tmp, "ours.imatrix.gguf")
    lq = os.path.join(bins, "llama-quantize")
    if ref is None or not os.path.exists(ours):
        skip(9, "no llama-imatrix file, or no file of ours: no interchange checks")
        return
    # our reader and writer reproduce llama-imatrix's files byte for byte
    rt = os.path.join(tmp, "rt.gguf")
    rc, err = run_ours(lf, ["--in-file", ref, "-o", rt])
    check(rc == 0 and open(rt, "rb").read() == open(ref, "rb").read(), f"GGUF round trip differs: {err[-200:]}")
    ref_dat = os.path.join(tmp, "ref.imatrix.dat")
    li = os.path.join(bins, "llama-imatrix")
    r = subprocess.run([li, "-m", os.environ.get("MODEL", "models/SmolLM2-135M-Instruct.Q4_1.gguf"), "-f", TEXT,
                        "-c", str(CTX), "--chunks", str(CHUNKS), "-t", "2", "--no-ppl", "--output-format", "dat",
                        "-o", ref_dat], capture_output=True)
    ours_dat = os.path.join(tmp, "g2d.dat")
    rc, err = run_ours(lf, ["--in-file", ref, "-o", ours_dat, "--output-format", "dat"])
    check(r.returncode == 0 and rc == 0 and open(ours_dat, "rb").read() == open(ref_dat, "rb").read(),
          f"our .dat of llama-imatrix's sums differs from its own .dat: {err[-200:]}")
    rt_dat = os.path.join(tmp, "rt.dat")
    rc, err = run_ours(lf, ["--in-file", ref_dat, "-o", rt_dat, "--output-format", "dat"])
    check(rc == 0 and open(rt_dat, "rb").read() == open(ref_dat, "rb").read(), f".dat round trip differs: {err[-200:]}")
    # llama-quantize takes our files (GGUF and .dat) and records them
    src = os.path.join(tmp, "f32.gguf")
    for fmt in ("gguf", "dat"):
        path = ours if fmt == "gguf" else os.path.join(tmp, "ours.imatrix.dat")
        if fmt == "dat":
            rc, err = run_ours(lf, ["--in-file", ours, "-o", path, "--output-format", "dat"])
        dst = os.path.join(tmp, f"q4k_ours_{fmt}.gguf")
        r = subprocess.run([lq, "--pure", "--imatrix", path, src, dst, "Q4_K"], capture_output=True)
        ok = r.returncode == 0
        meta = {k: f.contents() for k, f in gguf.GGUFReader(dst).fields.items()} if ok else {}
        check(ok and meta.get("quantize.imatrix.entries_count") == 210 and
              meta.get("quantize.imatrix.chunks_count") == CHUNKS and meta.get("quantize.imatrix.dataset") == TEXT,
              f"llama-quantize --imatrix our {fmt}: {r.stderr.decode()[-300:]}")
        check(b"did not find weights" not in r.stdout + r.stderr, f"llama-quantize missed entries of our {fmt}")
    # llama-quantize applied our importance as our quantizer does (GGUF: sums / counts;
    # .dat: the stored mean square times ncall, divided by ncall)
    b, _ = read_imatrix_gguf(ours)
    dat, _, _ = read_imatrix_dat(os.path.join(tmp, "ours.imatrix.dat"))
    data = first_layer_f32(os.environ.get("MODEL", "models/SmolLM2-135M-Instruct.Q4_1.gguf"))["blk.0.ffn_down.weight"]
    for fmt, imp in (("gguf", importance_gguf(*b["blk.0.ffn_down.weight"])),
                     ("dat", dat["blk.0.ffn_down.weight"][0] / np.float32(dat["blk.0.ffn_down.weight"][1]))):
        got = {t.name: t for t in gguf.GGUFReader(os.path.join(tmp, f"q4k_ours_{fmt}.gguf")).tensors}
        imp_path = os.path.join(tmp, "imp.f32")
        imp.astype(np.float32).tofile(imp_path)
        rc, q = run_tool(os.path.join(os.path.dirname(lf), "tools", "quant_tool"), "Q4_K", data.reshape(-1), imp_path,
                         data.shape[1])
        check(rc == 0 and q == got["blk.0.ffn_down.weight"].data.tobytes(),
              f"llama-quantize with our {fmt} imatrix differs from lf_quantize_row_weighted")


def check_bad_files(lf, tmp):
    """Hostile files are refused with a message naming the file, and nothing is written."""
    cases = {
        "empty.dat": b"",
        "zero_entries.dat": struct.pack("<i", 0),
        "negative_len.dat": struct.pack("<ii", 1, -5),
        "huge_nval.dat": struct.pack("<ii", 1, 1) + b"x" + struct.pack("<ii", 1, 1 << 30),
        "nan.dat": struct.pack("<ii", 1, 1) + b"x" + struct.pack("<iif", 1, 1, float("nan")),
        "negative.dat": struct.pack("<ii", 1, 1) + b"x" + struct.pack("<iif", 1, 1, -1.0),
        "nul_name.dat": struct.pack("<ii", 1, 2) + b"a\0" + struct.pack("<iif", 1, 1, 1.0),
        "duplicate.dat": struct.pack("<i", 2) + 2 * (struct.pack("<i", 1) + b"x" + struct.pack("<iif", 1, 1, 1.0)),
        "truncated.dat": struct.pack("<ii", 1, 1) + b"x" + struct.pack("<ii", 1, 4) + b"\0" * 7,
        "bad_tail.dat": struct.pack("<ii", 1, 1) + b"x" + struct.pack("<iif", 1, 1, 1.0) + struct.pack("<ii", 1, 99),
        "not_gguf.gguf": b"GGUF" + b"\xff" * 20,
    }
    for name, data in cases.items():
        path = os.path.join(tmp, name)
        open(path, "wb").write(data)
        out = os.path.join(tmp, name + ".out")
        rc, err = run_ours(lf, ["--in-file", path, "-o", out])
        check(rc == 1 and name in err and not os.path.exists(out) and not os.path.exists(out + ".part"),
              f"{name}: rc={rc} {err[-200:]}")
    rc, err = run_ours(lf, ["--in-file", os.path.join(tmp, "missing.gguf"), "-o", os.path.join(tmp, "x")])
    check(rc == 1 and "missing.gguf" in err, f"missing file: rc={rc} {err[-200:]}")


def hostile_rows(rng, n):
    """Rows at the quantizers' edges (as tests/check_quantize.py's), for the weighted path."""
    out = rng.standard_normal(n) * 0.01
    out[n // 3] = 1000.0
    ties = rng.integers(-16, 17, n).astype(np.float64)
    return [rng.standard_normal(n), rng.standard_normal(n) * np.exp(rng.uniform(-8, 8, n)), ties, out,
            np.zeros(n), np.full(n, -0.375), rng.standard_normal(n) * 1e-30, rng.standard_normal(n) * 1e-7]


def check_hostile(tool, bins, tmp):
    """768-wide synthetic tensors (every K-quant kept) of hostile rows, with an imatrix of
    our choosing: ordinary, zero and huge importances, and a matrix never reached
    (count 0: importance 1)."""
    lq = os.path.join(bins, "llama-quantize")
    if not os.access(lq, os.X_OK):
        skip(len(TYPES) * 4, f"{lq} absent: no hostile-row comparison")
        return
    rng = np.random.default_rng(99)
    width = 768
    rows = np.stack(hostile_rows(rng, width)).astype(np.float32)
    names = ["blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.ffn_gate.weight"]
    sums = {names[0]: rng.uniform(0, 4, width), names[1]: rng.uniform(0, 1, width) * (rng.uniform(0, 1, width) > 0.5),
            names[2]: np.exp(rng.uniform(-20, 20, width))}
    counts = {names[0]: 512.0, names[1]: 3.0, names[2]: 0.0}
    imx = os.path.join(tmp, "synthetic.imatrix.gguf")
    w = gguf.GGUFWriter(imx, "llama")
    w.add_string("general.type", "imatrix")
    w.add_array("imatrix.datasets", ["synthetic"])
    w.add_uint32("imatrix.chunk_count", 1)
    w.add_uint32("imatrix.chunk_size", 512)
    for n in sorted(names):
        w.add_tensor(n + ".in_sum2", sums[n].astype(np.float32))
        w.add_tensor(n + ".counts", np.array([counts[n]], np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    src = os.path.join(tmp, "hostile.f32.gguf")
    g = gguf.GGUFWriter(src, "llama")
    g.add_context_length(64)
    g.add_embedding_length(width)
    g.add_block_count(1)
    g.add_feed_forward_length(width)
    g.add_head_count(12)
    g.add_head_count_kv(12)
    g.add_layer_norm_rms_eps(1e-5)
    for i, n in enumerate(names):
        g.add_tensor(n, np.roll(rows, i, axis=0))
    g.add_tensor("output_norm.weight", np.ones(width, np.float32))
    g.write_header_to_file()
    g.write_kv_data_to_file()
    g.write_tensors_to_file()
    g.close()
    for name in TYPES:
        dst = os.path.join(tmp, "hostile." + name + ".gguf")
        r = subprocess.run([lq, "--pure", "--imatrix", imx, src, dst, name], capture_output=True)
        check(r.returncode == 0, f"llama-quantize --imatrix {name} on hostile rows: {r.stderr.decode()[-300:]}")
        if r.returncode != 0:
            continue
        out = {t.name: t for t in gguf.GGUFReader(dst).tensors}
        for i, n in enumerate(names):
            c = np.float32(counts[n])
            imp = sums[n].astype(np.float32) / c if c > 0 else np.ones(width, np.float32)
            imp_path = os.path.join(tmp, "imp.f32")
            imp.astype(np.float32).tofile(imp_path)
            rc, ours = run_tool(tool, name, np.roll(rows, i, axis=0).reshape(-1), imp_path, width)
            check(out[n].tensor_type == T[name] and rc == 0 and ours == bytes(out[n].data.tobytes()),
                  f"{name} {n} hostile rows vs llama-quantize --imatrix: type {out[n].tensor_type.name}, rc={rc}")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BUILD", "build")
    model = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("MODEL", "models/SmolLM2-135M-Instruct.Q4_1.gguf")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bins = sys.argv[3] if len(sys.argv) > 3 else os.path.join(here, "third_party", "llama.cpp-tools", "bin")
    tool = os.path.join(build, "tools", "quant_tool")
    lf = os.path.join(build, "llama-fast")
    with tempfile.TemporaryDirectory() as tmp:
        ref = check_weighted_quantizers(tool, bins, model, tmp)
        check_hostile(tool, bins, tmp)
        check_collection(lf, bins, model, tmp, ref)
        check_interchange(lf, bins, tmp, ref)
        check_bad_files(lf, tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
