#!/bin/bash
# Hugging Face checkpoints written by transformers, quantized (quantize --type Q8_0) and
# exported (export --quantize to a GGUF and an executable) keep transformers' logits;
# the executable runs with the checkpoint gone. The checks are in
# tests/check_export_hf.py, run in the Python environment of scripts/torch-venv.sh (as
# tests/test_load_quantize.sh does). Prints "N passed, M failed". Environment: BUILD.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/torch_check.sh
torch_check tests/check_export_hf.py "$BUILD" WORK
