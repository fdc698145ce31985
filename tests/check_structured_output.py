#!/usr/bin/env python3
"""Structured output through the official `openai` client: answers sampled at temperature 1
under response_format json_schema validate with the `jsonschema` package (nested objects,
enums, arrays with minItems/maxItems, required fields, patterns); json_object answers parse
as JSON objects; a GBNF "grammar" shapes /v1/completions; bad grammars and schemas get a
400 naming the field.

usage: check_structured_output.py URL
Prints "N passed, M failed". LF_SANITIZED=1 asks for fewer answers.
"""
import json
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import openai
from openai import OpenAI

sys.path.insert(0, os.path.dirname(__file__))
from checks import check, finish  # noqa: E402

URL = sys.argv[1]
SAN = os.environ.get("LF_SANITIZED") == "1"
PER_SCHEMA = 2 if SAN else 13  # 4 schemas: 52 answers
client = OpenAI(base_url=URL + "/v1", api_key="none", timeout=600)

SCHEMAS = {
    "person": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 12},
            "age": {"type": "integer"},
            "address": {
                "type": "object",
                "properties": {"city": {"type": "string", "maxLength": 12}, "zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
                "required": ["city", "zip"],
                "additionalProperties": False,
            },
        },
        "required": ["name", "age", "address"],
        "additionalProperties": False,
    },
    "order": {
        "type": "object",
        "properties": {
            "status": {"enum": ["new", "paid", "shipped"]},
            "items": {"type": "array", "items": {"type": "string", "maxLength": 8}, "minItems": 1, "maxItems": 3},
            "rush": {"type": "boolean"},
        },
        "required": ["status", "items"],
        "additionalProperties": False,
    },
    "code": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Z]{2}-\\d{3}$"},
            "score": {"anyOf": [{"type": "number"}, {"type": "null"}]},
        },
        "required": ["id", "score"],
        "additionalProperties": False,
    },
    "tree": {
        "$defs": {"leaf": {"type": "object", "properties": {"v": {"type": "integer"}}, "required": ["v"], "additionalProperties": False}},
        "type": "object",
        "properties": {"kind": {"const": "tree"}, "leaves": {"type": "array", "items": {"$ref": "#/$defs/leaf"}, "maxItems": 2}},
        "required": ["kind", "leaves"],
        "additionalProperties": False,
    },
}


def sample_schema(item):
    name, schema = item
    r = client.chat.completions.create(
        model="m", temperature=1, max_tokens=200, n=PER_SCHEMA, seed=7,
        messages=[{"role": "user", "content": f"Give me a {name} as JSON."}],
        response_format={"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}})
    return name, schema, r


with ThreadPoolExecutor(len(SCHEMAS)) as pool:
    results = list(pool.map(sample_schema, SCHEMAS.items()))
total = 0
for name, schema, r in results:
    check(len(r.choices) == PER_SCHEMA, f"{name}: {len(r.choices)} choices")
    for c in r.choices:
        total += 1
        check(c.finish_reason == "stop", f"{name}: finish_reason {c.finish_reason}: {c.message.content!r}")
        try:
            jsonschema.validate(json.loads(c.message.content), schema)
            check(True, "")
        except (ValueError, jsonschema.ValidationError) as e:
            check(False, f"{name}: {c.message.content!r} does not validate: {e}")
check(total == PER_SCHEMA * len(SCHEMAS), f"{total} answers")

# json_object: any JSON object
# (a short answer asked for: an open JSON object has no bound a rambling model would meet)
r = client.chat.completions.create(model="m", temperature=0.5, max_tokens=150, n=2, seed=3,
                                   messages=[{"role": "user", "content": "Give a JSON object with the name and age of Bob, 30."}],
                                   response_format={"type": "json_object"})
for c in r.choices:
    try:
        ok = isinstance(json.loads(c.message.content), dict) and c.finish_reason == "stop"
    except ValueError:
        ok = False
    check(ok, f"json_object answer {c.message.content!r} ({c.finish_reason})")

# "grammar" on /v1/completions, and response_format text = no constraint
r = client.completions.create(model="m", prompt="Is the sky blue? Answer:", temperature=1, max_tokens=20, n=4, seed=1,
                              extra_body={"grammar": 'root ::= " " ("yes" | "no") ", " [a-z]{1,6} "."'})
for c in r.choices:
    check(re.fullmatch(r" (yes|no), [a-z]{1,6}\.", c.text) is not None and c.finish_reason == "stop",
          f"grammar answer {c.text!r} ({c.finish_reason})")
r = client.chat.completions.create(model="m", temperature=0, max_tokens=5, response_format={"type": "text"},
                                   messages=[{"role": "user", "content": "Hi"}])
check(r.choices[0].finish_reason in ("stop", "length"), "response_format text")


def bad_request(what, param, needle, **kw):
    try:
        client.chat.completions.create(model="m", max_tokens=4, messages=[{"role": "user", "content": "x"}], **kw)
        check(False, f"{what}: accepted")
    except openai.BadRequestError as e:
        body = e.body if isinstance(e.body, dict) else {}
        check(body.get("param") == param and needle in str(body.get("message")), f"{what}: {body}")


bad_request("bad grammar", "grammar", "line 1, column 10", extra_body={"grammar": 'root ::= "a'})
bad_request("grammar type", "grammar", "must be a string", extra_body={"grammar": 5})
bad_request("unsupported keyword", "response_format", "keyword 'minimum' is not supported",
            response_format={"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "number", "minimum": 1}}})
bad_request("pattern lookahead", "response_format", "a lookahead",
            response_format={"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "string", "pattern": "(?!a)"}}})
bad_request("no schema", "response_format", "'response_format.json_schema' must be an object",
            response_format={"type": "json_schema"})
bad_request("unknown type", "response_format", "not \"xml\"", response_format={"type": "xml"})
bad_request("grammar and schema", "grammar", "not both", response_format={"type": "json_object"},
            extra_body={"grammar": 'root ::= "a"'})
sys.exit(finish())
