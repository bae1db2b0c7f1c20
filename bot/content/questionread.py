"""Read a lesson's questions: ids, objectives, options and true/false answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from yaml.nodes import Node

from bot.content.schema import Option, Question, QuestionStyle, QuestionType
from bot.content.yamlread import (
    File,
    did_you_mean,
    read_bool,
    read_choice,
    read_mapping,
    read_seq,
    read_slug,
    read_str,
)

DIFFICULTIES = ("easy", "medium", "hard")

_E = TypeVar("_E", bound=StrEnum)
QUESTION_KEYS = ("id", "type", "prompt", "explanation")
QUESTION_OPTIONAL = ("options", "answer", "difficulty", "objective", "style")


@dataclass(slots=True)
class Ids:
    """First place each id and position was used in a course (lessons and questions share ids)."""

    ids: dict[str, str] = field(default_factory=dict)
    positions: dict[int, str] = field(default_factory=dict)
    question_count: int = 0
    counted_all: bool = True  # False when a lesson file's questions could not be counted

    def claim_id(self, file: File, node: Node, path: str, value: str | None) -> None:
        if value is None:
            return
        where = f"{file.name}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"
        if value in self.ids:
            file.error(node, path, f"duplicate id '{value}' (first used at {self.ids[value]})")
        else:
            self.ids[value] = where

    def claim_position(self, file: File, node: Node, value: int | None) -> None:
        if value is None:
            return
        if value in self.positions:
            file.error(
                node, "position", f"duplicate position {value} (also in {self.positions[value]})"
            )
        else:
            self.positions[value] = file.name


def objective_refs(file: File, node: Node, objectives: set[str] | None) -> tuple[str, ...] | None:
    items = read_seq(file, node, "objectives", min_items=1, max_items=50, what="objectives")
    if items is None:
        return None
    refs: list[str] = []
    for i, item in enumerate(items):
        path = f"objectives[{i}]"
        ref = objective_ref(file, item, path, objectives)
        if ref is not None and ref in refs:
            file.error(item, path, f"objective '{ref}' is listed twice")
        elif ref is not None:
            refs.append(ref)
    return tuple(refs) if len(refs) == len(items) else None


def objective_ref(file: File, node: Node, path: str, objectives: set[str] | None) -> str | None:
    ref = read_slug(file, node, path)
    if ref is None or objectives is None or ref in objectives:
        return ref
    known = sorted(objectives)
    file.error(
        node,
        path,
        f"unknown objective '{ref}'{did_you_mean(ref, known)}; "
        f"course.yaml defines: {', '.join(known)}",
    )
    return None


@dataclass(slots=True)
class _QuestionFields:
    """A question's fields read so far; None when missing or invalid."""

    objective: str | None
    id: str | None = None
    kind: QuestionType | None = None
    prompt: str | None = None
    explanation: str | None = None
    difficulty: str | None = "medium"
    style: QuestionStyle | None = QuestionStyle.STANDARD
    options: tuple[Option, ...] | None = None


def read_question(
    file: File,
    node: Node,
    path: str,
    *,
    course_id: str,
    lesson_id: str,
    default_objective: str | None,
    objectives: set[str] | None,
    ids: Ids,
) -> Question | None:
    """Read one question mapping; return it when it holds no error."""
    keys = read_mapping(file, node, path, required=QUESTION_KEYS, optional=QUESTION_OPTIONAL)
    if keys is None:
        return None
    before = file.count
    f = _QuestionFields(objective=default_objective)
    if "id" in keys:
        f.id = read_slug(file, keys["id"], f"{path}.id")
        ids.claim_id(file, keys["id"], f"{path}.id", f.id)
    if "type" in keys:
        f.kind = _enum(file, keys["type"], f"{path}.type", QuestionType)
    if "prompt" in keys:
        f.prompt = read_str(file, keys["prompt"], f"{path}.prompt", max_len=300)
    if "explanation" in keys:
        f.explanation = _explanation(file, keys["explanation"], f"{path}.explanation")
    if "difficulty" in keys:
        f.difficulty = read_choice(file, keys["difficulty"], f"{path}.difficulty", DIFFICULTIES)
    if "style" in keys:
        f.style = _enum(file, keys["style"], f"{path}.style", QuestionStyle)
    if "objective" in keys:
        f.objective = objective_ref(file, keys["objective"], f"{path}.objective", objectives)
    if f.kind is not None:
        f.options = _question_options(file, node, keys, path, f.kind)
    if file.count > before or f.objective is None:
        return None  # a missing objective was reported on the lesson's `objectives`
    return _question(f, course_id=course_id, lesson_id=lesson_id)


def _question(f: _QuestionFields, *, course_id: str, lesson_id: str) -> Question | None:
    if (
        f.id is None
        or f.kind is None
        or f.prompt is None
        or f.explanation is None
        or f.difficulty is None
        or f.style is None
        or f.options is None
        or f.objective is None
    ):
        return None  # unreachable: every None was reported
    return Question(
        id=f.id,
        course_id=course_id,
        lesson_id=lesson_id,
        type=f.kind,
        prompt=f.prompt,
        options=f.options,
        explanation=f.explanation,
        difficulty=f.difficulty,
        objective=f.objective,
        style=f.style,
    )


def _enum(file: File, node: Node, path: str, enum: type[_E]) -> _E | None:
    raw = read_choice(file, node, path, [member.value for member in enum])
    return enum(raw) if raw is not None else None


def _question_options(
    file: File, node: Node, keys: dict[str, Node], path: str, kind: QuestionType
) -> tuple[Option, ...] | None:
    if kind is QuestionType.TRUE_FALSE:
        return _true_false(file, node, keys, path)
    if "answer" in keys:
        file.error(keys["answer"], f"{path}.answer", "'answer' is only for true_false questions")
    if "options" not in keys:
        file.error(node, path, f"missing required key 'options' ({kind.value} question)")
        return None
    return _options(file, keys["options"], f"{path}.options", kind)


def _explanation(file: File, node: Node, path: str) -> str | None:
    text = read_str(file, node, path, max_len=200)
    if text is not None and text.count("\n") > 2:
        file.error(node, path, f"at most 2 line breaks, got {text.count(chr(10))}")
        return None
    return text


def _true_false(
    file: File, node: Node, keys: dict[str, Node], path: str
) -> tuple[Option, ...] | None:
    if "options" in keys:
        file.error(
            keys["options"],
            f"{path}.options",
            "true_false questions take 'answer: true|false', not 'options'",
        )
    if "answer" not in keys:
        file.error(node, path, "missing required key 'answer' (true_false question)")
        return None
    answer = read_bool(file, keys["answer"], f"{path}.answer")
    if answer is None:
        return None
    return (Option(text="True", correct=answer), Option(text="False", correct=not answer))


def _options(file: File, node: Node, path: str, kind: QuestionType) -> tuple[Option, ...] | None:
    items = read_seq(file, node, path, min_items=2, max_items=10, what="options")
    if items is None:
        return None
    options: list[Option] = []
    texts: dict[str, int] = {}
    for i, item in enumerate(items):
        option = _option(file, item, f"{path}[{i}]", index=i, texts=texts, path=path)
        if option is not None:
            options.append(option)
    if len(options) != len(items):
        return None
    return tuple(options) if _counts_fit(file, node, path, kind, options) else None


def _option(
    file: File, node: Node, option_path: str, *, index: int, texts: dict[str, int], path: str
) -> Option | None:
    keys = read_mapping(
        file, node, option_path, required=("text",), optional=("correct", "why_not", "concept")
    )
    if keys is None or "text" not in keys:
        return None
    text = read_str(file, keys["text"], f"{option_path}.text", max_len=100)
    correct = (
        read_bool(file, keys["correct"], f"{option_path}.correct") if "correct" in keys else False
    )
    why_not = None
    if "why_not" in keys:
        why_not = read_str(file, keys["why_not"], f"{option_path}.why_not", max_len=200)
        if correct:
            file.error(
                keys["why_not"],
                f"{option_path}.why_not",
                "why_not is only for wrong options (put the reason in explanation)",
            )
    concept = (
        read_slug(file, keys["concept"], f"{option_path}.concept") if "concept" in keys else None
    )
    if text is not None:
        if text.casefold() in texts:
            file.error(
                keys["text"],
                f"{option_path}.text",
                f"duplicate option text '{text}' (same as {path}[{texts[text.casefold()]}])",
            )
        texts.setdefault(text.casefold(), index)
    if text is None or correct is None:
        return None
    return Option(text=text, correct=correct, why_not=why_not, concept=concept)


def _counts_fit(
    file: File, node: Node, path: str, kind: QuestionType, options: list[Option]
) -> bool:
    right = sum(option.correct for option in options)
    wrong = len(options) - right
    if kind is QuestionType.SINGLE and right != 1:
        file.error(node, path, f"single question needs exactly 1 correct option, got {right}")
        return False
    if kind is QuestionType.MULTIPLE and (right < 2 or wrong < 1):
        file.error(
            node,
            path,
            "multiple question needs at least 2 correct and 1 wrong option, "
            f"got {right} correct and {wrong} wrong",
        )
        return False
    return True
