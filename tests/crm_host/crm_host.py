"""Starts omniroute-crm-host on loopback and talks to it with the standard library only.

    with CrmHost(tmp_path / "data", config=SHORT_SLA_CONFIG) as host:
        status, body = host.request("POST", "/api/items", {"id": "t1", ...})

The binary comes from the environment variable OMNIROUTE_CRM_HOST (ctest sets it).
"""

import http.client
import json
import os
import pathlib
import select
import signal
import subprocess
import time

SUPERVISOR = "supervisor-token-0123456789abcdef"
AGENT_A1 = "agent-a1-token-0123456789abcdef"
AGENT_A2 = "agent-a2-token-0123456789abcdef"
READONLY = "readonly-token-0123456789abcdef"
TOKENS = {"supervisor": SUPERVISOR, "a1": AGENT_A1, "a2": AGENT_A2, "readonly": READONLY}
TOKEN_LINES = (f"{SUPERVISOR} supervisor\n{AGENT_A1} agent a1\n{AGENT_A2} agent a2\n"
               f"{READONLY} readonly\n")

# SLA targets long enough that nothing fires by itself during a test.
QUIET_CONFIG = {
    "skills": ["billing", "technical", "senior"],
    "channels": [{"name": "voice", "cost": 100, "blocks": ["chat"]},
                 {"name": "chat", "cost": 30}, {"name": "email", "cost": 10}],
    "sla_policies": [{"name": "tiered", "warn_at": [0.5],
                      "targets": {"A": {"first_response": "1h", "resolution": "8h"},
                                  "B": {"first_response": "2h", "resolution": "24h"},
                                  "C": {"first_response": "4h", "resolution": "48h"}}}],
    "escalation": {"name": "support",
                   "levels": [{"name": "L1"}, {"name": "L2"}],
                   "rules": [{"trigger": {"kind": "manual"}}]},
    "queues": [{"name": "support", "sla_policy": "tiered", "offer_timeout": "1h"},
               {"name": "billing", "sla_policy": "tiered", "offer_timeout": "1h"}],
    "agents": {"reject_cooldown": "0s", "away_on_missed_offer": False},
}

# First response due 1.2 s after creation (warning at 0.6 s), resolution after 2.4 s.
SHORT_SLA_CONFIG = {
    "sla_policies": [{"name": "fast", "warn_at": [0.5],
                      "targets": {"A": {"first_response": 1.2, "resolution": 2.4}}}],
    "queues": [{"name": "support", "sla_policy": "fast", "offer_timeout": "1h"}],
}


def binary():
    path = os.environ.get("OMNIROUTE_CRM_HOST")
    if not path:
        raise RuntimeError("set OMNIROUTE_CRM_HOST to the omniroute-crm-host program")
    return path


class CrmHost:
    """One run of the host; `restart()` runs it again on the same data directory."""

    def __init__(self, data_dir, config=None, tokens=TOKEN_LINES, args=(), env=None,
                 tokens_in_env=True):
        self.data_dir = pathlib.Path(data_dir)
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.config_path = None
        if config is not None:
            self.config_path = self.data_dir.parent / f"{self.data_dir.name}-config.json"
            self.config_path.write_text(json.dumps(config))
        self.tokens = tokens
        self.tokens_in_env = tokens_in_env
        self.args = list(args)
        self.extra_env = dict(env or {})
        self.process = None
        self.port = None
        self.stderr_path = self.data_dir.parent / f"{self.data_dir.name}-stderr.log"
        self.runs = 0

    def command(self):
        cmd = [binary(), "--port", "0", "--data", str(self.data_dir)]
        if self.config_path is not None:
            cmd += ["--config", str(self.config_path)]
        return cmd + self.args

    def environment(self):
        env = {k: v for k, v in os.environ.items() if k != "OMNIROUTE_TOKENS"}
        if self.tokens is not None and self.tokens_in_env:
            env["OMNIROUTE_TOKENS"] = self.tokens
        env.update(self.extra_env)
        return env

    def start(self, timeout=20):
        self.runs += 1
        with open(self.stderr_path, "ab") as err:
            err.write(f"--- run {self.runs}\n".encode())
            self.process = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=err,
                                            env=self.environment())
        line = self._read_line(timeout)
        prefix = "listening on http://127.0.0.1:"
        if not line.startswith(prefix):
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"unexpected first line {line!r}; stderr: {self.stderr()}")
        self.port = int(line[len(prefix):])
        return self

    def _read_line(self, timeout):
        deadline = time.monotonic() + timeout
        data = b""
        fd = self.process.stdout.fileno()
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no start-up line within {timeout}s; stderr: {self.stderr()}")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1)
            if not chunk:
                code = self.process.wait()
                raise AssertionError(f"the host exited with {code}; stderr: {self.stderr()}")
            data += chunk
        return data.decode().strip()

    def stderr(self):
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self.process.stdout.close()
        self.process = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, token=SUPERVISOR, headers=None, raw=None):
        """(status, parsed JSON or text, response headers). `raw` sends bytes as they are."""
        conn = self.connection()
        try:
            all_headers = dict(headers or {})
            if token is not None:
                all_headers["Authorization"] = f"Bearer {token}"
            payload = raw if raw is not None else (None if body is None else json.dumps(body))
            if payload is not None:
                all_headers.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
            content_type = response.getheader("Content-Type", "")
            parsed = json.loads(data) if "json" in content_type and data else data.decode(
                errors="replace")
            return response.status, parsed, dict(response.getheaders())
        finally:
            conn.close()

    def ok(self, method, path, body=None, token=SUPERVISOR, expect=(200, 201)):
        status, data, _ = self.request(method, path, body, token)
        assert status in expect, f"{method} {path} -> {status} {data}"
        return data

    def health(self):
        return self.ok("GET", "/api/health")

    def audit(self):
        rows, after = [], 0
        while True:
            page = self.ok("GET", f"/api/audit?after_seq={after}&limit=1000")
            rows += page["rows"]
            if len(page["rows"]) < 1000:
                return rows
            after = rows[-1]["seq"]


def verify_journal(data_dir, *extra):
    result = subprocess.run([binary(), "--verify-journal", "--data", str(data_dir), *extra],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout) if result.stdout else None, result.stderr


class EventStream:
    """A server-sent-event stream read with http.client (as the dashboard reads it with fetch)."""

    def __init__(self, host, token=SUPERVISOR, last_event_id=None, timeout=10):
        self.conn = host.connection(timeout=timeout)
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/api/events", headers=headers)
        self.response = self.conn.getresponse()
        self.buffer = b""

    def close(self):
        self.conn.close()

    def next_block(self):
        """The next message (lines up to a blank line) as a list of lines."""
        while b"\n\n" not in self.buffer:
            chunk = self.response.read1(65536)
            if not chunk:
                raise EOFError("the stream ended")
            self.buffer += chunk
        block, self.buffer = self.buffer.split(b"\n\n", 1)
        return block.decode().split("\n")

    def next_event(self):
        """The next message that is not a comment: {"id", "event", "data"}."""
        while True:
            lines = self.next_block()
            fields = {}
            for line in lines:
                if line.startswith(":"):
                    continue
                key, _, value = line.partition(": ")
                fields[key] = value
            if fields:
                if "data" in fields:
                    fields["data"] = json.loads(fields["data"])
                return fields

    def events_until(self, predicate, limit=200):
        seen = []
        for _ in range(limit):
            event = self.next_event()
            seen.append(event)
            if predicate(event):
                return seen
        raise AssertionError(f"no matching event among {seen}")
