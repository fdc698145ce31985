#!/bin/bash
# The server against hostile clients and web pages (tests/check_server_security.py).
# Environment: BUILD, MODEL, PYTHON, LF_SANITIZED. Prints "N passed, M failed".
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" tests/check_server_security.py "${BUILD:-build}/llama-fast" \
    "${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}"
