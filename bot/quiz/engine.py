"""Pure quiz logic: grade answers and shuffle options without touching Telegram."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

MAX_OPTIONS = 10  # Telegram quiz polls allow 2-10 options
_LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True, slots=True)
class Grade:
    """The outcome of one answer: right or wrong, plus what was chosen and expected."""

    correct: bool
    chosen: tuple[int, ...]
    correct_ids: tuple[int, ...]


def grade(correct_ids: Sequence[int], chosen_ids: Sequence[int]) -> Grade:
    """Grade an answer: correct when the chosen set equals the correct set.

    Raises:
        ValueError: if nothing was chosen (a retracted poll vote) or no correct id is given.
    """
    if not chosen_ids:
        raise ValueError("no option chosen")
    if not correct_ids:
        raise ValueError("question has no correct option")
    chosen = tuple(sorted(set(chosen_ids)))
    expected = tuple(sorted(set(correct_ids)))
    return Grade(correct=chosen == expected, chosen=chosen, correct_ids=expected)


def shuffle_order(n: int, *, seed: int) -> tuple[int, ...]:
    """Return a deterministic permutation: ``order[display_index] == original_index``."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return tuple(order)


def to_original(order: Sequence[int], displayed_ids: Sequence[int]) -> tuple[int, ...]:
    """Map displayed option indexes back to the question's original indexes."""
    try:
        return tuple(order[i] for i in displayed_ids)
    except IndexError as exc:
        raise ValueError(f"displayed id out of range 0..{len(order) - 1}") from exc


def to_displayed(order: Sequence[int], original_ids: Sequence[int]) -> tuple[int, ...]:
    """Map original option indexes to where they are displayed after shuffling."""
    position = {original: shown for shown, original in enumerate(order)}
    try:
        return tuple(position[i] for i in original_ids)
    except KeyError as exc:
        raise ValueError(f"original id {exc.args[0]} not in order") from exc


def letters(n: int) -> list[str]:
    """Return the option labels "A", "B", ... for ``n`` options (at most 10)."""
    if not 0 <= n <= MAX_OPTIONS:
        raise ValueError(f"need 0-{MAX_OPTIONS} options, got {n}")
    return list(_LETTERS[:n])
