#!/bin/bash
# The command line people know from llama.cpp: -m -p -n -c -b -f -sys -np and the long
# forms give what this program's own options give, --name=value works, `version` and
# --version agree, a long prompt shows progress on a terminal, generation that reaches the
# context's end says so, and browser/server take the same options (--api-key on browser:
# the page's address carries the key, the API wants it). Prints "N passed, M failed".
# Environment: BUILD, MODEL, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
pids=()
cleanup() {
    stop_servers
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

same() { # same WHAT EXPECTED GOT
    if [ "$2" = "$3" ] && [ -n "$2" ]; then ok; else bad "$1: '$3' != '$2'"; fi
}

gen() { "$BIN" generate "$@" 2>"$tmp/err"; }
want=$(gen "$MODEL" --prompt "The capital of France is" --max-new-tokens 6 --temperature 0)
same "-m -p -n --temp" "$want" "$(gen -m "$MODEL" -p "The capital of France is" -n 6 --temp 0)"
same "--model --n-predict" "$want" "$(gen --model "$MODEL" -p "The capital of France is" --n-predict 6 --temp 0)"
same "--name=value" "$want" "$(gen "$MODEL" --prompt="The capital of France is" --max-new-tokens=6 --temperature=0)"
printf 'The capital of France is' >"$tmp/prompt.txt"
same "-f FILE" "$want" "$(gen "$MODEL" -f "$tmp/prompt.txt" -n 6 --temp 0)"
same "--file FILE" "$want" "$(gen "$MODEL" --file "$tmp/prompt.txt" -n 6 --temp 0)"
# -m on the other commands that load a model (llama-bench, llama-perplexity, llama-tokenize)
"$BIN" bench -m "$MODEL" -p 0 -n 2 -r 1 >"$tmp/bench.out" 2>"$tmp/err" && grep -q "tg2" "$tmp/bench.out" && ok ||
    bad "bench -m: $(cat "$tmp/err")"
toks=$("$BIN" tokenize "$MODEL" --text "Hello world" 2>"$tmp/err")
[ -n "$toks" ] && ok || bad "tokenize: $(cat "$tmp/err")"
same "tokenize -m" "$toks" "$("$BIN" tokenize -m "$MODEL" --text "Hello world" 2>"$tmp/err")"
# a prompt that looks like a flag stays the prompt
gen "$MODEL" -p -n -n 2 --temp 0 >/dev/null && ok || bad "-p -n: $(cat "$tmp/err")"

# -c / --ctx-size: the context's end is reported
gen "$MODEL" -p hi -n 64 -c 16 --temp 0 >/dev/null
grep -q "context limit of 16 tokens" "$tmp/err" && ok || bad "-c 16: $(cat "$tmp/err")"
gen "$MODEL" -p hi -n 64 --ctx-size 16 --temp 0 >/dev/null
grep -q "context limit of 16 tokens" "$tmp/err" && ok || bad "--ctx-size 16: $(cat "$tmp/err")"
# -b: taken in range, refused out of it, naming the option
gen "$MODEL" -p "Once upon a time there was" -n 2 -b 2 --temp 0 >/dev/null && ok || bad "-b 2: $(cat "$tmp/err")"
for b in 0 257 x; do
    gen "$MODEL" -p hi -n 1 -b $b >/dev/null
    grep -q -- "--batch-size" "$tmp/err" && ok || bad "-b $b: $(cat "$tmp/err")"
done

# progress of a long prompt on a terminal (script gives the program one)
python3 -c "print('word ' * 600)" >"$tmp/long.txt"
if command -v script >/dev/null; then
    script -qec "$BIN generate $MODEL -f $tmp/long.txt -n 1 -b 64" /dev/null >"$tmp/tty.out" 2>&1
    grep -aq "prompt: 64 / 60[0-9] tokens" "$tmp/tty.out" && ok || bad "prompt progress: $(tr '\r' '\n' <"$tmp/tty.out" | head -5)"
fi
# not on a pipe
gen "$MODEL" -f "$tmp/long.txt" -n 1 -b 64 >/dev/null
grep -q "prompt: " "$tmp/err" && bad "progress on a pipe" || ok

# version
v=$("$BIN" --version)
case $v in "llama-fast "[0-9]*) ok ;; *) bad "--version: $v" ;; esac
same "version" "$v" "$("$BIN" version)"

# chat: -sys and -n
out=$(printf 'Hi\n' | "$BIN" chat "$MODEL" -sys "You are a pirate." -n 4 --temp 0 2>"$tmp/err")
[ -n "$out" ] && ok || bad "chat -sys -n: $(cat "$tmp/err")"

# server: -np and -c as --parallel and --max-seq-len
start_server "$tmp/server.log" "$BIN" server "$MODEL" --port 0 -np 2 -c 256 -b 32 -t 2
slots=$(curl -s "$url/slots")
n=$(printf '%s' "$slots" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(len(s), s[0]["n_ctx"])' 2>/dev/null)
same "server -np 2 -c 256" "2 256" "$n"

# browser --api-key: the address it prints carries the key; the API wants it, the page not
"$BIN" browser "$MODEL" --port 0 --api-key sekrit -t 2 >"$tmp/browser.out" 2>"$tmp/browser.log" &
pids+=($!)
page=
for _ in $(seq $((300 * SLOW))); do
    page=$(grep -o 'http://[0-9.:]*/#key=sekrit' "$tmp/browser.out")
    [ -n "$page" ] && break
    sleep 0.1
done
[ -n "$page" ] && ok || bad "browser --api-key address: $(cat "$tmp/browser.out" "$tmp/browser.log")"
base=${page%/#key=sekrit}
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/")" = 200 ] && ok || bad "page without key"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/models")" = 401 ] && ok || bad "API without key"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer sekrit' "$base/v1/models")" = 200 ] && ok ||
    bad "API with key"

# --no-repack (llama.cpp's): bench -np 8 keeps a repacked copy of SmolLM2's weights where the
# CPU has the repacked product (the avx2 and avx512 sets) and says so; --no-repack, or a
# set without it (scalar), keeps none; the tokens/s line comes either way
level=$("$BUILD"/tests/test_kernels --print-level)
repacks() { "$BIN" bench "$MODEL" -p 0 -n 2 -np 8 -r 1 "$@" >"$tmp/bench.out" 2>"$tmp/err" && grep -q "tg2 x8" "$tmp/bench.out" &&
    grep -c "weights repacked for batched streams: [0-9.]* MiB" "$tmp/err"; }
case $level in
avx2 | avx512*) same "bench -np 8 repacks on $level" 1 "$(repacks)" ;;
*) same "bench -np 8 on $level: no repacked product" 0 "$(repacks)" ;;
esac
same "bench --no-repack" 0 "$(repacks --no-repack)"
same "LLAMA_FAST_SIMD=scalar" 0 "$(LLAMA_FAST_SIMD=scalar repacks)"
"$BIN" server --help | grep -q -- "--no-repack" && ok || bad "server --help lacks --no-repack"
"$BIN" generate "$MODEL" --no-repack -p hi -n 1 >/dev/null 2>"$tmp/err" && bad "generate took --no-repack" ||
    { grep -q "no-repack" "$tmp/err" && ok || bad "generate --no-repack: $(cat "$tmp/err")"; }

# --no-download belongs to commands that load models
"$BIN" list --no-download >/dev/null 2>&1 && bad "list --no-download accepted" || ok
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
