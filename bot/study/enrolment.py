"""Use cases of joining: identify a sender, /start, switch course, and the next lesson.

Each function owns one short transaction (`db.begin()`), takes `now` as an argument and
returns a plain outcome; Telegram is called by the caller after the transaction commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.schema import Catalog, Course
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import Chat, Member
from bot.kinds import ChatKind
from bot.quiz.picking import pick_next_lesson
from bot.study.types import LessonOut, StartOutcome, Who


async def identify(session: AsyncSession, who: Who, *, now: datetime) -> tuple[Chat, Member, bool]:
    """Upsert the chat and the member of an update; return them and whether the chat is new."""
    chat, created = await repo.upsert_chat(
        session, tg_chat_id=who.chat_id, kind=who.chat_kind, title=who.chat_title, now=now
    )
    member = await repo.upsert_member(
        session, tg_user_id=who.user_id, first_name=who.first_name, username=who.username, now=now
    )
    if who.chat_kind == ChatKind.PRIVATE and not member.started_private:
        member.started_private = True
        member.blocked = False
        session.add(member)
    if not chat.active and who.chat_kind == ChatKind.PRIVATE:
        chat.active = True  # the learner talks to us again: they unblocked the bot
        session.add(chat)
    await repo.ensure_membership(session, chat=chat, member=member, now=now)
    return chat, member, created


async def start(
    db: Database,
    catalog: Catalog,
    *,
    who: Who,
    course_arg: str | None,
    default_tz: str,
    now: datetime,
) -> StartOutcome:
    """Register the chat and learner; enrol in a course when it is clear which one."""
    async with db.begin() as session:
        chat, _member, created = await identify(session, who, now=now)
        await repo.ensure_schedule(session, chat, timezone=default_tz)
        unknown = None
        course = catalog.course(chat.course_id) if chat.course_id else None
        if course_arg:
            wanted = catalog.course(course_arg.strip().lower())
            if wanted is None:
                unknown = course_arg
            else:
                course = wanted
        if course is None and unknown is None and len(catalog) == 1:
            course = catalog.default()
        if course is not None and chat.course_id != course.id:
            chat.course_id = course.id
            chat.updated_at = now
            session.add(chat)
        assert chat.id is not None
        done = len(await repo.done_lesson_ids(session, chat.id, course.id)) if course else 0
        return StartOutcome(
            chat_id=who.chat_id,
            first_name=who.first_name,
            new_chat=created,
            course=course,
            unknown_course=unknown,
            needs_setup=not chat.onboarded,
            lessons_done=done,
        )


async def enrol(
    db: Database, catalog: Catalog, *, chat_id: int, course_id: str, now: datetime
) -> Course | None:
    """Switch a chat to a course (progress in other courses is kept)."""
    course = catalog.course(course_id)
    if course is None:
        return None
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        if chat is None:
            return None
        chat.course_id = course.id
        chat.updated_at = now
        session.add(chat)
    return course


async def next_lesson(
    db: Database, catalog: Catalog, *, chat_id: int, now: datetime
) -> LessonOut | Course | None:
    """Return the chat's next lesson; the Course when all are done; None without a course."""
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        course = catalog.course(chat.course_id) if chat and chat.course_id else None
        if chat is None or course is None or chat.id is None:
            return None
        done = await repo.done_lesson_ids(session, chat.id, course.id)
        lesson = pick_next_lesson(course, done)
        if lesson is None:
            return course
        progress = await repo.get_progress(session, chat.id, course.id)
        progress.current_lesson_id = lesson.id
        progress.lesson_shown_at = now
        session.add(progress)
        index = [item.id for item in course.lessons].index(lesson.id) + 1
        return LessonOut(
            chat_id=chat_id, course=course, lesson=lesson, index=index, total=len(course.lessons)
        )


async def open_lesson(
    db: Database, catalog: Catalog, *, chat_id: int, number: int, now: datetime
) -> LessonOut | int | None:
    """Return lesson `number` (1-based, in course order) of the chat's course.

    An out-of-range number returns the course's number of lessons; None without a course.
    """
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        course = catalog.course(chat.course_id) if chat and chat.course_id else None
        if chat is None or course is None or chat.id is None:
            return None
        if not 1 <= number <= len(course.lessons):
            return len(course.lessons)
        lesson = course.lessons[number - 1]
        progress = await repo.get_progress(session, chat.id, course.id)
        progress.current_lesson_id = lesson.id
        progress.lesson_shown_at = now
        session.add(progress)
        return LessonOut(
            chat_id=chat_id, course=course, lesson=lesson, index=number, total=len(course.lessons)
        )


async def has_course(db: Database, *, chat_id: int) -> bool:
    """Tell whether a chat is enrolled in a course."""
    async with db.read() as session:
        chat = await repo.get_chat(session, chat_id)
        return chat is not None and chat.course_id is not None
