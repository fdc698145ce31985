"""A llama-fast server for a Python check: started on a free port of 127.0.0.1 (--port 0),
its URL read from the "listening on" line, stopped (and its log checked for sanitizer
reports) when the check is done.

    with ServerProcess(BIN, MODEL, "--parallel", "2") as server:
        client = OpenAI(base_url=server.url + "/v1", api_key="none")
"""
import os
import re
import subprocess
import tempfile
import time

SLOW = 8 if os.environ.get("LF_SANITIZED") == "1" else 1


class ServerProcess:
    def __init__(self, binary, model, *args):
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.proc = subprocess.Popen([binary, "server", model, "--port", "0", *args],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.url = None
        deadline = time.time() + 30 * SLOW
        while time.time() < deadline and self.proc.poll() is None:
            m = re.search(r"listening on (http://[0-9.:]+)", self.text())
            if m:
                self.url = m.group(1)
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start: " + self.text()[-500:])

    def text(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        """Stops the server; returns (exit status, whether its log is free of sanitizer reports)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30 * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        log = self.text()
        os.unlink(self.log.name)
        return self.proc.returncode, not re.search(r"Sanitizer|runtime error", log)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()
