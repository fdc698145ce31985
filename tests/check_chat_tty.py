#!/usr/bin/env python3
"""llama-fast chat in a real pseudo-terminal (stdlib pty): the line editor's prompt,
editing keys (UTF-8 text included) and history, Ctrl-C at the prompt (clears the line), Ctrl-C while an answer
streams (stops it, the session goes on), Ctrl-D (exits with status 0).

usage: check_chat_tty.py LLAMA_FAST MODEL        prints "N passed, M failed"
Timeouts stretch under LF_SANITIZED=1 (sanitized builds are several times slower)."""
import os
import pty
import re
import select
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

SLOW = 10 if os.environ.get("LF_SANITIZED") == "1" else 1



class Terminal:
    """A child process on a pty; everything it writes (stdout and stderr) is collected."""

    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["TERM"] = "xterm"
            os.execv(argv[0], argv)
        self.out = b""
        self.status = None

    def read_some(self, seconds):
        r, _, _ = select.select([self.fd], [], [], seconds)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child has gone
            data = b""
        self.out += data
        return bool(data)

    def expect(self, pattern, timeout, start=0):
        """Waits until pattern (a regex over bytes) appears in the output after start;
        returns the match or None."""
        end = time.time() + timeout * SLOW
        while True:
            m = re.search(pattern, self.out[start:])
            if m:
                return m
            left = end - time.time()
            if left <= 0 or (not self.read_some(min(left, 0.2)) and self.exited()):
                return re.search(pattern, self.out[start:])

    def send(self, data):
        os.write(self.fd, data)

    def type(self, data, timeout=10):
        """Sends keys once the line editor has the terminal: libedit prints its prompt
        before it leaves canonical mode, and keys typed earlier are the kernel's to edit."""
        end = time.time() + timeout * SLOW
        while termios.tcgetattr(self.fd)[3] & termios.ICANON and time.time() < end:
            self.read_some(0.02)
        self.send(data)

    def exited(self):
        if self.status is None:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = st
        return self.status is not None

    def wait(self, timeout):
        end = time.time() + timeout * SLOW
        while not self.exited() and time.time() < end:
            self.read_some(0.1)
        return self.status

    def kill(self):
        if not self.exited():
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)


def main():
    binary, model = sys.argv[1], sys.argv[2]
    # precise activations: the answers checked below start at near-ties (test_cli_chat.sh)
    t = Terminal([binary, "chat", model, "--temperature", "0", "--max-new-tokens", "1500", "--verbose", "-t", "2",
                  "--precise-activations"])
    try:
        check(t.expect(rb"Chatting with .*\n", 30) and t.expect(rb"> $", 10), "banner and prompt")

        # Ctrl-C at the prompt throws the typed text away: if it did not, "/exit" below
        # would reach the model glued to it instead of ending the session.
        t.type(b"Tell me a joke")
        t.expect(rb"joke", 5)
        mark = len(t.out)
        t.send(b"\x03")
        check(t.expect(rb"\^C\r?\n> ", 5, mark), "Ctrl-C at the prompt gives a new prompt")

        # Editing: a typo erased with Backspace, the cursor moved with the arrow keys.
        mark = len(t.out)
        t.type(b"What is the capital of FranceX\x7f\x1b[D\x1b[C?\r")
        m = t.expect(rb"\[prompt (\d+) tokens.*\]\r?\n> ", 60, mark)
        check(m is not None, "edited question answered")
        answer1 = t.out[mark:].decode(errors="replace")
        check("Paris" in answer1, "answer names Paris: %r" % answer1)

        # Non-ASCII text is edited as characters (Backspace removes all of "ß") and
        # arrives as UTF-8; an unknown command echoes the line back.
        mark = len(t.out)
        t.type("/héllo «ü» ßx\x7f\x7f😀\r".encode())
        check(t.expect("unknown command /héllo «ü» 😀 [(]".encode(), 10, mark) is not None,
              "UTF-8 line: %r" % t.out[mark:])

        # A long answer stopped with Ctrl-C once it has started to stream.
        mark = len(t.out)
        t.type(b"Write a very long story about a dragon and a knight.\r")
        t.expect(rb"knight\.\r\n", 10, mark)
        streaming = len(t.out)
        check(t.expect(rb"\w+ \w+ \w+ \w+", 60, streaming) is not None, "the long answer streams")
        t.send(b"\x03")
        check(t.expect(rb"\[stopped\]", 20, mark) is not None, "Ctrl-C stops the answer")
        m = t.expect(rb"\[prompt \d+ tokens: \d+ reused, \d+ new, \d+ ms; (\d+) tokens", 10, mark)
        check(m is not None and int(m.group(1)) < 1500, "the answer stopped early: %r" % (m and m.group(0)))
        check(t.expect(rb"> $", 10, mark) is not None, "prompt after the stopped answer")

        # The session goes on: the next question is answered, reusing the cache.
        mark = len(t.out)
        t.type(b"What is the capital of France?\r")
        m = t.expect(rb"\[prompt (\d+) tokens: (\d+) reused", 60, mark)
        check(m is not None and "Paris" in t.out[mark:].decode(errors="replace"),
              "question after Ctrl-C answered: %r" % t.out[mark:])
        check(m is not None and int(m.group(2)) > 0, "cache reused after the stopped answer")

        # History: /reset, then Up Up recalls the question before it; the fresh
        # conversation gets the first answer again.
        t.expect(rb"> $", 10, mark)
        t.type(b"/reset\r")
        t.expect(rb"conversation reset\]\r?\n> ", 10, mark)
        mark = len(t.out)
        t.type(b"\x1b[A\x1b[A\r")
        check(t.expect(rb"\[prompt", 60, mark) is not None, "recalled line answered")
        answer2 = t.out[mark:].decode(errors="replace")
        line1 = re.search(r"\n(The[^\r\n]*)", answer1)
        check(line1 is not None and line1.group(1) in answer2, "recalled question, same answer: %r vs %r"
              % (answer1, answer2))

        # Ctrl-C at the prompt, then /exit alone ends the session: the line was cleared.
        t.expect(rb"> $", 10, mark)
        t.type(b"Tell me a joke")
        t.expect(rb"joke", 5, mark)
        t.send(b"\x03")
        t.expect(rb"\^C", 5, mark)
        mark = len(t.out)
        t.type(b"/exit\r")
        status = t.wait(20)
        check(status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
              "/exit after Ctrl-C: status %r" % status)
        check(b"[prompt" not in t.out[mark:], "nothing answered after /exit: %r" % t.out[mark:])
    finally:
        t.kill()

    # Ctrl-D on an empty line exits with status 0.
    t = Terminal([binary, "chat", model, "--max-new-tokens", "8"])
    try:
        t.expect(rb"> $", 30)
        t.type(b"\x04")
        status = t.wait(20)
        check(status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
              "Ctrl-D: status %r" % status)
    finally:
        t.kill()

    return finish()


if __name__ == "__main__":
    sys.exit(main())
