"""The Engine from Python: every command, view and KPI, the error mapping, bulk and threads."""

import ast
import copy
import datetime as dt
import json
import pathlib
import pickle
import re
import sys
import threading
import time
from zoneinfo import ZoneInfo

import pytest

import omniroute as om

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
# Monday 2026-11-23 10:00 in Shanghai, an hour after the office opens.
T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


def at(seconds):
    return T0 + dt.timedelta(seconds=seconds)


def config():
    return {
        "calendars": {"office": {"tz": "Asia/Shanghai", "week": {d: ["09:00-18:00"] for d in WEEKDAYS}}},
        "sla_policies": [
            {
                "name": "tiered",
                "calendar": "office",
                "warn_at": [0.5, 0.75],
                "targets": {
                    "A": {"first_response": 300, "resolution": 1800},
                    "B": {"first_response": 1800, "resolution": 7200},
                    "C": {"first_response": 14400, "resolution": 86400},
                },
                "tiers": {"vip": 0.5},
            }
        ],
        "escalation": {
            "name": "support",
            "levels": [
                {"name": "L1"},
                {"name": "L2", "actions": [{"kind": "raise_priority_by", "amount": 1}]},
                {"name": "L3", "actions": [{"kind": "notify", "target": "supervisors"}]},
            ],
            "rules": [
                {"trigger": {"kind": "tag", "value": "upset"}, "from_level": "L1", "to_level": "L2"},
                {"trigger": {"kind": "manual"}},
            ],
        },
        "queues": [
            {"name": "billing", "strategy": "longest_idle", "order": "priority_fifo", "sla_policy": "tiered",
             "offer_timeout": dt.timedelta(seconds=30)},
            {"name": "tech", "strategy": "most_skilled", "sla_policy": "tiered"},
            {"name": "callbacks", "auto_accept": True},
            {"name": "deadlines", "order": "deadline_first"},
        ],
        "lifecycle": {"auto_close_after": "72h"},
        "origin": T0,
    }


@pytest.fixture
def eng():
    return om.Engine(config())


def staff(engine, agent="a1", skills=None, capacity=None, queues=("billing",), when=T0):
    engine.add_agent(agent, skills=skills or {"billing": 5}, capacity=capacity or {"chat": 3},
                     queues=list(queues), at=when)
    engine.set_agent_state(agent, "available", at=when)


def kinds(events):
    return [e.kind for e in events]


def only(events, kind):
    return [e for e in events if e.kind == kind]


# --- configuration -------------------------------------------------------------------------------


def test_config_from_dict_json_text_and_paths_gives_the_same_engine(tmp_path):
    text = json.dumps(config(), default=lambda v: v.total_seconds() if isinstance(v, dt.timedelta) else v.isoformat())
    path = tmp_path / "engine.json"
    path.write_text(text)
    engines = [om.Engine(config()), om.Engine(text), om.Engine(path), om.Engine(str(path))]
    for engine in engines:
        assert engine.now == T0
        assert engine.queue_names() == ["billing", "tech", "callbacks", "deadlines"]
        staff(engine)
        engine.submit("t1", "billing", "chat", priority="A", at=at(5))
    assert len({engine.state_digest() for engine in engines}) == 1
    assert json.loads(engines[1].config_json) == json.loads(text)
    assert engines[0].priorities == ["A", "B", "C"]


def test_calendars_may_be_calendar_objects():
    spec = config()
    spec["calendars"]["office"] = om.Calendar(tz="Asia/Shanghai", week={d: [("09:00", "18:00")] for d in WEEKDAYS})
    engine = om.Engine(spec)
    staff(engine)
    engine.submit("t1", "billing", "chat", priority="A", at=dt.datetime(2026, 11, 23, 17, 58, tzinfo=SHANGHAI))
    # Two business minutes on Monday, three on Tuesday morning.
    assert engine.item("t1").sla[0].deadline == dt.datetime(2026, 11, 24, 9, 3, tzinfo=SHANGHAI)


def test_an_engine_without_configuration_uses_the_defaults():
    engine = om.Engine()
    assert engine.queue_names() == []
    assert engine.priorities == ["A", "B", "C"]
    assert engine.now == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def test_bad_configuration_is_refused_with_its_path(tmp_path):
    with pytest.raises(ValueError, match=r'queues\[0\]\.strategy: unknown strategy "fastest"'):
        om.Engine({"queues": [{"name": "q", "strategy": "fastest"}]})
    with pytest.raises(KeyError, match="nowhere"):
        om.Engine({"queues": [{"name": "q", "sla_policy": "nowhere"}]})
    with pytest.raises(ValueError, match="neither JSON object text nor the path"):
        om.Engine("no-such-file.json")
    with pytest.raises(FileNotFoundError):
        om.Engine(tmp_path / "missing.json")
    with pytest.raises(TypeError, match="expected a dict, JSON object text or a path"):
        om.Engine(42)
    with pytest.raises(ValueError, match="naive datetime"):
        om.Engine({"origin": dt.datetime(2026, 1, 1)})
    infinite = config()
    infinite["sla_policies"][0]["targets"]["B"]["resolution"] = float("inf")
    with pytest.raises(ValueError, match=r"^sla_policies\[0\]\.targets\.B\.resolution: inf is not finite$"):
        om.Engine(infinite)
    eng = om.Engine(config())
    digest = eng.state_digest()
    with pytest.raises(ValueError, match=r"^queues\[1\]\.offer_timeout: nan is not finite$"):
        eng.reconfigure({**config(), "queues": [{"name": "billing"}, {"name": "tech", "offer_timeout": float("nan")}]})
    assert eng.state_digest() == digest


# --- the walkthrough of DESIGN.md ---------------------------------------------------------------


def test_an_item_from_submission_to_closing(eng):
    staff(eng, skills={"billing": 5, "zh": 3}, capacity={"voice": 1, "chat": 3})
    agent_events = eng.poll_events()
    assert [(e.kind, e.agent, e.detail) for e in agent_events] == [("agent_state", "a1", "available")]

    eng.submit("t1", queue="billing", channel="chat", priority="A", requires={"billing": 3},
               tier="vip", tags=["angry"], at=at(0))
    (offered,) = eng.poll_events()
    assert offered.kind == "offered" and offered.kind == om.EventKind.OFFERED
    assert (offered.item, offered.agent, offered.queue, offered.at) == ("t1", "a1", "billing", T0)
    item = eng.item("t1")
    assert (item.state, item.agent, item.priority, item.tier, item.tags) == ("offered", "a1", "A", "vip", ["angry"])

    eng.accept("t1", "a1", at=at(10))
    assert kinds(eng.poll_events()) == ["assigned"]
    assert eng.agent("a1").assigned == ["t1"] and eng.agent("a1").load == {"chat": 1}

    eng.respond("t1", at=at(60))
    (met,) = eng.poll_events()
    assert (met.kind, met.metric, met.late) == ("sla_met", "first_response", False)
    assert met.fraction == pytest.approx(60 / 150)  # the vip factor halves the 5-minute target

    eng.pause("t1", at=at(120))
    assert eng.item("t1").state == "pending_customer"
    resolution = [c for c in eng.item("t1").sla if c.metric == "resolution"][0]
    assert resolution.state == "paused" and resolution.deadline is None
    eng.resume("t1", at=at(420))
    resolution = [c for c in eng.item("t1").sla if c.metric == "resolution"][0]
    # 900 s target; 120 s used before the 300 s pause.
    assert resolution.deadline == at(420 + 900 - 120)

    eng.resolve("t1", at=at(600))
    eng.confirm("t1", at=at(700))
    events = eng.poll_events()
    assert kinds(events) == ["pending_customer", "resumed", "resolved", "sla_met", "closed"]
    assert events[-1].detail == "confirmed"
    with pytest.raises(KeyError, match='unknown item "t1"'):
        eng.item("t1")
    kpis = eng.kpis()
    assert (kpis.submitted, kpis.answered, kpis.resolved, kpis.closed) == (1, 1, 1, 1)
    assert kpis.average_first_response == 60 and kpis.average_resolution == 600
    assert kpis.on_time == 1.0 and kpis.first_contact_resolution == 1.0


def test_sla_warnings_breaches_and_the_event_fields(eng):
    staff(eng)
    eng.submit("t1", "billing", "chat", priority="A", at=at(0))
    eng.accept("t1", "a1", at=at(1))
    eng.poll_events()
    eng.advance_to(at(400))
    events = eng.poll_events()
    sla = [(e.kind, e.metric, e.fraction, e.at) for e in events]
    assert sla == [
        ("sla_warning", "first_response", 0.5, at(150)),
        ("sla_warning", "first_response", 0.75, at(225)),
        ("sla_breached", "first_response", 1.0, at(300)),
    ]
    warning = events[0]
    assert isinstance(warning.metric, om.SlaMetric) and warning.metric == om.SlaMetric.FIRST_RESPONSE
    assert warning.to_dict() == {
        "kind": "sla_warning", "at": at(150), "item": "t1", "agent": "a1", "queue": "billing",
        "metric": "first_response", "fraction": 0.5, "late": False,
    }
    assert repr(warning) == (
        "EngineEvent(sla_warning at 2026-11-23T02:02:30Z, item='t1', agent='a1', queue='billing', "
        "metric=first_response, fraction=0.5, late=False)"
    )
    assert eng.kpis().on_time == 0.0  # the breach is the verdict
    eng.respond("t1", at=at(500))
    (met,) = eng.poll_events()
    assert met.late and met.kind == "sla_met" and met.fraction == pytest.approx(500 / 300)


def test_escalation_events_and_kpis(eng):
    staff(eng)
    eng.poll_events()
    eng.submit("t1", "billing", "chat", priority="B", tags=["upset"], at=at(0))
    (escalated, offered) = eng.poll_events()
    assert (escalated.kind, escalated.from_level, escalated.level, escalated.trigger, escalated.detail) == (
        "escalated", 0, 1, "tag", "L2")
    assert escalated.to_dict()["level"] == 1 and "metric" not in escalated.to_dict()
    assert offered.to_dict().keys() == {"kind", "at", "item", "agent", "queue"}
    item = eng.item("t1")
    assert (item.level, item.level_name, item.escalation_policy, item.routing_priority) == (1, "L2", "support", 0)
    eng.escalate("t1", at=at(5))
    (manual,) = eng.poll_events()
    assert (manual.level, manual.trigger, manual.target) == (2, "manual", "supervisors")
    assert eng.kpis().escalations == {("support", "L2"): 1, ("support", "L3"): 1}


def test_reject_and_offer_timeout_requeue_the_item(eng):
    staff(eng, "a1")
    staff(eng, "a2", when=at(1))
    eng.poll_events()
    eng.submit("t1", "billing", "chat", priority="A", at=at(2))
    first = eng.poll_events()[0]
    assert first.agent == "a1"  # idle longest
    eng.reject("t1", "a1", at=at(3))
    assert [(e.kind, e.agent) for e in eng.poll_events()] == [("rejected", "a1"), ("requeued", ""), ("offered", "a2")]
    assert eng.item("t1").rejected_offers == 1
    eng.advance_to(at(3 + 30))
    assert [(e.kind, e.agent, e.detail) for e in eng.poll_events()] == [
        ("offer_expired", "a2", ""),
        ("agent_state", "a2", "away:missed_offer"),
        ("requeued", "", ""),
    ]
    assert eng.item("t1").state == "queued" and eng.item("t1").position == 0
    reasons = {c.agent: c.reason for c in eng.explain("t1")}
    assert reasons == {"a1": "rejected it", "a2": "away"}
    assert eng.agent("a2").state == om.AgentState.AWAY


def test_transfer_reopen_cancel_abandon_and_counters(eng):
    staff(eng, "a1", queues=("billing",))
    staff(eng, "a2", skills={"billing": 5}, queues=("tech",))
    eng.submit("t1", "billing", "chat", priority="B", at=at(1))
    eng.accept("t1", "a1", at=at(2))
    eng.transfer("t1", "tech", at=at(3))
    events = eng.poll_events()
    transferred = only(events, "transferred")[0]
    assert (transferred.queue, transferred.detail, transferred.agent) == ("tech", "billing", "a1")
    assert eng.item("t1").transfers == 1 and eng.item("t1").agent == "a2"
    eng.accept("t1", "a2", at=at(4))
    eng.resolve("t1", at=at(5))
    eng.reopen("t1", at=at(6))
    assert eng.item("t1").reopens == 1
    eng.cancel("t1", at=at(7))
    eng.submit("t2", "billing", "chat", priority="C", at=at(8))
    eng.abandon("t2", at=at(9))
    events = eng.poll_events()
    assert {"reopened", "cancelled", "abandoned"} <= set(kinds(events))
    assert eng.item_count == 0
    kpis = eng.kpis()
    assert (kpis.transfers, kpis.reopened, kpis.cancelled, kpis.abandoned) == (1, 1, 1, 1)
    assert kpis.first_contact_resolution == 0.0
    assert kpis.abandonment_rate == pytest.approx(1 / 3)


def test_update_changes_priority_tags_and_requirement(eng):
    staff(eng, skills={"billing": 2})
    eng.set_agent_state("a1", "away", reason="lunch", at=at(1))
    assert eng.agent("a1").away_reason == "lunch"
    eng.submit("t1", "billing", "chat", priority="C", requires={"billing": 3}, at=at(2))
    eng.submit("t2", "billing", "chat", priority="B", at=at(3))
    assert [eng.item("t1").position, eng.item("t2").position] == [1, 0]
    eng.update("t1", priority="A", tags=["x"], at=at(4))
    assert [eng.item("t1").position, eng.item("t2").position] == [0, 1]
    assert eng.item("t1").tags == ["x"] and eng.item("t1").priority == "A"
    assert eng.queue_stats("billing").waiting_by_priority == [1, 1, 0]
    assert {c.agent: c.reason for c in eng.explain("t1")}["a1"] == "away"
    eng.set_agent_state("a1", om.AgentState.AVAILABLE, at=at(5))
    # Level 2 is too low for t1 as submitted; t2 (no requirement) is offered instead.
    assert eng.item("t1").state == "queued" and eng.item("t2").state == "offered"
    eng.update("t1", requires={"billing": 1}, prefers={"zh": 1.0}, excludes=["junior"],
               relax=[{"after": 60, "kind": "drop", "skill": "billing"}], at=at(6))
    assert eng.item("t1").state == "offered"


def test_retroactive_starts_deadlines_and_returning_customers(eng):
    eng.submit("late", "billing", "chat", priority="A", created=at(-600), at=at(0))
    assert eng.item("late").created == at(-600)
    assert [(e.kind, e.fraction, e.late) for e in eng.poll_events() if e.metric] == [
        ("sla_warning", 0.5, True), ("sla_warning", 0.75, True), ("sla_breached", 1.0, True)]

    eng.submit("d1", "deadlines", "email", deadline=at(7200), at=at(1))
    eng.submit("d2", "deadlines", "email", deadline=at(3600), at=at(2))
    eng.submit("d3", "deadlines", "email", at=at(3))
    assert [eng.item(d).position for d in ("d1", "d2", "d3")] == [1, 0, 2]
    eng.update("d3", deadline=at(60), at=at(4))
    assert eng.item("d3").position == 0

    staff(eng, "a1", when=at(5))
    staff(eng, "a2", when=at(6))
    eng.cancel("late", at=at(7))
    eng.submit("c1", "billing", "chat", priority="B", customer="cust-7", at=at(8))
    assert eng.item("c1").customer == "cust-7"
    first = eng.item("c1").agent
    other = {"a1": "a2", "a2": "a1"}[first]
    eng.accept("c1", first, at=at(9))
    eng.resolve("c1", at=at(10))
    eng.confirm("c1", at=at(11))
    # The other agent has been idle longer, but the customer's last agent gets first refusal.
    eng.submit("c2", "billing", "chat", priority="B", customer="cust-7", at=at(12))
    assert eng.item("c2").agent == first
    eng.submit("c3", "billing", "chat", priority="B", customer="cust-8", at=at(13))
    assert eng.item("c3").agent == other

    # A last agent who is away holds the window; one who logs out closes it: the pool takes it.
    for item, agent in (("c2", first), ("c3", other)):
        eng.accept(item, agent, at=at(14))
        eng.resolve(item, at=at(14))
    eng.set_agent_state(first, "away", at=at(15))
    eng.submit("c4", "billing", "chat", priority="B", customer="cust-7", at=at(16))
    assert eng.item("c4").state == "queued"
    eng.poll_events()
    eng.set_agent_state(first, "offline", at=at(20))
    assert [(e.kind, e.item, e.agent) for e in eng.poll_events()] == [
        ("agent_state", "", first), ("offered", "c4", other)]
    # An offline last agent gets no window at all.
    eng.submit("c5", "billing", "chat", priority="B", customer="cust-7", at=at(21))
    assert eng.item("c5").agent == other


def test_agents_are_added_updated_and_removed(eng):
    eng.add_agent("a1", skills={"billing": 5}, capacity={"chat": 2, "email": 5}, budget=5,
                  queues=["billing", {"queue": "tech", "priority": 1, "delay": 30}], at=at(0))
    agent = eng.agent("a1")
    assert (agent.state, agent.budget, agent.queues) == ("offline", 5, ["billing", "tech"])
    assert eng.agent_count == 1
    eng.update_agent("a1", skills={"billing": 5}, capacity={"chat": 1}, queues=["tech"], at=at(1))
    assert eng.agent("a1").queues == ["tech"]
    staff(eng, "a2", when=at(2))
    eng.submit("t1", "billing", "chat", priority="B", at=at(3))
    eng.remove_agent("a2", at=at(4))  # its offer is withdrawn
    assert eng.item("t1").state == "queued"
    assert eng.agent_count == 1
    with pytest.raises(KeyError):
        eng.agent("a2")


def test_update_agent_changes_what_it_is_given_and_keeps_the_rest(eng):
    eng.add_agent("a1", skills={"billing": 5}, capacity={"chat": 2, "email": 1}, budget=2,
                  queues=["billing", {"queue": "tech", "priority": 1, "delay": 30}], at=at(0))
    eng.set_agent_state("a1", "available", at=at(0))
    eng.update_agent("a1", capacity={"chat": 1}, at=at(1))
    agent = eng.agent("a1")
    assert (agent.queues, agent.budget) == (["billing", "tech"], 2)
    # The skills stayed: a billing item that needs them is offered to a1.
    eng.submit("t1", "billing", "chat", requires={"billing": 5}, at=at(2))
    assert eng.item("t1").agent == "a1"
    # Batches see the commands before: the second update keeps the first one's queues.
    eng.add_agent("a2", capacity={"chat": 3}, queues=["billing"], at=at(3))
    assert eng.agent("a2").budget == 3
    eng.apply([{"kind": "update_agent", "id": "a2", "queues": ["tech"], "at": at(4)},
               ("update_agent", "a2", {"capacity": {"chat": 5}, "at": at(4)})])
    agent = eng.agent("a2")
    assert (agent.queues, agent.budget) == (["tech"], 5)  # a default budget follows the capacity
    eng.update_agent("a2", queues=[], at=at(5))
    assert eng.agent("a2").queues == []
    with pytest.raises(KeyError, match="ghost"):
        eng.update_agent("ghost", queues=["billing"], at=at(6))


def test_customer_message_and_pause_reasons(eng):
    staff(eng)
    eng.submit("t1", "billing", "chat", priority="A", at=at(0))
    eng.accept("t1", "a1", at=at(1))
    eng.respond("t1", at=at(2))
    eng.pause("t1", at=at(3), reason="third_party")
    eng.resume("t1", reason="third_party", at=at(4))
    eng.pause("t1", at=at(5))
    eng.customer_message("t1", at=at(6))  # ends the customer pause
    events = eng.poll_events()
    assert [(e.kind, e.detail) for e in only(events, "pending_customer") + only(events, "resumed")] == [
        ("pending_customer", "third_party"), ("pending_customer", "customer"),
        ("resumed", "third_party"), ("resumed", "customer")]
    assert eng.item("t1").state == "assigned"


def test_resolved_items_close_after_the_quiet_period(eng):
    staff(eng, queues=("callbacks",), capacity={"voice": 1})
    eng.submit("c1", "callbacks", "voice", at=at(0))
    assert eng.item("c1").state == "assigned"  # auto_accept
    eng.resolve("c1", at=at(1))
    eng.advance_to(at(1) + dt.timedelta(hours=72))
    closed = only(eng.poll_events(), "closed")
    assert [(e.item, e.detail, e.at) for e in closed] == [("c1", "quiet_period", at(1) + dt.timedelta(hours=72))]


def test_queue_stats_and_views_as_dicts(eng):
    staff(eng)
    for n in range(4):
        eng.submit(f"t{n}", "billing", "chat", priority="B", at=at(n))
    eng.accept("t0", "a1", at=at(5))
    eng.advance_to(at(40))
    stats = eng.queue_stats("billing")
    assert (stats.name, stats.waiting, stats.arrived, stats.answered) == ("billing", 3, 4, 1)
    assert stats.waiting_by_priority == [0, 3, 0]
    assert stats.answered_within[0] == (10.0, 1)
    assert stats.agents_staffed == 1
    assert stats.to_dict()["waiting"] == 3
    assert set(stats.to_dict()) == {n for n in dir(stats) if not n.startswith("_")} - {"to_dict"}
    item = eng.item("t0").to_dict()
    assert item["state"] == "assigned" and item["sla"][0]["metric"] == "first_response"
    assert isinstance(item["sla"][0], dict)
    assert eng.agent("a1").to_dict()["assigned"] == ["t0"]
    assert eng.kpis().to_dict()["submitted"] == 4
    # t1 and t2 were offered to a1 too; their offers expired and sent a1 away.
    assert [c.to_dict() for c in eng.explain("t1")] == [
        {"agent": "a1", "eligible": False, "chosen": False, "reason": "away"}]
    assert eng.agent("a1").state == "away" and eng.agent("a1").assigned == ["t0"]
    with pytest.raises(KeyError, match='unknown queue "nowhere"'):
        eng.queue_stats("nowhere")


def test_explain_names_who_holds_an_item_and_refuses_a_resolved_one(eng):
    staff(eng)
    eng.submit("t1", "billing", "chat", priority="B", at=at(0))
    staff(eng, "a2", when=at(0))
    assert [(c.agent, c.chosen, c.reason) for c in eng.explain("t1")] == [
        ("a1", True, "holds it"), ("a2", False, "item is not waiting")]
    eng.accept("t1", "a1", at=at(1))
    eng.resolve("t1", at=at(2))
    with pytest.raises(om.StateError, match='item "t1" is resolved'):
        eng.explain("t1")


def test_reconfigure_live_and_refused_whole(eng):
    new = config()
    new["queues"].append({"name": "vip", "strategy": "least_occupied"})
    eng.reconfigure(new, at=at(1))
    assert eng.queue_names() == ["billing", "tech", "callbacks", "deadlines", "vip"]
    assert json.loads(eng.config_json)["queues"][-1]["name"] == "vip"
    removed = config()
    removed["queues"] = removed["queues"][:1]
    digest = eng.state_digest()
    with pytest.raises(om.StateError):
        eng.reconfigure(removed, at=at(1))
    with pytest.raises(ValueError, match="strategy"):
        eng.reconfigure({"queues": [{"name": "billing", "strategy": "fastest"}]}, at=at(1))
    assert eng.queue_names() == ["billing", "tech", "callbacks", "deadlines", "vip"]
    assert eng.state_digest() == digest


# --- instants, enums, errors ---------------------------------------------------------------------


def test_at_defaults_to_the_engines_now_and_takes_epoch_seconds(eng):
    staff(eng)
    eng.advance_to(at(100))
    eng.submit("t1", "billing", "chat", priority="A")
    assert eng.item("t1").created == at(100)
    eng.accept("t1", "a1")
    assert eng.poll_events()[-1].at == at(100)
    eng.advance_to(at(200).timestamp())
    assert eng.now == at(200)
    eng.respond("t1", at=dt.datetime(2026, 11, 23, 2, 5, tzinfo=dt.timezone.utc))
    assert eng.now == at(300)
    eng.submit("t2", "billing", "chat", priority="B", at=at(300.5).timestamp())
    assert eng.item("t2").created == at(300.5)


def test_enums_compare_equal_to_their_names():
    assert [k.value for k in om.EventKind] == [
        "queued", "offered", "assigned", "rejected", "offer_expired", "requeued", "requirement_relaxed",
        "sla_warning", "sla_breached", "sla_met", "escalated", "transferred", "pending_customer", "resumed",
        "resolved", "closed", "reopened", "abandoned", "cancelled", "follow_up_created", "agent_state"]
    for enum in (om.EventKind, om.CommandKind, om.AgentState, om.ItemState, om.SlaMetric, om.SlaState,
                 om.RelaxationKind):
        for member in enum:
            assert member == member.value and isinstance(member, str) and str(member) == member.value
    assert {"status": om.ItemState.QUEUED} == {"status": "queued"}
    assert json.dumps(om.EventKind.SLA_BREACHED) == '"sla_breached"'


def test_enums_must_match_the_compiled_names():
    import enum

    from omniroute import _omniroute

    wrong = enum.StrEnum("AgentState", {"OFFLINE": "offline", "AVAILABLE": "available"})
    with pytest.raises(ValueError, match="offline, available, away, wrap_up"):
        _omniroute._register_enum("AgentState", wrong)
    with pytest.raises(ValueError, match="Colour"):
        _omniroute._register_enum("Colour", om.AgentState)


def test_views_return_enum_members(eng):
    staff(eng)
    eng.submit("t1", "billing", "chat", priority="A", at=at(0))
    assert isinstance(eng.item("t1").state, om.ItemState)
    assert isinstance(eng.agent("a1").state, om.AgentState)
    clock = eng.item("t1").sla[0]
    assert (clock.metric, clock.state) == (om.SlaMetric.FIRST_RESPONSE, om.SlaState.RUNNING)
    assert all(isinstance(e.kind, om.EventKind) for e in eng.poll_events())


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda e: e.add_agent("a1", at=at(0)), om.StateError, 'agent "a1" exists'),
        (lambda e: e.resolve("nope", at=at(0)), KeyError, 'unknown item "nope"'),
        (lambda e: e.accept("t1", "a2", at=at(0)), KeyError, 'unknown agent "a2"'),
        (lambda e: e.submit("t2", "nowhere", "chat", at=at(0)), KeyError, 'unknown queue "nowhere"'),
        (lambda e: e.submit("t2", "billing", "fax", at=at(0)), KeyError, 'unknown channel "fax"'),
        (lambda e: e.submit("t2", "billing", "chat", priority="Z", at=at(0)), KeyError, 'unknown priority "Z"'),
        (lambda e: e.submit("t1", "billing", "chat", priority="A", at=at(0)), om.StateError, "t1"),
        (lambda e: e.resolve("t1", at=at(0)), om.StateError, "offered"),
        (lambda e: e.confirm("t1", at=at(0)), om.StateError, "offered"),
        (lambda e: e.set_agent_state("a1", "busy", at=at(0)), ValueError, 'unknown agent state "busy"'),
        (lambda e: e.respond("t1", at=at(-1)), ValueError, "before the engine's now"),
        (lambda e: e.respond("t1", at=dt.datetime(2026, 11, 23, 10)), ValueError, "naive datetime"),
        (lambda e: e.submit("t2", "billing", "chat", tags="angry", at=at(0)), TypeError, "tags: expected a list"),
        (lambda e: e.submit("t2", "billing", "chat", requires={"billing": "high"}, at=at(0)), TypeError,
         r"requires\[billing\]: expected an int"),
        (lambda e: e.submit("t2", "billing", "chat", relax=[{"kind": "shrink", "skill": "b"}], at=at(0)),
         ValueError, 'unknown relaxation kind "shrink"'),
        (lambda e: e.add_agent("a3", queues=[{"queue": "billing", "weight": 2}], at=at(0)), ValueError,
         'unknown key "weight"'),
        (lambda e: e.advance_to("soon"), TypeError, "at: expected an aware datetime or epoch seconds"),
        (lambda e: e.remove_agent("a1", at=at(0)), om.StateError, 'agent "a1" holds assigned work'),
    ],
)
def test_errors_map_to_python_exceptions_and_change_nothing(eng, call, error, message):
    staff(eng)
    eng.submit("t1", "billing", "chat", priority="A", at=at(0))
    eng.submit("t0", "billing", "chat", priority="A", at=at(0))
    eng.accept("t0", "a1", at=at(0))
    eng.poll_events()
    digest, item, agent = eng.state_digest(), eng.item("t1").to_dict(), eng.agent("a1").to_dict()
    with pytest.raises(error, match=message):
        call(eng)
    assert eng.state_digest() == digest
    assert eng.item("t1").to_dict() == item and eng.agent("a1").to_dict() == agent
    assert eng.poll_events() == []
    assert issubclass(om.StateError, RuntimeError)


# --- snapshots -----------------------------------------------------------------------------------


def busy_engine():
    engine = om.Engine(config())
    staff(engine, "a1")
    staff(engine, "a2", queues=("billing", "tech"))
    engine.submit("t1", "billing", "chat", priority="A", tags=["upset"], at=at(1))
    engine.submit("t2", "tech", "chat", priority="B", at=at(2))
    engine.accept("t1", "a1", at=at(3))
    engine.advance_to(at(200))
    return engine


def test_snapshot_restore_replay_and_pickle_give_the_same_engine():
    engine = busy_engine()
    blob = engine.snapshot()
    assert isinstance(blob, bytes)
    copies = [
        om.Engine.restore(blob),
        om.Engine.restore(bytearray(blob)),
        om.Engine.restore(memoryview(blob)),
        om.Engine.replay(config(), engine.journal()),
        pickle.loads(pickle.dumps(engine)),
        copy.deepcopy(engine),
    ]
    engine.poll_events()
    for other in copies:
        assert isinstance(other, om.Engine)
        assert other.state_digest() == engine.state_digest()
        assert other.now == engine.now and other.item("t1").to_dict() == engine.item("t1").to_dict()
        assert other.poll_events() == []
    later = []
    for other in [engine] + copies:
        other.respond("t1", at=at(400))
        other.advance_to(at(2000))
        later.append(other.poll_events())
    assert all(events == later[0] for events in later) and later[0]


def test_corrupt_snapshots_are_refused():
    blob = busy_engine().snapshot()
    with pytest.raises(ValueError, match="checksum mismatch"):
        om.Engine.restore(blob[:-9] + bytes([blob[-9] ^ 1]) + blob[-8:])
    with pytest.raises(ValueError, match="truncated"):
        om.Engine.restore(blob[:4])
    with pytest.raises(ValueError, match="not an omniroute snapshot"):
        om.Engine.restore(b"\x00" * 64)
    with pytest.raises(TypeError, match="snapshot: expected bytes"):
        om.Engine.restore("text")


MASK = (1 << 64) - 1


class StableHash:
    """StableHash of src/internal/byte_codec.h."""

    def __init__(self, state=0xCBF29CE484222325):
        self.state = state

    def word(self, w):
        state = ((self.state ^ w) * 0x9E3779B97F4A7C15) & MASK
        self.state = ((state << 29) | (state >> 35)) & MASK

    def add(self, data):
        whole = len(data) - len(data) % 8
        for i in range(0, whole, 8):
            self.word(int.from_bytes(data[i : i + 8], "little"))
        if whole < len(data):
            self.word(int.from_bytes(data[whole:], "little") ^ ((len(data) - whole) << 56))

    def value(self):
        h = self.state
        h = ((h ^ (h >> 33)) * 0xFF51AFD7ED558CCD) & MASK
        h = ((h ^ (h >> 33)) * 0xC4CEB9FE1A85EC53) & MASK
        return h ^ (h >> 33)


def snapshot_checksum(body):
    """The checksum a format-6 snapshot ends with (WideChecksum in src/internal/byte_codec.h)."""
    lanes = [StableHash(seed) for seed in range(1, 17)]
    blocks = len(body) - len(body) % 128
    for i in range(0, blocks, 8):
        lanes[(i // 8) % 16].word(int.from_bytes(body[i : i + 8], "little"))
    lanes[0].add(body[blocks:])
    out = StableHash()
    for lane in lanes:
        out.word(lane.state)
    out.word(len(body))
    return out.value()


def test_snapshot_whose_state_misses_its_digest_is_a_value_error():
    blob = busy_engine().snapshot()
    # Magic, version, initial config and journal (length-prefixed strings and a u64), then the
    # state digest: change it and seal the snapshot again with a valid checksum.
    pos = 0
    for part in ["str", "u64", "str", "str"]:
        if part == "u64":
            pos += 8
            continue
        length, shift = 0, 0
        while True:
            byte = blob[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        pos += length
    body = blob[:pos] + bytes([blob[pos] ^ 1]) + blob[pos + 1 : -8]
    forged = body + snapshot_checksum(body).to_bytes(8, "little")
    with pytest.raises(ValueError, match="the loaded state differs from the recorded one"):
        om.Engine.restore(forged)


def test_journal_refused_on_replay_is_a_value_error_with_its_bytes_escaped():
    conf = config()
    conf["queues"][0]["name"] = "bill\u00e9"
    engine = om.Engine(conf)
    engine.submit("t1", "bill\u00e9", "chat", priority="A", at=at(1))
    journal = engine.journal()
    assert journal.count("bill\u00e9".encode()) == 1
    with pytest.raises(ValueError) as error:
        om.Engine.replay(conf, journal.replace("bill\u00e9".encode(), b"bill\xff\xa9"))
    assert "refused on replay" in str(error.value)
    assert "bill\\xff\\xa9" in str(error.value)


def test_malformed_json_errors_keep_their_message_whatever_the_bytes():
    with pytest.raises(ValueError, match=r"malformed JSON: .*line 1, column 13"):
        om.Engine('{"queues": [}')
    with pytest.raises(ValueError, match=r"malformed JSON: .*line 1, column 13") as error:
        om.Engine('{"queues": [\u00e9]}')
    assert "\\xc3" in str(error.value)
    with pytest.raises(ValueError, match="malformed JSON"):
        om.Calendar.from_json('{"tz": [\u00e9]}')


def test_type_errors_cut_long_values_between_characters():
    eng = om.Engine(config())
    for pad in range(4):
        with pytest.raises(TypeError, match=r"expected a str, got tuple \('x*\u00e9+\.\.\.") as error:
            eng.submit("t1", "billing", "chat", priority=("x" * pad + "\u00e9" * 40,), at=at(1))
        assert error.value.args[0].startswith("priority")


# --- bulk ----------------------------------------------------------------------------------------


def scripted_commands():
    return [
        {"kind": "add_agent", "id": "a1", "skills": {"billing": 5}, "capacity": {"chat": 3},
         "queues": ["billing"], "at": at(0)},
        {"kind": "set_agent_state", "agent": "a1", "state": "available", "at": at(0)},
        {"kind": "submit", "id": "t1", "queue": "billing", "channel": "chat", "priority": "A", "at": at(1)},
        {"kind": "submit", "id": "t2", "queue": "billing", "channel": "chat", "priority": "B",
         "requires": {"billing": 2}, "tags": ["upset"], "at": at(2)},
        {"kind": "accept", "item": "t1", "agent": "a1", "at": at(3)},
        {"kind": "accept", "item": "t2", "agent": "a1"},
        {"kind": "respond", "item": "t1", "at": at(30)},
        {"kind": "pause", "item": "t2", "reason": "third_party", "at": at(31)},
        {"kind": "resume", "item": "t2", "reason": "third_party", "at": at(32)},
        {"kind": "update", "item": "t2", "priority": "A", "at": at(33)},
        {"kind": "resolve", "item": "t1", "at": at(40)},
        {"kind": "advance_to", "at": at(900)},
    ]


def as_tuple(command):
    positional = {"add_agent": ["id"], "set_agent_state": ["agent", "state"], "submit": ["id", "queue", "channel"],
                  "accept": ["item", "agent"], "respond": ["item"], "pause": ["item"], "resume": ["item"],
                  "update": ["item"], "resolve": ["item"], "advance_to": ["at"]}[command["kind"]]
    rest = {k: v for k, v in command.items() if k not in positional and k != "kind"}
    return (command["kind"], *[command[k] for k in positional]) + ((rest,) if rest else ())


def run_one_by_one(commands):
    engine = om.Engine(config())
    for command in commands:
        arguments = dict(command)
        getattr(engine, arguments.pop("kind"))(**arguments)
    return engine


def test_apply_of_dicts_tuples_and_generators_matches_single_calls():
    commands = scripted_commands()
    reference = run_one_by_one(commands)
    events = reference.poll_events()
    assert "sla_breached" in kinds(events)
    for batch in (commands, [as_tuple(c) for c in commands], (c for c in commands)):
        engine = om.Engine(config())
        assert engine.apply(batch) == len(commands)
        assert engine.state_digest() == reference.state_digest()
        assert engine.poll_events() == events


def test_apply_stops_at_the_first_refusal():
    commands = scripted_commands()
    refused = dict(commands[4], agent="a9")
    batch = commands[:4] + [refused] + commands[5:]
    engine = om.Engine(config())
    with pytest.raises(KeyError, match=r'commands\[4\]: accept: unknown agent "a9"') as info:
        engine.apply(batch)
    assert info.value.index == 4
    reference = run_one_by_one(commands[:4])
    reference.advance_to(refused["at"])  # the refused command moved time, nothing else
    assert engine.state_digest() == reference.state_digest()
    assert engine.poll_events() == reference.poll_events()


def test_apply_reads_every_command_before_applying_any():
    engine = om.Engine(config())
    digest = engine.state_digest()
    bad = scripted_commands()
    bad[3] = dict(bad[3], tags="upset")
    with pytest.raises(TypeError, match=r"commands\[3\]: tags: expected a list") as info:
        engine.apply(bad)
    assert info.value.index == 3
    for commands, error, message in [
        ([{"kind": "frobnicate"}], ValueError, r'commands\[0\]: unknown command kind "frobnicate"'),
        ([{"item": "t1"}], TypeError, r'commands\[0\]: the command has no "kind"'),
        ([("respond",)], TypeError, r'commands\[0\]: respond: missing "item"'),
        ([("respond", "t1", at(1), "extra")], TypeError, "at most 2 positional values, got 3"),
        ([{"kind": "respond", "item": "t1", "when": at(1)}], TypeError, 'unknown parameter "when"'),
        ([("respond", "t1", {"item": "t2"})], TypeError, '"item" given twice'),
        ([42], TypeError, r"commands\[0\]: expected a mapping or a tuple"),
        ([{"kind": "respond", "item": "t1", "at": dt.datetime(2026, 1, 1)}], ValueError, "naive datetime"),
    ]:
        with pytest.raises(error, match=message):
            engine.apply(commands)
    with pytest.raises(TypeError, match="expected an iterable of commands"):
        engine.apply({"kind": "respond"})
    assert engine.state_digest() == digest and engine.poll_events() == []


def test_submit_many_takes_mappings_and_tuples_with_a_default_instant(eng):
    staff(eng, capacity={"chat": 1})
    count = eng.submit_many(
        [
            {"id": "t1", "queue": "billing", "channel": "chat", "priority": "A"},
            ("t2", "tech", "chat"),
            ("t3", "billing", "chat", {"priority": "B", "at": at(20)}),
        ],
        at=at(10),
    )
    assert count == 3
    assert [eng.item(t).created for t in ("t1", "t2", "t3")] == [at(10), at(10), at(20)]
    assert eng.item("t1").state == "offered"
    assert eng.queue_stats("billing").waiting == 1 and eng.queue_stats("tech").waiting == 1
    with pytest.raises(ValueError, match=r'items\[0\]: kind "accept" where only "submit"'):
        eng.submit_many([{"kind": "accept", "id": "t9"}])
    with pytest.raises(om.StateError, match=r"items\[1\]: submit: .*t1") as info:
        eng.submit_many([("t4", "billing", "chat"), ("t1", "billing", "chat")])
    assert info.value.index == 1 and eng.item("t4").state == "queued"


def test_reconfigure_through_apply(eng):
    new = config()
    new["queues"].append({"name": "vip"})
    assert eng.apply([("reconfigure", new), ("reconfigure", new, at(5))]) == 2
    assert eng.queue_names()[-1] == "vip" and eng.now == at(5)


# --- threads -------------------------------------------------------------------------------------


def churn(steps):
    commands = [
        {"kind": "add_agent", "id": f"a{n}", "skills": {"billing": 5}, "capacity": {"chat": 3},
         "queues": ["billing", "callbacks"], "at": at(0)} for n in range(20)
    ] + [{"kind": "set_agent_state", "agent": f"a{n}", "state": "available", "at": at(0)} for n in range(20)]
    for i in range(steps):
        commands.append({"kind": "submit", "id": f"t{i}", "queue": "callbacks", "channel": "chat", "at": at(i)})
        if i >= 30:
            commands.append({"kind": "resolve", "item": f"t{i - 30}", "at": at(i)})
        if i >= 40:
            commands.append({"kind": "confirm", "item": f"t{i - 40}", "at": at(i)})
    return commands


def test_views_are_read_from_other_threads_while_one_thread_drives_the_engine():
    commands = churn(3000)
    reference = om.Engine(config())
    reference.apply(commands)
    expected = reference.poll_events()

    engine = om.Engine(config())
    done = threading.Event()
    seen = {"reader": [], "writer": []}
    failures = []

    def writer():
        try:
            for start in range(0, len(commands), 500):
                chunk = commands[start : start + 500]
                if start % 1000 == 0:
                    engine.apply(chunk)
                else:
                    for command in chunk:
                        arguments = dict(command)
                        getattr(engine, arguments.pop("kind"))(**arguments)
                seen["writer"].extend(engine.poll_events())
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            done.set()

    def reader():
        try:
            while not done.is_set():
                kpis = engine.kpis()
                assert kpis.answered <= kpis.submitted
                assert engine.queue_stats("callbacks").waiting >= 0
                assert engine.item_count <= 41  # 40 open, and a submission before a confirm
                seen["reader"].extend(engine.poll_events())
        except Exception as error:  # noqa: BLE001
            failures.append(error)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    assert engine.state_digest() == reference.state_digest()
    received = seen["writer"] + seen["reader"] + engine.poll_events()
    assert sorted(received, key=repr) == sorted(expected, key=repr)


def ticks_while(call):
    """How often another Python thread got to run during `call()`.

    The switch interval is made so long that the calling thread never hands the GIL over while it
    runs Python code: the other thread only runs when `call` releases the GIL.
    """
    ticks = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0)

    interval = sys.getswitchinterval()
    spinner = threading.Thread(target=spin)
    sys.setswitchinterval(100)
    try:
        spinner.start()
        before = ticks[0]
        call()
        return ticks[0] - before
    finally:
        stop.set()
        spinner.join()
        sys.setswitchinterval(interval)


def test_bulk_and_advance_to_release_the_gil_while_the_engine_works():
    engine = om.Engine(config())
    assert ticks_while(lambda: engine.kpis()) == 0  # views of an idle engine keep the GIL
    assert ticks_while(lambda: engine.apply(churn(5000))) > 0
    staff(engine, "late", queues=("billing",), when=engine.now)
    engine.submit_many(({"id": f"w{n}", "queue": "billing", "channel": "email", "priority": "A"}
                        for n in range(5000)))
    assert ticks_while(lambda: engine.advance_to(engine.now + dt.timedelta(days=30))) > 0
    assert engine.kpis().on_time == 0.0


# --- typing and documentation -------------------------------------------------------------------


def pybind_signature(function):
    """The parameters pybind11 put in the first line of a function's docstring."""
    first = function.__doc__.splitlines()[0]
    inside = first[first.index("(") + 1 : first.rindex(")")]
    names = []
    for part in re.split(r",\s*(?![^\[]*\])", inside):
        part = part.strip()
        names.append("*" if part == "*" else part.split(":")[0].strip())
    return names


def stub_signature(node):
    args = node.args
    names = [a.arg for a in args.posonlyargs + args.args]
    if args.kwonlyargs:
        names.append("*")
        names += [a.arg for a in args.kwonlyargs]
    return names


def test_the_stub_matches_the_engine_signatures():
    from omniroute import _omniroute

    stub = pathlib.Path(_omniroute.__file__).with_name("_omniroute.pyi")
    tree = ast.parse(stub.read_text())
    (engine_stub,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Engine"]
    checked = 0
    for node in engine_stub.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("__") and node.name != "__init__":
            continue
        if any(isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list):
            assert isinstance(getattr(om.Engine, node.name), property), node.name
            continue
        real = pybind_signature(getattr(om.Engine, node.name))
        expected = stub_signature(node)
        if expected and expected[0] != "self":
            real = real[1:] if real and real[0] == "self" else real
        assert real == expected, node.name
        checked += 1
    assert checked >= 35


def test_every_public_name_is_documented():
    for cls in (om.Engine, om.EngineEvent, om.EngineItemView, om.EngineAgentView, om.QueueStats, om.EngineKpis,
                om.SlaClockView, om.Candidate):
        assert cls.__doc__, cls
        for name in dir(cls):
            if name.startswith("_"):
                continue
            member = getattr(cls, name)
            assert member.__doc__, f"{cls.__name__}.{name}"
    assert set(om.__all__) >= {"Engine", "EngineEvent", "EventKind", "AgentState", "ItemState", "StateError"}


def test_agent_and_item_ids_list_what_the_engine_holds():
    eng = om.Engine(config())
    for agent in ("b", "a", "c"):
        staff(eng, agent)
    eng.remove_agent("a", at=at(1))
    assert eng.agent_ids() == ["b", "c"]
    for item in ("t2", "t1", "t3"):
        eng.submit(item, "billing", "chat", priority="B", at=at(2))
    eng.cancel("t2", at=at(3))
    assert eng.item_ids() == ["t1", "t3"]
