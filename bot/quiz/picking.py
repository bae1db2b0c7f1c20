"""Pure choice of what to study next: the next lesson, the next new question."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from bot.content.schema import Course, Lesson, Question


def pick_next_lesson(course: Course, done: AbstractSet[str]) -> Lesson | None:
    """Return the first lesson of the course not in `done`."""
    return next((lesson for lesson in course.lessons if lesson.id not in done), None)


def pick_new_question(
    course: Course,
    *,
    answered: set[str],
    paused: set[str],
    done_lessons: set[str],
    current_lesson_id: str | None,
    lesson_id: str | None = None,
    pending: AbstractSet[str] = frozenset(),
) -> Question | None:
    """Choose the next unanswered question: the given or current lesson first, then in order.

    Questions already sent and still waiting for an answer (`pending`) come last, so a
    "take the quiz" tap after a scheduled delivery does not repeat the question just sent.
    """
    order: list[Lesson] = []
    for wanted in (lesson_id, current_lesson_id):
        lesson = course.lesson(wanted) if wanted else None
        if lesson is not None and lesson not in order:
            order.append(lesson)
    if lesson_id is None:
        order += [item for item in course.lessons if item not in order]
    candidates = [
        question
        for lesson in order
        for question in lesson.questions
        if question.id not in answered and question.id not in paused
    ]
    fresh = [question for question in candidates if question.id not in pending]
    chosen = fresh or candidates
    return chosen[0] if chosen else None
