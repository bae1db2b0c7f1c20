"""SQLModel tables: chats, members, schedules, deliveries, questions sent, answers, cards, exams.

Conventions: Telegram ids are 64-bit (`BigInteger`); every datetime is aware UTC (SQLModel's
UTCDateTime); chats have a surrogate primary key so a group that migrates to a supergroup only
changes `chat.tg_chat_id`; every row about a person hangs off `member` or `chat` with
`ON DELETE CASCADE` so /forgetme can delete a learner completely.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from bot.kinds import ChatKind, DeliveryKind, DeliveryStatus, Purpose, QuizStyle

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def _now() -> datetime:
    return datetime.now(UTC)


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    """A cascading foreign key column to `target` ("table.id")."""
    return Field(
        default=None if nullable else ...,
        sa_column=Column(
            Integer, ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index
        ),
    )


class Chat(SQLModel, table=True):
    """A Telegram chat the bot talks in: a learner's private chat or a study group."""

    id: int | None = Field(default=None, primary_key=True)
    tg_chat_id: int = Field(sa_type=BigInteger, unique=True, index=True)
    kind: str = ChatKind.PRIVATE
    title: str | None = None
    active: bool = True  # False while the bot is blocked, kicked or removed
    course_id: str | None = None
    quiz_style: str = QuizStyle.POLL
    questions_per_session: int = 3
    lessons_per_day: int = 1
    new_per_day: int = 20  # a first sitting (lesson, quiz, a few more) fits in it
    reviews_per_day: int = 20
    confidence_prompt: bool = True
    stats_in_private: bool = False  # groups: send /mystats replies in private
    awaiting: str | None = None  # which typed value the chat is asked for (e.g. "tz", "time")
    onboarded: bool = False
    language: str = "en"
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)


class Schedule(SQLModel, table=True):
    """When a chat gets its deliveries; `next_due_at` is NULL while paused or inactive."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(
        sa_column=Column(Integer, ForeignKey("chat.id", ondelete="CASCADE"), unique=True)
    )
    times: str = "08:00"  # comma-separated local HH:MM
    days: str = "mon,tue,wed,thu,fri,sat,sun"
    timezone: str = "UTC"  # IANA name or a fixed offset such as +05:30
    paused: bool = False
    next_due_at: datetime | None = Field(default=None, index=True)
    last_slot_at: datetime | None = None
    recap_day: int | None = None  # groups: weekday 0=Mon..6=Sun of the weekly recap
    recap_time: str | None = None
    recap_next_due_at: datetime | None = Field(default=None, index=True)


class Delivery(SQLModel, table=True):
    """One scheduled send: claimed in a short transaction, sent, then marked with its result."""

    __table_args__ = (
        UniqueConstraint("chat_id", "kind", "slot_at", name="uq_delivery_slot"),
        Index("ix_delivery_status_retry", "status", "retry_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _fk("chat.id")
    kind: str = DeliveryKind.LESSON
    slot_at: datetime
    status: str = DeliveryStatus.CLAIMED
    attempts: int = 0
    claimed_at: datetime = Field(default_factory=_now)
    retry_at: datetime | None = None
    sent_at: datetime | None = None
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    error: str | None = None


class Member(SQLModel, table=True):
    """A Telegram user who has answered or talked to the bot anywhere."""

    id: int | None = Field(default=None, primary_key=True)
    tg_user_id: int = Field(sa_type=BigInteger, unique=True, index=True)
    first_name: str = ""
    username: str | None = None
    started_private: bool = False  # has a private chat with the bot
    blocked: bool = False  # a private send answered 403
    timezone: str | None = None
    exam_date: date | None = None
    created_at: datetime = Field(default_factory=_now)


class Membership(SQLModel, table=True):
    """A member seen in a chat (groups: leaderboard visibility lives here)."""

    __table_args__ = (UniqueConstraint("chat_id", "member_id", name="uq_membership_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _fk("chat.id")
    member_id: int = _fk("member.id")
    hidden: bool = False
    joined_at: datetime = Field(default_factory=_now)


class LessonDone(SQLModel, table=True):
    """A lesson a chat has finished (its questions answered in private, or all sent in a group)."""

    __table_args__ = (UniqueConstraint("chat_id", "course_id", "lesson_id", name="uq_lessondone"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _fk("chat.id")
    course_id: str
    lesson_id: str
    done_at: datetime = Field(default_factory=_now)


class CourseProgress(SQLModel, table=True):
    """Where a chat is in a course: the lesson it is reading and when it last got new material."""

    __table_args__ = (UniqueConstraint("chat_id", "course_id", name="uq_courseprogress"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _fk("chat.id")
    course_id: str
    current_lesson_id: str | None = None
    lesson_shown_at: datetime | None = None
    lessons_today: int = 0
    lessons_day: date | None = None


class ExamRun(SQLModel, table=True):
    """A mock exam in progress or finished; questions are stored so a restart can continue."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _fk("chat.id")
    member_id: int = _fk("member.id")
    course_id: str
    size: int
    question_ids: list[str] = Field(sa_type=JSON)
    position: int = 0  # index of the next question to send
    started_at: datetime = Field(default_factory=_now)
    deadline: datetime
    status: str = "running"  # running | finished | expired | abandoned
    score: int | None = None
    finished_at: datetime | None = None
    warned_at: datetime | None = None  # the "1 minute left" warning was claimed at this time


class SentQuestion(SQLModel, table=True):
    """A question the bot sent: a quiz poll (poll_id) or an inline-button message."""

    __table_args__ = (Index("ix_sentquestion_chat_sent", "chat_id", "sent_at"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _fk("chat.id", index=False)
    member_id: int | None = _fk("member.id", nullable=True)  # NULL: sent to a whole group
    course_id: str
    lesson_id: str
    question_id: str
    style: str = QuizStyle.POLL
    purpose: str = Purpose.QUIZ
    option_order: list[int] = Field(sa_type=JSON)  # displayed index -> original option index
    tg_message_id: int | None = Field(default=None, sa_type=BigInteger)
    poll_id: str | None = Field(default=None, unique=True, index=True)
    exam_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("examrun.id", ondelete="CASCADE"), nullable=True),
    )
    selected: list[int] = Field(default_factory=list, sa_type=JSON)  # buttons: multi toggles
    unsure: bool = False  # the learner tapped "not sure" before answering
    session_index: int = 1  # 1-based place of this question in the learner's current session
    sent_at: datetime = Field(default_factory=_now)
    closed_at: datetime | None = None


class Answer(SQLModel, table=True):
    """One member's graded answer to one sent question (graded once: unique per pair)."""

    __table_args__ = (
        UniqueConstraint("sent_question_id", "member_id", name="uq_answer_once"),
        Index("ix_answer_member_time", "member_id", "answered_at"),
        Index("ix_answer_chat_time", "chat_id", "answered_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sent_question_id: int = _fk("sentquestion.id", index=False)
    member_id: int = _fk("member.id", index=False)
    chat_id: int = _fk("chat.id", index=False)
    course_id: str
    question_id: str
    objective: str = ""
    chosen: list[int] = Field(sa_type=JSON)  # original option indexes
    correct: bool
    answered_at: datetime = Field(default_factory=_now)
    latency_ms: int | None = None
    confidence: str | None = None  # sure | unsure
    rating: int | None = None  # FSRS rating given to the card


class Card(SQLModel, table=True):
    """The FSRS card of one member for one question."""

    __table_args__ = (
        UniqueConstraint("member_id", "course_id", "question_id", name="uq_card_item"),
        Index("ix_card_member_due", "member_id", "due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = _fk("member.id", index=False)
    course_id: str
    question_id: str
    objective: str = ""
    data: dict[str, Any] = Field(sa_type=JSON)  # fsrs Card.to_dict()
    due: datetime
    state: int = 1
    stability: float | None = None
    difficulty: float | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0
    last_wrong_at: datetime | None = None
    last_choice_concept: str | None = None


class ReviewLog(SQLModel, table=True):
    """Every FSRS review, kept for later optimisation of the scheduler's parameters."""

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = _fk("card.id")
    member_id: int = _fk("member.id")
    rating: int
    reviewed_at: datetime
    duration_ms: int | None = None


class Confusion(SQLModel, table=True):
    """How often a member picked concept `chosen` where `expected` was right."""

    __table_args__ = (
        UniqueConstraint("member_id", "course_id", "expected", "chosen", name="uq_confusion"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = _fk("member.id", index=False)
    course_id: str
    expected: str
    chosen: str
    count: int = 0
    last_at: datetime = Field(default_factory=_now)


class StudyDay(SQLModel, table=True):
    """A local calendar day on which a member answered at least once (fixed when it happens)."""

    __table_args__ = (UniqueConstraint("member_id", "day", name="uq_studyday"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = _fk("member.id", index=False)
    day: date


class PauseWindow(SQLModel, table=True):
    """A stretch of local days during which a member's streak is frozen by /pause."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = _fk("member.id")
    start_day: date
    end_day: date | None = None


class QuestionReport(SQLModel, table=True):
    """A learner's "report this question"."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = _fk("member.id")
    course_id: str
    lesson_id: str
    question_id: str
    reason: str = ""
    status: str = "open"  # open | resolved
    created_at: datetime = Field(default_factory=_now)
    prompt_message_id: int | None = Field(default=None, sa_type=BigInteger)  # the ForceReply ask


class PausedQuestion(SQLModel, table=True):
    """A question an operator took out of rotation until it is fixed."""

    __table_args__ = (UniqueConstraint("course_id", "question_id", name="uq_pausedquestion"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: str
    question_id: str
    note: str = ""
    paused_at: datetime = Field(default_factory=_now)


class ProcessedUpdate(SQLModel, table=True):
    """Update ids already handled, so a redelivered update has one effect."""

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    seen_at: datetime = Field(default_factory=_now, index=True)


class KeyValue(SQLModel, table=True):
    """Small operational state: heartbeat, counters."""

    key: str = Field(primary_key=True)
    value: str = ""
    updated_at: datetime = Field(default_factory=_now)


ALL_TABLES: tuple[type[SQLModel], ...] = (
    Chat,
    Schedule,
    Delivery,
    Member,
    Membership,
    LessonDone,
    CourseProgress,
    ExamRun,
    SentQuestion,
    Answer,
    Card,
    ReviewLog,
    Confusion,
    StudyDay,
    PauseWindow,
    QuestionReport,
    PausedQuestion,
    ProcessedUpdate,
    KeyValue,
)
