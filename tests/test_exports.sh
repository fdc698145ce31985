#!/bin/bash
# The libraries a program links export only the public API: every global symbol defined in
# libllamafast.a and libllamafast.so starts with lf_ (scripts/check-exports.sh), so their
# internal names (gguf_*, tokenizer_*, ...) cannot clash with those of the program or of
# other libraries (ggml has gguf_* too); the shared library exports exactly the functions
# include/llamafast.h declares. Prints "N passed, M failed". Environment: BUILD.
cd "$(dirname "$0")/.."
. tests/lib.sh
LIBA=${BUILD:-build}/libllamafast.a
SHLIB=$(ls "${BUILD:-build}"/libllamafast.so.*.*.* 2>/dev/null | head -n 1)
[ -n "$SHLIB" ] && ok || bad "no ${BUILD:-build}/libllamafast.so.MAJOR.MINOR.PATCH"

for lib in "$LIBA" $SHLIB; do
    out=$(scripts/check-exports.sh "$lib" 2>&1) && ok || bad "$out"
done

# The checker itself fails on a library with a name outside lf_.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'int lf_fine(void) { return 1; }\nint gguf_find_tensor(void) { return 2; }\n' >"$work/clash.c"
cc -c -fPIC -o "$work/clash.o" "$work/clash.c" && ar rcs "$work/libclash.a" "$work/clash.o"
cc -shared -o "$work/libclash.so" "$work/clash.o"
for lib in "$work/libclash.a" "$work/libclash.so"; do
    out=$(scripts/check-exports.sh "$lib" 2>&1)
    if [ $? -ne 0 ] && grep -q gguf_find_tensor <<<"$out" && ! grep -q lf_fine <<<"$out"; then ok
    else bad "check-exports.sh on $(basename "$lib"): $out"; fi
done

nm -g --defined-only "$LIBA" | awk 'NF == 3 { print $3 }' | grep -qx lf_model_load && ok || bad "lf_model_load is not in $LIBA"
# What the header declares, the shared library exports, and nothing more.
declared=$(grep -o '\blf_[a-z0-9_]*[[:space:]]*(' include/llamafast.h | sed 's/[[:space:]]*($//' | sort -u)
exported=$(nm -D --defined-only "$SHLIB" | awk 'NF == 3 { print $3 }' | sort -u)
[ "$(wc -l <<<"$declared")" -gt 50 ] && ok || bad "read only $(wc -l <<<"$declared") functions from include/llamafast.h"
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
[ -z "$missing" ] && ok || bad "declared in llamafast.h but not exported: $missing"
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
[ -z "$extra" ] && ok || bad "exported but not in llamafast.h: $(head -c 400 <<<"$extra")"
readelf -d "$SHLIB" | grep -q "SONAME.*\[libllamafast\.so\.[0-9]*\]" && ok || bad "$SHLIB has no soname libllamafast.so.MAJOR"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
