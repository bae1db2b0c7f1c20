"""Use cases of learning: enrol, next lesson, next question, grade an answer.

Each function owns one short transaction (`db.begin()`), takes `now` as an argument and
returns a plain outcome; Telegram is called by the caller after the transaction commits.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.schema import Catalog, Course, Lesson, Question, QuestionType
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import Answer, Card, Chat, Confusion, Member, ReviewLog, SentQuestion
from bot.kinds import GROUP_KINDS, SESSION_PURPOSES, ChatKind, Purpose, QuizStyle
from bot.progress.streak import local_day
from bot.quiz import engine
from bot.scheduling.due import tzinfo_for
from bot.srs import review as srs
from bot.srs.grading import Rating, rating_for
from bot.study import reviews


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


def _next_lesson(course: Course, done: set[str]) -> Lesson | None:
    return next((lesson for lesson in course.lessons if lesson.id not in done), None)


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
        lesson = _next_lesson(course, done)
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


def pick_new_question(
    course: Course,
    *,
    answered: set[str],
    paused: set[str],
    done_lessons: set[str],
    current_lesson_id: str | None,
    lesson_id: str | None = None,
    pending: AbstractSet[str] = frozenset(),
) -> Question | None:
    """Choose the next unanswered question: the given or current lesson first, then in order.

    Questions already sent and still waiting for an answer (`pending`) come last, so a
    "take the quiz" tap after a scheduled delivery does not repeat the question just sent.
    """
    order: list[Lesson] = []
    for wanted in (lesson_id, current_lesson_id):
        lesson = course.lesson(wanted) if wanted else None
        if lesson is not None and lesson not in order:
            order.append(lesson)
    if lesson_id is None:
        order += [item for item in course.lessons if item not in order]
    candidates = [
        question
        for lesson in order
        for question in lesson.questions
        if question.id not in answered and question.id not in paused
    ]
    fresh = [question for question in candidates if question.id not in pending]
    chosen = fresh or candidates
    return chosen[0] if chosen else None


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
    rng = rng or random.Random()
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        course = catalog.course(chat.course_id) if chat and chat.course_id else None
        if chat is None or course is None or chat.id is None:
            return None
        member = await repo.get_member(session, user_id) if user_id is not None else None
        member_pk = member.id if member is not None else None
        paused = await repo.paused_question_ids(session, course.id)
        question: Question | None = None
        picking = member is not None and question_id is None and lesson_id is None
        if picking and member_pk is not None and purpose == Purpose.QUIZ:
            # "next" after a /review, /mistakes, /study or /drill question continues that plan
            planned = await reviews.continue_plan(
                session, chat_pk=chat.id, member_pk=member_pk, session_index=session_index
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
            question = course.question(question_id)
        else:
            if (
                member_pk is not None
                and lesson_id is None
                and purpose in {Purpose.QUIZ, Purpose.REVIEW}
                and (limits is None or limits.reviews_left > 0)
            ):
                question = await _due_card_question(
                    session, course, member_pk=member_pk, paused=paused, now=now
                )
            if question is None and (limits is None or limits.new_left > 0):
                progress = await repo.get_progress(session, chat.id, course.id)
                answered = (
                    await repo.answered_question_ids(session, member_pk, course.id)
                    if member_pk is not None
                    else await _group_sent_ids(session, chat.id, course.id)
                )
                question = pick_new_question(
                    course,
                    answered=answered,
                    paused=paused,
                    done_lessons=await repo.done_lesson_ids(session, chat.id, course.id),
                    current_lesson_id=progress.current_lesson_id,
                    lesson_id=lesson_id,
                    pending=await _pending_ids(session, chat.id, member_pk, now=now),
                )
        if question is None:
            return None
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
        sent.session_index = session_index
        assert sent.id is not None
        lesson = course.lesson(question.lesson_id)
        total = len(lesson.questions) if lesson else None
        position = [q.id for q in lesson.questions].index(question.id) + 1 if lesson else None
        return QuestionOut(
            sent_id=sent.id,
            chat_id=chat_id,
            style=style,
            question=question,
            options=options,
            correct_displayed=correct,
            purpose=purpose,
            number=number if number is not None else position,
            total=total,
            confidence_prompt=chat.confidence_prompt and style == QuizStyle.BUTTONS,
        )


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
        sent = await repo.get_sent(session, sent_id)
        if sent is None:
            return "question_gone"
        chat = await repo.get_chat_by_pk(session, sent.chat_id)
        if chat is None or chat.tg_chat_id != who.chat_id:
            return "not_your_question"
        if sent.member_id is not None:
            member = await repo.get_member(session, who.user_id)
            if member is None or member.id != sent.member_id:
                return "not_your_question"
        n = len(sent.option_order)
        if not displayed or any(not 0 <= i < n for i in displayed):
            return "button_expired"
        chosen = engine.to_original(sent.option_order, list(displayed))
        return await _grade(
            session, catalog, sent=sent, chat=chat, who=who, chosen=chosen, now=now
        )


async def toggle_option(
    db: Database, *, sent_id: int, who: Who, displayed: int
) -> tuple[int, ...] | str:
    """Toggle a choice of a multiple-answer button question; return the selection."""
    async with db.begin() as session:
        sent = await repo.get_sent(session, sent_id, for_update=True)
        if sent is None:
            return "question_gone"
        chat = await repo.get_chat_by_pk(session, sent.chat_id)
        if chat is None or chat.tg_chat_id != who.chat_id:
            return "not_your_question"
        if not 0 <= displayed < len(sent.option_order):
            return "button_expired"
        if chat.kind != ChatKind.PRIVATE:
            return "button_expired"  # groups answer multiple-answer items through polls
        selected = set(sent.selected or [])
        selected ^= {displayed}
        sent.selected = sorted(selected)
        session.add(sent)
        return tuple(sent.selected)


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
    assert sent.id is not None
    assert chat.id is not None
    member_who = Who(
        chat_id=chat.tg_chat_id,
        chat_kind=chat.kind,
        user_id=who.user_id,
        first_name=who.first_name,
        username=who.username,
    )
    member = await repo.upsert_member(
        session, tg_user_id=who.user_id, first_name=who.first_name, username=who.username, now=now
    )
    assert member.id is not None
    await repo.ensure_membership(session, chat=chat, member=member, now=now)
    base = {
        "chat_id": chat.tg_chat_id,
        "user_id": who.user_id,
        "sent_id": sent.id,
        "style": sent.style,
        "purpose": sent.purpose,
        "message_id": sent.tg_message_id,
        "is_group": member_who.is_group,
        "option_order": tuple(sent.option_order),
        "exam_id": sent.exam_id,
        "member_started_private": member.started_private and not member.blocked,
        "session_index": sent.session_index,
        "per_session": chat.questions_per_session,
    }
    course = catalog.course(sent.course_id)
    question = course.question(sent.question_id) if course else None
    if await repo.get_answer(session, sent.id, member.id) is not None:
        return AnswerOutcome(already_answered=True, question=question, **base)  # type: ignore[arg-type]
    if course is None or question is None:
        return AnswerOutcome(already_answered=True, **base)  # type: ignore[arg-type]
    result = engine.grade(question.correct_ids, chosen)
    latency = max(0, int((now - sent.sent_at).total_seconds() * 1000))
    answer = Answer(
        sent_question_id=sent.id,
        member_id=member.id,
        chat_id=chat.id,
        course_id=course.id,
        question_id=question.id,
        objective=question.objective,
        chosen=list(chosen),
        correct=result.correct,
        answered_at=now,
        latency_ms=latency,
        confidence="unsure" if sent.unsure else None,
    )
    try:
        async with session.begin_nested():
            session.add(answer)
    except IntegrityError:  # the same answer raced in from a redelivered update
        return AnswerOutcome(already_answered=True, question=question, **base)  # type: ignore[arg-type]
    if sent.purpose in SESSION_PURPOSES:  # a planned session: "next" until its end
        total = await reviews.plan_total(session, member.id, sent.purpose)
        if total:
            base["per_session"] = total
    next_due = None
    if sent.purpose != Purpose.EXAM:
        card = await _review_card(
            session,
            member=member,
            question=question,
            correct=result.correct,
            unsure=sent.unsure,
            latency_ms=latency,
            now=now,
        )
        answer.rating = card[1]
        next_due = card[0].due
    confusion = await _note_confusion(
        session, member=member, question=question, chosen=chosen, now=now
    )
    tz = member.timezone or (await repo.ensure_schedule(session, chat, timezone="UTC")).timezone
    await repo.add_study_day(session, member_pk=member.id, day=local_day(now, tzinfo_for(tz)))
    lesson_done = None
    lesson = course.lesson(question.lesson_id)
    if (
        lesson is not None
        and chat.kind == ChatKind.PRIVATE
        and sent.purpose in {Purpose.LESSON, Purpose.QUIZ}
    ):
        answered = await repo.answered_question_ids(session, member.id, course.id)
        answered.add(question.id)
        remaining = [q for q in lesson.questions if q.id not in answered]
        if not remaining and await repo.mark_lesson_done(
            session, chat_pk=chat.id, course_id=course.id, lesson_id=lesson.id, now=now
        ):
            lesson_done = lesson
    return AnswerOutcome(
        question=question,
        correct=result.correct,
        chosen=tuple(chosen),
        lesson_done=lesson_done,
        confusion=confusion,
        next_due=next_due,
        extras={
            # "😎 Sure / 🤔 Guessed" after a right poll answer (button questions ask before)
            "confidence_prompt": chat.confidence_prompt
            and result.correct
            and sent.style == QuizStyle.POLL
            and sent.purpose != Purpose.EXAM
            and chat.kind == ChatKind.PRIVATE,
        },
        **base,  # type: ignore[arg-type]
    )


async def _review_card(
    session: AsyncSession,
    *,
    member: Member,
    question: Question,
    correct: bool,
    unsure: bool,
    latency_ms: int,
    now: datetime,
) -> tuple[Card, int]:
    assert member.id is not None
    card = await repo.get_card(session, member.id, question.course_id, question.id)
    state = None
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
    elif card.data:
        state = srs.from_dict(card.data)
    assert card.id is not None
    rating = rating_for(
        correct=correct,
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
    return card, int(rating)


async def _note_confusion(
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


async def has_course(db: Database, *, chat_id: int) -> bool:
    """Tell whether a chat is enrolled in a course."""
    async with db.read() as session:
        chat = await repo.get_chat(session, chat_id)
        return chat is not None and chat.course_id is not None


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
        confidence_prompt=chat.confidence_prompt and sent.style == QuizStyle.BUTTONS,
    )


async def new_per_day(db: Database, *, chat_id: int) -> int:
    """Return a chat's daily allowance of new questions."""
    async with db.read() as session:
        chat = await repo.get_chat(session, chat_id)
        return chat.new_per_day if chat is not None else 0
