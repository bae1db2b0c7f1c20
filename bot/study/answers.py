"""Use cases of answering: a poll vote, a button press, toggles, "not sure", and grading.

Each function owns one short transaction (`db.begin()`), takes `now` as an argument and
returns a plain outcome; Telegram is called by the caller after the transaction commits.
`_grade` runs the steps of `bot.study.grading` in the transaction of the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.schema import Catalog, Question
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import Answer, Chat, Member, SentQuestion
from bot.kinds import GROUP_KINDS, SESSION_PURPOSES, ChatKind, Purpose, QuizStyle
from bot.quiz import engine
from bot.study import grading, questions
from bot.study.types import AnswerOutcome, Who


def needed_picks(question: Question) -> int:
    """How many options a multiple-answer question takes ("(Select two.)").

    The course format stores no number of picks: it is the number of right options, and the
    question message says it ("Pick 2, then Submit").
    """
    return len(question.correct_ids)


async def record_poll_answer(
    db: Database,
    catalog: Catalog,
    *,
    poll_id: str,
    who: Who,
    option_ids: Sequence[int],
    now: datetime,
) -> AnswerOutcome | None:
    """Grade a vote in one of our quiz polls (None: not our poll, or a retracted vote)."""
    if not option_ids:
        return None
    async with db.begin() as session:
        sent = await repo.get_sent_by_poll(session, poll_id)
        if sent is None:
            return None
        chat = await repo.get_chat_by_pk(session, sent.chat_id)
        if chat is None or any(not 0 <= int(i) < len(sent.option_order) for i in option_ids):
            return None  # not a vote this poll could carry (a -1 would pick the last option)
        chosen = engine.to_original(sent.option_order, [int(i) for i in option_ids])
        return await _grade(
            session, catalog, sent=sent, chat=chat, who=who, chosen=chosen, now=now
        )


async def record_button_answer(
    db: Database,
    catalog: Catalog,
    *,
    sent_id: int,
    who: Who,
    displayed: Sequence[int],
    now: datetime,
) -> AnswerOutcome | str:
    """Grade an inline-button answer; return a refusal key when the press is not acceptable."""
    async with db.begin() as session:
        found = await questions.sent_in_chat(session, sent_id, who)
        if isinstance(found, str):
            return found
        sent, chat = found
        if sent.member_id is not None:
            member = await repo.get_member(session, who.user_id)
            if member is None or member.id != sent.member_id:
                return "not_your_question"
        n = len(sent.option_order)
        if not displayed or any(not 0 <= i < n for i in displayed):
            return "button_expired"
        chosen = engine.to_original(sent.option_order, list(displayed))
        if _too_few_picks(catalog, sent=sent, chosen=chosen):
            return "pick_more_first"
        return await _grade(
            session, catalog, sent=sent, chat=chat, who=who, chosen=chosen, now=now
        )


async def toggle_option(
    db: Database, *, sent_id: int, who: Who, displayed: int, catalog: Catalog | None = None
) -> tuple[int, ...] | str:
    """Toggle a choice of a multiple-answer button question; return the selection.

    With the catalog, a tick beyond the question's number of picks is refused ("pick_limit").
    """
    async with db.begin() as session:
        found = await questions.sent_in_chat(session, sent_id, who, for_update=True)
        if isinstance(found, str):
            return found
        sent, chat = found
        if not 0 <= displayed < len(sent.option_order):
            return "button_expired"
        if chat.kind != ChatKind.PRIVATE:
            return "button_expired"  # groups answer multiple-answer items through polls
        selected = set(sent.selected or [])
        if displayed not in selected and catalog is not None:
            question = _question_of(catalog, sent)
            if question is not None and len(selected) >= needed_picks(question):
                return "pick_limit"
        selected ^= {displayed}
        sent.selected = sorted(selected)
        session.add(sent)
        return tuple(sent.selected)


def _question_of(catalog: Catalog, sent: SentQuestion) -> Question | None:
    course = catalog.course(sent.course_id)
    return course.question(sent.question_id) if course else None


def _too_few_picks(catalog: Catalog, *, sent: SentQuestion, chosen: Sequence[int]) -> bool:
    """A multiple-answer question submitted with fewer picks than it takes (exams excepted)."""
    question = _question_of(catalog, sent)
    return (
        question is not None
        and question.is_multiple
        and sent.purpose != Purpose.EXAM
        and len(set(chosen)) < needed_picks(question)
    )


async def mark_unsure(db: Database, *, sent_id: int, who: Who) -> bool:
    """Record that the learner is not sure before answering."""
    async with db.begin() as session:
        sent = await repo.get_sent(session, sent_id)
        if sent is None:
            return False
        chat = await repo.get_chat_by_pk(session, sent.chat_id)
        if chat is None or chat.tg_chat_id != who.chat_id:
            return False
        sent.unsure = True
        session.add(sent)
        return True


async def _grade(
    session: AsyncSession,
    catalog: Catalog,
    *,
    sent: SentQuestion,
    chat: Chat,
    who: Who,
    chosen: Sequence[int],
    now: datetime,
) -> AnswerOutcome:
    """Grade an answer to a sent question, once per member, and say what to tell them."""
    member = await _answering_member(session, chat=chat, who=who, now=now)
    base = _base_outcome(sent=sent, chat=chat, member=member, who=who)
    course = catalog.course(sent.course_id)
    question = course.question(sent.question_id) if course else None
    assert sent.id is not None
    assert member.id is not None
    if await repo.get_answer(session, sent.id, member.id) is not None:
        return replace(base, already_answered=True, question=question)
    if course is None or question is None:
        return replace(base, already_answered=True)
    answer = await grading.store_answer(
        session, sent=sent, chat=chat, member=member, question=question, chosen=chosen, now=now
    )
    if answer is None:  # the same answer raced in from a redelivered update
        return replace(base, already_answered=True, question=question)
    base = await _with_session_size(session, base, member=member)
    card = None
    if sent.purpose != Purpose.EXAM:  # an exam only scores: no card is rescheduled
        card = await grading.review_card(
            session, member=member, question=question, unsure=sent.unsure, answer=answer, now=now
        )
    confusion = await grading.note_confusion(
        session, member=member, question=question, chosen=chosen, now=now
    )
    await grading.note_study_day(session, chat=chat, member=member, now=now)
    lesson_done = await grading.lesson_progress(
        session, course, sent=sent, chat=chat, member=member, question=question, now=now
    )
    return replace(
        base,
        question=question,
        correct=answer.correct,
        chosen=tuple(chosen),
        lesson_done=lesson_done,
        confusion=confusion,
        next_due=card.due if card is not None else None,
        extras={"confidence_prompt": _asks_confidence(sent=sent, chat=chat, answer=answer)},
    )


async def _with_session_size(
    session: AsyncSession, base: AnswerOutcome, *, member: Member
) -> AnswerOutcome:
    """In a planned session, "next" is offered until its end: its size replaces the chat's."""
    assert member.id is not None
    if base.purpose in SESSION_PURPOSES:
        total = await questions.session_size(session, member_pk=member.id, purpose=base.purpose)
        if total:
            return replace(base, per_session=total)
    return base


def _asks_confidence(*, sent: SentQuestion, chat: Chat, answer: Answer) -> bool:
    """Ask "😎 Sure / 🤔 Guessed" after a right poll answer (button questions ask before)."""
    return (
        chat.confidence_prompt
        and answer.correct
        and sent.style == QuizStyle.POLL
        and sent.purpose != Purpose.EXAM
        and chat.kind == ChatKind.PRIVATE
    )


async def _answering_member(
    session: AsyncSession, *, chat: Chat, who: Who, now: datetime
) -> Member:
    """Upsert the member who answered and their membership of the chat."""
    member = await repo.upsert_member(
        session, tg_user_id=who.user_id, first_name=who.first_name, username=who.username, now=now
    )
    assert member.id is not None
    await repo.ensure_membership(session, chat=chat, member=member, now=now)
    return member


def _base_outcome(*, sent: SentQuestion, chat: Chat, member: Member, who: Who) -> AnswerOutcome:
    """The part of the outcome known before grading (an "already answered" outcome)."""
    assert sent.id is not None
    return AnswerOutcome(
        chat_id=chat.tg_chat_id,
        user_id=who.user_id,
        sent_id=sent.id,
        style=sent.style,
        purpose=sent.purpose,
        message_id=sent.tg_message_id,
        is_group=chat.kind in GROUP_KINDS,
        option_order=tuple(sent.option_order),
        exam_id=sent.exam_id,
        member_started_private=member.started_private and not member.blocked,
        session_index=sent.session_index,
        per_session=chat.questions_per_session,
    )
