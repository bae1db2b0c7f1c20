"""Load and validate course folders of lesson YAML into a Catalog."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from yaml.nodes import Node

from bot.content.lessonread import ReadLesson, read_lesson_file
from bot.content.markup import render_lesson
from bot.content.questionread import Ids
from bot.content.schema import (
    Catalog,
    ContentError,
    ContentErrors,
    Course,
    ExamSettings,
    Objective,
)
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

COURSE_FILE = "course.yaml"
MESSAGE_LIMIT = 4096
LANGUAGE = re.compile(r"[A-Za-z0-9-]{2,8}")
_COURSE_KEYS = ("id", "title", "description", "language", "version", "objectives")
_COURSE_OPTIONAL = ("tags", "disclaimer", "exam")


def load_catalog(root: Path) -> Catalog:
    """Load every course under root; raise ContentErrors listing every problem found."""
    catalog, errors = check_catalog(root)
    if catalog is None:
        raise ContentErrors(errors)
    return catalog


def check_catalog(root: Path) -> tuple[Catalog | None, list[ContentError]]:
    """Load every course under root and return the catalog (None on errors) and all errors."""
    run = Run()
    courses: list[Course] = []
    seen_ids: dict[str, str] = {}
    for folder in _course_folders(root, run):
        loaded = _load_course(folder, run)
        if loaded is None:
            continue
        head, course = loaded
        if head.id is None:
            continue
        if head.id in seen_ids:
            head.file.error(
                head.id_node,
                "id",
                f"duplicate course id '{head.id}' (also in {seen_ids[head.id]})",
            )
            continue
        seen_ids[head.id] = head.file.name
        if course is not None:
            courses.append(course)
    errors = run.sorted_errors()
    if errors:
        return None, errors
    return Catalog(courses=tuple(courses)), []


def _course_folders(root: Path, run: Run) -> list[Path]:
    """Return the course folders under root (or root itself when it is a course folder)."""
    if not root.exists():
        run.file(root).error(None, "", "no such directory")
        return []
    if not root.is_dir():
        run.file(root).error(None, "", "not a directory")
        return []
    if (root / COURSE_FILE).exists():
        return [root]
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not _ignored(p))
    stray = _lesson_files(root)
    if stray and not folders:
        return [root]  # a course folder that lacks course.yaml
    for path in stray:
        run.file(path).error(None, "", "YAML file outside a course folder (move it into one)")
    if not folders:
        run.file(root).error(
            None, "", "no courses found (a course is a folder holding course.yaml and lessons)"
        )
    return folders


def _ignored(path: Path) -> bool:
    return path.name.startswith(("_", "."))


def _lesson_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix in (".yaml", ".yml")
        and p.name != COURSE_FILE
        and not _ignored(p)
    )


# --- course.yaml ----------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class _Head:
    """A course.yaml read so far; fields are None when invalid."""

    file: File
    id: str | None = None
    id_node: Node | None = None
    fields: dict[str, object] = field(default_factory=dict)
    objectives: tuple[Objective, ...] | None = None
    exam: ExamSettings | None = None
    exam_questions_node: Node | None = None


def _read_course_file(path: Path, run: Run) -> _Head | None:
    file, root = compose(path, run)
    if root is None:
        return None
    head = _Head(file=file)
    keys = read_mapping(file, root, "", required=_COURSE_KEYS, optional=_COURSE_OPTIONAL)
    if keys is None:
        return head
    if "id" in keys:
        head.id = read_slug(file, keys["id"], "id")
        head.id_node = keys["id"]
    limits = {"title": 120, "description": 1000, "version": 50}
    for name, limit in limits.items():
        if name in keys:
            head.fields[name] = read_str(file, keys[name], name, max_len=limit)
    if "language" in keys:
        language = read_str(file, keys["language"], "language", max_len=8, min_len=2)
        if language is not None and not LANGUAGE.fullmatch(language):
            file.error(keys["language"], "language", f"invalid language tag '{language}'")
        head.fields["language"] = language
    if "tags" in keys:
        head.fields["tags"] = read_str_list(
            file, keys["tags"], "tags", max_items=50, max_len=50, what="tags"
        )
    if "disclaimer" in keys:
        head.fields["disclaimer"] = read_str(file, keys["disclaimer"], "disclaimer", max_len=500)
    if "objectives" in keys:
        head.objectives = _read_objectives(file, keys["objectives"])
    if "exam" in keys:
        head.exam = _read_exam(file, keys["exam"], head)
    return head


def _read_objectives(file: File, node: Node) -> tuple[Objective, ...] | None:
    items = read_seq(file, node, "objectives", min_items=1, max_items=50, what="objectives")
    if items is None:
        return None
    objectives: list[Objective] = []
    seen: set[str] = set()
    ok = True
    for i, item in enumerate(items):
        path = f"objectives[{i}]"
        keys = read_mapping(file, item, path, required=("id", "title"))
        if keys is None or len(keys) < 2:
            ok = False
            continue
        objective_id = read_slug(file, keys["id"], f"{path}.id")
        title = read_str(file, keys["title"], f"{path}.title", max_len=120)
        if objective_id is not None and objective_id in seen:
            file.error(keys["id"], f"{path}.id", f"duplicate objective id '{objective_id}'")
            ok = False
        elif objective_id is None or title is None:
            ok = False
        else:
            seen.add(objective_id)
            objectives.append(Objective(id=objective_id, title=title))
    return tuple(objectives) if ok else None


def _read_exam(file: File, node: Node, head: _Head) -> ExamSettings | None:
    keys = read_mapping(
        file, node, "exam", required=("questions", "minutes", "pass_mark"), optional=("note",)
    )
    if keys is None or not {"questions", "minutes", "pass_mark"} <= keys.keys():
        return None
    head.exam_questions_node = keys["questions"]
    questions = read_int(file, keys["questions"], "exam.questions", minimum=1)
    minutes = read_int(file, keys["minutes"], "exam.minutes", minimum=1)
    pass_mark = read_int(file, keys["pass_mark"], "exam.pass_mark", minimum=1)
    note = read_str(file, keys["note"], "exam.note", max_len=300) if "note" in keys else None
    if questions is not None and pass_mark is not None and pass_mark > questions:
        file.error(
            keys["pass_mark"],
            "exam.pass_mark",
            f"pass_mark {pass_mark} is more than exam.questions ({questions})",
        )
        return None
    if questions is None or minutes is None or pass_mark is None:
        return None
    if "note" in keys and note is None:
        return None
    return ExamSettings(questions=questions, minutes=minutes, pass_mark=pass_mark, note=note)


# --- a course folder ------------------------------------------------------------------------


def _load_course(folder: Path, run: Run) -> tuple[_Head, Course | None] | None:
    """Validate one course folder; return its header and the course when it is valid."""
    course_path = folder / COURSE_FILE
    head: _Head | None = None
    if course_path.is_file():
        head = _read_course_file(course_path, run)
    else:
        run.file(folder).error(None, "", f"missing {COURSE_FILE} (every course folder needs one)")
    lesson_paths = _lesson_files(folder)
    if not lesson_paths and head is not None:
        head.file.error(None, "", "course has no lesson files")
    objective_ids = None
    if head is not None and head.objectives is not None:
        objective_ids = {objective.id for objective in head.objectives}
    course_id = head.id if head is not None and head.id else folder.name
    ids = Ids()
    read = [
        read_lesson_file(path, run, course_id=course_id, objectives=objective_ids, ids=ids)
        for path in lesson_paths
    ]
    if head is None:
        return None
    exam = head.exam
    if exam is not None and ids.counted_all and exam.questions > ids.question_count:
        head.file.error(
            head.exam_questions_node,
            "exam.questions",
            f"exam draws {exam.questions} questions but the course has only {ids.question_count}",
        )
    lessons = [r for r in read if r is not None]
    _check_sizes(lessons)
    if head.id is None:
        return None
    if run.errors or len(lessons) != len(read) or not _head_complete(head):
        return head, None
    return head, _course(head, head.id, lessons)


def _check_sizes(lessons: list[ReadLesson]) -> None:
    """Report lessons whose rendered message would exceed Telegram's limit."""
    total = len(lessons)
    for item in lessons:
        size = len(render_lesson(item.lesson, index=total, total=total))
        if size > MESSAGE_LIMIT:
            item.file.error(
                item.body_node,
                "body",
                f"rendered lesson is {size} characters (Telegram limit {MESSAGE_LIMIT}); "
                "shorten body or key_points",
            )


def _course(head: _Head, course_id: str, lessons: list[ReadLesson]) -> Course:
    assert head.objectives is not None
    return Course(
        id=course_id,
        title=str(head.fields["title"]),
        description=str(head.fields["description"]),
        language=str(head.fields["language"]),
        version=str(head.fields["version"]),
        tags=_tags(head.fields.get("tags")),
        disclaimer=_opt_str(head.fields.get("disclaimer")),
        objectives=head.objectives,
        exam=head.exam,
        lessons=tuple(item.lesson for item in lessons),
    )


def _head_complete(head: _Head) -> bool:
    names = ("title", "description", "language", "version")
    return head.file.count == 0 and all(head.fields.get(n) is not None for n in names)


def _tags(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, tuple) else ()


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None
