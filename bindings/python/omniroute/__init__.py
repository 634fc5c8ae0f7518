"""omniroute: an embeddable routing and SLA engine.

Business-hours calendars are the first building block::

    import omniroute as om
    cal = om.Calendar(tz="America/New_York",
                      week={"mon": [("09:00", "17:00")], "tue": [("09:00", "12:00"), ("13:00", "17:00")]},
                      holidays=["2026-12-25"],
                      special_days={"2026-12-24": [("09:00", "12:00")]})
    due = cal.add(start, 2 * 3600)   # two business hours after `start`, an aware datetime

Instants are aware datetimes or epoch seconds; a naive datetime is a ValueError. Errors from the
engine raise ValueError (invalid argument), KeyError (not found) or StateError (the command does not
fit the current state), always with the message.
"""

from ._calendar import Calendar
from ._omniroute import StateError, __version__

__all__ = ["Calendar", "StateError", "__version__"]
