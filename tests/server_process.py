"""`llama-fast server` for the Python checks: started on a free loopback port (--port 0),
its stderr kept (a thread reads it on once the server listens) for checks of its log.
start_server/stop_servers for checks that run several, ServerProcess for one:

    with ServerProcess(BIN, MODEL, "--parallel", "2") as server:
        client = OpenAI(base_url=server.url + "/v1", api_key="none")
"""
import os
import re
import subprocess
import threading
import time


def start_server(cmd, timeout, preexec_fn=None):
    """Runs cmd, a server command line with --port 0; returns (process, port, log), log
    being the list of stderr lines (bytes) read so far. Exits when it does not start."""
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, preexec_fn=preexec_fn)
    log = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = p.stderr.readline()
        if not line:
            break
        log.append(line)
        m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [log.append(x) for x in p.stderr], daemon=True).start()
            return p, int(m.group(1)), log
    p.kill()
    raise SystemExit(f"server did not start: {b''.join(log)!r}")


def stop_servers(processes, timeout):
    """SIGTERM to each, then waits up to timeout seconds for each (killing one that does not
    end); returns their exit statuses."""
    for p in processes:
        p.terminate()
    for p in processes:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return [p.returncode for p in processes]


SLOW = 8 if os.environ.get("LF_SANITIZED") == "1" else 1


class ServerProcess:
    """One server of MODEL with args; stop() says how it ended."""

    def __init__(self, binary, model, *args):
        self.proc, port, self.log = start_server([binary, "server", model, "--port", "0", *args], 30 * SLOW)
        self.url = "http://127.0.0.1:%d" % port

    def text(self):
        return b"".join(self.log).decode("utf-8", "replace")

    def stop(self):
        """Stops the server; returns (exit status, whether its log is free of sanitizer reports)."""
        status = stop_servers([self.proc], 30 * SLOW)[0] if self.proc.poll() is None else self.proc.returncode
        time.sleep(0.2)  # the reader thread takes the last lines
        return status, not re.search(r"Sanitizer|runtime error", self.text())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()
