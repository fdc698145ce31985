"""tiktoken rank files (the format of Llama 3's tokenizer.model) read by llama-fast give
the ids of the tiktoken library itself.

No Llama 3 tokenizer is at hand, so the test makes a rank file of the same kind from a
real byte-level vocabulary: GPT-2's (../shared/data/vocab/ggml-vocab-gpt-2.gguf), whose
token ids are its merge order — the rank of every token. tiktoken builds an Encoding from
those ranks with Llama 3's pre-tokenizer regex and Meta's special tokens; llama-fast loads
the same file from disk. Both tokenize a varied corpus (the ggml vocab test strings of
three vocabularies, code, numbers, whitespace runs, contractions, non-Latin scripts,
emoji, special tokens); the ids must be equal. Broken rank files are refused by name.

usage: check_tiktoken.py BUILD_DIR DATA_DIR WORK_DIR      Prints "N passed, M failed".
"""
import base64
import os
import subprocess
import sys

import tiktoken
from gguf import GGUFReader

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

BUILD, DATA, WORK = sys.argv[1:4]
BIN = os.path.join(BUILD, "llama-fast")
TOKENIZE_CASES = os.path.join(BUILD, "tools", "tokenize_cases")

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                  r"\s*[\r\n]+|\s+(?!\S)|\s+")
NAMED_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                  "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
                  "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]



def gpt2_byte_decoder():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def gpt2_ranks():
    r = GGUFReader(os.path.join(DATA, "vocab", "ggml-vocab-gpt-2.gguf"))
    f = r.fields["tokenizer.ggml.tokens"]
    tokens = [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    dec = gpt2_byte_decoder()
    ranks = {}
    for rank, tok in enumerate(tokens):
        if tok.startswith("<|") and tok.endswith("|>"):
            continue  # <|endoftext|>, GPT-2's own special token: not a mergeable rank
        ranks[bytes(dec[c] for c in tok)] = rank
    return ranks


def corpus():
    texts = []
    for name in ("gpt-2", "llama-spm", "phi-3"):
        with open(os.path.join(DATA, "vocab", f"ggml-vocab-{name}.gguf.inp"), encoding="utf-8") as f:
            texts += [t for t in f.read().split("\n__ggml_vocab_test__\n") if t]
    texts += [
        "def f(x):\n    return x**2  # square\n\n\tprint(f(12345678))",
        "I'm sure you'll see they've said it's THEIR's, we'd've known",
        "3.14159 26535 897932384 1,000,000 12:30 2024-01-01",
        "   leading and trailing   \n\n\n  \t \r\n spaces  ",
        "Привет, мир! Γειά σου Κόσμε. 你好，世界。こんにちは世界 안녕하세요",
        "emoji 🦙🔥👍🏽 and symbols ©®™ ±×÷ ∑∫√",
        "mixed\u00a0no-break\u2003em space\u200bzero width",
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>",
    ]
    return texts


def main():
    os.makedirs(WORK, exist_ok=True)
    ranks = gpt2_ranks()
    n = len(ranks)
    specials = {s: n + i for i, s in enumerate(NAMED_SPECIALS)}
    specials.update({f"<|reserved_special_token_{i - len(NAMED_SPECIALS) + 3}|>": n + i
                     for i in range(len(NAMED_SPECIALS), 256)})
    enc = tiktoken.Encoding("gpt2-ranks-llama3-pattern", pat_str=LLAMA3_PATTERN, mergeable_ranks=ranks,
                            special_tokens=specials)
    path = os.path.join(WORK, "tokenizer.model")
    with open(path, "wb") as f:
        for tok, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
            f.write(base64.b64encode(tok) + b" %d\n" % rank)
    texts = corpus()

    # the whole corpus without special-token parsing, in one process
    cases = os.path.join(WORK, "cases.txt")
    with open(cases, "w", encoding="utf-8", newline="") as f:
        for t in texts:
            f.write(t + "\n__ggml_vocab_test__\n")
    r = subprocess.run([TOKENIZE_CASES, path, cases], capture_output=True, timeout=120)
    check(r.returncode == 0, f"tokenize_cases failed: {r.stderr.decode(errors='replace')}")
    ours = [[int(x) for x in line.split()] for line in r.stdout.decode().split("\n")[:len(texts)]]
    for t, got in zip(texts, ours):
        want = enc.encode(t, disallowed_special=())
        check(got == want, f"{t[:40]!r}: {got[:12]} != tiktoken {want[:12]}")
    # special tokens in the text, BOS first, through the program
    text = texts[-1]
    r = subprocess.run([BIN, "tokenize", path, "--parse-special", "--text", text], capture_output=True, timeout=60)
    got = [int(x) for x in r.stdout.split()] if r.returncode == 0 else r.stderr.decode(errors="replace")
    want = [specials["<|begin_of_text|>"]] + enc.encode(text, allowed_special="all")
    check(got == want, f"special tokens: {got} != {want}")
    # broken rank files, refused as rank files: a byte without a rank would vanish from the text
    def ranks_file(toks):
        return b"".join(base64.b64encode(t) + b" %d\n" % i for i, t in enumerate(toks))
    all_bytes = [bytes([b]) for b in range(256)]
    for label, content, want in [("duplicate rank", b"IQ== 0\nIg== 0\n", "new rank"),
                                 ("bad base64", b"IQ 0\n", "bad base64"),
                                 ("rank out of range", b"IQ== 0\nIg== 7\n", "new rank"),
                                 ("bad first line", b"IQ== x\n", "line 1 is not"),
                                 ("one line", b"IQ== 0\n", "byte 0x00 has no rank"),
                                 ("one line, no newline", b"IQ== 0", "byte 0x00 has no rank"),
                                 ("byte 0x05 missing", ranks_file(all_bytes[:5] + all_bytes[6:] + [b"he"]),
                                  "byte 0x05 has no rank"),
                                 ("byte 0x01 missing", ranks_file([all_bytes[0]] + all_bytes[2:]), "byte 0x01 has no rank"),
                                 ("duplicate bytes", ranks_file(all_bytes + [b"he", b"A"]),
                                  "ranks 65 and 257 are the same bytes")]:
        bad = os.path.join(WORK, "bad.model")
        open(bad, "wb").write(content)
        r = subprocess.run([BIN, "tokenize", bad, "--text", "x"], capture_output=True, timeout=60)
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 1 and f"{bad}: tiktoken rank file: " in err and want in err and "Sanitizer" not in err,
              f"{label}: {r.returncode} {err!r}")
    # all 256 bytes and nothing else is a (byte-level) rank file
    good = os.path.join(WORK, "bytes.model")
    open(good, "wb").write(ranks_file(all_bytes))
    r = subprocess.run([BIN, "tokenize", good, "--text", "\x01\x05a"], capture_output=True, timeout=60)
    check(r.returncode == 0 and r.stdout.split() == [b"256", b"1", b"5", b"97"], f"bytes only: {r.stdout!r} {r.stderr!r}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
