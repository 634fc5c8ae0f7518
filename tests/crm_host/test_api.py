"""The CRM host's HTTP API on loopback: every endpoint, every error class, every role boundary.

API.md (examples/crm_host/) is the contract these tests hold the host to.
"""

import datetime
import http.client
import itertools
import json
import os
import pathlib
import sqlite3
import stat
import subprocess
import time

import pytest

from crm_host import (AGENT_A1, AGENT_A2, QUIET_CONFIG, READONLY, SHORT_SLA_CONFIG, SUPERVISOR,
                      TOKEN_LINES, TOKENS, CrmHost, EventStream, binary, verify_journal)

WEB_DIR = pathlib.Path(__file__).resolve().parents[2] / "examples" / "crm_host" / "web"
_ids = itertools.count(1)


def fresh(prefix):
    return f"{prefix}{next(_ids)}"


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """A host shared by the tests whose routing does not depend on the other tests' agents."""
    with CrmHost(tmp_path_factory.mktemp("api") / "data", config=QUIET_CONFIG,
                 args=["--tick-ms", "50"]) as running:
        yield running


@pytest.fixture
def own_host(tmp_path):
    """A host of the test's own, so that offers go to the agents it adds."""
    with CrmHost(tmp_path / "data", config=QUIET_CONFIG, args=["--tick-ms", "50"]) as running:
        yield running


def add_agent(host, agent, skills=None, capacity=None, queues=("support",), available=True):
    body = {"id": agent, "skills": skills or {"billing": 5},
            "capacity": capacity or {"chat": 3, "email": 2}, "queues": list(queues)}
    host.ok("POST", "/api/agents", body)
    if available:
        host.ok("POST", f"/api/agents/{agent}/state", {"state": "available"})


def submit(host, item, queue="support", channel="chat", **fields):
    return host.ok("POST", "/api/items", {"id": item, "queue": queue, "channel": channel,
                                           **fields})


def error_of(host, method, path, body=None, token=SUPERVISOR, raw=None):
    status, data, headers = host.request(method, path, body, token, raw=raw)
    assert isinstance(data, dict) and set(data) == {"error"}, data
    assert set(data["error"]) <= {"code", "message", "field"}, data
    return status, data["error"], headers


def stable(views):
    """`views` without the figures that change as time passes."""
    out = json.loads(json.dumps(views))
    for view in out:
        view.pop("estimated_seconds_until_free", None)
        for clock in view.get("sla", []):
            clock.pop("elapsed_seconds")
    return out


def unchanged(host):
    """The journal position and the views that a refused request must leave as they are."""
    return (host.health()["journal_seq"], stable(host.ok("GET", "/api/items")["items"]),
            stable(host.ok("GET", "/api/agents")["agents"]))


def raw_get(host, path):
    conn = host.connection()
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


# --- program ---------------------------------------------------------------------------------

def test_prints_one_line_and_binds_loopback(tmp_path):
    process = subprocess.Popen([binary(), "--port", "0", "--data", str(tmp_path / "d")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "OMNIROUTE_TOKENS": TOKEN_LINES})
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        host = CrmHost(tmp_path / "d")
        host.port = int(line.strip().rsplit(":", 1)[1])
        assert host.health()["ok"] is True
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
    assert process.stdout.read() == "", "only one line goes to stdout"


@pytest.mark.parametrize("args, message", [
    (["--port", "70000"], "--port"),
    (["--frobnicate"], "unknown argument"),
    (["--threads", "4", "--max-streams", "8"], "--threads must exceed"),
    (["--until-seq", "3"], "go with --verify-journal"),
])
def test_bad_flags_exit_1(tmp_path, args, message):
    result = subprocess.run([binary(), "--data", str(tmp_path / "d"), *args],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert message in result.stderr


def test_bad_engine_config_is_refused_with_its_path(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"queues": [{"name": "q", "strategy": "fastest"}]}))
    result = subprocess.run([binary(), "--port", "0", "--data", str(tmp_path / "d"),
                             "--config", str(bad)], capture_output=True, text=True, timeout=30,
                            env={**os.environ, "OMNIROUTE_TOKENS": TOKEN_LINES})
    assert result.returncode == 1
    assert "queues[0].strategy" in result.stderr


def test_bundled_config_runs_without_setup(tmp_path):
    with CrmHost(tmp_path / "d") as host:
        names = [q["name"] for q in host.ok("GET", "/api/queues")["queues"]]
        assert names == ["support", "billing", "sales"]


# --- tokens ----------------------------------------------------------------------------------

def test_without_tokens_a_supervisor_token_file_is_created(tmp_path):
    host = CrmHost(tmp_path / "d", tokens=None)
    with host:
        token_file = tmp_path / "d" / "tokens"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token, role = token_file.read_text().split()
        assert role == "supervisor" and len(token) == 64
        assert str(token_file) in host.stderr()
        assert token not in host.stderr()
        assert host.request("GET", "/api/health", token=token)[0] == 200
        assert host.request("GET", "/api/health", token=SUPERVISOR)[0] == 401
    with host:  # the same token on the next start
        assert host.request("GET", "/api/health", token=token)[0] == 200


def test_tokens_file_and_environment_combine(tmp_path):
    tokens_file = tmp_path / "tokens.txt"
    tokens_file.write_text(f"# wallboard\n\n{READONLY} readonly\n")
    tokens_file.chmod(0o600)
    with CrmHost(tmp_path / "d", tokens=f"{SUPERVISOR} supervisor",
                 args=["--tokens-file", str(tokens_file)]) as host:
        assert host.request("GET", "/api/queues", token=READONLY)[0] == 200
        assert host.request("GET", "/api/queues", token=SUPERVISOR)[0] == 200
        assert host.request("GET", "/api/queues", token=AGENT_A1)[0] == 401
        assert "readable by other users" not in host.stderr()


@pytest.mark.parametrize("lines, message", [
    ("short supervisor", "line 1: a token has 16 to 256 characters"),
    ("abcdefghijklmnopqrstuvwxyz boss", "line 1: unknown role \"boss\""),
    ("abcdefghijklmnopqrstuvwxyz agent", "line 1: an agent token names its agent"),
    ("abcdefghijklmnopqrstuvwxyz readonly a1", "line 1: only agent tokens name an agent"),
    ("abcdefghijklmnopqrstuvwxyz supervisor\n\nabcdefghijklmnopqrstuvwxyz readonly",
     "line 3: duplicate token"),
])
def test_bad_token_lines_are_refused_without_echoing_the_token(tmp_path, lines, message):
    result = subprocess.run([binary(), "--port", "0", "--data", str(tmp_path / "d")],
                            capture_output=True, text=True, timeout=30,
                            env={**os.environ, "OMNIROUTE_TOKENS": lines})
    assert result.returncode == 1
    assert f"OMNIROUTE_TOKENS {message}" in result.stderr
    assert "abcdefghijklmnopqrstuvwxyz" not in result.stderr


def test_world_readable_tokens_file_is_warned_about(tmp_path):
    tokens_file = tmp_path / "tokens.txt"
    tokens_file.write_text(f"{SUPERVISOR} supervisor\n")
    tokens_file.chmod(0o644)
    with CrmHost(tmp_path / "d", tokens=None, args=["--tokens-file", str(tokens_file)]) as host:
        assert "readable by other users" in host.stderr()


# --- authentication --------------------------------------------------------------------------

@pytest.mark.parametrize("headers, message", [
    ({}, "missing Authorization"),
    ({"Authorization": f"Basic {SUPERVISOR}"}, "not \"Bearer TOKEN\""),
    ({"Authorization": "Bearer"}, "not \"Bearer TOKEN\""),
    ({"Authorization": "Bearer wrong-token-0123456789abcdef"}, "unknown token"),
    ({"Authorization": f"Bearer {SUPERVISOR[:-1]}"}, "unknown token"),
    ({"Authorization": f"Bearer {SUPERVISOR}x"}, "unknown token"),
])
def test_every_api_path_needs_a_known_bearer_token(host, headers, message):
    for method, path in [("GET", "/api/health"), ("GET", "/api/items"), ("GET", "/api/nowhere"),
                         ("POST", "/api/items"), ("GET", "/api/events")]:
        conn = host.connection()
        conn.request(method, path, body="{}" if method == "POST" else None, headers=headers)
        response = conn.getresponse()
        data = json.loads(response.read())
        conn.close()
        assert response.status == 401, (method, path, data)
        assert data["error"]["code"] == "unauthenticated"
        assert message in data["error"]["message"]
        assert response.getheader("WWW-Authenticate", "").startswith("Bearer")


def test_bearer_scheme_is_case_insensitive(host):
    conn = host.connection()
    conn.request("GET", "/api/health", headers={"Authorization": f"bearer {SUPERVISOR}"})
    assert conn.getresponse().status == 200
    conn.close()


def test_tokens_never_reach_the_log_nor_the_journal(own_host):
    host = own_host
    add_agent(host, "logged-a", available=False)
    for token in TOKENS.values():
        host.request("GET", "/api/health", token=token)
        host.request("POST", "/api/items", {"id": fresh("x"), "queue": "support",
                                            "channel": "chat"}, token=token)
    host.request("GET", "/api/health", token="attempt-" + SUPERVISOR)
    log = host.stderr()
    database = b"".join(p.read_bytes() for p in host.data_dir.glob("journal.sqlite*"))
    for token in list(TOKENS.values()) + ["attempt-" + SUPERVISOR]:
        assert token not in log
        assert token.encode() not in database


# --- static files ----------------------------------------------------------------------------

def test_dashboard_is_served_without_a_token(host):
    for path in ["/", "/static/index.html"]:
        status, body, headers = raw_get(host, path)
        assert status == 200
        assert body == (WEB_DIR / "index.html").read_bytes()
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_every_web_file_is_embedded_byte_for_byte(host):
    files = [p for p in WEB_DIR.rglob("*") if p.is_file()]
    assert files
    for path in files:
        status, body, _ = raw_get(host, f"/static/{path.relative_to(WEB_DIR).as_posix()}")
        assert (status, body) == (200, path.read_bytes()), path


def test_static_errors(host):
    status, error, _ = error_of(host, "GET", "/static/missing.js", token=None)
    assert (status, error["code"]) == (404, "not_found")
    status, error, headers = error_of(host, "POST", "/", token=None, raw="{}")
    assert (status, error["code"]) == (405, "method_not_allowed")
    assert headers["Allow"] == "GET, HEAD"
    assert error_of(host, "GET", "/elsewhere", token=None)[0] == 404


# --- reads -----------------------------------------------------------------------------------

def test_health(host):
    health = host.health()
    assert health["ok"] is True
    assert len(health["state_digest"]) == 16 and int(health["state_digest"], 16) >= 0
    assert health["now"].endswith("Z") and len(health["now"]) == len("2026-11-23T10:05:00.250Z")
    assert abs(health["now_unix_ns"] / 1e9 - time.time()) < 30
    assert {"journal_seq", "snapshot_seq", "items", "agents"} <= set(health)


def test_views_start_at_the_wall_clock(tmp_path):
    # A long tick: the engine's clock must join the wall clock when the host starts, not a tick
    # later (before, views showed the engine's origin, 1970).
    with CrmHost(tmp_path / "data", config=QUIET_CONFIG,
                 args=["--tick-ms", "60000"]) as fresh_host:
        queues = fresh_host.ok("GET", "/api/queues")
        started = datetime.datetime.fromisoformat(queues["now"].replace("Z", "+00:00"))
        assert abs(started.timestamp() - time.time()) < 30


def test_queues_and_one_queue(host):
    item = fresh("q-t")
    submit(host, item, priority="B", requires={"senior": 10})  # nobody qualifies: it waits
    queues = host.ok("GET", "/api/queues")
    assert queues["now"].endswith("Z")
    assert [q["name"] for q in queues["queues"]] == ["support", "billing"]
    support = queues["queues"][0]
    assert set(support) == {
        "name", "waiting", "longest_wait_seconds", "waiting_by_priority", "service_level",
        "service_level_threshold_seconds", "arrived", "answered", "abandoned",
        "answered_within_threshold", "average_wait_answered_seconds", "agents_staffed",
        "agents_available", "expected_wait_seconds", "service_rate_per_hour"}
    assert support["waiting"] >= 1 and support["waiting_by_priority"]["B"] >= 1
    assert support["service_level_threshold_seconds"] == 20
    one = host.ok("GET", "/api/queues/support")
    assert one["queue"]["name"] == "support" and one["queue"]["waiting"] == support["waiting"]
    status, error, _ = error_of(host, "GET", "/api/queues/nowhere")
    assert (status, error["code"]) == (404, "not_found")
    assert host.ok("GET", f"/api/items/{item}")["item"]["position"] is not None
    host.ok("POST", f"/api/items/{item}/cancel")


def test_agents_and_one_agent(host):
    add_agent(host, "ag-1", skills={"billing": 4, "technical": 2}, capacity={"chat": 2})
    agents = host.ok("GET", "/api/agents")["agents"]
    view = next(a for a in agents if a["id"] == "ag-1")
    assert view["state"] == "available"
    assert view["capacity"] == {"chat": 2}
    assert view["skills"] == {"billing": 4, "technical": 2}
    assert view["queues"] == ["support"]
    assert view["load"] == {} and view["assigned"] == [] and view["offered"] == []
    assert host.ok("GET", "/api/agents/ag-1")["agent"] == view
    assert error_of(host, "GET", "/api/agents/nobody")[0] == 404


def test_items_one_item_filters_and_explain(own_host):
    host = own_host
    add_agent(host, "it-b", skills={"billing": 5}, queues=["billing"])
    add_agent(host, "it-a", skills={"technical": 5}, queues=["billing"])
    item = fresh("it-t")
    submit(host, item, queue="billing", priority="A", requires={"technical": 3}, tier="vip",
           tags=["angry"], customer="c-1")
    view = host.ok("GET", f"/api/items/{item}")["item"]
    assert view["id"] == item and view["state"] == "offered" and view["agent"] == "it-a"
    assert (view["queue"], view["channel"], view["priority"], view["tier"]) == (
        "billing", "chat", "A", "vip")
    assert view["tags"] == ["angry"] and view["customer"] == "c-1"
    assert view["level_name"] == "L1" and view["position"] is None
    metrics = {c["metric"]: c for c in view["sla"]}
    assert set(metrics) == {"first_response", "resolution"}
    assert metrics["first_response"]["target_seconds"] == 3600
    assert metrics["first_response"]["state"] == "running"
    assert metrics["first_response"]["deadline"].endswith("Z")
    assert metrics["first_response"]["warned"] is False
    listed = host.ok("GET", "/api/items")["items"]
    assert [i["id"] for i in listed] == sorted(i["id"] for i in listed)
    assert stable([view])[0] in stable(listed)
    by_queue = host.ok("GET", "/api/items?queue=billing&state=offered&agent=it-a")["items"]
    assert [i["id"] for i in by_queue] == [item]
    assert host.ok("GET", "/api/items?queue=billing&state=queued")["items"] == []
    status, error, _ = error_of(host, "GET", "/api/items?state=sleeping")
    assert (status, error["field"]) == (400, "state")
    for query, name in (("queue=nope", "nope"), ("agent=nobody", "nobody")):
        status, error, _ = error_of(host, "GET", f"/api/items?{query}")
        assert (status, error["code"]) == (404, "not_found")
        assert name in error["message"]
    status, error, _ = error_of(host, "GET", "/api/items?colour=red")
    assert (status, error["field"]) == (400, "colour")
    assert "unknown query parameter" in error["message"]

    explain = host.ok("GET", f"/api/items/{item}/explain")
    assert explain["item"] == item
    mine = next(c for c in explain["candidates"] if c["agent"] == "it-a")
    assert mine["chosen"] is True
    other = next(c for c in explain["candidates"] if c["agent"] == "it-b")
    assert other["eligible"] is False and other["chosen"] is False
    assert other["reason"].startswith("missing skill")
    assert error_of(host, "GET", "/api/items/none/explain")[0] == 404
    assert error_of(host, "GET", "/api/items/none")[0] == 404
    host.ok("POST", f"/api/items/{item}/cancel")


def test_explain_names_the_skills(own_host):
    add_agent(own_host, "nm-b", skills={"billing": 5}, queues=["billing"])
    submit(own_host, "nm-t", queue="billing", requires={"technical": 3})
    reasons = {c["agent"]: c["reason"]
               for c in own_host.ok("GET", "/api/items/nm-t/explain")["candidates"]}
    assert reasons == {"nm-b": "missing skill technical"}


def test_kpis(host):
    before = host.ok("GET", "/api/kpis")["kpis"]
    item = fresh("k-t")
    submit(host, item, queue="billing")
    host.ok("POST", f"/api/items/{item}/cancel")
    after = host.ok("GET", "/api/kpis")["kpis"]
    assert after["submitted"] == before["submitted"] + 1
    assert after["cancelled"] == before["cancelled"] + 1
    for key in ["average_first_response_seconds", "average_resolution_seconds",
                "first_contact_resolution", "on_time", "abandonment_rate", "escalations"]:
        assert key in after


# --- writes: agents --------------------------------------------------------------------------

def test_agent_lifecycle(host):
    created = host.ok("POST", "/api/agents", {
        "id": "life-a", "skills": {"billing": 3}, "capacity": {"chat": 2, "email": 4},
        "budget": 100, "queues": ["support", {"queue": "billing", "priority": 1,
                                              "delay_seconds": 5}]})
    assert created["seq"] > 0 and created["at"].endswith("Z")
    assert created["agent"]["state"] == "offline" and created["agent"]["budget"] == 100
    assert created["agent"]["queues"] == ["support", "billing"]
    status, _, _ = host.request("POST", "/api/agents", {"id": "life-a"})
    assert status == 409
    # PUT: fields left out keep their values.
    updated = host.ok("PUT", "/api/agents/life-a", {"capacity": {"chat": 1}})["agent"]
    assert updated["capacity"] == {"chat": 1}
    assert updated["skills"] == {"billing": 3} and updated["queues"] == ["support", "billing"]
    status, error, _ = error_of(host, "PUT", "/api/agents/life-a", {"id": "other"})
    assert (status, error["field"]) == (400, "id")
    assert error_of(host, "PUT", "/api/agents/ghost", {"capacity": {"chat": 1}})[0] == 404
    state = host.ok("POST", "/api/agents/life-a/state", {"state": "away", "reason": "lunch"})
    assert state["agent"]["state"] == "away" and state["agent"]["away_reason"] == "lunch"
    assert [e["kind"] for e in state["events"]] == ["agent_state"]
    status, error, _ = error_of(host, "POST", "/api/agents/life-a/state", {"state": "asleep"})
    assert (status, error["field"]) == (400, "state")
    removed = host.ok("DELETE", "/api/agents/life-a")
    assert removed["agent"] is None
    assert error_of(host, "GET", "/api/agents/life-a")[0] == 404
    assert error_of(host, "DELETE", "/api/agents/life-a")[0] == 404


def test_removing_an_agent_with_work_is_a_conflict(own_host):
    host = own_host
    add_agent(host, "busy-a", queues=["billing"])
    item = fresh("busy-t")
    submit(host, item, queue="billing")
    host.ok("POST", f"/api/items/{item}/accept", {"agent": "busy-a"})
    status, error, _ = error_of(host, "DELETE", "/api/agents/busy-a")
    assert (status, error["code"]) == (409, "failed_precondition")
    host.ok("POST", f"/api/items/{item}/cancel")


# --- writes: items through their lifecycle ----------------------------------------------------

def test_item_lifecycle_through_every_command(own_host):
    host = own_host
    add_agent(host, "flow-a", queues=["support", "billing"])
    add_agent(host, "flow-b", queues=["support", "billing"])
    item = "flow-t"
    created = host.ok("POST", "/api/items", {"id": item, "queue": "support", "channel": "chat",
                                             "priority": "A"})
    assert created["item"]["state"] == "offered"
    assert [e["kind"] for e in created["events"]] == ["offered"]
    first = created["item"]["agent"]
    second = "flow-b" if first == "flow-a" else "flow-a"
    rejected = host.ok("POST", f"/api/items/{item}/reject", {"agent": first})
    assert [e["kind"] for e in rejected["events"]][:1] == ["rejected"]
    assert (rejected["item"]["state"], rejected["item"]["agent"]) == ("offered", second)
    assert rejected["item"]["rejected_offers"] == 1
    step = host.ok("POST", f"/api/items/{item}/accept", {"agent": second})
    assert step["item"]["state"] == "assigned"
    assert [e["kind"] for e in step["events"]] == ["assigned"]
    step = host.ok("POST", f"/api/items/{item}/respond")
    assert {c["metric"]: c["state"] for c in step["item"]["sla"]}["first_response"] == "met"
    step = host.ok("POST", f"/api/items/{item}/pause", {"reason": "customer"})
    assert step["item"]["state"] == "pending_customer"
    assert {c["metric"]: c["state"] for c in step["item"]["sla"]}["resolution"] == "paused"
    step = host.ok("POST", f"/api/items/{item}/resume", {})
    assert step["item"]["state"] == "assigned"
    step = host.ok("POST", f"/api/items/{item}/customer_message")
    assert step["item"]["state"] == "assigned"
    step = host.ok("POST", f"/api/items/{item}/escalate")
    assert (step["item"]["level"], step["item"]["level_name"]) == (1, "L2")
    assert "escalated" in [e["kind"] for e in step["events"]]
    step = host.ok("PATCH", f"/api/items/{item}", {"priority": "B", "tags": ["vip"],
                                                   "tier": "gold"})
    assert (step["item"]["priority"], step["item"]["tags"], step["item"]["tier"]) == (
        "B", ["vip"], "gold")
    step = host.ok("POST", f"/api/items/{item}/transfer", {"queue": "billing"})
    assert step["item"]["queue"] == "billing" and step["item"]["transfers"] == 1
    assert "transferred" in [e["kind"] for e in step["events"]]
    owner = step["item"]["agent"]
    assert owner in ("flow-a", "flow-b") and step["item"]["state"] == "offered"
    host.ok("POST", f"/api/items/{item}/accept", {"agent": owner})
    step = host.ok("POST", f"/api/items/{item}/resolve")
    assert step["item"]["state"] == "resolved"
    step = host.ok("POST", f"/api/items/{item}/reopen")
    assert step["item"]["reopens"] == 1
    assert (step["item"]["state"], step["item"]["agent"]) == ("offered", owner)
    host.ok("POST", f"/api/items/{item}/accept", {"agent": owner})
    host.ok("POST", f"/api/items/{item}/resolve")
    step = host.ok("POST", f"/api/items/{item}/confirm")
    assert step["item"] is None and "closed" in [e["kind"] for e in step["events"]]
    assert error_of(host, "GET", f"/api/items/{item}")[0] == 404
    kpis = host.ok("GET", "/api/kpis")["kpis"]
    assert (kpis["submitted"], kpis["closed"], kpis["transfers"], kpis["reopened"]) == (
        1, 1, 1, 1)

    for agent in ["flow-a", "flow-b"]:
        host.ok("POST", f"/api/agents/{agent}/state", {"state": "offline"})
    submit(host, "flow-w", queue="billing")
    step = host.ok("POST", "/api/items/flow-w/abandon")
    assert step["item"] is None and [e["kind"] for e in step["events"]] == ["abandoned"]
    submit(host, "flow-c", queue="billing")
    step = host.ok("POST", "/api/items/flow-c/cancel")
    assert step["item"] is None and [e["kind"] for e in step["events"]] == ["cancelled"]


def test_requirements_and_relaxation_are_accepted(host):
    item = fresh("req-t")
    created = submit(host, item, queue="billing", requires={"senior": 2},
                     preferred={"billing": 1.5}, excluded=["technical"],
                     relax=[{"after_seconds": 600, "kind": "drop", "skill": "senior"}],
                     created="2026-01-01T00:00:00Z", deadline="2030-01-01T00:00:00+01:00")
    assert created["item"]["created"] == "2026-01-01T00:00:00.000Z"
    host.ok("PATCH", f"/api/items/{item}", {"requires": {"billing": 1}})
    host.ok("POST", f"/api/items/{item}/cancel")


# --- error classes ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, message", [
    ("{\"id\": ", "malformed JSON"),
    ("[1, 2]", "the body must be a JSON object"),
    ("\"text\"", "the body must be a JSON object"),
    ("{\"id\": \"x\", \"id2\": 1e999}", "malformed JSON"),
    (b"{\"id\": \"\xff\"}", "malformed JSON"),
])
def test_malformed_bodies_are_400_and_change_nothing(host, raw, message):
    before = unchanged(host)
    status, error, _ = error_of(host, "POST", "/api/items", raw=raw)
    assert (status, error["code"]) == (400, "invalid_argument")
    assert message in error["message"]
    assert unchanged(host) == before


@pytest.mark.parametrize("body, field, message", [
    ({"id": "e1", "queue": "support", "channel": "chat", "colour": "red"}, "colour",
     'unknown field "colour"'),
    ({"id": "e1", "queue": "support"}, "channel", '"channel" is required'),
    ({"id": 7, "queue": "support", "channel": "chat"}, "id", "expected a string"),
    ({"id": "", "queue": "support", "channel": "chat"}, "id", "empty"),
    ({"id": "a\u0001b", "queue": "support", "channel": "chat"}, "id", "control character"),
    ({"id": "x" * 201, "queue": "support", "channel": "chat"}, "id", "longer than 200"),
    ({"id": "e1", "queue": "support", "channel": "chat", "requires": {"billing": 2.5}},
     "requires.billing", "expected a whole number"),
    ({"id": "e1", "queue": "support", "channel": "chat", "tags": ["a", 3]}, "tags[1]",
     "expected a string"),
    ({"id": "e1", "queue": "support", "channel": "chat", "created": "yesterday"}, "created",
     "malformed instant"),
    ({"id": "e1", "queue": "support", "channel": "chat",
      "relax": [{"after_seconds": 5, "kind": "drop", "skill": "billing", "extra": 1}]},
     "relax[0].extra", 'unknown field "extra"'),
    ({"id": "e1", "queue": "support", "channel": "chat",
      "relax": [{"after_seconds": -5, "kind": "drop", "skill": "billing"}]},
     "relax[0].after_seconds", "non-negative"),
])
def test_field_errors_name_the_field(host, body, field, message):
    before = unchanged(host)
    status, error, _ = error_of(host, "POST", "/api/items", body)
    assert (status, error["code"], error["field"]) == (400, "invalid_argument", field)
    assert message in error["message"]
    assert unchanged(host) == before


def test_field_errors_in_agent_bodies(host):
    status, error, _ = error_of(host, "POST", "/api/agents",
                                {"id": "bad-a", "queues": [{"queue": "support", "prio": 1}]})
    assert (status, error["field"]) == (400, "queues[0].prio")
    status, error, _ = error_of(host, "POST", "/api/agents", {"id": "bad-a", "budget": "lots"})
    assert (status, error["field"]) == (400, "budget")
    status, error, _ = error_of(host, "POST", "/api/agents", {"id": "bad-a", "capacity": [1]})
    assert (status, error["field"]) == (400, "capacity")
    add_agent(host, "fe-a", available=False)
    status, error, _ = error_of(host, "POST", "/api/agents/fe-a/state",
                                {"state": "available", "mood": "good"})
    assert (status, error["field"]) == (400, "mood")
    status, error, _ = error_of(host, "DELETE", "/api/agents/fe-a", {"force": True})
    assert (status, error["field"]) == (400, "force")
    item = fresh("fe-t")
    submit(host, item, queue="billing")
    status, error, _ = error_of(host, "POST", f"/api/items/{item}/resolve", {"note": "x"})
    assert (status, error["field"]) == (400, "note")
    status, error, _ = error_of(host, "POST", f"/api/items/{item}/transfer", {})
    assert (status, error["field"]) == (400, "queue")
    status, error, _ = error_of(host, "PATCH", f"/api/items/{item}", {})
    assert status == 400 and "nothing to update" in error["message"]
    status, error, _ = error_of(host, "POST", f"/api/items/{item}/accept", {})
    assert (status, error["field"]) == (400, "agent")
    host.ok("POST", f"/api/items/{item}/cancel")


def test_unknown_ids_are_404_and_engine_refusals_409(host):
    before = unchanged(host)
    for method, path, body in [
            ("POST", "/api/items/ghost/respond", None), ("POST", "/api/items/ghost/cancel", None),
            ("PATCH", "/api/items/ghost", {"priority": "A"}),
            ("POST", "/api/agents/ghost/state", {"state": "available"}),
            ("POST", "/api/items", {"id": "n1", "queue": "nowhere", "channel": "chat"}),
            ("POST", "/api/items", {"id": "n1", "queue": "support", "channel": "fax"}),
            ("POST", "/api/items", {"id": "n1", "queue": "support", "channel": "chat",
                                    "priority": "Z"})]:
        status, error, _ = error_of(host, method, path, body)
        assert (status, error["code"]) == (404, "not_found"), (path, body, error)
    assert unchanged(host) == before

    item = fresh("c-t")
    submit(host, item, queue="billing")
    before = unchanged(host)
    status, error, _ = error_of(host, "POST", "/api/items",
                                {"id": item, "queue": "billing", "channel": "chat"})
    assert (status, error["code"]) == (409, "already_exists")
    status, error, _ = error_of(host, "POST", f"/api/items/{item}/confirm")
    assert (status, error["code"]) == (409, "failed_precondition")
    assert item in error["message"] or "queued" in error["message"]
    assert unchanged(host) == before
    host.ok("POST", f"/api/items/{item}/cancel")


def test_unknown_paths_and_methods(host):
    status, error, _ = error_of(host, "GET", "/api/widgets")
    assert (status, error["code"]) == (404, "not_found")
    assert error_of(host, "POST", "/api/items/x/fly")[0] == 404
    status, error, headers = error_of(host, "DELETE", "/api/items")
    assert (status, error["code"]) == (405, "method_not_allowed")
    assert headers["Allow"] == "GET, POST"
    status, _, headers = error_of(host, "GET", "/api/items/x/resolve")
    assert status == 405 and headers["Allow"] == "POST"
    assert error_of(host, "PUT", "/api/health")[0] == 405


def test_path_ids_are_decoded_and_checked(host):
    item = "t/with slash"
    submit(host, item, queue="billing")
    assert host.ok("GET", "/api/items/t%2Fwith%20slash")["item"]["id"] == item
    host.ok("POST", "/api/items/t%2Fwith%20slash/cancel")
    status, error, _ = error_of(host, "GET", "/api/items/bad%zz")
    assert status == 400 and "%-escape" in error["message"]
    status, error, _ = error_of(host, "GET", "/api/items/a%01b")
    assert status == 400 and "control character" in error["message"]
    status, error, _ = error_of(host, "GET", "/api/items/%ff%fe")
    assert status == 400 and "UTF-8" in error["message"]


def test_writes_take_no_query(host):
    status, error, _ = error_of(host, "POST", "/api/items?dry_run=1",
                                {"id": "q1", "queue": "support", "channel": "chat"})
    assert status == 400 and "query" in error["message"]


def test_body_size_limit(host):
    before = unchanged(host)
    big = json.dumps({"id": "big", "queue": "support", "channel": "chat",
                      "tags": ["x" * 1000] * 70})
    assert len(big) > 64 * 1024
    status, error, _ = error_of(host, "POST", "/api/items", raw=big)
    assert (status, error["code"]) == (413, "payload_too_large")
    assert unchanged(host) == before
    fits = json.dumps({"id": fresh("fits"), "queue": "billing", "channel": "chat",
                       "tags": ["x" * 1000] * 60})
    assert len(fits) < 64 * 1024
    status, data, _ = host.request("POST", "/api/items", raw=fits)
    assert status == 201
    host.ok("POST", f"/api/items/{data['item']['id']}/cancel")


# --- roles -----------------------------------------------------------------------------------

WRITES = [
    ("POST", "/api/agents", {"id": "role-new"}),
    ("PUT", "/api/agents/role-a1", {"capacity": {"chat": 1}}),
    ("DELETE", "/api/agents/role-a1", None),
    ("POST", "/api/agents/role-a1/state", {"state": "away"}),
    ("POST", "/api/items", {"id": "role-new-item", "queue": "support", "channel": "chat"}),
    ("PATCH", "/api/items/ITEM", {"priority": "A"}),
] + [("POST", f"/api/items/ITEM/{action}", {}) for action in [
    "accept", "reject", "respond", "customer_message", "pause", "resume", "resolve", "confirm",
    "reopen", "escalate", "cancel", "abandon", "transfer"]]

READS = ["/api/health", "/api/queues", "/api/queues/support", "/api/agents", "/api/agents/a1",
         "/api/items", "/api/items/ITEM", "/api/items/ITEM/explain", "/api/kpis"]


@pytest.fixture(scope="module")
def roles_host(tmp_path_factory):
    with CrmHost(tmp_path_factory.mktemp("roles") / "data", config=QUIET_CONFIG) as running:
        for agent in ["a1", "a2"]:
            add_agent(running, agent, queues=["support", "billing"], capacity={"chat": 10})
        yield running


@pytest.fixture
def role_setup(roles_host):
    item = fresh("role-t")
    submit(roles_host, item, queue="billing")
    return item


def test_readonly_reads_everything_and_writes_nothing(roles_host, role_setup):
    host = roles_host
    for path in READS:
        status, data, _ = host.request("GET", path.replace("ITEM", role_setup), token=READONLY)
        assert status == 200, (path, data)
    before = unchanged(host)
    for method, path, body in WRITES:
        status, error, _ = error_of(host, method, path.replace("ITEM", role_setup), body,
                                    token=READONLY)
        assert (status, error["code"]) == (403, "permission_denied"), (method, path)
    assert error_of(host, "GET", "/api/audit", token=READONLY)[0] == 403
    assert unchanged(host) == before


def test_agent_tokens_act_only_on_their_own(roles_host, role_setup):
    host = roles_host
    item = role_setup
    owner = host.ok("GET", f"/api/items/{item}")["item"]["agent"]
    assert owner in ("a1", "a2")
    other = "a2" if owner == "a1" else "a1"
    own_token, other_token = (AGENT_A1, AGENT_A2) if owner == "a1" else (AGENT_A2, AGENT_A1)

    before = unchanged(host)
    # Everything but the own agent's state and the own items' actions is the supervisor's.
    for method, path, body in [("POST", "/api/agents", {"id": "x"}),
                               ("PUT", f"/api/agents/{owner}", {"capacity": {"chat": 1}}),
                               ("DELETE", f"/api/agents/{owner}", None),
                               ("POST", f"/api/agents/{other}/state", {"state": "away"}),
                               ("POST", "/api/items", {"id": "y", "queue": "support",
                                                       "channel": "chat"}),
                               ("PATCH", f"/api/items/{item}", {"priority": "A"}),
                               ("POST", f"/api/items/{item}/cancel", {}),
                               ("POST", f"/api/items/{item}/abandon", {})]:
        status, error, _ = error_of(host, method, path, body, token=own_token)
        assert (status, error["code"]) == (403, "permission_denied"), (method, path)
    assert error_of(host, "GET", "/api/audit", token=own_token)[0] == 403
    # The other agent may not touch the item offered to the owner.
    for action in ["accept", "reject", "respond", "resolve", "transfer", "escalate"]:
        status, error, _ = error_of(host, "POST", f"/api/items/{item}/{action}",
                                    {"queue": "support"} if action == "transfer" else {},
                                    token=other_token)
        assert (status, error["code"]) == (403, "permission_denied"), action
        assert "is not offered to" in error["message"]
    # Nor answer the offer in the owner's name, even its owner in another's name.
    status, error, _ = error_of(host, "POST", f"/api/items/{item}/accept", {"agent": other},
                                token=own_token)
    assert status == 403
    # An unknown item is 404 whoever asks.
    assert error_of(host, "POST", "/api/items/ghost/respond", token=own_token)[0] == 404
    assert unchanged(host) == before
    for path in READS:
        assert host.request("GET", path.replace("ITEM", item), token=own_token)[0] == 200

    # The owner works its item; the journal names it as the actor.
    accepted = host.ok("POST", f"/api/items/{item}/accept", {}, token=own_token)
    assert accepted["item"]["state"] == "assigned" and accepted["item"]["agent"] == owner
    host.ok("POST", f"/api/items/{item}/respond", token=own_token)
    host.ok("POST", f"/api/items/{item}/pause", {"reason": "customer"}, token=own_token)
    host.ok("POST", f"/api/items/{item}/resume", {"reason": "customer"}, token=own_token)
    host.ok("POST", f"/api/items/{item}/customer_message", token=own_token)
    host.ok("POST", f"/api/items/{item}/escalate", token=own_token)
    host.ok("POST", f"/api/items/{item}/resolve", token=own_token)
    host.ok("POST", f"/api/items/{item}/reopen", token=own_token)
    host.ok("POST", f"/api/agents/{owner}/state", {"state": "away", "reason": "break"},
            token=own_token)
    host.ok("POST", f"/api/agents/{owner}/state", {"state": "available"}, token=own_token)
    rows = host.audit()
    accept_row = next(r for r in rows if r["command"].get("item") == item
                      and r["command"]["kind"] == "accept")
    assert (accept_row["role"], accept_row["agent"]) == ("agent", owner)
    assert accept_row["command"]["body"] == {"agent": owner}
    reopened = host.ok("GET", f"/api/items/{item}")["item"]
    assert (reopened["state"], reopened["agent"]) == ("offered", owner)
    host.ok("POST", f"/api/items/{item}/reject", token=own_token)
    assert host.ok("GET", f"/api/items/{item}")["item"]["agent"] == other
    assert error_of(host, "POST", f"/api/items/{item}/accept", token=own_token)[0] == 403
    host.ok("POST", f"/api/items/{item}/cancel")


def test_supervisor_may_do_everything(roles_host, role_setup):
    host = roles_host
    item = role_setup
    owner = host.ok("GET", f"/api/items/{item}")["item"]["agent"]
    host.ok("POST", f"/api/items/{item}/accept", {"agent": owner})
    host.ok("POST", f"/api/items/{item}/respond")
    host.ok("PATCH", f"/api/items/{item}", {"priority": "C"})
    host.ok("POST", f"/api/items/{item}/cancel")
    assert host.ok("GET", "/api/audit?limit=5")["rows"]


# --- audit trail -----------------------------------------------------------------------------

def test_audit_trail_pages_and_checks_its_parameters(host):
    add_agent(host, "aud-a", available=False)
    rows = host.audit()
    seqs = [r["seq"] for r in rows]
    assert seqs == list(range(1, len(rows) + 1))
    assert seqs[-1] == host.health()["journal_seq"]
    page = host.ok("GET", f"/api/audit?after_seq={seqs[-3]}&limit=2")
    assert [r["seq"] for r in page["rows"]] == seqs[-2:]
    assert all(r["role"] in ("supervisor", "agent", "clock") for r in rows)
    for query, field in [("after_seq=-1", "after_seq"), ("limit=0", "limit"),
                         ("limit=1001", "limit"), ("limit=x", "limit"), ("from=1", "from")]:
        status, error, _ = error_of(host, "GET", f"/api/audit?{query}")
        assert (status, error["field"]) == (400, field)


# --- event stream ----------------------------------------------------------------------------

def test_event_stream_delivers_committed_events(own_host):
    host = own_host
    add_agent(host, "ev-a", queues=["billing"])
    stream = EventStream(host)
    try:
        assert stream.next_block() == [": connected"]
        item = fresh("ev-t")
        created = submit(host, item, queue="billing")
        # The agent's log-in may still be on its way to the ring when the stream opens.
        event = stream.events_until(lambda e: e["event"] != "agent_state")[-1]
        assert event["event"] == "offered" and int(event["id"]) == event["data"]["seq"]
        assert event["data"] == created["events"][0]
        assert event["data"]["item"] == item and event["data"]["agent"] == "ev-a"
        assert "metric" not in event["data"] and "level" not in event["data"]
        host.ok("POST", f"/api/items/{item}/accept", {"agent": "ev-a"})
        host.ok("POST", f"/api/items/{item}/respond")
        met = stream.events_until(lambda e: e["event"] == "sla_met")[-1]["data"]
        assert met["metric"] == "first_response" and met["late"] is False
        assert 0 <= met["fraction"] < 1
        host.ok("POST", f"/api/items/{item}/escalate")
        escalated = stream.events_until(lambda e: e["event"] == "escalated")[-1]["data"]
        assert (escalated["from_level"], escalated["level"]) == (0, 1)
        host.ok("POST", f"/api/items/{item}/cancel")
        last = stream.events_until(lambda e: e["event"] == "cancelled")[-1]
    finally:
        stream.close()

    # Resuming after an event replays what followed it.
    resumed = EventStream(host, last_event_id=int(event["id"]))
    try:
        assert resumed.next_block() == [": connected"]
        replay = resumed.events_until(lambda e: e["id"] == last["id"])
        assert [int(e["id"]) for e in replay] == list(range(int(event["id"]) + 1,
                                                             int(last["id"]) + 1))
    finally:
        resumed.close()


def test_event_stream_errors(host):
    conn = host.connection()
    conn.request("GET", "/api/events", headers={"Authorization": f"Bearer {SUPERVISOR}",
                                                "Last-Event-ID": "soon"})
    response = conn.getresponse()
    assert response.status == 400
    assert json.loads(response.read())["error"]["code"] == "invalid_argument"
    conn.close()


def test_event_stream_resyncs_when_events_are_gone(tmp_path):
    # A snapshot after every row: the restarted host replays no row, so its ring starts empty
    # while event seqs continue from the journal.
    with CrmHost(tmp_path / "d", config=QUIET_CONFIG, args=["--snapshot-every", "1"]) as host:
        add_agent(host, "rs-a")
        last = host.ok("POST", "/api/agents/rs-a/state", {"state": "away"})["events"][-1]["seq"]
        host.restart()
        stream = EventStream(host, last_event_id=0)
        try:
            assert stream.next_block() == [": connected"]
            resync = stream.next_event()
            assert resync["event"] == "resync" and resync["data"] == {"seq": last + 1}
            new = host.ok("POST", "/api/agents/rs-a/state", {"state": "available"})["events"]
            assert stream.next_event()["data"] == new[0]
            assert new[0]["seq"] == last + 1
        finally:
            stream.close()


def test_event_streams_are_limited(tmp_path):
    with CrmHost(tmp_path / "d", config=QUIET_CONFIG,
                 args=["--max-streams", "2", "--threads", "4"]) as host:
        streams = [EventStream(host), EventStream(host)]
        try:
            for stream in streams:
                assert stream.next_block() == [": connected"]
            status, error, _ = error_of(host, "GET", "/api/events")
            assert (status, error["code"]) == (503, "unavailable")
            streams.pop().close()

            def opens():
                conn = host.connection()
                conn.request("GET", "/api/events",
                             headers={"Authorization": f"Bearer {SUPERVISOR}"})
                status = conn.getresponse().status
                conn.close()
                return status == 200

            wait_for(opens, timeout=10, interval=0.2)
        finally:
            for stream in streams:
                stream.close()


# --- the clock, SLA warnings and exact replay ---------------------------------------------------

def wait_for(predicate, timeout=15, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(interval)


def test_clock_fires_warning_then_breach_and_replay_matches_the_live_state(tmp_path):
    with CrmHost(tmp_path / "d", config=SHORT_SLA_CONFIG, args=["--tick-ms", "50"]) as host:
        stream = EventStream(host)
        try:
            assert stream.next_block() == [": connected"]
            submit(host, "slow", priority="A")

            def clock(metric):
                item = host.ok("GET", "/api/items/slow")["item"]
                return next(c for c in item["sla"] if c["metric"] == metric)

            warned = wait_for(lambda: clock("first_response")["warned"] and
                              clock("first_response"))
            assert warned["state"] == "running"
            breached = wait_for(lambda: clock("first_response")["state"] == "breached" and
                                clock("first_response"))
            assert breached["warned"] is True
            kinds = [e["event"] for e in stream.events_until(
                lambda e: e["event"] == "sla_breached" and e["data"]["metric"] == "resolution")]
            assert kinds.index("sla_warning") < kinds.index("sla_breached")
        finally:
            stream.close()
        clock_rows = [r for r in host.audit() if r["role"] == "clock"]
        assert clock_rows and all(r["command"] == {"kind": "advance_to", "body": {}}
                                  for r in clock_rows)
        # A page opened late still sees the warning.
        host.restart()
        item = host.ok("GET", "/api/items/slow")["item"]
        assert {c["metric"]: c["warned"] for c in item["sla"]} == {
            "first_response": True, "resolution": True}
        # The live state equals a replay of the journal advanced to the same instant.
        health = host.health()
        code, result, _ = verify_journal(host.data_dir, "--until-seq",
                                         str(health["journal_seq"]), "--advance-to-ns",
                                         str(health["now_unix_ns"]))
        assert code == 0
        assert result["state_digest"] == health["state_digest"]
        assert result["journal_seq"] == health["journal_seq"]


def test_a_new_cycle_is_not_warned(tmp_path):
    with CrmHost(tmp_path / "d", config=SHORT_SLA_CONFIG, args=["--tick-ms", "50"]) as host:
        add_agent(host, "cy-a", skills={}, capacity={"chat": 1})
        submit(host, "cyc", priority="A")
        host.ok("POST", "/api/items/cyc/accept", {"agent": "cy-a"})
        resolution = lambda: next(c for c in host.ok("GET", "/api/items/cyc")["item"]["sla"]
                                  if c["metric"] == "resolution")
        wait_for(lambda: resolution()["warned"])
        host.ok("POST", "/api/items/cyc/resolve")
        reopened = host.ok("POST", "/api/items/cyc/reopen")["item"]
        cycle = next(c for c in reopened["sla"] if c["metric"] == "resolution")
        assert cycle["state"] == "running" and cycle["warned"] is False


# --- durability ------------------------------------------------------------------------------

def test_restart_restores_the_same_state(tmp_path):
    with CrmHost(tmp_path / "d", config=QUIET_CONFIG, args=["--snapshot-every", "7"]) as host:
        add_agent(host, "rs-a", queues=["support"])
        for n in range(12):
            submit(host, f"rs-{n}", priority="ABC"[n % 3])
        host.ok("POST", "/api/items/rs-0/accept", {"agent": "rs-a"})
        before = (stable(host.ok("GET", "/api/items")["items"]),
                  stable(host.ok("GET", "/api/agents")["agents"]),
                  host.ok("GET", "/api/kpis")["kpis"], host.health()["journal_seq"])
        host.restart()
        assert "snapshot at seq 14" in host.stderr()
        after = (stable(host.ok("GET", "/api/items")["items"]),
                 stable(host.ok("GET", "/api/agents")["agents"]),
                 host.ok("GET", "/api/kpis")["kpis"], host.health()["journal_seq"])
        assert after == before
        host.stop()
        code, result, _ = verify_journal(host.data_dir)
        assert code == 0 and result["restored_from_snapshot"] == 14
        assert result["state_digest"] == result["restored_digest"]


def test_a_corrupt_snapshot_falls_back_to_the_journal(tmp_path):
    with CrmHost(tmp_path / "d", config=QUIET_CONFIG, args=["--snapshot-every", "3"]) as host:
        add_agent(host, "cs-a")
        for n in range(5):
            submit(host, f"cs-{n}")
        items = stable(host.ok("GET", "/api/items")["items"])
        host.stop()
        with sqlite3.connect(host.data_dir / "journal.sqlite") as db:
            db.execute("UPDATE snapshots SET engine = X'00'")
        host.start()
        assert "does not load" in host.stderr()
        assert stable(host.ok("GET", "/api/items")["items"]) == items


def test_another_config_on_the_same_journal_is_refused(tmp_path):
    host = CrmHost(tmp_path / "d", config=QUIET_CONFIG)
    with host:
        add_agent(host, "cf-a", available=False)
    other = tmp_path / "other.json"
    other.write_text(json.dumps(SHORT_SLA_CONFIG))
    result = subprocess.run([binary(), "--port", "0", "--data", str(host.data_dir), "--config",
                             str(other)], capture_output=True, text=True, timeout=30,
                            env={**os.environ, "OMNIROUTE_TOKENS": TOKEN_LINES})
    assert result.returncode == 1
    assert "another engine configuration" in result.stderr
    # The same configuration, reformatted, is the same; no --config means the stored one.
    host.config_path.write_text(json.dumps(QUIET_CONFIG, indent=2))
    with host:
        assert host.ok("GET", "/api/agents/cf-a")["agent"]["id"] == "cf-a"
    host.config_path = None
    with host:
        assert host.ok("GET", "/api/agents/cf-a")["agent"]["id"] == "cf-a"


def test_a_failed_journal_write_stops_the_host(tmp_path):
    host = CrmHost(tmp_path / "d", config=QUIET_CONFIG)
    with host:
        add_agent(host, "fs-a", available=False)
        seq = host.health()["journal_seq"]
        blocker = sqlite3.connect(host.data_dir / "journal.sqlite", timeout=0)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            conn = host.connection(timeout=30)
            conn.request("POST", "/api/agents/fs-a/state", body=json.dumps({"state": "away"}),
                         headers={"Authorization": f"Bearer {SUPERVISOR}"})
            with pytest.raises((ConnectionError, http.client.HTTPException)):
                conn.getresponse().read()
            assert host.process.wait(timeout=30) == 70
        finally:
            blocker.rollback()
            blocker.close()
        assert "stopping now so that nothing is served that the journal lacks" in host.stderr()
        host.process.stdout.close()
        host.process = None
        host.start()
        assert host.health()["journal_seq"] == seq
        assert host.ok("GET", "/api/agents/fs-a")["agent"]["state"] == "offline"


def test_verify_journal_reports_missing_journal(tmp_path):
    result = subprocess.run([binary(), "--verify-journal", "--data", str(tmp_path / "none")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "no journal" in result.stderr
