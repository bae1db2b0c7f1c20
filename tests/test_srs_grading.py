"""Tests for bot.srs.grading."""

import fsrs
import pytest

from bot.srs.grading import FAST_MS, KNOWN_WELL_DAYS, Rating, rating_for


def test_rating_numbers_match_fsrs():
    assert [int(r) for r in Rating] == [int(r) for r in fsrs.Rating]
    assert [r.name for r in Rating] == [r.name.upper() for r in fsrs.Rating]


@pytest.mark.parametrize(
    ("correct", "unsure", "latency_ms", "stability_days", "expected"),
    [
        # wrong always AGAIN, whatever else is true
        (False, False, 1_000, 30.0, Rating.AGAIN),
        (False, True, None, None, Rating.AGAIN),
        # right but unsure → HARD, even when fast on a well-known card
        (True, True, 1_000, 30.0, Rating.HARD),
        (True, True, None, None, Rating.HARD),
        # fast and known well → EASY, edges included
        (True, False, 0, KNOWN_WELL_DAYS, Rating.EASY),
        (True, False, FAST_MS - 1, KNOWN_WELL_DAYS, Rating.EASY),
        (True, False, 2_500, 120.0, Rating.EASY),
        # just not fast enough / not known well enough → GOOD
        (True, False, FAST_MS, 30.0, Rating.GOOD),
        (True, False, 1_000, KNOWN_WELL_DAYS - 0.01, Rating.GOOD),
        # unknown latency or a new card → GOOD
        (True, False, None, 30.0, Rating.GOOD),
        (True, False, 1_000, None, Rating.GOOD),
        (True, False, 60_000, 2.3, Rating.GOOD),
        # a negative latency (clock skew) is not evidence of speed
        (True, False, -5, 30.0, Rating.GOOD),
    ],
)
def test_rating_for(correct, unsure, latency_ms, stability_days, expected):
    got = rating_for(
        correct=correct, unsure=unsure, latency_ms=latency_ms, stability_days=stability_days
    )
    assert got is expected
