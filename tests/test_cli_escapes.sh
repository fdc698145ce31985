#!/bin/bash
# Control bytes from arguments, file names, a hub's file listing and a model's metadata
# and tensor names never reach the terminal raw: every message shows them as \xHH. Each
# case checks that stdout and stderr hold no C0 control but newline, no DEL, no C1
# control and no malformed UTF-8, that the program was not killed, and that the hostile
# text was shown (escaped), not dropped. The hub is a fake one on 127.0.0.1.
# Prints "N passed, M failed". Environment: BUILD, MODEL, PYTHON.
set -u
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/llama-fast
MODEL=${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
PYTHON=${PYTHON:-python3}
pass=0 fail=0
tmp=$(mktemp -d)
hub_pid=
trap '[ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
unset HF_TOKEN
export LLAMA_FAST_HOME="$tmp/home" HF_ENDPOINT=http://127.0.0.1:1 LLAMA_FAST_PYPI_URL=http://127.0.0.1:1/simple

if [ ! -x "$BIN" ]; then
    echo "FAIL: $BIN not built" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

# Bytes a terminal would act on, named; nothing printed when FILE has none.
cat >"$tmp/raw_controls.py" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit(f"malformed UTF-8 at byte {e.start}")
bad = sorted({hex(ord(c)) for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F})
if bad:
    sys.exit("raw control characters " + " ".join(bad))
EOF

# expect_escaped NEEDLE ARGS...: llama-fast ARGS prints NEEDLE (the escaped text) and
# nothing raw, and is not killed by a signal.
expect_escaped() {
    local needle=$1
    shift
    timeout 120 "$BIN" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$? problem=
    for f in out err; do
        local why
        why=$("$PYTHON" "$tmp/raw_controls.py" "$tmp/$f" 2>&1) || problem+="std$f: $why; "
    done
    [ "$rc" -ge 124 ] && problem+="exit $rc; "
    cat "$tmp/out" "$tmp/err" | grep -qF -- "$needle" || problem+="no '$needle' in the output; "
    if [ -z "$problem" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: llama-fast $(printf '%q ' "$@"): $problem" >&2
        cat -v "$tmp/err" | sed 's/^/    /' | head -n 10 >&2
    fi
}

# Arguments: paths, options, commands and model names.
expect_escaped 'x\x1b[31mbad\x07.gguf' generate $'/tmp/x\x1b[31mbad\a.gguf' --prompt hi
expect_escaped 'a\x0db\xc2\x9bc\x9bd' info $'/nonexistent/a\rb\xc2\x9bc\x9bd'
expect_escaped '\xff\xfe\xc0\xaf' bench $'/nonexistent/\xff\xfe\xc0\xaf'
expect_escaped 'caf'$'\xc3\xa9''-\x1b' info $'/nonexistent/caf\xc3\xa9-\x1b'
expect_escaped '--\x1b]0;pwned\x07' generate m.gguf $'--\x1b]0;pwned\a'
expect_escaped '--\x1b[2J' chat m.gguf $'--\x1b[2J'
expect_escaped '--\x1b[2J' server m.gguf $'--\x1b[2J'
expect_escaped '\x1b[2J' $'\x1b[2J'
expect_escaped 'a\x0db' list $'a\rb'
expect_escaped '\x1b' generate m.gguf --temperature $'1\x1b[2J'
expect_escaped 'evil\x1b[5m/name' where $'evil\x1b[5m/name'
expect_escaped 'evil\x1b[5m/name' remove $'evil\x1b[5m/name'
expect_escaped 'ev\x1bil/x\xc2\x85' download $'ev\x1bil/x\xc2\x85'
expect_escaped 'x\x08\x08' download a/b $'x\b\b'
expect_escaped '/nonexistent/\x1b]2;t\x07.model' tokenize $'/nonexistent/\x1b]2;t\a.model' --text hi
expect_escaped 'tok\x1b' tokenize $'/nonexistent/tok\x1b' --text hi

# Model files: metadata strings and tensor names, and a file name with ESC in it.
if "$PYTHON" - "$tmp" <<'EOF'; then
import sys

import gguf
import numpy as np

out = sys.argv[1]


def model(path, name, extra_tensor=None, arch="llama"):
    w = gguf.GGUFWriter(path, arch)
    w.add_name(name)
    dim, hidden, vocab = 32, 64, 16
    for k, v in (("block_count", 1), ("embedding_length", dim), ("feed_forward_length", hidden),
                 ("attention.head_count", 2), ("attention.head_count_kv", 2), ("context_length", 64)):
        w.add_uint32(f"{arch}.{k}", v)
    w.add_float32(f"{arch}.attention.layer_norm_rms_epsilon", 1e-5)
    w.add_string("tokenizer.chat_template", "{{ 'x\x1b[41m' }}\n\x9b")
    rng = np.random.default_rng(0)

    def t(name, *shape):
        w.add_tensor(name, (0.02 * rng.standard_normal(shape)).astype(np.float32))

    t("token_embd.weight", vocab, dim)
    for n in ("attn_norm", "ffn_norm"):
        w.add_tensor(f"blk.0.{n}.weight", np.ones(dim, np.float32))
    for n in ("attn_q", "attn_k", "attn_v", "attn_output"):
        t(f"blk.0.{n}.weight", dim, dim)
    t("blk.0.ffn_gate.weight", hidden, dim)
    t("blk.0.ffn_up.weight", hidden, dim)
    t("blk.0.ffn_down.weight", dim, hidden)
    w.add_tensor("output_norm.weight", np.ones(dim, np.float32))
    if extra_tensor:
        t(extra_tensor, 4, 4)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


model(f"{out}/hostile_name.gguf", "evil\x1b]0;title\x07name\x9b")
model(f"{out}/hostile_tensor.gguf", "plain", extra_tensor="blk.0.x\x1b[31m\r.weight")
model(f"{out}/hostile_arch.gguf", "plain", arch="lla\x1bma")
model(f"{out}/file\x1b[1mname.gguf", "plain")
EOF
    expect_escaped 'evil\x1b]0;title\x07name\xc2\x9b' info "$tmp/hostile_name.gguf"
    expect_escaped '\x1b[41m' info "$tmp/hostile_name.gguf"
    expect_escaped 'blk.0.x\x1b[31m\x0d.weight' info --tensors "$tmp/hostile_tensor.gguf"
    expect_escaped 'lla\x1bma' info "$tmp/hostile_arch.gguf"
    expect_escaped 'file\x1b[1mname.gguf' chat "$tmp/"$'file\x1b[1mname.gguf'
    expect_escaped 'evil\x1b]0;title' bench "$tmp/hostile_name.gguf" -p 4 -n 0 -r 1
else
    fail=$((fail + 1))
    echo "FAIL: the gguf package could not write the test models" >&2
fi

# The server's own messages: a --host that is no address.
if [ -f "$MODEL" ]; then
    expect_escaped 'bad\x1b[0mhost' server "$MODEL" --host $'bad\x1b[0mhost' --port 0
fi

# A hub whose listing names files with control characters.
cat >"$tmp/hub.py" <<'EOF'
import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

LISTINGS = {
    "evil/esc": ["a\x1b[31m.gguf"],
    "evil/c1": ["a\x9b.gguf", "b\x85.gguf"],
    "evil/one": ["m\x9b[2J.gguf"],
}
BODY = b"hello"
BLOB_ID = hashlib.sha1(b"blob %d\0" % len(BODY) + BODY).hexdigest()  # the hub's oid of a small file


class Hub(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        path = unquote(self.path.split("?")[0])
        for repo, files in LISTINGS.items():
            if path == f"/api/models/{repo}/tree/main":
                body = json.dumps([{"type": "file", "path": f, "size": len(BODY), "oid": BLOB_ID} for f in files])
                return self.reply(body.encode())
            if path.startswith(f"/{repo}/resolve/main/") and path.rsplit("/", 1)[1] in files:
                return self.reply(BODY, BLOB_ID)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def reply(self, body, etag=None):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", f'"{etag}"')
        self.end_headers()
        self.wfile.write(body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
EOF
"$PYTHON" "$tmp/hub.py" "$tmp/port.tmp" &
hub_pid=$!
for _ in $(seq 100); do
    [ -s "$tmp/port.tmp" ] && break
    sleep 0.1
done
if [ -s "$tmp/port.tmp" ]; then
    export HF_ENDPOINT="http://127.0.0.1:$(cat "$tmp/port.tmp")"
    expect_escaped 'a\x1b[31m.gguf' download evil/esc --retries 0
    expect_escaped 'a\xc2\x9b.gguf' download evil/c1 --retries 0
    expect_escaped 'm\xc2\x9b[2J.gguf' download evil/one --retries 0
    expect_escaped 'm\xc2\x9b[2J.gguf' download evil/one --retries 0
    expect_escaped 'evil/one' list
else
    fail=$((fail + 1))
    echo "FAIL: the fake hub did not start" >&2
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
