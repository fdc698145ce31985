#!/bin/bash
# The server's sampling fields end to end through the openai client
# (tests/check_server_sampling.py starts its own servers on free ports of 127.0.0.1).
# Prints "N passed, M failed". Environment: BUILD, MODEL, PYTHON, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
if ! "$PYTHON" -c 'import openai' 2>/dev/null; then
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
PYTHONPATH=tests "$PYTHON" tests/check_server_sampling.py "$BIN" "$MODEL"
