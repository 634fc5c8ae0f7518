"""omniroute: an embeddable routing and SLA engine.

Business-hours calendars are the first building block::

    import omniroute as om
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

Instants are aware datetimes or epoch seconds; a naive datetime is a ValueError. Errors from the
engine raise ValueError (invalid argument), KeyError (not found) or StateError (the command does not
fit the current state), always with the message.
"""

from ._calendar import Calendar
from ._omniroute import StateError, __version__
from ._sla import SlaAttainment, SlaClock, SlaCycle, SlaEvent, SlaPolicy, SlaTracker

__all__ = [
    "Calendar",
    "SlaAttainment",
    "SlaClock",
    "SlaCycle",
    "SlaEvent",
    "SlaPolicy",
    "SlaTracker",
    "StateError",
    "__version__",
]
