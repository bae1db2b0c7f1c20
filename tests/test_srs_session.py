"""Tests for bot.srs.session."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.srs import session
from bot.srs.session import CardView

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def card(key, objective="o1", *, due=NOW - HOUR, recall=0.5, wrong=None) -> CardView:
    return CardView(key=key, objective=objective, due=due, recall=recall, last_wrong_at=wrong)


CARDS = [
    card("a", "verbs", recall=0.8),
    card("b", "nouns", recall=0.3),
    card("c", "verbs", recall=0.6),
    card("d", "nouns", due=NOW + HOUR, recall=0.1),  # not due yet
    card("e", "tenses", due=None, recall=0.0),  # never scheduled
    card("f", "tenses", due=NOW, recall=0.9),  # due exactly now
]


@pytest.mark.parametrize(
    ("limit", "weakest", "expected"),
    [
        (10, (), ["b", "c", "a", "f"]),
        (2, (), ["b", "c"]),
        (0, (), []),
        (10, ("verbs",), ["c", "a", "b", "f"]),
        (10, ("tenses", "verbs"), ["c", "a", "f", "b"]),
        (3, ("unknown",), ["b", "c", "a"]),
    ],
)
def test_due_reviews(limit, weakest, expected):
    got = session.due_reviews(CARDS, now=NOW, limit=limit, weakest_objectives=weakest)
    assert [c.key for c in got] == expected


def test_due_reviews_rejects_naive_now_and_negative_limit():
    with pytest.raises(ValueError, match="naive"):
        session.due_reviews(CARDS, now=datetime(2026, 3, 2), limit=1)
    with pytest.raises(ValueError, match="limit"):
        session.due_reviews(CARDS, now=NOW, limit=-1)


@pytest.mark.parametrize(
    ("minutes", "seconds", "expected"),
    [(1, 30, 2), (5, 30, 10), (10, 45, 13), (1, 120, 1), (60, 30, 60), (600, 1, 60)],
)
def test_session_size(minutes, seconds, expected):
    assert session.session_size(minutes=minutes, seconds_per_question=seconds) == expected


@pytest.mark.parametrize(("minutes", "seconds"), [(0, 30), (-5, 30), (5, 0)])
def test_session_size_rejects_bad_input(minutes, seconds):
    with pytest.raises(ValueError, match="must be >= 1"):
        session.session_size(minutes=minutes, seconds_per_question=seconds)


@pytest.mark.parametrize(
    ("minutes", "new_keys", "expected"),
    [
        # 1 minute = 2 questions: the two weakest seen cards
        (1, ["n1"], ["e", "d"]),
        # 4 minutes = 8: all six seen by recall, then new ones in the given order
        (4, ["n1", "n2", "n3"], ["e", "d", "b", "c", "a", "f", "n1", "n2"]),
        # new keys already among seen cards are not repeated
        (5, ["a", "n1", "n1"], ["e", "d", "b", "c", "a", "f", "n1"]),
    ],
)
def test_build_study_session(minutes, new_keys, expected):
    got = session.build_study_session(CARDS, minutes=minutes, now=NOW, new_keys=new_keys)
    assert got == expected


def test_build_study_session_only_new():
    got = session.build_study_session([], minutes=1, now=NOW, new_keys=["n1", "n2", "n3"])
    assert got == ["n1", "n2"]


def test_build_study_session_breaks_recall_ties_by_most_overdue():
    cards = [
        card("later", due=NOW - HOUR, recall=0.5),
        card("never", due=None, recall=0.5),
        card("earlier", due=NOW - 5 * HOUR, recall=0.5),
        card("future", due=NOW + HOUR, recall=0.5),
    ]
    got = session.build_study_session(cards, minutes=10, now=NOW)
    assert got == ["earlier", "later", "future", "never"]


def test_build_study_session_caps_at_sixty():
    cards = [card(f"k{i:03}", recall=i / 100) for i in range(100)]
    got = session.build_study_session(cards, minutes=120, now=NOW)
    assert got == [f"k{i:03}" for i in range(60)]


def test_mistakes_most_recent_first():
    cards = [
        card("old", wrong=NOW - 3 * HOUR),
        card("never"),
        card("new", wrong=NOW - HOUR),
        card("tie-b", wrong=NOW - 2 * HOUR),
        card("tie-a", wrong=NOW - 2 * HOUR),
    ]
    assert [c.key for c in session.mistakes(cards, limit=10)] == [
        "new",
        "tie-a",
        "tie-b",
        "old",
    ]
    assert [c.key for c in session.mistakes(cards, limit=1)] == ["new"]
    assert session.mistakes(cards, limit=0) == []


def test_mistakes_rejects_bad_input():
    with pytest.raises(ValueError, match="limit"):
        session.mistakes([], limit=-1)
    with pytest.raises(ValueError, match="naive"):
        session.mistakes([card("x", wrong=datetime(2026, 3, 2))], limit=1)


@pytest.mark.parametrize(
    ("recall", "count", "expected"),
    [
        ({}, 2, []),
        ({"a": 0.9, "b": 0.2, "c": 0.5}, 2, ["b", "c"]),
        ({"a": 0.9, "b": 0.2, "c": 0.5}, 5, ["b", "c", "a"]),
        ({"b": 0.4, "a": 0.4, "c": 0.9}, 1, ["a"]),
        ({"a": 0.1}, 0, []),
    ],
)
def test_weakest_objectives(recall, count, expected):
    assert session.weakest_objectives(recall, count=count) == expected


def test_weakest_objectives_rejects_negative_count():
    with pytest.raises(ValueError, match="count"):
        session.weakest_objectives({"a": 0.1}, count=-1)


@pytest.mark.parametrize(
    ("exam", "today", "days", "expected"),
    [
        (None, date(2026, 3, 2), 14, False),
        (date(2026, 3, 2), date(2026, 3, 2), 14, True),
        (date(2026, 3, 16), date(2026, 3, 2), 14, True),
        (date(2026, 3, 17), date(2026, 3, 2), 14, False),
        (date(2026, 3, 1), date(2026, 3, 2), 14, False),
        (date(2026, 3, 9), date(2026, 3, 2), 7, True),
        (date(2027, 1, 5), date(2026, 12, 28), 14, True),
    ],
)
def test_exam_near(exam, today, days, expected):
    assert session.exam_near(exam, today, days=days) is expected
