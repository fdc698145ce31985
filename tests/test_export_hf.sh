#!/bin/bash
# Hugging Face checkpoints written by transformers, quantized (quantize --type Q8_0) and
# exported (export --quantize to a GGUF and an executable) keep transformers' logits;
# the executable runs with the checkpoint gone. The checks are in
# tests/check_export_hf.py, run in the Python environment of scripts/torch-venv.sh (as
# tests/test_load_quantize.sh does). Prints "N passed, M failed". Environment: BUILD.
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
"$PY" tests/check_export_hf.py "$BUILD" "$work"
