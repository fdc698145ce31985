#!/usr/bin/env python3
"""Continuous batching as clients see it: 8 greedy completions sent at once to a server
with 8 slots (their decoding rows share each forward pass; one prompt is long enough to
be prefilled in chunks beside the others' decoding) each get the text the same request
gets alone, and together they take much less time than one after another (not timed
under the sanitizers).

usage: check_server_batching.py URL
  URL  a server started with --parallel 8 --precise-activations (decoding rows of several
       streams go through the batch kernels, a stream alone through the decode ones: with
       int8 activations the two differ enough to tip near ties; tests/test_decode_multi.c)
Prints "N passed, M failed". LF_SANITIZED=1 shortens generations.
"""
import json
import os
import sys
import threading
import time
import urllib.request

from checks import check, finish, skip

URL = sys.argv[1]
SAN = os.environ.get("LF_SANITIZED") == "1"
MAX_TOK = 12 if SAN else 32
N = 8

PROMPTS = ["Write a short story about a cat who learns to swim.", "List the planets of the solar system:",
           "def fibonacci(n):", "The history of Rome in one paragraph:", "Once upon a time, in a small village,",
           "The recipe for pancakes:", "Here are five tips for learning a new language:"]
PROMPTS += [" ".join(f"On day {k} the farmer planted {k} trees." for k in range(1, 30))
            + " Write a poem about the farmer:"]  # prefilled in pieces beside the others' decoding


def complete(prompt, stream):
    body = json.dumps({"prompt": prompt, "max_tokens": MAX_TOK, "temperature": 0, "stream": stream,
                       "cache_prompt": False}).encode()
    req = urllib.request.Request(URL + "/v1/completions", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        if not stream:
            return json.load(resp)["choices"][0]["text"]
        parts = []
        for line in resp:
            line = line.decode().strip()
            if line.startswith("data: ") and line != "data: [DONE]":
                ev = json.loads(line[6:])
                if ev.get("choices"):
                    parts.append(ev["choices"][0].get("text") or "")
        return "".join(parts)


t0 = time.monotonic()
alone = [complete(p, False) for p in PROMPTS]
t_alone = time.monotonic() - t0
check(all(alone) and len(set(alone)) == N, f"distinct non-empty answers alone: {alone}")

together = [None] * N


def client(i):
    try:
        together[i] = complete(PROMPTS[i], stream=i % 2 == 1)
    except Exception as e:  # noqa: BLE001 -- reported as a failure below
        together[i] = f"<{type(e).__name__}: {e}>"


threads = [threading.Thread(target=client, args=(i,)) for i in range(N)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
t_together = time.monotonic() - t0
for i in range(N):
    check(together[i] == alone[i], f"stream {i} together {together[i]!r} != alone {alone[i]!r}")
if SAN:
    skip(1, "timings under the sanitizers measure them")
else:
    check(t_together < 0.75 * t_alone, f"8 at once took {t_together:.2f} s, one after another {t_alone:.2f} s")
print(f"one after another {t_alone:.2f} s, 8 at once {t_together:.2f} s", file=sys.stderr)
sys.exit(finish())
