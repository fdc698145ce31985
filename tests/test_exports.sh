#!/bin/bash
# The library a program links exports only the public API: every global symbol defined
# in libllamafast.a starts with lf_, so its internal names (gguf_*, tokenizer_*, ...)
# cannot clash with those of the program or of other libraries (ggml has gguf_* too).
# Prints "N passed, M failed". Environment: BUILD.
cd "$(dirname "$0")/.."
. tests/lib.sh
LIBA=${BUILD:-build}/libllamafast.a
exported=$(nm -g --defined-only "$LIBA" 2>/dev/null | awk 'NF == 3 { print $3 }')
if [ -n "$exported" ]; then ok; else bad "no symbols read from $LIBA"; fi
others=$(printf '%s\n' "$exported" | grep -v '^lf_')
if [ -z "$others" ]; then ok; else bad "$(printf '%s\n' "$others" | wc -l) symbols without lf_: $(printf '%s ' $others | head -c 400)"; fi
printf '%s\n' "$exported" | grep -qx lf_model_load && ok || bad "lf_model_load is not exported"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
