"""Business-hours calendars: the Python face of the C++ BusinessCalendar."""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import _omniroute

Instant = Union[_dt.datetime, int, float]
Seconds = Union[int, float, _dt.timedelta]
TimeText = Union[str, _dt.time]
Interval = Union[str, Sequence[TimeText]]


def _time_text(value: Any) -> Any:
    if isinstance(value, _dt.time):
        if value.tzinfo is not None:
            raise ValueError(f"time of day {value} must not carry a tzinfo: the calendar's zone applies")
        return value.strftime("%H:%M:%S")
    return value


def _interval(value: Any) -> Any:
    if isinstance(value, str):
        return value
    try:
        return [_time_text(v) for v in value]
    except TypeError:
        return value


def _date_text(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        raise ValueError(f"{value!r} is a datetime; give a date (datetime.date or 'YYYY-MM-DD')")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def _intervals(value: Any) -> Any:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return value
    return [_interval(v) for v in value]


def _dates(value: Any) -> Any:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return value
    return [_date_text(v) for v in value]


def _by_key(value: Any, key: Callable[[Any], Any]) -> Any:
    if not isinstance(value, Mapping):
        return value
    return {key(k): _intervals(v) for k, v in value.items()}


def _spec_json(spec: Any) -> str:
    # Converts the Python vocabulary (dates, times, iterables) and leaves everything else as it is,
    # so that the JSON loader refuses a wrong shape or an unknown key with the message it gives
    # for JSON text.
    if isinstance(spec, Mapping):
        spec = dict(spec)
        if "week" in spec:
            spec["week"] = _by_key(spec["week"], str)
        if "holidays" in spec:
            spec["holidays"] = _dates(spec["holidays"])
        if "special_days" in spec:
            spec["special_days"] = _by_key(spec["special_days"], _date_text)
    try:
        return json.dumps(spec)
    except (TypeError, ValueError) as error:
        raise ValueError(f"calendar spec: {error}") from None


def _zone(name: str) -> _dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return _dt.timezone.utc


class Calendar:
    """A business-hours calendar: weekly open hours in a time zone, holidays and special days.

    Args:
        tz: IANA time zone name, e.g. ``"Europe/Berlin"``.
        week: ``{"mon": [("09:00", "17:00")], ...}``; keys ``mon`` ... ``sun``; times
            ``HH:MM[:SS]`` (or ``datetime.time``); ``24:00`` may end a day; an interval whose end
            is before its start runs past midnight and belongs to the day it starts on.
        holidays: closed local dates, ``"YYYY-MM-DD"`` or ``datetime.date``.
        special_days: ``{date: [intervals]}`` replacing that date's hours (``[]`` closes it); a
            special day wins over a holiday on the same date.

    Intervals are ``[open, close)``; adjacent intervals merge; open time is real elapsed time, so
    daylight-saving days are 23 or 25 hours long. Raises ValueError naming the bad part.
    """

    __slots__ = ("_impl", "_zone")

    def __init__(
        self,
        tz: str = "UTC",
        week: Optional[Mapping[str, Iterable[Interval]]] = None,
        holidays: Iterable[Union[str, _dt.date]] = (),
        special_days: Optional[Mapping[Union[str, _dt.date], Iterable[Interval]]] = None,
    ) -> None:
        spec = {"tz": tz, "holidays": holidays}
        if week is not None:
            spec["week"] = week
        if special_days is not None:
            spec["special_days"] = special_days
        self._set(_omniroute.BusinessCalendar.from_json(_spec_json(spec)))

    def _set(self, impl: _omniroute.BusinessCalendar) -> None:
        self._impl = impl
        self._zone = _zone(impl.time_zone)

    @classmethod
    def _wrap(cls, impl: _omniroute.BusinessCalendar) -> "Calendar":
        calendar = cls.__new__(cls)
        calendar._set(impl)
        return calendar

    @classmethod
    def always_open(cls) -> "Calendar":
        """The 24x7 calendar: every instant is open."""
        return cls._wrap(_omniroute.BusinessCalendar.always_open())

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> "Calendar":
        """A calendar from a dict shaped like ``to_dict()`` (keys tz, week, holidays, special_days).

        Dates and times may be ``datetime.date`` / ``datetime.time`` as for the constructor; errors
        are those of ``from_json`` (an unknown key too).
        """
        return cls._wrap(_omniroute.BusinessCalendar.from_json(_spec_json(spec)))

    @classmethod
    def from_json(cls, text: str) -> "Calendar":
        """A calendar from its JSON object text; errors name the JSON path."""
        return cls._wrap(_omniroute.BusinessCalendar.from_json(text))

    @property
    def tz(self) -> str:
        """The IANA time zone name."""
        return self._impl.time_zone

    @property
    def weekly_open_seconds(self) -> float:
        """Open seconds of a regular week (holidays and special days aside)."""
        return self._impl.weekly_open_time

    @property
    def is_always_open(self) -> bool:
        """True when every instant is open."""
        return self._impl.is_always_open()

    def _local(self, t: Optional[_dt.datetime]) -> Optional[_dt.datetime]:
        return None if t is None else t.astimezone(self._zone)

    def add(self, start: Instant, seconds: Seconds) -> _dt.datetime:
        """The earliest instant ``e >= start`` with exactly ``seconds`` of open time in ``[start, e)``.

        Negative ``seconds`` go back: the latest ``e <= start`` with that much open time in
        ``[e, start)``. Returns an aware datetime in the calendar's zone. ValueError when the
        calendar has not enough open time that way, or the result is more than 100 years away.
        """
        return self._local(self._impl.add_business_time(start, seconds))

    def elapsed(self, start: Instant, end: Instant) -> float:
        """Seconds of open time in ``[start, end)``; negative when ``end < start``."""
        return self._impl.business_time_between(start, end)

    def is_open(self, t: Instant) -> bool:
        """Whether ``t`` is open (intervals are ``[open, close)``)."""
        return self._impl.is_open(t)

    def next_open(self, t: Instant) -> Optional[_dt.datetime]:
        """``t`` itself when open, else the next opening; None when the calendar never opens again."""
        return self._local(self._impl.next_open(t))

    def next_close(self, t: Instant) -> Optional[_dt.datetime]:
        """The end of the open stretch containing ``t``, or of the next one when ``t`` is closed.

        None when that stretch never ends (24x7) or there is none.
        """
        return self._local(self._impl.next_close(t))

    def to_dict(self) -> dict:
        """The normalised spec: ``{"tz", "week", "holidays", "special_days"}``."""
        return json.loads(self._impl.spec_json())

    def to_json(self) -> str:
        """The normalised spec as JSON text (accepted by ``from_json``)."""
        return self._impl.spec_json()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Calendar):
            return NotImplemented
        return self._impl == other._impl

    def __hash__(self) -> int:
        return hash(self._impl)

    def __repr__(self) -> str:
        spec = self.to_dict()
        return (
            f"Calendar(tz={spec['tz']!r}, week={spec['week']!r}, holidays={spec['holidays']!r}, "
            f"special_days={spec['special_days']!r})"
        )
