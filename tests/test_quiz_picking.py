"""The pure choice of the next lesson and the next new question (bot/quiz/picking.py)."""

from __future__ import annotations

import ast
from collections.abc import Set as AbstractSet
from pathlib import Path

from bot.quiz import picking
from bot.quiz.picking import pick_new_question, pick_next_lesson
from tests.test_srs_flow import make_catalog

COURSE = make_catalog(objectives=3, per_objective=2).courses[0]


def pick(
    *,
    answered: AbstractSet[str] = frozenset(),
    paused: AbstractSet[str] = frozenset(),
    current_lesson_id: str | None = None,
    lesson_id: str | None = None,
    pending: AbstractSet[str] = frozenset(),
) -> str | None:
    """Pick with nothing answered, paused or pending unless told; return the question id."""
    question = pick_new_question(
        COURSE,
        answered=set(answered),
        paused=set(paused),
        done_lessons=set(),
        current_lesson_id=current_lesson_id,
        lesson_id=lesson_id,
        pending=pending,
    )
    return question.id if question is not None else None


def test_next_lesson_is_the_first_not_done() -> None:
    assert pick_next_lesson(COURSE, set()) == COURSE.lessons[0]
    assert pick_next_lesson(COURSE, {"l0", "l2"}) == COURSE.lessons[1]
    assert pick_next_lesson(COURSE, {"l0", "l1", "l2"}) is None


def test_new_question_follows_the_course_order_skipping_answered_and_paused() -> None:
    assert pick() == "q0-0"
    assert pick(answered={"q0-0"}, paused={"q0-1"}) == "q1-0"
    everything = {q.id for lesson in COURSE.lessons for q in lesson.questions}
    assert pick(answered=everything) is None


def test_current_lesson_first_then_the_rest_but_a_given_lesson_only() -> None:
    assert pick(current_lesson_id="l2") == "q2-0"
    assert pick(current_lesson_id="l2", answered={"q2-0", "q2-1"}) == "q0-0"
    assert pick(lesson_id="l1", answered={"q1-0", "q1-1"}) is None
    assert pick(lesson_id="l1", current_lesson_id="l2", answered={"q1-0", "q1-1"}) == "q2-0"


def test_pending_questions_come_last_but_are_not_lost() -> None:
    assert pick(pending=frozenset({"q0-0"})) == "q0-1"
    assert pick(lesson_id="l0", pending=frozenset({"q0-0", "q0-1"})) == "q0-0"


def test_picking_imports_neither_the_database_nor_telegram() -> None:
    tree = ast.parse(Path(picking.__file__).read_text(encoding="utf-8"))
    modules = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    banned = ("telegram", "sqlmodel", "sqlalchemy", "bot.db", "bot.tg", "bot.study")
    assert not [name for name in modules if name.startswith(banned)]
