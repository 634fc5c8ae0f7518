"""SLA policies, clocks and the tracker from Python: the domain's tiers on a business calendar."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

import omniroute as om

NY = ZoneInfo("America/New_York")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def local(*args):
    return dt.datetime(*args, tzinfo=NY)


@pytest.fixture
def office():
    return om.Calendar(
        tz="America/New_York",
        week={day: [("09:00", "12:00"), ("13:00", "17:00")] for day in WEEKDAYS},
        holidays=["2026-12-25"],
    )


@pytest.fixture
def tiered(office):
    return om.SlaPolicy.from_dict(
        {
            "name": "tiered",
            "calendar": "office",
            "warn_at": [0.5, 0.75, 0.9],
            "targets": {
                "A": {"first_response": "5m", "resolution": "30m"},
                "B": {"first_response": 1800, "resolution": "2h"},
                "C": {"first_response": "4h", "resolution": "24h"},
                "L2": {"resolution": "2wd"},
            },
            "tiers": {"vip": 0.5},
        },
        calendars={"office": office},
    )


def tracker_with(policy, origin):
    tracker = om.SlaTracker(origin=origin)
    tracker.add_policy(policy)
    return tracker


def test_targets_per_priority_and_tier(tiered):
    assert tiered.target("first_response", "A") == 300
    assert tiered.target("resolution", "B") == 7200
    assert tiered.target("resolution", "C", "vip") == 12 * 3600
    # Two working days of a 7-hour office day.
    assert tiered.target("resolution", "L2") == 14 * 3600
    assert tiered.target("next_response", "A") is None
    with pytest.raises(KeyError, match="Z"):
        tiered.target("resolution", "Z")
    with pytest.raises(ValueError, match="answer_time"):
        tiered.target("answer_time", "A")


def test_policy_errors_name_the_bad_part(office):
    with pytest.raises(ValueError, match="warning threshold 1.5"):
        om.SlaPolicy.from_dict({"name": "p", "warn_at": [0.5, 1.5]})
    with pytest.raises(ValueError, match=r"targets\.A\.resolution"):
        om.SlaPolicy.from_dict({"name": "p", "targets": {"A": {"resolution": "-5m"}}})
    with pytest.raises(ValueError, match="soon"):
        om.SlaPolicy.from_dict({"name": "p", "targets": {"A": {"resolution": "soon"}}})
    with pytest.raises(KeyError, match="night"):
        om.SlaPolicy.from_dict({"name": "p", "calendar": "night"}, calendars={"office": office})


@pytest.mark.parametrize(
    "seconds", [1e12, 1e19, 1e300, 10**20, "1e19", "1e300d", float("inf"), float("nan")]
)
def test_targets_too_large_or_not_finite_are_refused_not_untracked(seconds):
    with pytest.raises(ValueError, match=r"\bA\b.*resolution: .*is not finite"):
        om.SlaPolicy.from_dict({"name": "p", "targets": {"A": {"resolution": seconds}}})


def test_c_tier_across_the_night_and_weekend(tiered):
    created = local(2026, 11, 20, 16, 0)  # a Friday, one business hour before close
    tracker = tracker_with(tiered, created)
    tracker.start(1, "tiered", "C", start=created)
    first = tracker.clock(1, "first_response")
    # 1 h on Friday, then 09:00-12:00 on Monday.
    assert first.deadline == local(2026, 11, 23, 12, 0)
    tracker.advance_to(local(2026, 11, 23, 12, 0, 1))
    events = [(e.kind, e.metric, e.fraction, e.due) for e in tracker.poll_events()]
    assert events == [
        ("sla_warning", "first_response", 0.5, local(2026, 11, 23, 10, 0)),
        ("sla_warning", "first_response", 0.75, local(2026, 11, 23, 11, 0)),
        ("sla_warning", "first_response", 0.9, local(2026, 11, 23, 11, 36)),
        ("sla_breached", "first_response", 1.0, local(2026, 11, 23, 12, 0)),
    ]


def test_two_working_days_across_a_holiday(tiered):
    created = local(2026, 12, 23, 15, 0)
    tracker = tracker_with(tiered, created)
    tracker.start(7, "tiered", "L2", start=created)
    # Wed 2 h, Thu 7 h, Fri 25 holiday, weekend, Mon 5 h: 15:00 after the lunch break.
    assert tracker.clock(7, "resolution").deadline == local(2026, 12, 28, 15, 0)


def test_pause_over_closed_time_costs_nothing(tiered):
    created = local(2026, 11, 20, 16, 0)
    tracker = tracker_with(tiered, created)
    tracker.start(1, "tiered", "B", start=created)
    tracker.pause(1, at=local(2026, 11, 20, 16, 30))
    assert tracker.clock(1, "resolution").state == "paused"
    assert tracker.clock(1, "resolution").deadline is None
    tracker.resume(1, at=local(2026, 11, 23, 9, 0))
    # 30 min counted on Friday; the paused half hour before close is what moves the deadline.
    assert tracker.clock(1, "resolution").deadline == local(2026, 11, 23, 10, 30)
    # First response is not paused by "customer".
    assert tracker.clock(1, "first_response").deadline == local(2026, 11, 20, 16, 30)
    with pytest.raises(om.StateError):
        tracker.resume(1, at=local(2026, 11, 23, 9, 0))


def test_retarget_a_to_c_and_back(tiered):
    created = local(2026, 11, 23, 9, 0)
    tracker = tracker_with(tiered, created)
    tracker.start(1, "tiered", "A", start=created)
    tracker.retarget(1, "C", at=local(2026, 11, 23, 9, 20))
    # 7 h on each of Mon, Tue and Wed, then 3 h on Thursday.
    assert tracker.clock(1, "resolution").deadline == local(2026, 11, 26, 12, 0)
    tracker.retarget(1, "A", at=local(2026, 11, 23, 9, 40))
    events = tracker.poll_events()
    breaches = [e for e in events if e.kind == "sla_breached" and e.metric == "resolution"]
    assert len(breaches) == 1
    assert breaches[0].late and breaches[0].due == local(2026, 11, 23, 9, 30)
    assert breaches[0].at == local(2026, 11, 23, 9, 40)
    assert tracker.clock(1, "resolution").state == "breached"


def test_reopen_keeps_history(tiered):
    created = local(2026, 11, 23, 9, 0)
    tracker = tracker_with(tiered, created)
    tracker.start(1, "tiered", "B", start=created)
    tracker.respond(1, at=local(2026, 11, 23, 9, 10))
    tracker.resolve(1, at=local(2026, 11, 23, 10, 0))
    tracker.reopen(1, at=local(2026, 11, 23, 14, 0))
    assert tracker.clock(1, "resolution").cycle == 2
    assert tracker.clock(1, "resolution").state == "running"
    history = [(c.metric, c.cycle, c.outcome, c.late) for c in tracker.history(1)]
    assert ("resolution", 1, "met", False) in history
    assert ("first_response", 1, "met", False) in history
    attainment = tracker.attainment("tiered", "resolution", "B")
    assert (attainment.started, attainment.met, attainment.open) == (2, 1, 1)
    with pytest.raises(om.StateError):
        tracker.reopen(1, at=local(2026, 11, 23, 14, 0))


def test_met_late_records_the_overrun(tiered):
    created = local(2026, 11, 23, 9, 0)
    tracker = tracker_with(tiered, created)
    tracker.start(1, "tiered", "A", start=created)
    tracker.respond(1, at=local(2026, 11, 23, 9, 8))
    met = [e for e in tracker.poll_events() if e.kind == "sla_met"]
    assert len(met) == 1 and met[0].late and met[0].overrun == 180
    assert tracker.attainment("tiered", "first_response", "A").met_late == 1


def test_refused_commands_change_nothing(tiered):
    created = local(2026, 11, 23, 9, 0)
    tracker = tracker_with(tiered, created)
    tracker.start(1, "tiered", "A", start=created)
    before = tracker.clocks(1)
    with pytest.raises(om.StateError):
        tracker.start(1, "tiered", "A", start=created)
    with pytest.raises(KeyError):
        tracker.start(2, "tiered", "Z", start=created)
    with pytest.raises(KeyError):
        tracker.respond(99, at=created)
    tracker.advance_to(local(2026, 11, 23, 9, 1))
    with pytest.raises(ValueError):
        tracker.respond(1, at=created)
    assert tracker.clocks(1) == before
    assert tracker.now == local(2026, 11, 23, 9, 1)
    assert not tracker.tracks(2)


def test_standalone_clock_on_a_dst_day():
    sundays = om.Calendar(tz="America/New_York", week={"sun": [("00:00", "24:00")]})
    start = local(2026, 3, 8, 0, 0)
    clock = om.SlaClock("resolution", start, 12 * 3600, sundays)
    # The spring-forward Sunday has 23 hours: 12 business hours end at 13:00 local.
    assert clock.deadline == local(2026, 3, 8, 13, 0)
    clock.pause(local(2026, 3, 8, 4, 0))
    assert clock.elapsed(local(2026, 3, 8, 9, 0)) == 3 * 3600
    clock.resume(local(2026, 3, 8, 5, 0))
    assert clock.deadline == local(2026, 3, 8, 14, 0)
    clock.stop(local(2026, 3, 8, 15, 0))
    assert clock.state == "met" and clock.met_late
    with pytest.raises(om.StateError):
        clock.stop(local(2026, 3, 8, 16, 0))
    with pytest.raises(ValueError, match="naive"):
        om.SlaClock("resolution", dt.datetime(2026, 3, 8), 60)
