"""The steps of grading one answer, run by `bot.study.answers` inside its transaction.

Store the answer, review the card, note the confusion, count the study day, mark the lesson.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.schema import Course, Lesson, Question
from bot.db import repo
from bot.db.models import Answer, Card, Chat, Confusion, Member, ReviewLog, SentQuestion
from bot.kinds import ChatKind, Purpose
from bot.progress.streak import local_day
from bot.quiz import engine
from bot.scheduling.due import tzinfo_for
from bot.srs import review as srs
from bot.srs.grading import Rating, rating_for


async def store_answer(
    session: AsyncSession,
    *,
    sent: SentQuestion,
    chat: Chat,
    member: Member,
    question: Question,
    chosen: Sequence[int],
    now: datetime,
) -> Answer | None:
    """Grade and store the answer; None when the same answer was stored meanwhile."""
    assert sent.id is not None
    assert member.id is not None
    assert chat.id is not None
    result = engine.grade(question.correct_ids, chosen)
    answer = Answer(
        sent_question_id=sent.id,
        member_id=member.id,
        chat_id=chat.id,
        course_id=question.course_id,
        question_id=question.id,
        objective=question.objective,
        chosen=list(chosen),
        correct=result.correct,
        answered_at=now,
        latency_ms=max(0, int((now - sent.sent_at).total_seconds() * 1000)),
        confidence="unsure" if sent.unsure else None,
    )
    try:
        async with session.begin_nested():
            session.add(answer)
    except IntegrityError:
        return None
    return answer


async def review_card(
    session: AsyncSession,
    *,
    member: Member,
    question: Question,
    unsure: bool,
    answer: Answer,
    now: datetime,
) -> Card:
    """Rate the answer, reschedule the member's card of the question and log the review."""
    card = await _card_of(session, member=member, question=question, now=now)
    assert card.id is not None
    assert member.id is not None
    latency_ms = answer.latency_ms or 0
    state = srs.from_dict(card.data) if card.data else None
    rating = rating_for(
        correct=answer.correct,
        unsure=unsure,
        latency_ms=latency_ms,
        stability_days=state.stability if state else None,
    )
    new_state, _log = srs.review(state, rating, card_id=card.id, now=now, duration_ms=latency_ms)
    card.data = new_state.data
    card.due = new_state.due
    card.state = new_state.state
    card.stability = new_state.stability
    card.difficulty = new_state.difficulty
    card.last_review = now
    card.reps += 1
    if rating == Rating.AGAIN:
        card.lapses += 1
        card.last_wrong_at = now
    session.add(card)
    session.add(
        ReviewLog(
            card_id=card.id,
            member_id=member.id,
            rating=int(rating),
            reviewed_at=now,
            duration_ms=latency_ms,
        )
    )
    answer.rating = int(rating)
    return card


async def _card_of(
    session: AsyncSession, *, member: Member, question: Question, now: datetime
) -> Card:
    """Return the member's card of the question, creating a new one due now."""
    assert member.id is not None
    card = await repo.get_card(session, member.id, question.course_id, question.id)
    if card is None:
        card = Card(
            member_id=member.id,
            course_id=question.course_id,
            question_id=question.id,
            objective=question.objective,
            data={},
            due=now,
        )
        session.add(card)
        await session.flush()
    return card


async def note_confusion(
    session: AsyncSession,
    *,
    member: Member,
    question: Question,
    chosen: Sequence[int],
    now: datetime,
) -> tuple[str, str, int] | None:
    """Count a wrong pick of one labelled concept where another was right."""
    assert member.id is not None
    expected = [question.options[i].concept for i in question.correct_ids]
    picked = [question.options[i].concept for i in chosen if i not in question.correct_ids]
    if len(expected) != 1 or not expected[0] or not picked or not picked[0]:
        return None
    row = (
        await session.exec(
            select(Confusion)
            .where(
                Confusion.member_id == member.id,
                Confusion.course_id == question.course_id,
                Confusion.expected == expected[0],
                Confusion.chosen == picked[0],
            )
            .with_for_update()  # PostgreSQL: no lost increments (SQLite: BEGIN IMMEDIATE)
        )
    ).first()
    if row is None:
        row = Confusion(
            member_id=member.id,
            course_id=question.course_id,
            expected=expected[0],
            chosen=picked[0],
            count=0,
        )
    row.count += 1
    row.last_at = now
    session.add(row)
    return expected[0], picked[0], row.count


async def note_study_day(
    session: AsyncSession, *, chat: Chat, member: Member, now: datetime
) -> None:
    """Count today, in the member's time zone, as a day they studied."""
    assert member.id is not None
    tz = member.timezone or (await repo.ensure_schedule(session, chat, timezone="UTC")).timezone
    await repo.add_study_day(session, member_pk=member.id, day=local_day(now, tzinfo_for(tz)))


async def lesson_progress(
    session: AsyncSession,
    course: Course,
    *,
    sent: SentQuestion,
    chat: Chat,
    member: Member,
    question: Question,
    now: datetime,
) -> Lesson | None:
    """Mark the question's lesson done when this answer was its last one (private chats)."""
    assert member.id is not None
    assert chat.id is not None
    lesson = course.lesson(question.lesson_id)
    if (
        lesson is None
        or chat.kind != ChatKind.PRIVATE
        or sent.purpose not in {Purpose.LESSON, Purpose.QUIZ}
    ):
        return None
    answered = await repo.answered_question_ids(session, member.id, course.id)
    answered.add(question.id)
    remaining = [q for q in lesson.questions if q.id not in answered]
    if not remaining and await repo.mark_lesson_done(
        session, chat_pk=chat.id, course_id=course.id, lesson_id=lesson.id, now=now
    ):
        return lesson
    return None
