#!/bin/bash
# Builds bench/peak.c when needed and runs it: f32 FMA, bf16 and int8 dot peaks, 1 and 2 threads.
# usage: bench/peak.sh [--threads 1,2] [--reps 5] [--ms 200] [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
if [ ! -x "$BUILD/bench/peak" ] || [ bench/peak.c -nt "$BUILD/bench/peak" ]; then
    BUILD=$BUILD bench/build.sh
fi
exec "$BUILD/bench/peak" "$@"
