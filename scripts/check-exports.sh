#!/bin/sh
# Fails, naming them, when a library defines a global symbol without the lf_ prefix: such a
# name (gguf_find_tensor, zip_close, ...) could clash with the program's own or another
# library's (ggml, libzip). Usage: scripts/check-exports.sh LIB.a|LIB.so...
set -u
status=0
for lib in "$@"; do
    case $lib in
    *.a) syms=$(nm -g --defined-only "$lib") || { echo "$lib: nm failed" >&2; exit 2; } ;;
    *) syms=$(nm -D --defined-only "$lib") || { echo "$lib: nm failed" >&2; exit 2; } ;;
    esac
    names=$(printf '%s\n' "$syms" | awk 'NF == 3 { print $3 }')
    if [ -z "$names" ]; then
        echo "$lib: defines no global symbol" >&2
        status=1
        continue
    fi
    others=$(printf '%s\n' "$names" | grep -v '^lf_')
    if [ -n "$others" ]; then
        echo "$lib: $(printf '%s\n' "$others" | wc -l) global symbols without the lf_ prefix:" >&2
        printf '  %s\n' $others >&2
        status=1
    fi
done
exit $status
