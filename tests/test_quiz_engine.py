"""Tests for bot.quiz.engine."""

import pytest

from bot.quiz import engine
from bot.quiz.engine import Grade


@pytest.mark.parametrize(
    ("correct_ids", "chosen_ids", "expected"),
    [
        ([1], [1], Grade(correct=True, chosen=(1,), correct_ids=(1,))),
        ([1], [0], Grade(correct=False, chosen=(0,), correct_ids=(1,))),
        ([0, 2], [2, 0], Grade(correct=True, chosen=(0, 2), correct_ids=(0, 2))),
        ([0, 2], [0], Grade(correct=False, chosen=(0,), correct_ids=(0, 2))),
        ([0], [0, 1], Grade(correct=False, chosen=(0, 1), correct_ids=(0,))),
        ([3], [3, 3], Grade(correct=True, chosen=(3,), correct_ids=(3,))),
    ],
)
def test_grade_uses_set_equality(correct_ids, chosen_ids, expected):
    assert engine.grade(correct_ids, chosen_ids) == expected


@pytest.mark.parametrize(("correct_ids", "chosen_ids"), [([1], []), ([], [1])])
def test_grade_rejects_empty(correct_ids, chosen_ids):
    with pytest.raises(ValueError, match="option"):
        engine.grade(correct_ids, chosen_ids)


@pytest.mark.parametrize("n", [0, 1, 2, 4, 10])
def test_shuffle_order_is_a_deterministic_permutation(n):
    order = engine.shuffle_order(n, seed=42)
    assert sorted(order) == list(range(n))
    assert engine.shuffle_order(n, seed=42) == order


def test_shuffle_order_depends_on_seed():
    orders = {engine.shuffle_order(6, seed=seed) for seed in range(20)}
    assert len(orders) > 1


def test_shuffle_order_rejects_negative():
    with pytest.raises(ValueError, match="n must be"):
        engine.shuffle_order(-1, seed=1)


@pytest.mark.parametrize(
    ("order", "displayed", "original"),
    [
        ((2, 0, 1), (0,), (2,)),
        ((2, 0, 1), (1, 2), (0, 1)),
        ((0, 1, 2), (2,), (2,)),
        ((3, 1, 0, 2), (), ()),
    ],
)
def test_index_mapping_round_trips(order, displayed, original):
    assert engine.to_original(order, displayed) == original
    assert engine.to_displayed(order, original) == displayed


@pytest.mark.parametrize("seed", range(5))
def test_mapping_is_inverse_for_random_orders(seed):
    order = engine.shuffle_order(7, seed=seed)
    ids = tuple(range(7))
    assert engine.to_original(order, engine.to_displayed(order, ids)) == ids


def test_mapping_rejects_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        engine.to_original((1, 0), (2,))
    with pytest.raises(ValueError, match="not in order"):
        engine.to_displayed((1, 0), (5,))


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, []), (2, ["A", "B"]), (4, ["A", "B", "C", "D"]), (10, list("ABCDEFGHIJ"))],
)
def test_letters(n, expected):
    assert engine.letters(n) == expected


@pytest.mark.parametrize("n", [-1, 11])
def test_letters_rejects_bad_count(n):
    with pytest.raises(ValueError, match="options"):
        engine.letters(n)
