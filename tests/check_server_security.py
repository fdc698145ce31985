#!/usr/bin/env python3
"""The server against hostile clients and other web pages, on 127.0.0.1 only: 1,000 slow
or idle connections while /health must answer, a request that trickles in one byte at a
time (the deadline is not reset per byte), garbage request lines, Host names (DNS
rebinding), Origins and CORS, the body's media type, the Bearer scheme's case, chunked
bodies, Expect: 100-continue, pipelining, and clients that hang up while they wait in
the queue (their places must be free at once).

usage: check_server_security.py BIN MODEL
Prints "N passed, M failed". LF_SANITIZED=1 waits longer.
"""
import http.client
import json
import os
import resource
import socket
import sys
import threading
import time

from server_process import start_server, stop_servers

BIN, MODEL = sys.argv[1:3]
SAN = os.environ.get("LF_SANITIZED") == "1"
SLOW = 6 if SAN else 1
TIMEOUT = 2 * SLOW           # the servers' --timeout
KEY = "sekrit-%d" % os.getpid()
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name}: {detail}", file=sys.stderr)
    return cond


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))

servers = []


def start(*args, max_files=None):
    limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (max_files, max_files))) if max_files else None
    p, port, log = start_server([BIN, "server", MODEL, "--port", "0", "-t", "2", "--max-seq-len", "512", *args],
                                60 * SLOW, limit)
    servers.append(p)
    return port, log


def connect(port, source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(10 * SLOW)
    s.connect(("127.0.0.1", port))
    return s


def read_all(s, limit=10):
    """Everything until the server closes (or limit seconds)."""
    s.settimeout(limit)
    data = b""
    try:
        while True:
            more = s.recv(65536)
            if not more:
                return data, True
            data += more
    except socket.timeout:
        return data, False
    except ConnectionResetError:
        return data, True


def request(port, method, path, body=None, headers=None, auth=True, source="127.0.0.1", timeout=30):
    """(status, headers, body) of one request with the given header fields."""
    h = {"Host": f"127.0.0.1:{port}"}
    if auth:
        h["Authorization"] = f"Bearer {KEY}"
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    h = {k: v for k, v in h.items() if v is not None}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout * SLOW, source_address=(source, 0))
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def code_of(body):
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def health_time(port, source="127.0.0.1"):
    t = time.monotonic()
    try:
        st, _, body = request(port, "GET", "/health", auth=False, source=source, timeout=5)
    except OSError as e:
        return None, str(e)
    return (time.monotonic() - t if st == 200 else None), body


try:
    PORT, LOG = start("--api-key", KEY, "--timeout", str(TIMEOUT), "--parallel", "1", "--queue", "2",
                      "--allowed-hosts", "myhost.test", "--cors-origin", "http://app.test:3000")

    # ---- 1. connection exhaustion ------------------------------------------------------
    held = []
    for i in range(1000):
        s = connect(PORT)
        if i % 2:
            s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        held.append(s)
    t, body = health_time(PORT)
    check("/health answers with 1000 connections held (same address)", t is not None and t < 2 * SLOW, f"{t} {body}")
    t, body = health_time(PORT, "127.0.0.2")
    check("/health answers with 1000 connections held (other address)", t is not None and t < 2 * SLOW, f"{t} {body}")
    time.sleep(0.5)
    open_left = 0
    for s in held:
        s.setblocking(False)
        try:
            open_left += s.recv(1) is None
        except BlockingIOError:
            open_left += 1
        except OSError:
            pass
    check("at most 128 connections of one address stay open", 0 < open_left <= 128, str(open_left))
    for s in held:
        s.close()
    held = []
    # every idle one is gone after the timeout, so a new client finds the server empty
    more = [connect(PORT) for _ in range(100)]
    t0 = time.monotonic()
    closed = 0
    for s in more:
        data, eof = read_all(s, max(0.1, TIMEOUT + 3 * SLOW - (time.monotonic() - t0)))
        closed += eof and data == b""
        s.close()
    check("idle connections closed after --timeout", closed == 100 and time.monotonic() - t0 < TIMEOUT + 3 * SLOW,
          f"{closed} in {time.monotonic() - t0:.1f} s")

    # a request trickling in: the deadline counts from its first byte, not the last
    s = connect(PORT)
    t0 = time.monotonic()
    reply = b""
    head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000
    try:
        for b in head:
            s.sendall(bytes([b]))
            time.sleep(0.05)
            s.setblocking(False)
            try:
                reply = s.recv(4096)
                break
            except BlockingIOError:
                pass
            finally:
                s.setblocking(True)
    except OSError:
        pass
    if not reply:
        reply, _ = read_all(s, 2)
    took = time.monotonic() - t0
    check("trickled request cut at the deadline with 408", reply.startswith(b"HTTP/1.1 408") and
          took < TIMEOUT + 1.5 * SLOW, f"{took:.1f} s {reply[:80]!r}")
    s.close()

    # garbage gets a status and the connection closes
    garbage = [
        (b"GARBAGE\r\n\r\n", 400), (b"\x00\x01\x02\r\n\r\n", 400), (b"GET\r\n\r\n", 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),               # a TLS ClientHello
        (b"GET /health HTTP/1.1 x\r\nHost: 127.0.0.1\r\n\r\n", 400),
        (b"GET health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        (b"GET /health HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505),
        (b"GET /health HTTP/1.1\r\n\r\n", 400),                               # no Host
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n Folded: x\r\n\r\n", 400),
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\n\r\n", 400),
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX: a\x01b\r\n\r\n", 400),
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        (b"POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (b"POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n", 400),
        (b"POST /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-A: b\r\n" * 100 + b"\r\n", 431),
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n", 431),
    ]
    for data, status in garbage:
        s = connect(PORT)
        try:
            s.sendall(data)
        except OSError:
            pass
        reply, eof = read_all(s, 3 * SLOW)
        s.close()
        check(f"malformed {data[:40]!r} -> {status}, closed",
              reply.startswith(b"HTTP/1.1 %d" % status) and eof and b'"error"' in reply, f"{eof} {reply[:120]!r}")

    # out of descriptors: the oldest idle connection makes room, and the server does not spin
    port2, _ = start("--timeout", str(10 * TIMEOUT), max_files=64)
    held = [connect(port2) for _ in range(100)]
    t, body = health_time(port2)
    check("/health answers with the process out of descriptors", t is not None and t < 2 * SLOW, f"{t} {body}")
    stat = f"/proc/{servers[-1].pid}/stat"
    cpu = lambda: sum(int(x) for x in open(stat).read().rsplit(")", 1)[1].split()[11:13])
    before = cpu()
    more = [connect(port2) for _ in range(50)]
    time.sleep(1.0)
    used = (cpu() - before) / os.sysconf("SC_CLK_TCK")
    check("no busy loop when out of descriptors", used < 0.5 * SLOW, f"{used:.2f} s of CPU in 1 s")
    for s in held + more:
        s.close()
    held = more = []

    # ---- 2. Host, Origin, CORS, media type, Bearer ------------------------------------
    tmpl = {"messages": [{"role": "user", "content": "hi"}]}
    for host, want in [("evil.example", 403), ("evil.example:%d" % PORT, 403), ("127.0.0.1.evil.example", 403),
                       ("localhost", 200), ("LOCALHOST:%d" % PORT, 200), ("127.0.0.1", 200), ("[::1]:%d" % PORT, 200),
                       ("myhost.test:8080", 200), ("myhost.test.evil", 403), ("[::1", 403), ("localhost:80x", 403)]:
        st, _, body = request(PORT, "POST", "/apply-template", tmpl, headers={"Host": host})
        check(f"Host {host} -> {want}", st == want and (want == 200 or code_of(body) == "host_not_allowed"),
              f"{st} {body[:200]!r}")
    st, _, _ = request(PORT, "GET", "/", auth=False, headers={"Host": "rebound.example:%d" % PORT})
    check("the page is not served to a rebound name", st == 403, str(st))

    for ctype in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                  "application/jsonx", None]:
        st, _, body = request(PORT, "POST", "/apply-template", json.dumps(tmpl).encode(),
                              headers={"Content-Type": ctype})
        check(f"Content-Type {ctype} -> 415", st == 415 and code_of(body) == "unsupported_media_type",
              f"{st} {body[:200]!r}")
    st, _, body = request(PORT, "POST", "/apply-template", json.dumps(tmpl).encode(),
                          headers={"Content-Type": "Application/JSON; charset=utf-8"})
    check("Content-Type application/json with charset", st == 200, f"{st} {body[:200]!r}")

    st, hd, body = request(PORT, "POST", "/apply-template", tmpl, headers={"Origin": "http://evil.example"})
    check("foreign Origin refused", st == 403 and code_of(body) == "origin_not_allowed" and
          "access-control-allow-origin" not in hd, f"{st} {hd} {body[:200]!r}")
    st, hd, body = request(PORT, "OPTIONS", "/v1/chat/completions", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}, auth=False)
    check("preflight from a foreign origin refused", st == 403 and "access-control-allow-origin" not in hd,
          f"{st} {hd}")
    st, hd, body = request(PORT, "OPTIONS", "/v1/chat/completions", headers={
        "Origin": "http://app.test:3000", "Access-Control-Request-Method": "POST"}, auth=False)
    check("preflight from --cors-origin allowed", st == 204 and
          hd.get("access-control-allow-origin") == "http://app.test:3000" and
          "content-type" in hd.get("access-control-allow-headers", "").lower(), f"{st} {hd}")
    st, hd, body = request(PORT, "POST", "/apply-template", tmpl, headers={"Origin": "http://app.test:3000"})
    check("request from --cors-origin gets the CORS header", st == 200 and
          hd.get("access-control-allow-origin") == "http://app.test:3000", f"{st} {hd}")
    st, hd, body = request(PORT, "POST", "/apply-template", tmpl, headers={"Origin": f"http://127.0.0.1:{PORT}"})
    check("the server's own page may call it", st == 200 and "access-control-allow-origin" not in hd, f"{st} {hd}")
    st, hd, _ = request(PORT, "GET", "/health", auth=False)
    check("no CORS header without an Origin", "access-control-allow-origin" not in hd, str(hd))

    for auth, want in [(f"Bearer {KEY}", 200), (f"bearer {KEY}", 200), (f"BEARER  {KEY}", 200),
                       (f"Basic {KEY}", 401), (f"Bearer{KEY}", 401), (f"Bearer {KEY}x", 401), (KEY, 401)]:
        st, _, body = request(PORT, "POST", "/apply-template", tmpl, headers={"Authorization": auth}, auth=False)
        check(f"Authorization '{auth.replace(KEY, 'KEY')}' -> {want}", st == want, f"{st} {body[:200]!r}")

    # ---- HTTP details the API relies on --------------------------------------------------
    payload = json.dumps(tmpl).encode()
    s = connect(PORT)
    chunks = b"".join(b"%x\r\n" % len(payload[i:i + 7]) + payload[i:i + 7] + b"\r\n" for i in range(0, len(payload), 7))
    s.sendall(b"POST /apply-template HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY.encode() +
              b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
              chunks + b"0\r\nX-Trailer: y\r\n\r\n")
    reply, _ = read_all(s, 10 * SLOW)
    s.close()
    check("chunked request body", reply.startswith(b"HTTP/1.1 200") and b'"prompt"' in reply, repr(reply[:200]))

    s = connect(PORT)
    s.sendall(b"POST /apply-template HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY.encode() +
              b"\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(payload))
    first = s.recv(100)
    s.sendall(payload)
    rest, _ = read_all(s, 3 * SLOW)
    s.close()
    check("Expect: 100-continue", first.startswith(b"HTTP/1.1 100 Continue") and b" 200 OK" in first + rest,
          repr((first + rest)[:200]))

    s = connect(PORT)
    one = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    s.sendall(one + one + b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    reply, eof = read_all(s, 5 * SLOW)
    s.close()
    check("three pipelined requests, three answers, then closed", reply.count(b"HTTP/1.1 200") == 3 and eof,
          repr(reply[:300]))

    # ---- 7. clients that hang up while they wait for a slot ---------------------------
    long_body = json.dumps({"prompt": "1, 2, 3, 4,", "max_tokens": 4000, "temperature": 0, "stream": True}).encode()
    busy = connect(PORT)
    busy.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY.encode() +
                 b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(long_body) + long_body)
    busy.recv(1000)
    statuses = []
    for i in range(68):
        body = json.dumps({"prompt": "Hi", "max_tokens": 4, "stream": bool(i % 2)}).encode()
        s = connect(PORT)
        s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY.encode() +
                  b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        time.sleep(0.01)
        s.setblocking(False)
        try:
            statuses.append(s.recv(20))
        except BlockingIOError:
            pass
        s.close()
    refused = sum(x.startswith(b"HTTP/1.1 503") for x in statuses)
    check("hung-up clients do not fill the queue of 2", refused == 0, f"{refused} of 68 got 503")
    end = time.monotonic() + 1.0 * SLOW
    waiting = None
    while time.monotonic() < end:
        _, _, h = request(PORT, "GET", "/health", auth=False)
        waiting = json.loads(h)["choices_waiting"]
        if waiting == 0:
            break
        time.sleep(0.05)
    check("places of hung-up clients freed at once", waiting == 0, str(waiting))
    result = {}

    def live():
        result["r"] = request(PORT, "POST", "/v1/completions", {"prompt": "Hi", "max_tokens": 2, "temperature": 0})

    th = threading.Thread(target=live)
    th.start()
    time.sleep(0.3)
    busy.close()
    th.join(30 * SLOW)
    st = result.get("r", (None,))[0]
    check("the next live request is served, not refused", st == 200, str(result.get("r")))
finally:
    for status in stop_servers(servers, 10 * SLOW):
        check("server exits cleanly", status == 0, str(status))

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
