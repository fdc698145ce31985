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
. tests/torch_check.sh
torch_check tests/check_model_metadata.py "$BUILD" "${LF_TEST_DATA:-../shared/data}" WORK \
    "${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}"
