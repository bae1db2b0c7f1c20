"""Tests for bot.srs.review against the real fsrs library."""

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.srs import review as srs
from bot.srs.grading import Rating
from bot.srs.review import CardState, Stage

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _learnt_card() -> CardState:
    """Return a card after GOOD, GOOD: in Review, due two days later."""
    card, _ = srs.review(None, Rating.GOOD, card_id=7, now=T0)
    card, _ = srs.review(card, Rating.GOOD, card_id=7, now=card.due)
    return card


def test_new_card_is_due_now_and_unseen():
    card = srs.new_card(7, now=T0)
    assert card.due == T0
    assert card.state == Stage.LEARNING
    assert card.stability is None
    assert card.last_review is None
    assert card.data["card_id"] == 7
    assert srs.retrievability(card, now=T0) == 0.0


def test_first_good_goes_to_learning_step_ten_minutes():
    card, log = srs.review(None, Rating.GOOD, card_id=7, now=T0, duration_ms=4200)
    assert card.state == Stage.LEARNING
    assert card.due == T0 + timedelta(minutes=10)
    assert card.last_review == T0
    assert log == {
        "card_id": 7,
        "rating": 3,
        "review_datetime": "2026-03-02T09:00:00+00:00",
        "review_duration": 4200,
    }


def test_review_of_new_card_state_equals_review_of_none():
    from_none, _ = srs.review(None, Rating.GOOD, card_id=7, now=T0)
    from_new, _ = srs.review(srs.new_card(7, now=T0), Rating.GOOD, card_id=7, now=T0)
    assert from_new == from_none


def test_second_good_graduates_to_review_two_days():
    first, _ = srs.review(None, Rating.GOOD, card_id=7, now=T0)
    second, _ = srs.review(first, Rating.GOOD, card_id=7, now=first.due)
    assert second.state == Stage.REVIEW
    assert second.due - first.due == timedelta(days=2)


@pytest.mark.parametrize(
    ("rating", "expected_interval", "expected_stage"),
    [
        (Rating.AGAIN, timedelta(minutes=10), Stage.RELEARNING),
        (Rating.HARD, timedelta(days=8), Stage.REVIEW),
        (Rating.GOOD, timedelta(days=11), Stage.REVIEW),
        (Rating.EASY, timedelta(days=19), Stage.REVIEW),
    ],
)
def test_review_card_intervals_by_rating(rating, expected_interval, expected_stage):
    card = _learnt_card()
    after, _ = srs.review(card, rating, card_id=7, now=card.due)
    assert after.due - card.due == expected_interval
    assert after.state == expected_stage


def test_wrong_answer_on_review_card_comes_back_sooner_than_good():
    card = _learnt_card()
    wrong, _ = srs.review(card, Rating.AGAIN, card_id=7, now=card.due)
    right, _ = srs.review(card, Rating.GOOD, card_id=7, now=card.due)
    assert wrong.due < right.due
    assert wrong.stability is not None
    assert card.stability is not None
    assert wrong.stability < card.stability


def test_review_does_not_mutate_input():
    card = _learnt_card()
    snapshot = json.dumps(card.data)
    srs.review(card, Rating.AGAIN, card_id=7, now=card.due)
    assert json.dumps(card.data) == snapshot


def test_round_trip_through_json():
    card = _learnt_card()
    restored = srs.from_dict(json.loads(json.dumps(card.data)))
    assert restored == card
    assert restored.due.tzinfo is UTC


def test_round_trip_of_new_card():
    card = srs.new_card(3, now=T0)
    assert srs.from_dict(card.data) == card


def test_from_dict_rejects_malformed_and_non_utc():
    with pytest.raises(ValueError, match="malformed"):
        srs.from_dict({"card_id": 1})
    data = dict(srs.new_card(3, now=T0).data, due="2026-03-02T09:00:00+02:00")
    with pytest.raises(ValueError, match="UTC"):
        srs.from_dict(data)


def test_retrievability_decreases_with_time():
    card = _learnt_card()
    assert card.last_review is not None
    values = [
        srs.retrievability(card, now=card.last_review + timedelta(days=d)) for d in (0, 1, 3, 10)
    ]
    assert values[0] == pytest.approx(1.0)
    assert values == sorted(values, reverse=True)
    assert len(set(values)) == len(values)
    assert all(0.0 <= v <= 1.0 for v in values)
    assert srs.retrievability_at(card, card.last_review + timedelta(days=3)) == values[2]


@pytest.mark.parametrize(
    "bad_now",
    [
        datetime(2026, 3, 2, 9, 0),
        datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 1, 2, 9, 0, tzinfo=ZoneInfo("Europe/London")),  # offset 0, not UTC
    ],
)
def test_non_utc_datetimes_are_rejected(bad_now):
    with pytest.raises(ValueError, match="UTC"):
        srs.review(None, Rating.GOOD, card_id=1, now=bad_now)
    with pytest.raises(ValueError, match="UTC"):
        srs.new_card(1, now=bad_now)
    with pytest.raises(ValueError, match="UTC"):
        srs.retrievability(_learnt_card(), now=bad_now)


@pytest.mark.parametrize("tz", [ZoneInfo("UTC"), ZoneInfo("Etc/UTC"), timezone(timedelta(0))])
def test_other_utc_spellings_are_accepted_and_normalised(tz):
    now = T0.replace(tzinfo=tz)
    card, log = srs.review(None, Rating.GOOD, card_id=1, now=now)
    assert card.last_review is not None
    assert card.last_review.tzinfo is UTC
    assert log["review_datetime"] == "2026-03-02T09:00:00+00:00"


def test_other_checks():
    with pytest.raises(ValueError, match="duration_ms"):
        srs.review(None, Rating.GOOD, card_id=1, now=T0, duration_ms=-1)
    with pytest.raises(ValueError, match="belongs to card 7"):
        srs.review(_learnt_card(), Rating.GOOD, card_id=8, now=T0 + timedelta(days=3))


def test_learner_who_is_always_right_sees_growing_intervals():
    card, _ = srs.review(None, Rating.GOOD, card_id=1, now=T0)
    intervals: list[timedelta] = []
    while card.due < T0 + timedelta(days=30):
        now = card.due
        card, _ = srs.review(card, Rating.GOOD, card_id=1, now=now)
        intervals.append(card.due - now)
    assert len(intervals) >= 3
    assert all(b > a for a, b in itertools.pairwise(intervals))
    assert card.state == Stage.REVIEW


def test_scheduler_json_has_the_documented_settings():
    config = json.loads(srs.scheduler_json())
    assert config["desired_retention"] == 0.9
    assert config["learning_steps"] == [60, 600]
    assert config["relearning_steps"] == [600]
    assert config["enable_fuzzing"] is False
