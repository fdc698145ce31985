#!/bin/sh
# A Python environment with PyTorch for the tests that compare against real libraries:
# Debian's python3-torch (CPU-only, small; the package index's torch pulls gigabytes of
# GPU libraries) plus transformers at a version that works with torch 1.13, safetensors,
# tokenizers, sentencepiece and protobuf (for LlamaTokenizerFast's conversion), jinja2 (chat
# templates).
#
#   scripts/torch-venv.sh DIR     creates DIR (once; quick when it is there) and prints
#                                 the path of its python
# Needs the Debian packages python3-torch and python3-venv.
set -eu
DIR=${1:?usage: scripts/torch-venv.sh DIR}
PY=$DIR/bin/python
STAMP=$DIR/.llama-fast-ready
PACKAGES="transformers==4.46.3 safetensors tokenizers sentencepiece protobuf jinja2"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$PACKAGES" ]; then
    /usr/bin/python3 -c "import torch" 2>/dev/null ||
        { echo "torch-venv: /usr/bin/python3 has no torch (apt-get install python3-torch)" >&2; exit 1; }
    [ -x "$PY" ] || /usr/bin/python3 -m venv --system-site-packages "$DIR" >&2
    # shellcheck disable=SC2086
    "$PY" -m pip install --quiet --disable-pip-version-check $PACKAGES >&2
    "$PY" -c "import torch, transformers, safetensors, tokenizers" >&2
    echo "$PACKAGES" >"$STAMP"
fi
echo "$PY"
