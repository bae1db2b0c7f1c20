"""The group rules without Telegram: ranking, weeks, recap picks, recap due instants."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.content.loader import load_catalog
from bot.db.models import Chat, Schedule
from bot.study.groups import (
    Tally,
    board,
    pick_missed,
    pick_warmup,
    rank,
    recap_week_slot,
    reschedule_recap,
    week_start,
)
from tests.botkit import MINI

COURSE = load_catalog(MINI).course("mini")


def tally(pk: int, name: str, correct: int, answered: int) -> Tally:
    return Tally(member_pk=pk, name=name, correct=correct, answered=answered)


@pytest.mark.parametrize(
    ("tallies", "expected"),
    [
        ([], []),
        # more right answers first, whatever the accuracy
        ([tally(1, "A", 2, 10), tally(2, "B", 3, 10)], [(1, "B"), (2, "A")]),
        # equal right answers: higher accuracy first
        ([tally(1, "A", 3, 6), tally(2, "B", 3, 4)], [(1, "B"), (2, "A")]),
        # equal figures share a place; the next place skips (1, 1, 3); names order the tie
        (
            [tally(1, "Cy", 2, 4), tally(2, "al", 2, 4), tally(3, "Bo", 1, 1)],
            [(1, "al"), (1, "Cy"), (3, "Bo")],
        ),
        # 1/3 and 2/6 are exactly the same accuracy (no float surprises)
        ([tally(1, "A", 2, 6), tally(2, "B", 2, 6)], [(1, "A"), (1, "B")]),
    ],
)
def test_rank(tallies: list[Tally], expected: list[tuple[int, str]]) -> None:
    assert [(s.place, s.tally.name) for s in rank(tallies)] == expected


@pytest.mark.parametrize(
    ("me", "size", "top", "mine"),
    [
        (4, 3, ["a", "b", "c"], "d"),  # below the top: shown separately
        (2, 3, ["a", "b", "c"], None),  # inside the top: not repeated
        (9, 3, ["a", "b", "c"], None),  # not ranked at all (hidden or no answers)
        (None, 10, ["a", "b", "c", "d"], None),
    ],
)
def test_board(me: int | None, size: int, top: list[str], mine: str | None) -> None:
    standings = rank([tally(i, n, 10 - i, 10) for i, n in enumerate("abcd", 1)])
    cut = board(standings, me_pk=me, size=size)
    assert [s.tally.name for s in cut.top] == top
    assert (cut.me.tally.name if cut.me else None) == mine
    assert cut.ranked == 4


@pytest.mark.parametrize(
    ("now", "tz", "monday", "midnight"),
    [
        (
            datetime(2027, 3, 3, 12, tzinfo=UTC),
            "UTC",
            date(2027, 3, 1),
            datetime(2027, 3, 1, tzinfo=UTC),
        ),
        # Sunday 23:30 UTC is already Monday in Tokyo: a new week there
        (
            datetime(2027, 3, 7, 23, 30, tzinfo=UTC),
            "Asia/Tokyo",
            date(2027, 3, 8),
            datetime(2027, 3, 7, 15, tzinfo=UTC),
        ),
        # Monday 02:00 UTC is still Sunday in New York: last week there
        (
            datetime(2027, 3, 8, 2, tzinfo=UTC),
            "America/New_York",
            date(2027, 3, 1),
            datetime(2027, 3, 1, 5, tzinfo=UTC),
        ),
        # a week whose Monday follows the DST change (New York, 14 Mar 2027): EDT midnight
        (
            datetime(2027, 3, 17, 12, tzinfo=UTC),
            "America/New_York",
            date(2027, 3, 15),
            datetime(2027, 3, 15, 4, tzinfo=UTC),
        ),
    ],
)
def test_week_start(now: datetime, tz: str, monday: date, midnight: datetime) -> None:
    assert week_start(now, tz) == (monday, midnight)
    assert recap_week_slot(now, tz) == midnight


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({}, []),
        ({"leaves-plant": (3, 3)}, []),  # never missed
        # most wrong answers first, then the higher error rate, then course order
        (
            {
                "leaves-plant": (1, 3),
                "leaves-herbal": (0, 2),
                "brewing-green": (3, 5),
                "brewing-black": (0, 1),
            },
            ["leaves-herbal", "leaves-plant", "brewing-green"],
        ),
        (
            {"brewing-kinds": (0, 1), "leaves-oxidised": (0, 1)},
            ["leaves-oxidised", "brewing-kinds"],
        ),
        ({"gone-question": (0, 5), "leaves-plant": (0, 1)}, ["leaves-plant"]),
    ],
)
def test_pick_missed(counts: dict[str, tuple[int, int]], expected: list[str]) -> None:
    assert [m.question.id for m in pick_missed(COURSE, counts)] == expected


@pytest.mark.parametrize(
    ("counts", "exclude", "expected"),
    [
        # nothing asked yet: the first three questions of the course
        ({}, set(), ["leaves-plant", "leaves-oxidised", "leaves-herbal"]),
        # shaky ones (lowest accuracy first), then new ones; mastered ones last
        (
            {"leaves-plant": (1, 1), "leaves-oxidised": (1, 2), "leaves-herbal": (0, 1)},
            set(),
            ["leaves-herbal", "leaves-oxidised", "brewing-green"],
        ),
        # the week's explained misses are left out
        (
            {"leaves-plant": (0, 1)},
            {"leaves-plant", "leaves-oxidised"},
            ["leaves-herbal", "brewing-green", "brewing-black"],
        ),
        # everything mastered: course order
        (
            {q.id: (1, 1) for q in COURSE.questions},
            set(),
            ["leaves-plant", "leaves-oxidised", "leaves-herbal"],
        ),
    ],
)
def test_pick_warmup(
    counts: dict[str, tuple[int, int]], exclude: set[str], expected: list[str]
) -> None:
    assert [q.id for q in pick_warmup(COURSE, counts, exclude=exclude)] == expected


@pytest.mark.parametrize(
    ("active", "day", "at", "tz", "expected"),
    [
        (True, 4, "18:00", "UTC", datetime(2027, 3, 5, 18, tzinfo=UTC)),
        (True, 0, "09:00", "UTC", datetime(2027, 3, 8, 9, tzinfo=UTC)),  # today's has passed
        (True, 0, "07:00", "Europe/Berlin", datetime(2027, 3, 8, 6, tzinfo=UTC)),
        (True, None, None, "UTC", None),  # recap off
        (False, 4, "18:00", "UTC", None),  # the bot was removed
    ],
)
def test_reschedule_recap(
    active: bool, day: int | None, at: str | None, tz: str, expected: datetime | None
) -> None:
    now = datetime(2027, 3, 1, 10, tzinfo=UTC)  # a Monday
    chat = Chat(id=1, tg_chat_id=-1, kind="group", active=active)
    schedule = Schedule(chat_id=1, timezone=tz, recap_day=day, recap_time=at)
    assert reschedule_recap(chat, schedule, now=now) == expected
    assert schedule.recap_next_due_at == expected
