"""Everything in lessons/ loads through the real loader; the ITIL 4 course meets its bar."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from bot.content.loader import check_catalog, load_catalog
from bot.content.markup import render_lesson
from bot.content.schema import QuestionStyle, QuestionType
from bot.progress.exam import draw_exam, exam_pools
from tests.botkit import REAL_LESSONS


def test_every_course_in_lessons_loads_without_errors() -> None:
    catalog, errors = check_catalog(REAL_LESSONS)
    assert [str(e) for e in errors] == []
    assert catalog is not None
    assert len(catalog) >= 1


@pytest.fixture(scope="module")
def itil():  # type: ignore[no-untyped-def]
    course = load_catalog(REAL_LESSONS).course("itil4-customer")
    assert course is not None
    return course


def test_itil_course_size(itil) -> None:  # type: ignore[no-untyped-def]
    assert len(itil.lessons) >= 18
    assert len(itil.questions) >= 150
    per_objective = Counter(q.objective for q in itil.questions)
    assert set(per_objective) == {o.id for o in itil.objectives}
    assert min(per_objective.values()) >= 8, per_objective


def test_itil_questions_explained_and_mixed(itil) -> None:  # type: ignore[no-untyped-def]
    assert all(q.explanation.strip() for q in itil.questions)
    kinds = Counter(q.type for q in itil.questions)
    assert kinds[QuestionType.TRUE_FALSE] >= 5
    assert kinds[QuestionType.MULTIPLE] >= 1
    styles = Counter(q.style for q in itil.questions)
    assert styles[QuestionStyle.MISSING_WORD] >= 12, styles
    assert styles[QuestionStyle.NUMBERED_LIST] >= 12, styles
    styled = [q for q in itil.questions if q.style != QuestionStyle.STANDARD]
    assert all(q.type == QuestionType.SINGLE for q in styled)
    negative = [q for q in itil.questions if " NOT " in q.prompt]
    assert len(negative) >= 3


def test_itil_wrong_options_of_scenarios_have_feedback(itil) -> None:  # type: ignore[no-untyped-def]
    scenarios = [
        q for q in itil.questions if q.type != QuestionType.TRUE_FALSE and len(q.prompt) > 120
    ]
    assert scenarios
    for q in scenarios:
        missing = [o.text for o in q.options if not o.correct and not o.why_not]
        assert not missing, (q.id, missing)


def test_itil_correct_answers_spread_across_positions(itil) -> None:  # type: ignore[no-untyped-def]
    singles = [q for q in itil.questions if q.type == QuestionType.SINGLE]
    positions = Counter(q.correct_ids[0] for q in singles)
    # Keys are spread evenly over the positions (the bot also shuffles).
    assert max(positions.values()) <= len(singles) * 0.3, positions


def test_itil_cues_are_controlled(itil) -> None:  # type: ignore[no-untyped-def]
    singles = [q for q in itil.questions if q.type == QuestionType.SINGLE]
    longest = []
    for q in singles:
        lengths = [len(o.text) for o in q.options]
        key = lengths[q.correct_ids[0]]
        if key == max(lengths) and lengths.count(key) == 1:
            longest.append(q.id)
    assert len(longest) <= len(singles) * 0.25, longest
    absolute = re.compile(r"\b(always|only|every|never|cannot|all|must)\b", re.IGNORECASE)
    true_false = [q for q in itil.questions if q.type == QuestionType.TRUE_FALSE]
    with_absolute = Counter(
        q.options[q.correct_ids[0]].text for q in true_false if absolute.search(q.prompt)
    )
    assert with_absolute["False"] <= with_absolute["True"] + 1, with_absolute


def test_itil_mock_exam_pool_is_four_option_singles(itil) -> None:  # type: ignore[no-untyped-def]
    pool = [q for q in itil.questions if q.type == QuestionType.SINGLE and len(q.options) == 4]
    assert len(pool) >= 40
    assert {q.objective for q in pool} == {o.id for o in itil.objectives}


def test_itil_lessons_are_phone_sized(itil) -> None:  # type: ignore[no-untyped-def]
    for index, lesson in enumerate(itil.lessons, 1):
        assert len(lesson.body) <= 900, lesson.id
        assert len(render_lesson(lesson, index=index, total=len(itil.lessons))) <= 4096


def test_itil_exam_settings_match_foundation_format(itil) -> None:  # type: ignore[no-untyped-def]
    assert itil.exam is not None
    assert (itil.exam.questions, itil.exam.minutes, itil.exam.pass_mark) == (40, 60, 26)
    assert any("itil" in tag.lower() for tag in itil.tags)
    assert itil.disclaimer
    assert "endorsed" in itil.disclaimer.lower()


def test_itil_mock_exam_draws_only_exam_style_items(itil) -> None:  # type: ignore[no-untyped-def]
    pools = exam_pools(itil.questions, paused=set(), wanted=itil.exam.questions)
    drawn = draw_exam(pools, count=itil.exam.questions, rng=random.Random(7))
    by_id = {q.id: q for q in itil.questions}
    assert len(drawn) == 40
    assert {by_id[i].type for i in drawn} == {QuestionType.SINGLE}
    assert {len(by_id[i].options) for i in drawn} == {4}
    assert len({by_id[i].objective for i in drawn}) == len(itil.objectives)
