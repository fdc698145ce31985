#!/usr/bin/env python3
"""The chat page's own features in headless Chromium, against `llama-fast browser` on the
real model: Markdown and highlighted code, model output that cannot run scripts,
conversations kept in localStorage (reload, switch, rename, delete), copy, regenerate,
edit-and-resend, the settings that reach the request, a 400 px wide layout and dark mode.

usage: check_chat_page.py BASE_URL ARTIFACT_DIR

Most answers come from a stand-in for the server's stream installed in the page (fetch is
wrapped: the requests are recorded, and answers given when window.stub holds pieces), so
the checks are exact and fast; one turn goes to the real server, and must equal the
server's own answer. Screenshots (desktop light, 400 px, dark) are kept in ARTIFACT_DIR.
Prints "N passed, M failed".
"""
import json
import os
import sys
import time

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from check_browser import reference_answer, session_args, start_browser
from checks import check, finish

SANITIZED = os.environ.get("LF_SANITIZED") == "1"
ANSWER_TIMEOUT = 600 if SANITIZED else 120

# Records each chat request's body; answers from window.stub (an array of pieces) when set.
STUB_FETCH = """
window.requests = []; window.stub = null;
const realFetch = window.fetch;
window.fetch = async (url, opts) => {
  if (!String(url).includes('chat/completions')) return realFetch(url, opts);
  window.requests.push(JSON.parse(opts.body));
  if (window.stub === null) return realFetch(url, opts);
  const event = (o) => 'data: ' + JSON.stringify(o) + '\\n\\n';
  const pieces = window.stub.map((p) => event({choices: [{index: 0, delta: {content: p}, finish_reason: null}]}));
  pieces.push(event({choices: [{index: 0, delta: {}, finish_reason: 'stop'}]}) + 'data: [DONE]\\n\\n');
  const enc = new TextEncoder();
  const body = new ReadableStream({start(c) { pieces.forEach((p) => c.enqueue(enc.encode(p))); c.close(); }});
  return new Response(body, {status: 200, headers: {'Content-Type': 'text/event-stream'}});
};
"""

CODE_ANSWER = ("Here is the program:\n\n```python\ndef main():\n    print(\"Hello, world!\")  # greet\n"
               "    return [x * 2 for x in range(10)]  # a long line that must scroll inside its own box\n```\n\n"
               "Run it with `python3 hello.py`. In C:\n\n```\n#include <stdio.h>\n"
               "int main(void) { printf(\"hi\\n\"); return 0; }\n```\n")
XSS_ANSWER = ("Careful: <img src=x onerror=\"window.pwned='img'\"> <script>window.pwned='script'</script>\n\n"
              "[click](javascript:window.pwned='link') <iframe src=\"javascript:window.pwned='frame'\"></iframe>\n\n"
              "![pic](x\" onerror=\"window.pwned='alt')")


def conv(cid, title, updated, *texts):
    roles = ("user", "assistant")
    return {"id": cid, "title": title, "updated": updated,
            "messages": [{"role": roles[i % 2], "content": t} for i, t in enumerate(texts)]}


class Page:
    def __init__(self, driver, base):
        self.d, self.base = driver, base

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def find(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css)

    def load(self, conversations=None, current=None):
        """Opens the page; with conversations, stores them first (as an earlier visit would)."""
        self.d.get(self.base)
        if conversations is not None:
            self.js("localStorage.clear();"
                    "localStorage.setItem('llama-fast.conversations', arguments[0]);"
                    "localStorage.setItem('llama-fast.current', arguments[1]);",
                    json.dumps(conversations), current or "")
            self.d.get(self.base)
        self.js(STUB_FETCH)

    def messages(self):
        """[(role, text)] of the list, the text as the conversation holds it."""
        return [tuple(m) for m in self.js("""return [...document.querySelectorAll('#messages .message')]
            .map(m => [m.classList.contains('user') ? 'user' : 'assistant', m.dataset.text]);""")]

    def stored(self):
        return json.loads(self.js("return localStorage.getItem('llama-fast.conversations')") or "[]")

    def titles(self):
        return [e.text for e in self.d.find_elements(By.CSS_SELECTOR, "#conversations .open")]

    def wait(self, what, cond, timeout=10):
        try:
            WebDriverWait(self.d, timeout, poll_frequency=0.05).until(lambda _: cond())
            return True
        except TimeoutException:
            check(False, f"{what}: not within {timeout} s")
            return False

    def idle(self):
        return self.js("return document.body.dataset.busy") == "false"

    def answer_with(self, pieces, action):
        """Runs action (a click, a key) with the stand-in answering pieces; waits for the end."""
        self.js("window.stub = arguments[0];", pieces)
        action()
        return self.wait("stubbed answer ends", lambda: self.idle() and self.messages()[-1][1] == "".join(pieces))


def check_rendering(page):
    page.load([conv("c1", "Code", 2, "Write hello world in Python", CODE_ANSWER)], "c1")
    code = page.find("#messages .assistant pre > code")
    check("hljs" in code.get_attribute("class"), f"code block highlighted: class {code.get_attribute('class')!r}")
    kinds = set(page.js("return [...arguments[0].querySelectorAll('span')].map(s => s.className)", code))
    check({"hljs-keyword", "hljs-string", "hljs-comment"} <= kinds, f"Python keywords, strings, comments marked: {kinds}")
    check(page.find("#messages .assistant p code").text == "python3 hello.py", "inline code rendered")
    guessed = page.d.find_elements(By.CSS_SELECTOR, "#messages .assistant pre > code")[1]
    check("hljs-keyword" in page.js("return arguments[0].innerHTML", guessed),
          "a code block without a language highlighted by guessing")
    check(page.messages()[1] == ("assistant", CODE_ANSWER), "the Markdown source kept as the message")
    # A streamed answer is rendered as it comes: the same Markdown through the stand-in server.
    page.answer_with(["Sure:\n\n```c\nint main(void) {\n", "    return 0;\n}\n```\n"],
                     lambda: page.find("#messages .assistant .regenerate").click())
    code = page.find("#messages .assistant pre > code")
    check("hljs-keyword" in page.js("return arguments[0].innerHTML", code), "streamed C code highlighted")


def check_xss(page):
    page.load([conv("x1", "XSS", 2, "Say something dangerous", XSS_ANSWER)], "x1")
    page.answer_with([XSS_ANSWER[:40], XSS_ANSWER[40:]], lambda: page.find("#messages .assistant .regenerate").click())
    # Same answer once more, as the first message of a conversation (the stored path).
    page.load([conv("x1", "XSS", 2, "Say something dangerous", XSS_ANSWER)], "x1")
    page.js("document.querySelector('#messages .assistant a') && document.querySelector('#messages .assistant a').click()")
    content = page.find("#messages .assistant .content")
    time.sleep(0.5)  # time for an image's error (a load of ./x) to fire, were there one
    check(page.js("return window.pwned") is None, f"model output ran a script: {page.js('return window.pwned')}")
    bad = page.js("""return [...arguments[0].querySelectorAll('*')].filter(e =>
        ['IMG', 'SCRIPT', 'IFRAME', 'STYLE'].includes(e.tagName) || [...e.attributes].some(a =>
        a.name.startsWith('on') || a.name === 'src' || /javascript:/i.test(a.value))).map(e => e.outerHTML)""", content)
    check(bad == [], f"no active markup in the answer: {bad}")
    check("<img src=x" in content.text and "<script>" in content.text, f"raw HTML shown as text: {content.text!r}")


def check_round_trip_and_reload(page):
    page.load([], "")
    for css, value in (("#temperature", "0"), ("#max-tokens", "24")):
        page.find(css).clear()
        page.find(css).send_keys(value)
    question = "Write a Python function that adds two numbers."
    page.find("#input").send_keys(question, Keys.ENTER)
    if not page.wait("real answer ends", lambda: len(page.messages()) == 2 and page.idle(), ANSWER_TIMEOUT):
        return
    answer = page.messages()[1][1]
    ref = reference_answer(page.base, [{"role": "user", "content": question}], 24)
    check(answer == ref, f"real answer equals the server's: page {answer!r} server {ref!r}")
    sent = page.js("return window.requests")[0]
    check(sent.get("temperature") == 0 and sent.get("max_tokens") == 24, f"settings sent: {sent}")
    unset = {"top_p", "top_k", "min_p", "typical_p", "repeat_penalty", "presence_penalty",
             "frequency_penalty", "seed", "response_format", "grammar"} & sent.keys()
    check(not unset, f"fields left empty are not sent: {unset}")
    before = page.messages()
    page.d.refresh()
    check(page.messages() == before, f"reload keeps the conversation: {page.messages()}")
    check(page.titles() == [question[:48]], f"sidebar lists it, titled by the question: {page.titles()}")
    check(page.find("#title").text == question[:48], "title shown")


def check_settings_sent(page):
    page.load([], "")
    fields = {"#top-p": ("top_p", "0.9", 0.9), "#top-k": ("top_k", "40", 40), "#min-p": ("min_p", "0.05", 0.05),
              "#typical-p": ("typical_p", "0.95", 0.95), "#repeat-penalty": ("repeat_penalty", "1.1", 1.1),
              "#presence-penalty": ("presence_penalty", "0.5", 0.5),
              "#frequency-penalty": ("frequency_penalty", "-0.5", -0.5), "#seed": ("seed", "7", 7)}
    for css, (_, text, _) in fields.items():
        page.find(css).send_keys(text)
    page.js("const s = document.getElementById('response-format'); s.value = 'json_object';"
            "s.dispatchEvent(new Event('change'));")
    page.find("#grammar").send_keys('root ::= "yes" | "no"')
    page.answer_with(["{}"], lambda: page.find("#input").send_keys("Answer in JSON", Keys.ENTER))
    sent = page.js("return window.requests")[-1]
    for _, (field, _, value) in fields.items():
        check(sent.get(field) == value, f"{field} sent as {value}: {sent.get(field)!r}")
    check(sent.get("response_format") == {"type": "json_object"}, f"response_format: {sent.get('response_format')}")
    check(sent.get("grammar") == 'root ::= "yes" | "no"', f"grammar: {sent.get('grammar')!r}")
    page.d.refresh()
    check(page.find("#top-k").get_attribute("value") == "40", "settings survive a reload")
    page.find("#top-k").clear()
    page.find("#top-k").send_keys("-3")
    count = len(page.messages())
    page.find("#input").send_keys("Hello", Keys.ENTER)
    check("Top k" in page.find("#error").text and len(page.messages()) == count,
          f"a bad setting is named and nothing is sent: {page.find('#error').text!r}")
    page.js("localStorage.clear()")


def check_conversations(page):
    a = conv("a", "First chat", 3, "Hi", "Hello!", "How are you?", "Fine.")
    b = conv("b", "Second chat", 2, "Name a colour", "Blue.")
    page.load([a, b], "a")
    check(page.titles() == ["First chat", "Second chat"], f"sidebar lists both, newest first: {page.titles()}")
    check(page.messages() == [("user", "Hi"), ("assistant", "Hello!"), ("user", "How are you?"),
                              ("assistant", "Fine.")], "the current conversation shown")
    page.find("#conversations li[data-id='b'] .open").click()
    check(page.messages() == [("user", "Name a colour"), ("assistant", "Blue.")], "switching shows the other")
    check(page.find("#title").text == "Second chat", "switching shows its title")
    page.d.refresh()
    check(page.messages()[0] == ("user", "Name a colour"), "reload reopens the conversation last shown")
    page.js(STUB_FETCH)

    # Copy puts the message's Markdown on the clipboard.
    page.js("window.copied = null; navigator.clipboard.writeText = async (t) => { window.copied = t; };")
    page.find("#messages .assistant .copy").click()
    check(page.js("return window.copied") == "Blue.", f"copy: {page.js('return window.copied')!r}")

    # Rename.
    page.find("#conversations li[data-id='b'] .rename").click()
    box = page.find("#conversations .rename-box")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("Colours", Keys.ENTER)
    check("Colours" in page.titles(), f"renamed in the list: {page.titles()}")
    check({c["id"]: c["title"] for c in page.stored()}.get("b") == "Colours", "renamed in storage")
    check(page.find("#title").text == "Colours", "renamed in the title")

    # Regenerate replaces the last answer: the request is the conversation without it.
    page.answer_with(["Red", "."], lambda: page.find("#messages .assistant .regenerate").click())
    check(page.messages() == [("user", "Name a colour"), ("assistant", "Red.")], f"regenerated: {page.messages()}")
    sent = page.js("return window.requests")[-1]["messages"]
    check(sent == [{"role": "user", "content": "Name a colour"}], f"regenerate sends the history without the answer: {sent}")
    stored = {c["id"]: c for c in page.stored()}["b"]["messages"]
    check([m["content"] for m in stored] == ["Name a colour", "Red."], f"regenerated answer stored: {stored}")

    # Edit-and-resend drops the later turns.
    page.find("#conversations li[data-id='a'] .open").click()
    page.find("#messages .user .edit").click()
    box = page.find("#messages .edit-box")
    box.clear()
    box.send_keys("Hi there")
    page.answer_with(["Hello again!"], lambda: page.find("#messages .edit-send").click())
    check(page.messages() == [("user", "Hi there"), ("assistant", "Hello again!")], f"edited: {page.messages()}")
    sent = page.js("return window.requests")[-1]["messages"]
    check(sent == [{"role": "user", "content": "Hi there"}], f"edit sends only the turns before it: {sent}")
    stored = {c["id"]: c for c in page.stored()}["a"]["messages"]
    check(len(stored) == 2 and stored[0]["content"] == "Hi there", f"later turns dropped in storage: {stored}")

    # Delete the one shown: it goes, and an empty new chat is shown.
    page.find("#conversations li[data-id='a'] .delete").click()
    check([c["id"] for c in page.stored()] == ["b"], f"deleted from storage: {page.stored()}")
    check(page.titles() == ["Colours"] and page.messages() == [], f"deleted from the list: {page.titles()}")
    page.find("#new-chat").click()
    check(page.messages() == [] and page.find("#title").text == "New chat", "new chat is empty")


def screenshot(page, artifacts, name):
    path = os.path.join(artifacts, f"chat-page-{name}.png")
    page.d.save_screenshot(path)
    return path


def check_layouts(page, artifacts):
    long_code = "```\n" + "x = " + "1 + " * 80 + "1\n```\n\nA long word: " + "abc" * 60
    stored = [conv("c1", "Python hello", 3, "Write hello world in Python", CODE_ANSWER),
              conv("c2", "Long lines", 2, "Show a long line", long_code)]
    page.load(stored, "c1")
    light = page.js("return getComputedStyle(document.body).backgroundColor")
    shots = [screenshot(page, artifacts, "desktop")]
    check(page.find("#settings").is_displayed(), "settings open on a wide screen")
    page.find("#toggle-settings").click()
    check(not page.find("#settings").is_displayed(), "settings collapse")
    page.find("#toggle-settings").click()

    page.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 400, "height": 780, "deviceScaleFactor": 1, "mobile": True})
    page.js("localStorage.removeItem('llama-fast.settings-open')")
    page.load()
    check(page.js("return innerWidth") == 400, f"viewport 400 px: {page.js('return innerWidth')}")
    check(not page.find("#settings").is_displayed(), "settings closed on a narrow screen")
    check(page.js("return document.getElementById('sidebar').getBoundingClientRect().right") <= 0,
          "sidebar out of the way at 400 px")
    for cid in ("c1", "c2"):
        page.js("localStorage.setItem('llama-fast.current', arguments[0])", cid)
        page.load()
        widths = page.js("""const m = document.getElementById('messages');
            return [document.documentElement.scrollWidth, document.body.scrollWidth, m.scrollWidth, m.clientWidth]""")
        check(widths[0] <= 400 and widths[1] <= 400 and widths[2] <= widths[3], f"{cid}: no horizontal scroll: {widths}")
        if cid == "c1":
            shots.append(screenshot(page, artifacts, "400px"))
    page.find("#toggle-sidebar").click()
    page.wait("sidebar slides in", lambda: page.js(
        "return document.getElementById('sidebar').getBoundingClientRect().left") >= 0, 5)
    shots.append(screenshot(page, artifacts, "400px-sidebar"))
    page.find("#conversations li[data-id='c1'] .open").click()
    check(page.messages()[0][1] == "Write hello world in Python", "switching from the narrow sidebar")
    page.wait("sidebar closes after switching", lambda: page.js(
        "return document.getElementById('sidebar').getBoundingClientRect().right") <= 0, 5)
    page.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    page.d.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    page.load()
    dark = page.js("return getComputedStyle(document.body).backgroundColor")
    lum = lambda c: sum(int(v) for v in c[c.index("(") + 1:c.index(")")].split(",")[:3]) / 3
    check(lum(light) > 200 and lum(dark) < 60, f"light {light}, dark {dark}")
    code_bg = page.js("return getComputedStyle(document.querySelector('#messages pre')).backgroundColor")
    check(lum(code_bg) < 60, f"code blocks dark too: {code_bg}")
    shots.append(screenshot(page, artifacts, "dark"))
    page.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    print("screenshots: " + " ".join(shots), file=sys.stderr)


def main():
    base, artifacts = session_args("check_chat_page.py")
    driver = start_browser()
    try:
        page = Page(driver, base)
        for step in (check_rendering, check_xss, check_round_trip_and_reload, check_settings_sent,
                     check_conversations, lambda p: check_layouts(p, artifacts)):
            try:
                step(page)
            except Exception as e:  # a broken step is one failure; the others still run
                check(False, f"{getattr(step, '__name__', 'step')}: {type(e).__name__}: {e}")
        logs = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        check(logs == [], f"no errors in the console: {json.dumps(logs)[:600]}")
    finally:
        driver.quit()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
