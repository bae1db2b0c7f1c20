"""Use cases of the sent-question lifecycle: choose and store a question, attach, discard, redraw.

Each function owns one short transaction (`db.begin()`), takes `now` as an argument and
returns a plain outcome; Telegram is called by the caller after the transaction commits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.schema import Catalog, Course, Question, QuestionType
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import Answer, Card, Chat, Member, SentQuestion
from bot.kinds import SESSION_PURPOSES, Purpose, QuizStyle
from bot.quiz import engine
from bot.quiz.picking import pick_new_question
from bot.study import reviews
from bot.study.types import QuestionOut, Who


@dataclass(frozen=True, slots=True)
class _Ask:
    """What a caller of `prepare_question` asks for."""

    purpose: str
    lesson_id: str | None
    question_id: str | None
    number: int | None
    session_index: int


async def prepare_question(
    db: Database,
    catalog: Catalog,
    *,
    chat_id: int,
    user_id: int | None,
    purpose: str,
    now: datetime,
    rng: random.Random | None = None,
    lesson_id: str | None = None,
    question_id: str | None = None,
    number: int | None = None,
    session_index: int = 1,
) -> QuestionOut | None:
    """Pick the next question for a learner (or a group when user_id is None) and store it."""
    ask = _Ask(purpose, lesson_id, question_id, number, session_index)
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        course = catalog.course(chat.course_id) if chat and chat.course_id else None
        if chat is None or course is None or chat.id is None:
            return None
        member = await repo.get_member(session, user_id) if user_id is not None else None
        question, purpose = await _choose_question(
            session, course, chat=chat, member=member, ask=ask, now=now
        )
        if question is None:
            return None
        return await _store_question(
            session,
            course,
            chat=chat,
            member_pk=member.id if member is not None else None,
            question=question,
            ask=ask,
            purpose=purpose,
            rng=rng or random.Random(),
            now=now,
        )


async def _choose_question(
    session: AsyncSession,
    course: Course,
    *,
    chat: Chat,
    member: Member | None,
    ask: _Ask,
    now: datetime,
) -> tuple[Question | None, str]:
    """Return the question to ask and its purpose: a planned one, a due card or a new one."""
    assert chat.id is not None
    member_pk = member.id if member is not None else None
    paused = await repo.paused_question_ids(session, course.id)
    purpose, question_id = ask.purpose, ask.question_id
    picking = member is not None and question_id is None and ask.lesson_id is None
    if picking and member_pk is not None and purpose == Purpose.QUIZ:
        # "next" after a /review, /mistakes, /study or /drill question continues that plan
        planned = await reviews.continue_plan(
            session, chat_pk=chat.id, member_pk=member_pk, session_index=ask.session_index
        )
        if planned is not None:
            purpose, question_id = planned
            picking = False
    limits = None
    if picking and member is not None:  # daily limits of new questions and reviews
        limits = await reviews.limits_left(
            session, chat=chat, member=member, course_id=course.id, now=now
        )
    if question_id is not None:
        return course.question(question_id), purpose
    question = None
    if (
        member_pk is not None
        and ask.lesson_id is None
        and purpose in {Purpose.QUIZ, Purpose.REVIEW}
        and (limits is None or limits.reviews_left > 0)
    ):
        question = await _due_card_question(
            session, course, member_pk=member_pk, paused=paused, now=now
        )
    if question is None and (limits is None or limits.new_left > 0):
        question = await _new_question(
            session, course, chat_pk=chat.id, member_pk=member_pk, paused=paused, ask=ask, now=now
        )
    return question, purpose


async def _new_question(
    session: AsyncSession,
    course: Course,
    *,
    chat_pk: int,
    member_pk: int | None,
    paused: set[str],
    ask: _Ask,
    now: datetime,
) -> Question | None:
    """Load what the learner (or the group) has seen and pick a question not answered yet."""
    progress = await repo.get_progress(session, chat_pk, course.id)
    answered = (
        await repo.answered_question_ids(session, member_pk, course.id)
        if member_pk is not None
        else await _group_sent_ids(session, chat_pk, course.id)
    )
    return pick_new_question(
        course,
        answered=answered,
        paused=paused,
        done_lessons=await repo.done_lesson_ids(session, chat_pk, course.id),
        current_lesson_id=progress.current_lesson_id,
        lesson_id=ask.lesson_id,
        pending=await _pending_ids(session, chat_pk, member_pk, now=now),
    )


async def _store_question(
    session: AsyncSession,
    course: Course,
    *,
    chat: Chat,
    member_pk: int | None,
    question: Question,
    ask: _Ask,
    purpose: str,
    rng: random.Random,
    now: datetime,
) -> QuestionOut:
    """Store the chosen question as sent and describe it for sending."""
    style = chat.quiz_style if chat.quiz_style in set(QuizStyle) else QuizStyle.POLL
    sent, options, correct = await create_sent_question(
        session,
        chat=chat,
        member_pk=member_pk,
        question=question,
        style=style,
        purpose=purpose,
        now=now,
        rng=rng,
    )
    sent.session_index = ask.session_index
    assert sent.id is not None
    number, total = await _place_in_session(session, chat=chat, sent=sent, number=ask.number)
    return QuestionOut(
        sent_id=sent.id,
        chat_id=chat.tg_chat_id,
        style=style,
        question=question,
        options=options,
        correct_displayed=correct,
        purpose=purpose,
        number=number,
        total=total,
        confidence_prompt=chat.confidence_prompt and style == QuizStyle.BUTTONS,
    )


async def session_size(session: AsyncSession, *, member_pk: int, purpose: str) -> int | None:
    """The size of the learner's planned session of this purpose (None: the chat's size holds)."""
    if purpose not in SESSION_PURPOSES:
        return None
    return await reviews.plan_total(session, member_pk, purpose)


async def _place_in_session(
    session: AsyncSession, *, chat: Chat, sent: SentQuestion, number: int | None
) -> tuple[int | None, int | None]:
    """(place, size) of a learner's question in their session: "2/5" in its header.

    A group question has no session of its own: only a given number (a recap warm-up).
    """
    if sent.member_id is None:
        return number, None
    size = await session_size(session, member_pk=sent.member_id, purpose=sent.purpose)
    return sent.session_index, size or chat.questions_per_session


async def _due_card_question(
    session: AsyncSession, course: Course, *, member_pk: int, paused: set[str], now: datetime
) -> Question | None:
    rows = await session.exec(
        select(Card.question_id)
        .where(Card.member_id == member_pk, Card.course_id == course.id, Card.due <= now)
        .order_by(col(Card.due))
        .limit(20)
    )
    for question_id in rows.all():
        question = course.question(question_id)
        if question is not None and question_id not in paused:
            return question
    return None


async def create_sent_question(
    session: AsyncSession,
    *,
    chat: Chat,
    member_pk: int | None,
    question: Question,
    style: str,
    purpose: str,
    now: datetime,
    rng: random.Random,
    exam_id: int | None = None,
) -> tuple[SentQuestion, tuple[str, ...], tuple[int, ...]]:
    """Store a question about to be sent; return it, its displayed options and correct indexes."""
    assert chat.id is not None
    n = len(question.options)
    if question.type == QuestionType.TRUE_FALSE:
        order = tuple(range(n))
    else:
        order = engine.shuffle_order(n, seed=rng.randrange(2**31))
    sent = SentQuestion(
        chat_id=chat.id,
        member_id=member_pk,
        course_id=question.course_id,
        lesson_id=question.lesson_id,
        question_id=question.id,
        style=style,
        purpose=purpose,
        option_order=list(order),
        exam_id=exam_id,
        sent_at=now,
    )
    session.add(sent)
    await session.flush()
    options = tuple(question.options[i].text for i in order)
    correct = engine.to_displayed(order, question.correct_ids)
    return sent, options, tuple(sorted(correct))


async def _pending_ids(
    session: AsyncSession, chat_pk: int, member_pk: int | None, *, now: datetime
) -> set[str]:
    """Questions sent to this learner in the last day and not answered yet."""
    if member_pk is None:
        return set()  # groups never repeat: _group_sent_ids already excludes sent questions
    answered = select(Answer.id).where(
        Answer.sent_question_id == SentQuestion.id, Answer.member_id == member_pk
    )
    rows = await session.exec(
        select(SentQuestion.question_id).where(
            SentQuestion.chat_id == chat_pk,
            SentQuestion.member_id == member_pk,
            SentQuestion.sent_at >= now - timedelta(days=1),
            ~answered.exists(),
        )
    )
    return set(rows.all())


async def _group_sent_ids(session: AsyncSession, chat_pk: int, course_id: str) -> set[str]:
    rows = await session.exec(
        select(SentQuestion.question_id)
        .where(SentQuestion.chat_id == chat_pk, SentQuestion.course_id == course_id)
        .distinct()
    )
    return set(rows.all())


async def attach_message(
    db: Database, *, sent_id: int, message_id: int, poll_id: str | None
) -> None:
    """Remember the Telegram message (and poll) of a sent question."""
    async with db.begin() as session:
        sent = await repo.get_sent(session, sent_id)
        if sent is not None:
            sent.tg_message_id = message_id
            sent.poll_id = poll_id
            session.add(sent)


async def discard_sent(db: Database, *, sent_id: int) -> None:
    """Forget a sent question whose sending failed."""
    async with db.begin() as session:
        sent = await repo.get_sent(session, sent_id)
        if sent is not None:
            await session.delete(sent)


async def current_selection(db: Database, *, sent_id: int) -> tuple[int, ...]:
    """Return the toggled choices of a multiple-answer button question."""
    async with db.read() as session:
        sent = await repo.get_sent(session, sent_id)
        return tuple(sent.selected or []) if sent is not None else ()


async def question_out(db: Database, catalog: Catalog, *, sent_id: int) -> QuestionOut | None:
    """Rebuild what was sent for a stored question (to redraw its message)."""
    async with db.read() as session:
        sent = await repo.get_sent(session, sent_id)
        if sent is None:
            return None
        chat = await repo.get_chat_by_pk(session, sent.chat_id)
        if chat is None:
            return None
        number, total = await _place_in_session(session, chat=chat, sent=sent, number=None)
    course = catalog.course(sent.course_id)
    question = course.question(sent.question_id) if course else None
    if chat is None or question is None or sent.id is None:
        return None
    order = tuple(sent.option_order)
    return QuestionOut(
        sent_id=sent.id,
        chat_id=chat.tg_chat_id,
        style=sent.style,
        question=question,
        options=tuple(question.options[i].text for i in order),
        correct_displayed=tuple(sorted(engine.to_displayed(order, question.correct_ids))),
        purpose=sent.purpose,
        number=number,
        total=total,
        confidence_prompt=chat.confidence_prompt and sent.style == QuizStyle.BUTTONS,
    )


MORE_NEW = 5  # "➕ 5 more new today"


async def allow_more_new(
    db: Database, *, chat_id: int, user_id: int, now: datetime, more: int = MORE_NEW
) -> int | None:
    """Let a learner take ``more`` new questions today beyond the limit; return today's allowance.

    None without a chat or learner. The extra lasts until the learner's local midnight.
    """
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        member = await repo.get_member(session, user_id)
        if chat is None or member is None:
            return None
        extra = await reviews.add_extra_new(session, chat=chat, member=member, more=more, now=now)
        return chat.new_per_day + extra


async def sent_in_chat(
    session: AsyncSession, sent_id: int, who: Who, *, for_update: bool = False
) -> tuple[SentQuestion, Chat] | str:
    """Return a sent question and its chat, or a refusal key: gone, or sent to another chat."""
    sent = await repo.get_sent(session, sent_id, for_update=for_update)
    if sent is None:
        return "question_gone"
    chat = await repo.get_chat_by_pk(session, sent.chat_id)
    if chat is None or chat.tg_chat_id != who.chat_id:
        return "not_your_question"
    return sent, chat
