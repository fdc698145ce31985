#!/bin/sh
# Builds llama.cpp's llama-bench, the peer that bench/compare.py measures llama-fast against.
#
# GitHub is not reachable from the machines this project runs on, so llama.cpp comes from
# the Python package index: the source distribution of llama-cpp-python vendors a complete
# llama.cpp checkout under vendor/llama.cpp. The version is pinned below.
#
#   llama-cpp-python 0.3.8 vendors llama.cpp commit 7841fc723e059d1fd9640e5c0ef19050fcc7c698
#   ("llama : Add Gemma 3 support", 2025-03-12) = upstream release tag b4875.
#   (0.3.7 vendors 794fe23f = b4579; the issue quotes b4748, which lies between the two
#   releases and nearer to 0.3.8's.)
#
# The sdist's git checkout of llama.cpp is shallow (depth 1), so llama-bench reports
# build_commit 7841fc72 but build_number 1; the real build number is LLAMA_CPP_BUILD below.
#
# Output: third_party/llama.cpp-build/bin/llama-bench (git-ignored; never commit it).
# Idempotent: does nothing but print the build info when the binary already exists.
# Usage: bench/build-llama-cpp.sh [--force]
set -eu

LLAMA_CPP_PYTHON_VERSION=0.3.8
LLAMA_CPP_COMMIT=7841fc723e059d1fd9640e5c0ef19050fcc7c698
LLAMA_CPP_BUILD=b4875

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TP="$ROOT/third_party"
SDIST="$TP/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION.tar.gz"
SRC="$TP/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
BUILD="$TP/llama.cpp-build"
BIN="$BUILD/bin/llama-bench"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

build_info() {
    echo "llama.cpp: llama-cpp-python $LLAMA_CPP_PYTHON_VERSION sdist, vendored commit $LLAMA_CPP_COMMIT (upstream $LLAMA_CPP_BUILD)"
    # What llama-bench reports as build_number / build_commit (compiled from this file;
    # build_number is 1 because the vendored checkout is shallow).
    if [ -f "$SRC/common/build-info.cpp" ]; then
        printf 'llama-bench reports: build_number %s, build_commit %s\n' \
            "$(sed -n 's/.*LLAMA_BUILD_NUMBER = \([0-9]*\);.*/\1/p' "$SRC/common/build-info.cpp")" \
            "$(sed -n 's/.*LLAMA_COMMIT = "\(.*\)";.*/\1/p' "$SRC/common/build-info.cpp")"
    fi
    echo "binary: $BIN"
}

if [ "${1:-}" = "--force" ]; then
    rm -rf "$BUILD"
elif [ -x "$BIN" ]; then
    echo "llama-bench already built (pass --force to rebuild)"
    build_info
    exit 0
fi

mkdir -p "$TP"
if [ ! -f "$SDIST" ]; then
    echo "downloading llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION (source distribution) into $TP"
    python3 -m pip download --no-binary :all: --no-deps --dest "$TP" \
        "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION"
fi
if [ ! -f "$SRC/CMakeLists.txt" ]; then
    echo "unpacking $SDIST"
    tar -xzf "$SDIST" -C "$TP"
fi
if [ ! -f "$SRC/CMakeLists.txt" ]; then
    echo "error: $SRC/CMakeLists.txt not found after unpacking" >&2
    exit 1
fi

# Check that the sdist vendors the commit this script claims (when its git metadata works).
got=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$got" != unknown ] && [ "$got" != "$LLAMA_CPP_COMMIT" ]; then
    echo "warning: vendored llama.cpp is $got, expected $LLAMA_CPP_COMMIT" >&2
fi

echo "configuring llama.cpp in $BUILD"
cmake -S "$SRC" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=ON \
    -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_OPENCL=OFF \
    -DGGML_SYCL=OFF -DGGML_HIP=OFF -DGGML_KOMPUTE=OFF -DGGML_RPC=OFF \
    -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_SERVER=OFF \
    -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=ON

echo "building llama-bench with $JOBS jobs"
cmake --build "$BUILD" --config Release --target llama-bench -j "$JOBS"

if [ ! -x "$BIN" ]; then
    echo "error: $BIN was not produced" >&2
    exit 1
fi
build_info
