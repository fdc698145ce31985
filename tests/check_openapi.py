#!/usr/bin/env python3
"""A property-based run against the server's OpenAPI description (docs/openapi.json) with
schemathesis: valid and invalid requests generated from the schemas of every endpoint must
never get a 5xx, and the server must survive them (and, under the sanitizers, report
nothing). The description is tightened for the run only where a valid request would be
slow (token limits, choices, text lengths), so the run covers many requests.

usage: check_openapi.py BIN MODEL      Prints "N passed, M failed".
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402
from server_process import SLOW, ServerProcess  # noqa: E402

BIN, MODEL = sys.argv[1:3]
HERE = os.path.dirname(os.path.abspath(__file__))
# Under the sanitizers every request is several times slower: the coverage phase (every
# field's boundary values, hundreds of requests) runs only in the plain build.
EXAMPLES = 5 if SLOW > 1 else 15
PHASES = "fuzzing" if SLOW > 1 else "examples,coverage,fuzzing"


def tighten(node):
    """Small limits for a fast run: at most 4 tokens, 2 choices, short strings and lists."""
    if isinstance(node, dict):
        props = node.get("properties", {})
        for name in ("max_tokens", "max_completion_tokens"):
            if name in props:
                props[name]["maximum"] = 4
        if "n" in props:
            props["n"]["maximum"] = 2
        if node.get("type") == "string" and "enum" not in node and "pattern" not in node:
            node["maxLength"] = min(node.get("maxLength", 48), 48)
        if node.get("type") == "array":
            node["maxItems"] = min(node.get("maxItems", 3), 3)
        for v in node.values():
            tighten(v)
    elif isinstance(node, list):
        for v in node:
            tighten(v)


def main():
    with open(os.path.join(HERE, "..", "docs", "openapi.json"), encoding="utf-8") as f:
        spec = json.load(f)
    tighten(spec)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
        path = f.name
    try:
        with ServerProcess(BIN, MODEL, "--parallel", "2", "-t", "2", "--max-seq-len", "512") as server:
            proc = subprocess.run(
                ["schemathesis", "run", path, "--url", server.url, "--checks", "not_a_server_error",
                 "--max-examples", str(EXAMPLES), "--seed", "1", "--phases", PHASES,
                 "--workers", "1", "--request-timeout", str(60 * SLOW), "--no-shrink",
                 "--suppress-health-check", "all", "--max-failures", "5"],
                capture_output=True, text=True, timeout=900 * SLOW)
            out = proc.stdout + proc.stderr
            check(proc.returncode == 0, "schemathesis found failures (exit %d):\n%s" % (proc.returncode, out[-4000:]))
            summary = [line for line in out.splitlines() if "tested" in line.lower() or "test cases" in line.lower()
                       or "operations" in line.lower()]
            print("\n".join(summary[-6:]))
            check(server.proc.poll() is None, "the server died: " + server.text()[-1000:])
            status, clean = server.stop()
            check(status == 0 and clean, "server exit %s, sanitizer report %s" % (status, not clean))
    finally:
        os.unlink(path)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
