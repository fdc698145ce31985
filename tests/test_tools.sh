#!/bin/bash
# Function calling end to end on SmolLM2 (tests/check_tools.py: the openai client against
# a server of its own). Prints "N passed, M failed".
# Environment: BUILD, MODEL, PYTHON, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
exec "$PYTHON" tests/check_tools.py "$BIN" "$MODEL"
