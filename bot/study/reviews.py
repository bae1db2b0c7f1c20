"""Use cases of spaced repetition: review/mistakes/study/drill sessions, daily limits, confidence.

A session (``/review``, ``/mistakes``, ``/study N``, ``/drill``) is planned once when it starts:
the question ids are stored as a small JSON plan in ``KeyValue`` under ``srs-plan:<member>``, so
the "next" button (and a restart) continues the same list. Questions are then sent one at a time
through ``questions.prepare_question(question_id=...)`` with the session's purpose.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.schema import Catalog, Course, Question
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import (
    Answer,
    Card,
    Chat,
    Confusion,
    KeyValue,
    Member,
    ReviewLog,
    SentQuestion,
)
from bot.kinds import SESSION_PURPOSES, Purpose
from bot.progress.streak import local_day
from bot.scheduling.due import tzinfo_for
from bot.srs import review as srs
from bot.srs import session as planner
from bot.srs.grading import Rating, rating_for
from bot.srs.session import CardView

MISTAKES_LIMIT = 10
DRILL_SIZE = 5
WEAKEST_COUNT = 2  # objectives favoured by /review as the exam nears...
SMALL_COURSE_OBJECTIVES = 3  # ...only the weakest one in a course this small
_PLAN_KEY = "srs-plan:{member}"
# Today's extra new questions a learner asked for ("➕ 5 more new today"): {"day", "extra"}.
# Keyed by the Telegram user id, so /forgetme deletes it with the rest.
_EXTRA_NEW_KEY = "new-extra:{user}"


@dataclass(frozen=True, slots=True)
class Plan:
    """A planned session: its purpose and question ids in the order they are asked."""

    purpose: str
    question_ids: tuple[str, ...]
    started_at: datetime


@dataclass(frozen=True, slots=True)
class SessionStart:
    """The result of starting a session; ``empty`` is a text key when there is nothing to do."""

    purpose: str
    total: int
    empty: str | None = None
    next_due: datetime | None = None  # /review with nothing due: when the next card comes due
    confusion: tuple[str, str] | None = None  # /drill: (expected, chosen) concepts
    weakest: tuple[str, ...] = ()  # /review close to the exam: objectives favoured
    limit: int = 0  # /review over the daily limit: the limit
    timezone: str = "UTC"  # the learner's time zone, to show ``next_due`` in


@dataclass(frozen=True, slots=True)
class Limits:
    """What is left of today's allowance of new questions and reviews."""

    new_left: int
    reviews_left: int
    new_today: int = 0  # today's allowance of new questions: the daily limit plus any extra


# --- time zones and days ----------------------------------------------------------------------


async def member_tz_name(session: AsyncSession, member: Member, chat: Chat | None) -> str:
    """Return the learner's time zone name: their own, else the chat's schedule, else UTC."""
    if member.timezone:
        return member.timezone
    if chat is not None and chat.id is not None:
        schedule = await repo.get_schedule(session, chat.id)
        if schedule is not None:
            return schedule.timezone
    return "UTC"


def day_start(day: date, tz: tzinfo) -> datetime:
    """Return the UTC instant at which local ``day`` begins in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


# --- cards ------------------------------------------------------------------------------------


def recall_of(card: Card, when: datetime) -> float:
    """Return the predicted recall (0..1) of a stored card at ``when``."""
    if not card.data:
        return 0.0
    return srs.retrievability_at(srs.from_dict(card.data), when)


async def member_cards(session: AsyncSession, member_pk: int, course_id: str) -> list[Card]:
    """Return every card of a learner in a course."""
    rows = await session.exec(
        select(Card).where(Card.member_id == member_pk, Card.course_id == course_id)
    )
    return list(rows.all())


def card_views(
    cards: Sequence[Card], course: Course, *, now: datetime, paused: set[str]
) -> list[CardView]:
    """Turn stored cards into the planner's view (unknown and paused questions left out)."""
    views = []
    for card in cards:
        if course.question(card.question_id) is None or card.question_id in paused:
            continue
        views.append(
            CardView(
                key=card.question_id,
                objective=card.objective,
                due=card.due,
                recall=recall_of(card, now),
                lapses=card.lapses,
                last_wrong_at=card.last_wrong_at,
            )
        )
    return views


def recall_by_objective(
    course: Course, cards: Sequence[Card], *, when: datetime
) -> dict[str, float]:
    """Return the mean predicted recall at ``when`` over each objective's questions (unseen: 0)."""
    by_question = {card.question_id: card for card in cards}
    out: dict[str, float] = {}
    for objective in course.objectives:
        questions = course.questions_for_objective(objective.id)
        if not questions:
            continue
        total = sum(recall_of(by_question[q.id], when) for q in questions if q.id in by_question)
        out[objective.id] = total / len(questions)
    return out


# --- daily limits -----------------------------------------------------------------------------


async def daily_counts(
    session: AsyncSession, *, member_pk: int, course_id: str, since: datetime
) -> tuple[int, int]:
    """Return (new questions, reviews) a learner answered since ``since`` (exams left out)."""
    not_exam = col(SentQuestion.purpose) != Purpose.EXAM
    joined = (
        select(Answer.question_id, func.min(Answer.answered_at))
        .join(SentQuestion, col(SentQuestion.id) == col(Answer.sent_question_id))
        .where(Answer.member_id == member_pk, Answer.course_id == course_id, not_exam)
        .group_by(col(Answer.question_id))
    )
    firsts = {qid: first for qid, first in (await session.exec(joined)).all()}
    today = await session.exec(
        select(Answer.question_id)
        .join(SentQuestion, col(SentQuestion.id) == col(Answer.sent_question_id))
        .where(
            Answer.member_id == member_pk,
            Answer.course_id == course_id,
            col(Answer.answered_at) >= since,
            not_exam,
        )
    )
    new = {qid for qid, first in firsts.items() if first >= since}
    reviews = sum(1 for qid in today.all() if qid not in new)
    return len(new), reviews


async def limits_left(
    session: AsyncSession, *, chat: Chat, member: Member, course_id: str, now: datetime
) -> Limits:
    """Return what is left today of the chat's new-question and review limits for a learner."""
    assert member.id is not None
    tz = tzinfo_for(await member_tz_name(session, member, chat))
    since = day_start(local_day(now, tz), tz)
    new, reviews = await daily_counts(
        session, member_pk=member.id, course_id=course_id, since=since
    )
    extra = await _extra_new(session, member=member, day=local_day(now, tz))
    return Limits(
        new_left=max(0, chat.new_per_day + extra - new),
        reviews_left=max(0, chat.reviews_per_day - reviews),
        new_today=chat.new_per_day + extra,
    )


async def _extra_new(session: AsyncSession, *, member: Member, day: date) -> int:
    """The extra new questions the learner asked for on local ``day`` (0: none that day)."""
    row = await session.get(KeyValue, _EXTRA_NEW_KEY.format(user=member.tg_user_id))
    try:
        data = json.loads(row.value) if row is not None and row.value else {}
        return int(data["extra"]) if data.get("day") == day.isoformat() else 0
    except (ValueError, KeyError, TypeError, AttributeError):
        return 0


async def add_extra_new(
    session: AsyncSession, *, chat: Chat, member: Member, more: int, now: datetime
) -> int:
    """Raise today's allowance of new questions by ``more``; return today's extra."""
    day = local_day(now, tzinfo_for(await member_tz_name(session, member, chat)))
    extra = await _extra_new(session, member=member, day=day) + more
    value = json.dumps({"day": day.isoformat(), "extra": extra})
    await repo.put_value(session, _EXTRA_NEW_KEY.format(user=member.tg_user_id), value, now=now)
    return extra


async def daily_limits(
    db: Database, *, chat_id: int, user_id: int, now: datetime
) -> Limits | None:
    """Return today's allowance left for a learner (None without a course)."""
    async with db.read() as session:
        chat = await repo.get_chat(session, chat_id)
        member = await repo.get_member(session, user_id)
        if chat is None or member is None or chat.course_id is None:
            return None
        return await limits_left(
            session, chat=chat, member=member, course_id=chat.course_id, now=now
        )


# --- session plans ----------------------------------------------------------------------------


async def load_plan(session: AsyncSession, member_pk: int) -> Plan | None:
    """Return the learner's current session plan, if any."""
    row = await session.get(KeyValue, _PLAN_KEY.format(member=member_pk))
    if row is None or not row.value:
        return None
    try:
        data = json.loads(row.value)
        return Plan(
            purpose=str(data["purpose"]),
            question_ids=tuple(str(q) for q in data["ids"]),
            started_at=datetime.fromisoformat(data["started"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


async def save_plan(session: AsyncSession, member_pk: int, plan: Plan) -> None:
    """Store the learner's session plan (replacing any older one)."""
    key = _PLAN_KEY.format(member=member_pk)
    value = json.dumps(
        {
            "purpose": plan.purpose,
            "ids": list(plan.question_ids),
            "started": plan.started_at.isoformat(),
        }
    )
    await repo.put_value(session, key, value, now=plan.started_at)


async def plan_total(session: AsyncSession, member_pk: int, purpose: str) -> int | None:
    """Return the length of the learner's running plan of this purpose (None: no such plan)."""
    plan = await load_plan(session, member_pk)
    if plan is None or plan.purpose != purpose:
        return None
    return len(plan.question_ids)


async def continue_plan(
    session: AsyncSession, *, chat_pk: int, member_pk: int, session_index: int
) -> tuple[str, str] | None:
    """Return (purpose, question id) to ask as question ``session_index`` of the running plan.

    Only when the learner's newest question in this chat belongs to the plan and was question
    ``session_index - 1``, so an old "next" button or a finished plan falls back to /quiz.
    """
    if session_index < 2:
        return None
    plan = await load_plan(session, member_pk)
    if plan is None or session_index > len(plan.question_ids):
        return None
    latest = (
        await session.exec(
            select(SentQuestion)
            .where(SentQuestion.chat_id == chat_pk, SentQuestion.member_id == member_pk)
            .order_by(col(SentQuestion.sent_at).desc(), col(SentQuestion.id).desc())
            .limit(1)
        )
    ).first()
    if latest is None or latest.purpose != plan.purpose:
        return None
    if latest.session_index != session_index - 1:
        return None
    return plan.purpose, plan.question_ids[session_index - 1]


async def plan_question(db: Database, *, user_id: int, purpose: str, index: int) -> str | None:
    """Return the question id at 0-based ``index`` of the learner's plan of this purpose."""
    async with db.read() as session:
        member = await repo.get_member(session, user_id)
        if member is None or member.id is None:
            return None
        plan = await load_plan(session, member.id)
    if plan is None or plan.purpose != purpose or not 0 <= index < len(plan.question_ids):
        return None
    return plan.question_ids[index]


def _drill_questions(course: Course, expected: str, chosen: str) -> list[Question]:
    """Questions with one option of each concept: answering them separates the two."""
    out = []
    for question in course.questions:
        concepts = {option.concept for option in question.options}
        if expected in concepts and chosen in concepts:
            out.append(question)
    return out


async def top_confusions(
    session: AsyncSession, *, member_pk: int, course_id: str, limit: int = 3
) -> list[Confusion]:
    """Return the learner's most frequent confusions, most picked first."""
    rows = await session.exec(
        select(Confusion)
        .where(Confusion.member_id == member_pk, Confusion.course_id == course_id)
        .order_by(col(Confusion.count).desc(), col(Confusion.last_at).desc())
        .limit(limit)
    )
    return list(rows.all())


async def start_session(
    db: Database,
    catalog: Catalog,
    *,
    chat_id: int,
    user_id: int,
    purpose: str,
    now: datetime,
    minutes: int = 5,
) -> SessionStart:
    """Plan a review, mistakes, study or drill session and store it for the learner."""
    if purpose not in SESSION_PURPOSES:
        raise ValueError(f"unknown session purpose {purpose!r}")
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        course = catalog.course(chat.course_id) if chat and chat.course_id else None
        member = await repo.get_member(session, user_id)
        if chat is None or course is None or member is None or member.id is None:
            return SessionStart(purpose=purpose, total=0, empty="no_course_yet")
        paused = await repo.paused_question_ids(session, course.id)
        cards = await member_cards(session, member.id, course.id)
        views = card_views(cards, course, now=now, paused=paused)
        start = await _plan(
            session,
            course,
            purpose=purpose,
            chat=chat,
            member=member,
            cards=cards,
            views=views,
            paused=paused,
            now=now,
            minutes=minutes,
        )
        ids, extra = start
        if ids:
            await save_plan(
                session, member.id, Plan(purpose=purpose, question_ids=tuple(ids), started_at=now)
            )
        return SessionStart(purpose=purpose, total=len(ids), **extra)  # type: ignore[arg-type]


async def _plan(
    session: AsyncSession,
    course: Course,
    *,
    purpose: str,
    chat: Chat,
    member: Member,
    cards: Sequence[Card],
    views: Sequence[CardView],
    paused: set[str],
    now: datetime,
    minutes: int,
) -> tuple[list[str], dict[str, object]]:
    assert member.id is not None
    if purpose == Purpose.REVIEW:
        limits = await limits_left(session, chat=chat, member=member, course_id=course.id, now=now)
        weakest: list[str] = []
        tz_name = await member_tz_name(session, member, chat)
        tz = tzinfo_for(tz_name)
        if planner.exam_near(member.exam_date, local_day(now, tz)):
            recalls = recall_by_objective(course, cards, when=now)
            count = 1 if len(recalls) <= SMALL_COURSE_OBJECTIVES else WEAKEST_COUNT
            weakest = planner.weakest_objectives(recalls, count=count)
        due = planner.due_reviews(
            views, now=now, limit=limits.reviews_left, weakest_objectives=weakest
        )
        ids = [view.key for view in due]
        if ids:
            return ids, {"weakest": tuple(weakest)}
        if limits.reviews_left == 0 and any(v.due and v.due <= now for v in views):
            return [], {"empty": "srs_review_limit", "limit": chat.reviews_per_day}
        upcoming = [v.due for v in views if v.due is not None]
        return [], {
            "empty": "srs_review_none",
            "next_due": min(upcoming) if upcoming else None,
            "timezone": tz_name,
        }
    if purpose == Purpose.MISTAKES:
        ids = [view.key for view in planner.mistakes(views, limit=MISTAKES_LIMIT)]
        return ids, ({} if ids else {"empty": "srs_mistakes_none"})
    if purpose == Purpose.STUDY:
        seen = {view.key for view in views}
        new_keys = [q.id for q in course.questions if q.id not in seen and q.id not in paused]
        ids = planner.build_study_session(views, minutes=minutes, now=now, new_keys=new_keys)
        return ids, ({} if ids else {"empty": "no_questions"})
    # drill: questions that contrast the two concepts of the top confusion
    confusions = await top_confusions(session, member_pk=member.id, course_id=course.id)
    for confusion in confusions:
        questions = [
            q
            for q in _drill_questions(course, confusion.expected, confusion.chosen)
            if q.id not in paused
        ]
        if questions:
            recall = {view.key: view.recall for view in views}
            questions.sort(key=lambda q: (recall.get(q.id, 0.0), q.id))
            pair = (confusion.expected, confusion.chosen)
            return [q.id for q in questions[:DRILL_SIZE]], {"confusion": pair}
    return [], {"empty": "srs_drill_none"}


# --- "sure / guessed" after a right poll answer ----------------------------------------------


async def rate_confidence(
    db: Database, catalog: Catalog, *, sent_id: int, user_id: int, sure: bool, now: datetime
) -> str:
    """Re-rate the review just made from a right answer: sure keeps it, guessed makes it HARD.

    The card is rebuilt by replaying its review log with the last rating changed (FSRS runs
    without fuzzing, so replay is exact). Returns a text key to show the learner.
    """
    async with db.begin() as session:
        sent = await repo.get_sent(session, sent_id)
        member = await repo.get_member(session, user_id)
        if sent is None or member is None or member.id is None or sent.member_id != member.id:
            return "button_expired"
        answer = await repo.get_answer(session, sent_id, member.id)
        if answer is None or not answer.correct or sent.purpose == Purpose.EXAM:
            return "button_expired"
        if answer.confidence in {"sure", "guessed"}:
            return "srs_confidence_already"
        card = await repo.get_card(session, member.id, sent.course_id, sent.question_id)
        if card is None or card.id is None:
            return "button_expired"
        logs = list(
            (
                await session.exec(
                    select(ReviewLog)
                    .where(ReviewLog.card_id == card.id)
                    .order_by(col(ReviewLog.reviewed_at), col(ReviewLog.id))
                )
            ).all()
        )
        if not logs or logs[-1].reviewed_at != answer.answered_at:
            return "srs_confidence_late"  # the card has been reviewed again since
        answer.confidence = "sure" if sure else "guessed"
        if not sure:
            rating = rating_for(
                correct=True, unsure=True, latency_ms=answer.latency_ms, stability_days=None
            )
            logs[-1].rating = int(rating)
            state: srs.CardState | None = None  # replay from a new card
            for log in logs:
                state, _ = srs.review(
                    state,
                    Rating(log.rating),
                    card_id=card.id,
                    now=log.reviewed_at,
                    duration_ms=log.duration_ms,
                )
            assert state is not None
            card.data = state.data
            card.due = state.due
            card.state = state.state
            card.stability = state.stability
            card.difficulty = state.difficulty
            answer.rating = int(rating)
            session.add_all([card, logs[-1]])
        session.add(answer)
        return "srs_confidence_sure" if sure else "srs_confidence_guessed"
