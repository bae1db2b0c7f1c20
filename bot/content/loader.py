"""Load and validate course folders of lesson YAML into a Catalog."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.content.markup import render_lesson
from bot.content.schema import (
    Catalog,
    ContentError,
    ContentErrors,
    Course,
    ExamSettings,
    Lesson,
    Objective,
    Option,
    Question,
    QuestionStyle,
    QuestionType,
)

COURSE_FILE = "course.yaml"
MESSAGE_LIMIT = 4096
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
LANGUAGE = re.compile(r"[A-Za-z0-9-]{2,8}")
DIFFICULTIES = ("easy", "medium", "hard")

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_HINTS = {  # common confusions difflib would not catch
    "choices": "options",
    "answers": "options",
    "question": "prompt",
    "text": "prompt",
    "correct_answer": "answer",
    "name": "title",
    "content": "body",
    "objective": "objectives",
    "summary": "key_points",
}

_COURSE_KEYS = ("id", "title", "description", "language", "version", "objectives")
_COURSE_OPTIONAL = ("tags", "disclaimer", "exam")
_LESSON_KEYS = ("id", "title", "position", "objectives", "body", "questions")
_LESSON_OPTIONAL = ("key_points", "sources")
_QUESTION_KEYS = ("id", "type", "prompt", "explanation")
_QUESTION_OPTIONAL = ("options", "answer", "difficulty", "objective", "style")


def load_catalog(root: Path) -> Catalog:
    """Load every course under root; raise ContentErrors listing every problem found."""
    catalog, errors = check_catalog(root)
    if catalog is None:
        raise ContentErrors(errors)
    return catalog


def check_catalog(root: Path) -> tuple[Catalog | None, list[ContentError]]:
    """Load every course under root and return the catalog (None on errors) and all errors."""
    run = _Run()
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


# --- files and errors -----------------------------------------------------------------------


def _display(path: Path) -> str:
    """Show a path relative to the working directory when it lies below it."""
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


@dataclass(slots=True)
class _Run:
    errors: list[ContentError] = field(default_factory=list)
    order: dict[str, int] = field(default_factory=dict)

    def file(self, path: Path) -> _File:
        name = _display(path)
        self.order.setdefault(name, len(self.order))
        return _File(name=name, run=self)

    def sorted_errors(self) -> list[ContentError]:
        def key(error: ContentError) -> tuple[int, int, int]:
            return (
                self.order.get(error.file, len(self.order)),
                error.line or 0,
                error.column or 0,
            )

        return sorted(self.errors, key=key)


@dataclass(slots=True)
class _File:
    name: str
    run: _Run
    count: int = 0
    loader: yaml.SafeLoader | None = None

    def error(self, node: Node | None, path: str, message: str) -> None:
        line = column = None
        if node is not None:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        self.run.errors.append(
            ContentError(file=self.name, line=line, column=column, path=path, message=message)
        )
        self.count += 1


def _course_folders(root: Path, run: _Run) -> list[Path]:
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


def _compose(path: Path, run: _Run) -> tuple[_File, Node | None]:
    """Parse one file into a YAML node tree, reporting unreadable or invalid YAML."""
    file = run.file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        file.error(None, "", "file is not valid UTF-8 text")
        return file, None
    except OSError as exc:
        file.error(None, "", f"cannot read file: {exc.strerror or exc}")
        return file, None
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters before parsing
        file.error(None, "", "invalid YAML: " + " ".join(str(exc).split()))
        return file, None
    file.loader = loader
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot parse"
        if exc.problem and exc.context and not exc.context.startswith("while"):
            problem = f"{exc.context}, {exc.problem}"
        elif exc.problem and exc.context and exc.context_mark:
            start = exc.context_mark
            problem += f" ({exc.context} started at {start.line + 1}:{start.column + 1})"
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        run.errors.append(
            ContentError(
                file=file.name, line=line, column=column, message=f"invalid YAML: {problem}"
            )
        )
        file.count += 1
        return file, None
    except yaml.YAMLError as exc:
        file.error(None, "", f"invalid YAML: {exc}")
        return file, None
    finally:
        loader.dispose()
    if node is None:
        file.error(None, "", "file is empty")
    return file, node


# --- typed node readers ---------------------------------------------------------------------


def _key(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


def _node_kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "a value"


_BAD = object()


def _scalar(file: _File, node: Node, path: str, expected: str) -> object:
    """Return a scalar's value under yaml.safe_load rules, or _BAD after reporting."""
    if not isinstance(node, ScalarNode):
        file.error(node, path, f"expected {expected}, got {_node_kind(node)}")
        return _BAD
    assert file.loader is not None
    try:
        return file.loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        file.error(node, path, f"invalid value: {problem}")
        return _BAD


def _str(file: _File, node: Node, path: str, *, max_len: int, min_len: int = 1) -> str | None:
    value = _scalar(file, node, path, "a string")
    if value is _BAD:
        return None
    if not isinstance(value, str):
        hint = " (put it in quotes)" if value is not None else ""
        file.error(node, path, f"expected a string, got {_kind(value)}{hint}")
        return None
    text = value.strip()
    if not min_len <= len(text) <= max_len:
        if not text and min_len:
            file.error(node, path, "must not be empty")
        else:
            file.error(node, path, f"must be {min_len}-{max_len} characters, got {len(text)}")
        return None
    return text


def _slug(file: _File, node: Node, path: str) -> str | None:
    value = _str(file, node, path, max_len=10_000)
    if value is None:
        return None
    if not SLUG.fullmatch(value):
        file.error(
            node,
            path,
            f"invalid id '{value}': use 1-32 lowercase letters, digits and '-', "
            "starting with a letter or digit",
        )
        return None
    return value


def _int(file: _File, node: Node, path: str, *, minimum: int) -> int | None:
    value = _scalar(file, node, path, "an integer")
    if value is _BAD:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        file.error(node, path, f"expected an integer, got {_kind(value)}")
        return None
    if value < minimum:
        file.error(node, path, f"must be at least {minimum}, got {value}")
        return None
    return value


def _bool(file: _File, node: Node, path: str) -> bool | None:
    value = _scalar(file, node, path, "true or false")
    if value is _BAD:
        return None
    if not isinstance(value, bool):
        file.error(node, path, f"expected true or false, got {_kind(value)}")
        return None
    return value


def _choice(file: _File, node: Node, path: str, choices: Sequence[str]) -> str | None:
    value = _str(file, node, path, max_len=100)
    if value is None:
        return None
    if value not in choices:
        file.error(
            node,
            path,
            f"must be one of {', '.join(choices)}; got '{value}'{_did_you_mean(value, choices)}",
        )
        return None
    return value


def _seq(
    file: _File, node: Node, path: str, *, min_items: int, max_items: int, what: str
) -> list[Node] | None:
    if not isinstance(node, SequenceNode) or node.tag != _SEQ_TAG:
        file.error(node, path, f"expected a list, got {_describe(file, node)}")
        return None
    count = len(node.value)
    if not min_items <= count <= max_items:
        file.error(node, path, f"need {min_items}-{max_items} {what}, got {count}")
        return None
    return list(node.value)


def _describe(file: _File, node: Node) -> str:
    if isinstance(node, ScalarNode) and file.loader is not None:
        try:
            return _kind(file.loader.construct_object(node, deep=True))
        except (yaml.YAMLError, ValueError, TypeError):
            return "a value"
    return _node_kind(node)


def _str_list(
    file: _File, node: Node, path: str, *, max_items: int, max_len: int, what: str
) -> tuple[str, ...] | None:
    items = _seq(file, node, path, min_items=0, max_items=max_items, what=what)
    if items is None:
        return None
    values = [_str(file, item, f"{path}[{i}]", max_len=max_len) for i, item in enumerate(items)]
    if any(v is None for v in values):
        return None
    return tuple(v for v in values if v is not None)


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    hint = _HINTS.get(word)
    if hint not in choices:
        close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
        hint = close[0] if close else None
    return f" (did you mean '{hint}'?)" if hint else ""


def _mapping(
    file: _File,
    node: Node,
    path: str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> dict[str, Node] | None:
    """Return a mapping's known keys; report unknown, duplicate and missing keys."""
    if not isinstance(node, MappingNode) or node.tag != _MAP_TAG:
        file.error(node, path, f"expected a mapping of keys, got {_describe(file, node)}")
        return None
    assert file.loader is not None
    try:
        file.loader.flatten_mapping(node)  # resolve `<<:` merge keys as safe_load would
    except yaml.YAMLError as exc:
        file.error(node, path, f"invalid merge key: {getattr(exc, 'problem', exc)}")
        return None
    allowed = (*required, *optional)
    found: dict[str, Node] = {}
    for key_node, value_node in node.value:
        key = _scalar(file, key_node, path, "a text key")
        if key is _BAD:
            continue
        if not isinstance(key, str):
            file.error(key_node, path, f"keys must be text, got {_kind(key)} {key!r}")
            continue
        if key in found:
            file.error(key_node, _key(path, key), f"duplicate key '{key}'")
        elif key not in allowed:
            file.error(key_node, path, f"unknown key '{key}'{_did_you_mean(key, allowed)}")
        else:
            found[key] = value_node
    missing = [f"'{key}'" for key in required if key not in found]
    if len(missing) == 1:
        file.error(node, path, f"missing required key {missing[0]}")
    elif missing:
        file.error(node, path, f"missing required keys {', '.join(missing)}")
    return found


# --- course.yaml ----------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class _Head:
    """A course.yaml read so far; fields are None when invalid."""

    file: _File
    id: str | None = None
    id_node: Node | None = None
    fields: dict[str, object] = field(default_factory=dict)
    objectives: tuple[Objective, ...] | None = None
    exam: ExamSettings | None = None
    exam_questions_node: Node | None = None


def _read_course_file(path: Path, run: _Run) -> _Head | None:
    file, root = _compose(path, run)
    if root is None:
        return None
    head = _Head(file=file)
    keys = _mapping(file, root, "", required=_COURSE_KEYS, optional=_COURSE_OPTIONAL)
    if keys is None:
        return head
    if "id" in keys:
        head.id = _slug(file, keys["id"], "id")
        head.id_node = keys["id"]
    limits = {"title": 120, "description": 1000, "version": 50}
    for name, limit in limits.items():
        if name in keys:
            head.fields[name] = _str(file, keys[name], name, max_len=limit)
    if "language" in keys:
        language = _str(file, keys["language"], "language", max_len=8, min_len=2)
        if language is not None and not LANGUAGE.fullmatch(language):
            file.error(keys["language"], "language", f"invalid language tag '{language}'")
        head.fields["language"] = language
    if "tags" in keys:
        head.fields["tags"] = _str_list(
            file, keys["tags"], "tags", max_items=50, max_len=50, what="tags"
        )
    if "disclaimer" in keys:
        head.fields["disclaimer"] = _str(file, keys["disclaimer"], "disclaimer", max_len=500)
    if "objectives" in keys:
        head.objectives = _read_objectives(file, keys["objectives"])
    if "exam" in keys:
        head.exam = _read_exam(file, keys["exam"], head)
    return head


def _read_objectives(file: _File, node: Node) -> tuple[Objective, ...] | None:
    items = _seq(file, node, "objectives", min_items=1, max_items=50, what="objectives")
    if items is None:
        return None
    objectives: list[Objective] = []
    seen: set[str] = set()
    ok = True
    for i, item in enumerate(items):
        path = f"objectives[{i}]"
        keys = _mapping(file, item, path, required=("id", "title"))
        if keys is None or len(keys) < 2:
            ok = False
            continue
        objective_id = _slug(file, keys["id"], f"{path}.id")
        title = _str(file, keys["title"], f"{path}.title", max_len=120)
        if objective_id is not None and objective_id in seen:
            file.error(keys["id"], f"{path}.id", f"duplicate objective id '{objective_id}'")
            ok = False
        elif objective_id is None or title is None:
            ok = False
        else:
            seen.add(objective_id)
            objectives.append(Objective(id=objective_id, title=title))
    return tuple(objectives) if ok else None


def _read_exam(file: _File, node: Node, head: _Head) -> ExamSettings | None:
    keys = _mapping(
        file, node, "exam", required=("questions", "minutes", "pass_mark"), optional=("note",)
    )
    if keys is None or not {"questions", "minutes", "pass_mark"} <= keys.keys():
        return None
    head.exam_questions_node = keys["questions"]
    questions = _int(file, keys["questions"], "exam.questions", minimum=1)
    minutes = _int(file, keys["minutes"], "exam.minutes", minimum=1)
    pass_mark = _int(file, keys["pass_mark"], "exam.pass_mark", minimum=1)
    note = _str(file, keys["note"], "exam.note", max_len=300) if "note" in keys else None
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


# --- lesson files ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Ids:
    """First place each id and position was used in a course (lessons and questions share ids)."""

    ids: dict[str, str] = field(default_factory=dict)
    positions: dict[int, str] = field(default_factory=dict)
    question_count: int = 0
    counted_all: bool = True  # False when a lesson file's questions could not be counted

    def claim_id(self, file: _File, node: Node, path: str, value: str | None) -> None:
        if value is None:
            return
        where = f"{file.name}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"
        if value in self.ids:
            file.error(node, path, f"duplicate id '{value}' (first used at {self.ids[value]})")
        else:
            self.ids[value] = where

    def claim_position(self, file: _File, node: Node, value: int | None) -> None:
        if value is None:
            return
        if value in self.positions:
            file.error(
                node, "position", f"duplicate position {value} (also in {self.positions[value]})"
            )
        else:
            self.positions[value] = file.name


@dataclass(slots=True, kw_only=True)
class _ReadLesson:
    lesson: Lesson
    file: _File
    body_node: Node


def _read_lesson_file(
    path: Path, run: _Run, *, course_id: str, objectives: set[str] | None, ids: _Ids
) -> _ReadLesson | None:
    file, root = _compose(path, run)
    keys = None
    if root is not None:
        keys = _mapping(file, root, "", required=_LESSON_KEYS, optional=_LESSON_OPTIONAL)
    if keys is None or not isinstance(keys.get("questions"), SequenceNode):
        ids.counted_all = False
    if keys is None:
        return None
    lesson_id = position = title = body = None
    lesson_objectives: tuple[str, ...] | None = None
    key_points: tuple[str, ...] | None = ()
    sources: tuple[str, ...] | None = ()
    if "id" in keys:
        lesson_id = _slug(file, keys["id"], "id")
        ids.claim_id(file, keys["id"], "id", lesson_id)
    if "title" in keys:
        title = _str(file, keys["title"], "title", max_len=120)
    if "position" in keys:
        position = _int(file, keys["position"], "position", minimum=1)
        ids.claim_position(file, keys["position"], position)
    if "objectives" in keys:
        lesson_objectives = _objective_refs(file, keys["objectives"], objectives)
    if "body" in keys:
        body = _str(file, keys["body"], "body", max_len=3000)
    if "key_points" in keys:
        key_points = _str_list(
            file, keys["key_points"], "key_points", max_items=6, max_len=200, what="key points"
        )
    if "sources" in keys:
        sources = _str_list(
            file, keys["sources"], "sources", max_items=50, max_len=200, what="sources"
        )
    questions: list[Question] = []
    if "questions" in keys:
        items = _seq(
            file, keys["questions"], "questions", min_items=1, max_items=30, what="questions"
        )
        if isinstance(keys["questions"], SequenceNode):
            ids.question_count += len(keys["questions"].value)
        default_objective = lesson_objectives[0] if lesson_objectives else None
        for i, item in enumerate(items or ()):
            question = _read_question(
                file,
                item,
                f"questions[{i}]",
                course_id=course_id,
                lesson_id=lesson_id or "",
                default_objective=default_objective,
                objectives=objectives,
                ids=ids,
            )
            if question is not None:
                questions.append(question)
    if file.count:
        return None
    if (
        lesson_id is None
        or title is None
        or position is None
        or lesson_objectives is None
        or body is None
        or key_points is None
        or sources is None
    ):
        return None  # unreachable: every None above was reported
    lesson = Lesson(
        id=lesson_id,
        course_id=course_id,
        title=title,
        position=position,
        objectives=lesson_objectives,
        body=body,
        key_points=key_points,
        sources=sources,
        questions=tuple(questions),
        file=file.name,
    )
    return _ReadLesson(lesson=lesson, file=file, body_node=keys["body"])


def _objective_refs(
    file: _File, node: Node, objectives: set[str] | None
) -> tuple[str, ...] | None:
    items = _seq(file, node, "objectives", min_items=1, max_items=50, what="objectives")
    if items is None:
        return None
    refs: list[str] = []
    for i, item in enumerate(items):
        path = f"objectives[{i}]"
        ref = _objective_ref(file, item, path, objectives)
        if ref is not None and ref in refs:
            file.error(item, path, f"objective '{ref}' is listed twice")
        elif ref is not None:
            refs.append(ref)
    return tuple(refs) if len(refs) == len(items) else None


def _objective_ref(file: _File, node: Node, path: str, objectives: set[str] | None) -> str | None:
    ref = _slug(file, node, path)
    if ref is None or objectives is None or ref in objectives:
        return ref
    known = sorted(objectives)
    file.error(
        node,
        path,
        f"unknown objective '{ref}'{_did_you_mean(ref, known)}; "
        f"course.yaml defines: {', '.join(known)}",
    )
    return None


def _read_question(
    file: _File,
    node: Node,
    path: str,
    *,
    course_id: str,
    lesson_id: str,
    default_objective: str | None,
    objectives: set[str] | None,
    ids: _Ids,
) -> Question | None:
    keys = _mapping(file, node, path, required=_QUESTION_KEYS, optional=_QUESTION_OPTIONAL)
    if keys is None:
        return None
    before = file.count
    question_id = kind = prompt = explanation = None
    difficulty: str | None = "medium"
    style: QuestionStyle | None = QuestionStyle.STANDARD
    objective = default_objective
    options: tuple[Option, ...] | None = None
    if "id" in keys:
        question_id = _slug(file, keys["id"], f"{path}.id")
        ids.claim_id(file, keys["id"], f"{path}.id", question_id)
    if "type" in keys:
        raw = _choice(file, keys["type"], f"{path}.type", [t.value for t in QuestionType])
        kind = QuestionType(raw) if raw is not None else None
    if "prompt" in keys:
        prompt = _str(file, keys["prompt"], f"{path}.prompt", max_len=300)
    if "explanation" in keys:
        explanation = _explanation(file, keys["explanation"], f"{path}.explanation")
    if "difficulty" in keys:
        difficulty = _choice(file, keys["difficulty"], f"{path}.difficulty", DIFFICULTIES)
    if "style" in keys:
        raw_style = _choice(file, keys["style"], f"{path}.style", [s.value for s in QuestionStyle])
        style = QuestionStyle(raw_style) if raw_style is not None else None
    if "objective" in keys:
        objective = _objective_ref(file, keys["objective"], f"{path}.objective", objectives)
    if kind is QuestionType.TRUE_FALSE:
        options = _true_false(file, node, keys, path)
    elif kind is not None:
        if "answer" in keys:
            file.error(
                keys["answer"], f"{path}.answer", "'answer' is only for true_false questions"
            )
        if "options" not in keys:
            file.error(node, path, f"missing required key 'options' ({kind.value} question)")
        else:
            options = _options(file, keys["options"], f"{path}.options", kind)
    if file.count > before or objective is None:
        return None  # a missing objective was reported on the lesson's `objectives`
    if (
        question_id is None
        or kind is None
        or prompt is None
        or explanation is None
        or difficulty is None
        or style is None
        or options is None
    ):
        return None  # unreachable: every None above was reported
    return Question(
        id=question_id,
        course_id=course_id,
        lesson_id=lesson_id,
        type=kind,
        prompt=prompt,
        options=options,
        explanation=explanation,
        difficulty=difficulty,
        objective=objective,
        style=style,
    )


def _explanation(file: _File, node: Node, path: str) -> str | None:
    text = _str(file, node, path, max_len=200)
    if text is not None and text.count("\n") > 2:
        file.error(node, path, f"at most 2 line breaks, got {text.count(chr(10))}")
        return None
    return text


def _true_false(
    file: _File, node: Node, keys: dict[str, Node], path: str
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
    answer = _bool(file, keys["answer"], f"{path}.answer")
    if answer is None:
        return None
    return (Option(text="True", correct=answer), Option(text="False", correct=not answer))


def _options(file: _File, node: Node, path: str, kind: QuestionType) -> tuple[Option, ...] | None:
    items = _seq(file, node, path, min_items=2, max_items=10, what="options")
    if items is None:
        return None
    options: list[Option] = []
    texts: dict[str, int] = {}
    for i, item in enumerate(items):
        option_path = f"{path}[{i}]"
        keys = _mapping(
            file, item, option_path, required=("text",), optional=("correct", "why_not", "concept")
        )
        if keys is None or "text" not in keys:
            continue
        text = _str(file, keys["text"], f"{option_path}.text", max_len=100)
        correct = (
            _bool(file, keys["correct"], f"{option_path}.correct") if "correct" in keys else False
        )
        why_not = None
        if "why_not" in keys:
            why_not = _str(file, keys["why_not"], f"{option_path}.why_not", max_len=200)
            if correct:
                file.error(
                    keys["why_not"],
                    f"{option_path}.why_not",
                    "why_not is only for wrong options (put the reason in explanation)",
                )
        concept = (
            _slug(file, keys["concept"], f"{option_path}.concept") if "concept" in keys else None
        )
        if text is not None:
            if text.casefold() in texts:
                file.error(
                    keys["text"],
                    f"{option_path}.text",
                    f"duplicate option text '{text}' (same as {path}[{texts[text.casefold()]}])",
                )
            texts.setdefault(text.casefold(), i)
        if text is not None and correct is not None:
            options.append(Option(text=text, correct=correct, why_not=why_not, concept=concept))
    if len(options) != len(items):
        return None
    right = sum(option.correct for option in options)
    wrong = len(options) - right
    if kind is QuestionType.SINGLE and right != 1:
        file.error(node, path, f"single question needs exactly 1 correct option, got {right}")
        return None
    if kind is QuestionType.MULTIPLE and (right < 2 or wrong < 1):
        file.error(
            node,
            path,
            "multiple question needs at least 2 correct and 1 wrong option, "
            f"got {right} correct and {wrong} wrong",
        )
        return None
    return tuple(options)


# --- a course folder ------------------------------------------------------------------------


def _load_course(folder: Path, run: _Run) -> tuple[_Head, Course | None] | None:
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
    ids = _Ids()
    read = [
        _read_lesson_file(path, run, course_id=course_id, objectives=objective_ids, ids=ids)
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
    if head.id is None:
        return None
    if run.errors or len(lessons) != len(read) or not _head_complete(head):
        return head, None
    assert head.objectives is not None
    course = Course(
        id=head.id,
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
    return head, course


def _head_complete(head: _Head) -> bool:
    names = ("title", "description", "language", "version")
    return head.file.count == 0 and all(head.fields.get(n) is not None for n in names)


def _tags(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, tuple) else ()


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None
