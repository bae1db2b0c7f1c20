"""Use cases of /progress and /examdate: mastery per objective, streaks, readiness, chart data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.schema import Catalog
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import Answer, PauseWindow, StudyDay
from bot.progress.chart import WINDOW_DAYS
from bot.progress.streak import StreakInfo, compute_streak, local_day
from bot.scheduling.due import describe_local, tzinfo_for
from bot.study import reviews

EXAM_HOUR = time(9, 0)  # predicted recall "on the exam day" means at 09:00 local time
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CLEAR_WORDS = frozenset({"off", "clear", "none", "remove", "-"})


@dataclass(frozen=True, slots=True)
class ObjectiveRow:
    """One objective of /progress: how much is seen and how much will be recalled."""

    objective_id: str
    title: str
    questions: int
    seen: float  # share of its questions answered at least once
    recall_now: float  # mean predicted recall over its questions now (unseen count as 0)
    recall_exam: float | None = None  # the same on the exam day, when one is set
    correct: int = 0
    answered: int = 0


@dataclass(frozen=True, slots=True)
class ProgressOut:
    """Everything /progress shows for one learner in one course."""

    chat_id: int
    course_title: str
    lessons_done: int
    lessons_total: int
    answered: int
    correct: int
    objectives: tuple[ObjectiveRow, ...]
    streak: StreakInfo
    next_delivery: str | None  # "Tue 08:00" local, None when there is none
    paused: bool
    timezone: str
    exam_date: date | None = None
    days_to_exam: int | None = None
    weakest: ObjectiveRow | None = None
    confusions: tuple[tuple[str, str, int], ...] = ()  # expected, chosen, times
    daily: tuple[tuple[date, int, int], ...] = ()  # local day, answers, correct
    today: date | None = None
    extras: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExamDateOut:
    """The result of /examdate: a text key and the stored date (None when cleared)."""

    key: str
    exam_date: date | None = None
    days: int | None = None


def exam_instant(exam_date: date, tz_name: str, *, now: datetime) -> datetime:
    """Return when recall is predicted for an exam day: 09:00 local, never before ``now``."""
    at = datetime.combine(exam_date, EXAM_HOUR, tzinfo=tzinfo_for(tz_name)).astimezone(UTC)
    return max(at, now)


async def _paused_days(session: AsyncSession, member_pk: int, today: date) -> set[date]:
    rows = await session.exec(select(PauseWindow).where(PauseWindow.member_id == member_pk))
    days: set[date] = set()
    for window in rows.all():
        day, end = window.start_day, window.end_day or today
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
    return days


async def streak_of(session: AsyncSession, *, member_pk: int, today: date) -> StreakInfo:
    """Compute a learner's streak from their stored local study days and /pause windows."""
    rows = await session.exec(select(StudyDay).where(StudyDay.member_id == member_pk))
    studied = [row.day for row in rows.all()]
    paused = await _paused_days(session, member_pk, today)
    return compute_streak(studied, today=today, paused_days=paused)


async def progress_report(
    db: Database, catalog: Catalog, *, chat_id: int, user_id: int, now: datetime
) -> ProgressOut | None:
    """Gather a learner's progress in the chat's course (None without a course)."""
    async with db.read() as session:
        chat = await repo.get_chat(session, chat_id)
        course = catalog.course(chat.course_id) if chat and chat.course_id else None
        member = await repo.get_member(session, user_id)
        if chat is None or chat.id is None or course is None:
            return None
        schedule = await repo.get_schedule(session, chat.id)
        done = await repo.done_lesson_ids(session, chat.id, course.id)
        tz_name = (
            await reviews.member_tz_name(session, member, chat)
            if member is not None
            else (schedule.timezone if schedule else "UTC")
        )
        tz = tzinfo_for(tz_name)
        today = local_day(now, tz)
        cards = []
        accuracy: dict[str, tuple[int, int]] = {}
        seen: set[str] = set()
        streak = StreakInfo(
            current=0, best=0, freezes_available=0, freezes_used=0, studied_today=False
        )
        confusions: list[tuple[str, str, int]] = []
        daily: dict[date, tuple[int, int]] = {}
        if member is not None and member.id is not None:
            cards = await reviews.member_cards(session, member.id, course.id)
            accuracy = await repo.accuracy_by_objective(session, member.id, course.id)
            seen = await repo.answered_question_ids(session, member.id, course.id)
            streak = await streak_of(session, member_pk=member.id, today=today)
            confusions = [
                (row.expected, row.chosen, row.count)
                for row in await reviews.top_confusions(
                    session, member_pk=member.id, course_id=course.id
                )
            ]
            since = reviews.day_start(today - timedelta(days=WINDOW_DAYS), tz)
            rows = await session.exec(
                select(Answer.answered_at, Answer.correct).where(
                    Answer.member_id == member.id,
                    Answer.course_id == course.id,
                    col(Answer.answered_at) >= since,
                )
            )
            for answered_at, correct in rows.all():
                day = local_day(answered_at, tz)
                count, right = daily.get(day, (0, 0))
                daily[day] = (count + 1, right + int(correct))
    exam_date = member.exam_date if member is not None else None
    exam_at = None
    if exam_date is not None and exam_date >= today:
        exam_at = exam_instant(exam_date, tz_name, now=now)
    recall_now = reviews.recall_by_objective(course, cards, when=now)
    recall_exam = reviews.recall_by_objective(course, cards, when=exam_at) if exam_at else {}
    rows_out = []
    for objective in course.objectives:
        questions = course.questions_for_objective(objective.id)
        if not questions:
            continue
        right, total = accuracy.get(objective.id, (0, 0))
        rows_out.append(
            ObjectiveRow(
                objective_id=objective.id,
                title=objective.title,
                questions=len(questions),
                seen=sum(1 for q in questions if q.id in seen) / len(questions),
                recall_now=recall_now.get(objective.id, 0.0),
                recall_exam=recall_exam.get(objective.id) if exam_at else None,
                correct=right,
                answered=total,
            )
        )
    weakest = None
    if exam_at and rows_out:
        weakest = min(rows_out, key=lambda row: (row.recall_exam or 0.0, row.objective_id))
    paused = bool(schedule and schedule.paused)
    next_delivery = (
        describe_local(schedule.next_due_at, schedule.timezone)
        if schedule is not None and schedule.next_due_at is not None and not paused
        else None
    )
    return ProgressOut(
        chat_id=chat_id,
        course_title=course.title,
        lessons_done=len(done & {lesson.id for lesson in course.lessons}),
        lessons_total=len(course.lessons),
        answered=sum(total for _, total in accuracy.values()),
        correct=sum(right for right, _ in accuracy.values()),
        objectives=tuple(rows_out),
        streak=streak,
        next_delivery=next_delivery,
        paused=paused,
        timezone=tz_name,
        exam_date=exam_date,
        days_to_exam=(exam_date - today).days if exam_date else None,
        weakest=weakest,
        confusions=tuple(confusions),
        daily=tuple(sorted((day, n, r) for day, (n, r) in daily.items())),
        today=today,
    )


async def set_exam_date(
    db: Database, *, chat_id: int, user_id: int, text: str, now: datetime
) -> ExamDateOut:
    """Store (or clear with "off") the learner's exam date; refuse bad and past dates."""
    value = text.strip()
    async with db.begin() as session:
        member = await repo.get_member(session, user_id)
        chat = await repo.get_chat(session, chat_id)
        if member is None:
            return ExamDateOut(key="no_course_yet")
        if value.lower() in _CLEAR_WORDS:
            member.exam_date = None
            session.add(member)
            return ExamDateOut(key="prog_examdate_cleared")
        if not _DATE_RE.match(value):
            return ExamDateOut(key="prog_examdate_bad")
        try:
            wanted = date.fromisoformat(value)
        except ValueError:
            return ExamDateOut(key="prog_examdate_bad")
        today = local_day(now, tzinfo_for(await reviews.member_tz_name(session, member, chat)))
        if wanted < today:
            return ExamDateOut(key="prog_examdate_past", exam_date=wanted)
        member.exam_date = wanted
        session.add(member)
        return ExamDateOut(key="prog_examdate_set", exam_date=wanted, days=(wanted - today).days)


async def exam_date_of(db: Database, *, user_id: int) -> date | None:
    """Return the learner's exam date, if set."""
    async with db.read() as session:
        member = await repo.get_member(session, user_id)
        return member.exam_date if member is not None else None
