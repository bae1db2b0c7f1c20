"""Tests for bot.progress.streak."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.progress.streak import StreakInfo, compute_streak, local_day


def days(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def d(text: str) -> date:
    return date.fromisoformat(text)


# 2026-03-02 is a Monday (ISO week 10).
CASES = {
    "empty": ([], "2026-03-02", [], 1, StreakInfo(0, 0, 0, 0, False)),
    "single day today": ([d("2026-03-02")], "2026-03-02", [], 1, StreakInfo(1, 1, 1, 0, True)),
    "single day yesterday": (
        [d("2026-03-02")], "2026-03-03", [], 1, StreakInfo(1, 1, 1, 0, False),
    ),
    "consecutive days": (
        days("2026-03-02", "2026-03-06"), "2026-03-06", [], 1, StreakInfo(5, 5, 1, 0, True),
    ),
    "gap of 1 day, freeze available": (
        [d("2026-03-02"), d("2026-03-03"), d("2026-03-05")], "2026-03-05", [], 1,
        StreakInfo(3, 3, 0, 1, True),
    ),
    "gap of 2 days, one freeze": (
        [d("2026-03-02"), d("2026-03-03"), d("2026-03-06")], "2026-03-06", [], 1,
        StreakInfo(1, 2, 0, 0, True),
    ),
    "gap of 2 days, two freezes banked over two weeks": (
        [*days("2026-03-06", "2026-03-09"), d("2026-03-12")], "2026-03-12", [], 2,
        StreakInfo(5, 5, 0, 2, True),
    ),
    "same, but only one freeze can be banked": (
        [*days("2026-03-06", "2026-03-09"), d("2026-03-12")], "2026-03-12", [], 1,
        StreakInfo(1, 4, 0, 0, True),
    ),
    "no freezes allowed": (
        [d("2026-03-02"), d("2026-03-03"), d("2026-03-05")], "2026-03-05", [], 0,
        StreakInfo(1, 2, 0, 0, True),
    ),
    "paused range keeps the streak": (
        [d("2026-03-02"), d("2026-03-06")], "2026-03-06", days("2026-03-03", "2026-03-05"), 0,
        StreakInfo(2, 2, 0, 0, True),
    ),
    "paused day that was studied still counts": (
        days("2026-03-02", "2026-03-04"), "2026-03-04", [d("2026-03-03")], 1,
        StreakInfo(3, 3, 1, 0, True),
    ),
    "pause running into today": (
        [d("2026-03-02")], "2026-03-05", days("2026-03-03", "2026-03-05"), 0,
        StreakInfo(1, 1, 0, 0, False),
    ),
    "today not studied yet": (
        days("2026-03-02", "2026-03-04"), "2026-03-05", [], 1, StreakInfo(3, 3, 1, 0, False),
    ),
    "yesterday missed, freeze saves it, today open": (
        [d("2026-03-02"), d("2026-03-03")], "2026-03-05", [], 1, StreakInfo(2, 2, 0, 1, False),
    ),
    "yesterday missed, no freeze": (
        [d("2026-03-02"), d("2026-03-03")], "2026-03-05", [], 0, StreakInfo(0, 2, 0, 0, False),
    ),
    "best vs current": (
        [*days("2026-03-02", "2026-03-06"), *days("2026-03-09", "2026-03-10")], "2026-03-10",
        [], 1, StreakInfo(2, 5, 1, 0, True),
    ),
    "year boundary, consecutive": (
        days("2026-12-30", "2027-01-02"), "2027-01-02", [], 1, StreakInfo(4, 4, 1, 0, True),
    ),
    # 2026-12-28 .. 2027-01-03 is ONE ISO week (2026-W53): no second freeze on 1 January.
    "year boundary, ISO week spans new year": (
        [*days("2026-12-28", "2027-01-01"), d("2027-01-04")], "2027-01-04", [], 2,
        StreakInfo(1, 5, 1, 0, True),
    ),
    "study day after today (moved west)": (
        [d("2026-03-05"), d("2026-03-06")], "2026-03-05", [], 1, StreakInfo(2, 2, 1, 0, True),
    ),
    "duplicates and order do not matter": (
        [d("2026-03-03"), d("2026-03-02"), d("2026-03-03")], "2026-03-03", [], 1,
        StreakInfo(2, 2, 1, 0, True),
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("study", "today", "paused", "max_freezes", "expected"), CASES.values(), ids=CASES.keys()
)
def test_compute_streak(study, today, paused, max_freezes, expected):
    got = compute_streak(study, today=d(today), paused_days=paused, max_freezes=max_freezes)
    assert got == expected


def test_accepts_generators():
    got = compute_streak(iter(days("2026-03-02", "2026-03-03")), today=d("2026-03-03"))
    assert got.current == 2


def test_rejects_negative_max_freezes():
    with pytest.raises(ValueError, match="max_freezes"):
        compute_streak([], today=d("2026-03-02"), max_freezes=-1)


def test_a_year_of_daily_study():
    study = days("2026-01-01", "2026-12-31")
    assert compute_streak(study, today=d("2026-12-31")) == StreakInfo(365, 365, 1, 0, True)


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        (datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "Europe/Berlin", "2026-03-02"),
        (datetime(2026, 3, 2, 3, 30, tzinfo=UTC), "America/New_York", "2026-03-01"),
        (datetime(2026, 12, 31, 11, 0, tzinfo=UTC), "Pacific/Kiritimati", "2027-01-01"),
        (datetime(2026, 3, 2, 0, 0, tzinfo=UTC), "UTC", "2026-03-02"),
    ],
)
def test_local_day(instant, zone, expected):
    assert local_day(instant, ZoneInfo(zone)) == d(expected)


def test_local_day_rejects_naive():
    with pytest.raises(ValueError, match="naive"):
        local_day(datetime(2026, 3, 2, 12, 0), ZoneInfo("UTC"))
