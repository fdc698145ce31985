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
DATA=${LF_TEST_DATA:-../shared/data}
if ! PY=$(scripts/torch-venv.sh "$BUILD/venv-torch"); then
    echo "scripts/torch-venv.sh failed (it needs: apt-get install python3-torch python3-venv)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" tests/check_hf_loader.py "$BUILD" "$DATA" "$work"
