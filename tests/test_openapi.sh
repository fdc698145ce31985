#!/bin/bash
# Property-based requests against the server's OpenAPI description (tests/check_openapi.py,
# schemathesis): no 5xx. Prints "N passed, M failed".
# Environment: BUILD, MODEL, PYTHON, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
exec "$PYTHON" tests/check_openapi.py "$BIN" "$MODEL"
