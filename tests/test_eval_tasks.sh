#!/bin/bash
# `llama-fast eval --task` scores every multiple-choice task as a Python reference of
# lm-evaluation-harness does on transformers' logits (tests/check_eval_tasks.py), run in
# the environment of scripts/torch-venv.sh. Prints "N passed, M failed".
# Environment: BUILD.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/torch_check.sh
torch_check tests/check_eval_tasks.py "$BUILD" WORK
