#!/bin/sh
# Builds llama.cpp's llama-bench, the peer that bench/compare.py measures llama-fast against,
# in two versions side by side: the newest llama.cpp (every ratio is against it) and b4875
# (the peer of the earlier tables in bench/RESULTS.md, kept as a second column).
#
# GitHub is not reachable from the machines this project runs on, so llama.cpp comes from
# the Python package index: the source distribution of llama-cpp-python vendors a complete
# llama.cpp checkout under vendor/llama.cpp. The versions are pinned below.
#
#   newest: llama-cpp-python 0.3.36 (the newest on PyPI on 2026-12-04) vendors llama.cpp commit
#     0c1e57098bba43ac29e6e3b677cdceebdd22334f ("webgpu: fix SSM_SCAN binding aliasing (#29750)",
#     2026-10-01) = upstream release b11312. The sdist says the commit (its CHANGELOG.md:
#     "update llama.cpp to ggml-org/llama.cpp@0c1e57098"; the vendored HEAD) but not the build
#     number, which upstream computes as `git rev-list --count HEAD` on the full history; the
#     number comes from published records naming that commit with that build (release images
#     tagged `b11312-0c1e57098`, `llama.cpp server build 11312 (0c1e57098)`); bench/RESULTS.md
#     ("The newest llama.cpp as the peer") has the details.
#   b4875: llama-cpp-python 0.3.8 vendors llama.cpp commit 7841fc723e059d1fd9640e5c0ef19050fcc7c698
#     ("llama : Add Gemma 3 support", 2025-03-12) = upstream release tag b4875.
#
# The sdists' git checkouts of llama.cpp are shallow (depth 1), so llama-bench reports the
# right build_commit but build_number 1; the real build number is the tag below.
#
# Output: third_party/llama.cpp-build-VERSION/bin/ (VERSION = llama-cpp-python's), reached
# through the stable links third_party/llama.cpp-newest and third_party/llama.cpp-b4875
# (git-ignored; never commit them). The newest build also makes llama-quantize,
# llama-imatrix, llama-simple, llama-perplexity and llama-server. Idempotent: does nothing but print the build info when
# the binaries exist.
#
# A third build, avx2, is the newest compiled for AVX2 without AVX-512 (GGML_NATIVE=OFF: ggml's
# portable x86 set, AVX2 + FMA + F16C + BMI2): beside llama-fast capped to its avx2 kernel set
# (LLAMA_FAST_SIMD=avx2) it stands in for an AVX2-only machine on a CPU that has AVX-512
# (bench/run-all.sh's avx2 table). It is not part of `all`.
#
# `tools` builds only what the tests compare against (llama-quantize, llama-imatrix,
# llama-simple and llama-perplexity of the newest), reached through third_party/llama.cpp-tools:
# .ci/run uses it. It is compiled for ggml's portable x86 set (GGML_NATIVE=OFF, as avx2):
# a native build uses AMX where the CPU lists it, and some machines here list AMX but fault
# on its tile instructions (SIGILL), which would fail the tests for the peer's sake; the
# references are outputs (bytes, perplexities), not speeds, so the portable set serves.
#
# Usage: bench/build-llama-cpp.sh [newest|tools|b4875|avx2|all] [--force]     (default: newest)
# Environment: JOBS (parallel compile jobs; default: the CPU count)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TP="$ROOT/third_party"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

which=newest
force=0
for arg in "$@"; do
    case "$arg" in
        newest|tools|b4875|avx2|all) which=$arg ;;
        --force) force=1 ;;
        *) echo "usage: $0 [newest|tools|b4875|avx2|all] [--force]" >&2; exit 2 ;;
    esac
done

# pin LABEL -> sets VERSION (llama-cpp-python), COMMIT, TAG (upstream build), TARGETS,
# NATIVE (GGML_NATIVE) and the build directory's name.
pin() {
    NATIVE=ON
    SUFFIX=
    case "$1" in
        newest|tools|avx2)
            VERSION=0.3.36
            COMMIT=0c1e57098bba43ac29e6e3b677cdceebdd22334f
            TAG=b11312
            TARGETS="llama-bench llama-quantize llama-imatrix llama-simple llama-perplexity llama-server"
            if [ "$1" = tools ]; then
                TARGETS="llama-quantize llama-imatrix llama-simple llama-perplexity"
                NATIVE=OFF
                SUFFIX=-portable
            fi
            if [ "$1" = avx2 ]; then
                TARGETS="llama-bench"
                NATIVE=OFF
                SUFFIX=-avx2
            fi ;;
        b4875)
            VERSION=0.3.8
            COMMIT=7841fc723e059d1fd9640e5c0ef19050fcc7c698
            TAG=b4875
            TARGETS="llama-bench" ;;
    esac
    SDIST="$TP/llama_cpp_python-$VERSION.tar.gz"
    SRC="$TP/llama_cpp_python-$VERSION/vendor/llama.cpp"
    BUILD="$TP/llama.cpp-build-$VERSION$SUFFIX"
    LINK="$TP/llama.cpp-$1"
    [ "$1" = tools ] && LINK="$TP/llama.cpp-tools"
    return 0
}

build_info() {
    echo "llama.cpp $1: llama-cpp-python $VERSION sdist, vendored commit $COMMIT (upstream $TAG)"
    # What llama-bench reports as build_number / build_commit (compiled from this file;
    # build_number is 1 because the vendored checkout is shallow).
    # (b4875 writes it into the source tree, the newest into the build directory.)
    for info in "$BUILD/common/build-info.cpp" "$SRC/common/build-info.cpp"; do
        [ -f "$info" ] || continue
        printf 'llama-bench reports: build_number %s, build_commit %s\n' \
            "$(sed -n 's/.*LLAMA_BUILD_NUMBER = \([0-9]*\);.*/\1/p' "$info")" \
            "$(sed -n 's/.*LLAMA_COMMIT = "\(.*\)";.*/\1/p' "$info")"
        break
    done
    echo "binaries: $LINK/bin/ ($TARGETS)"
}

built() {
    for t in $TARGETS; do
        [ -x "$BUILD/bin/$t" ] || return 1
    done
}

# The stable link, the tag bench/compare.py names the peer's column after, the build info.
finish() {
    echo "$TAG" > "$BUILD/upstream-build"
    ln -sfn "$(basename "$BUILD")" "$LINK"
    build_info "$1"
}

build_one() {
    pin "$1"
    if [ $force -eq 1 ]; then
        rm -rf "$BUILD"
    elif built; then
        echo "llama.cpp $1 already built (pass --force to rebuild)"
        finish "$1"
        return 0
    fi

    mkdir -p "$TP"
    if [ ! -f "$SDIST" ]; then
        echo "downloading llama-cpp-python==$VERSION (source distribution) into $TP"
        python3 -m pip download --no-binary :all: --no-deps --dest "$TP" \
            "llama-cpp-python==$VERSION"
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
    if [ "$got" != unknown ] && [ "$got" != "$COMMIT" ]; then
        echo "warning: vendored llama.cpp is $got, expected $COMMIT" >&2
    fi

    # Options of both versions: unknown ones (LLAMA_CURL is gone from the newest, the
    # LLAMA_BUILD_TOOLS/UI/APP and LLAMA_OPENSSL ones are new since b4875) only draw a warning.
    # No UI: the newest would otherwise fetch a prebuilt web UI over the network.
    echo "configuring llama.cpp $TAG in $BUILD"
    cmake -S "$SRC" -B "$BUILD" \
        -DCMAKE_BUILD_TYPE=Release \
        -DGGML_NATIVE="$NATIVE" \
        -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_OPENCL=OFF \
        -DGGML_SYCL=OFF -DGGML_HIP=OFF -DGGML_KOMPUTE=OFF -DGGML_RPC=OFF \
        -DBUILD_SHARED_LIBS=OFF \
        -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
        -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_TOOLS=ON \
        -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
        -DLLAMA_BUILD_APP=OFF

    echo "building $TARGETS with $JOBS jobs"
    # shellcheck disable=SC2086 # TARGETS is a list
    cmake --build "$BUILD" --config Release --target $TARGETS -j "$JOBS"

    if ! built; then
        echo "error: not every one of $TARGETS was produced in $BUILD/bin" >&2
        exit 1
    fi
    finish "$1"
}

if [ "$which" = all ]; then
    build_one newest
    build_one b4875
else
    build_one "$which"
fi
