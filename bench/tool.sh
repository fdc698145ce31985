#!/bin/bash
# Builds the bench/ program NAME (bench/NAME.c) when needed and runs it with the rest of
# the arguments; bench/bandwidth.sh and bench/peak.sh are this for their program.
# usage: bench/tool.sh NAME [ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,4p' "$0"; exit 2; }
name=$1
shift
BUILD=${BUILD:-build}
if [ ! -x "$BUILD/bench/$name" ] || [ "bench/$name.c" -nt "$BUILD/bench/$name" ] ||
    [ bench/parse_list.h -nt "$BUILD/bench/$name" ]; then
    BUILD=$BUILD bench/build.sh
fi
exec "$BUILD/bench/$name" "$@"
