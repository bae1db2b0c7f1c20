"""Course content model: courses, lessons, questions and content errors (no I/O)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

KEY_HINTS = {  # did-you-mean hints for common confusions difflib would not catch
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


class QuestionType(StrEnum):
    """How a question is answered."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"


class QuestionStyle(StrEnum):
    """How a question is worded (exam question styles); grading does not depend on it."""

    STANDARD = "standard"
    MISSING_WORD = "missing-word"  # "Identify the missing word(s) in the following sentence"
    NUMBERED_LIST = "numbered-list"  # "Which two …? 1 … 2 … 3 … 4" with options "1 and 2" …


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One answer option of a question."""

    text: str
    correct: bool
    why_not: str | None = None
    concept: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    """A quiz question; true_false questions carry the options ("True", "False")."""

    id: str
    course_id: str
    lesson_id: str
    type: QuestionType
    prompt: str
    options: tuple[Option, ...]
    explanation: str
    difficulty: str = "medium"
    objective: str
    style: QuestionStyle = QuestionStyle.STANDARD

    @property
    def correct_ids(self) -> tuple[int, ...]:
        """Return the 0-based indexes of the correct options."""
        return tuple(i for i, option in enumerate(self.options) if option.correct)

    @property
    def is_multiple(self) -> bool:
        """Return whether more than one option may be chosen."""
        return self.type is QuestionType.MULTIPLE


@dataclass(frozen=True, slots=True, kw_only=True)
class Lesson:
    """A micro-lesson: text to read plus the questions that practise it."""

    id: str
    course_id: str
    title: str
    position: int
    objectives: tuple[str, ...]
    body: str
    key_points: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    questions: tuple[Question, ...]
    file: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Objective:
    """A learning objective that questions are grouped by."""

    id: str
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ExamSettings:
    """How a mock exam is drawn and marked."""

    questions: int
    minutes: int
    pass_mark: int
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Course:
    """A course: metadata, objectives and lessons in position order."""

    id: str
    title: str
    description: str
    language: str
    version: str
    tags: tuple[str, ...] = ()
    disclaimer: str | None = None
    objectives: tuple[Objective, ...]
    exam: ExamSettings | None = None
    lessons: tuple[Lesson, ...]
    _lessons_by_id: dict[str, Lesson] = field(init=False, repr=False, compare=False)
    _questions_by_id: dict[str, Question] = field(init=False, repr=False, compare=False)
    _objectives_by_id: dict[str, Objective] = field(init=False, repr=False, compare=False)
    _questions: tuple[Question, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen: the lookups are built once here, bypassing the frozen __setattr__.
        lessons = tuple(sorted(self.lessons, key=lambda lesson: lesson.position))
        questions = tuple(q for lesson in lessons for q in lesson.questions)
        object.__setattr__(self, "lessons", lessons)
        object.__setattr__(self, "_lessons_by_id", {lesson.id: lesson for lesson in lessons})
        object.__setattr__(self, "_questions_by_id", {q.id: q for q in questions})
        object.__setattr__(self, "_objectives_by_id", {o.id: o for o in self.objectives})
        object.__setattr__(self, "_questions", questions)

    def lesson(self, lesson_id: str) -> Lesson | None:
        """Return the lesson with this id, if any."""
        return self._lessons_by_id.get(lesson_id)

    def question(self, question_id: str) -> Question | None:
        """Return the question with this id, if any."""
        return self._questions_by_id.get(question_id)

    @property
    def questions(self) -> tuple[Question, ...]:
        """Return every question of the course in lesson order."""
        return self._questions

    def objective(self, objective_id: str) -> Objective | None:
        """Return the objective with this id, if any."""
        return self._objectives_by_id.get(objective_id)

    def questions_for_objective(self, objective_id: str) -> tuple[Question, ...]:
        """Return the questions that test this objective, in lesson order."""
        return tuple(q for q in self._questions if q.objective == objective_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalog:
    """Every loaded course, ordered by id."""

    courses: tuple[Course, ...]
    _by_id: dict[str, Course] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        courses = tuple(sorted(self.courses, key=lambda course: course.id))
        object.__setattr__(self, "courses", courses)
        object.__setattr__(self, "_by_id", {course.id: course for course in courses})

    def course(self, course_id: str) -> Course | None:
        """Return the course with this id, if any."""
        return self._by_id.get(course_id)

    def default(self) -> Course | None:
        """Return the first course by id, or None when the catalog is empty."""
        return self.courses[0] if self.courses else None

    def __len__(self) -> int:
        return len(self.courses)

    def __iter__(self) -> Iterator[Course]:
        return iter(self.courses)


class ContentError(Exception):
    """A problem in a content file, located by file, line, column and key path."""

    def __init__(
        self,
        *,
        file: str,
        message: str,
        path: str = "",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.path:
            return f"{where}: {self.path}: {self.message}"
        return f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"ContentError({self.__str__()!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContentError):
            return NotImplemented
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class ContentErrors(Exception):
    """Every content error found in one load, in file order."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = list(errors)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        count = len(self.errors)
        lines = [f"{count} content error{'s' if count != 1 else ''}:"]
        lines.extend(str(error) for error in self.errors)
        return "\n".join(lines)
