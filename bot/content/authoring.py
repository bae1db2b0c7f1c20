"""Course-author commands: check content folders and preview a lesson as learners see it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from bot.content.cues import breaches, course_cues, cues_json, report_lines
from bot.content.loader import check_catalog
from bot.content.markup import render_lesson, strip_html
from bot.content.schema import Catalog, ContentError, Course, Lesson, Question, QuestionType

RULE = "─" * 40
LETTERS = "ABCDEFGHIJKL"


def check_command(root: Path, *, as_json: bool, out: TextIO, strict: bool = False) -> int:
    """Validate every course under root, print a summary or every error; return the exit code.

    With strict, a valid course whose answer cues exceed the thresholds (content.cues) fails.
    """
    catalog, errors = check_catalog(root)
    cue_lines = _cue_breaches(catalog) if strict else []
    ok = catalog is not None and not cue_lines
    if as_json:
        report = _check_report(catalog, errors) | {"ok": ok}
        out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    elif catalog is None:
        for error in errors:
            out.write(f"{error}\n")
        count = len(errors)
        out.write(f"{count} error{'s' if count != 1 else ''} in {root.as_posix()}\n")
    elif cue_lines:
        out.writelines(f"{line}\n" for line in cue_lines)
        count = len(cue_lines)
        out.write(f"{count} cue{'s' if count != 1 else ''} over the thresholds (--strict)\n")
    else:
        out.write(_summary(catalog))
    return 0 if ok else 1


def _cue_breaches(catalog: Catalog | None) -> list[str]:
    return [line for course in catalog or () for line in breaches(course_cues(course))]


def _check_report(catalog: Catalog | None, errors: list[ContentError]) -> dict[str, object]:
    courses = [
        {
            "id": course.id,
            "title": course.title,
            "lessons": len(course.lessons),
            "questions": len(course.questions),
            "objectives": _objective_counts(course),
            "cues": cues_json(course_cues(course)),
        }
        for course in catalog or ()
    ]
    return {"ok": catalog is not None, "errors": [str(e) for e in errors], "courses": courses}


def _objective_counts(course: Course) -> dict[str, int]:
    return {o.id: len(course.questions_for_objective(o.id)) for o in course.objectives}


def _summary(catalog: Catalog) -> str:
    lessons = sum(len(course.lessons) for course in catalog)
    questions = sum(len(course.questions) for course in catalog)
    lines = [
        f"OK: {_plural(len(catalog), 'course')}, {_plural(lessons, 'lesson')}, "
        f"{_plural(questions, 'question')}"
    ]
    for course in catalog:
        lines += ["", f"{course.id}: {course.title}"]
        lines.append(
            f"  {_plural(len(course.lessons), 'lesson')}, "
            f"{_plural(len(course.questions), 'question')}, "
            f"language {course.language}, version {course.version}"
        )
        lines.append("  questions per objective:")
        width = max(len(o.id) for o in course.objectives)
        for objective_id, count in _objective_counts(course).items():
            warning = "  <- no questions yet" if count == 0 else ""
            lines.append(f"    {objective_id:<{width}}  {count:>3}{warning}")
        if course.exam is None:
            lines.append("  exam: none")
        else:
            exam = course.exam
            lines.append(
                f"  exam: {exam.questions} questions, {exam.minutes} minutes, "
                f"pass mark {exam.pass_mark}"
            )
        lines += report_lines(course_cues(course))
    return "\n".join(lines) + "\n"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def preview_command(root: Path, course_id: str, lesson_id: str, *, out: TextIO) -> int:
    """Print a lesson and its questions with answers as plain text; return the exit code."""
    catalog, errors = check_catalog(root)
    if catalog is None:
        for error in errors:
            out.write(f"{error}\n")
        return 1
    course = catalog.course(course_id)
    if course is None:
        known = ", ".join(c.id for c in catalog) or "none"
        out.write(f"unknown course '{course_id}'; courses: {known}\n")
        return 1
    lesson = course.lesson(lesson_id)
    if lesson is None:
        known = ", ".join(item.id for item in course.lessons)
        out.write(f"unknown lesson '{lesson_id}' in course '{course_id}'; lessons: {known}\n")
        return 1
    out.write(_preview(course, lesson))
    return 0


def _preview(course: Course, lesson: Lesson) -> str:
    index = course.lessons.index(lesson) + 1
    text = strip_html(render_lesson(lesson, index=index, total=len(course.lessons)))
    lines = [text]
    if lesson.sources:
        lines += ["", "Sources:", *(f"- {source}" for source in lesson.sources)]
    total = len(lesson.questions)
    for number, question in enumerate(lesson.questions, start=1):
        lines += ["", RULE, *_question_lines(question, number=number, total=total)]
    return "\n".join(lines) + "\n"


def _question_lines(question: Question, *, number: int, total: int) -> list[str]:
    kind = question.type.value
    if question.type is QuestionType.MULTIPLE:
        kind += f", choose {len(question.correct_ids)}"
    lines = [
        f"Question {number}/{total}  [{question.id}]  {kind}, {question.difficulty}, "
        f"objective {question.objective}",
        question.prompt,
    ]
    for letter, option in zip(LETTERS, question.options, strict=False):
        mark = "  ✓ correct" if option.correct else ""
        concept = f"  (concept: {option.concept})" if option.concept else ""
        lines.append(f"  {letter}) {option.text}{mark}{concept}")
        if option.why_not:
            lines.append(f"     why not: {option.why_not}")
    lines.append(f"Explanation: {question.explanation}")
    return lines
