"""Hugging Face model directories written by the real libraries, loaded by llama-fast:

- transformers' save_pretrained of tiny random LlamaForCausalLM / MistralForCausalLM
  (GQA, explicit head_dim, tied and untied embeddings, llama3 and linear rope_scaling,
  single file and sharded, F32, F16 and BF16): llama-fast's logits (tools/logits_tool)
  against transformers' on the same tokens, cosine >= 0.9999 and the same argmax at
  every position;
- tokenizer.json files: byte-level BPE trained here with `tokenizers` (GPT-2, Llama 3
  and SmolLM2 pre-tokenizers, merges as pairs and as "a b" strings) and transformers'
  conversions of the shared Llama 2 tokenizer.model (SentencePiece-style: normalizer
  with and without the prefix, Metaspace): `llama-fast tokenize` gives the library's ids
  on a varied corpus, special tokens and BOS included; the chat template of
  tokenizer_config.json renders as transformers renders it;
- broken directories (truncated or corrupt safetensors, bad config.json, unsupported
  architecture, RoPE scaling, dtype or tokenizer, missing tensors): a clear error
  naming the problem, exit status 1, never a crash.

usage: check_hf_loader.py BUILD_DIR DATA_DIR WORK_DIR   (run with the torch venv's python)
Prints "N passed, M failed".
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (LlamaConfig, LlamaForCausalLM, LlamaTokenizerFast, MistralConfig,
                          MistralForCausalLM)
from transformers.utils import logging as hf_logging

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()

BUILD, DATA, WORK = sys.argv[1:4]
BIN = os.path.join(BUILD, "llama-fast")
LOGITS_TOOL = os.path.join(BUILD, "tools", "logits_tool")
TOKENIZE_CASES = os.path.join(BUILD, "tools", "tokenize_cases")
SANITIZED = os.environ.get("LF_SANITIZED") == "1"
TIMEOUT = 600 if SANITIZED else 120



def run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=TIMEOUT, **kw)


# ------------------------------------------------------------------ models and logits
def tiny_llama(**kw):
    base = dict(hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, vocab_size=320, max_position_embeddings=256, rms_norm_eps=1e-5)
    base.update(kw)
    return base


MODELS = [  # name, class, config, dtype, max_shard_size
    ("llama-gqa-f32", "llama", tiny_llama(), torch.float32, None),
    ("llama-tied-llama3-sharded", "llama",
     tiny_llama(tie_word_embeddings=True, rope_theta=500000.0,
                rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                              "high_freq_factor": 4.0, "original_max_position_embeddings": 32}),
     torch.float32, "40KB"),
    ("llama-headdim-linear", "llama",
     tiny_llama(head_dim=32, num_key_value_heads=1, rope_scaling={"type": "linear", "factor": 2.0}),
     torch.float32, None),
    ("llama-f16", "llama", tiny_llama(), torch.float16, None),
    ("llama-bf16-sharded", "llama", tiny_llama(num_key_value_heads=4), torch.bfloat16, "40KB"),
    ("mistral-gqa", "mistral", dict(tiny_llama(), sliding_window=4096), torch.float32, None),
]


def save_model(name, cls, cfg, dtype, shard, seed):
    torch.manual_seed(seed)
    config = (LlamaConfig if cls == "llama" else MistralConfig)(**cfg)
    model = (LlamaForCausalLM if cls == "llama" else MistralForCausalLM)(config).eval()
    with torch.no_grad():  # norms away from 1 so a wrong norm weight would show
        for n, p in model.named_parameters():
            if n.endswith("norm.weight"):
                p.copy_(1 + 0.5 * torch.randn_like(p))
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    kw = {"max_shard_size": shard} if shard else {}
    model.to(dtype).save_pretrained(d, safe_serialization=True, **kw)
    # The reference runs in fp32 on exactly the weights that were saved.
    ref = (LlamaForCausalLM if cls == "llama" else MistralForCausalLM).from_pretrained(
        d, torch_dtype=torch.float32).eval()
    return d, ref


def our_logits(model_dir, tokens, vocab):
    r = run([LOGITS_TOOL, model_dir, ",".join(map(str, tokens)), "2"])
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace")
    return np.frombuffer(r.stdout, dtype=np.float32).reshape(len(tokens), vocab), ""


def compare_logits(label, ours, ref):
    worst = 1.0
    same_argmax = 0
    for i in range(len(ref)):
        a, b = ours[i].astype(np.float64), ref[i].astype(np.float64)
        worst = min(worst, float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))))
        same_argmax += int(np.argmax(a) == np.argmax(b))
    check(worst >= 0.9999, f"{label}: worst cosine {worst:.7f} < 0.9999")
    check(same_argmax == len(ref), f"{label}: argmax differs at {len(ref) - same_argmax} of {len(ref)} positions")
    print(f"  {label}: worst cosine {worst:.8f}, max |diff| {np.abs(ours - ref).max():.2e}")


def check_models():
    rng = np.random.default_rng(7)
    dirs = {}
    for seed, (name, cls, cfg, dtype, shard) in enumerate(MODELS):
        d, ref_model = save_model(name, cls, cfg, dtype, shard, seed)
        dirs[name] = d
        files = sorted(os.listdir(d))
        if shard:
            check("model.safetensors.index.json" in files and sum(f.endswith(".safetensors") for f in files) > 1,
                  f"{name}: transformers did not shard ({files})")
        tokens = [int(t) for t in rng.integers(0, cfg["vocab_size"], size=24)]
        with torch.no_grad():
            ref = ref_model(torch.tensor([tokens])).logits[0].float().numpy()
        ours, err = our_logits(d, tokens, cfg["vocab_size"])
        check(ours is not None, f"{name}: logits_tool failed: {err}")
        if ours is not None:
            compare_logits(name, ours, ref)
    # The config.json path works as well as the directory.
    tokens = [3, 1, 4, 1, 5, 9, 2, 6]
    a, _ = our_logits(dirs["llama-gqa-f32"], tokens, 320)
    b, err = our_logits(os.path.join(dirs["llama-gqa-f32"], "config.json"), tokens, 320)
    check(a is not None and b is not None and np.array_equal(a, b), f"config.json path: {err}")
    return dirs


def info(path):
    r = run([BIN, "info", path])
    return r.returncode, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")


def check_info(dirs):
    rc, out = info(dirs["llama-tied-llama3-sharded"])
    n_files = sum(f.endswith(".safetensors") for f in os.listdir(dirs["llama-tied-llama3-sharded"]))
    check(rc == 0 and f"safetensors, {n_files} files" in out, f"info sharded: {out[:600]}")
    check("llama3 frequency scaling" in out and "tied" in out, f"info llama3/tied: {out[:600]}")
    rc, out = info(dirs["llama-bf16-sharded"])
    check(rc == 0 and "BF16" in out and "torch_dtype bfloat16" in out, f"info bf16: {out[:600]}")
    rc, out = info(dirs["mistral-gqa"])
    check(rc == 0 and "mistral" in out and "4 query, 2 key/value" in out, f"info mistral: {out[:600]}")
    rc, out = info(dirs["llama-headdim-linear"])
    check(rc == 0 and "head dimension 32" in out, f"info head_dim: {out[:600]}")


# ------------------------------------------------------------------ tokenizers
CORPUS = [
    "Hello world", "Hello, World! How are you today?", " leading space", "trailing space  ", "",
    " ", "   ", "\n", "a  b   c    d", "tabs\tand\t\tmore\ttabs", "line one\nline two\n\nline four\r\nwindows\r\n",
    "I'm sure you'll see they've done it, don't worry. I'M SHOUTING, WE'LL SEE, it'S",
    "1234567890 3.14159 1,000,000 -42 +7 1e10 0x1F", "phone: 555-1234, year 2024, ٣٤٥ ⅷ",
    "punctuation!!! ...??? (parens) [brackets] {braces} <angle> @#$%^&*_+=|\\/~`",
    "quotes \"double\" 'single' «guillemets» „low“", "héllo wörld façade naïve café Ångström",
    "Ελληνικά кириллица עברית العربية", "日本語のテキストです。中文文本。한국어 텍스트",
    "emoji 🦙🔥👍🏽 family 👨‍👩‍👧 flags 🇫🇷", "math ∑∫√∞≠≤ and arrows →⇒", "mixed123abc456DEF",
    "snake_case camelCase kebab-case", "   indented code:\n    def f(x):\n        return x * 2\n",
    "<html><body class=\"x\">text</body></html>", "zero\u200bwidth and nbsp\u00a0here \u3000ideographic",
    "control\x01\x02chars\x7f", "The quick brown fox jumps over the lazy dog. " * 3,
]

TRAINING_TEXT = [
    "The quick brown fox jumps over the lazy dog. Hello world, hello there!",
    "Tokenizers split text into pieces; byte-level BPE merges frequent pairs of bytes.",
    "Numbers like 12345 and 3.14159 appear, as do dates such as 2024-01-01.",
    "I'm sure you'll find they've done it; don't worry, we'd know. It's fine.",
    "def f(x):\n    return x * 2\n\nfor i in range(10):\n    print(i)\n",
    "héllo wörld, façade, naïve café; 日本語のテキスト, 中文文本, 한국어.",
    "emoji 🦙🔥 and symbols ∑∫ → ⇒ « » \"quoted\" 'text' (parens) [brackets] {braces}",
] * 20

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                r"\s*[\r\n]+|\s+(?!\S)|\s+")


def train_byte_level(kind):
    specials = {"gpt2": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                "llama3": ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"],
                "smollm": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]}[kind]
    tok = Tokenizer(models.BPE(ignore_merges=(kind == "llama3")))
    if kind == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    elif kind == "llama3":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(TRAINING_TEXT + CORPUS, trainer=trainer)
    if kind == "llama3":
        bos = specials[0]
        tok.post_processor = processors.TemplateProcessing(single=f"{bos} $A", special_tokens=[(bos, tok.token_to_id(bos))])
    d = os.path.join(WORK, "tok-" + kind)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    tok.save(os.path.join(d, "tokenizer.json"))
    cfg = {"eos_token": specials[2] if kind != "llama3" else specials[2],
           "bos_token": specials[0] if kind == "llama3" else None}
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f)
    return d


def strings_merges(d):
    """The older serialization of the same tokenizer: merges as "a b" strings."""
    out = d + "-string-merges"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(d, out)
    j = json.load(open(os.path.join(d, "tokenizer.json"), encoding="utf-8"))
    j["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in j["model"]["merges"]]
    json.dump(j, open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8"), ensure_ascii=False)
    return out


def convert_llama2(name, **kw):
    tok = LlamaTokenizerFast(vocab_file=os.path.join(DATA, "tokenizers", "llama2", "tokenizer.model"),
                             from_slow=True, **kw)
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    tok.save_pretrained(d)
    os.remove(os.path.join(d, "tokenizer.model"))  # only tokenizer.json may be read
    return d


def our_ids_cases(d, texts):
    """tools/tokenize_cases: the corpus in one process, no BOS, no special-token parsing."""
    path = os.path.join(WORK, "cases.txt")
    with open(path, "w", encoding="utf-8", newline="") as f:
        for t in texts:
            f.write(t + "\n__ggml_vocab_test__\n")
    r = run([TOKENIZE_CASES, d, path])
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace")
    lines = r.stdout.decode().split("\n")[:len(texts)]
    return [[int(x) for x in line.split()] for line in lines], ""


def our_ids_cli(d, text, *flags):
    path = os.path.join(WORK, "text.txt")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    r = run([BIN, "tokenize", d, "--file", path, *flags])
    if r.returncode != 0:
        return "error: " + r.stderr.decode(errors="replace")
    return [int(x) for x in r.stdout.split()]


def check_tokenizer(label, d, special_texts):
    ref_tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    ours, err = our_ids_cases(d, CORPUS)
    check(ours is not None, f"{label}: tokenize_cases failed: {err}")
    if ours is None:
        return
    bad = [(t, o, ref_tok.encode(t, add_special_tokens=False).ids) for t, o in zip(CORPUS, ours)
           if o != ref_tok.encode(t, add_special_tokens=False).ids]
    for t, o, r in bad[:5]:
        print(f"  {label}: {t!r}: ours {o} != tokenizers {r}")
    check(not bad, f"{label}: {len(bad)} of {len(CORPUS)} corpus strings tokenize differently")
    for t in special_texts:  # special tokens in the text, as the library always parses them
        ref = ref_tok.encode(t, add_special_tokens=False).ids
        got = our_ids_cli(d, t, "--no-bos", "--parse-special")
        check(got == ref, f"{label}: {t!r} with special tokens: ours {got} != tokenizers {ref}")
    for t in ["Hello world", "x"]:  # BOS exactly when the post-processor adds one
        ref = ref_tok.encode(t).ids
        got = our_ids_cli(d, t)
        check(got == ref, f"{label}: {t!r} with the default BOS: ours {got} != tokenizers {ref}")


def check_tokenizers():
    dirs = {}
    for kind in ["gpt2", "llama3", "smollm"]:
        dirs[kind] = train_byte_level(kind)
    chatml = ["<|im_start|>user\nHi there!<|im_end|>\n<|im_start|>assistant\n", "end<|endoftext|>next",
              "<|im_end|><|im_end|>  <|im_start|>"]
    check_tokenizer("byte-level gpt2", dirs["gpt2"], chatml)
    check_tokenizer("byte-level gpt2, string merges", strings_merges(dirs["gpt2"]), chatml)
    check_tokenizer("byte-level llama3", dirs["llama3"],
                    ["<|begin_of_text|>Hello<|eot_id|>", "a<|end_of_text|> b\n<|eot_id|>\n\n"])
    check_tokenizer("byte-level smollm", dirs["smollm"], chatml)
    spm_specials = ["<s>Hello</s> there", "Hello<s>world", "[INST] hi [/INST]</s>", " <s> x</s>  y"]
    check_tokenizer("llama2 legacy with prefix", convert_llama2("tok-llama2-prefix", add_prefix_space=True),
                    spm_specials)
    check_tokenizer("llama2 legacy without prefix", convert_llama2("tok-llama2-noprefix"), spm_specials)
    check_tokenizer("llama2 metaspace first", convert_llama2("tok-llama2-metaspace-first", legacy=False,
                                                             add_prefix_space=True), spm_specials)
    check_tokenizer("llama2 metaspace never", convert_llama2("tok-llama2-metaspace-never", legacy=False), spm_specials)
    return dirs


def check_chat_model(tok_dirs):
    """A model directory with a tokenizer and a chat template: the template renders as
    transformers renders it, with the model's BOS/EOS."""
    d, _ = save_model("llama2-chat", "llama", tiny_llama(vocab_size=32000, hidden_size=32, num_hidden_layers=1,
                                                          intermediate_size=64), torch.float32, None, 11)
    tok = LlamaTokenizerFast(vocab_file=os.path.join(DATA, "tokenizers", "llama2", "tokenizer.model"),
                             from_slow=True, add_prefix_space=True)
    tok.chat_template = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}[INST] {{ m['content'] }} "
                         "[/INST]{% else %} {{ m['content'] }}{{ eos_token }}{% endif %}{% endfor %}")
    tok.save_pretrained(d)
    os.remove(os.path.join(d, "tokenizer.model"))
    msgs = [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "How are you?"}]
    mpath = os.path.join(WORK, "messages.json")
    json.dump(msgs, open(mpath, "w"))
    r = run([BIN, "template", d, "--messages", mpath])
    want = tok.apply_chat_template(msgs, tokenize=False)
    check(r.returncode == 0 and r.stdout.decode() == want,
          f"chat template: {r.stdout.decode()!r} {r.stderr.decode()[-300:]} != {want!r}")
    rc, out = info(d)
    check(rc == 0 and "32000 tokens, BOS 1, EOS 2" in out and "chat template:   " in out and "none" not in
          out.split("chat template:")[1][:12], f"info of a model with tokenizer: {out[:800]}")
    r = run([BIN, "generate", d, "--prompt", "Once upon a time", "--temperature", "0", "--max-new-tokens", "4",
             "--print-token-ids"])
    ids = r.stdout.decode().split()
    check(r.returncode == 0 and len(ids) == 4 and all(0 <= int(i) < 32000 for i in ids),
          f"generate on the directory: {r.returncode} {r.stdout[:200]} {r.stderr.decode()[-300:]}")


# ------------------------------------------------------------------ broken directories
def broken_copy(src, name):
    d = os.path.join(WORK, "broken-" + name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(src, d)
    return d


def expect_error(label, path, want, tool="logits"):
    if tool == "logits":
        r = run([LOGITS_TOOL, path, "1,2,3", "1"])
    else:
        r = run([BIN, "tokenize", path, "--text", "hello"])
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 1 and want in err and "Sanitizer" not in err and "runtime error" not in err,
          f"{label}: exit {r.returncode}, stderr {err[-400:]!r} lacks {want!r}")


def edit_json(path, fn):
    j = json.load(open(path, encoding="utf-8"))
    fn(j)
    json.dump(j, open(path, "w", encoding="utf-8"), ensure_ascii=False)


def check_errors(model_dirs, tok_dirs):
    good = model_dirs["llama-gqa-f32"]
    st = "model.safetensors"
    d = broken_copy(good, "truncated")
    data = open(os.path.join(d, st), "rb").read()
    open(os.path.join(d, st), "wb").write(data[:-100])
    expect_error("truncated safetensors", d, "truncated file")
    d = broken_copy(good, "header-cut")
    open(os.path.join(d, st), "wb").write(data[:200])
    expect_error("file cut inside the header", d, "does not fit")
    d = broken_copy(good, "header-garbage")
    open(os.path.join(d, st), "wb").write(data[:8] + b"{xxxxxxx" + data[16:])
    expect_error("corrupt header", d, "invalid JSON")
    d = broken_copy(good, "huge-length")
    open(os.path.join(d, st), "wb").write(b"\xff" * 8 + data[8:])
    expect_error("absurd header length", d, "does not fit")
    d = broken_copy(good, "not-json-config")
    open(os.path.join(d, "config.json"), "w").write("{\"hidden_size\": 64,")
    expect_error("config.json not JSON", d, "config.json: invalid JSON")
    for label, fn, want in [
        ("architecture", lambda j: j.update(architectures=["GPT2LMHeadModel"]), "'GPT2LMHeadModel' is not supported"),
        ("rope scaling", lambda j: j.update(rope_scaling={"rope_type": "yarn", "factor": 4.0}),
         "rope_scaling type 'yarn' is not supported"),
        ("llama3 without factor", lambda j: j.update(rope_scaling={"rope_type": "llama3"}), "\"factor\" is missing"),
        ("hidden size", lambda j: j.update(hidden_size=32), "config.json implies"),
        ("heads", lambda j: j.update(num_key_value_heads=3), "not a valid shape"),
        ("string size", lambda j: j.update(num_hidden_layers="2"), "\"num_hidden_layers\" is not an integer"),
        ("no vocab size", lambda j: j.pop("vocab_size"), "\"vocab_size\" is missing"),
        ("biases", lambda j: j.update(attention_bias=True), "attention_bias is not supported"),
        ("activation", lambda j: j.update(hidden_act="gelu"), "hidden_act 'gelu' is not supported")]:
        d = broken_copy(good, "config-" + label.replace(" ", "-"))
        edit_json(os.path.join(d, "config.json"), fn)
        expect_error("config " + label, d, want)
    d = broken_copy(good, "config-fewer-layers")  # runs, leaving the second layer's tensors unused
    edit_json(os.path.join(d, "config.json"), lambda j: j.update(num_hidden_layers=1))
    r = run([BIN, "info", d])
    check(r.returncode == 0 and "layers:          1" in r.stdout.decode(), f"fewer layers: {r.stdout[:300]}")
    tensors = load_file(os.path.join(good, st))
    for label, change, want in [
        ("missing tensor", lambda t: t.pop("model.layers.1.mlp.up_proj.weight"),
         "required tensor 'model.layers.1.mlp.up_proj.weight' is missing"),
        ("missing lm_head", lambda t: t.pop("lm_head.weight"), "required tensor 'lm_head.weight' is missing"),
        ("int8 tensor", lambda t: t.update({"model.layers.0.self_attn.q_proj.weight": torch.zeros(64, 64, dtype=torch.int8)}),
         "dtype I8"),
        ("transposed", lambda t: t.update({"model.layers.0.mlp.down_proj.weight": torch.zeros(160, 64)}),
         "'model.layers.0.mlp.down_proj.weight' has shape [160, 64], config.json implies [64, 160]")]:
        d = broken_copy(good, label.replace(" ", "-"))
        t = dict(tensors)
        change(t)
        save_file(t, os.path.join(d, st), metadata={"format": "pt"})
        expect_error(label, d, want)
    d = broken_copy(model_dirs["llama-tied-llama3-sharded"], "missing-shard")
    shard = sorted(f for f in os.listdir(d) if f.endswith(".safetensors"))[-1]
    os.remove(os.path.join(d, shard))
    expect_error("missing shard", d, shard)
    d = broken_copy(model_dirs["llama-tied-llama3-sharded"], "escaping-index")
    edit_json(os.path.join(d, "model.safetensors.index.json"),
              lambda j: j["weight_map"].update({"model.norm.weight": "../llama-gqa-f32/model.safetensors"}))
    expect_error("index naming another directory", d, "not a file name in the directory")
    # tokenizers
    tj = "tokenizer.json"
    for label, src, fn, want in [
        ("unigram", "gpt2", lambda j: j["model"].update(type="Unigram"), "tokenizer model type 'Unigram' is not supported"),
        ("wordpiece prefix", "gpt2", lambda j: j["model"].update(continuing_subword_prefix="##"),
         "continuing_subword_prefix is not supported"),
        ("unknown regex", "llama3",
         lambda j: j["pre_tokenizer"]["pretokenizers"][0]["pattern"].update(Regex="\\p{L}+|\\p{N}"),
         "pre_tokenizer regex '\\p{L}+|\\p{N}' is not supported"),
        ("prefix space", "gpt2", lambda j: j["pre_tokenizer"].update(add_prefix_space=True), "add_prefix_space"),
        ("normalizer", "gpt2", lambda j: j.update(normalizer={"type": "NFKC"}), "normalizer NFKC"),
        ("no space handling", "gpt2", lambda j: j.update(pre_tokenizer=None), "neither byte-level"),
        ("duplicate id", "gpt2", lambda j: j["model"]["vocab"].update({"zzz-new": 5}), "token id 5 is in the vocabulary twice"),
        ("negative id", "gpt2", lambda j: j["model"]["vocab"].update({"zzz-new": -1}), "no valid token id"),
        ("huge id", "gpt2", lambda j: j["model"]["vocab"].update({"zzz-new": 9000000}), "ids up to 9000000"),
        ("added token clash", "gpt2", lambda j: j["added_tokens"].append({"id": 5, "content": "<|x|>", "special": True}),
         "added token 5 '<|x|>'"),
        ("no vocab", "gpt2", lambda j: j["model"].pop("vocab"), "needs a \"vocab\" object")]:
        d = broken_copy(tok_dirs[src], "tok-" + label.replace(" ", "-"))
        edit_json(os.path.join(d, tj), fn)
        expect_error("tokenizer " + label, d, want, tool="tokenize")
    d = broken_copy(tok_dirs["gpt2"], "tok-truncated")
    data = open(os.path.join(d, tj), "rb").read()
    open(os.path.join(d, tj), "wb").write(data[: len(data) // 2])
    expect_error("truncated tokenizer.json", d, "tokenizer.json: invalid JSON", tool="tokenize")
    d = broken_copy(tok_dirs["gpt2"], "tok-bad-config")
    open(os.path.join(d, "tokenizer_config.json"), "w").write("{\"eos_token\": 5}")
    expect_error("eos_token not text", d, "\"eos_token\" is not a token text", tool="tokenize")


def main():
    os.makedirs(WORK, exist_ok=True)
    model_dirs = check_models()
    check_info(model_dirs)
    tok_dirs = check_tokenizers()
    check_chat_model(tok_dirs)
    check_errors(model_dirs, tok_dirs)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
