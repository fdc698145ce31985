#!/usr/bin/env python3
"""The sampling fields of the server through the official `openai` client, on
/v1/completions and /v1/chat/completions: logit_bias (-100 bans the greedy token, +100
forces one), penalties, top_k, min_p, typical_p and seed take effect; the command line's
sampling flags are the defaults of requests; a bad value is a 400 naming the field, and
so is an OpenAI field the server does not implement. References: the llama-fast program
run alone (`generate` with the same flags), never the server.

usage: check_server_sampling.py BIN MODEL
Prints "N passed, M failed". LF_SANITIZED=1 shortens generations and waits longer.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

import openai
from openai import OpenAI

from checks import check, finish

BIN, MODEL = sys.argv[1:3]
SAN = os.environ.get("LF_SANITIZED") == "1"
SLOW = 8 if SAN else 1
N_TOK = 6 if SAN else 12
PROMPT = "one two one two one two one two one two"
COMMON = ["--precise-activations", "-t", "2", "--max-seq-len", "256"]


def start(*flags):
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    proc = subprocess.Popen([BIN, "server", MODEL, "--port", "0", "--parallel", "1", *COMMON, *flags],
                            stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300 * SLOW):
        m = re.search(r"listening on (http://[0-9.:]+)", open(log.name).read())
        if m:
            return proc, OpenAI(base_url=m.group(1) + "/v1", api_key="none", timeout=60 * SLOW, max_retries=0)
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    print(open(log.name).read())
    proc.kill()
    sys.exit("the server did not start")


def generate(*flags, prompt=PROMPT):
    """The greedy continuation `llama-fast generate` gives alone, as text and as ids."""
    base = [BIN, "generate", MODEL, "--prompt", prompt, "--temperature", "0", "--max-new-tokens", str(N_TOK),
            *COMMON, *flags]
    text = subprocess.run(base, capture_output=True, text=True, check=True).stdout
    ids = subprocess.run(base + ["--print-token-ids"], capture_output=True, text=True, check=True).stdout.split()
    return text[:-1] if text.endswith("\n") else text, [int(i) for i in ids]


def complete(client, **fields):
    fields.setdefault("cache_prompt", False)  # a cached prefix shifts logits by rounding noise
    standard = {k: fields.pop(k) for k in ("temperature", "top_p", "seed", "logit_bias", "presence_penalty",
                                           "frequency_penalty", "logprobs", "echo", "suffix", "best_of")
                if k in fields}
    r = client.completions.create(model="m", prompt=fields.pop("prompt", PROMPT), max_tokens=N_TOK, **standard,
                                  extra_body=fields or None)
    return r.choices[0].text


def chat(client, stream=False, **fields):
    fields.setdefault("cache_prompt", False)
    standard = {k: fields.pop(k) for k in ("temperature", "seed", "logit_bias", "presence_penalty",
                                           "frequency_penalty", "response_format", "tools") if k in fields}
    msgs = [{"role": "user", "content": "Say hello."}]
    r = client.chat.completions.create(model="m", messages=msgs, max_tokens=N_TOK, stream=stream, **standard,
                                       extra_body=fields or None)
    if stream:
        return "".join(c.choices[0].delta.content or "" for c in r if c.choices)
    return r.choices[0].message.content


def refused(what, call, field):
    try:
        call()
    except openai.BadRequestError as e:
        body = e.body if isinstance(e.body, dict) else {}
        check(e.status_code == 400 and (body.get("param") == field or field in str(e)),
              f"{what}: 400 naming {field}: {e}")
        return
    except Exception as e:  # noqa: BLE001 -- any other outcome is the failure reported
        check(False, f"{what}: expected 400 naming {field}, got {e!r}")
        return
    check(False, f"{what}: accepted")


server, client = start()
default_server, default_client = start("--presence-penalty", "100", "--repeat-last-n", "-1", "--top-k", "1")
try:
    greedy_text, greedy_ids = generate()
    check(complete(client, temperature=0) == greedy_text, "greedy completion = generate")
    first = greedy_ids[0]

    # logit_bias -100 bans the greedy token: the answer is generate's with that ban
    banned_text, banned_ids = generate("--logit-bias", f"{first}-inf")
    check(first not in banned_ids, "generate --logit-bias -inf bans the token")
    got = complete(client, temperature=0, logit_bias={str(first): -100})
    check(got == banned_text and got != greedy_text, f"logit_bias -100: {got!r} vs {banned_text!r}")
    # +100 forces a token, on both routes and streamed
    forced_text, forced_ids = generate("--logit-bias", "1234+100")
    check(set(forced_ids) == {1234}, f"generate --logit-bias 1234+100 gives only 1234: {forced_ids}")
    got = complete(client, temperature=0.9, seed=3, logit_bias={"1234": 100})
    check(got == forced_text, f"logit_bias +100 (completions): {got!r} vs {forced_text!r}")
    check(chat(client, temperature=0, logit_bias={"1234": 100}) == forced_text, "logit_bias +100 (chat)")
    check(chat(client, stream=True, temperature=0, logit_bias={"1234": 100}) == forced_text,
          "logit_bias +100 (chat, streamed)")

    # penalties, counted over the prompt as well
    flags = ["--repeat-penalty", "1.5", "--presence-penalty", "1", "--frequency-penalty", "0.5", "--repeat-last-n",
             "16"]
    pen_text, _ = generate(*flags)
    got = complete(client, temperature=0, repeat_penalty=1.5, presence_penalty=1, frequency_penalty=0.5,
                   repeat_last_n=16)
    check(got == pen_text and got != greedy_text, f"penalties: {got!r} vs {pen_text!r} (plain {greedy_text!r})")

    # truncation: top_k 1 and min_p 1 leave the greedy token whatever the temperature
    check(complete(client, temperature=1.5, seed=1, top_k=1) == greedy_text, "top_k 1 = greedy")
    check(complete(client, temperature=1.5, seed=1, min_p=1.0) == greedy_text, "min_p 1 = greedy")
    # a sampled chain with every truncation draws what generate draws with the same seed
    chain = dict(top_k=20, top_p=0.9, min_p=0.02, typical_p=0.8)
    typ_text, _ = generate("--typical-p", "0.8", "--top-k", "20", "--top-p", "0.9", "--min-p", "0.02",
                           "--temperature", "1", "--seed", "4")
    got = complete(client, temperature=1, seed=4, **chain)
    check(got == typ_text, f"sampled chain with seed 4: {got!r} vs {typ_text!r}")

    # seed: the same seed repeats an answer; another gives another
    a = [complete(client, temperature=1.0, seed=s, top_k=0) for s in (5, 5, 6)]
    check(a[0] == a[1], f"seed 5 twice: {a[0]!r} vs {a[1]!r}")
    check(a[0] != a[2], "seeds 5 and 6 gave the same text")

    # the command line's flags are the defaults: the second server penalizes and is greedy
    # (top_k 1) unless a request says otherwise
    dflt_text, dflt_ids = generate("--presence-penalty", "100", "--repeat-last-n", "-1")
    check(len(set(dflt_ids)) == len(dflt_ids), f"presence penalty 100: no token twice {dflt_ids}")
    got = complete(default_client, temperature=1.0, seed=9)
    check(got == dflt_text, f"server defaults: {got!r} vs {dflt_text!r}")
    got = complete(default_client, temperature=0, presence_penalty=0)
    check(got == greedy_text, f"a request overrides the defaults: {got!r} vs {greedy_text!r}")

    # bad values: 400 naming the field, on both routes
    bad = [("top_k", -1), ("top_k", "3"), ("min_p", 1.5), ("typical_p", -0.5), ("repeat_penalty", -1),
           ("repeat_last_n", -2), ("presence_penalty", 3), ("frequency_penalty", "x"), ("logit_bias", [1, 2]),
           ("logit_bias", {"abc": 1}), ("logit_bias", {"5": 200}), ("logit_bias", {"5": "x"}),
           ("logit_bias", {"99999999": 1}), ("logit_bias", {"-5": 1}), ("seed", "x"), ("temperature", 3),
           ("top_p", -1), ("logprobs", True), ("suffix", "x"), ("best_of", 2)]
    for field, value in bad:
        refused(f"completions {field}={value!r}", lambda: complete(client, **{field: value}), field)
    for field, value in [("top_k", -1), ("logit_bias", {"5": -101}), ("min_p", "x"),
                         ("response_format", {"type": "xml"}),
                         ("tools", [{"type": "function", "function": {"name": "f", "parameters": "x"}}])]:
        refused(f"chat {field}={value!r}", lambda: chat(client, **{field: value}), field)
    # the defaults stay acceptable: off values of the refused fields pass
    check(complete(client, temperature=0, logprobs=None, echo=False, best_of=1) == greedy_text, "off values accepted")
finally:
    for p in (server, default_server):
        p.kill()
        p.wait()
sys.exit(finish())
