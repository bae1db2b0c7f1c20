"""Tests for bot.progress.exam."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.content.schema import Option, Question, QuestionType
from bot.progress.exam import (
    ExamResult,
    draw_exam,
    exam_deadline,
    exam_pools,
    pass_mark_for,
    score_exam,
    time_left,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def bank(**sizes: int) -> dict[str, list[str]]:
    return {name: [f"{name}{i}" for i in range(size)] for name, size in sizes.items()}


@pytest.mark.parametrize(
    ("sizes", "count", "expected"),
    [
        ({"a": 10, "b": 10}, 4, {"a": 2, "b": 2}),
        ({"a": 30, "b": 10}, 4, {"a": 3, "b": 1}),
        # 7 * 5/10 = 3.5, 7 * 3/10 = 2.1, 7 * 2/10 = 1.4 → floors 3,2,1 + one to the .5
        ({"a": 5, "b": 3, "c": 2}, 7, {"a": 4, "b": 2, "c": 1}),
        # 2 * 1/3 each: equal remainders, the first listed wins the ties
        ({"a": 1, "b": 1, "c": 1}, 2, {"a": 1, "b": 1}),
        # count capped at the total
        ({"a": 2, "b": 1}, 10, {"a": 2, "b": 1}),
        ({"a": 2, "b": 1}, 0, {}),
        ({"a": 0, "b": 4}, 2, {"b": 2}),
        ({}, 5, {}),
    ],
)
def test_draw_exam_is_proportional(sizes, count, expected):
    drawn = draw_exam(bank(**sizes), count=count, rng=random.Random(1))
    assert len(drawn) == len(set(drawn))
    assert Counter(key[0] for key in drawn) == expected


def test_draw_exam_ties_go_to_bigger_objective():
    # 3 * 2/4 = 1.5 and 3 * 1/4 = 0.75, 0.75: floors 1,0,0; remainders .5,.75,.75 → b and c
    drawn = draw_exam(bank(a=2, b=1, c=1), count=3, rng=random.Random(1))
    assert Counter(key[0] for key in drawn) == {"a": 1, "b": 1, "c": 1}


def test_draw_exam_skips_keys_listed_twice():
    questions = {"a": ["q1", "q2"], "b": ["q2", "q3"]}
    drawn = draw_exam(questions, count=10, rng=random.Random(3))
    assert sorted(drawn) == ["q1", "q2", "q3"]


def test_draw_exam_is_deterministic_and_shuffled():
    questions = bank(a=20, b=20)
    first = draw_exam(questions, count=20, rng=random.Random(5))
    assert first == draw_exam(questions, count=20, rng=random.Random(5))
    orders = {tuple(draw_exam(questions, count=20, rng=random.Random(s))) for s in range(5)}
    assert len(orders) > 1
    assert first != sorted(first)


def test_draw_exam_rejects_negative_count():
    with pytest.raises(ValueError, match="count"):
        draw_exam(bank(a=3), count=-1, rng=random.Random(0))


@pytest.mark.parametrize(
    ("pass_mark", "size", "full_size", "expected"),
    [(26, 40, 40, 26), (26, 10, 40, 7), (26, 20, 40, 13), (26, 1, 40, 1), (0, 10, 40, 0),
     (40, 10, 40, 10), (30, 10, 40, 8)],
)  # fmt: skip
def test_pass_mark_scales_up(pass_mark, size, full_size, expected):
    assert pass_mark_for(pass_mark=pass_mark, size=size, full_size=full_size) == expected


@pytest.mark.parametrize(
    ("pass_mark", "size", "full_size"), [(26, 10, 0), (41, 10, 40), (-1, 10, 40), (26, -1, 40)]
)
def test_pass_mark_rejects_inconsistent_marks(pass_mark, size, full_size):
    with pytest.raises(ValueError, match="must be"):
        pass_mark_for(pass_mark=pass_mark, size=size, full_size=full_size)


def test_score_exam_short_exam_needs_seven_of_ten():
    items = [("verbs", True)] * 5 + [("nouns", True)] * 2 + [("nouns", False)] * 3
    result = score_exam(items, pass_mark=26, size=10, full_size=40)
    assert result == ExamResult(
        total=10,
        correct=7,
        passed=True,
        per_objective={"verbs": (5, 5), "nouns": (2, 5)},
        needed=7,
    )


def test_score_exam_six_of_ten_fails():
    items = [("verbs", True)] * 6 + [("verbs", False)] * 4
    result = score_exam(items, pass_mark=26, size=10, full_size=40)
    assert (result.correct, result.passed, result.needed) == (6, False, 7)


def test_score_exam_unanswered_count_as_wrong():
    result = score_exam([("verbs", True)] * 6, pass_mark=26, size=10, full_size=40)
    assert (result.total, result.correct, result.passed) == (10, 6, False)


def test_score_exam_rejects_too_many_answers():
    with pytest.raises(ValueError, match="answers"):
        score_exam([("a", True)] * 3, pass_mark=1, size=2, full_size=2)


def test_exam_deadline_and_time_left():
    deadline = exam_deadline(T0, 15)
    assert deadline == T0 + timedelta(minutes=15)
    assert time_left(deadline, T0 + timedelta(minutes=10)) == timedelta(minutes=5)
    assert time_left(deadline, deadline) == timedelta(0)
    assert time_left(deadline, deadline + timedelta(hours=1)) == timedelta(0)


def test_exam_deadline_rejects_bad_input():
    with pytest.raises(ValueError, match="naive"):
        exam_deadline(datetime(2026, 3, 2, 9, 0), 15)
    with pytest.raises(ValueError, match="minutes"):
        exam_deadline(T0, 0)


def _question(qid: str, objective: str, kind: str, options: int):
    return Question(
        id=qid,
        course_id="c",
        lesson_id="l",
        type=QuestionType(kind),
        prompt="?",
        options=tuple(Option(text=str(i), correct=i == 0) for i in range(options)),
        explanation="e",
        objective=objective,
    )


MIXED = [
    _question("s1", "a", "single", 4),
    _question("s2", "b", "single", 4),
    _question("s3", "b", "single", 3),
    _question("tf", "a", "true_false", 2),
    _question("m1", "b", "multiple", 4),
]


@pytest.mark.parametrize(
    ("paused", "wanted", "expected"),
    [
        # enough exam-style items (single answer, four options): only those are drawn
        (set(), 2, {"a": ["s1"], "b": ["s2"]}),
        (set(), 1, {"a": ["s1"], "b": ["s2"]}),
        # too few: every question type, so a short course still gets its exam
        (set(), 3, {"a": ["s1", "tf"], "b": ["s2", "s3", "m1"]}),
        # paused questions never count
        ({"s2"}, 2, {"a": ["s1", "tf"], "b": ["s3", "m1"]}),
    ],
)
def test_exam_pools_prefer_exam_style_items(paused, wanted, expected):
    assert exam_pools(MIXED, paused=paused, wanted=wanted) == expected
