#!/usr/bin/env python3
"""A small contact centre driven from Python: one morning of the omniroute engine.

An office in Shanghai (09:00-12:00 and 13:00-18:00 on weekdays) answers billing and technical
work on chat, voice and email under tiered SLA targets (A: first response 5 min / resolution
30 min, B: 30 min / 2 h, C: 4 h / 24 h; VIP customers get half of that). Upset customers go
straight to escalation level L2, which raises their routing priority. Four agents with different
skills log in; the night's e-mails are submitted in one bulk call, the day's chats and calls one
at a time as they arrive; agents accept their offers, answer and resolve.
The script prints what happens, then the queues and the KPIs, and checks that a snapshot of the
engine restores to the same state.

Run it from a build tree:  PYTHONPATH=build/ci/python python3 examples/python/quickstart.py
"""

import datetime as dt
from zoneinfo import ZoneInfo

import omniroute as om

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
OFFICE = {
    "tz": "Asia/Shanghai",
    "week": {day: [("09:00", "12:00"), ("13:00", "18:00")] for day in WEEKDAYS},
    "holidays": ["2026-10-01", "2026-10-02"],
}
OPENING = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)  # a Monday

CONFIG = {
    "calendars": {"office": OFFICE},
    "skills": ["billing", "technical", "senior", "zh", "en"],
    "sla_policies": [{
        "name": "tiered",
        "calendar": "office",
        "warn_at": [0.5, 0.75],
        "targets": {
            "A": {"first_response": "5m", "resolution": "30m"},
            "B": {"first_response": "30m", "resolution": "2h"},
            "C": {"first_response": "4h", "resolution": "24h"},
        },
        "tiers": {"vip": 0.5},
    }],
    "escalation": {
        "name": "support",
        "levels": [
            {"name": "L1", "time_limit": "1h", "calendar": "office"},
            {"name": "L2", "actions": [{"kind": "raise_priority_by", "amount": 1}]},
        ],
        "rules": [
            {"trigger": {"kind": "level_time_limit"}},
            {"trigger": {"kind": "tag", "value": "upset"}, "from_level": "L1", "to_level": "L2"},
        ],
    },
    "queues": [
        {"name": "billing", "strategy": "longest_idle", "order": "priority_fifo", "sla_policy": "tiered",
         "offer_timeout": "2m"},
        {"name": "tech", "strategy": "most_skilled", "order": "priority_fifo", "sla_policy": "tiered",
         "offer_timeout": "2m"},
    ],
    "origin": OPENING,
}

AGENTS = [
    ("li", {"billing": 6, "zh": 5}, {"chat": 3, "voice": 1}, ["billing"]),
    ("wang", {"billing": 3, "technical": 4, "zh": 5, "en": 3}, {"chat": 2, "email": 4}, ["billing", "tech"]),
    ("chen", {"technical": 8, "senior": 1, "en": 4}, {"voice": 1, "email": 5}, ["tech"]),
    ("zhao", {"technical": 5, "zh": 4}, {"chat": 3}, ["tech", "billing"]),
]

# E-mails written overnight: their SLA clocks start when they were written, but count office
# hours only, so they are due in the morning.
BACKLOG = [
    {"id": "e-201", "queue": "tech", "channel": "email", "priority": "C", "requires": {"technical": 3},
     "created": OPENING - dt.timedelta(hours=11)},
    {"id": "e-202", "queue": "billing", "channel": "email", "priority": "B", "requires": {"billing": 2},
     "created": OPENING - dt.timedelta(hours=3)},
    {"id": "e-203", "queue": "tech", "channel": "email", "priority": "B", "requires": {"technical": 6, "en": 2},
     "created": OPENING - dt.timedelta(minutes=40)},
]

# (minutes after opening, id, queue, channel, priority, requirement, tier, tags)
ARRIVALS = [
    (2, "c-101", "billing", "chat", "B", {"billing": 2}, "", []),
    (5, "c-102", "billing", "voice", "A", {"billing": 5}, "vip", []),
    (12, "c-103", "billing", "chat", "B", {"zh": 3}, "", ["upset"]),
    (20, "c-104", "tech", "chat", "A", {"technical": 4}, "", []),
    (31, "c-105", "billing", "chat", "C", {}, "", []),
    (38, "c-106", "billing", "chat", "A", {"billing": 5}, "", []),
    (44, "v-301", "tech", "voice", "A", {"technical": 7}, "vip", []),
]
RESPOND_AFTER = dt.timedelta(minutes=4)
RESOLVE_AFTER = dt.timedelta(minutes=18)


def clock(t):
    return t.astimezone(SHANGHAI).strftime("%H:%M")


def describe(event):
    fields = {k: round(v, 2) if isinstance(v, float) else v for k, v in event.to_dict().items()}
    shown = ", ".join(f"{k}={v}" for k, v in fields.items() if k not in ("kind", "at", "item"))
    return f"{clock(event.at)}  {event.kind:<16} {event.item or '':<6} {shown}"


def main():
    engine = om.Engine(CONFIG)
    for name, skills, capacity, queues in AGENTS:
        engine.add_agent(name, skills=skills, capacity=capacity, queues=queues, at=OPENING)
        engine.set_agent_state(name, om.AgentState.AVAILABLE, at=OPENING)
    engine.poll_events()

    engine.submit_many(BACKLOG, at=OPENING)
    pending = list(ARRIVALS)

    to_respond, to_resolve = {}, {}
    now = engine.now
    while now < OPENING + dt.timedelta(hours=2):
        now += dt.timedelta(minutes=1)
        engine.advance_to(now)
        while pending and OPENING + dt.timedelta(minutes=pending[0][0]) <= now:
            _, item, queue, channel, priority, requires, tier, tags = pending.pop(0)
            engine.submit(item, queue, channel, priority=priority, requires=requires, tier=tier, tags=tags)
        for item, due in sorted(to_respond.items()):
            if due <= now:
                engine.respond(item)
                del to_respond[item]
        for item, due in sorted(to_resolve.items()):
            if due <= now:
                engine.resolve(item)
                del to_resolve[item]
        events = engine.poll_events()
        while events:
            for event in events:
                print(describe(event))
                if event.kind == om.EventKind.OFFERED:
                    engine.accept(event.item, event.agent)
                elif event.kind == "assigned":
                    to_respond[event.item] = now + RESPOND_AFTER
                    to_resolve[event.item] = now + RESOLVE_AFTER
            events = engine.poll_events()

    print()
    for name in engine.queue_names():
        stats = engine.queue_stats(name)
        print(f"queue {name:<8} arrived {stats.arrived}, answered {stats.answered}, waiting {stats.waiting}, "
              f"service level {stats.service_level:.0%}, average wait {stats.average_wait_answered:.0f} s")
    for name, *_ in AGENTS:
        agent = engine.agent(name)
        print(f"agent {name:<5} {agent.state:<10} handled {agent.handled}, load {agent.load}")
    kpis = engine.kpis()
    print(f"KPIs: {kpis.submitted} submitted, {kpis.resolved} resolved, average first response "
          f"{kpis.average_first_response / 60:.1f} min, average resolution {kpis.average_resolution / 60:.1f} min, "
          f"on time {kpis.on_time:.0%}, first-contact resolution {kpis.first_contact_resolution:.0%}")
    print(f"escalations: {kpis.escalations}")

    restored = om.Engine.restore(engine.snapshot())
    if restored.state_digest() != engine.state_digest():
        raise SystemExit("the restored engine differs from the original")
    print(f"snapshot restored: {restored}")


if __name__ == "__main__":
    main()
