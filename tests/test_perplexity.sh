#!/bin/bash
# llama-fast eval --perplexity (and --base) against a reference computed from
# transformers' logits by llama-perplexity's formulas (tests/check_perplexity.py, in the
# torch environment of scripts/torch-venv.sh). Prints "N passed, M failed".
# Environment: BUILD, LF_TEST_DATA.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/torch_check.sh
torch_check tests/check_perplexity.py "$BUILD" "${LF_TEST_DATA:-../shared/data}" WORK
