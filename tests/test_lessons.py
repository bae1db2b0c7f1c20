"""Everything in lessons/ loads through the real loader; the ITIL 4 course meets its bar."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.content.loader import check_catalog, load_catalog
from bot.content.markup import render_lesson
from bot.content.schema import QuestionType
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
    assert len(itil.lessons) >= 14
    assert len(itil.questions) >= 90
    per_objective = Counter(q.objective for q in itil.questions)
    assert set(per_objective) == {o.id for o in itil.objectives}
    assert min(per_objective.values()) >= 8, per_objective


def test_itil_questions_explained_and_mixed(itil) -> None:  # type: ignore[no-untyped-def]
    assert all(q.explanation.strip() for q in itil.questions)
    kinds = Counter(q.type for q in itil.questions)
    assert kinds[QuestionType.TRUE_FALSE] >= 5
    assert kinds[QuestionType.MULTIPLE] >= 5
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
    # No position holds more than half of the right answers (the bot also shuffles).
    assert max(positions.values()) <= len(singles) / 2, positions


def test_itil_lessons_are_phone_sized(itil) -> None:  # type: ignore[no-untyped-def]
    for index, lesson in enumerate(itil.lessons, 1):
        assert len(lesson.body) <= 1200, lesson.id
        assert len(render_lesson(lesson, index=index, total=len(itil.lessons))) <= 4096


def test_itil_exam_settings_match_foundation_format(itil) -> None:  # type: ignore[no-untyped-def]
    assert itil.exam is not None
    assert (itil.exam.questions, itil.exam.minutes, itil.exam.pass_mark) == (40, 60, 26)
    assert any("itil" in tag.lower() for tag in itil.tags)
    assert itil.disclaimer
    assert "endorsed" in itil.disclaimer.lower()
