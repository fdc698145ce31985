#!/usr/bin/env python3
"""Load client of bench/batching.sh: N greedy completions at once against an
OpenAI-compatible server, each asking for MAX_TOKENS tokens of a count that does not end
early (each stream counts from its own number, so no two prompts are the same).
Prints "TOKENS SECONDS": completion tokens of all streams together, and the wall time
from the first request sent to the last answer received.

usage: batching_client.py URL STREAMS MAX_TOKENS [--ignore-eos]
  --ignore-eos  also send llama.cpp's "ignore_eos": true (for llama-server)
"""
import json
import sys
import threading
import time
import urllib.request

url, streams, max_tokens = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ignore_eos = "--ignore-eos" in sys.argv[4:]
tokens = [0] * streams
errors = []


def stream(i):
    k = 1 + 37 * i
    body = {"prompt": f"Count from {k} to {k + 999}: {k}, {k + 1}, {k + 2},", "max_tokens": max_tokens,
            "temperature": 0}
    if ignore_eos:
        body["ignore_eos"] = True
    req = urllib.request.Request(url + "/v1/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=3600) as resp:
            tokens[i] = json.load(resp)["usage"]["completion_tokens"]
    except Exception as e:  # noqa: BLE001 -- reported below
        errors.append(f"stream {i}: {e}")


threads = [threading.Thread(target=stream, args=(i,)) for i in range(streams)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - t0
if errors:
    sys.exit("; ".join(errors))
print(sum(tokens), f"{elapsed:.3f}")
