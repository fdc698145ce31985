#!/bin/bash
# The GGUF metadata written for Hugging Face, PyTorch and llama2.c sources (src/convert):
# llama-fast reads it back with the source's logits and token ids, llama.cpp's own
# converter writes the same keys, and llama.cpp runs the file as it runs its conversion.
# The checks are in tests/check_model_metadata.py, run in the Python environment of
# scripts/torch-venv.sh (created once under $BUILD/venv-torch). Prints "N passed, M failed".
# Environment: BUILD, LF_TEST_DATA, MODEL (SmolLM2 GGUF: its vocabulary is reused).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DATA=${LF_TEST_DATA:-../shared/data}
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
if ! PY=$(scripts/torch-venv.sh "$BUILD/venv-torch"); then
    echo "scripts/torch-venv.sh failed (it needs: apt-get install python3-torch python3-venv)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" tests/check_model_metadata.py "$BUILD" "$DATA" "$work" "$MODEL"
