#!/bin/bash
# PyTorch checkpoints written by torch.save (Meta's consolidated.00.pth + params.json and
# torchchat's model.pth with a fused wqkv) load in llama-fast with transformers' logits;
# hostile pickles (os.system, eval, subprocess, arbitrary reduces) and broken checkpoints
# are refused with clear errors. The checks are in tests/check_torch_loader.py, run in the
# Python environment of scripts/torch-venv.sh (Debian's python3-torch + transformers),
# created once under $BUILD/venv-torch. Prints "N passed, M failed".
# Environment: BUILD.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/torch_check.sh
torch_check tests/check_torch_loader.py "$BUILD" WORK
