#!/usr/bin/env python3
"""Function calling through the official `openai` client on SmolLM2: tools reach the
prompt (/apply-template), tool_choice "required" and a named function force calls whose
arguments validate against the tool's JSON Schema (jsonschema), the calls come back as
message.tool_calls and streamed as delta.tool_calls, OpenAI's tool-calling loop (call,
run the function, send its result, answer) runs unchanged, and every malformed tools
field is a 400 naming it.

usage: check_tools.py BIN MODEL      Prints "N passed, M failed".
"""
import json
import os
import sys
import urllib.request

import jsonschema
import openai
from openai import OpenAI

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402
from server_process import ServerProcess  # noqa: E402

BIN, MODEL = sys.argv[1:3]
SAN = os.environ.get("LF_SANITIZED") == "1"

WEATHER = {"type": "function", "function": {
    "name": "get_current_weather", "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location", "unit"], "additionalProperties": False}}}
ADD = {"type": "function", "function": {
    "name": "add", "description": "Adds two integers",
    "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                   "required": ["a", "b"], "additionalProperties": False}}}
TOOLS = [WEATHER, ADD]
SCHEMAS = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}
ASK = [{"role": "user", "content": "What's the weather like in Boston today?"}]


def post(url, path, body):
    req = urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def valid_call(call, names):
    """A call of one of names whose arguments are JSON valid against its schema."""
    try:
        args = json.loads(call.function.arguments)
        jsonschema.validate(args, SCHEMAS[call.function.name])
    except (ValueError, KeyError, jsonschema.ValidationError) as e:
        print("invalid call:", call, e)
        return False
    return call.type == "function" and call.id and call.function.name in names


def check_prompt(url):
    status, body = post(url, "/apply-template", {"messages": ASK, "tools": TOOLS})
    prompt = body.get("prompt", "")
    check(status == 200 and "get_current_weather" in prompt and "<tool_call>" in prompt,
          "tools in the prompt: %d %r" % (status, prompt[:300]))
    status, body = post(url, "/apply-template", {"messages": ASK, "tools": TOOLS, "tool_choice": "none"})
    check(status == 200 and "get_current_weather" not in body.get("prompt", "x"),
          "tool_choice none keeps tools out: %r" % body)
    history = ASK + [
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
            "name": "get_current_weather", "arguments": "{\"location\": \"Boston, MA\", \"unit\": \"celsius\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"temperature\": 22}"}]
    status, body = post(url, "/apply-template", {"messages": history, "tools": TOOLS})
    prompt = body.get("prompt", "")
    check(status == 200 and '"location":"Boston, MA"' in prompt and "<tool_response>\n{\"temperature\": 22}" in prompt,
          "earlier calls and results in the prompt: %r" % prompt[-400:])


def check_bad_requests(client):
    bad = [
        ({"tools": {"type": "function"}}, "tools"),
        ({"tools": [{"type": "retrieval"}]}, "tools"),
        ({"tools": [{"type": "function", "function": {"name": "bad name!"}}]}, "tools"),
        ({"tools": [{"type": "function", "function": {"name": "f", "parameters": "x"}}]}, "tools"),
        ({"tools": [{"type": "function", "function": {"name": "f", "colour": "red"}}]}, "tools"),
        ({"tools": TOOLS, "tool_choice": "sometimes"}, "tool_choice"),
        ({"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"tools": TOOLS, "parallel_tool_calls": "yes"}, "parallel_tool_calls"),
    ]
    for extra, param in bad:
        try:
            client.chat.completions.create(model="m", messages=ASK, max_tokens=4, **{
                k: v for k, v in extra.items() if k in ("tools", "tool_choice", "parallel_tool_calls")})
            check(False, "accepted: %r" % extra)
        except openai.BadRequestError as e:
            check(e.status_code == 400 and e.body.get("param") == param, "%r: %r" % (extra, e.body))
    # a field the server does not take is refused, never ignored
    try:
        client.chat.completions.create(model="m", messages=ASK, max_tokens=4, extra_body={"colour": "red"})
        check(False, "unknown field accepted")
    except openai.BadRequestError as e:
        check(e.body.get("param") == "colour" and "colour" in e.body.get("message", ""), "unknown field: %r" % e.body)
    try:
        client.completions.create(model="m", prompt="Hi", max_tokens=4, extra_body={"tools": TOOLS})
        check(False, "tools accepted on /v1/completions")
    except openai.BadRequestError as e:
        check(e.body.get("param") == "tools", "tools on completions: %r" % e.body)
    try:
        client.chat.completions.create(model="m", max_tokens=4, messages=[
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function",
                                                                   "function": {"name": "f", "arguments": {}}}]}])
        check(False, "tool_calls with object arguments accepted")
    except openai.BadRequestError as e:
        check(e.body.get("param") == "messages", "malformed tool_calls: %r" % e.body)


def check_forced(client):
    n = 3 if SAN else 8
    r = client.chat.completions.create(model="m", messages=ASK, tools=TOOLS, tool_choice="required",
                                       temperature=1, n=n, seed=1, max_tokens=96)
    for c in r.choices:
        calls = c.message.tool_calls or []
        check(len(calls) >= 1 and all(valid_call(t, SCHEMAS) for t in calls) and c.finish_reason == "tool_calls",
              "required: %r" % c)
    r = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "What is 2 plus 3?"}],
                                       tools=TOOLS, temperature=1, n=n, seed=2, max_tokens=96,
                                       tool_choice={"type": "function", "function": {"name": "add"}})
    for c in r.choices:
        calls = c.message.tool_calls or []
        check(len(calls) >= 1 and all(valid_call(t, ["add"]) for t in calls), "named: %r" % c)
    r = client.chat.completions.create(model="m", messages=ASK, tools=TOOLS, tool_choice="required",
                                       parallel_tool_calls=False, temperature=1, seed=3, max_tokens=96)
    check(len(r.choices[0].message.tool_calls or []) == 1, "parallel_tool_calls false: %r" % r.choices[0])


def check_streamed(client):
    stream = client.chat.completions.create(model="m", messages=ASK, tools=TOOLS, tool_choice="required",
                                            temperature=0, max_tokens=96, stream=True)
    calls, finish_reason, content = {}, None, ""
    for chunk in stream:
        if not chunk.choices:
            continue
        d = chunk.choices[0].delta
        content += d.content or ""
        for t in d.tool_calls or []:
            entry = calls.setdefault(t.index, {"id": None, "name": "", "arguments": ""})
            entry["id"] = t.id or entry["id"]
            entry["name"] += t.function.name or ""
            entry["arguments"] += t.function.arguments or ""
        finish_reason = chunk.choices[0].finish_reason or finish_reason
    whole = client.chat.completions.create(model="m", messages=ASK, tools=TOOLS, tool_choice="required",
                                           temperature=0, max_tokens=96).choices[0].message.tool_calls or []
    got = [(c["name"], json.loads(c["arguments"]) if c["arguments"] else None) for c in calls.values()]
    want = [(c.function.name, json.loads(c.function.arguments)) for c in whole]
    check(got and got == want and finish_reason == "tool_calls" and all(c["id"] for c in calls.values()),
          "streamed calls %r (finish %r, content %r) != whole %r" % (got, finish_reason, content, want))


def check_example(client):
    """OpenAI's tool-calling example: the model calls, we run the function, it answers."""
    def get_current_weather(location, unit="fahrenheit"):
        return json.dumps({"location": location, "temperature": "72", "unit": unit})

    messages = list(ASK)
    response = client.chat.completions.create(model="m", messages=messages, tools=TOOLS, tool_choice="required",
                                              temperature=0, max_tokens=96)
    message = response.choices[0].message
    messages.append(message)
    for call in message.tool_calls or []:
        args = json.loads(call.function.arguments)
        result = get_current_weather(**args) if call.function.name == "get_current_weather" else str(
            sum(args.values()))
        messages.append({"tool_call_id": call.id, "role": "tool", "name": call.function.name, "content": result})
    final = client.chat.completions.create(model="m", messages=messages, tools=TOOLS, max_tokens=48, temperature=0)
    c = final.choices[0]
    check(message.tool_calls and c.finish_reason in ("stop", "length", "tool_calls") and
          (c.message.content or c.message.tool_calls), "the example's second turn: %r" % c)


def main():
    with ServerProcess(BIN, MODEL, "--parallel", "2", "-t", "2") as server:
        client = OpenAI(base_url=server.url + "/v1", api_key="none")
        check_prompt(server.url)
        check_bad_requests(client)
        check_forced(client)
        check_streamed(client)
        check_example(client)
        status, clean = server.stop()
        check(status == 0 and clean, "server exit %s, sanitizer report %s" % (status, not clean))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
