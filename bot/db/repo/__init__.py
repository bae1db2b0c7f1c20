"""Async query functions over an AsyncSession. They never commit: use cases own transactions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, cast, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import (
    Answer,
    Card,
    Chat,
    CourseProgress,
    KeyValue,
    LessonDone,
    Member,
    Membership,
    PausedQuestion,
    Schedule,
    SentQuestion,
    StudyDay,
)
from bot.kinds import Purpose


async def get_chat(session: AsyncSession, tg_chat_id: int) -> Chat | None:
    """Return the chat with this Telegram id."""
    return (await session.exec(select(Chat).where(Chat.tg_chat_id == tg_chat_id))).first()


async def get_chat_by_pk(session: AsyncSession, chat_pk: int) -> Chat | None:
    """Return a chat by its primary key."""
    return await session.get(Chat, chat_pk)


async def upsert_chat(
    session: AsyncSession, *, tg_chat_id: int, kind: str, title: str | None, now: datetime
) -> tuple[Chat, bool]:
    """Return the chat (created if new) and whether it was created."""
    chat = await get_chat(session, tg_chat_id)
    if chat is not None:
        if title and chat.title != title:
            chat.title = title
            chat.updated_at = now
            session.add(chat)
        return chat, False
    chat = Chat(tg_chat_id=tg_chat_id, kind=kind, title=title, created_at=now, updated_at=now)
    session.add(chat)
    await session.flush()
    return chat, True


async def get_member(session: AsyncSession, tg_user_id: int) -> Member | None:
    """Return the member with this Telegram user id."""
    return (await session.exec(select(Member).where(Member.tg_user_id == tg_user_id))).first()


async def upsert_member(
    session: AsyncSession,
    *,
    tg_user_id: int,
    first_name: str,
    username: str | None,
    now: datetime,
) -> Member:
    """Return the member (created if new), keeping the name current."""
    member = await get_member(session, tg_user_id)
    if member is None:
        member = Member(
            tg_user_id=tg_user_id, first_name=first_name, username=username, created_at=now
        )
        session.add(member)
        await session.flush()
    elif member.first_name != first_name or member.username != username:
        member.first_name, member.username = first_name, username
        session.add(member)
    return member


async def ensure_membership(
    session: AsyncSession, *, chat: Chat, member: Member, now: datetime
) -> Membership:
    """Return the chat-member link, created on first sight."""
    assert chat.id is not None
    assert member.id is not None
    link = (
        await session.exec(
            select(Membership).where(
                Membership.chat_id == chat.id, Membership.member_id == member.id
            )
        )
    ).first()
    if link is None:
        link = Membership(chat_id=chat.id, member_id=member.id, joined_at=now)
        session.add(link)
        await session.flush()
    return link


async def get_schedule(session: AsyncSession, chat_pk: int) -> Schedule | None:
    """Return a chat's schedule row."""
    return (await session.exec(select(Schedule).where(Schedule.chat_id == chat_pk))).first()


async def ensure_schedule(session: AsyncSession, chat: Chat, *, timezone: str) -> Schedule:
    """Return a chat's schedule, created with defaults on first use."""
    assert chat.id is not None
    schedule = await get_schedule(session, chat.id)
    if schedule is None:
        schedule = Schedule(chat_id=chat.id, timezone=timezone)
        session.add(schedule)
        await session.flush()
    return schedule


async def get_progress(session: AsyncSession, chat_pk: int, course_id: str) -> CourseProgress:
    """Return where a chat is in a course (created on first use)."""
    progress = (
        await session.exec(
            select(CourseProgress).where(
                CourseProgress.chat_id == chat_pk, CourseProgress.course_id == course_id
            )
        )
    ).first()
    if progress is None:
        progress = CourseProgress(chat_id=chat_pk, course_id=course_id)
        session.add(progress)
        await session.flush()
    return progress


async def done_lesson_ids(session: AsyncSession, chat_pk: int, course_id: str) -> set[str]:
    """Return the ids of the lessons a chat has finished."""
    rows = await session.exec(
        select(LessonDone.lesson_id).where(
            LessonDone.chat_id == chat_pk, LessonDone.course_id == course_id
        )
    )
    return set(rows.all())


async def mark_lesson_done(
    session: AsyncSession, *, chat_pk: int, course_id: str, lesson_id: str, now: datetime
) -> bool:
    """Record a finished lesson; return False if it was already recorded."""
    return await insert_ignore(
        session,
        LessonDone,
        {"chat_id": chat_pk, "course_id": course_id, "lesson_id": lesson_id, "done_at": now},
        keys=["chat_id", "course_id", "lesson_id"],
    )


async def answered_question_ids(session: AsyncSession, member_pk: int, course_id: str) -> set[str]:
    """Return the ids of the questions a member has ever answered in a course."""
    rows = await session.exec(
        select(Answer.question_id)
        .join(SentQuestion, col(SentQuestion.id) == col(Answer.sent_question_id))
        .where(
            Answer.member_id == member_pk,
            Answer.course_id == course_id,
            SentQuestion.purpose != Purpose.EXAM,  # a mock exam does not teach: keep it "new"
        )
        .distinct()
    )
    return set(rows.all())


async def paused_question_ids(session: AsyncSession, course_id: str) -> set[str]:
    """Return the questions an operator has taken out of rotation."""
    rows = await session.exec(
        select(PausedQuestion.question_id).where(PausedQuestion.course_id == course_id)
    )
    return set(rows.all())


async def get_sent(
    session: AsyncSession, sent_pk: int, *, for_update: bool = False
) -> SentQuestion | None:
    """Return a sent question by id (row-locked on PostgreSQL with `for_update`)."""
    return await session.get(SentQuestion, sent_pk, with_for_update=for_update)


async def get_sent_by_poll(session: AsyncSession, poll_id: str) -> SentQuestion | None:
    """Return the sent question behind a poll id."""
    return (
        await session.exec(select(SentQuestion).where(SentQuestion.poll_id == poll_id))
    ).first()


async def tg_chat_of_poll(session: AsyncSession, poll_id: str) -> int | None:
    """Return the Telegram chat id a poll was sent to (None: not one of ours)."""
    query = (
        select(Chat.tg_chat_id)
        .join(SentQuestion, col(SentQuestion.chat_id) == col(Chat.id))
        .where(SentQuestion.poll_id == poll_id)
    )
    return (await session.exec(query)).first()


async def get_answer(session: AsyncSession, sent_pk: int, member_pk: int) -> Answer | None:
    """Return a member's answer to a sent question, if any."""
    return (
        await session.exec(
            select(Answer).where(Answer.sent_question_id == sent_pk, Answer.member_id == member_pk)
        )
    ).first()


async def get_card(
    session: AsyncSession, member_pk: int, course_id: str, question_id: str
) -> Card | None:
    """Return a member's FSRS card for a question."""
    return (
        await session.exec(
            select(Card).where(
                Card.member_id == member_pk,
                Card.course_id == course_id,
                Card.question_id == question_id,
            )
        )
    ).first()


async def add_study_day(session: AsyncSession, *, member_pk: int, day: date) -> None:
    """Record that a member studied on a local day (once per day)."""
    await insert_ignore(
        session, StudyDay, {"member_id": member_pk, "day": day}, keys=["member_id", "day"]
    )


async def accuracy_by_objective(
    session: AsyncSession, member_pk: int, course_id: str
) -> dict[str, tuple[int, int]]:
    """Return {objective: (correct, answered)} for a member in a course."""
    rows = await session.exec(
        select(Answer.objective, func.sum(cast(col(Answer.correct), Integer)), func.count())
        .join(SentQuestion, col(SentQuestion.id) == col(Answer.sent_question_id))
        .where(
            Answer.member_id == member_pk,
            Answer.course_id == course_id,
            SentQuestion.purpose != Purpose.EXAM,
        )
        .group_by(Answer.objective)
    )
    return {objective: (int(right or 0), int(total)) for objective, right, total in rows.all()}


def _insert(session: AsyncSession, model: type) -> Any:
    """An INSERT that knows ON CONFLICT for this session's dialect (SQLite or PostgreSQL)."""
    bind = session.get_bind()
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


async def insert_ignore(
    session: AsyncSession, model: type, values: dict[str, Any], *, keys: Sequence[str]
) -> bool:
    """Insert a row unless one with the same unique `keys` exists; return whether it was new.

    Atomic on both databases, so two transactions racing on PostgreSQL do not both insert.
    """
    statement = (
        _insert(session, model).values(**values).on_conflict_do_nothing(index_elements=keys)
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def put_value(session: AsyncSession, key: str, value: str, *, now: datetime) -> None:
    """Set a KeyValue row (insert or update in one statement)."""
    statement = _insert(session, KeyValue).values(key=key, value=value, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["key"], set_={"value": value, "updated_at": now}
    )
    await session.exec(statement)
