"""Renders every template in tests/chat_templates/ with Hugging Face transformers'
apply_chat_template (the reference) and with `llama-fast template`, for a set of
conversations, with and without the generation prompt, and compares the bytes. Where
transformers raises (Gemma given a system message, ...), llama-fast must fail cleanly:
a non-zero exit that is not a crash, and a message on stderr. Also checks the GGUF's own
template with the GGUF's BOS/EOS texts. Prints "N passed, M failed".

    python3 tests/check_chat_templates.py BUILD/llama-fast MODEL.gguf
"""

import json
import os
import subprocess
import sys
import tempfile

import gguf
from tokenizers import Tokenizer, models
from transformers import PreTrainedTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE_DIR = os.path.join(HERE, "chat_templates")

# BOS/EOS texts of each template's model family, as its tokenizer_config.json sets them.
LLAMA2 = ("<s>", "</s>")
LLAMA3 = ("<|begin_of_text|>", "<|eot_id|>")
FAMILY_TOKENS = {
    "llama-2-chat": LLAMA2,
    "mistral-7b-instruct-v0.2": LLAMA2,
    "mixtral-8x7b-instruct-v0.1": LLAMA2,
    "mistral-nemo-instruct-2407": LLAMA2,
    "llama-3-8b-instruct": LLAMA3,
    "llama-3.1-8b-instruct": LLAMA3,
    "llama-3.2-3b-instruct": LLAMA3,
    "hermes-3-llama-3.1-default": ("<|begin_of_text|>", "<|im_end|>"),
    "hermes-3-llama-3.1-tool_use": ("<|begin_of_text|>", "<|im_end|>"),
    "deepseek-r1-distill-llama-8b": ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"),
    "qwen2.5-7b-instruct": ("<|endoftext|>", "<|im_end|>"),
    "smollm2-135m-instruct": ("<|im_start|>", "<|im_end|>"),
    "gemma-7b-it": ("<bos>", "<eos>"),
    "gemma-2-2b-it": ("<bos>", "<eos>"),
    "phi-3.5-mini-instruct": ("<s>", "<|endoftext|>"),
}

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
CONVERSATIONS = {
    "system+user": [SYSTEM, {"role": "user", "content": "What is the capital of France?"}],
    "multi-turn": [
        {"role": "user", "content": "Hello!"},
        {"role": "assistant", "content": "Hi! How can I help you today?"},
        {"role": "user", "content": "Tell me a joke."},
    ],
    "system+multi-turn": [
        SYSTEM,
        {"role": "user", "content": "Hello!"},
        {"role": "assistant", "content": "Hi there."},
        {"role": "user", "content": "Bye."},
    ],
    "unicode": [
        {"role": "user", "content": "Héllo wörld 😀 — 你好，世界！ こんにちは 🇫🇷"},
        {"role": "assistant", "content": "Привет! 👋🏽 ½ ∑ café"},
        {"role": "user", "content": "再见 🐍"},
    ],
    "whitespace": [
        {"role": "user", "content": "  leading and trailing spaces  "},
        {"role": "assistant", "content": "\n\nnewlines around\n\n"},
        {"role": "user", "content": "\ttab\r\nand CRLF\n"},
    ],
    "single user": [{"role": "user", "content": "Hi"}],
    "ends with assistant": [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
    ],
}


# Function calling: OpenAI's tools array, an assistant turn that calls one, and the
# tool's answer. transformers hands both to the template as they are; the calls'
# arguments are objects, as chat templates are written for (tojson on them).
TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "The weather in a city, now.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "City name"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "add", "description": "Adds two integers.",
        "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                       "required": ["a", "b"]}}},
]
TOOL_CALL = {"id": "call_9f3Ab2", "type": "function",
             "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}
TOOL_CONVERSATIONS = {
    "tools, question": [SYSTEM, {"role": "user", "content": "What is the weather in Paris?"}],
    "tools, call and result": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
        {"role": "tool", "tool_call_id": "call_9f3Ab2", "name": "get_weather",
         "content": "{\"temperature\": 21, \"sky\": \"clear\"}"},
    ],
}


def with_string_arguments(messages):
    """The same conversation as OpenAI clients send it: arguments as JSON text."""
    out = []
    for m in messages:
        m = dict(m)
        if "tool_calls" in m:
            m["tool_calls"] = [dict(c, function=dict(c["function"], arguments=json.dumps(c["function"]["arguments"])))
                               for c in m["tool_calls"]]
        out.append(m)
    return out


# Under the sanitizers (LF_SANITIZED=1) each run is several times slower: a subset of the
# conversations still covers system prompts, multi-turn, unicode and whitespace.
if os.environ.get("LF_SANITIZED") == "1":
    CONVERSATIONS = {k: CONVERSATIONS[k] for k in ("system+multi-turn", "unicode", "whitespace")}


def make_tokenizer(bos, eos):
    """A tokenizer object that only carries the family's special-token texts."""
    vocab = {"<unk>": 0, bos: 1, eos: 2}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos)


def reference(tokenizer, template, messages, add_generation_prompt, tools=None):
    """(text, None) from transformers, or (None, error) when the template raises."""
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, chat_template=template, tools=tools,
                                             add_generation_prompt=add_generation_prompt), None
    except Exception as e:  # the template raised, or jinja2 refused it
        return None, "%s: %s" % (type(e).__name__, e)


def run_llama_fast(binary, model, messages, add_generation_prompt, extra_args, tools=None):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump({"messages": messages, "tools": tools} if tools else messages, f, ensure_ascii=False)
        path = f.name
    try:
        args = [binary, "template", model, "--messages", path] + extra_args
        if add_generation_prompt:
            args.append("--add-generation-prompt")
        return subprocess.run(args, capture_output=True, timeout=120)
    finally:
        os.unlink(path)


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: " + what, file=sys.stderr)


def compare(results, name, expected, error, proc):
    if error is None:
        ok = proc.returncode == 0 and proc.stdout == expected.encode("utf-8")
        results.check(ok, "%s: exit %d\n  expected %r\n  got      %r\n  stderr %s" % (
            name, proc.returncode, expected, proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace").strip()))
    else:
        # A clean failure: an exit status (not a signal), a message, no output.
        ok = 0 < proc.returncode < 128 and proc.stderr.strip() != b"" and proc.stdout == b""
        results.check(ok, "%s: transformers raised (%s) but llama-fast exited %d, stdout %r, stderr %r" % (
            name, error, proc.returncode, proc.stdout[:200], proc.stderr[:200]))


def check_tools(results, binary, model, name, template, path, tokenizer, bos, eos):
    """A template that reads tools renders them as transformers does, with the calls'
    arguments as objects or as JSON text; one that never mentions them is told of them in
    a system text (a difference from transformers, which drops them)."""
    args = ["--template", path, "--bos", bos, "--eos", eos]
    for conv_name, messages in TOOL_CONVERSATIONS.items():
        proc = run_llama_fast(binary, model, with_string_arguments(messages), True, args, TOOLS)
        what = "%s / %s" % (name, conv_name)
        if "tools" in template:
            expected, error = reference(tokenizer, template, messages, True, TOOLS)
            compare(results, what, expected, error, proc)
            continue
        text = proc.stdout.decode("utf-8", "replace")
        ok = proc.returncode == 0 and "<tools>" in text and '"name":"add"' in text
        if ok and "tool_calls" in conv_name:
            ok = '<tool_call>\n{"name":"get_weather","arguments":{"city":"Paris","unit":"celsius"}}' in text
            ok = ok and "<tool_response>\n{\"temperature\": 21" in text
        results.check(ok or (proc.returncode != 0 and proc.stderr.strip() != b""),
                      "%s: tools not in the prompt: exit %d %r %r" % (what, proc.returncode, text[-400:], proc.stderr[:300]))


def gguf_template_and_tokens(model):
    reader = gguf.GGUFReader(model)

    def field(key):
        f = reader.fields[key]
        return f.parts[f.data[0]]

    tokens = reader.fields["tokenizer.ggml.tokens"]
    token = lambda i: bytes(tokens.parts[tokens.data[i]]).decode("utf-8")
    template = bytes(field("tokenizer.chat_template")).decode("utf-8")
    return template, token(int(field("tokenizer.ggml.bos_token_id")[0])), token(
        int(field("tokenizer.ggml.eos_token_id")[0]))


def main():
    binary, model = sys.argv[1], sys.argv[2]
    results = Results()
    names = sorted(f[:-len(".jinja")] for f in os.listdir(TEMPLATE_DIR) if f.endswith(".jinja"))
    results.check(set(names) == set(FAMILY_TOKENS), "templates without BOS/EOS texts: %s" % (
        set(names) ^ set(FAMILY_TOKENS)))
    raised = 0
    for name in names:
        if name not in FAMILY_TOKENS:
            continue
        path = os.path.join(TEMPLATE_DIR, name + ".jinja")
        with open(path, encoding="utf-8", newline="") as f:
            template = f.read()
        bos, eos = FAMILY_TOKENS[name]
        tokenizer = make_tokenizer(bos, eos)
        for conv_name, messages in CONVERSATIONS.items():
            for agp in (False, True):
                expected, error = reference(tokenizer, template, messages, agp)
                raised += error is not None
                proc = run_llama_fast(binary, model, messages, agp,
                                      ["--template", path, "--bos", bos, "--eos", eos])
                compare(results, "%s / %s / generation prompt %s" % (name, conv_name, agp),
                        expected, error, proc)
        check_tools(results, binary, model, name, template, path, tokenizer, bos, eos)
    # The Gemma templates refuse a system message: that path must have been exercised.
    results.check(raised > 0, "no template raised: the error path was not tested")

    # The GGUF's own template, BOS and EOS, as llama-fast reads them from the model file.
    template, bos, eos = gguf_template_and_tokens(model)
    tokenizer = make_tokenizer(bos, eos)
    for conv_name, messages in CONVERSATIONS.items():
        for agp in (False, True):
            expected, error = reference(tokenizer, template, messages, agp)
            proc = run_llama_fast(binary, model, messages, agp, [])
            compare(results, "GGUF template / %s / generation prompt %s" % (conv_name, agp),
                    expected, error, proc)

    print("%d passed, %d failed" % (results.passed, results.failed))
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
