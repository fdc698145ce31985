#!/bin/bash
# Memory read bandwidth, 1 and 2 threads (bench/bandwidth.c, built when needed).
# usage: bench/bandwidth.sh [--threads 1,2] [--streams 8] [--mib 1024] [--reps 10] [--json]
exec "$(dirname "$0")/tool.sh" bandwidth "$@"
