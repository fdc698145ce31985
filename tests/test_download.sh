#!/bin/bash
# llama-fast download / list / where / remove against a fake Hugging Face hub and Python
# package index on 127.0.0.1 (tests/check_download.py): repositories and aliases, resume
# after a dropped connection and after Ctrl-C (only from the same file: ETag, If-Range),
# files that changed on the hub, corrupt files (sha256, git blob id), gated repositories,
# names that try to leave the store, the smollm2 wheel fallback, a name meaning the store's model
# from every directory (not a file of that name there). Prints "N passed, M failed".
# Environment: BUILD, MODEL, LF_TEST_DATA, PYTHON.
set -u
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" tests/check_download.py "${BUILD:-build}" "${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}" \
    "${LF_TEST_DATA:-../shared/data}"
