"""Pick what to study next: due reviews, timed study sessions, mistakes and weak objectives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

MAX_SESSION_ITEMS = 60


@dataclass(frozen=True, slots=True)
class CardView:
    """What session planning needs to know about one seen card (or question)."""

    key: str
    objective: str
    due: datetime | None
    recall: float  # current retrievability, 0 for unseen
    lapses: int = 0
    last_wrong_at: datetime | None = None


def _require_aware(value: datetime, *, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def _require_non_negative(value: int, *, name: str) -> None:
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def due_reviews(
    cards: Sequence[CardView],
    *,
    now: datetime,
    limit: int,
    weakest_objectives: Sequence[str] = (),
) -> list[CardView]:
    """Return up to ``limit`` cards due at ``now``, weakest objectives first, lowest recall first.

    Raises:
        ValueError: if ``now`` is naive or ``limit`` is negative.
    """
    _require_aware(now, name="now")
    _require_non_negative(limit, name="limit")
    weak = set(weakest_objectives)
    due = [card for card in cards if card.due is not None and card.due <= now]
    due.sort(key=lambda card: (card.objective not in weak, card.recall, card.due, card.key))
    return due[:limit]


def session_size(*, minutes: int, seconds_per_question: int = 30) -> int:
    """Return how many questions fit in ``minutes``: at least 1, at most 60.

    Raises:
        ValueError: if ``minutes`` or ``seconds_per_question`` is below 1.
    """
    if minutes < 1:
        raise ValueError(f"minutes must be >= 1, got {minutes}")
    if seconds_per_question < 1:
        raise ValueError(f"seconds_per_question must be >= 1, got {seconds_per_question}")
    return max(1, min(MAX_SESSION_ITEMS, minutes * 60 // seconds_per_question))


def build_study_session(
    cards: Sequence[CardView],
    *,
    minutes: int,
    now: datetime,
    seconds_per_question: int = 30,
    new_keys: Sequence[str] = (),
) -> list[str]:
    """Plan an "I have N minutes" session: seen cards by lowest recall, then new questions.

    Ties in recall go to the card that has been due longest (never-due cards last). Keys are
    never repeated, and new keys that are already among ``cards`` are skipped.

    Raises:
        ValueError: if ``now`` is naive or ``minutes``/``seconds_per_question`` is below 1.
    """
    _require_aware(now, name="now")
    size = session_size(minutes=minutes, seconds_per_question=seconds_per_question)
    seen = sorted(
        cards,
        key=lambda card: (
            card.recall,
            card.due is None,
            (card.due or now) - now,
            card.key,
        ),
    )
    plan: list[str] = []
    taken: set[str] = set()
    for key in [card.key for card in seen] + list(new_keys):
        if len(plan) == size:
            break
        if key not in taken:
            taken.add(key)
            plan.append(key)
    return plan


def mistakes(cards: Sequence[CardView], *, limit: int) -> list[CardView]:
    """Return up to ``limit`` cards answered wrong at some point, most recent mistake first.

    Raises:
        ValueError: if ``limit`` is negative or a mistake time is naive.
    """
    _require_non_negative(limit, name="limit")
    wrong: list[tuple[float, str, CardView]] = []
    for card in cards:
        if card.last_wrong_at is not None:
            _require_aware(card.last_wrong_at, name=f"last_wrong_at of {card.key!r}")
            wrong.append((-card.last_wrong_at.timestamp(), card.key, card))
    wrong.sort(key=lambda item: item[:2])
    return [card for _, _, card in wrong[:limit]]


def weakest_objectives(recall_by_objective: Mapping[str, float], *, count: int = 2) -> list[str]:
    """Return the ``count`` objectives with the lowest recall (ties broken by name).

    Raises:
        ValueError: if ``count`` is negative.
    """
    _require_non_negative(count, name="count")
    ranked = sorted(recall_by_objective.items(), key=lambda item: (item[1], item[0]))
    return [objective for objective, _ in ranked[:count]]


def exam_near(exam_date: date | None, today: date, *, days: int = 14) -> bool:
    """Say whether the exam is today or within the next ``days`` days (a past exam is not)."""
    if exam_date is None:
        return False
    return 0 <= (exam_date - today).days <= days
