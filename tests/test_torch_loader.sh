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
if ! PY=$(scripts/torch-venv.sh "$BUILD/venv-torch"); then
    echo "scripts/torch-venv.sh failed (it needs: apt-get install python3-torch python3-venv)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" tests/check_torch_loader.py "$BUILD" "$work"
