#!/bin/bash
# make install / make uninstall, used as a packager and a library user would: the files
# land under PREFIX (and DESTDIR), the shared library carries its soname, a program outside
# the tree (tests/installed_app.c) builds with `pkg-config --cflags --libs llamafast`
# against the shared library and with --static against the static one, and both give the
# installed llama-fast's tokens; make uninstall leaves nothing behind.
# Prints "N passed, M failed[, K skipped]". Environment: BUILD, LF_TEST_DATA, LF_SANITIZED.
cd "$(dirname "$0")/.."
. tests/lib.sh
skip=0
CC=${CC:-cc}
STORIES=${LF_TEST_DATA:-../shared/data}/models/stories260K.bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Not the MAKEFLAGS of a `make test` this may run under: its jobserver is not ours.
mk() { env -u MAKEFLAGS -u MAKELEVEL make --no-print-directory -s BUILD="${BUILD:-build}" "$@"; }
# The sanitized build's libraries need the sanitizer runtime in the program too.
SAN_FLAGS=""
[ "${LF_SANITIZED:-0}" = 1 ] && SAN_FLAGS="-fsanitize=address,undefined"

prefix=$work/usr
mk install PREFIX="$prefix" >"$work/install.log" 2>&1 && ok || bad "make install: $(tail -n 5 "$work/install.log")"
version=$(sed -n 's/^#define LF_VERSION_\(MAJOR\|MINOR\|PATCH\) *\([0-9]*\)$/\2/p' include/llamafast.h | paste -sd.)
major=${version%%.*}
for f in bin/llama-fast include/llamafast.h lib/libllamafast.a "lib/libllamafast.so.$version" \
    lib/pkgconfig/llamafast.pc; do
    [ -f "$prefix/$f" ] && ok || bad "make install did not install $f"
done
[ "$(readlink "$prefix/lib/libllamafast.so.$major")" = "libllamafast.so.$version" ] && ok ||
    bad "lib/libllamafast.so.$major is not a link to libllamafast.so.$version"
[ "$(readlink "$prefix/lib/libllamafast.so")" = "libllamafast.so.$major" ] && ok ||
    bad "lib/libllamafast.so is not a link to libllamafast.so.$major"
readelf -d "$prefix/lib/libllamafast.so.$version" | grep -q "(SONAME).*\[libllamafast\.so\.$major\]" && ok ||
    bad "no soname libllamafast.so.$major: $(readelf -d "$prefix/lib/libllamafast.so.$version" | grep SONAME)"

# The installed program runs from anywhere, by name on PATH.
out=$(cd "$work" && PATH="$prefix/bin:$PATH" llama-fast --help 2>&1)
[ $? = 0 ] && grep -q "^usage: llama-fast" <<<"$out" && ok || bad "installed llama-fast --help: $out"
out=$(cd "$work" && PATH="$prefix/bin:$PATH" llama-fast --version 2>&1)
[ "$out" = "llama-fast $version" ] && ok || bad "installed llama-fast --version: $out"

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[ "$(pkg-config --modversion llamafast)" = "$version" ] && ok || bad "pkg-config --modversion: $(pkg-config --modversion llamafast 2>&1)"
pkg-config --static --libs llamafast | grep -q -- "-lllamafast .*-ljansson.*-lz.*-lm.*-lpthread" && ok ||
    bad "pkg-config --static --libs: $(pkg-config --static --libs llamafast)"

# What the programs must print: the versions, the error, the model's shape as llama2.c's
# stories260K is (dim 64, 5 layers, 8 heads, 4 kv heads, vocab 512), and the tokens the
# installed program generates greedily after BOS.
tokens=$(PATH="$prefix/bin:$PATH" llama-fast generate "$STORIES" --prompt-tokens 1 --temperature 0 \
    --print-token-ids --max-new-tokens 8 -t 1 2>/dev/null)
[ "$(wc -w <<<"$tokens")" = 8 ] && ok || bad "installed llama-fast generate: '$tokens'"
expected="header $version library $version
missing file: LF_ERR_IO (/nonexistent/model.gguf: cannot open: No such file or directory)
dim 64 layers 5 heads 8 kv_heads 4 vocab 512
tokens: $(echo $tokens)"

# shellcheck disable=SC2046
if $CC $SAN_FLAGS -o "$work/app_shared" tests/installed_app.c $(pkg-config --cflags --libs llamafast) 2>"$work/cc.log"; then
    ok
    readelf -d "$work/app_shared" | grep -q "(NEEDED).*\[libllamafast\.so\.$major\]" && ok || bad "app_shared does not need libllamafast.so.$major"
    out=$(LD_LIBRARY_PATH="$prefix/lib" "$work/app_shared" "$STORIES" 2>&1)
    [ "$out" = "$expected" ] && ok || bad "app against the shared library printed:
$out
expected:
$expected"
    LD_LIBRARY_PATH="$prefix/lib" ldd "$work/app_shared" | grep -q "libllamafast.so.$major => $prefix/lib/" && ok ||
        bad "app_shared does not load $prefix/lib/libllamafast.so.$major"
else
    bad "building against the shared library: $(head -c 600 "$work/cc.log")"
fi

# AddressSanitizer cannot make a static executable: the sanitized run skips this.
if [ -n "$SAN_FLAGS" ]; then
    skip=$((skip + 1))
# shellcheck disable=SC2046
elif $CC -static -o "$work/app_static" tests/installed_app.c $(pkg-config --static --cflags --libs llamafast) 2>"$work/cc.log"; then
    ok
    ! readelf -d "$work/app_static" | grep -q NEEDED && ok || bad "app_static needs shared libraries: $(readelf -d "$work/app_static" | grep NEEDED)"
    out=$("$work/app_static" "$STORIES" 2>&1)
    [ "$out" = "$expected" ] && ok || bad "app against the static library printed:
$out
expected:
$expected"
else
    bad "building against the static library: $(head -c 600 "$work/cc.log")"
fi

mk uninstall PREFIX="$prefix" >"$work/uninstall.log" 2>&1 && ok || bad "make uninstall: $(tail -n 5 "$work/uninstall.log")"
left=$(find "$prefix" ! -type d)
[ -z "$left" ] && ok || bad "make uninstall left: $left"

# A packager's staged install: DESTDIR in front of every path, the .pc file without it.
stage=$work/stage
mk install PREFIX=/opt/llama-fast DESTDIR="$stage" >"$work/install.log" 2>&1 && ok || bad "make install DESTDIR: $(tail -n 5 "$work/install.log")"
[ -x "$stage/opt/llama-fast/bin/llama-fast" ] && [ -f "$stage/opt/llama-fast/lib/libllamafast.so.$version" ] && ok ||
    bad "DESTDIR install: $(find "$stage" | head -n 20)"
grep -qx "prefix=/opt/llama-fast" "$stage/opt/llama-fast/lib/pkgconfig/llamafast.pc" && ok ||
    bad "staged llamafast.pc: $(head -n 3 "$stage/opt/llama-fast/lib/pkgconfig/llamafast.pc")"
mk uninstall PREFIX=/opt/llama-fast DESTDIR="$stage" >/dev/null 2>&1
left=$(find "$stage" ! -type d)
[ -z "$left" ] && ok || bad "make uninstall DESTDIR left: $left"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
