#!/usr/bin/env python3
"""Compares our SentencePiece tokenizer (tokenizer.model and llama2.c tokenizer.bin)
with the sentencepiece library on a hand-written list plus seeded random strings.
Expected ids come from sentencepiece itself, never from our code.

Usage: tests/check_tokenizer_spm.py   (env: BUILD=build, LF_TEST_DATA=../shared/data)
Prints "N passed, M failed"; exits non-zero on any failure."""
import os
import random
import subprocess
import sys
import tempfile

import sentencepiece

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", "build")
DATA = os.environ.get("LF_TEST_DATA", os.path.join(ROOT, "..", "shared", "data"))
TOOL = os.path.join(ROOT, BUILD, "tools", "tokenize_cases")
SEPARATOR = "\n__ggml_vocab_test__\n"

HAND_WRITTEN = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", "\t\n", " \n ", "a", "Hello world",
    " Hello world", "Hello  world", "Hello world ", "  leading spaces", "trailing spaces   ",
    "Hello, world! How are you?", "I'm sure it's the user's cat; they'd said so.",
    "1234567890", "3.14159 + 2.71828 = 5.85987", "1,000,000 and 1 000 000",
    "naïve café résumé jalapeño Ångström", "Über straße größer", "Zürich, São Paulo, Kraków",
    "你好，世界", "日本語のテキストです。", "한국어 텍스트", "Привет, мир!", "Γειά σου Κόσμε",
    "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก",
    "🦙 llamas 🦙🦙", "👨‍👩‍👧‍👦 family", "🇫🇷🇩🇪 flags", "emoji at end 😀", "😀",
    "def f(x):\n    return x * 2\n", "int main(void) { return 0; }",
    "for (i = 0; i < n; i++) {\n\tsum += a[i];\n}", "<html><body>Hi</body></html>",
    "https://example.com/path?q=1&r=2#frag", "user@example.com",
    "<s> not special </s>", "<0x41> looks like a byte token", "<unk>", "▁ already marked",
    "tabs\tbetween\twords", "line1\nline2\r\nline3\rline4", "\u00a0non-breaking\u00a0space",
    "zero\u200bwidth", "ｆｕｌｌｗｉｄｔｈ", "combining e\u0301 accent", "\u2047 question",
    "a" * 100, "ab" * 50, " " * 17 + "x", "x" + "\n" * 9, "...!!!???", "--==++__",
    "CAPITALS AND lowercase And MiXeD", "The quick brown fox jumps over the lazy dog.",
    "Ḽơᶉëᶆ ȋṕšᶙṁ ḍỡḽǭᵳ ʂǐť ӓṁệẗ", "\U0001F600\U0001F601\U0001F602\U0001F923",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math 𝕏", "control\x01chars\x7f", "quote \"double\" 'single'",
]

POOLS = [
    "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789",
    " ", "   ", "\t", "\n", ".,;:!?'\"()[]{}<>/\\|@#$%^&*-_=+~`",
    "áéíóúàèìòùâêîôûäëïöüçñßøåæœ", "你好世界中文字符测试数据", "日本語ひらがなカタカナ",
    "한국어테스트", "абвгдежзийклмнопрстуфхцчшщъыьэюя", "αβγδεζηθικλμνξοπρστυφχψω",
    "😀😂🦙🚀🎉❤️👍🏽", "∑∫√∞≈≠≤≥", "▁",
]
WORDS = ["the", "tokenizer", " of", " llama", "hello", "world", "def", "return", "🦙",
         "über", "数据", "  ", "\n", "123", "x=1;", "it's", "don't"]


def random_strings(n, seed=20240611):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        parts = []
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.5:
                parts.append(rng.choice(WORDS))
            else:
                pool = rng.choice(POOLS)
                parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 6))))
        out.append("".join(parts))
    return out


def run_tool(tokenizer, cases, bos):
    with tempfile.NamedTemporaryFile("wb", suffix=".inp", delete=False) as f:
        f.write("".join(c + SEPARATOR for c in cases).encode("utf-8"))
        name = f.name
    try:
        args = [TOOL, tokenizer, name] + (["--bos"] if bos else [])
        res = subprocess.run(args, capture_output=True, check=False)
    finally:
        os.unlink(name)
    if res.returncode != 0:
        raise RuntimeError(f"{args} failed: {res.stderr.decode(errors='replace')}")
    lines = res.stdout.decode().split("\n")[: len(cases)]
    return [[int(x) for x in line.split()] for line in lines]


def main():
    model = os.path.join(DATA, "tokenizers", "llama2", "tokenizer.model")
    binary = os.path.join(DATA, "tokenizers", "llama2", "tokenizer.bin")
    sp = sentencepiece.SentencePieceProcessor(model_file=model)
    cases = HAND_WRITTEN + random_strings(240)
    assert all(SEPARATOR not in c for c in cases)
    expected = [sp.encode(c) for c in cases]
    passed = failed = 0
    for path in (model, binary):
        for bos in (False, True):
            got = run_tool(path, cases, bos)
            for case, exp, ids in zip(cases, expected, got):
                want = ([sp.bos_id()] if bos else []) + exp
                if ids == want:
                    passed += 1
                else:
                    failed += 1
                    print(f"FAIL {os.path.basename(path)} bos={bos} {case!r}:\n"
                          f"  got  {ids}\n  want {want}", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
