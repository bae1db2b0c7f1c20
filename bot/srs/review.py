"""Spaced-repetition scheduling: a thin wrapper over fsrs 6, the only module importing fsrs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any, cast
from zoneinfo import ZoneInfo

import fsrs
from fsrs import Card, ReviewLog, Scheduler, State

from bot.srs.grading import Rating

__all__ = [
    "CardState",
    "Rating",
    "Stage",
    "from_dict",
    "new_card",
    "retrievability",
    "retrievability_at",
    "review",
    "scheduler_json",
]

# One scheduler for the whole process; it is immutable in use, so sharing it is thread-safe.
# Fuzzing is off so the same answers always give the same due times: tests can assert exact
# intervals and a learner's schedule can be replayed from the review log. The price is that
# cards learnt together keep coming back together, which is acceptable for small decks.
_SCHEDULER = Scheduler(
    desired_retention=0.9,
    learning_steps=(timedelta(minutes=1), timedelta(minutes=10)),
    relearning_steps=(timedelta(minutes=10),),
    maximum_interval=36500,
    enable_fuzzing=False,
)

# Zone keys that are plain UTC; such datetimes are converted to ``timezone.utc`` for fsrs.
_UTC_KEYS = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"})


class Stage(IntEnum):
    """Where a card is in its life cycle; the same numbers as ``fsrs.State``."""

    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


@dataclass(frozen=True, slots=True)
class CardState:
    """A card's scheduling state; ``data`` is ``fsrs.Card.to_dict()`` and JSON-serializable."""

    data: dict[str, Any]
    due: datetime
    stability: float | None
    difficulty: float | None
    state: int
    last_review: datetime | None


def _as_utc(value: datetime, *, name: str) -> datetime:
    """Return ``value`` with ``tzinfo is timezone.utc``; raise ValueError unless it is UTC."""
    tz = value.tzinfo
    if tz is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware UTC, got naive {value!r}")
    if tz == UTC:  # also timezone(timedelta(0)), as some drivers return
        return value.replace(tzinfo=UTC)
    if isinstance(tz, ZoneInfo) and tz.key in _UTC_KEYS:
        return value.replace(tzinfo=UTC)
    raise ValueError(f"{name} must be in UTC, got tzinfo={tz!r}")


def _state_of(card: Card) -> CardState:
    return CardState(
        data=cast(dict[str, Any], card.to_dict()),
        due=card.due,
        stability=card.stability,
        difficulty=card.difficulty,
        state=int(card.state),
        last_review=card.last_review,
    )


def _card_of(state: CardState) -> Card:
    return Card.from_dict(cast(Any, state.data))


def new_card(card_id: int, *, now: datetime) -> CardState:
    """Create a never-reviewed card that is due at ``now``.

    Raises:
        ValueError: unless ``now`` is aware UTC.
    """
    now = _as_utc(now, name="now")
    return _state_of(Card(card_id=card_id, due=now))


def review(
    card: CardState | None,
    rating: Rating,
    *,
    card_id: int,
    now: datetime,
    duration_ms: int | None = None,
) -> tuple[CardState, dict[str, Any]]:
    """Review a card (None = first time) and return its new state and the review log dict.

    Raises:
        ValueError: unless ``now`` is aware UTC, if ``duration_ms`` is negative or if
            ``card`` belongs to another ``card_id``.
    """
    now = _as_utc(now, name="now")
    if duration_ms is not None and duration_ms < 0:
        raise ValueError(f"duration_ms must be >= 0, got {duration_ms}")
    if card is None:
        fsrs_card = Card(card_id=card_id, due=now)
    else:
        fsrs_card = _card_of(card)
        if fsrs_card.card_id != card_id:
            raise ValueError(f"card state belongs to card {fsrs_card.card_id}, not {card_id}")
    reviewed, log = _SCHEDULER.review_card(
        fsrs_card, fsrs.Rating(int(rating)), review_datetime=now, review_duration=duration_ms
    )
    return _state_of(reviewed), _log_dict(log)


def _log_dict(log: ReviewLog) -> dict[str, Any]:
    return cast(dict[str, Any], log.to_dict())


def retrievability(card: CardState, *, now: datetime) -> float:
    """Return the predicted probability (0..1) of recalling the card at ``now``; 0 if unseen.

    Raises:
        ValueError: unless ``now`` is aware UTC.
    """
    return retrievability_at(card, now)


def retrievability_at(card: CardState, when: datetime) -> float:
    """Return the predicted probability (0..1) of recalling the card at ``when``; 0 if unseen.

    Raises:
        ValueError: unless ``when`` is aware UTC.
    """
    when = _as_utc(when, name="when")
    if card.last_review is None or card.stability is None:
        return 0.0
    value = float(_SCHEDULER.get_card_retrievability(_card_of(card), current_datetime=when))
    return min(1.0, max(0.0, value))


def from_dict(data: dict[str, Any]) -> CardState:
    """Rebuild a card state from its stored ``data`` (the inverse of ``CardState.data``).

    Raises:
        ValueError: if the dict is malformed or its datetimes are not UTC.
    """
    try:
        card = Card.from_dict(cast(Any, data))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed card data: {exc}") from exc
    card.due = _as_utc(card.due, name="due")
    if card.last_review is not None:
        card.last_review = _as_utc(card.last_review, name="last_review")
    if card.state not in (State.Learning, State.Review, State.Relearning):  # pragma: no cover
        raise ValueError(f"unknown card state {card.state!r}")
    return _state_of(card)


def scheduler_json() -> str:
    """Return the scheduler's configuration as JSON, to store next to review logs."""
    return _SCHEDULER.to_json()
