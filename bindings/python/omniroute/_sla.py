"""SLA policies, clocks and the tracker: the Python face of the C++ SLA module."""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any, Mapping, Optional

from ._omniroute import SlaAttainment, SlaClock, SlaCycle, SlaEvent, SlaPolicy, SlaTracker

__all__ = ["SlaAttainment", "SlaClock", "SlaCycle", "SlaEvent", "SlaPolicy", "SlaTracker"]


def _json_value(value: Any) -> Any:
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    raise TypeError(f"{value!r} is not a JSON value or a timedelta")


def _check_finite(value: Any, path: str) -> None:
    # JSON has no infinity or NaN: json.dumps would write a literal the loader cannot parse.
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{path}: {value} is not finite")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_finite(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_finite(item, f"{path}[{index}]")


def _policy_from_dict(spec: Mapping[str, Any], calendars: Optional[Mapping[str, Any]] = None) -> SlaPolicy:
    """A validated policy from a dict with the JSON shape of an SLA policy.

    Keys: ``name`` (required), ``calendar`` (a name in ``calendars`` or ``"24x7"``), ``warn_at``
    (fractions in (0, 1], ascending), ``targets`` (``{priority: {metric: target}}``), ``tiers``
    (``{tier: factor}``), ``tier_targets`` (``{tier: {priority: {metric: target}}}``) and
    ``metrics`` (``{metric: {"calendar": name, "paused_by": [reasons]}}``). A target is seconds,
    a ``timedelta``, or a string such as ``"5m"``, ``"2h"``, ``"1.5d"`` or ``"2wd"`` (working days
    of the metric's calendar). ValueError naming the bad part; KeyError for an unknown calendar.
    """
    _check_finite(spec, "")
    return SlaPolicy.from_json(json.dumps(spec, default=_json_value), dict(calendars or {}))


SlaPolicy.from_dict = staticmethod(_policy_from_dict)
