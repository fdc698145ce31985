#!/bin/bash
# Builds the standalone benchmark programs of bench/ into $BUILD/bench (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
mkdir -p "$BUILD/bench"
for prog in bandwidth peak; do
    "$CC" -std=c11 -O2 -pthread -Wall -Wextra -Werror -o "$BUILD/bench/$prog" "bench/$prog.c"
done
