"""Use cases of the mock exam: start, continue after a restart, advance, expire, score, misses.

An ``ExamRun`` stores the drawn question ids, the position of the next question and the
deadline, so the exam survives a restart. Exam questions are inline-button messages sent with
``purpose="exam"`` and ``exam_id``: grading records the answer without touching FSRS cards and
the learner hears nothing about right or wrong until the end. Answers after the deadline do
not count; the deadline is checked on every step and by ``expire_exams`` (the timer job).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.schema import Catalog, Course, ExamSettings, Question
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import Answer, Chat, ExamRun, SentQuestion
from bot.kinds import Purpose, QuizStyle
from bot.progress.exam import (
    draw_exam,
    exam_deadline,
    exam_pools,
    pass_mark_for,
    score_exam,
    time_left,
)
from bot.study.questions import create_sent_question
from bot.study.types import QuestionOut

DEFAULT_SIZE = 20
WARN_BEFORE = timedelta(minutes=1)  # the "1 minute left" warning
DEFAULT_PASS_RATIO = 0.65
SECONDS_PER_QUESTION_DEFAULT = 90


@dataclass(frozen=True, slots=True)
class ExamQuestion:
    """The next exam question to send."""

    exam_id: int
    out: QuestionOut
    position: int  # 1-based
    size: int
    time_left: timedelta


@dataclass(frozen=True, slots=True)
class ObjectiveScore:
    """One objective of an exam breakdown."""

    objective_id: str
    title: str
    correct: int
    total: int


@dataclass(frozen=True, slots=True)
class ExamResultOut:
    """A finished exam: score, pass or fail, breakdown, what was missed."""

    exam_id: int
    chat_id: int
    size: int
    correct: int
    needed: int
    passed: bool
    expired: bool
    answered: int
    breakdown: tuple[ObjectiveScore, ...]
    missed: int
    close: tuple[int, ...] = ()  # message ids of unanswered questions whose buttons must go


@dataclass(frozen=True, slots=True)
class ExamStart:
    """The result of /exam: a new exam, a running one to continue, or a refusal text key."""

    kind: str  # started | running | refused
    key: str = ""
    exam_id: int | None = None
    size: int = 0
    minutes: int = 0
    needed: int = 0
    position: int = 0
    time_left: timedelta | None = None
    question: ExamQuestion | None = None
    previous: ExamResultOut | None = None  # an expired exam finished on the way
    maximum: int = 0  # the full exam's size (the most /exam N gives)
    capped: bool = False  # /exam N asked for more than the maximum


@dataclass(frozen=True, slots=True)
class Miss:
    """A missed exam question with what the learner chose (empty: not answered)."""

    question: Question
    chosen: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ExamClosed:
    """An exam that ended without a result: the chat and the question messages to close."""

    chat_id: int
    close: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ExamWarning:
    """A "1 minute left" warning this worker claimed and must send."""

    exam_id: int
    chat_id: int
    time_left: timedelta


@dataclass(frozen=True, slots=True)
class RunningExam:
    """The learner's running exam, for the question "leave it?"."""

    exam_id: int
    position: int  # answered so far
    size: int
    time_left: timedelta


@dataclass(frozen=True, slots=True)
class ExamPress:
    """Whether an exam-answer press may be recorded.

    ``kind``: "open" (go on and record it), "not_exam" (the question is not an exam
    question), "over" (the exam has ended) or "time_up" (the deadline passed just now:
    ``result`` is the exam's result to announce, the press itself records nothing).
    """

    kind: str
    result: ExamResultOut | None = None


ExamStep = ExamQuestion | ExamResultOut


def settings_for(course: Course) -> ExamSettings:
    """Return the course's exam settings, or a default exam drawn from its questions."""
    if course.exam is not None:
        return course.exam
    size = max(1, min(DEFAULT_SIZE, len(course.questions)))
    return ExamSettings(
        questions=size,
        minutes=max(1, math.ceil(size * SECONDS_PER_QUESTION_DEFAULT / 60)),
        pass_mark=math.ceil(size * DEFAULT_PASS_RATIO),
    )


def minutes_for(settings: ExamSettings, size: int) -> int:
    """Scale the exam time to a shorter exam, rounding up (60 min for 40 → 15 min for 10)."""
    return max(1, math.ceil(settings.minutes * size / settings.questions))


async def _running(session: AsyncSession, member_pk: int) -> ExamRun | None:
    return (
        await session.exec(
            select(ExamRun)
            .where(ExamRun.member_id == member_pk, ExamRun.status == "running")
            .order_by(col(ExamRun.id).desc())
        )
    ).first()


async def _answers(session: AsyncSession, run: ExamRun) -> dict[str, Answer]:
    """First in-time answer per question of an exam."""
    rows = await session.exec(
        select(SentQuestion.question_id, Answer)
        .join(Answer, col(Answer.sent_question_id) == col(SentQuestion.id))
        .where(SentQuestion.exam_id == run.id)
        .order_by(col(Answer.answered_at), col(Answer.id))
    )
    first: dict[str, Answer] = {}
    for question_id, answer in rows.all():
        if answer.answered_at <= run.deadline and question_id not in first:
            first[question_id] = answer
    return first


async def _finish(
    session: AsyncSession, catalog: Catalog, run: ExamRun, chat: Chat, *, now: datetime
) -> ExamResultOut:
    """Score an exam, mark it finished (or expired) and return the result."""
    assert run.id is not None
    close: tuple[int, ...] = ()
    course = catalog.course(run.course_id)
    answers = await _answers(session, run)
    items: list[tuple[str, bool]] = []
    for question_id in run.question_ids:
        question = course.question(question_id) if course else None
        objective = question.objective if question else ""
        answer = answers.get(question_id)
        items.append((objective, bool(answer and answer.correct)))
    settings = (
        settings_for(course) if course else ExamSettings(questions=1, minutes=1, pass_mark=0)
    )
    full = max(settings.questions, run.size)
    result = score_exam(
        items, pass_mark=min(settings.pass_mark, full), size=run.size, full_size=full
    )
    expired = now >= run.deadline and len(answers) < run.size
    if run.status == "running":
        run.status = "expired" if expired else "finished"
        run.score = result.correct
        run.finished_at = now
        session.add(run)
        close = await _close_questions(session, run, now=now)
    else:
        expired = run.status == "expired"
    breakdown = []
    for objective_id, (right, total) in result.per_objective.items():
        found = course.objective(objective_id) if course else None
        title = found.title if found else objective_id or "—"
        breakdown.append(ObjectiveScore(objective_id, title, right, total))
    breakdown.sort(key=lambda row: (row.correct / row.total if row.total else 0, row.title))
    return ExamResultOut(
        exam_id=run.id,
        chat_id=chat.tg_chat_id,
        size=run.size,
        correct=result.correct,
        needed=result.needed,
        passed=result.passed,
        expired=expired,
        answered=len(answers),
        breakdown=tuple(breakdown),
        missed=run.size - result.correct,
        close=close,
    )


async def _close_questions(
    session: AsyncSession, run: ExamRun, *, now: datetime
) -> tuple[int, ...]:
    """Mark the exam's unanswered question messages closed; return their message ids."""
    answered = select(Answer.sent_question_id).where(Answer.chat_id == run.chat_id)
    rows = (
        await session.exec(
            select(SentQuestion).where(
                SentQuestion.exam_id == run.id,
                col(SentQuestion.tg_message_id).is_not(None),
                col(SentQuestion.closed_at).is_(None),
                col(SentQuestion.id).not_in(answered),
            )
        )
    ).all()
    ids = []
    for sent in rows:
        sent.closed_at = now
        session.add(sent)
        if sent.tg_message_id is not None:
            ids.append(sent.tg_message_id)
    return tuple(sorted(ids))


async def _next_question(
    session: AsyncSession,
    catalog: Catalog,
    run: ExamRun,
    chat: Chat,
    *,
    now: datetime,
    rng: random.Random,
) -> ExamStep:
    """Send the question at the run's position, or finish when time or questions are up."""
    assert run.id is not None
    course = catalog.course(run.course_id)
    if course is None or now >= run.deadline or run.position >= run.size:
        return await _finish(session, catalog, run, chat, now=now)
    question = course.question(run.question_ids[run.position])
    while question is None:  # a question removed from the course since: skip it
        run.position += 1
        session.add(run)
        if run.position >= run.size:
            return await _finish(session, catalog, run, chat, now=now)
        question = course.question(run.question_ids[run.position])
    sent, options, correct = await create_sent_question(
        session,
        chat=chat,
        member_pk=run.member_id,
        question=question,
        style=QuizStyle.BUTTONS,
        purpose=Purpose.EXAM,
        now=now,
        rng=rng,
        exam_id=run.id,
    )
    sent.session_index = run.position + 1
    session.add(sent)
    assert sent.id is not None
    out = QuestionOut(
        sent_id=sent.id,
        chat_id=chat.tg_chat_id,
        style=QuizStyle.BUTTONS,
        question=question,
        options=options,
        correct_displayed=correct,
        purpose=Purpose.EXAM,
        number=run.position + 1,
        total=run.size,
    )
    return ExamQuestion(
        exam_id=run.id,
        out=out,
        position=run.position + 1,
        size=run.size,
        time_left=time_left(run.deadline, now),
    )


async def start_exam(
    db: Database,
    catalog: Catalog,
    *,
    chat_id: int,
    user_id: int,
    size: int | None,
    now: datetime,
    rng: random.Random,
) -> ExamStart:
    """Start a mock exam (or report the running one); ``size`` None means the full exam."""
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        course = catalog.course(chat.course_id) if chat and chat.course_id else None
        member = await repo.get_member(session, user_id)
        if chat is None or chat.id is None or course is None or member is None:
            return ExamStart(kind="refused", key="no_course_yet")
        assert member.id is not None
        previous = None
        running = await _running(session, member.id)
        if running is not None and running.deadline > now and running.position < running.size:
            return ExamStart(
                kind="running",
                exam_id=running.id,
                size=running.size,
                position=running.position,
                time_left=time_left(running.deadline, now),
            )
        settings = settings_for(course)
        if size is not None and size < 1:
            return ExamStart(kind="refused", key="exam_bad_size", maximum=settings.questions)
        if running is not None:
            previous = await _finish(session, catalog, running, chat, now=now)
        paused = await repo.paused_question_ids(session, course.id)
        wanted = min(size or settings.questions, settings.questions)
        pools = exam_pools(course.questions, paused=paused, wanted=wanted)
        ids = draw_exam(pools, count=wanted, rng=rng)
        if not ids:
            return ExamStart(kind="refused", key="no_questions", previous=previous)
        minutes = minutes_for(settings, len(ids))
        run = ExamRun(
            chat_id=chat.id,
            member_id=member.id,
            course_id=course.id,
            size=len(ids),
            question_ids=ids,
            position=0,
            started_at=now,
            deadline=exam_deadline(now, minutes),
            warned_at=now if timedelta(minutes=minutes) <= WARN_BEFORE else None,
        )
        session.add(run)
        await session.flush()
        step = await _next_question(session, catalog, run, chat, now=now, rng=rng)
        return ExamStart(
            kind="started",
            exam_id=run.id,
            size=run.size,
            minutes=minutes,
            needed=pass_mark_for(
                pass_mark=settings.pass_mark, size=run.size, full_size=settings.questions
            ),
            question=step if isinstance(step, ExamQuestion) else None,
            previous=previous,
            maximum=settings.questions,
            capped=size is not None and size > settings.questions,
        )


async def _owned_run(
    session: AsyncSession, *, exam_id: int, user_id: int
) -> tuple[ExamRun, Chat] | None:
    run = await session.get(ExamRun, exam_id)
    member = await repo.get_member(session, user_id)
    if run is None or member is None or run.member_id != member.id:
        return None
    chat = await repo.get_chat_by_pk(session, run.chat_id)
    return (run, chat) if chat is not None else None


async def continue_exam(
    db: Database,
    catalog: Catalog,
    *,
    exam_id: int,
    user_id: int,
    now: datetime,
    rng: random.Random,
) -> ExamStep | None:
    """Re-send the current question of a running exam (its result when time ran out).

    None: not the learner's exam, or one that has ended (its result was already sent).
    """
    async with db.begin() as session:
        found = await _owned_run(session, exam_id=exam_id, user_id=user_id)
        if found is None or found[0].status != "running":
            return None
        run, chat = found
        return await _next_question(session, catalog, run, chat, now=now, rng=rng)


async def abandon_exam(
    db: Database, *, exam_id: int, user_id: int, now: datetime
) -> ExamClosed | None:
    """Abandon a running exam without a score (None: not yours, or already over)."""
    async with db.begin() as session:
        found = await _owned_run(session, exam_id=exam_id, user_id=user_id)
        if found is None or found[0].status != "running":
            return None
        run, chat = found
        run.status = "abandoned"
        run.finished_at = now
        session.add(run)
        close = await _close_questions(session, run, now=now)
        return ExamClosed(chat_id=chat.tg_chat_id, close=close)


async def running_exam(db: Database, *, user_id: int, now: datetime) -> RunningExam | None:
    """Return the learner's exam that is still under way (time left, questions left)."""
    async with db.read() as session:
        member = await repo.get_member(session, user_id)
        if member is None or member.id is None:
            return None
        run = await _running(session, member.id)
    if run is None or run.id is None or run.deadline <= now or run.position >= run.size:
        return None
    return RunningExam(
        exam_id=run.id,
        position=run.position,
        size=run.size,
        time_left=time_left(run.deadline, now),
    )


async def check_press(
    db: Database, catalog: Catalog, *, sent_id: int, user_id: int, now: datetime
) -> ExamPress:
    """Decide whether an exam-answer press on ``sent_id`` may be recorded (see ExamPress).

    A press that comes after the deadline of a still running exam ends that exam here: the
    caller announces the result once, later presses only hear that the exam is over.
    """
    async with db.begin() as session:
        sent = await repo.get_sent(session, sent_id)
        if sent is None:
            return ExamPress("open")  # the answer path refuses it ("question gone")
        if sent.exam_id is None or sent.purpose != Purpose.EXAM:
            return ExamPress("not_exam")
        found = await _owned_run(session, exam_id=sent.exam_id, user_id=user_id)
        if found is None:
            return ExamPress("open")  # the answer path refuses it ("not your question")
        run, chat = found
        if run.status != "running":
            return ExamPress("over")
        if now >= run.deadline:
            return ExamPress("time_up", await _finish(session, catalog, run, chat, now=now))
        return ExamPress("open")


async def advance_exam(
    db: Database,
    catalog: Catalog,
    *,
    exam_id: int,
    sent_id: int,
    now: datetime,
    rng: random.Random,
) -> ExamStep | None:
    """After an exam answer: move past the answered question, then the next one or the result."""
    async with db.begin() as session:
        run = await session.get(ExamRun, exam_id)
        sent = await repo.get_sent(session, sent_id)
        if run is None or sent is None or sent.exam_id != exam_id:
            return None
        chat = await repo.get_chat_by_pk(session, run.chat_id)
        if chat is None:
            return None
        if run.status != "running":
            return None  # ended meanwhile: its result (if any) was announced when it ended
        current = run.question_ids[run.position] if run.position < run.size else None
        if sent.question_id != current:
            return None  # an answer to an older copy of a question: nothing moves
        run.position += 1
        session.add(run)
        return await _next_question(session, catalog, run, chat, now=now, rng=rng)


async def expire_exams(db: Database, catalog: Catalog, *, now: datetime) -> list[ExamResultOut]:
    """Finish every running exam whose time is up and return the results to announce."""
    async with db.begin() as session:
        runs = (
            await session.exec(
                select(ExamRun).where(ExamRun.status == "running", col(ExamRun.deadline) <= now)
            )
        ).all()
        results = []
        for run in runs:
            chat = await repo.get_chat_by_pk(session, run.chat_id)
            if chat is not None:
                results.append(await _finish(session, catalog, run, chat, now=now))
        return results


async def warn_exams(db: Database, *, now: datetime) -> list[ExamWarning]:
    """Claim the "1 minute left" warning of every running exam that needs one.

    One conditional UPDATE ... RETURNING sets ``warned_at`` and returns what it claimed: a
    warning is claimed once, so a restart or a second instance never sends it twice. A
    one-minute exam is created already warned (the warning would come with question 1).
    """
    async with db.begin() as session:
        claimed = await session.exec(
            update(ExamRun)
            .where(
                col(ExamRun.status) == "running",
                col(ExamRun.warned_at).is_(None),
                col(ExamRun.deadline) > now,
                col(ExamRun.deadline) <= now + WARN_BEFORE,
            )
            .values(warned_at=now)
            .returning(col(ExamRun.id), col(ExamRun.chat_id), col(ExamRun.deadline))
        )
        warnings = []
        for exam_id, chat_pk, deadline in claimed.all():
            chat = await repo.get_chat_by_pk(session, chat_pk)
            if chat is not None:
                left = time_left(deadline, now)
                warnings.append(ExamWarning(exam_id, chat.tg_chat_id, left))
        return warnings


async def exam_misses(
    db: Database, catalog: Catalog, *, exam_id: int, user_id: int
) -> list[Miss] | None:
    """Return the questions of a finished exam answered wrong or not at all (None: not yours)."""
    async with db.read() as session:
        found = await _owned_run(session, exam_id=exam_id, user_id=user_id)
        if found is None or found[0].status in ("running", "abandoned"):
            return None
        run = found[0]
        answers = await _answers(session, run)
    course = catalog.course(run.course_id)
    misses = []
    for question_id in run.question_ids:
        question = course.question(question_id) if course else None
        answer = answers.get(question_id)
        if question is not None and (answer is None or not answer.correct):
            misses.append(Miss(question=question, chosen=tuple(answer.chosen) if answer else ()))
    return misses
