"""Read one lesson file: its fields and its questions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import Node, SequenceNode

from bot.content.questionread import Ids, objective_refs, read_question
from bot.content.schema import Lesson, Question
from bot.content.yamlread import (
    File,
    Run,
    compose,
    read_int,
    read_mapping,
    read_seq,
    read_slug,
    read_str,
    read_str_list,
)

LESSON_KEYS = ("id", "title", "position", "objectives", "body", "questions")
LESSON_OPTIONAL = ("key_points", "sources")


@dataclass(slots=True, kw_only=True)
class ReadLesson:
    """A valid lesson with its file and body node (for the rendered-size check)."""

    lesson: Lesson
    file: File
    body_node: Node


@dataclass(slots=True)
class _LessonFields:
    """A lesson file's fields read so far; None when missing or invalid."""

    id: str | None = None
    title: str | None = None
    position: int | None = None
    objectives: tuple[str, ...] | None = None
    body: str | None = None
    key_points: tuple[str, ...] | None = ()
    sources: tuple[str, ...] | None = ()


def read_lesson_file(
    path: Path, run: Run, *, course_id: str, objectives: set[str] | None, ids: Ids
) -> ReadLesson | None:
    """Read one lesson file; return it when the file holds no error."""
    file, root = compose(path, run)
    keys = None
    if root is not None:
        keys = read_mapping(file, root, "", required=LESSON_KEYS, optional=LESSON_OPTIONAL)
    if keys is None or not isinstance(keys.get("questions"), SequenceNode):
        ids.counted_all = False
    if keys is None:
        return None
    fields = _lesson_fields(file, keys, objectives, ids)
    questions = _lesson_questions(
        file, keys, course_id=course_id, fields=fields, objectives=objectives, ids=ids
    )
    if file.count:
        return None
    lesson = _lesson(fields, course_id=course_id, questions=questions, file=file)
    if lesson is None:
        return None  # unreachable: every None field was reported
    return ReadLesson(lesson=lesson, file=file, body_node=keys["body"])


def _lesson_fields(
    file: File, keys: dict[str, Node], objectives: set[str] | None, ids: Ids
) -> _LessonFields:
    fields = _LessonFields()
    if "id" in keys:
        fields.id = read_slug(file, keys["id"], "id")
        ids.claim_id(file, keys["id"], "id", fields.id)
    if "title" in keys:
        fields.title = read_str(file, keys["title"], "title", max_len=120)
    if "position" in keys:
        fields.position = read_int(file, keys["position"], "position", minimum=1)
        ids.claim_position(file, keys["position"], fields.position)
    if "objectives" in keys:
        fields.objectives = objective_refs(file, keys["objectives"], objectives)
    if "body" in keys:
        fields.body = read_str(file, keys["body"], "body", max_len=3000)
    if "key_points" in keys:
        fields.key_points = read_str_list(
            file, keys["key_points"], "key_points", max_items=6, max_len=200, what="key points"
        )
    if "sources" in keys:
        fields.sources = read_str_list(
            file, keys["sources"], "sources", max_items=50, max_len=200, what="sources"
        )
    return fields


def _lesson_questions(
    file: File,
    keys: dict[str, Node],
    *,
    course_id: str,
    fields: _LessonFields,
    objectives: set[str] | None,
    ids: Ids,
) -> list[Question]:
    if "questions" not in keys:
        return []
    node = keys["questions"]
    items = read_seq(file, node, "questions", min_items=1, max_items=30, what="questions")
    if isinstance(node, SequenceNode):
        ids.question_count += len(node.value)
    default_objective = fields.objectives[0] if fields.objectives else None
    questions: list[Question] = []
    for i, item in enumerate(items or ()):
        question = read_question(
            file,
            item,
            f"questions[{i}]",
            course_id=course_id,
            lesson_id=fields.id or "",
            default_objective=default_objective,
            objectives=objectives,
            ids=ids,
        )
        if question is not None:
            questions.append(question)
    return questions


def _lesson(
    fields: _LessonFields, *, course_id: str, questions: list[Question], file: File
) -> Lesson | None:
    f = fields
    if (
        f.id is None
        or f.title is None
        or f.position is None
        or f.objectives is None
        or f.body is None
        or f.key_points is None
        or f.sources is None
    ):
        return None
    return Lesson(
        id=f.id,
        course_id=course_id,
        title=f.title,
        position=f.position,
        objectives=f.objectives,
        body=f.body,
        key_points=f.key_points,
        sources=f.sources,
        questions=tuple(questions),
        file=file.name,
    )
