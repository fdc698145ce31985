#!/bin/bash
# Hugging Face model directories written by the real libraries (transformers, safetensors,
# tokenizers) load in llama-fast with the same logits and token ids; broken ones fail
# with clear errors. The checks are in tests/check_hf_loader.py, run in the Python
# environment of scripts/torch-venv.sh (Debian's python3-torch + transformers), created
# once under $BUILD/venv-torch. Prints "N passed, M failed".
# Environment: BUILD, LF_TEST_DATA.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/torch_check.sh
torch_check tests/check_hf_loader.py "$BUILD" "${LF_TEST_DATA:-../shared/data}" WORK
