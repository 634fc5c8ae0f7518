"""The CRM host's dashboard in headless Chromium, against the real host on loopback.

The host runs with SLA targets of a few seconds, items are driven through the API, and the page
must show them: countdowns that turn amber at the warning and red at the breach, the queues and
agents tables, the token handling and the event stream's reconnection. Chromium is driven through
its DevTools protocol over a pipe (`--remote-debugging-pipe`), which needs nothing beyond the
`chromium` package and opens no debugging port; a dead proxy for everything but loopback keeps it
off the network.

Environment: OMNIROUTE_CRM_HOST (the host binary; required), OMNIROUTE_CHROMIUM (default: chromium
on PATH), OMNIROUTE_TEST_ARTIFACTS (where screenshots go; default: pytest's temporary directory),
OMNIROUTE_UPDATE_SCREENSHOT (a path to copy the wallboard screenshot to, e.g. docs/dashboard.png).
"""

import base64
import json
import os
import pathlib
import re
import select
import shutil
import signal
import subprocess
import time

import pytest

from crm_host import READONLY, CrmHost

# Priority A: first response in 4 s, resolution in 10 s, warnings at half-time. Priority B is slow
# enough never to warn during the test.
ENGINE_CONFIG = {
    "priorities": ["A", "B"],
    "sla_policies": [
        {
            "name": "quick",
            "warn_at": [0.5],
            "targets": {
                "A": {"first_response": "4s", "resolution": "10s"},
                "B": {"first_response": "1h", "resolution": "8h"},
            },
        }
    ],
    "queues": [
        {"name": "support", "sla_policy": "quick", "auto_accept": True, "service_level": "20s"},
        {"name": "billing", "sla_policy": "quick", "service_level": "20s"},
    ],
}
FIRST_RESPONSE_SECONDS = 4.0
RESOLUTION_SECONDS = 10.0
WARN_FRACTION = 0.5
# How late the page may show what the host fired (a clock tick, the stream, a re-read, a busy CI
# machine); the page must never show it early.
LATENESS_SECONDS = 3.0

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-breakpad",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--hide-scrollbars",
    # Every request goes to a dead proxy, except loopback, where the host listens.
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<loopback>",
    "--window-size=1600,1000",
    "--remote-debugging-pipe",
]

# Records every SLA class a countdown cell takes, with the browser's time, so that a short amber
# phase cannot slip between two polls.
RECORD_SLA_CLASSES = """
(() => {
  window.slaLog = [];
  const record = (cell) => {
    const severity = [...cell.classList].find((name) => name.startsWith('sla-'));
    if (severity) {
      window.slaLog.push({item: cell.dataset.item, metric: cell.dataset.metric, severity,
                          text: cell.textContent, at: Date.now() / 1000});
    }
  };
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      if (mutation.type === 'attributes' && mutation.target.matches('td.countdown')) {
        record(mutation.target);
      }
      for (const node of mutation.addedNodes) {
        if (node.nodeType === Node.ELEMENT_NODE) {
          node.querySelectorAll('td.countdown').forEach(record);
        }
      }
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             attributeFilter: ['class']});
  return true;
})()
"""


def chromium_executable():
    configured = os.environ.get("OMNIROUTE_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


def artifacts_dir(tmp_path_factory):
    configured = os.environ.get("OMNIROUTE_TEST_ARTIFACTS")
    if configured:
        path = pathlib.Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("artifacts")


class DevToolsError(RuntimeError):
    pass


class Browser:
    """Headless Chromium driven through the DevTools protocol on file descriptors 3 and 4."""

    def __init__(self, executable, profile_dir, log_path):
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def wire_pipes():
            # Chromium reads commands from fd 3 and writes answers to fd 4; dup first so that
            # neither end is overwritten when the pipes already sit on 3 or 4.
            read_end, write_end = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        with open(log_path, "wb") as log:
            self._process = subprocess.Popen(
                [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=(3, 4),
                preexec_fn=wire_pipes,
                start_new_session=True,
            )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def send(self, method, params=None, session_id=None, timeout=30.0):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline, method)
            if answer.get("id") != self._next_id:
                if "method" in answer:
                    self.events.append(answer)
                continue
            if "error" in answer:
                raise DevToolsError(f"{method}: {answer['error'].get('message')}")
            return answer.get("result", {})

    def _read(self, deadline, waiting_for):
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DevToolsError(f"{waiting_for}: no answer from Chromium")
            readable, _, _ = select.select([self._from_browser], [], [], remaining)
            if readable:
                chunk = os.read(self._from_browser, 1 << 16)
                if not chunk:
                    raise DevToolsError(f"{waiting_for}: Chromium closed the pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def new_page(self):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        return Page(self, target, session["sessionId"])

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
            self._process.wait(timeout=10)
        except (DevToolsError, OSError, subprocess.TimeoutExpired):
            pass
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


class Page:
    """One tab, attached over the browser's pipe."""

    def __init__(self, browser, target_id, session_id):
        self._browser = browser
        self._target_id = target_id
        self._session_id = session_id
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Network.enable")

    def send(self, method, params=None, timeout=30.0):
        return self._browser.send(method, params, self._session_id, timeout)

    def open(self, url):
        self.send("Page.navigate", {"url": url})
        wait_for(lambda: self.evaluate("document.readyState") == "complete", "the page to load")

    def evaluate(self, expression):
        answer = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise DevToolsError(f"{expression!r} threw: {text}")
        return answer["result"].get("value")

    def _query(self, selector, what):
        return self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            f" return e ? {what} : null; }})()")

    def text(self, selector):
        """The element's rendered text, white space collapsed; None when there is none."""
        return self._query(selector, "e.innerText.replace(/\\s+/g, ' ').trim()")

    def exists(self, selector):
        return self._query(selector, "true") is not None

    def classes(self, selector):
        return self._query(selector, "[...e.classList]")

    def visible(self, selector):
        """Whether the element takes up room on the page (False when there is none)."""
        return bool(self._query(selector, "e.getClientRects().length > 0"))

    def stream(self):
        """The page's connection state: no-token, connecting, live, reconnecting or refused."""
        return self.evaluate("document.body.dataset.stream")

    def requests(self, url_part):
        """The requests this page sent whose URL contains `url_part`, oldest first."""
        self.evaluate("0")  # collects the events Chromium sent before its answer
        return [
            event["params"]["request"]
            for event in self._browser.events
            if event.get("sessionId") == self._session_id
            and event["method"] == "Network.requestWillBeSent"
            and url_part in event["params"]["request"]["url"]
        ]

    def uncaught_exceptions(self):
        self.evaluate("0")  # collects the events Chromium sent before its answer
        return [
            event["params"]["exceptionDetails"]
            for event in self._browser.events
            if event.get("sessionId") == self._session_id
            and event["method"] == "Runtime.exceptionThrown"
        ]

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        self._browser.send("Target.closeTarget", {"targetId": self._target_id})


def wait_until_quiet(page, quiet_seconds=1.0, timeout=10.0):
    """Waits until the page has read nothing from the API for `quiet_seconds`."""
    deadline = time.monotonic() + timeout
    count, since = len(page.requests("/api/")), time.monotonic()
    while time.monotonic() - since < quiet_seconds:
        assert time.monotonic() < deadline, "the page kept reading the API"
        time.sleep(0.1)
        latest = len(page.requests("/api/"))
        if latest != count:
            count, since = latest, time.monotonic()


def wait_for(condition, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    executable = chromium_executable()
    if not executable:
        pytest.skip("chromium is not installed (scripts/setup.sh installs it from Debian)")
    directory = tmp_path_factory.mktemp("chromium")
    started = Browser(executable, directory / "profile", directory / "chromium.log")
    yield started
    started.close()


@pytest.fixture
def host(tmp_path):
    started = CrmHost(tmp_path / "data", config=ENGINE_CONFIG).start()
    yield started
    # A clean stop waits for the browser's idle keep-alive connections to time out (5 s).
    started.kill()


@pytest.fixture
def page(browser):
    opened = browser.new_page()
    yield opened
    exceptions = opened.uncaught_exceptions()
    opened.close()
    assert exceptions == [], "the page threw"


def url(host):
    return f"http://127.0.0.1:{host.port}"


def countdown(item, metric):
    return f'#items td.countdown[data-item="{item}"][data-metric="{metric}"]'


def queue_cell(queue, column):
    return f'#queues tr[data-queue="{queue}"] .{column}'


def agent_cell(agent, column):
    return f'#agents tr[data-agent="{agent}"] .{column}'


def item_row(item):
    return f'#items tr[data-item="{item}"]'


def severities(page, item, metric):
    """The SLA classes the cell took, in order, each with the browser time it first took it."""
    changes = []
    for entry in page.evaluate("window.slaLog"):
        if entry["item"] == item and entry["metric"] == metric:
            if not changes or changes[-1][0] != entry["severity"]:
                changes.append((entry["severity"], entry["at"], entry["text"]))
    return changes


def seconds_of(text):
    """A countdown's text ("05:07", "1:00:00", "\u221200:03": overdue) in seconds."""
    match = re.fullmatch(r"(\u2212?)(?:(\d+):)?(\d+):(\d\d)", text)
    assert match, text
    sign, hours, minutes, seconds = match.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return -total if sign else total


def assert_warned_then_breached(page, item, metric, submitted, target):
    """The cell went ok -> amber -> red, never before the host's instants, and not much after.

    `submitted` is the (before, after) wall-clock window of the item's submission request.
    """
    changes = severities(page, item, metric)
    assert [kind for kind, _, _ in changes] == ["sla-ok", "sla-warning", "sla-breached"], (
        item, metric, changes)
    before, after = submitted
    warned_at, breached_at = changes[1][1], changes[2][1]
    warning_due, breach_due = WARN_FRACTION * target, target
    assert before + warning_due - 0.05 <= warned_at <= after + warning_due + LATENESS_SECONDS, (
        item, metric, submitted, changes)
    assert before + breach_due - 0.05 <= breached_at <= after + breach_due + LATENESS_SECONDS, (
        item, metric, submitted, changes)
    assert seconds_of(changes[2][2]) <= 0, changes


def test_page_without_a_token_asks_for_one(host, page):
    page.open(url(host) + "/")
    wait_for(lambda: page.visible("#message"), "the missing-token message")
    assert "No access token" in page.text("#message-text")
    assert page.visible("#token-form")
    assert not page.visible("#board")
    assert page.requests("/api/") == []


def test_page_with_a_refused_token_says_so_and_forgets_it(host, page):
    page.open(url(host) + "/#token=not-a-token-of-this-host")
    wait_for(lambda: page.stream() == "refused", "the token to be refused")
    assert "refused this access token" in page.text("#message-text")
    assert page.evaluate("location.hash") == ""
    assert page.evaluate("sessionStorage.getItem('omniroute.token')") is None
    assert page.visible("#token-form")
    assert not page.visible("#board")


def test_wallboard_shows_queues_agents_and_sla_countdowns_turning_amber_then_red(
        host, page, tmp_path_factory):
    host.ok("POST", "/api/agents", {"id": "ana", "capacity": {"chat": 2}, "queues": ["support"]})
    host.ok("POST", "/api/agents/ana/state", {"state": "available"})
    host.ok("POST", "/api/agents", {"id": "ben", "capacity": {"email": 3}, "queues": ["billing"]})
    host.ok("POST", "/api/agents", {"id": "cleo", "capacity": {"chat": 1, "email": 2},
                                      "queues": ["support", "billing"]})
    host.ok("POST", "/api/agents/cleo/state", {"state": "away", "reason": "lunch"})

    page.open(f"{url(host)}/#token={READONLY}")
    wait_for(lambda: page.stream() == "live", "the event stream")
    wait_for(lambda: page.exists('#agents tr[data-agent="cleo"]'), "the agents")
    assert page.visible("#board") and not page.visible("#message")
    # The token leaves the address bar at once.
    assert page.evaluate("location.hash") == ""
    assert page.evaluate("sessionStorage.getItem('omniroute.token')") == READONLY
    assert page.evaluate(RECORD_SLA_CLASSES)
    wait_until_quiet(page)

    def submit(item):
        before = time.time()
        host.ok("POST", "/api/items", item)
        return before, time.time()

    chat_1 = submit({"id": "chat-1", "queue": "support", "channel": "chat", "priority": "A",
                     "tier": "vip"})
    host.ok("POST", "/api/items/chat-1/respond")
    mail_1 = submit({"id": "mail-1", "queue": "billing", "channel": "email", "priority": "A",
                     "tags": ["angry"]})
    submit({"id": "mail-2", "queue": "billing", "channel": "email", "priority": "B"})

    # Items submitted once the page has settled come in through the event stream (the
    # background re-read is 30 s away).
    wait_for(lambda: all(page.exists(item_row(item)) for item in ("chat-1", "mail-1", "mail-2")),
             "the submitted items", timeout=5)
    wait_for(lambda: page.text(queue_cell("billing", "waiting")) == "2 A 1 · B 1",
             "billing to show two waiting", timeout=5)
    assert page.text(queue_cell("support", "waiting")) == "0"
    assert page.text(queue_cell("support", "staffing")) == "1 / 2 free / on"
    assert page.text(queue_cell("billing", "staffing")) == "0 / 1 free / on"
    assert seconds_of(page.text(queue_cell("billing", "longest-wait"))) >= 0
    wait_for(lambda: page.text(agent_cell("ana", "work")) == "chat-1", "ana to hold chat-1",
             timeout=5)
    assert page.text(agent_cell("ana", "state")) == "available"
    assert page.text(agent_cell("ana", 'channel[data-channel="chat"]')) == "chat 1/2"
    assert page.text(agent_cell("ben", "state")) == "offline"
    assert page.text(agent_cell("cleo", "state")) == "away · lunch"

    # chat-1 was answered at once: its first-response clock is met, not counting down.
    wait_for(lambda: page.text(countdown("chat-1", "first_response")) == "met",
             "chat-1's first response to be met", timeout=5)
    assert page.classes(countdown("chat-1", "first_response")) == ["countdown", "sla-stopped"]
    # A running countdown ticks down.
    first = seconds_of(page.text(countdown("mail-2", "first_response")))
    time.sleep(2)
    second = seconds_of(page.text(countdown("mail-2", "first_response")))
    assert 3590 < second < first <= 3600, (first, second)

    # mail-1's first response: amber at 2 s, red at 4 s; the resolutions: amber at 5 s.
    wait_for(lambda: "sla-breached" in page.classes(countdown("mail-1", "first_response"))
             and "sla-warning" in page.classes(countdown("chat-1", "resolution")),
             "mail-1's first response to breach and chat-1's resolution to warn")
    artifacts = artifacts_dir(tmp_path_factory)
    shot = artifacts / "dashboard.png"
    page.screenshot(shot)
    print(f"dashboard screenshot: {shot}")
    if os.environ.get("OMNIROUTE_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["OMNIROUTE_UPDATE_SCREENSHOT"])

    wait_for(lambda: all("sla-breached" in page.classes(countdown(item, "resolution"))
                         for item in ("chat-1", "mail-1")), "both resolutions to breach")
    breached_shot = artifacts / "dashboard_breached.png"
    page.screenshot(breached_shot)
    print(f"dashboard screenshot after the breaches: {breached_shot}")

    assert_warned_then_breached(page, "mail-1", "first_response", mail_1, FIRST_RESPONSE_SECONDS)
    assert_warned_then_breached(page, "mail-1", "resolution", mail_1, RESOLUTION_SECONDS)
    assert_warned_then_breached(page, "chat-1", "resolution", chat_1, RESOLUTION_SECONDS)
    assert [kind for kind, _, _ in severities(page, "mail-2", "first_response")] == ["sla-ok"]
    assert [kind for kind, _, _ in severities(page, "mail-2", "resolution")] == ["sla-ok"]
    # The most urgent item comes first, the one with hours to go last.
    order = page.evaluate("[...document.querySelectorAll('#items tbody tr')]"
                          ".map((row) => row.dataset.item)")
    assert order[-1] == "mail-2", order
    assert page.text("#sum-waiting") == "2"

    # The token travels in the Authorization header only, never in a URL.
    for request in page.requests(""):
        assert READONLY not in request["url"], request["url"]
    for request in page.requests("/api/"):
        assert request["headers"].get("Authorization") == f"Bearer {READONLY}", request


def test_event_stream_reconnects_with_last_event_id_after_a_host_restart(host, page):
    page.open(f"{url(host)}/#token={READONLY}")
    wait_for(lambda: page.stream() == "live", "the event stream")
    written = host.ok("POST", "/api/items", {"id": "before", "queue": "billing",
                                               "channel": "email", "priority": "B"})
    last_seq = max(event["seq"] for event in written["events"])
    wait_for(lambda: page.exists(item_row("before")), "the item submitted before the restart")

    assert host.stop() == 0
    wait_for(lambda: page.stream() == "reconnecting", "the page to see the stream end")
    host.args = ["--port", str(host.port)]  # the last --port wins: the page's origin again
    host.start()
    wait_for(lambda: page.stream() == "live", "the stream to reconnect", timeout=20)
    host.ok("POST", "/api/items", {"id": "after", "queue": "billing", "channel": "email",
                                     "priority": "B"})
    wait_for(lambda: page.exists(item_row("after")), "the item submitted after the restart",
             timeout=5)
    assert page.exists(item_row("before"))

    streams = page.requests("/api/events")
    assert len(streams) >= 2, streams
    assert "Last-Event-ID" not in streams[0]["headers"]
    assert "Last-Event-ID" in streams[-1]["headers"], streams[-1]
    resumed_from = int(streams[-1]["headers"]["Last-Event-ID"])
    assert resumed_from >= last_seq, (resumed_from, last_seq)
