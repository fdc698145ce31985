# What the shell tests share, sourced after they `cd` to the checkout's root: the program
# and model under test, how much longer to wait under the sanitizers (SLOW), and the
# pass / fail counts behind the closing "N passed, M failed" line.
# Environment: BUILD (default build), MODEL, PYTHON, LF_SANITIZED.
BIN=${BUILD:-build}/llama-fast
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
PYTHON=${PYTHON:-python3}
SLOW=1
[ "${LF_SANITIZED:-0}" = 1 ] && SLOW=8
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
}
