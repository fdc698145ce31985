#!/bin/bash
# `llama-fast export --output-exe-path`: one executable with SmolLM2 inside, run with the
# GGUF gone (exported from a copy that is then deleted): generate answers "Paris", info
# names the model and where it lies, a running server maps the executable at the model's
# offset with no heap copy of the weights, an explicit MODEL still wins, and a truncated
# or damaged trailer or model is a clear error, not a crash.
# Prints "N passed, M failed". Environment: BUILD, MODEL, LF_SANITIZED.
cd "$(dirname "$0")/.."
. tests/lib.sh
ROOT=$PWD
tmp=$(mktemp -d)
cleanup() {
    stop_servers TERM
    rm -rf "$tmp"
}
trap cleanup EXIT
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" = 0 ]
    exit
}
if [ ! -f "$MODEL" ]; then
    echo "SKIP: $MODEL is missing"
    finish
fi
BIN=$ROOT/$BIN
# the steps below run from a temporary directory
LF_TEST_DATA=$(cd "${LF_TEST_DATA:-$ROOT/../shared/data}" && pwd)
mkdir "$tmp/src" "$tmp/run"
cp "$MODEL" "$tmp/src/model.gguf"
"$BIN" export "$tmp/src/model.gguf" --output-exe-path "$tmp/run/smol" 2>"$tmp/export.log"
[ $? = 0 ] && [ -x "$tmp/run/smol" ] && ok || bad "export failed: $(tail -n 3 "$tmp/export.log")"
[ ! -e "$tmp/run/smol.part" ] && ok || bad "smol.part left behind"
# refused before anything is written: onto its own input, from a source that is not a GGUF
err=$("$BIN" export "$tmp/src/model.gguf" --output-exe-path "$tmp/src/model.gguf" 2>&1)
[ $? = 1 ] && cmp -s "$MODEL" "$tmp/src/model.gguf" && case $err in *"overwrite its own input"*) true ;; *) false ;; esac &&
    ok || bad "export onto its own input: $err"
# a source that is not a GGUF goes through a temporary GGUF beside the output, removed
err=$("$BIN" export "$LF_TEST_DATA/models/stories260K.bin" --output-exe-path "$tmp/x/s" 2>&1)
[ $? = 1 ] && [ ! -e "$tmp/x" ] && case $err in *"$tmp/x/s"*) true ;; *) false ;; esac &&
    ok || bad "exe into a missing directory: $err"
mkdir "$tmp/bin"
err=$("$BIN" export "$LF_TEST_DATA/models/stories260K.bin" --output-exe-path "$tmp/bin/s" 2>&1)
ids() { timeout $((120 * SLOW)) "$@" --temperature 0 --print-token-ids --max-new-tokens 20 2>/dev/null; }
want=$(ids "$BIN" generate "$LF_TEST_DATA/models/stories260K.bin")
[ "$(ls "$tmp/bin")" = s ] && [ -n "$want" ] && [ "$(ids "$tmp/bin/s" generate)" = "$want" ] &&
    ok || bad "exe from a .bin: $err; $(ls "$tmp/bin")"
rm -f "$tmp/src/model.gguf"
size=$(stat -c %s "$tmp/run/smol")
cd "$tmp/run" || finish

# generate and info with no model file anywhere near
out=$(timeout $((120 * SLOW)) ./smol generate --prompt "The capital of France is" --max-new-tokens 8 \
      --temperature 0 2>"$tmp/gen.log")
case $out in *Paris*) ok ;; *) bad "generate: '$out' $(tail -n 3 "$tmp/gen.log")" ;; esac
info=$(./smol info 2>&1)
case $info in *"name:            Smollm2"*) ok ;; *) bad "info does not name the model: $info" ;; esac
offset=$(printf '%s\n' "$info" | sed -n 's/^embedded:.* at offset \([0-9]*\) .*/\1/p')
if [ -n "$offset" ] && [ $((offset % 65536)) = 0 ]; then ok; else bad "info gives no 64 KiB-aligned offset: $info"; fi
# an explicit model wins over the embedded one
"$BIN" export "$LF_TEST_DATA/models/stories260K.bin" --output-bin-path "$tmp/s.bin" 2>/dev/null
case $(./smol info "$tmp/s.bin" 2>&1) in *"llama2.c v0"*) ok ;; *) bad "an explicit MODEL did not win" ;; esac

# a running server maps the model from the executable, not into the heap
start_server "$tmp/server.log" ./smol server --port 0 -t 1 --parallel 1 --max-seq-len 256
pid=$server_pid
if [ -n "$url" ]; then
    ok
    curl -s -m $((60 * SLOW)) "$url/v1/completions" -H 'Content-Type: application/json' \
        -d '{"prompt": "The capital of France is", "max_tokens": 4, "temperature": 0}' >"$tmp/answer.json"
    grep -q '"text"' "$tmp/answer.json" && ok || bad "server completion: $(head -c 300 "$tmp/answer.json")"
    hex=$(printf '%08x' "$offset")
    grep -E " $hex [0-9a-f:]+ [0-9]+ +$tmp/run/smol\$" /proc/$pid/maps >/dev/null && ok ||
        bad "no mapping of smol at offset $hex: $(grep smol /proc/$pid/maps | head -n 5)"
    # every weight was read for the answer: they are file pages of the executable, and
    # the process's anonymous memory is far below the 94 MiB of the model
    anon_kb=$(awk '/^RssAnon:/ { print $2 }' /proc/$pid/status)
    file_kb=$(awk '/^RssFile:/ { print $2 }' /proc/$pid/status)
    if [ "${LF_SANITIZED:-0}" = 1 ]; then ok  # the sanitizers' shadow memory is anonymous
    elif [ "$anon_kb" -lt 60000 ] && [ "$file_kb" -gt 60000 ]; then ok
    else bad "RssAnon $anon_kb kB, RssFile $file_kb kB: the model looks copied"; fi
else
    bad "server did not start: $(tail -n 5 "$tmp/server.log")"
fi
kill $pid 2>/dev/null
wait $pid 2>/dev/null

# damaged copies: a clear error naming the file, exit 1, never a crash
damaged() { # NAME COMMAND...: runs a damaged copy, expects an error line about NAME
    local name=$1
    shift
    local err rc
    err=$(timeout $((60 * SLOW)) "$@" 2>&1 >/dev/null)
    rc=$?
    if [ $rc = 1 ] && printf '%s' "$err" | grep -q "error: .*$name"; then ok; else bad "$name: exit $rc: $err"; fi
}
cp smol truncated && truncate -s $((size - 1000)) truncated
./truncated info >/dev/null 2>&1       # no trailer left: a plain program, MODEL is missing
[ $? = 2 ] && ok || bad "truncated: no usage error"
cp smol short && truncate -s $((size - 100)) short && tail -c 64 smol >>short
damaged "short" ./short info           # trailer intact, model cut short
cp smol flipped && printf '\xff' | dd of=flipped bs=1 seek=$((size - 40)) conv=notrunc 2>/dev/null
damaged "flipped" ./flipped info       # a trailer field changed
cp smol payload && printf 'XXXX' | dd of=payload bs=1 seek=$((offset)) conv=notrunc 2>/dev/null
damaged "payload" ./payload info       # the model's first bytes changed
# the program itself still works without a model: the error is only about the model
./flipped --help >/dev/null 2>&1 && ok || bad "a damaged trailer breaks --help"
finish
