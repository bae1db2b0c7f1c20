"""Mock exams: draw questions across objectives, score them and keep time."""

from __future__ import annotations

import random
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from bot.content.schema import Question, QuestionType


@dataclass(frozen=True, slots=True)
class ExamResult:
    """A scored exam; ``per_objective`` maps objective → (correct, answered)."""

    total: int
    correct: int
    passed: bool
    per_objective: dict[str, tuple[int, int]] = field(default_factory=dict)
    needed: int = 0  # correct answers needed to pass this (possibly shortened) exam


def exam_style(question: Question) -> bool:
    """Return whether a question looks like a real exam item: single answer, four options."""
    return question.type is QuestionType.SINGLE and len(question.options) == 4


def exam_pools(
    questions: Sequence[Question], *, paused: Container[str], wanted: int
) -> dict[str, list[str]]:
    """Group the drawable question ids by objective, exam-style items only when there are enough.

    A mock exam should draw like the real one (single-answer, four-option items); a course with
    fewer than ``wanted`` such items falls back to every question type.
    """
    active = [q for q in questions if q.id not in paused]
    exam_like = [q for q in active if exam_style(q)]
    chosen = exam_like if len(exam_like) >= wanted else active
    pools: dict[str, list[str]] = {}
    for question in chosen:
        pools.setdefault(question.objective, []).append(question.id)
    return pools


def draw_exam(
    questions_by_objective: Mapping[str, Sequence[str]], *, count: int, rng: random.Random
) -> list[str]:
    """Draw ``count`` distinct question keys, spread over objectives in proportion to size.

    Each objective gets its share of ``count`` by the largest-remainder method (ties go to the
    bigger objective, then to the one listed first); ``count`` is capped at the number of
    distinct keys. A key listed under two objectives counts for the first one only. The result
    is shuffled.

    Raises:
        ValueError: if ``count`` is negative.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    seen: set[str] = set()
    pools: list[list[str]] = []
    for keys in questions_by_objective.values():
        pool = []
        for key in keys:
            if key not in seen:
                seen.add(key)
                pool.append(key)
        pools.append(pool)
    total = len(seen)
    count = min(count, total)
    if count == 0:
        return []
    exact = [Fraction(len(pool) * count, total) for pool in pools]
    quotas = [int(share) for share in exact]  # floor: shares are non-negative
    by_remainder = sorted(
        range(len(pools)), key=lambda i: (-(exact[i] - quotas[i]), -len(pools[i]), i)
    )
    for i in by_remainder[: count - sum(quotas)]:
        quotas[i] += 1
    drawn = [
        key for pool, quota in zip(pools, quotas, strict=True) for key in rng.sample(pool, quota)
    ]
    rng.shuffle(drawn)
    return drawn


def pass_mark_for(*, pass_mark: int, size: int, full_size: int) -> int:
    """Scale the pass mark to a shorter exam, rounding up: 26 of 40 becomes 7 of 10.

    Raises:
        ValueError: unless ``0 <= pass_mark <= full_size``, ``full_size >= 1`` and ``size >= 0``.
    """
    if full_size < 1:
        raise ValueError(f"full_size must be >= 1, got {full_size}")
    if not 0 <= pass_mark <= full_size:
        raise ValueError(f"pass_mark must be in 0..{full_size}, got {pass_mark}")
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    return -(-pass_mark * size // full_size)  # ceil without floats


def score_exam(
    items: Sequence[tuple[str, bool]], *, pass_mark: int, size: int, full_size: int
) -> ExamResult:
    """Score (objective, correct) answers; unanswered questions up to ``size`` count as wrong.

    The pass mark scales for shorter exams as ``ceil(pass_mark * size / full_size)``, so an
    exam passed with 26/40 needs 7/10 on a 10-question /exam.

    Raises:
        ValueError: if there are more items than ``size`` or the marks are inconsistent.
    """
    needed = pass_mark_for(pass_mark=pass_mark, size=size, full_size=full_size)
    if len(items) > size:
        raise ValueError(f"{len(items)} answers for an exam of {size} questions")
    per_objective: dict[str, tuple[int, int]] = {}
    for objective, correct in items:
        right, answered = per_objective.get(objective, (0, 0))
        per_objective[objective] = (right + int(correct), answered + 1)
    correct_total = sum(1 for _, correct in items if correct)
    return ExamResult(
        total=size,
        correct=correct_total,
        passed=correct_total >= needed,
        per_objective=per_objective,
        needed=needed,
    )


def exam_deadline(started_at: datetime, minutes: int) -> datetime:
    """Return when an exam started at ``started_at`` with ``minutes`` allowed must end.

    Raises:
        ValueError: if ``started_at`` is naive or ``minutes`` is below 1.
    """
    if started_at.tzinfo is None or started_at.utcoffset() is None:
        raise ValueError(f"started_at must be timezone-aware, got naive {started_at!r}")
    if minutes < 1:
        raise ValueError(f"minutes must be >= 1, got {minutes}")
    return started_at + timedelta(minutes=minutes)


def time_left(deadline: datetime, now: datetime) -> timedelta:
    """Return the time left until ``deadline``, never negative."""
    return max(timedelta(0), deadline - now)
