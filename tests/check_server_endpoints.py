#!/usr/bin/env python3
"""The server's embeddings, tokenize/detokenize, metrics/slots, request log and logprobs
endpoints, as the official `openai` client and raw HTTP see them. References: the numpy
forward pass of tests/ref/llama_ref.py (the model dequantized with the `gguf` package) for
embeddings (mean and last pooling) and log-probabilities, `llama-fast tokenize` for token
ids, plain text for detokenization. The servers run --precise-activations, whose results
are close to float arithmetic (bench/RESULTS.md).

usage: check_server_endpoints.py BIN MODEL
Prints "N passed, M failed". LF_SANITIZED=1 waits longer.
"""
import base64
import http.client
import json
import math
import os
import re
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import openai
from openai import OpenAI

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "ref"))
import llama_ref  # noqa: E402
from checks import check, finish  # noqa: E402
from server_process import start_server, stop_servers  # noqa: E402

BIN, MODEL = sys.argv[1:3]
SLOW = 8 if os.environ.get("LF_SANITIZED") == "1" else 1
KEY = "key-%d" % os.getpid()
N_SLOTS, N_CTX = 2, 512
servers = []


def start(*args):
    p, port, log = start_server([BIN, "server", MODEL, "--port", "0", "-t", "2", "--parallel", str(N_SLOTS),
                                 "--max-seq-len", str(N_CTX), "--precise-activations", *args], 60 * SLOW)
    servers.append(p)
    return f"http://127.0.0.1:{port}", log


def raw(url, method, path, body=None, key=KEY):
    """One request; returns (status, headers, body bytes). path is bytes or str."""
    host, port = url[len("http://"):].split(":")
    h = {"Authorization": f"Bearer {key}"} if key else {}
    if body is not None:
        body = json.dumps(body)
        h["Content-Type"] = "application/json"
    c = http.client.HTTPConnection(host, int(port), timeout=120 * SLOW)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def program(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120 * SLOW, check=True).stdout


def token_ids(text):
    return [int(x) for x in program("tokenize", MODEL, "--parse-special", "--text", text).split()]


def gpt2_vocab(path):
    """{token bytes: id} from the GGUF's byte-level BPE vocabulary (GPT-2's byte-to-unicode
    map undone), read with the `gguf` package."""
    import gguf
    f = gguf.GGUFReader(path).fields["tokenizer.ggml.tokens"]
    visible = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    to_byte = {chr(b): b for b in visible}
    extra = 0
    for b in range(256):
        if b not in visible:
            to_byte[chr(256 + extra)] = b
            extra += 1
    vocab = {}
    for i, part in enumerate(f.data):
        text = bytes(f.parts[part]).decode()
        if all(ch in to_byte for ch in text):
            vocab.setdefault(bytes(to_byte[ch] for ch in text), i)
    return vocab


def bad_request(call, what, field=None):
    """call() must raise the client's 400 error (naming field, when given)."""
    try:
        call()
    except openai.BadRequestError as e:
        msg = str(e)
        check(field is None or field in msg, f"{what}: the error names '{field}': {msg}")
        return
    except Exception as e:  # noqa: BLE001
        check(False, f"{what}: expected a 400, got {e!r}")
        return
    check(False, f"{what}: expected a 400, got a success")


def unit(v):
    v = np.asarray(v, np.float64)
    return v / np.linalg.norm(v)


def log_softmax(x):
    x = np.asarray(x, np.float64)
    m = x.max()
    return x - m - np.log(np.exp(x - m).sum())


# the numpy model loads (seconds) while the servers answer
loaded = {}
loader = threading.Thread(target=lambda: loaded.update(ref=llama_ref.load(MODEL)))
loader.start()
URL, LOG = start("--api-key", KEY)
URL_LAST, LOG_LAST = start("--pooling", "last")
try:
    client = OpenAI(base_url=URL + "/v1", api_key=KEY, timeout=300 * SLOW, max_retries=0)
    client_last = OpenAI(base_url=URL_LAST + "/v1", api_key="none", timeout=300 * SLOW, max_retries=0)

    # ---------------------------------------------------------------- embeddings
    text = "The quick brown fox jumps over the lazy dog."
    other = "Embeddings map text to vectors."
    ids, ids_other = token_ids(text), token_ids(other)
    # the client asks for base64 unless told otherwise, and decodes it
    r64 = client.embeddings.create(model="m", input=text)
    rf = client.embeddings.create(model="m", input=text, encoding_format="float")
    v64, vf = np.array(r64.data[0].embedding), np.array(rf.data[0].embedding)
    check(np.array_equal(v64, vf), f"base64 and float embeddings differ by {np.abs(v64 - vf).max()}")
    check(abs(np.linalg.norm(vf) - 1) < 1e-5, f"embedding norm {np.linalg.norm(vf)}")
    check(r64.usage.prompt_tokens == len(ids), f"usage.prompt_tokens {r64.usage.prompt_tokens} != {len(ids)}")
    # the raw base64 is little-endian float32
    st, _, body = raw(URL, "POST", "/v1/embeddings", {"input": text, "encoding_format": "base64"})
    b64 = json.loads(body)["data"][0]["embedding"]
    check(st == 200 and np.array_equal(np.frombuffer(base64.b64decode(b64), "<f4"), vf.astype(np.float32)),
          "raw base64 is the float32 values, little-endian")
    many = client.embeddings.create(model="m", input=[text, other], encoding_format="float")
    by_ids = client.embeddings.create(model="m", input=[ids, ids_other], encoding_format="float")
    one_ids = client.embeddings.create(model="m", input=ids, encoding_format="float")
    check([d.index for d in many.data] == [0, 1], "indices of a list of inputs")
    check(many.usage.prompt_tokens == len(ids) + len(ids_other), "usage counts every input")
    check(np.array_equal(many.data[0].embedding, vf) and np.array_equal(one_ids.data[0].embedding, vf)
          and np.array_equal(by_ids.data[1].embedding, many.data[1].embedding),
          "strings, token ids and lists of them give the same vectors")
    check(client.embeddings.create(model="m", input=text, dimensions=len(vf)).data, "dimensions = the model's")
    bad_request(lambda: client.embeddings.create(model="m", input=text, dimensions=64), "dimensions 64", "dimensions")
    bad_request(lambda: client.embeddings.create(model="m", input=text, extra_body={"pooling_typo": 1}),
                "unknown field", "pooling_typo")
    bad_request(lambda: client.embeddings.create(model="m", input=[[1, 10 ** 7]]), "token id out of range", "input")
    bad_request(lambda: client.embeddings.create(model="m", input=""), "empty input", "input")
    bad_request(lambda: client.embeddings.create(model="m", input=[1] * (N_CTX + 1)), "input longer than the context")
    st, _, _ = raw(URL, "POST", "/v1/embeddings", {"input": text, "encoding_format": "int8"})
    check(st == 400, f"encoding_format int8: {st}")

    # ---------------------------------------------------------- tokenize/detokenize
    special = "<|im_start|>user\nHi there<|im_end|>"
    st, _, body = raw(URL, "POST", "/tokenize", {"content": special})
    check(st == 200 and json.loads(body)["tokens"] == token_ids(special), f"/tokenize: {st} {body[:200]!r}")
    st, _, body = raw(URL, "POST", "/tokenize", {"content": text, "with_pieces": True})
    pieces = json.loads(body)["tokens"]
    check([p["id"] for p in pieces] == ids and "".join(p["piece"] for p in pieces) == text, "/tokenize pieces")
    st, _, body = raw(URL, "POST", "/detokenize", {"tokens": ids})
    check(st == 200 and json.loads(body)["content"] == text, f"/detokenize: {body[:200]!r}")
    for bad_body, what in (({"tokens": [10 ** 6]}, "id out of range"), ({"tokens": [-1]}, "negative id"),
                           ({"tokens": ["a"]}, "non-integer id"), ({"tokens": [1], "x": 1}, "unknown field"),
                           ({"content": 1}, "content not a string")):
        path = "/tokenize" if "content" in bad_body else "/detokenize"
        st, _, body = raw(URL, "POST", path, bad_body)
        check(st == 400, f"{path} {what}: {st} {body[:200]!r}")
    st, _, _ = raw(URL, "POST", "/tokenize", {"content": "x"}, key=None)
    check(st == 401, f"/tokenize needs the key: {st}")

    # ------------------------------------------------------------------- logprobs
    prompt = "The capital of France is"
    p_ids = token_ids(prompt)
    c = client.completions.create(model="m", prompt=prompt, max_tokens=4, temperature=0, logprobs=5, echo=True,
                                  extra_body={"cache_prompt": False})
    ch = c.choices[0]
    lp = ch.logprobs
    check(ch.text.startswith(prompt), f"echo starts with the prompt: {ch.text!r}")
    check(lp.token_logprobs[0] is None and lp.top_logprobs[0] is None, "the first prompt token has null logprobs")
    check("".join(lp.tokens) == ch.text, f"tokens join to the text: {lp.tokens}")
    check(lp.text_offset == [sum(len(t.encode()) for t in lp.tokens[:i]) for i in range(len(lp.tokens))],
          f"text_offset: {lp.text_offset}")
    n_gen = c.usage.completion_tokens
    check(len(lp.tokens) == len(p_ids) + n_gen, f"{len(lp.tokens)} entries for {len(p_ids)} + {n_gen} tokens")
    # the generated tokens' ids, from their bytes and the model file's vocabulary
    vocab = gpt2_vocab(MODEL)
    gen_ids = [vocab.get(t.encode(), -1) for t in lp.tokens[len(p_ids):]]
    check(-1 not in gen_ids, f"generated tokens are in the vocabulary: {lp.tokens[len(p_ids):]}")
    if -1 not in gen_ids:
        # one numpy forward pass is the reference of the logprobs and of the embeddings
        all_ids = p_ids + gen_ids
        loader.join()
        ref = loaded["ref"]
        states = llama_ref.hidden_states(ref, all_ids)
        logits = states @ ref["w"].get("output.weight", ref["w"]["token_embd.weight"]).T
        check(len(vf) == states.shape[1], f"embedding size {len(vf)} != hidden size {states.shape[1]}")
        mean_v = client.embeddings.create(model="m", input=all_ids, encoding_format="float").data[0].embedding
        last_v = client_last.embeddings.create(model="m", input=all_ids, encoding_format="float").data[0].embedding
        for label, got, want in (("mean", mean_v, unit(states.mean(axis=0))), ("last", last_v, unit(states[-1]))):
            got = np.asarray(got, np.float64)
            cos, diff = float(got @ want), float(np.abs(got - want).max())
            check(cos > 0.9999 and diff < 5e-3, f"{label} pooling vs numpy: cosine {cos:.6f}, max diff {diff:.2e}")
            print(f"embeddings {label}: cosine {cos:.7f}, max abs diff {diff:.2e}", flush=True)
        check(float(np.asarray(mean_v) @ np.asarray(last_v)) < 0.9999, "mean and last pooling differ")
        worst, extra = 0.0, False
        for i in range(1, len(all_ids)):
            want = log_softmax(logits[i - 1])
            got = lp.token_logprobs[i]
            worst = max(worst, abs(got - want[all_ids[i]]))
            top_want = np.sort(want)[::-1][:5]
            entries = lp.top_logprobs[i]
            top_got = sorted(entries.values(), reverse=True)[:5]
            check(len(top_got) == 5 and np.abs(np.array(top_got) - top_want).max() < 0.02,
                  f"position {i}: top logprobs {top_got} vs numpy {top_want}")
            # the chosen token is always there too: up to logprobs + 1 entries, as OpenAI's
            chosen = entries.get(lp.tokens[i])
            check(chosen is not None and chosen >= lp.token_logprobs[i] - 1e-6,
                  f"position {i}: the chosen token {lp.tokens[i]!r} is not in {entries}")
            check(len(entries) == 5 or (len(entries) == 6 and lp.token_logprobs[i] <= min(top_got) + 1e-6),
                  f"position {i}: {len(entries)} entries for logprobs=5 ({entries})")
            extra = extra or len(entries) == 6
        check(worst < 0.02, f"token logprobs vs numpy log-softmax: worst difference {worst:.4f}")
        check(extra, "an echoed prompt token outside the top 5 adds a sixth entry")
        print(f"completions logprobs: {len(all_ids) - 1} tokens, worst |diff| vs numpy {worst:.2e}", flush=True)
        for i in range(len(p_ids), len(all_ids)):
            check(lp.token_logprobs[i] >= max(lp.top_logprobs[i].values()) - 1e-6,
                  f"greedy token {i} is the most likely")

    q = [{"role": "user", "content": "Name three colors."}]
    r = client.chat.completions.create(model="m", messages=q, max_tokens=6, temperature=0, logprobs=True,
                                       top_logprobs=5, extra_body={"cache_prompt": False})
    content = r.choices[0].logprobs.content
    check(len(content) == r.usage.completion_tokens, f"{len(content)} entries for {r.usage.completion_tokens} tokens")
    check("".join(e.token for e in content) == r.choices[0].message.content, "chat tokens join to the answer")
    for e in content:
        tops = [t.logprob for t in e.top_logprobs]
        check(e.logprob <= 0 and all(t <= 0 for t in tops), f"logprobs <= 0: {e}")
        check(len(tops) == 5 and tops == sorted(tops, reverse=True), f"top_logprobs sorted: {tops}")
        check(sum(math.exp(t) for t in tops) <= 1 + 1e-6, f"top probabilities sum to at most 1: {tops}")
        check(e.top_logprobs[0].token == e.token and abs(e.top_logprobs[0].logprob - e.logprob) < 1e-6,
              f"at temperature 0 the token is the top entry: {e.token!r} vs {e.top_logprobs[0].token!r}")
        check(bytes(e.bytes) == e.token.encode(), f"bytes of {e.token!r}")
    stream = client.chat.completions.create(model="m", messages=q, max_tokens=6, temperature=0, logprobs=True,
                                            top_logprobs=5, stream=True, extra_body={"cache_prompt": False})
    streamed = [e for ev in stream for c_ in ev.choices if c_.logprobs and c_.logprobs.content
                for e in c_.logprobs.content]
    check([e.token for e in streamed] == [e.token for e in content] and
          max(abs(a.logprob - b.logprob) for a, b in zip(streamed, content)) < 1e-4,
          "streamed logprobs equal the whole answer's")
    plain = client.chat.completions.create(model="m", messages=q, max_tokens=2, temperature=0)
    check(plain.choices[0].logprobs is None, "no logprobs unless asked")
    bad_request(lambda: client.chat.completions.create(model="m", messages=q, logprobs=True, top_logprobs=21),
                "top_logprobs 21", "top_logprobs")
    bad_request(lambda: client.chat.completions.create(model="m", messages=q, top_logprobs=2),
                "top_logprobs without logprobs", "top_logprobs")
    bad_request(lambda: client.completions.create(model="m", prompt="Hi", logprobs=6), "logprobs 6", "logprobs")
    bad_request(lambda: client.chat.completions.create(model="m", messages=q, extra_body={"echo": True}),
                "echo on chat", "echo")

    # --------------------------------------------------------------- metrics, slots
    def metrics(url=URL, key=KEY):
        st, h, body = raw(url, "GET", "/metrics", key=key)
        values = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return st, h, body.decode(), values

    st, h, text_m, before = metrics()
    check(st == 200 and h.get("content-type", "").startswith("text/plain; version=0.0.4"), f"/metrics: {st} {h}")
    names = set()
    for line in text_m.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            check(re.fullmatch(r"llamafast_[a-z_]+(\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\})? [0-9.e+-]+", line),
                  f"exposition line: {line!r}")
            check(re.match(r"[a-z_]+", line).group(0) in names, f"a TYPE line precedes {line!r}")
    for n in ("requests_total", "prompt_tokens_total", "generated_tokens_total", "requests_processing", "queue_depth",
              "slots_busy", "slots_total", "last_tokens_per_second"):
        check(f"llamafast_{n}" in names and f"# HELP llamafast_{n} " in text_m, f"metric {n} with HELP and TYPE")
    check(before.get("llamafast_slots_total") == N_SLOTS, "slots_total")
    check(before.get("llamafast_last_tokens_per_second", 0) > 0, "tokens per second of the last generation")
    emb_key = 'llamafast_requests_total{endpoint="/v1/embeddings",status="200"}'
    e2 = client.embeddings.create(model="m", input=other)
    gen = client.completions.create(model="m", prompt="Once upon a time", max_tokens=3, temperature=0)
    _, _, _, after = metrics()
    check(after.get(emb_key, 0) == before.get(emb_key, 0) + 1, f"{emb_key}: {before.get(emb_key)} -> {after.get(emb_key)}")
    check(after["llamafast_prompt_tokens_total"] - before["llamafast_prompt_tokens_total"]
          == e2.usage.prompt_tokens + gen.usage.prompt_tokens, "prompt_tokens_total counts the requests'")
    check(after["llamafast_generated_tokens_total"] - before["llamafast_generated_tokens_total"]
          == gen.usage.completion_tokens, "generated_tokens_total counts the completion's")
    check(after.get('llamafast_requests_total{endpoint="/v1/embeddings",status="400"}', 0) >= 4, "400s counted")
    st, _, body = raw(URL, "GET", "/slots")
    slots = json.loads(body) if st == 200 else []
    check(len(slots) == N_SLOTS and all({"id", "busy", "n_ctx", "n_cached", "n_generated"} <= set(s) for s in slots),
          f"/slots: {body[:300]!r}")
    check(all(s["n_ctx"] == N_CTX and not s["busy"] for s in slots) and any(s["n_cached"] > 0 for s in slots),
          f"/slots after the requests: {slots}")
    for path in ("/metrics", "/slots"):
        check(raw(URL, "GET", path, key=None)[0] == 401, f"{path} needs the key when one is set")
        check(raw(URL_LAST, "GET", path, key=None)[0] == 200, f"{path} without a key set")

    # ---------------------------------------------------------------- request log
    host, port = URL[len("http://"):].split(":")
    s = socket.create_connection((host, int(port)), timeout=30 * SLOW)
    s.sendall(b"GET /no\xff\x7fpe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    answer = s.recv(100)
    s.close()
    check(answer.startswith(b"HTTP/1.1 400"), f"a path with raw control bytes is refused: {answer!r}")
    check(raw(URL, "GET", "/no%7Fpe?q=secret")[0] == 404, "unknown path")
    time.sleep(0.2)
    log = b"".join(LOG)
    check(b"/no\xff" not in log and b"\x7f" not in log, "no raw control bytes in the log")
    check(b"GET /no%7Fpe 404 prompt_tokens=0 generated_tokens=0 " in log and b"secret" not in log,
          "a 404 is logged with the path and without its query")
    check(re.search(rb"POST /v1/embeddings 200 prompt_tokens=%d generated_tokens=0 [0-9.]+ ms\n" % len(ids_other),
                    log), "a log line per embeddings request")
    check(re.search(rb"POST /v1/completions 200 prompt_tokens=%d generated_tokens=%d " %
                    (gen.usage.prompt_tokens, gen.usage.completion_tokens), log), "a log line per completion")
    check(text.encode() not in log and other.encode() not in log, "no user content in the log")
finally:
    for status in stop_servers(servers, 10 * SLOW):
        check(status == 0, f"server exits cleanly: {status}")

sys.exit(finish())
