"""Turn a quiz answer into an FSRS rating (wrong, unsure, right, fast and already known well).

The rule, in order:

1. wrong answer → ``AGAIN``;
2. right, but the learner tapped "not sure" → ``HARD``;
3. right, answered in under ``FAST_MS`` (10 s) and the card was already known well
   (stability before this review ≥ ``KNOWN_WELL_DAYS`` = 7 days) → ``EASY``;
4. any other right answer → ``GOOD``.

A fast answer on a new or shaky card is only ``GOOD``: speed on a card seen once says little,
and ``EASY`` on a new card would push it days out before it is learnt.
"""

from __future__ import annotations

from enum import IntEnum

FAST_MS = 10_000
KNOWN_WELL_DAYS = 7.0


class Rating(IntEnum):
    """How well the learner recalled a card; the same numbers as ``fsrs.Rating``."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


def rating_for(
    *, correct: bool, unsure: bool, latency_ms: int | None, stability_days: float | None
) -> Rating:
    """Rate an answer: wrong → AGAIN, unsure → HARD, fast on a well-known card → EASY, else GOOD.

    Args:
        correct: whether the answer was right.
        unsure: whether the learner marked the answer "not sure".
        latency_ms: time from question to answer, or None when unknown (never EASY then).
        stability_days: the card's FSRS stability before this review, None for a new card.
    """
    if not correct:
        return Rating.AGAIN
    if unsure:
        return Rating.HARD
    fast = latency_ms is not None and 0 <= latency_ms < FAST_MS
    known_well = stability_days is not None and stability_days >= KNOWN_WELL_DAYS
    if fast and known_well:
        return Rating.EASY
    return Rating.GOOD
