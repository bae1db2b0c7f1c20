"""Tests for bot.scheduling.due: parsing, DST-safe next/previous slots and catch-up plans."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.scheduling.due import (
    ScheduleSpec,
    TickPlan,
    describe_local,
    format_days,
    format_time,
    local_view,
    next_due,
    parse_days,
    parse_time,
    parse_tz,
    plan_catch_up,
    previous_due,
    tzinfo_for,
    upcoming,
)

ALL = frozenset(range(7))
MON_FRI = frozenset(range(5))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def spec(times: str, tz: str, days: frozenset[int] = ALL) -> ScheduleSpec:
    return ScheduleSpec(times=tuple(parse_time(t) for t in times.split(",")), days=days, tz=tz)


# --- the DST transitions used below, checked against zoneinfo --------------------------------


def transitions(zone: str, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """Return (instant, old offset, new offset) for each offset change in ``year``."""
    tz = ZoneInfo(zone)
    found = []
    t = utc(year, 1, 1)
    prev = t.astimezone(tz).utcoffset()
    while t.year == year:
        t += timedelta(minutes=15)
        off = t.astimezone(tz).utcoffset()
        if off != prev:
            found.append((t, prev, off))
            prev = off
    return found


H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Berlin", [(utc(2027, 3, 28, 1), 1 * H, 2 * H), (utc(2027, 10, 31, 1), 2 * H, H)]),
        (
            "America/New_York",
            [(utc(2027, 3, 14, 7), -5 * H, -4 * H), (utc(2027, 11, 7, 6), -4 * H, -5 * H)],
        ),
        (
            "Pacific/Chatham",
            [
                (
                    utc(2027, 4, 3, 14),
                    timedelta(hours=13, minutes=45),
                    timedelta(hours=12, minutes=45),
                ),
                (
                    utc(2027, 9, 25, 14),
                    timedelta(hours=12, minutes=45),
                    timedelta(hours=13, minutes=45),
                ),
            ],
        ),
        (
            "Australia/Lord_Howe",
            [
                (utc(2027, 4, 3, 15), 11 * H, timedelta(hours=10, minutes=30)),
                (utc(2027, 10, 2, 15, 30), timedelta(hours=10, minutes=30), 11 * H),
            ],
        ),
        ("Asia/Kolkata", []),
    ],
)
def test_hardcoded_transitions_match_tzdata(zone, expected):
    assert transitions(zone, 2027) == expected


# --- next_due golden table -------------------------------------------------------------------

NEXT_DUE_CASES = [
    # id, times, tz, days, after, expected
    # Europe/Berlin: normal winter and summer days
    ("berlin-winter", "08:15", "Europe/Berlin", ALL, utc(2027, 1, 12, 0), utc(2027, 1, 12, 7, 15)),
    ("berlin-summer", "08:15", "Europe/Berlin", ALL, utc(2027, 7, 1, 0), utc(2027, 7, 1, 6, 15)),
    (
        "berlin-later-today",
        "08:15",
        "Europe/Berlin",
        ALL,
        utc(2027, 7, 1, 7),
        utc(2027, 7, 2, 6, 15),
    ),
    # spring forward 2027-03-28: 02:30 does not exist -> 03:30 CEST = 01:30Z
    ("berlin-gap", "02:30", "Europe/Berlin", ALL, utc(2027, 3, 27, 12), utc(2027, 3, 28, 1, 30)),
    (
        "berlin-gap-next",
        "02:30",
        "Europe/Berlin",
        ALL,
        utc(2027, 3, 28, 1, 30),
        utc(2027, 3, 29, 0, 30),
    ),
    (
        "berlin-gap-prev-day",
        "02:30",
        "Europe/Berlin",
        ALL,
        utc(2027, 3, 26, 12),
        utc(2027, 3, 27, 1, 30),
    ),
    # fall back 2027-10-31: 02:30 happens twice; delivered once, at the first (00:30Z)
    (
        "berlin-fold",
        "02:30",
        "Europe/Berlin",
        ALL,
        utc(2027, 10, 30, 12),
        utc(2027, 10, 31, 0, 30),
    ),
    (
        "berlin-fold-once",
        "02:30",
        "Europe/Berlin",
        ALL,
        utc(2027, 10, 31, 0, 30),
        utc(2027, 11, 1, 1, 30),
    ),
    # America/New_York
    ("ny-gap", "02:30", "America/New_York", ALL, utc(2027, 3, 13, 12), utc(2027, 3, 14, 7, 30)),
    (
        "ny-after-gap",
        "02:30",
        "America/New_York",
        ALL,
        utc(2027, 3, 14, 7, 30),
        utc(2027, 3, 15, 6, 30),
    ),
    ("ny-fold", "01:30", "America/New_York", ALL, utc(2027, 11, 6, 12), utc(2027, 11, 7, 5, 30)),
    (
        "ny-fold-once",
        "01:30",
        "America/New_York",
        ALL,
        utc(2027, 11, 7, 5, 30),
        utc(2027, 11, 8, 6, 30),
    ),
    # Asia/Kolkata: +05:30 all year
    ("kolkata", "08:15", "Asia/Kolkata", ALL, utc(2027, 3, 28, 0), utc(2027, 3, 28, 2, 45)),
    ("kolkata-late", "23:00", "Asia/Kolkata", ALL, utc(2027, 3, 28, 0), utc(2027, 3, 28, 17, 30)),
    # Pacific/Chatham: fall back 2027-04-04 03:45 -> 02:45 (02:45-03:45 repeats),
    # spring forward 2027-09-26 02:45 -> 03:45 (gap)
    ("chatham-fold", "03:00", "Pacific/Chatham", ALL, utc(2027, 4, 3, 0), utc(2027, 4, 3, 13, 15)),
    (
        "chatham-fold-once",
        "03:00",
        "Pacific/Chatham",
        ALL,
        utc(2027, 4, 3, 13, 15),
        utc(2027, 4, 4, 14, 15),
    ),
    (
        "chatham-gap",
        "03:00",
        "Pacific/Chatham",
        ALL,
        utc(2027, 9, 25, 0),
        utc(2027, 9, 25, 14, 15),
    ),
    (
        "chatham-after-gap",
        "03:00",
        "Pacific/Chatham",
        ALL,
        utc(2027, 9, 25, 14, 15),
        utc(2027, 9, 26, 13, 15),
    ),
    # Australia/Lord_Howe: 30-minute DST; 02:15 on 2027-10-03 is in the gap -> 02:45 (+11) = 15:45Z
    (
        "lordhowe-gap",
        "02:15",
        "Australia/Lord_Howe",
        ALL,
        utc(2027, 10, 2, 0),
        utc(2027, 10, 2, 15, 45),
    ),
    (
        "lordhowe-after-gap",
        "02:15",
        "Australia/Lord_Howe",
        ALL,
        utc(2027, 10, 2, 15, 45),
        utc(2027, 10, 3, 15, 15),
    ),
    # fall back 2027-04-04 02:00 -> 01:30: 01:45 repeats, first at +11:00
    (
        "lordhowe-fold",
        "01:45",
        "Australia/Lord_Howe",
        ALL,
        utc(2027, 4, 3, 0),
        utc(2027, 4, 3, 14, 45),
    ),
    (
        "lordhowe-fold-once",
        "01:45",
        "Australia/Lord_Howe",
        ALL,
        utc(2027, 4, 3, 14, 45),
        utc(2027, 4, 4, 15, 15),
    ),
    # UTC and fixed offsets
    ("utc", "08:15", "UTC", ALL, utc(2027, 3, 28, 0), utc(2027, 3, 28, 8, 15)),
    ("offset-plus", "08:15", "+05:30", ALL, utc(2027, 3, 28, 0), utc(2027, 3, 28, 2, 45)),
    ("offset-minus", "08:15", "-03:00", ALL, utc(2027, 3, 28, 12), utc(2027, 3, 29, 11, 15)),
    # strictly after: exactly on a slot -> the next one; a microsecond before -> this one
    ("strict", "08:15", "UTC", ALL, utc(2027, 3, 28, 8, 15), utc(2027, 3, 29, 8, 15)),
    (
        "just-before",
        "08:15",
        "UTC",
        ALL,
        utc(2027, 3, 28, 8, 15) - timedelta(microseconds=1),
        utc(2027, 3, 28, 8, 15),
    ),
    # multiple times per day (given unsorted)
    (
        "multi-1",
        "20:00,08:15,12:00",
        "Europe/Berlin",
        ALL,
        utc(2027, 7, 1, 0),
        utc(2027, 7, 1, 6, 15),
    ),
    (
        "multi-2",
        "20:00,08:15,12:00",
        "Europe/Berlin",
        ALL,
        utc(2027, 7, 1, 6, 15),
        utc(2027, 7, 1, 10),
    ),
    (
        "multi-3",
        "20:00,08:15,12:00",
        "Europe/Berlin",
        ALL,
        utc(2027, 7, 1, 10),
        utc(2027, 7, 1, 18),
    ),
    (
        "multi-wrap",
        "20:00,08:15,12:00",
        "Europe/Berlin",
        ALL,
        utc(2027, 7, 1, 18),
        utc(2027, 7, 2, 6, 15),
    ),
    # weekday filtering: 2027-03-26 is a Friday
    (
        "mon-fri-skip-weekend",
        "08:15",
        "UTC",
        MON_FRI,
        utc(2027, 3, 26, 9),
        utc(2027, 3, 29, 8, 15),
    ),
    ("sun-only", "08:15", "UTC", frozenset({6}), utc(2027, 3, 29, 0), utc(2027, 4, 4, 8, 15)),
    # local weekday: Monday 00:30 in Kolkata is Sunday 19:00Z
    (
        "kolkata-monday",
        "00:30",
        "Asia/Kolkata",
        frozenset({0}),
        utc(2027, 3, 27, 0),
        utc(2027, 3, 28, 19),
    ),
    # Friday 22:00 in New York is Saturday 02:00Z, still a weekday slot locally
    (
        "ny-friday-night",
        "22:00",
        "America/New_York",
        MON_FRI,
        utc(2027, 7, 2, 12),
        utc(2027, 7, 3, 2),
    ),
    (
        "ny-saturday-skipped",
        "22:00",
        "America/New_York",
        MON_FRI,
        utc(2027, 7, 3, 2),
        utc(2027, 7, 6, 2),
    ),
    # non-UTC aware input is converted
    (
        "aware-offset-input",
        "08:15",
        "UTC",
        ALL,
        datetime(2027, 3, 28, 10, tzinfo=timezone(timedelta(hours=5))),
        utc(2027, 3, 28, 8, 15),
    ),
]


@pytest.mark.parametrize(
    ("times", "tz", "days", "after", "expected"),
    [case[1:] for case in NEXT_DUE_CASES],
    ids=[case[0] for case in NEXT_DUE_CASES],
)
def test_next_due(times, tz, days, after, expected):
    result = next_due(spec(times, tz, days), after=after)
    assert result == expected
    assert result.tzinfo is UTC


def test_gap_shift_equals_gap_size():
    # The rule, stated independently: the nonexistent wall time moves forward by the gap.
    zone = ZoneInfo("Australia/Lord_Howe")
    result = next_due(spec("02:15", "Australia/Lord_Howe"), after=utc(2027, 10, 2, 0))
    local = result.astimezone(zone)
    assert (local.date(), local.time()) == (date(2027, 10, 3), time(2, 45))


def test_fold_delivered_once_only():
    s = spec("02:30", "Europe/Berlin")
    slots = upcoming(s, after=utc(2027, 10, 30, 12), count=3)
    assert slots == [utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30), utc(2027, 11, 2, 1, 30)]
    assert utc(2027, 10, 31, 1, 30) not in slots  # the second 02:30 (CET)


def test_ny_fold_second_occurrence_never_due():
    s = spec("01:30", "America/New_York")
    assert next_due(s, after=utc(2027, 11, 7, 5, 30)) != utc(2027, 11, 7, 6, 30)
    assert next_due(s, after=utc(2027, 11, 7, 6, 0)) == utc(2027, 11, 8, 6, 30)


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Europe/Berlin", utc(2027, 7, 1, 6, 15)),
        ("America/New_York", utc(2027, 7, 1, 12, 15)),
        ("Asia/Kolkata", utc(2027, 7, 2, 2, 45)),  # 08:15 IST on the 1st already passed
        ("+05:30", utc(2027, 7, 2, 2, 45)),
        ("Pacific/Chatham", utc(2027, 7, 1, 19, 30)),  # 08:15 +12:45 on the 2nd
        ("UTC", utc(2027, 7, 1, 8, 15)),
    ],
)
def test_time_zone_change_same_after(tz, expected):
    base = spec("08:15", "Europe/Berlin")
    moved = ScheduleSpec(times=base.times, days=base.days, tz=tz)
    assert next_due(moved, after=utc(2027, 7, 1, 3)) == expected


def test_next_due_rejects_naive():
    with pytest.raises(ValueError, match="aware"):
        next_due(spec("08:15", "UTC"), after=datetime(2027, 1, 1))


# --- previous_due ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("times", "tz", "days", "at", "expected"),
    [
        ("08:15", "UTC", ALL, utc(2027, 3, 28, 8, 15), utc(2027, 3, 28, 8, 15)),  # inclusive
        ("08:15", "UTC", ALL, utc(2027, 3, 28, 8, 14), utc(2027, 3, 27, 8, 15)),
        ("02:30", "Europe/Berlin", ALL, utc(2027, 3, 28, 2), utc(2027, 3, 28, 1, 30)),
        ("02:30", "Europe/Berlin", ALL, utc(2027, 10, 31, 1, 45), utc(2027, 10, 31, 0, 30)),
        ("08:15", "UTC", MON_FRI, utc(2027, 3, 28, 23), utc(2027, 3, 26, 8, 15)),  # Sun -> Fri
        ("08:15", "UTC", frozenset({0}), utc(2027, 3, 29, 8), utc(2027, 3, 22, 8, 15)),  # a week
        ("00:30", "Asia/Kolkata", frozenset({0}), utc(2027, 3, 28, 20), utc(2027, 3, 28, 19)),
    ],
)
def test_previous_due(times, tz, days, at, expected):
    result = previous_due(spec(times, tz, days), at_or_before=at)
    assert result == expected
    assert result is not None
    assert result.tzinfo is UTC


def test_upcoming():
    s = spec("08:15,20:00", "Europe/Berlin", MON_FRI)
    assert upcoming(s, after=utc(2027, 3, 26, 12), count=4) == [
        utc(2027, 3, 26, 19),  # Fri 20:00 CET
        utc(2027, 3, 29, 6, 15),  # Mon 08:15 CEST
        utc(2027, 3, 29, 18),
        utc(2027, 3, 30, 6, 15),
    ]
    assert upcoming(s, after=utc(2027, 3, 26, 12), count=0) == []
    with pytest.raises(ValueError, match="count"):
        upcoming(s, after=utc(2027, 3, 26, 12), count=-1)


# --- plan_catch_up -----------------------------------------------------------------------------

DAILY_0815 = spec("08:15", "UTC")
GRACE = timedelta(hours=3)


@pytest.mark.parametrize(
    ("due_at", "now", "expected"),
    [
        pytest.param(
            utc(2027, 3, 28, 8, 15),
            utc(2027, 3, 28, 8, 15),
            TickPlan(
                deliver_slot=utc(2027, 3, 28, 8, 15),
                skipped=False,
                next_due=utc(2027, 3, 29, 8, 15),
            ),
            id="due-exactly-now",
        ),
        pytest.param(
            utc(2027, 3, 28, 8, 15),
            utc(2027, 3, 28, 9, 15),
            TickPlan(
                deliver_slot=utc(2027, 3, 28, 8, 15),
                skipped=False,
                next_due=utc(2027, 3, 29, 8, 15),
            ),
            id="missed-1h-delivered",
        ),
        pytest.param(
            utc(2027, 3, 28, 8, 15),
            utc(2027, 3, 28, 11, 15),
            TickPlan(
                deliver_slot=utc(2027, 3, 28, 8, 15),
                skipped=False,
                next_due=utc(2027, 3, 29, 8, 15),
            ),
            id="missed-exactly-grace-delivered",
        ),
        pytest.param(
            utc(2027, 3, 28, 8, 15),
            utc(2027, 3, 28, 13, 15),
            TickPlan(deliver_slot=None, skipped=True, next_due=utc(2027, 3, 29, 8, 15)),
            id="missed-5h-skipped",
        ),
        pytest.param(
            utc(2027, 3, 25, 8, 15),
            utc(2027, 3, 28, 9, 0),
            TickPlan(
                deliver_slot=utc(2027, 3, 28, 8, 15),
                skipped=False,
                next_due=utc(2027, 3, 29, 8, 15),
            ),
            id="3-days-down-latest-slot-only",
        ),
        pytest.param(
            utc(2027, 3, 25, 8, 15),
            utc(2027, 3, 28, 7, 0),
            TickPlan(deliver_slot=None, skipped=True, next_due=utc(2027, 3, 28, 8, 15)),
            id="3-days-down-latest-too-old",
        ),
    ],
)
def test_plan_catch_up(due_at, now, expected):
    assert plan_catch_up(DAILY_0815, due_at=due_at, now=now, grace=GRACE) == expected


def test_plan_catch_up_schedule_changed_uses_due_at():
    # Stored due 09:00 from an old schedule; the new one (08:15) has no slot in [09:00, now].
    plan = plan_catch_up(
        DAILY_0815, due_at=utc(2027, 3, 28, 9), now=utc(2027, 3, 28, 10), grace=GRACE
    )
    assert plan == TickPlan(
        deliver_slot=utc(2027, 3, 28, 9), skipped=False, next_due=utc(2027, 3, 29, 8, 15)
    )


def test_plan_catch_up_dst_gap():
    s = spec("02:30", "Europe/Berlin")
    plan = plan_catch_up(
        s, due_at=utc(2027, 3, 28, 1, 30), now=utc(2027, 3, 28, 1, 31), grace=GRACE
    )
    assert plan == TickPlan(
        deliver_slot=utc(2027, 3, 28, 1, 30), skipped=False, next_due=utc(2027, 3, 29, 0, 30)
    )


@pytest.mark.parametrize(
    ("due_at", "now", "grace", "match"),
    [
        (utc(2027, 3, 28, 9), utc(2027, 3, 28, 8), GRACE, "after now"),
        (datetime(2027, 3, 28, 8), utc(2027, 3, 28, 9), GRACE, "aware"),
        (utc(2027, 3, 28, 8), datetime(2027, 3, 28, 9), GRACE, "aware"),
        (utc(2027, 3, 28, 8), utc(2027, 3, 28, 9), -GRACE, "grace"),
    ],
)
def test_plan_catch_up_rejects(due_at, now, grace, match):
    with pytest.raises(ValueError, match=match):
        plan_catch_up(DAILY_0815, due_at=due_at, now=now, grace=grace)


# --- local view --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "tz", "expected"),
    [
        (utc(2027, 3, 30, 6, 15), "Europe/Berlin", "Tue 08:15"),
        (utc(2027, 3, 28, 19), "Asia/Kolkata", "Mon 00:30"),
        (utc(2027, 3, 28, 19), "+05:30", "Mon 00:30"),
        (utc(2027, 3, 28, 19), "UTC", "Sun 19:00"),
        (utc(2027, 11, 7, 6, 30), "America/New_York", "Sun 01:30"),
    ],
)
def test_describe_local(instant, tz, expected):
    assert describe_local(instant, tz) == expected


def test_local_view():
    view = local_view(utc(2027, 3, 28, 1, 30), "Europe/Berlin")
    assert view == utc(2027, 3, 28, 1, 30)
    assert (view.hour, view.minute, view.utcoffset()) == (3, 30, timedelta(hours=2))
    with pytest.raises(ValueError, match="aware"):
        local_view(datetime(2027, 3, 28), "UTC")


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("  AMERICA/NEW_YORK ", "America/New_York"),
        ("asia/kolkata", "Asia/Kolkata"),
        ("Australia/Lord_Howe", "Australia/Lord_Howe"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("Z", "UTC"),
        ("GMT", "UTC"),
        ("UTC+0", "UTC"),
        ("+00:00", "UTC"),
        ("+05:30", "+05:30"),
        ("+5:30", "+05:30"),
        ("+0530", "+05:30"),
        ("-3", "-03:00"),
        ("UTC+2", "+02:00"),
        ("utc + 2", "+02:00"),
        ("GMT-03:30", "-03:30"),
        ("+14", "+14:00"),
        ("-12:00", "-12:00"),
        ("+12:45", "+12:45"),
    ],
)
def test_parse_tz_good(text, expected):
    assert parse_tz(text) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Europe/Berln", r"^Unknown time zone 'Europe/Berln'\. Did you mean Europe/Berlin\?$"),
        ("Amerca/New_York", "Did you mean America/New_York"),
        ("kolkata", "Did you mean Asia/Kolkata"),
        ("new york", "Did you mean America/New_York"),
        ("Mars/Olympus", "IANA name like Europe/Berlin"),
        ("", "empty"),
        ("+15", "between -12:00 and \\+14:00"),
        ("-12:30", "between"),
        ("+05:75", "minutes"),
        ("UTC+", "Unknown time zone"),
    ],
)
def test_parse_tz_bad(text, match):
    with pytest.raises(ValueError, match=match):
        parse_tz(text)


@pytest.mark.parametrize(
    ("name", "expected_offset_on_2027_07_01"),
    [
        ("Europe/Berlin", timedelta(hours=2)),
        ("UTC", timedelta(0)),
        ("+05:30", timedelta(hours=5, minutes=30)),
        ("-03:00", timedelta(hours=-3)),
    ],
)
def test_tzinfo_for(name, expected_offset_on_2027_07_01):
    tz = tzinfo_for(name)
    assert datetime(2027, 7, 1, 12, tzinfo=tz).utcoffset() == expected_offset_on_2027_07_01


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "+15:00", "europe/berlin"])
def test_tzinfo_for_rejects(name):
    with pytest.raises(ValueError, match=r"time zone|offset"):
        tzinfo_for(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8:15", time(8, 15)),
        ("08:15", time(8, 15)),
        ("20.30", time(20, 30)),
        (" 0:00 ", time(0, 0)),
        ("23:59", time(23, 59)),
    ],
)
def test_parse_time_good(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text", ["24:00", "8:60", "8", "8pm", "08:15:00", "", "ab:cd", "-1:00", "8:5"]
)
def test_parse_time_bad(text):
    with pytest.raises(ValueError, match="HH:MM"):
        parse_time(text)


@pytest.mark.parametrize(("value", "expected"), [(time(8, 15), "08:15"), (time(20, 0), "20:00")])
def test_format_time(value, expected):
    assert format_time(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon,tue,fri", {0, 1, 4}),
        ("Mon, Wed, Fri", {0, 2, 4}),
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("Mon – Fri", {0, 1, 2, 3, 4}),
        ("fri-mon", {4, 5, 6, 0}),
        ("weekdays", {0, 1, 2, 3, 4}),
        ("weekends", {5, 6}),
        ("daily", set(range(7))),
        ("every day", set(range(7))),
        ("Every Day", set(range(7))),
        ("monday, thursday", {0, 3}),
        ("saturday sunday", {5, 6}),
        ("weekends,mon", {0, 5, 6}),
        ("tues thurs", {1, 3}),
    ],
)
def test_parse_days_good(text, expected):
    assert parse_days(text) == frozenset(expected)


@pytest.mark.parametrize("text", ["", "  ", "funday", "mon-xyz", "mon,,tues-", "1,2"])
def test_parse_days_bad(text):
    with pytest.raises(ValueError, match="day"):
        parse_days(text)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (range(7), "every day"),
        ({0, 1, 2, 3, 4}, "Mon–Fri"),
        ({0, 2, 4}, "Mon, Wed, Fri"),
        ({5, 6}, "Sat, Sun"),
        ({0, 1, 2, 3, 4, 6}, "Mon–Fri, Sun"),
        ({3}, "Thu"),
    ],
)
def test_format_days(days, expected):
    assert format_days(days) == expected


@pytest.mark.parametrize("days", [set(), {7}, {-1, 0}])
def test_format_days_rejects(days):
    with pytest.raises(ValueError, match="Days"):
        format_days(days)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"times": (), "days": ALL, "tz": "UTC"}, "time"),
        ({"times": (time(8),), "days": frozenset(), "tz": "UTC"}, "day"),
        ({"times": (time(8),), "days": frozenset({7}), "tz": "UTC"}, "Days"),
        ({"times": (time(8),), "days": ALL, "tz": "Mars/Olympus"}, "time zone"),
        ({"times": (time(8, tzinfo=UTC),), "days": ALL, "tz": "UTC"}, "naive"),
    ],
)
def test_schedule_spec_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ScheduleSpec(**kwargs)


def test_schedule_spec_normalizes_times():
    s = ScheduleSpec(times=(time(20), time(8), time(20)), days=frozenset({1}), tz="UTC")
    assert s.times == (time(8), time(20))


# --- properties --------------------------------------------------------------------------------

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Africa/Casablanca",
    "Pacific/Kiritimati",
    "UTC",
    "+05:30",
    "-09:30",
]
TRANSITION_INSTANTS = [
    t for zone in ZONES[:5] for year in (2027,) for t, _, _ in transitions(zone, year)
]

instants = st.one_of(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda t, minutes: t + timedelta(minutes=minutes),
        st.sampled_from(TRANSITION_INSTANTS),
        st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60),
    ),
)
specs = st.builds(
    lambda times, days, tz: ScheduleSpec(times=tuple(times), days=frozenset(days), tz=tz),
    st.lists(
        st.builds(time, st.integers(0, 23), st.sampled_from([0, 1, 15, 29, 30, 45, 59])),
        min_size=1,
        max_size=4,
    ),
    st.sets(st.integers(0, 6), min_size=1),
    st.sampled_from(ZONES),
)


@settings(max_examples=300, deadline=None)
@given(s=specs, after=instants)
def test_next_due_properties(s, after):
    result = next_due(s, after=after)
    assert result > after
    assert result.tzinfo is UTC
    local = local_view(result, s.tz)
    assert local.weekday() in s.days
    # no slot strictly between `after` and the result
    before = previous_due(s, at_or_before=result - timedelta(microseconds=1))
    assert before is None or before <= after
    # the result is itself a slot
    assert previous_due(s, at_or_before=result) == result
    # monotone in `after`
    assert result <= next_due(s, after=after + timedelta(minutes=1))
    # at most one week (+ a DST hour) away
    assert result - after <= timedelta(days=7, hours=1)
