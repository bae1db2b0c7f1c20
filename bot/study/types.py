"""The frozen outcomes the study use cases return, and `Who`, the sender of an update."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.content.schema import Course, Lesson, Question
from bot.kinds import GROUP_KINDS


@dataclass(frozen=True, slots=True)
class Who:
    """Who is talking and where, unpacked from an update."""

    chat_id: int
    chat_kind: str
    user_id: int
    first_name: str
    username: str | None = None
    chat_title: str | None = None

    @property
    def is_group(self) -> bool:
        """Tell whether the chat is a group or supergroup."""
        return self.chat_kind in GROUP_KINDS


@dataclass(frozen=True, slots=True)
class LessonOut:
    """A lesson to show."""

    chat_id: int
    course: Course
    lesson: Lesson
    index: int
    total: int


@dataclass(frozen=True, slots=True)
class QuestionOut:
    """A question to send, with its options in the order shown."""

    sent_id: int
    chat_id: int
    style: str
    question: Question
    options: tuple[str, ...]
    correct_displayed: tuple[int, ...]
    purpose: str
    number: int | None = None
    total: int | None = None
    confidence_prompt: bool = False


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    """What to tell a learner after grading."""

    chat_id: int
    user_id: int
    sent_id: int
    style: str
    purpose: str
    message_id: int | None
    is_group: bool
    already_answered: bool = False
    question: Question | None = None
    correct: bool = False
    chosen: tuple[int, ...] = ()
    option_order: tuple[int, ...] = ()
    lesson_done: Lesson | None = None
    confusion: tuple[str, str, int] | None = None  # expected concept, chosen concept, times
    next_due: datetime | None = None
    exam_id: int | None = None
    member_started_private: bool = False
    session_index: int = 1
    per_session: int = 3
    extras: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StartOutcome:
    """The result of /start."""

    chat_id: int
    first_name: str
    new_chat: bool
    course: Course | None
    unknown_course: str | None = None
    needs_setup: bool = False
    lessons_done: int = 0
