"""Use cases for operators: figures for today, progress export, question reports and pauses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, and_, case, delete, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from bot.db import repo
from bot.db.engine import Database
from bot.db.models import (
    Answer,
    Chat,
    Delivery,
    LessonDone,
    Member,
    Membership,
    PausedQuestion,
    QuestionReport,
)
from bot.kinds import GROUP_KINDS, ChatKind, DeliveryStatus
from bot.study import questions
from bot.study.types import Who

MAX_REASON = 500
TOP_MISSED = 5
DELIVERY_STATUSES: tuple[str, ...] = (
    DeliveryStatus.SENT,
    DeliveryStatus.FAILED,
    DeliveryStatus.SKIPPED,
)


@dataclass(frozen=True, slots=True)
class MissedQuestion:
    """A question learners often get wrong."""

    course_id: str
    question_id: str
    wrong: int
    answered: int


@dataclass(frozen=True, slots=True)
class Stats:
    """Operator figures; "today" is the UTC day of `day_start`."""

    day_start: datetime
    learners: int  # private chats that are active and enrolled
    groups: int  # group chats that are active
    active_members_7d: int  # members who answered in the last 7 days
    deliveries: dict[str, int]  # status -> count today (sent, failed, skipped, ...)
    answers_today: int
    correct_today: int
    top_missed: tuple[MissedQuestion, ...]
    open_reports: int
    paused_questions: int


@dataclass(frozen=True, slots=True)
class ProgressRow:
    """One member's progress in one chat."""

    chat_id: int
    kind: str
    title: str
    course_id: str
    member_id: int
    name: str
    username: str
    answered: int
    correct: int
    lessons_done: int
    last_answer_at: datetime | None

    @property
    def accuracy(self) -> float | None:
        """Return correct / answered (None before the first answer)."""
        return self.correct / self.answered if self.answered else None


@dataclass(frozen=True, slots=True)
class ReportRow:
    """A stored question report, with its reporter."""

    id: int
    course_id: str
    lesson_id: str
    question_id: str
    reason: str
    status: str
    created_at: datetime
    member_id: int
    member_name: str
    paused: bool


@dataclass(frozen=True, slots=True)
class ReportOpened:
    """A report stored on "report this question"; a reason may follow as a reply."""

    report_id: int
    chat_id: int
    question_id: str


def utc_day_start(now: datetime) -> datetime:
    """Return midnight UTC of `now`'s UTC day (raises ValueError for a naive `now`)."""
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def gather_stats(db: Database, *, now: datetime) -> Stats:
    """Count learners, groups, today's deliveries and answers, and the most missed questions."""
    start = utc_day_start(now)
    end = start + timedelta(days=1)
    async with db.read() as session:
        learners = (
            await session.exec(
                select(func.count())
                .select_from(Chat)
                .where(
                    Chat.kind == ChatKind.PRIVATE,
                    col(Chat.active),
                    col(Chat.course_id).is_not(None),
                )
            )
        ).one()
        groups = (
            await session.exec(
                select(func.count())
                .select_from(Chat)
                .where(col(Chat.kind).in_(sorted(GROUP_KINDS)), col(Chat.active))
            )
        ).one()
        active = (
            await session.exec(
                select(func.count(func.distinct(Answer.member_id))).where(
                    col(Answer.answered_at) >= now - timedelta(days=7)
                )
            )
        ).one()
        # Sent deliveries count on the day they went out; the others on their slot's day.
        sent_today = and_(col(Delivery.sent_at) >= start, col(Delivery.sent_at) < end)
        slot_today = and_(
            col(Delivery.sent_at).is_(None),
            col(Delivery.slot_at) >= start,
            col(Delivery.slot_at) < end,
        )
        rows = await session.exec(
            select(Delivery.status, func.count())
            .where(or_(sent_today, slot_today))
            .group_by(Delivery.status)
        )
        deliveries = {status: 0 for status in DELIVERY_STATUSES}
        deliveries.update({status: int(n) for status, n in rows.all()})
        answered, right = (
            await session.exec(
                select(func.count(), func.sum(case((col(Answer.correct), 1), else_=0))).where(
                    col(Answer.answered_at) >= start, col(Answer.answered_at) < end
                )
            )
        ).one()
        wrong = func.sum(case((col(Answer.correct), 0), else_=1))
        missed = await session.exec(
            select(Answer.course_id, Answer.question_id, wrong.label("wrong"), func.count())
            .group_by(Answer.course_id, Answer.question_id)
            .having(wrong > 0)
            .order_by(wrong.desc(), Answer.course_id, Answer.question_id)
            .limit(TOP_MISSED)
        )
        top = tuple(
            MissedQuestion(course_id=c, question_id=q, wrong=int(w), answered=int(n))
            for c, q, w, n in missed.all()
        )
        open_reports = (
            await session.exec(
                select(func.count())
                .select_from(QuestionReport)
                .where(QuestionReport.status == "open")
            )
        ).one()
        paused = (await session.exec(select(func.count()).select_from(PausedQuestion))).one()
    return Stats(
        day_start=start,
        learners=int(learners),
        groups=int(groups),
        active_members_7d=int(active),
        deliveries=deliveries,
        answers_today=int(answered),
        correct_today=int(right or 0),
        top_missed=top,
        open_reports=int(open_reports),
        paused_questions=int(paused),
    )


async def export_progress(db: Database, *, chat_id: int | None = None) -> list[ProgressRow]:
    """Return progress per chat and member (one chat when `chat_id`, a Telegram id, is given)."""
    tables: list[Table] = [
        model.__table__  # type: ignore[union-attr]
        for model in (Answer, LessonDone, Chat, Member, Membership)
    ]
    answer, done, chat, member, link = (table.c for table in tables)
    chat_t, member_t, link_t = tables[2], tables[3], tables[4]
    per_member = (
        sa_select(
            answer.chat_id,
            answer.member_id,
            func.count().label("answered"),
            func.sum(case((answer.correct, 1), else_=0)).label("correct"),
            func.max(answer.answered_at).label("last_at"),
        )
        .group_by(answer.chat_id, answer.member_id)
        .subquery()
    )
    lessons = (  # lessons done in the chat's current course
        sa_select(done.chat_id, func.count().label("done"))
        .join(chat_t, and_(chat.id == done.chat_id, chat.course_id == done.course_id))
        .group_by(done.chat_id)
        .subquery()
    )
    query = (
        sa_select(
            chat.tg_chat_id,
            chat.kind,
            chat.title,
            chat.course_id,
            member.tg_user_id,
            member.first_name,
            member.username,
            func.coalesce(per_member.c.answered, 0),
            func.coalesce(per_member.c.correct, 0),
            func.coalesce(lessons.c.done, 0),
            per_member.c.last_at,
        )
        .select_from(link_t)
        .join(chat_t, chat.id == link.chat_id)
        .join(member_t, member.id == link.member_id)
        .outerjoin(
            per_member,
            and_(per_member.c.chat_id == link.chat_id, per_member.c.member_id == link.member_id),
        )
        .outerjoin(lessons, lessons.c.chat_id == link.chat_id)
        .order_by(chat.tg_chat_id, member.tg_user_id)
    )
    if chat_id is not None:
        query = query.where(chat.tg_chat_id == chat_id)
    async with db.read() as session:
        conn = await session.connection()
        rows = (await conn.execute(query)).all()
    return [
        ProgressRow(
            chat_id=int(row[0]),
            kind=row[1],
            title=row[2] or "",
            course_id=row[3] or "",
            member_id=int(row[4]),
            name=row[5],
            username=row[6] or "",
            answered=int(row[7]),
            correct=int(row[8]),
            lessons_done=int(row[9]),
            last_answer_at=_aware(row[10]),
        )
        for row in rows
    ]


def _aware(value: datetime | str | None) -> datetime | None:
    """Return an aggregated timestamp as aware UTC (SQLite's max() hands back naive text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def list_reports(db: Database, *, status: str | None = None) -> list[ReportRow]:
    """Return question reports, oldest first (only one status when given)."""
    async with db.read() as session:
        query = (
            select(QuestionReport, Member.first_name)
            .join(Member, col(Member.id) == QuestionReport.member_id)
            .order_by(col(QuestionReport.id))
        )
        if status:
            query = query.where(QuestionReport.status == status)
        rows = (await session.exec(query)).all()
        paused = {
            (p.course_id, p.question_id)
            for p in (await session.exec(select(PausedQuestion))).all()
        }
    return [
        ReportRow(
            id=report.id or 0,
            course_id=report.course_id,
            lesson_id=report.lesson_id,
            question_id=report.question_id,
            reason=report.reason,
            status=report.status,
            created_at=report.created_at,
            member_id=report.member_id,
            member_name=name,
            paused=(report.course_id, report.question_id) in paused,
        )
        for report, name in rows
    ]


async def resolve_report(db: Database, *, report_id: int) -> bool:
    """Mark a report resolved; return False when there is no such report."""
    async with db.begin() as session:
        report = await session.get(QuestionReport, report_id)
        if report is None:
            return False
        report.status = "resolved"
        session.add(report)
        return True


async def pause_question(
    db: Database, *, course_id: str, question_id: str, note: str, now: datetime
) -> bool:
    """Take a question out of rotation; return False when it was already paused (note updated)."""
    async with db.begin() as session:
        row = (
            await session.exec(
                select(PausedQuestion).where(
                    PausedQuestion.course_id == course_id,
                    PausedQuestion.question_id == question_id,
                )
            )
        ).first()
        if row is not None:
            if note:
                row.note = note
                session.add(row)
            return False
        session.add(
            PausedQuestion(course_id=course_id, question_id=question_id, note=note, paused_at=now)
        )
        return True


async def unpause_question(db: Database, *, course_id: str, question_id: str) -> bool:
    """Put a paused question back into rotation; return False when it was not paused."""
    async with db.begin() as session:
        result = await session.exec(
            delete(PausedQuestion).where(
                col(PausedQuestion.course_id) == course_id,
                col(PausedQuestion.question_id) == question_id,
            )
        )
        return bool(result.rowcount)


async def open_report(
    db: Database, *, who: Who, sent_id: int, now: datetime
) -> ReportOpened | str:
    """Store a report on a sent question (reason to follow); a refusal key for forged presses.

    One open report per learner and question: pressing again reuses it.
    """
    async with db.begin() as session:
        found = await questions.sent_in_chat(session, sent_id, who)
        if isinstance(found, str):
            return found
        sent, _chat = found
        member = await repo.get_member(session, who.user_id)
        if member is None or member.id is None:
            return "not_your_question"
        if sent.member_id is not None and sent.member_id != member.id:
            return "not_your_question"
        report = (
            await session.exec(
                select(QuestionReport).where(
                    QuestionReport.member_id == member.id,
                    QuestionReport.course_id == sent.course_id,
                    QuestionReport.question_id == sent.question_id,
                    QuestionReport.status == "open",
                )
            )
        ).first()
        if report is None:
            report = QuestionReport(
                member_id=member.id,
                course_id=sent.course_id,
                lesson_id=sent.lesson_id,
                question_id=sent.question_id,
                created_at=now,
            )
            session.add(report)
            await session.flush()
        assert report.id is not None
        return ReportOpened(report_id=report.id, chat_id=who.chat_id, question_id=sent.question_id)


async def attach_report_prompt(db: Database, *, report_id: int, message_id: int) -> None:
    """Remember the message asking for a reason, so a reply to it finds the report."""
    async with db.begin() as session:
        report = await session.get(QuestionReport, report_id)
        if report is not None:
            report.prompt_message_id = message_id
            session.add(report)


async def add_report_reason(
    db: Database, *, user_id: int, prompt_message_id: int, reason: str
) -> bool:
    """Store the reason a learner replied with; return False when the reply matches no report."""
    text = " ".join(reason.split())[:MAX_REASON]
    if not text:
        return False
    async with db.begin() as session:
        member = await repo.get_member(session, user_id)
        if member is None:
            return False
        report = (
            await session.exec(
                select(QuestionReport)
                .where(
                    QuestionReport.member_id == member.id,
                    QuestionReport.prompt_message_id == prompt_message_id,
                )
                .order_by(col(QuestionReport.id).desc())
            )
        ).first()
        if report is None:
            return False
        report.reason = text
        session.add(report)
        return True
