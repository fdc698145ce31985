"""The GGUF metadata llama-fast writes for a non-GGUF source (src/convert), checked three ways
on GGUFs written by tools/gguf_from_source (the metadata plus every tensor as loaded):

(a) llama-fast loads the GGUF and gives the source's logits (same argmax everywhere, cosine
    >= 0.99999) and the source's token ids on a varied corpus;
(b) llama.cpp's convert_hf_to_gguf.py (the vendored one, --outtype f32) on the same Hugging
    Face directory writes the same keys and values, and the same tensors; the differences
    that must be are listed in EXPECTED_DIFFERENCES with the reason;
(c) llama.cpp's llama-simple prints the same greedy text from our file as from its own
    conversion (from llama-fast's own generation for a source llama.cpp cannot convert).

Sources: Hugging Face directories (SmolLM2's byte-level BPE vocabulary rebuilt as a
tokenizer.json; the Llama 2 SentencePiece tokenizer.model; trained GPT-2 / Llama 3 style
tokenizers; a tiktoken rank file; llama3 and linear RoPE scaling, GQA, head_dim), a Meta
PyTorch checkpoint, and llama2.c's stories260K with a 512-token tokenizer.bin.
convert_hf_to_gguf.py runs under the torch venv with a shim for dtypes torch 1.13 lacks;
when it or llama-simple cannot run, those checks are counted as skipped, visibly.

usage: check_model_metadata.py BUILD_DIR DATA_DIR WORK_DIR MODEL_GGUF   (torch venv python)
Prints "N passed, M failed[, K skipped]".
"""
import base64
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD, DATA, WORK, SMOLLM_GGUF = sys.argv[1:5]
LLAMA_CPP = os.path.join(HERE, "..", "third_party", "llama_cpp_python-0.3.36", "vendor", "llama.cpp")
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(LLAMA_CPP, "gguf-py"))
import gguf  # noqa: E402  (the vendored gguf-py, the one convert_hf_to_gguf.py writes with)
from checks import check, finish, skip  # noqa: E402

# check_hf_loader's and check_torch_loader's helpers (tiny models, trained tokenizers): they
# read their own arguments at import
_argv = sys.argv
sys.argv = [_argv[0], BUILD, DATA, WORK]
import check_hf_loader as hf  # noqa: E402
sys.argv = [_argv[0], BUILD, WORK]
import check_torch_loader as pt  # noqa: E402
sys.argv = _argv

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers  # noqa: E402
from transformers import LlamaTokenizerFast  # noqa: E402

GGUF_FROM_SOURCE = os.path.join(BUILD, "tools", "gguf_from_source")
LOGITS_TOOL = os.path.join(BUILD, "tools", "logits_tool")
TOKENIZE_CASES = os.path.join(BUILD, "tools", "tokenize_cases")
BIN = os.path.join(BUILD, "llama-fast")
LLAMA_SIMPLE = os.path.join(HERE, "..", "third_party", "llama.cpp-tools", "bin", "llama-simple")
CONVERT = os.path.join(LLAMA_CPP, "convert_hf_to_gguf.py")
TIMEOUT = 900 if os.environ.get("LF_SANITIZED") == "1" else 300

# Keys convert_hf_to_gguf.py writes that depend on the output's tensors or on files and
# heuristics outside the model (set by the quantize writer, or not needed by any loader).
THEIRS_ONLY_OK = {
    "general.file_type": "the tensor types: written by whoever writes the tensors (quantize)",
    "general.quantization_version": "idem",
    "general.basename": "a name heuristic on the directory name; general.name carries the name",
    "general.size_label": "idem (parameter count label)",
    "general.finetune": "idem",
    "general.version": "idem",
}
# Keys the converter writes with llama.cpp's default value, which we leave to the default.
THEIRS_DEFAULT_OK = {"tokenizer.ggml.add_sep_token": False}
# Keys we write explicitly where the converter leaves llama.cpp's default: allowed only
# when our value is that default (for the file's tokenizer model).
OURS_ONLY_OK = {
    "tokenizer.ggml.add_eos_token": lambda v, kv: v is False,
    "tokenizer.ggml.add_space_prefix": lambda v, kv: v is (kv["tokenizer.ggml.model"] == "llama"),
    "tokenizer.ggml.unknown_token_id": lambda v, kv: kv["tokenizer.ggml.model"] == "llama" and v == 0,
    "tokenizer.ggml.add_bos_token": lambda v, kv: v is (kv["tokenizer.ggml.model"] == "llama" or
                                                        kv.get("tokenizer.ggml.pre") == "llama-bpe"),
}
# Keys both write with values that differ by design.
DIFFERENT_OK = {
    "general.name": "convert_hf_to_gguf.py title-cases the directory name ('Llama2 Spm'); ours is the name as given",
}


def run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=TIMEOUT, **kw)


def read_gguf(path):
    r = gguf.GGUFReader(path)
    kv = {}
    for k, f in r.fields.items():
        if k.startswith("GGUF."):
            continue
        v = f.contents()
        kv[k] = v
    tensors = {t.name: np.array(t.data) for t in r.tensors}
    return kv, tensors


def ours(src, name, tokenizer=None):
    out = os.path.join(WORK, name + ".lf.gguf")
    r = run([GGUF_FROM_SOURCE, src, out] + ([tokenizer] if tokenizer else []))
    check(r.returncode == 0 and os.path.exists(out), f"{name}: gguf_from_source failed: {r.stderr.decode()[-500:]}")
    return out if r.returncode == 0 else None, r.stderr.decode(errors="replace")


# ------------------------------------------------------------------ convert_hf_to_gguf.py
SHIM = """
import os, runpy, sys, torch
for name in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "uint16", "uint32", "uint64"):
    if not hasattr(torch, name):
        setattr(torch, name, torch.uint8)  # dtypes torch 1.13 lacks: only dict keys in the converter
script = sys.argv[1]
sys.path[:0] = [os.path.dirname(script), os.path.join(os.path.dirname(script), "gguf-py")]
pre = os.environ.get("LF_FORCE_PRE")
if pre:  # a tokenizer trained here has no entry in the converter's pre-tokenizer hash table
    import conversion.base as base
    base.TextModel.get_vocab_base_pre = lambda self, tokenizer: pre
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
"""
convert_broken = None


def theirs(d, name, force_pre=None):
    """convert_hf_to_gguf.py's f32 GGUF of directory d, or None (skipped when it cannot run here)."""
    global convert_broken
    if convert_broken:
        return None
    out = os.path.join(WORK, name + ".cpp.gguf")
    shim = os.path.join(WORK, "convert_shim.py")
    with open(shim, "w") as f:
        f.write(SHIM)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", NO_LOCAL_GGUF="1")
    if force_pre:
        env["LF_FORCE_PRE"] = force_pre
    r = run([sys.executable, shim, CONVERT, d, "--outtype", "f32", "--outfile", out], env=env)
    if r.returncode != 0:
        err = r.stderr.decode(errors="replace")
        if "ModuleNotFoundError" in err or "ImportError" in err:
            convert_broken = err[-300:]
            return None
        check(False, f"{name}: convert_hf_to_gguf.py failed: {err[-800:]}")
        return None
    return out


def same_value(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)))
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        if a and isinstance(a[0], float):
            return np.allclose(np.array(a, dtype=np.float64), np.array(b, dtype=np.float64), rtol=1e-6, atol=0)
        return a == b
    return a == b


def short(v):
    if isinstance(v, list):
        return f"[{len(v)} items: {v[:4]}...]"
    return repr(v)[:120]


def compare_metadata(name, our_path, their_path, expected):
    """Every key either program writes has the same value in both, except the keys
    THEIRS_ONLY_OK and expected (key -> reason) explain."""
    a, ta = read_gguf(our_path)
    b, tb = read_gguf(their_path)
    diffs = []
    for k in sorted(set(a) | set(b)):
        if k in expected or k in DIFFERENT_OK or (k not in a and k in THEIRS_ONLY_OK):
            continue
        if k not in a and k in THEIRS_DEFAULT_OK and b[k] == THEIRS_DEFAULT_OK[k]:
            continue
        if k not in b and k in OURS_ONLY_OK and OURS_ONLY_OK[k](a[k], a):
            continue
        if k not in a or k not in b or not same_value(a[k], b[k]):
            diffs.append(f"{k}: ours {short(a.get(k, '<absent>'))}, llama.cpp {short(b.get(k, '<absent>'))}")
    for line in diffs[:12]:
        print(f"  {name}: {line}")
    check(not diffs, f"{name}: {len(diffs)} metadata keys differ from convert_hf_to_gguf.py's")
    print(f"  {name}: {len(set(a) & set(b))} keys in both files, {len(diffs)} unexplained differences")
    for k, why in expected.items():
        print(f"  {name}: expected difference {k}: ours {short(a.get(k, '<absent>'))}, "
              f"llama.cpp {short(b.get(k, '<absent>'))} ({why})")
    # the tensors the metadata describes: same names, shapes and values (rope_freqs included)
    bad = sorted(set(ta) ^ set(tb))
    bad += [n for n in set(ta) & set(tb)
            if ta[n].shape != tb[n].shape or not np.allclose(ta[n].astype(np.float32), tb[n].astype(np.float32),
                                                             rtol=1e-6, atol=1e-7)]
    check(not bad, f"{name}: tensors differ from llama.cpp's conversion: {bad[:6]}")


# ------------------------------------------------------------------ (a) llama-fast on our file
def logits(path, tokens, vocab, tokenizer=None):
    r = run([LOGITS_TOOL, path, ",".join(map(str, tokens)), "2"] + ([tokenizer] if tokenizer else []))
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace")
    return np.frombuffer(r.stdout, dtype=np.float32).reshape(len(tokens), vocab), ""


def compare_logits(name, src, out, vocab, tokenizer=None):
    tokens = [int(t) for t in np.random.default_rng(5).integers(0, vocab, size=16)]
    a, err_a = logits(src, tokens, vocab, tokenizer)
    b, err_b = logits(out, tokens, vocab)
    check(a is not None and b is not None, f"{name}: logits_tool failed: {err_a} {err_b}")
    if a is None or b is None:
        return
    cos = min(float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y))) for x, y in zip(a.astype(np.float64),
                                                                                   b.astype(np.float64)))
    check(cos >= 0.99999 and (a.argmax(1) == b.argmax(1)).all(),
          f"{name}: logits from the GGUF differ from the source's (worst cosine {cos:.7f})")


def token_ids(tok_path, texts):
    path = os.path.join(WORK, "cases.txt")
    with open(path, "w", encoding="utf-8", newline="") as f:
        for t in texts:
            f.write(t + "\n__ggml_vocab_test__\n")
    r = run([TOKENIZE_CASES, tok_path, path, "--bos"])
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace")
    return r.stdout.decode().split("\n")[:len(texts)], ""


def compare_tokens(name, src_tok, out, texts=None):
    texts = texts or hf.CORPUS
    a, err_a = token_ids(src_tok, texts)
    b, err_b = token_ids(out, texts)
    check(a is not None and b is not None, f"{name}: tokenize_cases failed: {err_a} {err_b}")
    if a is None or b is None:
        return
    bad = [(t, x, y) for t, x, y in zip(texts, a, b) if x != y]
    for t, x, y in bad[:4]:
        print(f"  {name}: {t!r}: source {x} != GGUF {y}")
    check(not bad, f"{name}: {len(bad)} of {len(texts)} texts tokenize differently from the GGUF")


# ------------------------------------------------------------------ (c) llama.cpp runs our file
def simple(path, prompt="Hello"):
    r = run([LLAMA_SIMPLE, "-m", path, "-n", "8", prompt])
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace")[-600:]
    return r.stdout.decode(errors="replace"), ""


def our_generation(path, prompt):
    r = run([BIN, "generate", path, "--prompt", prompt, "--temperature", "0", "--max-new-tokens", "8"])
    return r.stdout.decode(errors="replace") if r.returncode == 0 else None


def compare_llama_cpp(name, our_path, their_path=None, prompt="Hello"):
    if not os.access(LLAMA_SIMPLE, os.X_OK):
        skip(1, f"{name}: {LLAMA_SIMPLE} is absent (bench/build-llama-cpp.sh tools builds it)")
        return
    a, err = simple(our_path, prompt)
    check(a is not None, f"{name}: llama-simple cannot run our GGUF: {err}")
    print(f"  {name}: llama-simple on our GGUF: {a.strip()[:70]!r}")
    if a is None:
        return
    if their_path:
        b, err = simple(their_path, prompt)
        check(b is not None and a == b, f"{name}: llama-simple prints {a!r} from ours, {b!r} from its own ({err})")
    else:  # llama.cpp's continuation of the prompt is llama-fast's
        want = our_generation(our_path, prompt)
        check(want is not None and a.rstrip("\n").endswith(want.rstrip("\n")) and len(want.strip()) > 0,
              f"{name}: llama-simple prints {a!r}, llama-fast generates {want!r}")


# ------------------------------------------------------------------ sources
def smollm_tokenizer(d):
    """SmolLM2's tokenizer.json rebuilt from the shared GGUF's vocabulary (the real one,
    so convert_hf_to_gguf.py recognises its pre-tokenizer as "smollm")."""
    r = gguf.GGUFReader(SMOLLM_GGUF)
    f = r.fields["tokenizer.ggml.tokens"]
    tokens = [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    types = r.fields["tokenizer.ggml.token_type"].contents()
    m = r.fields["tokenizer.ggml.merges"]
    merges = [tuple(bytes(m.parts[i]).decode("utf-8").split(" ")) for i in m.data]
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t, ty in zip(tokens, types) if ty == 3])
    tok.save(os.path.join(d, "tokenizer.json"))
    template = r.fields["tokenizer.chat_template"].contents()
    with open(os.path.join(d, "tokenizer_config.json"), "w") as fp:
        json.dump({"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>",
                   "pad_token": "<|im_end|>", "add_prefix_space": False, "chat_template": template,
                   "tokenizer_class": "PreTrainedTokenizerFast"}, fp)


def hf_model(name, cfg, seed, dtype=torch.float32):
    d, _ = hf.save_model(name, "llama", cfg, dtype, None, seed)
    return d


def copy_tokenizer(src, d):
    for f in os.listdir(src):
        shutil.copy(os.path.join(src, f), d)
    hf.edit_json(os.path.join(d, "tokenizer_config.json"), lambda j: j.update(tokenizer_class="PreTrainedTokenizerFast"))


def llama2_spm_dir(name, cfg, seed):
    d = hf_model(name, cfg, seed)
    shutil.copy(os.path.join(DATA, "tokenizers", "llama2", "tokenizer.model"), d)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as fp:
        json.dump({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "add_bos_token": True,
                   "chat_template": "{{ bos_token }}{% for m in messages %}[INST] {{ m['content'] }} [/INST]"
                                    "{% endfor %}"}, fp)
    return d


def tiktoken_dir(name, cfg, seed):
    """A rank file made from GPT-2's vocabulary as check_tiktoken.py makes it (Llama 3's
    format: tokenizer.model of "<base64> <rank>" lines, Meta's special tokens after)."""
    d = hf_model(name, cfg, seed)
    r = gguf.GGUFReader(os.path.join(DATA, "vocab", "ggml-vocab-gpt-2.gguf"))
    f = r.fields["tokenizer.ggml.tokens"]
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), 256))
    cs, n = bs[:], 0
    for b in range(256):  # GPT-2's byte-to-unicode table, inverted
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    dec = {chr(c): b for b, c in zip(bs, cs)}
    lines = []
    for i in f.data:
        t = bytes(f.parts[i]).decode("utf-8")
        if t.startswith("<|") and t.endswith("|>"):
            continue
        lines.append(base64.b64encode(bytes(dec[c] for c in t)) + b" %d\n" % len(lines))
    with open(os.path.join(d, "tokenizer.model"), "wb") as fp:
        fp.write(b"".join(lines))
    return d, len(lines) + 256


def tok512(path):
    """The first 512 tokens of the Llama 2 tokenizer.bin (stories260K's vocabulary size)."""
    with open(os.path.join(DATA, "tokenizers", "llama2", "tokenizer.bin"), "rb") as fp:
        d = fp.read()
    pos, out = 4, [d[:4]]
    for _ in range(512):
        _, n = struct.unpack_from("<fi", d, pos)
        out.append(d[pos:pos + 8 + n])
        pos += 8 + n
    with open(path, "wb") as fp:
        fp.write(b"".join(out))


# ------------------------------------------------------------------ the cases
def hf_case(name, d, vocab, expected, force_pre=None, prompt="Hello", llama_cpp_too=True, same_text=True):
    out, _ = ours(d, name)
    if not out:
        return
    compare_logits(name, d, out, vocab)
    tok = os.path.join(d, "tokenizer.json")
    compare_tokens(name, tok if os.path.exists(tok) else os.path.join(d, "tokenizer.model"), out)
    cpp = theirs(d, name, force_pre) if llama_cpp_too else None
    if cpp:
        compare_metadata(name, out, cpp, expected)
    elif llama_cpp_too and convert_broken:
        skip(2, f"{name}: convert_hf_to_gguf.py cannot run here: {convert_broken}")
    compare_llama_cpp(name, out, cpp if same_text else None, prompt)


def main():
    os.makedirs(WORK, exist_ok=True)
    small = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-5)

    # SmolLM2's vocabulary: "smollm" pre-tokenizer, tied embeddings, chat template, pad/unk
    d = hf_model("smollm", dict(small, vocab_size=49152, tie_word_embeddings=True, bos_token_id=1,
                                eos_token_id=2, rope_theta=100000.0), 1)
    smollm_tokenizer(d)
    hf_case("hf smollm", d, 49152, {})

    # Llama 2 SentencePiece tokenizer.model, GQA
    d = llama2_spm_dir("llama2-spm", dict(small, vocab_size=32000), 2)
    hf_case("hf llama2 tokenizer.model", d, 32000, {}, prompt="Once upon a time")

    # trained byte-level tokenizers: Llama 3 regex with llama3 RoPE scaling (rope_freqs
    # tensor), GPT-2 regex with linear scaling and an explicit head_dim
    d = hf_model("llama3-bpe", dict(small, vocab_size=704, rope_theta=500000.0,
                                    rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 64}), 3)
    copy_tokenizer(hf.train_byte_level("llama3"), d)
    hf_case("hf llama3 bpe + llama3 rope", d, 704, {}, force_pre="llama-bpe")
    d = hf_model("gpt2-bpe", dict(small, vocab_size=704, head_dim=32, num_key_value_heads=1,
                                  rope_scaling={"type": "linear", "factor": 2.0}), 4)
    copy_tokenizer(hf.train_byte_level("gpt2"), d)
    hf_case("hf gpt2 bpe + linear rope", d, 704, {}, force_pre="gpt-2")

    # Mistral: written as "llama" (as the converter does); llama-fast keeps the sliding
    # window as its context length
    d, _ = hf.save_model("mistral", "mistral", dict(small, vocab_size=704, sliding_window=128), torch.float32, None, 7)
    copy_tokenizer(hf.train_byte_level("smollm"), d)
    hf_case("hf mistral sliding window", d, 704, {
        "llama.context_length": "llama-fast attends no further than the sliding window (128), so it says so; "
                                "the converter writes max_position_embeddings (512)"}, force_pre="smollm")

    # Llama 2's vocabulary as a SentencePiece-style tokenizer.json (no tokenizer.model):
    # the converter's LlamaHfVocab scores every piece -1000, leaving llama.cpp no merge
    # order; ours are minus each piece's merge rank, as lf_tokenizer merges
    d = hf_model("llama2-json", dict(small, vocab_size=32000), 8)
    copy_tokenizer(hf.convert_llama2("tok-llama2-json", add_prefix_space=True), d)
    hf_case("hf llama2 tokenizer.json", d, 32000, {
        "tokenizer.ggml.scores": "the converter writes -1000 for every piece (no merge order); ours are minus the "
                                 "merge rank, so llama.cpp's SentencePiece merges in tokenizer.json's order"},
            prompt="Once upon a time", llama_cpp_too=True, same_text=False)

    # Metaspace (prepend_scheme "first"): no "▁" before text that starts with a space, which
    # no GGUF key can say: written, with a warning naming the difference
    d = hf_model("llama2-metaspace", dict(small, vocab_size=32000), 9)
    copy_tokenizer(hf.convert_llama2("tok-llama2-metaspace", legacy=False, add_prefix_space=True), d)
    out, err = ours(d, "hf llama2 metaspace")
    check(out and "Metaspace" in err and "starts with a space" in err, f"metaspace: no warning: {err[-400:]}")
    if out:
        compare_tokens("hf llama2 metaspace", os.path.join(d, "tokenizer.json"), out,
                       [t for t in hf.CORPUS if t and not t[0].isspace()])

    # tiktoken rank file (Llama 3's tokenizer.model format): llama.cpp's converter reads
    # only tokenizer.json, so (a) and llama.cpp running our file
    d, n = tiktoken_dir("tiktoken", dict(small, vocab_size=50256 + 256), 5)
    hf_case("hf tiktoken", d, n, {}, llama_cpp_too=False)

    # a Meta PyTorch checkpoint (params.json + consolidated.00.pth) with the SmolLM2 tokenizer
    cfg = pt.tiny(vocab_size=49152)
    d, _ = pt.save_case("torch-meta", cfg, torch.float32, "meta", {}, 6)
    tok_dir = os.path.join(WORK, "smollm")
    out, _ = ours(d, "torch meta", os.path.join(tok_dir, "tokenizer.json"))
    if out:
        compare_logits("torch meta", d, out, 49152, os.path.join(tok_dir, "tokenizer.json"))
        compare_tokens("torch meta", os.path.join(tok_dir, "tokenizer.json"), out)
        compare_llama_cpp("torch meta", out)

    # llama2.c: stories260K and a 512-token tokenizer.bin
    tb = os.path.join(WORK, "tok512.bin")
    tok512(tb)
    src = os.path.join(DATA, "models", "stories260K.bin")
    out, _ = ours(src, "llama2.c", tb)
    if out:
        compare_logits("llama2.c", src, out, 512, tb)
        compare_tokens("llama2.c", tb, out, ["Once upon a time", "Hello world", " leading", "a  b", "\n"])
        compare_llama_cpp("llama2.c", out, prompt="Once upon a time")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
