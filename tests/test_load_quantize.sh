#!/bin/bash
# Hugging Face checkpoints written by transformers, quantized or converted at load
# (--quantize, --dtype), give transformers' logits for the same arithmetic; bad schemes
# fail naming the field. The checks are in tests/check_load_quantize.py, run in the
# Python environment of scripts/torch-venv.sh (as tests/test_hf_loader.sh does).
# Prints "N passed, M failed". Environment: BUILD.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/torch_check.sh
torch_check tests/check_load_quantize.py "$BUILD" WORK
