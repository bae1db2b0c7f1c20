"""Use cases of a chat's settings: onboarding, /settings changes, pause, resume, reset, forget."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.schema import Catalog
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import (
    Answer,
    Card,
    Chat,
    Confusion,
    CourseProgress,
    ExamRun,
    KeyValue,
    LessonDone,
    Member,
    PauseWindow,
    Schedule,
    SentQuestion,
)
from bot.kinds import ChatKind, QuizStyle
from bot.progress.streak import local_day
from bot.scheduling.due import (
    ALL_DAYS,
    DAY_NAMES,
    WEEKDAYS,
    WEEKEND,
    describe_local,
    format_days,
    format_time,
    parse_days,
    parse_time,
    parse_tz,
    tzinfo_for,
)
from bot.study import schedules

# What the chat may be asked to type (chat.awaiting); other features may use other values.
TYPED_KEYS: tuple[str, ...] = ("time", "days", "tz")

QUIZ_STYLES: tuple[str, ...] = tuple(QuizStyle)
PER_SESSION_CHOICES: tuple[int, ...] = (1, 3, 5, 10)
NEW_PER_DAY_CHOICES: tuple[int, ...] = (5, 10, 20)
REVIEWS_PER_DAY_CHOICES: tuple[int, ...] = (10, 20, 50)
DAY_PRESETS: dict[str, frozenset[int]] = {"all": ALL_DAYS, "wk": WEEKDAYS, "we": WEEKEND}
COMMON_ZONES: tuple[str, ...] = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
_INT_CHOICES: dict[str, tuple[int, ...]] = {
    "per": PER_SESSION_CHOICES,
    "new": NEW_PER_DAY_CHOICES,
    "rev": REVIEWS_PER_DAY_CHOICES,
}
_SCHEDULE_KEYS = frozenset({"time", "days", "tz", "course"})
_ONBOARDING_NEXT: dict[str, str] = {"time": "days", "days": "tz", "tz": "done"}


@dataclass(frozen=True, slots=True)
class SettingsView:
    """A chat's current settings, ready to show."""

    chat_id: int
    chat_kind: str
    course_id: str | None
    times: tuple[str, ...]
    days: str  # human form: "every day", "Mon–Fri"
    timezone: str
    quiz_style: str
    questions_per_session: int
    new_per_day: int
    reviews_per_day: int
    confidence_prompt: bool
    paused: bool
    onboarded: bool
    next_due_at: datetime | None
    next_local: str | None  # "Tue 08:15" in the chat's time zone

    @property
    def is_private(self) -> bool:
        """Tell whether this is a private chat."""
        return self.chat_kind == ChatKind.PRIVATE


@dataclass(frozen=True, slots=True)
class Applied:
    """A saved change; `next_step` drives onboarding ("days", "tz", "done"; None afterwards)."""

    view: SettingsView
    next_step: str | None


@dataclass(frozen=True, slots=True)
class Typed:
    """What became of a typed message: not for us, a bad value, or a saved change."""

    handled: bool
    key: str | None = None
    error: str | None = None
    applied: Applied | None = None


@dataclass(frozen=True, slots=True)
class PauseOutcome:
    """The result of /pause or /resume."""

    changed: bool  # False: already paused (pause) or not paused (resume)
    view: SettingsView


@dataclass(frozen=True, slots=True)
class ResetOutcome:
    """What /reset cleared."""

    course_id: str
    lessons: int
    answers: int
    cards: int
    sent: int


@dataclass(frozen=True, slots=True)
class ForgetOutcome:
    """What /forgetme deleted."""

    member_deleted: bool
    chat_deleted: bool
    other_rows: int


def normalize(key: str, value: str, catalog: Catalog) -> str:
    """Check a setting's new value and return its stored form; raise ValueError if invalid."""
    text = value.strip()
    if key == "time":
        return format_time(parse_time(text))
    if key == "days":
        days = DAY_PRESETS.get(text) or parse_days(text)
        return ",".join(DAY_NAMES[d].lower() for d in sorted(days))
    if key == "tz":
        return parse_tz(text)
    if key == "course":
        if catalog.course(text) is None:
            raise ValueError(f"Unknown course {text!r}.")
        return text
    if key == "style":
        if text not in QUIZ_STYLES:
            raise ValueError(f"Unknown quiz style {text!r}.")
        return text
    if key == "conf":
        if text not in {"on", "off"}:
            raise ValueError(f"Expected on or off, got {text!r}.")
        return text
    if key in _INT_CHOICES:
        if not text.isdigit() or int(text) not in _INT_CHOICES[key]:
            raise ValueError(f"{text!r} is not one of {_INT_CHOICES[key]}.")
        return str(int(text))
    raise ValueError(f"Unknown setting {key!r}.")


def _view(chat: Chat, schedule: Schedule) -> SettingsView:
    times = tuple(part.strip() for part in schedule.times.split(",") if part.strip())
    try:
        days = format_days(parse_days(schedule.days))
    except ValueError:
        days = schedule.days
    next_local = (
        describe_local(schedule.next_due_at, schedule.timezone) if schedule.next_due_at else None
    )
    return SettingsView(
        chat_id=chat.tg_chat_id,
        chat_kind=chat.kind,
        course_id=chat.course_id,
        times=times,
        days=days,
        timezone=schedule.timezone,
        quiz_style=chat.quiz_style,
        questions_per_session=chat.questions_per_session,
        new_per_day=chat.new_per_day,
        reviews_per_day=chat.reviews_per_day,
        confidence_prompt=chat.confidence_prompt,
        paused=schedule.paused,
        onboarded=chat.onboarded,
        next_due_at=schedule.next_due_at,
        next_local=next_local,
    )


async def _load(
    session: AsyncSession, chat_id: int, default_tz: str
) -> tuple[Chat, Schedule] | None:
    chat = await repo.get_chat(session, chat_id)
    if chat is None or chat.id is None:
        return None
    schedule = await repo.ensure_schedule(session, chat, timezone=default_tz)
    return chat, schedule


async def view(db: Database, *, chat_id: int) -> SettingsView | None:
    """Return a chat's settings (None for a chat the bot does not know)."""
    async with db.read() as session:
        chat = await repo.get_chat(session, chat_id)
        if chat is None or chat.id is None:
            return None
        schedule = await repo.get_schedule(session, chat.id)
        return _view(chat, schedule or Schedule(chat_id=chat.id))


async def open_settings(
    db: Database, *, chat_id: int, default_tz: str = "UTC", now: datetime
) -> SettingsView | None:
    """Return a chat's settings for /settings and forget any typed value it was asked for."""
    async with db.begin() as session:
        loaded = await _load(session, chat_id, default_tz)
        if loaded is None:
            return None
        chat, schedule = loaded
        if chat.awaiting in TYPED_KEYS:
            chat.awaiting = None
            chat.updated_at = now
            session.add(chat)
        return _view(chat, schedule)


async def set_awaiting(db: Database, *, chat_id: int, awaiting: str | None, now: datetime) -> bool:
    """Remember which typed value the chat is asked for; return False for an unknown chat."""
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        if chat is None:
            return False
        chat.awaiting = awaiting
        chat.updated_at = now
        session.add(chat)
        return True


async def _apply_in(
    session: AsyncSession,
    chat: Chat,
    schedule: Schedule,
    *,
    key: str,
    value: str,
    now: datetime,
) -> Applied:
    """Store one normalized value, advance onboarding and reschedule when it matters."""
    if key == "time":
        schedule.times = value
    elif key == "days":
        schedule.days = value
    elif key == "tz":
        schedule.timezone = value
        if chat.kind == ChatKind.PRIVATE:
            member = await repo.get_member(session, chat.tg_chat_id)
            if member is not None:
                member.timezone = value
                session.add(member)
    elif key == "course":
        chat.course_id = value
    elif key == "style":
        chat.quiz_style = value
    elif key == "per":
        chat.questions_per_session = int(value)
    elif key == "new":
        chat.new_per_day = int(value)
    elif key == "rev":
        chat.reviews_per_day = int(value)
    elif key == "conf":
        chat.confidence_prompt = value == "on"
    next_step: str | None = None
    if not chat.onboarded and key in _ONBOARDING_NEXT:
        next_step = _ONBOARDING_NEXT[key]
        chat.awaiting = None if next_step == "done" else next_step
        chat.onboarded = next_step == "done"
    elif chat.awaiting in TYPED_KEYS:
        chat.awaiting = None
    if chat.onboarded and (key in _SCHEDULE_KEYS or next_step == "done"):
        schedules.reschedule(chat, schedule, now=now)
    chat.updated_at = now
    session.add(chat)
    session.add(schedule)
    return Applied(view=_view(chat, schedule), next_step=next_step)


async def apply(
    db: Database,
    catalog: Catalog,
    *,
    chat_id: int,
    key: str,
    value: str,
    default_tz: str = "UTC",
    now: datetime,
) -> Applied | None:
    """Save one setting (raises ValueError for an invalid value); None for an unknown chat."""
    normalized = normalize(key, value, catalog)
    async with db.begin() as session:
        loaded = await _load(session, chat_id, default_tz)
        if loaded is None:
            return None
        chat, schedule = loaded
        return await _apply_in(session, chat, schedule, key=key, value=normalized, now=now)


async def receive_typed(
    db: Database,
    catalog: Catalog,
    *,
    chat_id: int,
    text: str,
    default_tz: str = "UTC",
    now: datetime,
) -> Typed:
    """Take a typed time, days or time zone when the chat was asked for one."""
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        if chat is None or chat.id is None or chat.awaiting not in TYPED_KEYS:
            return Typed(handled=False)
        key = chat.awaiting
        try:
            normalized = normalize(key, text, catalog)
        except ValueError as exc:
            return Typed(handled=True, key=key, error=str(exc))
        schedule = await repo.ensure_schedule(session, chat, timezone=default_tz)
        applied = await _apply_in(session, chat, schedule, key=key, value=normalized, now=now)
        return Typed(handled=True, key=key, applied=applied)


async def pause(
    db: Database, *, chat_id: int, user_id: int, default_tz: str = "UTC", now: datetime
) -> PauseOutcome | None:
    """Stop deliveries; in a private chat also freeze the learner's streak (a PauseWindow)."""
    async with db.begin() as session:
        loaded = await _load(session, chat_id, default_tz)
        if loaded is None:
            return None
        chat, schedule = loaded
        if schedule.paused:
            return PauseOutcome(changed=False, view=_view(chat, schedule))
        schedule.paused = True
        schedules.reschedule(chat, schedule, now=now)
        session.add(schedule)
        member = await repo.get_member(session, user_id) if chat.kind == ChatKind.PRIVATE else None
        if member is not None and member.id is not None:
            open_window = (
                await session.exec(
                    select(PauseWindow).where(
                        PauseWindow.member_id == member.id, col(PauseWindow.end_day).is_(None)
                    )
                )
            ).first()
            if open_window is None:
                day = local_day(now, tzinfo_for(member.timezone or schedule.timezone))
                session.add(PauseWindow(member_id=member.id, start_day=day))
        return PauseOutcome(changed=True, view=_view(chat, schedule))


async def resume(
    db: Database, *, chat_id: int, user_id: int, default_tz: str = "UTC", now: datetime
) -> PauseOutcome | None:
    """Restart deliveries from the next slot after `now` (no backlog); close the streak freeze."""
    async with db.begin() as session:
        loaded = await _load(session, chat_id, default_tz)
        if loaded is None:
            return None
        chat, schedule = loaded
        if not schedule.paused:
            return PauseOutcome(changed=False, view=_view(chat, schedule))
        schedule.paused = False
        if chat.onboarded:  # a chat still being set up gets its first slot when setup ends
            schedules.reschedule(chat, schedule, now=now)
        session.add(schedule)
        member = await repo.get_member(session, user_id) if chat.kind == ChatKind.PRIVATE else None
        if member is not None and member.id is not None:
            day = local_day(now, tzinfo_for(member.timezone or schedule.timezone))
            windows = await session.exec(
                select(PauseWindow).where(
                    PauseWindow.member_id == member.id, col(PauseWindow.end_day).is_(None)
                )
            )
            for window in windows.all():
                window.end_day = max(day, window.start_day)  # the resume day stays frozen
                session.add(window)
        return PauseOutcome(changed=True, view=_view(chat, schedule))


async def _delete(session: AsyncSession, statement: object) -> int:
    result = await session.exec(statement)  # type: ignore[call-overload]
    return int(result.rowcount or 0)


async def reset_course(
    db: Database, *, chat_id: int, user_id: int, course_id: str, now: datetime
) -> ResetOutcome | None:
    """Clear progress in the chat's current course (settings stay); None if it changed since."""
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        if chat is None or chat.id is None or chat.course_id != course_id:
            return None
        member = await repo.get_member(session, user_id) if chat.kind == ChatKind.PRIVATE else None
        answers = cards = 0
        if member is not None and member.id is not None:
            answers = await _delete(
                session,
                delete(Answer).where(
                    col(Answer.member_id) == member.id, col(Answer.course_id) == course_id
                ),
            )
            cards = await _delete(  # review logs go with their cards (ON DELETE CASCADE)
                session,
                delete(Card).where(
                    col(Card.member_id) == member.id, col(Card.course_id) == course_id
                ),
            )
            await _delete(
                session,
                delete(Confusion).where(
                    col(Confusion.member_id) == member.id, col(Confusion.course_id) == course_id
                ),
            )
        await _delete(
            session,
            delete(ExamRun).where(
                col(ExamRun.chat_id) == chat.id, col(ExamRun.course_id) == course_id
            ),
        )
        sent = await _delete(  # their answers in this chat go too (ON DELETE CASCADE)
            session,
            delete(SentQuestion).where(
                col(SentQuestion.chat_id) == chat.id, col(SentQuestion.course_id) == course_id
            ),
        )
        lessons = await _delete(
            session,
            delete(LessonDone).where(
                col(LessonDone.chat_id) == chat.id, col(LessonDone.course_id) == course_id
            ),
        )
        await _delete(
            session,
            delete(CourseProgress).where(
                col(CourseProgress.chat_id) == chat.id, col(CourseProgress.course_id) == course_id
            ),
        )
        chat.updated_at = now
        session.add(chat)
        return ResetOutcome(
            course_id=course_id, lessons=lessons, answers=answers, cards=cards, sent=sent
        )


def _mentions(key: str, user_id: int) -> bool:
    return str(user_id) in re.findall(r"\d+", key)


async def forget_member(db: Database, *, user_id: int) -> ForgetOutcome:
    """Delete every row about a user: the member, their private chat and rows naming their id."""
    async with db.begin() as session:
        # Both deletes cascade (ON DELETE CASCADE) to everything hanging off member and chat.
        members = await _delete(session, delete(Member).where(col(Member.tg_user_id) == user_id))
        chats = await _delete(
            session,
            delete(Chat).where(
                col(Chat.tg_chat_id) == user_id, col(Chat.kind) == ChatKind.PRIVATE
            ),
        )
        keys = await session.exec(
            select(KeyValue.key).where(col(KeyValue.key).contains(str(user_id)))
        )
        named = [key for key in keys.all() if _mentions(key, user_id)]
        other = 0
        if named:
            other = await _delete(session, delete(KeyValue).where(col(KeyValue.key).in_(named)))
        return ForgetOutcome(member_deleted=members > 0, chat_deleted=chats > 0, other_rows=other)
