#!/bin/bash
# /v1/embeddings equals transformers' pooled final hidden states on a tiny random Llama
# served from its Hugging Face directory (tests/check_embeddings_transformers.py), run in
# the Python environment of scripts/torch-venv.sh. Prints "N passed, M failed".
# Environment: BUILD.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/torch_check.sh
torch_check tests/check_embeddings_transformers.py "$BUILD" WORK
