"""The engine: the Python face of the C++ Engine, its events, views and enums.

The enums are ``str`` enums: each member equals its lower-case name (``EventKind.OFFERED ==
"offered"``), so events and views compare with plain strings, and every parameter that takes an
enum takes its name too. The compiled module returns these members once they are registered
below.
"""

from __future__ import annotations

import enum
import sys

from . import _omniroute
from ._omniroute import (
    Candidate,
    Engine,
    EngineAgentView,
    EngineEvent,
    EngineItemView,
    EngineKpis,
    QueueStats,
    SlaClockView,
)

if sys.version_info >= (3, 11):
    _StrEnum = enum.StrEnum
else:

    class _StrEnum(str, enum.Enum):
        def __str__(self) -> str:
            return self.value


__all__ = [
    "AgentState",
    "Candidate",
    "CommandKind",
    "Engine",
    "EngineAgentView",
    "EngineEvent",
    "EngineItemView",
    "EngineKpis",
    "EventKind",
    "ItemState",
    "QueueStats",
    "RelaxationKind",
    "SlaClockView",
    "SlaMetric",
    "SlaState",
]


class EventKind(_StrEnum):
    """What an ``EngineEvent`` reports."""

    QUEUED = "queued"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    REJECTED = "rejected"
    OFFER_EXPIRED = "offer_expired"
    REQUEUED = "requeued"
    REQUIREMENT_RELAXED = "requirement_relaxed"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    SLA_MET = "sla_met"
    ESCALATED = "escalated"
    TRANSFERRED = "transferred"
    PENDING_CUSTOMER = "pending_customer"
    RESUMED = "resumed"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    ABANDONED = "abandoned"
    CANCELLED = "cancelled"
    FOLLOW_UP_CREATED = "follow_up_created"
    AGENT_STATE = "agent_state"


class CommandKind(_StrEnum):
    """The kinds of ``Engine.apply`` commands: the names of the command methods."""

    ADD_AGENT = "add_agent"
    REMOVE_AGENT = "remove_agent"
    UPDATE_AGENT = "update_agent"
    SET_AGENT_STATE = "set_agent_state"
    SUBMIT = "submit"
    UPDATE = "update"
    ACCEPT = "accept"
    REJECT = "reject"
    RESPOND = "respond"
    CUSTOMER_MESSAGE = "customer_message"
    PAUSE = "pause"
    RESUME = "resume"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    REOPEN = "reopen"
    TRANSFER = "transfer"
    ESCALATE = "escalate"
    CANCEL = "cancel"
    ABANDON = "abandon"
    ADVANCE_TO = "advance_to"
    RECONFIGURE = "reconfigure"


class AgentState(_StrEnum):
    """An agent's state; busy comes from its load, not from its state."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    AWAY = "away"
    WRAP_UP = "wrap_up"


class ItemState(_StrEnum):
    """A work item's lifecycle state."""

    QUEUED = "queued"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    PENDING_CUSTOMER = "pending_customer"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    ABANDONED = "abandoned"
    CANCELLED = "cancelled"


class SlaMetric(_StrEnum):
    """What an SLA clock measures."""

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    PERIODIC_UPDATE = "periodic_update"
    RESOLUTION = "resolution"


class SlaState(_StrEnum):
    """The state of an SLA clock."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


class RelaxationKind(_StrEnum):
    """How a requirement relaxation step widens the pool (``relax=[{"kind": ...}]``)."""

    LOWER_LEVEL = "lower_level"
    DROP = "drop"
    WIDEN = "widen"


for _enum in (EventKind, CommandKind, AgentState, ItemState, SlaMetric, SlaState, RelaxationKind):
    _omniroute._register_enum(_enum.__name__, _enum)
del _enum
