"""Hugging Face checkpoints written by transformers, made to fit with quantize and export:

- `quantize SRC OUT --type Q8_0`: OUT's logits are transformers' fp32 logits at cosine
  >= 0.999 at every position, tied and untied embeddings;
- `export SRC --quantize INT8 --output-gguf-path G --output-exe-path E`: G's logits are
  transformers' at cosine >= 0.999; E carries G's bytes at a 64 KiB-aligned offset; with
  the checkpoint moved away E generates the greedy ids the checkpoint gives converted at
  load with the same scheme;
- the same export with only --output-exe-path (through a temporary GGUF beside E) embeds
  the same bytes and leaves no other file.

usage: check_export_hf.py BUILD_DIR WORK_DIR   (run with the torch venv's python)
Prints "N passed, M failed".
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402
from check_load_quantize import BIN, INT8, TIMEOUT, VOCAB, WORK, ours, save, worst_cosine  # noqa: E402

PROMPT = "1,17,42,99,7"


def run(*args, cwd=None):
    r = subprocess.run([*args], capture_output=True, timeout=TIMEOUT, cwd=cwd)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def cosine_vs(label, path, fp32, tokens):
    got, err = ours(path, tokens)
    check(got is not None, f"{label}: logits_tool failed: {err}")
    if got is not None:
        cos = worst_cosine(got, fp32)
        check(cos >= 0.999, f"{label}: worst cosine {cos:.6f} < 0.999")
        print(f"  {label}: worst cosine {cos:.6f}")


def main():
    rng = np.random.default_rng(5)
    tokens = [int(t) for t in rng.integers(0, VOCAB, size=20)]
    for name, kw in (("untied", {}), ("tied", {"tie_word_embeddings": True})):
        d, model = save("export-" + name, **kw)
        with torch.no_grad():
            fp32 = model(torch.tensor([tokens])).logits[0].float().numpy()
        q8 = os.path.join(WORK, name + ".q8_0.gguf")
        rc, _, err = run(BIN, "quantize", d, q8, "--type", "Q8_0", "-t", "2")
        check(rc == 0, f"{name}: quantize --type Q8_0: {err[-300:]}")
        cosine_vs(f"{name} quantize Q8_0 vs transformers fp32", q8, fp32, tokens)

        out = os.path.join(WORK, name + "-out")
        os.makedirs(out, exist_ok=True)
        g, e = os.path.join(out, "m.gguf"), os.path.join(out, "m")
        rc, _, err = run(BIN, "export", d, "--quantize", INT8, "--output-gguf-path", g, "--output-exe-path", e, "-t", "2")
        check(rc == 0 and sorted(os.listdir(out)) == ["m", "m.gguf"], f"{name}: export: {err[-300:]}")
        cosine_vs(f"{name} export int8 vs transformers fp32", g, fp32, tokens)
        rc, want, err = run(BIN, "generate", d, "--quantize", INT8, "--prompt-tokens", PROMPT, "--max-new-tokens", "12",
                            "--temperature", "0", "--print-token-ids", "-t", "1")
        check(rc == 0 and want.strip(), f"{name}: generate from the checkpoint: {err[-300:]}")
        exe, gguf = open(e, "rb").read(), open(g, "rb").read()
        at = exe.find(gguf[:4096])
        check(at > 0 and at % 65536 == 0 and exe[at:at + len(gguf)] == gguf,
              f"{name}: the executable does not carry the GGUF at an aligned offset ({at})")

        moved = d + ".away"
        shutil.move(d, moved)
        rc, got, err = run("./m", "generate", "--prompt-tokens", PROMPT, "--max-new-tokens", "12", "--temperature",
                           "0", "--print-token-ids", "-t", "1", cwd=out)
        check(rc == 0 and got.strip() == want.strip(),
              f"{name}: the executable's ids {got.strip()!r} != the checkpoint's {want.strip()!r}: {err[-300:]}")
        shutil.move(moved, d)

        alone = os.path.join(WORK, name + "-alone")
        os.makedirs(alone, exist_ok=True)
        rc, _, err = run(BIN, "export", d, "--quantize", INT8, "--output-exe-path", os.path.join(alone, "m"), "-t", "2")
        check(rc == 0 and os.listdir(alone) == ["m"], f"{name}: export of the executable alone: {os.listdir(alone)} "
              f"{err[-300:]}")
        if rc == 0:
            check(open(os.path.join(alone, "m"), "rb").read() == exe,
                  f"{name}: the executable written alone differs from the one written with the GGUF")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
