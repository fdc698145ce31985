#!/bin/bash
# f32 FMA, bf16 and int8 dot peaks, 1 and 2 threads (bench/peak.c, built when needed).
# usage: bench/peak.sh [--threads 1,2] [--reps 5] [--ms 200] [--json]
exec "$(dirname "$0")/tool.sh" peak "$@"
