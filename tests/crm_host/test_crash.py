"""Kill -9 at a random moment: every acknowledged command survives, and the state the host
restores equals a fresh replay of its journal.

Client threads drive items through their lifecycle on loopback while the clock expires offers and
fires SLA warnings. Once a random number of commands (1500 to 3500) has been acknowledged (or
30 s have passed with at least 1000 on a slow build), and no sooner than 2.5 s in, so that the
clock has expired offers of its own, the host gets SIGKILL. Then: --verify-journal replays the
journal from scratch and from the latest snapshot (equal digests), the restarted host reports
that same digest at the same seq, every acknowledged command is in the journal as it was sent,
and the restored items are exactly those the journal leaves open. The seed is printed;
OMNIROUTE_CRASH_SEED repeats a run.
"""

import http.client
import json
import os
import random
import re
import signal
import threading
import time

from crm_host import SUPERVISOR, CrmHost, verify_journal

AGENTS = [f"a{n}" for n in range(12)]
CONFIG = {
    "sla_policies": [{"name": "fast", "warn_at": [0.5],
                      "targets": {"A": {"first_response": 2, "resolution": 30},
                                  "B": {"first_response": 20, "resolution": 60}}}],
    "queues": [{"name": "support", "sla_policy": "fast", "offer_timeout": "1s"}],
    "agents": {"reject_cooldown": "0s", "missed_cooldown": "0s", "away_on_missed_offer": False},
}
END_KINDS = {"confirm", "cancel", "abandon"}
# Longer than the queue's offer timeout, with room for the clock's ticks.
MIN_RUN_SECONDS = 2.5


class Client(threading.Thread):
    """Sends commands over one keep-alive connection and records the acknowledged ones."""

    def __init__(self, host, number, rng, acknowledged, lock, stop):
        super().__init__(daemon=True)
        self.host, self.number, self.rng = host, number, rng
        self.acknowledged, self.lock, self.stop = acknowledged, lock, stop
        self.conn = None
        self.open_items = []

    def send(self, method, path, body):
        if self.conn is None:
            self.conn = self.host.connection(timeout=10)
        payload = json.dumps(body)
        self.conn.request(method, path, body=payload,
                          headers={"Authorization": f"Bearer {SUPERVISOR}",
                                   "Content-Type": "application/json"})
        response = self.conn.getresponse()
        data = json.loads(response.read())
        if response.status in (200, 201):
            with self.lock:
                self.acknowledged.append((data["seq"], method, path, body))
        return response.status, data

    def step(self, serial):
        roll = self.rng.random()
        if roll < 0.35 or not self.open_items:
            item = f"c{self.number}-{serial}"
            status, data = self.send("POST", "/api/items", {
                "id": item, "queue": "support", "channel": "chat",
                "priority": self.rng.choice(["A", "B"]), "tags": [f"t{serial % 7}"]})
            if status == 201:
                self.open_items.append(item)
            return
        item = self.rng.choice(self.open_items)
        if roll < 0.45:
            agent = self.rng.choice(AGENTS)
            self.send("POST", f"/api/agents/{agent}/state",
                      {"state": self.rng.choice(["available", "available", "away"])})
            return
        action = self.rng.choice(["accept", "respond", "resolve", "confirm", "reject",
                                  "customer_message", "pause", "resume", "escalate", "cancel",
                                  "reopen", "transfer"])
        body = {}
        if action in ("accept", "reject"):
            body = {"agent": self.rng.choice(AGENTS)}
        elif action == "transfer":
            body = {"queue": "support"}
        status, data = self.send("POST", f"/api/items/{item}/{action}", body)
        if status == 200 and data.get("item") is None:
            self.open_items.remove(item)

    def run(self):
        serial = 0
        while not self.stop.is_set():
            serial += 1
            try:
                self.step(serial)
            except (OSError, http.client.HTTPException, ValueError):
                return  # the host is gone


def test_sigkill_keeps_every_acknowledged_command(tmp_path):
    seed = int(os.environ.get("OMNIROUTE_CRASH_SEED", random.randrange(1 << 30)))
    print(f"OMNIROUTE_CRASH_SEED={seed}")
    rng = random.Random(seed)
    host = CrmHost(tmp_path / "data", config=CONFIG,
                   args=["--tick-ms", "20", "--snapshot-every", "400"])
    host.start()
    try:
        for agent in AGENTS:
            host.ok("POST", "/api/agents", {"id": agent, "capacity": {"chat": 3},
                                            "queues": ["support"]})
            host.ok("POST", f"/api/agents/{agent}/state", {"state": "available"})

        acknowledged, lock, stop = [], threading.Lock(), threading.Event()
        clients = [Client(host, n, random.Random(rng.random()), acknowledged, lock, stop)
                   for n in range(6)]
        kill_after = rng.randrange(1500, 3500)
        started = time.monotonic()
        for client in clients:
            client.start()
        while True:
            with lock:
                count = len(acknowledged)
            elapsed = time.monotonic() - started
            # Slow builds (sanitizers) stop at 30 s once a thousand commands are in.
            if elapsed >= MIN_RUN_SECONDS and (
                    count >= kill_after or (elapsed > 30 and count >= 1000)):
                break
            assert elapsed < 45, f"only {count} commands in 45 s"
            assert all(c.is_alive() for c in clients), host.stderr()
            time.sleep(0.002)
        host.process.send_signal(signal.SIGKILL)
        assert host.process.wait(timeout=20) == -signal.SIGKILL
        host.process.stdout.close()
        host.process = None
        stop.set()
        for client in clients:
            client.join(timeout=20)
        rate = len(acknowledged) / (time.monotonic() - started)
        print(f"{len(acknowledged)} commands acknowledged ({rate:.0f}/s) before SIGKILL")

        code, replay, stderr = verify_journal(host.data_dir)
        assert code == 0, stderr
        assert replay["state_digest"] == replay["restored_digest"]
        assert replay["restored_from_snapshot"] > 0

        host.start()
        restored = re.findall(r"journal .* at seq (\d+) \(.*\); state digest ([0-9a-f]{16})",
                              host.stderr())[-1]
        assert (int(restored[0]), restored[1]) == (replay["journal_seq"], replay["state_digest"])

        rows = {row["seq"]: row for row in host.audit()}
        assert max(rows) >= max(seq for seq, *_ in acknowledged)
        for seq, method, path, body in acknowledged:
            command = rows[seq]["command"]
            parts = path.split("/")
            if path == "/api/items":
                assert (command["kind"], command["body"]) == ("submit", body)
            elif parts[2] == "agents":
                assert (command["kind"], command["agent"], command["body"]) == (
                    "set_agent_state", parts[3], body)
            else:
                assert (command["kind"], command["item"], command["body"]) == (parts[4], parts[3], body)
            assert rows[seq]["role"] == "supervisor"
        assert any(row["role"] == "clock" for row in rows.values()), "the clock fired nothing"

        # The restored host holds exactly the items the journal leaves open.
        submitted = {row["command"]["body"]["id"] for row in rows.values()
                     if row["command"]["kind"] == "submit"}
        ended = {row["command"]["item"] for row in rows.values()
                 if row["command"]["kind"] in END_KINDS}
        held = {item["id"] for item in host.ok("GET", "/api/items")["items"]}
        assert held == submitted - ended
        host.stop()

        code, final, stderr = verify_journal(host.data_dir)
        assert code == 0, stderr
        assert final["state_digest"] == final["restored_digest"]
    finally:
        host.stop()
