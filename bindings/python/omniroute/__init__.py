"""omniroute: an embeddable routing and SLA engine for contact centres.

The engine ties queues, agents, skills, SLA clocks on business-hours calendars and escalation
together; it is configured from a dict, JSON text or a JSON file (see the README's "Engine
configuration")::

    import omniroute as om
    eng = om.Engine({"calendars": {"office": {"tz": "Asia/Shanghai", "week": {...}}},
                     "sla_policies": [{"name": "tiered", "calendar": "office", "warn_at": [0.5, 0.75],
                                       "targets": {"A": {"first_response": 300, "resolution": 1800}}}],
                     "queues": [{"name": "billing", "strategy": "longest_idle", "sla_policy": "tiered"}]})
    eng.add_agent("a1", skills={"billing": 5}, capacity={"chat": 3}, queues=["billing"], at=t)
    eng.set_agent_state("a1", "available", at=t)
    eng.submit("t1", queue="billing", channel="chat", priority="A", requires={"billing": 3}, at=t)
    for ev in eng.poll_events():          # ev.kind == "offered", ev.item, ev.agent, ev.at ...
        ...
    eng.accept("t1", "a1", at=t); eng.respond("t1", at=t2); eng.resolve("t1", at=t3)
    eng.item("t1"); eng.agent("a1"); eng.queue_stats("billing"); eng.kpis(); eng.explain("t1")
    eng2 = om.Engine.restore(eng.snapshot())

Every command takes ``at=`` (default: the engine's ``now``). ``eng.apply(commands)`` and
``eng.submit_many(items)`` apply many commands with the GIL released: every command is read first,
then they run in order and stop at the first refusal, which raises with its ``index``. Each engine
has its own lock: other threads may read views while one drives it. Event kinds and states are
``str`` enums (``EventKind``, ``ItemState``, ``AgentState``, ``SlaMetric``, ``SlaState``), equal to
their lower-case names.

Business-hours calendars::

    cal = om.Calendar(tz="America/New_York",
                      week={"mon": [("09:00", "17:00")], "tue": [("09:00", "12:00"), ("13:00", "17:00")]},
                      holidays=["2026-12-25"],
                      special_days={"2026-12-24": [("09:00", "12:00")]})
    due = cal.add(start, 2 * 3600)   # two business hours after `start`, an aware datetime

SLA policies, clocks and the tracker that fires warnings and breaches::

    policy = om.SlaPolicy.from_dict({"name": "tiered", "calendar": "office", "warn_at": [0.5, 0.75],
                                     "targets": {"A": {"first_response": "5m", "resolution": "30m"}}},
                                    calendars={"office": cal})
    tracker = om.SlaTracker(origin=start)
    tracker.add_policy(policy)
    tracker.start(1, "tiered", "A", start=start)
    tracker.advance_to(later)
    events = tracker.poll_events()   # SlaEvent(kind="sla_warning" | "sla_breached" | "sla_met", ...)

Instants are aware datetimes or epoch seconds; a naive datetime is a ValueError. Errors raise
ValueError (invalid argument; a corrupt snapshot or journal), KeyError (not found) or StateError (a
RuntimeError: the command does not fit the current state, or the id exists), always with the
engine's message; a refused command changes nothing but the engine's time (what was due by its
``at`` has fired).
"""

from ._calendar import Calendar
from ._engine import (
    AgentState,
    Candidate,
    CommandKind,
    Engine,
    EngineAgentView,
    EngineEvent,
    EngineItemView,
    EngineKpis,
    EventKind,
    ItemState,
    QueueStats,
    RelaxationKind,
    SlaClockView,
    SlaMetric,
    SlaState,
)
from ._omniroute import StateError, __version__
from ._sla import SlaAttainment, SlaClock, SlaCycle, SlaEvent, SlaPolicy, SlaTracker

from . import _engine

__all__ = sorted(
    [
        "Calendar",
        "SlaAttainment",
        "SlaClock",
        "SlaCycle",
        "SlaEvent",
        "SlaPolicy",
        "SlaTracker",
        "StateError",
        "__version__",
        *_engine.__all__,
    ]
)
