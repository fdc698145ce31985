#!/bin/bash
# Hugging Face checkpoints written by transformers, quantized or converted at load
# (--quantize, --dtype), give transformers' logits for the same arithmetic; bad schemes
# fail naming the field. The checks are in tests/check_load_quantize.py, run in the
# Python environment of scripts/torch-venv.sh (as tests/test_hf_loader.sh does).
# Prints "N passed, M failed". Environment: BUILD.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
if ! PY=$(scripts/torch-venv.sh "$BUILD/venv-torch"); then
    echo "scripts/torch-venv.sh failed (it needs: apt-get install python3-torch python3-venv)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" tests/check_load_quantize.py "$BUILD" "$work"
