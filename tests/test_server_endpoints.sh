#!/bin/bash
# The server's /v1/embeddings, /tokenize, /detokenize, /metrics, /slots, request log and
# logprobs (tests/check_server_endpoints.py, against numpy and `llama-fast tokenize`).
# Environment: BUILD, MODEL, PYTHON, LF_SANITIZED. Prints "N passed, M failed".
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" tests/check_server_endpoints.py "${BUILD:-build}/llama-fast" \
    "${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}"
