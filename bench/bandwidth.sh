#!/bin/bash
# Builds bench/bandwidth.c when needed and runs it: memory read bandwidth, 1 and 2 threads.
# usage: bench/bandwidth.sh [--threads 1,2] [--streams 8] [--mib 1024] [--reps 10] [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
if [ ! -x "$BUILD/bench/bandwidth" ] || [ bench/bandwidth.c -nt "$BUILD/bench/bandwidth" ]; then
    BUILD=$BUILD bench/build.sh
fi
exec "$BUILD/bench/bandwidth" "$@"
