"""The Python Calendar: the names in DESIGN.md, instants in and out, errors."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

import omniroute as om

NY = ZoneInfo("America/New_York")
UTC = dt.timezone.utc


@pytest.fixture
def office():
    return om.Calendar(
        tz="America/New_York",
        week={
            "mon": [("09:00", "17:00")],
            "tue": [("09:00", "12:00"), ("13:00", "17:00")],
            "wed": [("09:00", "17:00")],
            "thu": [("09:00", "17:00")],
            "fri": [("09:00", "17:00")],
        },
        holidays=["2026-12-25"],
        special_days={"2026-12-24": [("09:00", "12:00")]},
    )


def ny(*args):
    return dt.datetime(*args, tzinfo=NY)


def test_add_skips_the_weekend_and_returns_the_calendars_zone(office):
    due = office.add(ny(2026, 11, 20, 16, 0), 2 * 3600)  # Friday 16:00
    assert due == ny(2026, 11, 23, 10, 0)
    assert due.tzinfo is not None and due.utcoffset() == dt.timedelta(hours=-5)
    assert str(due.tzinfo) == "America/New_York"


def test_add_skips_the_lunch_break_and_accepts_a_timedelta(office):
    assert office.add(ny(2026, 11, 24, 11, 30), dt.timedelta(hours=1)) == ny(2026, 11, 24, 13, 30)


def test_special_day_and_holiday(office):
    # Thursday 24 Dec closes at noon, Friday 25 Dec is a holiday.
    assert office.add(ny(2026, 12, 24, 11, 0), 2 * 3600) == ny(2026, 12, 28, 10, 0)
    assert not office.is_open(ny(2026, 12, 25, 10, 0))
    assert office.next_close(ny(2026, 12, 24, 10, 0)) == ny(2026, 12, 24, 12, 0)


def test_negative_seconds_go_back(office):
    assert office.add(ny(2026, 11, 23, 10, 0), -2 * 3600) == ny(2026, 11, 20, 16, 0)


def test_elapsed_is_antisymmetric_and_a_float(office):
    a, b = ny(2026, 11, 20, 16, 0), ny(2026, 11, 23, 10, 0)
    assert office.elapsed(a, b) == 7200.0
    assert office.elapsed(b, a) == -7200.0
    assert isinstance(office.elapsed(a, b), float)


def test_is_open_next_open_next_close(office):
    assert office.is_open(ny(2026, 11, 23, 9, 0))
    assert not office.is_open(ny(2026, 11, 23, 17, 0))  # intervals are [open, close)
    assert office.next_open(ny(2026, 11, 23, 10, 0)) == ny(2026, 11, 23, 10, 0)
    assert office.next_open(ny(2026, 11, 21, 12, 0)) == ny(2026, 11, 23, 9, 0)
    assert office.next_close(ny(2026, 11, 21, 12, 0)) == ny(2026, 11, 23, 17, 0)


def test_instants_in_any_zone_and_epoch_seconds(office):
    start = ny(2026, 11, 20, 16, 0)
    as_utc = start.astimezone(UTC)
    as_tokyo = start.astimezone(ZoneInfo("Asia/Tokyo"))
    epoch = start.timestamp()
    expected = ny(2026, 11, 23, 10, 0)
    assert office.add(as_utc, 7200) == expected
    assert office.add(as_tokyo, 7200) == expected
    assert office.add(int(epoch), 7200) == expected
    assert office.add(float(epoch), 7200.0) == expected


def test_sub_second_instants_survive_to_the_microsecond():
    cal = om.Calendar.always_open()
    start = dt.datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert cal.add(start, 0.5) == dt.datetime(2026, 1, 1, 0, 0, 0, 623456, tzinfo=UTC)


def test_naive_datetime_is_a_value_error(office):
    with pytest.raises(ValueError, match="naive datetime"):
        office.add(dt.datetime(2026, 11, 20, 16, 0), 60)
    with pytest.raises(ValueError, match="naive datetime"):
        office.is_open(dt.datetime(2026, 11, 20, 16, 0))


def test_wrong_types_are_type_errors(office):
    with pytest.raises(TypeError):
        office.is_open("2026-11-20T16:00")
    with pytest.raises(TypeError):
        office.add(ny(2026, 11, 20, 16, 0), "60")
    with pytest.raises(TypeError):
        office.is_open(True)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"tz": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"tz": ""}, "time zone is empty"),
        ({"week": {"mon": [("9:00", "17:00")]}}, "week.mon[0]: malformed time"),
        ({"week": {"mon": [("09:00", "25:00")]}}, "out of range"),
        ({"week": {"mon": [("09:00", "09:00")]}}, "cannot end where it starts"),
        ({"week": {"mon": [("24:00", "06:00")]}}, "24:00 cannot open"),
        ({"week": {"monday": [("09:00", "17:00")]}}, 'unknown week day "monday"'),
        ({"week": {"mon": [("09:00", "12:00"), ("11:00", "13:00")]}}, "overlaps"),
        ({"week": {"mon": [("22:00", "06:00")], "tue": [("05:00", "09:00")]}}, "mon 22:00-06:00 overlaps tue 05:00-09:00"),
        ({"holidays": ["2026-02-30"]}, "not a date"),
        ({"holidays": ["25.12.2026"]}, "malformed date"),
        ({"special_days": {"2026-12-24": [("09:00",)]}}, "special_days.2026-12-24[0]"),
        ({"week": [("09:00", "17:00")]}, "week: expected an object"),
        ({"special_days": [("09:00", "17:00")]}, "special_days: expected an object"),
        ({"holidays": None}, "holidays: expected a list of dates"),
        ({"holidays": "2026-12-25"}, "holidays: expected a list of dates"),
        ({"tz": None}, "tz: expected a string"),
        ({"week": {"mon": [(object(), "17:00")]}}, "calendar spec: "),
        ({"tz": "localtime"}, '"localtime" is not an IANA zone name'),
        ({"tz": "/usr/share/zoneinfo/America/New_York"}, '"/usr/share/zoneinfo/America/New_York"'),
        ({"tz": "../zoneinfo/UTC"}, "not an IANA zone name"),
    ],
)
def test_bad_specs_raise_value_error_with_the_message(kwargs, message):
    with pytest.raises(ValueError) as error:
        om.Calendar(**kwargs)
    assert message in str(error.value)


def test_from_dict_refuses_what_from_json_refuses_with_the_same_message():
    for spec in [
        {"tz": "UTC", "weeks": {}},
        {"week": ["09:00-17:00"]},
        {"holidays": None},
        {"tz": "localtime"},
        ["tz", "UTC"],
    ]:
        with pytest.raises(ValueError) as from_json:
            om.Calendar.from_json(json.dumps(spec))
        with pytest.raises(ValueError) as from_dict:
            om.Calendar.from_dict(spec)
        assert str(from_dict.value) == str(from_json.value)
    with pytest.raises(ValueError, match='unknown key "weeks" \\(expected one of: tz, week'):
        om.Calendar.from_dict({"tz": "UTC", "weeks": {}})


def test_from_dict_takes_python_dates_and_times_and_round_trips(office):
    spec = {
        "tz": "Europe/Berlin",
        "week": {"mon": [(dt.time(9), dt.time(17))]},
        "holidays": (d for d in [dt.date(2026, 12, 28)]),
        "special_days": {dt.date(2026, 12, 27): ["10:00-12:00"]},
    }
    cal = om.Calendar.from_dict(spec)
    assert cal.to_dict()["holidays"] == ["2026-12-28"]
    assert om.Calendar.from_dict(cal.to_dict()) == cal
    assert om.Calendar.from_dict(office.to_dict()) == office


def test_utc_and_etc_zones_are_iana_names():
    assert om.Calendar(tz="UTC").tz == "UTC"
    five_behind = om.Calendar(tz="Etc/GMT+5", week={"mon": [("09:00", "17:00")]})
    opens = five_behind.next_open(dt.datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    assert opens == dt.datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_no_open_time_is_a_value_error_not_a_hang():
    closed = om.Calendar(tz="UTC")
    with pytest.raises(ValueError, match="not enough open time"):
        closed.add(0, 1)
    assert closed.next_open(0) is None
    assert closed.elapsed(0, 10**9) == 0.0


def test_beyond_the_horizon_is_a_value_error():
    one_hour_a_week = om.Calendar(week={"mon": [("09:00", "10:00")]})
    with pytest.raises(ValueError, match="100 years"):
        one_hour_a_week.add(0, 200 * 52 * 3600)


def test_always_open_has_no_close():
    cal = om.Calendar.always_open()
    assert cal.is_always_open
    assert cal.next_close(0) is None
    assert cal.elapsed(0, 86400) == 86400.0


def test_dates_and_times_as_python_objects():
    cal = om.Calendar(
        tz="Europe/Berlin",
        week={"mon": [(dt.time(9), dt.time(17))]},
        holidays=[dt.date(2026, 12, 28)],
        special_days={dt.date(2026, 12, 27): [("10:00", "12:00")]},
    )
    assert cal.to_dict()["holidays"] == ["2026-12-28"]
    assert cal.to_dict()["week"]["mon"] == [["09:00", "17:00"]]
    assert cal.is_open(dt.datetime(2026, 12, 27, 11, 0, tzinfo=ZoneInfo("Europe/Berlin")))


def test_overnight_interval_belongs_to_its_start_day():
    night = om.Calendar(tz="UTC", week={"fri": [("22:00", "06:00")]}, holidays=["2026-11-27"])
    # Friday 27 Nov is a holiday: its night shift (into Saturday) is closed.
    assert not night.is_open(dt.datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
    assert night.is_open(dt.datetime(2026, 11, 21, 2, 0, tzinfo=UTC))


def test_dst_day_is_25_hours_long():
    always_ny = om.Calendar(tz="America/New_York", week={"sun": [("00:00", "24:00")]})
    start = ny(2026, 11, 1, 0, 0)
    end = ny(2026, 11, 2, 0, 0)
    assert always_ny.elapsed(start, end) == 25 * 3600.0


def test_round_trip_equality_hash_and_repr(office):
    again = om.Calendar.from_json(office.to_json())
    assert again == office
    assert hash(again) == hash(office)
    assert om.Calendar.from_dict(office.to_dict()) == office
    assert "America/New_York" in repr(office)
    assert json.loads(office.to_json())["special_days"] == {"2026-12-24": [["09:00", "12:00"]]}
    assert office != om.Calendar.always_open()


def test_weekly_open_seconds(office):
    assert office.weekly_open_seconds == (8 * 4 + 7) * 3600.0
    assert office.tz == "America/New_York"


def test_stub_lists_the_compiled_modules_names():
    import ast
    import pathlib

    from omniroute import _omniroute

    stub = pathlib.Path(_omniroute.__file__).with_name("_omniroute.pyi")
    tree = ast.parse(stub.read_text())
    stub_names = {
        node.name for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))
    } | {
        node.target.id
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    module_names = {name for name in dir(_omniroute) if not name.startswith("_")} | {"__version__"}
    assert stub_names - {n for n in stub_names if n.startswith("_") and n != "__version__"} == module_names
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef) and cls.name != "StateError":
            stub_members = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)} | {
                n.target.id
                for n in cls.body
                if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
            }
            real_members = {n for n in dir(getattr(_omniroute, cls.name)) if not n.startswith("_")}
            assert {n for n in stub_members if not n.startswith("_")} == real_members, cls.name


def test_state_error_is_a_runtime_error_and_version_is_exported():
    assert issubclass(om.StateError, RuntimeError)
    assert om.__version__.count(".") == 2
    assert set(om.__all__) >= {"Calendar", "StateError"}
