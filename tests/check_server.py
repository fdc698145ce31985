#!/usr/bin/env python3
"""The llama-fast server as clients see it: the official `openai` Python client for chat,
streaming chat, completions, n, stop strings, token limits and usage; raw HTTP for
concurrency (16 clients), a client that leaves mid-stream, the bounded queue, and every
kind of bad request. References come from the llama-fast program itself run alone
(`generate`, `tokenize`) and from plain text, never from the server.

usage: check_server.py URL API_KEY BIN MODEL THREADS URL_SMALL
  URL        a server started with --api-key API_KEY --parallel 4 --max-seq-len 1024
             --precise-activations
  URL_SMALL  a server without a key, --parallel 1 --queue 1
Prints "N passed, M failed". LF_SANITIZED=1 shortens generations and waits longer.
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import openai
from openai import OpenAI

URL, KEY, BIN, MODEL, THREADS, URL_SMALL = sys.argv[1:7]
SAN = os.environ.get("LF_SANITIZED") == "1"
SLOW = 8 if SAN else 1          # how much longer to wait under the sanitizers
MAX_TOK = 8 if SAN else 16      # tokens per answer in the comparisons
N_SLOTS = 4

passed = failed = 0
ids_seen = []


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name}: {detail}", file=sys.stderr)
    return cond


def host_port(url):
    u = urllib.parse.urlparse(url)
    return u.hostname, u.port


def raw(method, path, body=None, headers=None, url=URL, auth=True, timeout=60 * SLOW):
    """One HTTP request; returns (status, headers, body bytes)."""
    h = dict(headers or {})
    if auth:
        h.setdefault("Authorization", f"Bearer {KEY}")
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if body is not None:
        h.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection(*host_port(url), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def error_json(body):
    """The OpenAI error object of a response, or None."""
    try:
        e = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        return None
    keys_ok = isinstance(e, dict) and {"message", "type", "param", "code"} <= set(e)
    return e if keys_ok and isinstance(e["message"], str) and e["message"] else None


def sse_events(resp):
    """Yields the data of each server-sent event of an http.client response."""
    buf = b""
    while True:
        line = resp.readline()
        if not line:
            return
        line = line.rstrip(b"\r\n")
        if line.startswith(b"data: "):
            buf = line[6:]
        elif line == b"" and buf:
            yield buf.decode()
            buf = b""


PRECISE = "--precise-activations"


def program(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300 * SLOW, check=True).stdout


# generous: the machine may be shared, and 16 clients share 4 slots
client = OpenAI(base_url=URL + "/v1", api_key=KEY, timeout=600 * SLOW, max_retries=0)
SYSTEM = {"role": "system", "content": "You are a helpful assistant."}


# Exact comparisons turn off the prompt cache: a prompt prefilled in other pieces gives
# logits that differ by float noise (~1e-3), enough to flip a near tie.
EXACT = {"cache_prompt": False}


def ask(question, **kw):
    return client.chat.completions.create(model="smollm2", messages=[SYSTEM, {"role": "user", "content": question}],
                                          temperature=0, extra_body=kw.pop("extra_body", EXACT), **kw)


def comp(**kw):
    return client.completions.create(model="m", extra_body=EXACT, **kw)


# --- chat, non-streaming and streaming --------------------------------------------------
r = ask("What is the capital of France?", max_tokens=64)
ids_seen.append(r.id)
answer = r.choices[0].message.content
check("chat answer", "Paris" in answer, repr(answer))
check("chat object", r.object == "chat.completion" and r.id.startswith("chatcmpl-") and r.model == "smollm2",
      f"{r.object} {r.id} {r.model}")
check("chat finish stop", r.choices[0].finish_reason == "stop" and r.choices[0].message.role == "assistant",
      f"{r.choices[0].finish_reason} {r.choices[0].message.role}")
u = r.usage
check("chat usage total", u.total_tokens == u.prompt_tokens + u.completion_tokens and 0 < u.completion_tokens < 64,
      str(u))

# prompt_tokens is the program's own token count of the rendered prompt
st, _, body = raw("POST", "/apply-template",
                  {"messages": [SYSTEM, {"role": "user", "content": "What is the capital of France?"}]})
rendered = json.loads(body)["prompt"] if st == 200 else ""
check("apply-template for usage", st == 200 and rendered.endswith("<|im_start|>assistant\n"), f"{st} {body[:200]!r}")
n_ids = len(program("tokenize", MODEL, "--parse-special", "--text", rendered).split())
check("usage prompt_tokens = tokenize", u.prompt_tokens == n_ids, f"{u.prompt_tokens} != {n_ids}")

chunks = list(ask("What is the capital of France?", max_tokens=64, stream=True,
                  stream_options={"include_usage": True}))
ids_seen.append(chunks[0].id)
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
check("stream = non-stream", text == answer, f"{text!r} != {answer!r}")
check("stream first delta has role", chunks[0].choices[0].delta.role == "assistant", str(chunks[0]))
check("stream object", all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks), "")
finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
check("stream finish once, last", len(finals) == 1 and finals[0].choices[0].finish_reason == "stop"
      and chunks[-2] is finals[0], str(finals))
check("stream usage", chunks[-1].choices == [] and chunks[-1].usage is not None
      and chunks[-1].usage.prompt_tokens == u.prompt_tokens
      and chunks[-1].usage.completion_tokens == u.completion_tokens, str(chunks[-1]))

# the prompt cache (on by default) reuses a slot's prefix and still answers the question
cached = [ask("What is the capital of France?", max_tokens=64, extra_body={}).choices[0].message.content
          for _ in range(2)]
check("prompt cache answers", all("Paris" in x for x in cached), str(cached))

# content as an array of text parts means the same as the joined string
r2 = client.chat.completions.create(model="m", temperature=0, max_tokens=64, extra_body=EXACT, messages=[
    SYSTEM, {"role": "user", "content": [{"type": "text", "text": "What is the capital "},
                                         {"type": "text", "text": "of France?"}]}])
check("content parts", r2.choices[0].message.content == answer, repr(r2.choices[0].message.content))

# --- completions: the same text as `llama-fast generate` --------------------------------
PROMPT = "The capital of France is"
# generate with the activations of the server at URL (tests/test_server.sh)
want = program("generate", MODEL, PRECISE, "--prompt", PROMPT, "--temperature", "0", "--max-new-tokens", str(MAX_TOK),
               "-t", THREADS)
want = want[:-1] if want.endswith("\n") else want
c = comp(prompt=PROMPT, temperature=0, max_tokens=MAX_TOK)
ids_seen.append(c.id)
check("completion = generate", c.choices[0].text == want, f"{c.choices[0].text!r} != {want!r}")
check("completion object", c.object == "text_completion" and c.id.startswith("cmpl-"), f"{c.object} {c.id}")
check("max_tokens -> length", c.choices[0].finish_reason == "length" and c.usage.completion_tokens == MAX_TOK,
      f"{c.choices[0].finish_reason} {c.usage}")
sc = list(comp(prompt=PROMPT, temperature=0, max_tokens=MAX_TOK, stream=True))
check("completion stream = generate", "".join(x.choices[0].text for x in sc) == want,
      repr("".join(x.choices[0].text for x in sc)))
check("completion stream finish", sc[-1].choices[0].finish_reason == "length", str(sc[-1]))

# n = 2 at temperature 0: two identical choices, usage counts both
c2 = comp(prompt=PROMPT, temperature=0, max_tokens=MAX_TOK, n=2)
check("n=2 choices", sorted(ch.index for ch in c2.choices) == [0, 1]
      and all(ch.text == want for ch in c2.choices), str(c2.choices))
check("n=2 usage", c2.usage.completion_tokens == 2 * MAX_TOK and c2.usage.prompt_tokens == c.usage.prompt_tokens,
      str(c2.usage))
s2 = list(ask("What is the capital of France?", max_tokens=64, n=2, stream=True))
per = {0: "", 1: ""}
for ch in s2:
    for x in ch.choices:
        per[x.index] += x.delta.content or ""
check("n=2 stream", per[0] == answer and per[1] == answer, str(per))
# sampling: choice i of seed s draws like `generate --seed s+i` (no top-k, no top-p)
samp = [comp(prompt="Once upon a time", temperature=1.0, max_tokens=MAX_TOK, seed=7, n=2) for _ in range(2)]
check("seed reproduces", [x.text for x in samp[0].choices] == [x.text for x in samp[1].choices], "")
for i, seed in enumerate((7, 8)):
    g = program("generate", MODEL, PRECISE, "--prompt", "Once upon a time", "--temperature", "1", "--top-k", "0", "--seed",
                str(seed), "--max-new-tokens", str(MAX_TOK), "-t", THREADS).removesuffix("\n")
    check(f"sampled choice {i} = generate --seed {seed}", samp[0].choices[i].text == g,
          f"{samp[0].choices[i].text!r} != {g!r}")
check("n=2 choices sample differently", samp[0].choices[0].text != samp[0].choices[1].text,
      str([x.text for x in samp[0].choices]))

# --- stop strings: the text up to the first stop, held back while streaming -------------
words = want.split()
stop = " " + words[2] if len(words) > 3 else want[len(want) // 2:]
cut = want[:want.index(stop)]
cs = comp(prompt=PROMPT, temperature=0, max_tokens=MAX_TOK, stop=[stop, "@@@@"])
check("stop string", cs.choices[0].text == cut and cs.choices[0].finish_reason == "stop",
      f"{cs.choices[0].text!r} != {cut!r} ({cs.choices[0].finish_reason})")
ss = list(comp(prompt=PROMPT, temperature=0, max_tokens=MAX_TOK, stop=stop,
                                    stream=True))
check("stop string streamed", "".join(x.choices[0].text for x in ss) == cut,
      repr("".join(x.choices[0].text for x in ss)))
# a stop string that starts but never completes is released at the end
partial = stop + "@@"
cp = comp(prompt=PROMPT, temperature=0, max_tokens=MAX_TOK, stop=partial)
check("partial stop released", cp.choices[0].text == want and cp.choices[0].finish_reason == "length",
      repr(cp.choices[0].text))

# --- /v1/models, /health ----------------------------------------------------------------
models = client.models.list()
check("models", len(models.data) == 1 and os.path.basename(MODEL) == models.data[0].id, str(models.data))

# --- 16 concurrent clients: each gets the answer it gets alone ---------------------------
QUESTIONS = [f"Name {k} animal{'s' if k > 1 else ''} that live in the sea." if k % 2 else f"What is {k} plus {k + 3}?"
             for k in range(1, 17)]
alone = [ask(q, max_tokens=MAX_TOK).choices[0].message.content for q in QUESTIONS]
results, spans = [None] * 16, [None] * 16


def concurrent_client(i):
    try:
        if i % 2:
            parts, first = [], None
            for ch in ask(QUESTIONS[i], max_tokens=MAX_TOK, stream=True):
                if ch.choices and ch.choices[0].delta.content:
                    first = first or time.monotonic()
                    parts.append(ch.choices[0].delta.content)
            spans[i] = (first, time.monotonic())
            results[i] = "".join(parts)
        else:
            r = ask(QUESTIONS[i], max_tokens=MAX_TOK)
            ids_seen.append(r.id)
            results[i] = r.choices[0].message.content
    except Exception as e:  # noqa: BLE001 -- reported as a failure below
        results[i] = f"<{type(e).__name__}: {e}>"


threads = [threading.Thread(target=concurrent_client, args=(i,)) for i in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for i in range(16):
    check(f"concurrent client {i}", results[i] == alone[i], f"{results[i]!r} != alone {alone[i]!r}")
s = [x for x in spans if x and x[0]]
overlap = any(a[0] < b[1] and b[0] < a[1] for k, a in enumerate(s) for b in s[k + 1:])
check("streams interleave", overlap, str(s))
check("distinct answers", len(set(alone)) > 8, str(alone))


# --- a client that leaves mid-stream frees its slot --------------------------------------
def health(url=URL):
    st, _, body = raw("GET", "/health", url=url, auth=False)
    return json.loads(body) if st == 200 else {}


def wait_idle(url, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        h = health(url)
        if h.get("slots_processing") == 0 and h.get("choices_waiting") == 0:
            return True
        time.sleep(0.05)
    return False


def open_stream(url, auth=True, max_tokens=900):
    conn = http.client.HTTPConnection(*host_port(url), timeout=60 * SLOW)
    h = {"Content-Type": "application/json"}
    if auth:
        h["Authorization"] = f"Bearer {KEY}"
    conn.request("POST", "/v1/completions", json.dumps(
        {"prompt": "1, 2, 3, 4, 5, 6, 7, 8,", "temperature": 0, "max_tokens": max_tokens, "stream": True}), h)
    return conn, conn.getresponse()


# The generation would go on for 900 tokens; the slot must be free long before they
# could have been generated at the rate the stream showed (the machine may be loaded).
conn, resp = open_stream(URL)
events = sse_events(resp)
next(events)
t0 = time.monotonic()
got = [next(events) for _ in range(20)]
rate = 20 / (time.monotonic() - t0)
busy = health().get("slots_processing")
conn.sock.shutdown(socket.SHUT_RDWR)
conn.close()
t0 = time.monotonic()
check("long stream started", resp.status == 200 and busy == 1 and all('"text"' in g for g in got), f"{busy} {got}")
freed = wait_idle(URL, 0.3 * 870 / rate)
check("disconnect frees the slot", freed, f"not idle {time.monotonic() - t0:.1f} s after closing, "
      f"at {rate:.0f} tokens/s: {health()}")
# the same for a client that waits for a whole (non-streamed) answer and hangs up
sock = socket.create_connection(host_port(URL))
body = json.dumps({"prompt": "1, 2, 3, 4, 5, 6, 7, 8,", "temperature": 0, "max_tokens": 900}).encode()
sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY.encode() +
             b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
end = time.monotonic() + 10 * SLOW
while health().get("slots_processing") != 1 and time.monotonic() < end:
    time.sleep(0.02)
busy = health().get("slots_processing")
sock.close()
t0 = time.monotonic()
freed = wait_idle(URL, 0.3 * 870 / rate)
check("non-stream disconnect frees the slot", busy == 1 and freed,
      f"busy {busy}, not idle {time.monotonic() - t0:.1f} s after closing: {health()}")

# afterwards every slot serves: N at once, each the answer it gets alone
outs = [None] * N_SLOTS
ts = [threading.Thread(target=lambda k=k: outs.__setitem__(k, ask(QUESTIONS[k], max_tokens=MAX_TOK)
                                                           .choices[0].message.content)) for k in range(N_SLOTS)]
for t in ts:
    t.start()
for t in ts:
    t.join()
check("all slots serve after disconnect", outs == alone[:N_SLOTS], f"{outs} != {alone[:N_SLOTS]}")
check("idle again", wait_idle(URL, 3 * SLOW), str(health()))

# --- the bounded queue: one slot, one waiting place, the third request gets 503 ----------
a_conn, a = open_stream(URL_SMALL, auth=False)
a_events = sse_events(a)
next(a_events)
b_conn = http.client.HTTPConnection(*host_port(URL_SMALL), timeout=60 * SLOW)
b_conn.request("POST", "/v1/completions", json.dumps({"prompt": "Hi", "max_tokens": 4, "temperature": 0}),
               {"Content-Type": "application/json"})
end = time.monotonic() + 5 * SLOW
while health(URL_SMALL).get("choices_waiting") != 1 and time.monotonic() < end:
    time.sleep(0.02)
st, _, body = raw("POST", "/v1/completions", {"prompt": "Hi", "max_tokens": 4}, url=URL_SMALL, auth=False)
check("queue full -> 503", st == 503 and error_json(body) is not None, f"{st} {body[:200]!r}")
a_conn.sock.shutdown(socket.SHUT_RDWR)
a_conn.close()
b = b_conn.getresponse()
bj = json.loads(b.read())
check("queued request served after the slot frees", b.status == 200 and bj["choices"][0]["finish_reason"] in
      ("stop", "length"), str(bj))
b_conn.close()

# --- bad requests: the right status and an OpenAI error object --------------------------
CHAT = "/v1/chat/completions"
MSGS = [{"role": "user", "content": "hi"}]
bad = [
    ("malformed JSON", "POST", CHAT, '{"messages": [', 400, None),
    ("not an object", "POST", CHAT, "[1, 2]", 400, None),
    ("invalid UTF-8", "POST", CHAT, b'{"messages": "\xff\xfe"}', 400, None),
    ("deep nesting", "POST", CHAT, "[" * 100000 + "]" * 100000, 400, None),
    ("messages not array", "POST", CHAT, {"messages": "hi"}, 400, "messages"),
    ("empty messages", "POST", CHAT, {"messages": []}, 400, "messages"),
    ("message without role", "POST", CHAT, {"messages": [{"content": "hi"}]}, 400, "messages"),
    ("content a number", "POST", CHAT, {"messages": [{"role": "user", "content": 5}]}, 400, "messages"),
    ("image part", "POST", CHAT, {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, 400, "messages"),
    ("temperature string", "POST", CHAT, {"messages": MSGS, "temperature": "hot"}, 400, "temperature"),
    ("temperature < 0", "POST", CHAT, {"messages": MSGS, "temperature": -0.5}, 400, "temperature"),
    ("top_p > 1", "POST", CHAT, {"messages": MSGS, "top_p": 1.5}, 400, "top_p"),
    ("max_tokens string", "POST", CHAT, {"messages": MSGS, "max_tokens": "5"}, 400, "max_tokens"),
    ("max_tokens 0", "POST", CHAT, {"messages": MSGS, "max_tokens": 0}, 400, "max_tokens"),
    ("max_tokens 1.5", "POST", CHAT, {"messages": MSGS, "max_tokens": 1.5}, 400, "max_tokens"),
    ("n 0", "POST", CHAT, {"messages": MSGS, "n": 0}, 400, "n"),
    ("n 1000", "POST", CHAT, {"messages": MSGS, "n": 1000}, 400, "n"),
    ("five stops", "POST", CHAT, {"messages": MSGS, "stop": ["a", "b", "c", "d", "e"]}, 400, "stop"),
    ("stop a number", "POST", CHAT, {"messages": MSGS, "stop": 3}, 400, "stop"),
    ("stream a string", "POST", CHAT, {"messages": MSGS, "stream": "yes"}, 400, "stream"),
    ("seed a string", "POST", CHAT, {"messages": MSGS, "seed": "x"}, 400, "seed"),
    ("no prompt", "POST", "/v1/completions", {"max_tokens": 3}, 400, "prompt"),
    ("prompt array of numbers", "POST", "/v1/completions", {"prompt": [1, 2]}, 400, "prompt"),
    ("prompt too long", "POST", "/v1/completions", {"prompt": "hello " * 2000}, 400, "prompt"),
    ("apply-template bad", "POST", "/apply-template", {"messages": 3}, 400, "messages"),
    ("unknown route", "GET", "/v1/nothing", None, 404, None),
    ("unknown route POST", "POST", "/v2/chat/completions", {"messages": MSGS}, 404, None),
    ("wrong method", "GET", CHAT, None, 405, None),
    ("wrong method health", "POST", "/health", "{}", 405, None),
]
for name, method, path, body, status, param in bad:
    st, _, resp_body = raw(method, path, body)
    e = error_json(resp_body)
    check(name, st == status and e is not None and (param is None or e["param"] == param)
          and e["type"] == ("invalid_request_error" if status in (400, 405) else "not_found_error"),
          f"{st} {resp_body[:300]!r}")

for name, headers in [("missing key", {}), ("wrong key", {"Authorization": "Bearer nope"}),
                      ("key without Bearer", {"Authorization": KEY})]:
    st, _, body = raw("POST", CHAT, {"messages": MSGS}, headers=headers, auth=False)
    e = error_json(body)
    check(name, st == 401 and e is not None and e["type"] == "authentication_error", f"{st} {body[:200]!r}")
try:
    OpenAI(base_url=URL + "/v1", api_key="wrong", max_retries=0).models.list()
    check("openai client wrong key", False, "no error")
except openai.AuthenticationError as e:
    check("openai client wrong key", e.status_code == 401, str(e))
try:
    ask("hi", max_tokens=2, n=0)
    check("openai client bad n", False, "no error")
except openai.BadRequestError as e:
    check("openai client bad n", e.status_code == 400 and "'n'" in str(e), str(e))


def oversized(chunked):
    """Sends a body over the limit (1 MiB): declared up front, or chunked without a length."""
    s = socket.create_connection(host_port(URL), timeout=30 * SLOW)
    try:
        head = f"POST {CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
        if chunked:
            s.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
            piece = b"x" * 65536
            for _ in range(20):
                s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        else:  # only the headers: the answer must not wait for 16 MiB that never come
            s.sendall((head + f"Content-Length: {16 << 20}\r\n\r\n").encode())
        data = b""
        while b"request_too_large" not in data:
            more = s.recv(65536)
            if not more:
                break
            data += more
        return data
    finally:
        s.close()


for chunked in (False, True):
    data = oversized(chunked)
    check(f"oversized body ({'chunked' if chunked else 'Content-Length'})", data.startswith(b"HTTP/1.1 413")
          and b'"code":"request_too_large"' in data, repr(data[:300]))

st, hd, _ = raw("GET", CHAT)
check("405 names the allowed method", st == 405 and hd.get("Allow") == "POST", f"{st} {hd}")
st, _, _ = raw("HEAD", "/health", auth=False)
check("HEAD /health", st == 200, str(st))
st, hd, body = raw("GET", "/", auth=False)
check("chat page at /", st == 200 and hd.get("Content-Type", "").startswith("text/html") and b"<" in body,
      f"{st} {hd}")
h = health()
check("still healthy", h.get("status") == "ok" and h.get("slots_idle") == N_SLOTS, str(h))
check("ids unique", len(set(ids_seen)) == len(ids_seen) and len(ids_seen) >= 8, str(ids_seen))

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
