#!/usr/bin/env python3
"""The chat page of `llama-fast browser`, driven in real headless Chromium.

usage: check_browser.py BASE_URL ARTIFACT_DIR

A user's session: type a message, watch the answer stream in, Shift+Enter, a second turn,
Stop during a long answer, New chat, a system prompt, a bad setting and a server error.
Every streamed answer must equal what the same server answers, without streaming, to the
same messages at temperature 0 — so the page must send the whole conversation (and the
system prompt) and put together the streamed pieces exactly. A screenshot (kept in
ARTIFACT_DIR) is inspected with Pillow: the bubbles are drawn in their own colours, with
text in them. Prints "N passed, M failed". Environment: LF_SANITIZED=1 for the slow
sanitizer build (short answers, long timeouts).
"""
import json
import os
import signal
import sys
import time
import urllib.request

import numpy as np
from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

SANITIZED = os.environ.get("LF_SANITIZED") == "1"
ANSWER_TIMEOUT = 600 if SANITIZED else 120
SHORT_TOKENS = 12 if SANITIZED else 40
LONG_TOKENS = 400

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name}{': ' + detail if detail else ''}", file=sys.stderr)


def reference_answer(base, messages, max_tokens):
    """The server's own non-streaming answer at temperature 0."""
    body = json.dumps({"messages": messages, "temperature": 0, "max_tokens": max_tokens}).encode()
    req = urllib.request.Request(base + "v1/chat/completions", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=ANSWER_TIMEOUT) as r:
        return json.load(r)["choices"][0]["message"]["content"]


def start_browser():
    # Chromium and its driver from Debian; nothing is downloaded (no Selenium Manager).
    os.environ["SE_OFFLINE"] = "true"
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,900", "--force-device-scale-factor=1",
                "--force-prefers-reduced-motion", "--no-first-run"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


class Page:
    def __init__(self, driver, base):
        self.d = driver
        self.base = base

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def find(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css)

    def set_field(self, css, value):
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def busy(self):
        return self.js("return document.body.dataset.busy") == "true"

    def messages(self):
        """[(role, text, classes)] of the message list, the text as the conversation holds it
        (an answer's Markdown source, which the page renders)."""
        return self.js("""return [...document.querySelectorAll('#messages .message')].map(m =>
            [m.classList.contains('user') ? 'user' : 'assistant',
             m.dataset.text, m.className]);""")

    def watch_answers(self):
        """Records the text of the newest assistant message at each change of the list."""
        self.js("""window.seen = [];
            new MutationObserver(() => {
              const a = document.querySelectorAll('#messages .message.assistant');
              if (a.length) window.seen.push(a[a.length - 1].dataset.text);
            }).observe(document.getElementById('messages'),
                       {childList: true, subtree: true, attributes: true, attributeFilter: ['data-text']});""")

    def wait(self, what, cond, timeout):
        try:
            WebDriverWait(self.d, timeout, poll_frequency=0.05).until(lambda _: cond())
            return True
        except TimeoutException:
            check(what, False, f"not within {timeout} s")
            return False

    def send_and_wait(self, text, name):
        """Types text, presses Enter, waits for the answer; returns its text (or None)."""
        box = self.find("#input")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        if not self.wait(f"{name}: answer starts", lambda: self.busy() or self.answer_done(), 10):
            return None
        if not self.wait(f"{name}: answer ends", lambda: not self.busy(), ANSWER_TIMEOUT):
            return None
        return self.messages()[-1][1]

    def answer_done(self):
        m = self.messages()
        return bool(m) and m[-1][0] == "assistant" and "streaming" not in m[-1][2]

    def conversation(self, system=""):
        msgs = [{"role": r, "content": t} for r, t, _ in self.messages()]
        return ([{"role": "system", "content": system}] if system else []) + msgs


def check_load(page):
    d = page.d
    d.get(page.base)
    check("title", "llama-fast" in d.title, d.title)
    for css in ("#messages", "#input", "#send", "#stop", "#new-chat", "#system", "#temperature",
                "#max-tokens", "#error"):
        check(f"element {css}", len(d.find_elements(By.CSS_SELECTOR, css)) == 1)
    check("stop hidden while idle", not page.find("#stop").is_displayed())
    # Offline: nothing but this page's own server was asked for anything.
    origins = page.js("return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
    own = page.base.rstrip("/")
    check("only same-origin requests", all(o == own for o in origins), str(origins))
    page.wait("model name shown", lambda: page.find("#model-name").text.strip() != "", 10)


def check_first_turns(page):
    page.set_field("#temperature", "0")
    page.set_field("#max-tokens", str(SHORT_TOKENS))
    page.watch_answers()
    question = "Tell me about Paris in a few sentences."  # long enough to stream in many pieces
    answer = page.send_and_wait(question, "first turn")
    if answer is None:
        return False
    check("input cleared after Enter", page.find("#input").get_attribute("value") == "")
    msgs = page.messages()
    check("user then assistant message", [m[0] for m in msgs] == ["user", "assistant"], str(msgs))
    check("user message shown", msgs[0][1] == question, msgs[0][1])
    ref = reference_answer(page.base, [{"role": "user", "content": question}], SHORT_TOKENS)
    check("streamed answer equals the server's answer", answer == ref, f"page {answer!r} server {ref!r}")
    check("answer not empty", answer.strip() != "")
    seen = page.js("return window.seen")
    partial = {s for s in seen if s and s != answer and answer.startswith(s)}
    check("answer grew in several steps", len(partial) >= 2, f"{len(partial)} partial states of {len(seen)} updates")
    status = page.find("#status").text
    check("status counts tokens", " tokens in " in status, status)

    # Shift+Enter adds a line instead of sending; the send button sends.
    box = page.find("#input")
    box.send_keys("Which city did I ask about?")
    box.send_keys(Keys.SHIFT, Keys.ENTER)
    box.send_keys("Answer in one word.")
    check("shift+enter keeps the message", len(page.messages()) == 2 and
          box.get_attribute("value") == "Which city did I ask about?\nAnswer in one word.")
    page.find("#send").click()
    if not page.wait("second answer ends", lambda: len(page.messages()) == 4 and not page.busy(), ANSWER_TIMEOUT):
        return False
    msgs = page.messages()
    check("two-line message kept", msgs[2][1] == "Which city did I ask about?\nAnswer in one word.", msgs[2][1])
    ref = reference_answer(page.base, page.conversation()[:3], SHORT_TOKENS)
    alone = reference_answer(page.base, page.conversation()[2:3], SHORT_TOKENS)
    check("the history changes the server's answer", ref != alone, ref)
    check("second answer follows the whole conversation", msgs[3][1] == ref, f"page {msgs[3][1]!r} server {ref!r}")
    return True


def check_screenshot(page, artifacts):
    """The picture shows the conversation: each bubble filled with its own background
    colour (as the page's CSS computes it) with text drawn on it."""
    path = os.path.join(artifacts, "browser.png")
    page.d.save_screenshot(path)
    img = Image.open(path).convert("RGB")
    scale = page.js("return window.devicePixelRatio")
    boxes = page.js("""return ['user', 'assistant'].map(role => {
        const c = document.querySelector('#messages .message.' + role + ' .content');
        const r = c.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom, getComputedStyle(c).backgroundColor,
                getComputedStyle(c).color];});""")
    colours = {}
    for role, (left, top, right, bottom, bg, fg) in zip(("user", "assistant"), boxes):
        bg_rgb = tuple(int(v) for v in bg[bg.index("(") + 1:bg.index(")")].split(",")[:3])
        fg_rgb = tuple(int(v) for v in fg[fg.index("(") + 1:fg.index(")")].split(",")[:3])
        # Inside the rounded corners and the border.
        crop = img.crop((int((left + 6) * scale), int((top + 6) * scale),
                         int((right - 6) * scale), int((bottom - 6) * scale)))
        pixels = np.asarray(crop, dtype=np.int32).reshape(-1, 3)
        dist = lambda c: np.abs(pixels - np.array(c)).sum(axis=1)
        bg_share = float((dist(bg_rgb) <= 12).mean()) if len(pixels) else 0.0
        ink = float(((dist(fg_rgb) <= 150) & (dist(bg_rgb) > 60)).mean()) if len(pixels) else 0.0
        check(f"{role} bubble painted {bg}", bg_share > 0.5, f"{bg_share:.0%} of {len(pixels)} pixels")
        check(f"{role} bubble has text in it", ink > 0.005, f"{ink:.2%} text-coloured pixels")
        colours[role] = bg_rgb
    check("user and assistant bubbles differ in colour", colours["user"] != colours["assistant"], str(colours))
    # The user's bubble sits on the right of the list, the assistant's on the left.
    check("bubbles aligned by role", boxes[0][2] > boxes[1][2] - 1 and boxes[0][0] > boxes[1][0], str(boxes))


def check_stop(page):
    page.set_field("#max-tokens", str(LONG_TOKENS))
    before = len(page.messages())
    # Stop is clicked as soon as the answer has begun (from inside the page, so that even
    # a fast machine cannot finish the answer first).
    page.js("""const list = document.getElementById('messages');
        const watcher = new MutationObserver(() => {
          const a = list.querySelectorAll('.message.assistant');
          if (a.length && a[a.length - 1].dataset.text.length >= 20) {
            watcher.disconnect();
            window.stopShown = !document.getElementById('stop').hidden;
            document.getElementById('stop').click();
          }
        });
        watcher.observe(list, {childList: true, subtree: true, attributes: true, attributeFilter: ['data-text']});""")
    box = page.find("#input")
    box.send_keys("Write a very long story about a dragon who learns to cook.")
    box.send_keys(Keys.ENTER)
    if not page.wait("stop ends the answer", lambda: len(page.messages()) == before + 2 and not page.busy(),
                     ANSWER_TIMEOUT):
        return
    check("stop shown while streaming", page.js("return window.stopShown") is True)
    msgs = page.messages()
    stopped = msgs[-1][1]
    check("stopped answer marked", "stopped" in msgs[-1][2], msgs[-1][2])
    time.sleep(1.0)
    check("nothing arrives after stop", page.messages()[-1][1] == stopped)
    check("send usable after stop", page.find("#send").is_displayed() and page.find("#send").is_enabled())
    # Every token adds at least one byte, so this many tokens cover the stopped text; the
    # model's answer goes on beyond it, so Stop cut it short.
    budget = len(stopped.encode()) + 8
    full = reference_answer(page.base, page.conversation()[:-1], budget)
    check("stopped early: a strict prefix of the answer",
          full.startswith(stopped) and len(stopped) < len(full), f"page {stopped!r} server {full!r}")
    # The page goes on: the stopped answer is part of the conversation it sends.
    page.set_field("#max-tokens", str(SHORT_TOKENS))
    answer = page.send_and_wait("Thanks. Now say hello.", "turn after stop")
    if answer is not None:
        ref = reference_answer(page.base, page.conversation()[:-1], SHORT_TOKENS)
        check("answer after stop equals the server's", answer == ref, f"page {answer!r} server {ref!r}")


def check_new_chat_and_system(page):
    page.find("#new-chat").click()
    check("new chat clears the list", page.messages() == [])
    system = "You are a pirate. Always answer like a pirate, saying Arr."
    page.set_field("#system", system)
    question = "Who are you?"
    answer = page.send_and_wait(question, "turn with system prompt")
    if answer is None:
        return
    with_system = reference_answer(page.base, [{"role": "system", "content": system},
                                               {"role": "user", "content": question}], SHORT_TOKENS)
    without = reference_answer(page.base, [{"role": "user", "content": question}], SHORT_TOKENS)
    check("system prompt changes the server's answer", with_system != without, with_system)
    check("answer uses the system prompt and nothing before New chat", answer == with_system,
          f"page {answer!r} server {with_system!r}")
    page.set_field("#system", "")


def check_errors(page):
    count = len(page.messages())
    page.set_field("#temperature", "5")
    box = page.find("#input")
    box.send_keys("Hello")
    box.send_keys(Keys.ENTER)
    err = page.find("#error")
    check("bad temperature reported", err.is_displayed() and "Temperature" in err.text, err.text)
    check("bad temperature sends nothing", len(page.messages()) == count and box.get_attribute("value") == "Hello")
    page.set_field("#temperature", "0")
    # A server that answers with an OpenAI error: the page says so and keeps the text.
    page.js("""const real = window.fetch;
        window.fetch = async (url, opts) => {
          window.fetch = real;
          return new Response(JSON.stringify({error: {message: 'the model is busy', type: 'server_error'}}),
                              {status: 503, headers: {'Content-Type': 'application/json'}});
        };""")
    page.find("#send").click()
    page.wait("server error shown", lambda: page.find("#error").is_displayed() and not page.busy(), 10)
    check("server error message shown", "the model is busy (HTTP 503)" in page.find("#error").text,
          page.find("#error").text)
    check("failed turn leaves no messages", len(page.messages()) == count)
    check("failed turn gives the text back", box.get_attribute("value") == "Hello")
    # A server that cannot be reached.
    page.js("const real = window.fetch; window.fetch = () => { window.fetch = real; "
            "return Promise.reject(new TypeError('Failed to fetch')); };")
    page.find("#send").click()
    page.wait("unreachable server reported", lambda: "Cannot reach the server" in page.find("#error").text, 10)
    check("unreachable server leaves no messages", len(page.messages()) == count and not page.busy())
    box.clear()


def check_console(page):
    logs = [e for e in page.d.get_log("browser") if e.get("level") == "SEVERE"]
    check("no errors in the console", logs == [], json.dumps(logs)[:600])


def session_args(script):
    """BASE_URL (ending in /) and ARTIFACT_DIR (made) from the command line; a timeout's
    SIGTERM then still runs the caller's `finally`, which closes Chromium."""
    base, artifacts = sys.argv[1], sys.argv[2]
    if not base.endswith("/"):
        base += "/"
    os.makedirs(artifacts, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"{script}: terminated"))
    return base, artifacts


def main():
    base, artifacts = session_args("check_browser.py")
    driver = start_browser()
    try:
        page = Page(driver, base)
        check_load(page)
        if check_first_turns(page):
            check_screenshot(page, artifacts)
            check_stop(page)
            check_new_chat_and_system(page)
        check_errors(page)
        check_console(page)
    except Exception as e:  # a broken step is one failure; the browser still closes
        check("browser session", False, f"{type(e).__name__}: {e}")
    finally:
        driver.quit()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
