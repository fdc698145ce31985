#!/usr/bin/env python3
"""Load client of bench/batching.sh: N greedy completions at once against an
OpenAI-compatible server, each asking for MAX_TOKENS tokens of a count that does not end
early (each stream counts from its own number, so no two prompts are the same), streamed
so that each token's arrival is timed.

Prints "TOKENS SECONDS DECODE_TOKENS DECODE_SECONDS":
  TOKENS, SECONDS   completion tokens of all streams together, and the wall time from the
                    first request sent to the last answer received (prompts included);
  DECODE_*          the tokens that arrived while every stream was decoding -- after the
                    last stream's first token, up to the first stream's last token -- and
                    that window's length: the aggregate decode rate of N streams, without
                    the prompts' prefill or the ragged start and end.

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
arrivals = [[] for _ in range(streams)]  # monotonic time of each streamed chunk with text
errors = []


def stream(i):
    k = 1 + 37 * i
    body = {"prompt": f"Count from {k} to {k + 999}: {k}, {k + 1}, {k + 2},", "max_tokens": max_tokens,
            "temperature": 0, "stream": True, "stream_options": {"include_usage": True}}
    if ignore_eos:
        body["ignore_eos"] = True
    req = urllib.request.Request(url + "/v1/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=3600) as resp:
            for line in resp:
                # a byte test per event, JSON only for the usage: the client shares the
                # CPUs with the server it measures (both servers write "text":"...")
                if not line.startswith(b"data:"):
                    continue
                if b'"text":"' in line and b'"text":""' not in line:
                    arrivals[i].append(time.monotonic())
                if b'"usage":{' in line:
                    tokens[i] = json.loads(line[5:])["usage"]["completion_tokens"]
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
if any(len(a) < 2 for a in arrivals):
    sys.exit("a stream sent fewer than two chunks of text")
start = max(a[0] for a in arrivals)
end = min(a[-1] for a in arrivals)
decode_tokens = sum(1 for a in arrivals for t in a if start < t <= end)
print(sum(tokens), f"{elapsed:.3f}", decode_tokens, f"{end - start:.3f}")
