"""Use cases of scheduled delivery: claim due slots, prepare their content, record results.

Claim, then send, then mark: `claim_due` inserts one Delivery row per (chat, kind, slot) in a
short write transaction (the unique key makes a slot claimable once, ever), the caller sends
after the commit, and `record_results` marks the rows. A claimed slot is "queued" until
`start_sending` makes it "claimed" just before its first message goes out. After a crash, once
older than the lease, a row left "claimed" becomes "lost" (logged, never resent: it may have
reached the chat) and a row left "queued" (never started) is retried: a crash loses only the
sends in flight.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.schema import Catalog
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import Chat, CourseProgress, Delivery, Schedule
from bot.kinds import ChatKind, DeliveryKind, DeliveryStatus, Purpose
from bot.progress.streak import local_day
from bot.scheduling.due import (
    ScheduleSpec,
    TickPlan,
    plan_catch_up,
    previous_due,
    tzinfo_for,
)
from bot.study import enrolment, groups, questions
from bot.study.schedules import delivering, spec_of
from bot.study.types import LessonOut, QuestionOut

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # a claimed row older than this was lost in a crash
HEARTBEAT_KEY = "tick_heartbeat"
_SLOT_KEY = ["chat_id", "kind", "slot_at"]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A slot this process now owns and must send, then mark."""

    delivery_id: int
    chat_pk: int
    tg_chat_id: int
    chat_kind: str
    course_id: str | None
    slot_at: datetime
    attempts: int
    mode: str  # "lesson" (a new lesson) | "review" (today's lessons are used up)
    local_day: date

    @property
    def is_group(self) -> bool:
        """Tell whether the delivery goes to a group."""
        return self.chat_kind != ChatKind.PRIVATE


@dataclass(frozen=True, slots=True)
class ClaimReport:
    """What one claim transaction did."""

    claimed: tuple[Claimed, ...]
    rows_seen: int  # schedules and retry rows examined (== batch: more may be due)
    skipped: int  # missed slots recorded as skipped (downtime beyond grace, inactive chats)
    lost: int  # rows found stuck in "claimed" (in flight at a crash) and marked lost
    duplicates: int  # slots that already had a row: never sent twice


@dataclass(frozen=True, slots=True)
class Prepared:
    """The content of one delivery: a lesson and its first question, or a review question."""

    lesson: LessonOut | None
    question: QuestionOut | None
    reason: str  # "lesson" | "finished" (course done) | "limit" (lessons per day reached)


@dataclass(frozen=True, slots=True)
class Result:
    """How a claimed delivery ended."""

    delivery_id: int
    status: str  # sent | retry | dead | failed | skipped
    chat_pk: int
    sent_at: datetime | None = None
    message_id: int | None = None
    retry_at: datetime | None = None
    error: str | None = None
    lesson_course_id: str | None = None  # set when a new lesson went out (counts for the day)
    lesson_day: date | None = None


def _insert(dialect: str) -> Any:
    """Return the dialect's INSERT construct (both support ON CONFLICT DO NOTHING)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def claim_schedules_query(limit: int, now: datetime) -> Any:
    """Select due schedules with their chats, oldest first, skipping rows other senders hold."""
    return (
        select(Schedule, Chat)
        .join(Chat, col(Chat.id) == col(Schedule.chat_id))
        .where(col(Schedule.next_due_at) <= now)
        .order_by(col(Schedule.next_due_at), col(Schedule.id))
        .limit(limit)
        .with_for_update(skip_locked=True, of=Schedule)  # PostgreSQL; dropped on SQLite
    )


def claim_retries_query(limit: int, now: datetime) -> Any:
    """Select deliveries waiting for a retry whose time has come."""
    return (
        select(Delivery, Chat, Schedule)
        .join(Chat, col(Chat.id) == col(Delivery.chat_id))
        .join(Schedule, col(Schedule.chat_id) == col(Chat.id), isouter=True)
        .where(Delivery.status == DeliveryStatus.RETRY, col(Delivery.retry_at) <= now)
        .order_by(col(Delivery.retry_at), col(Delivery.id))
        .limit(limit)
        .with_for_update(skip_locked=True, of=Delivery)
    )


async def _expire_lost(session: AsyncSession, *, now: datetime, lease: timedelta) -> int:
    """Recover the rows a crash left behind; return how many were lost.

    "claimed" rows may have reached the chat: they become "lost", never resent. "queued" rows
    were never started: they are retried (the claim checks the grace again).
    """
    stale = (
        await session.exec(
            select(Delivery).where(
                col(Delivery.status).in_([DeliveryStatus.CLAIMED, DeliveryStatus.QUEUED]),
                col(Delivery.claimed_at) < now - lease,
            )
        )
    ).all()
    lost = 0
    for row in stale:
        started = row.status == DeliveryStatus.CLAIMED
        log.warning(
            "delivery %s (chat #%s, slot %s) was claimed at %s and never marked: %s",
            row.id,
            row.chat_id,
            row.slot_at.isoformat(),
            row.claimed_at.isoformat(),
            "marked lost, not resent" if started else "never started, retried",
        )
        if started:
            lost += 1
            row.status = DeliveryStatus.LOST
            row.error = "claimed but never marked (crash?); not resent"
        else:
            row.status, row.retry_at = DeliveryStatus.RETRY, now
            row.error = "queued, never started (crash?)"
        session.add(row)
    return lost


async def start_sending(db: Database, deliveries: Sequence[tuple[int, int]]) -> set[int]:
    """Mark queued deliveries "claimed" just before their first send; return the ids still ours.

    ``deliveries`` are (delivery id, attempts) pairs: a row re-queued and claimed again since
    (another attempt) or recovered by someone else is not ours any more.
    """
    if not deliveries:
        return set()
    async with db.begin() as session:
        started = await session.exec(
            update(Delivery)
            .where(
                col(Delivery.id).in_([delivery_id for delivery_id, _ in deliveries]),  # the PK
                col(Delivery.status) == DeliveryStatus.QUEUED,
                tuple_(col(Delivery.id), col(Delivery.attempts)).in_(list(deliveries)),
            )
            .values(status=DeliveryStatus.CLAIMED)
            .returning(col(Delivery.id))
        )
        return {row[0] for row in started.all()}


async def _beat(session: AsyncSession, now: datetime) -> None:
    await repo.put_value(session, HEARTBEAT_KEY, now.isoformat(), now=now)


def _lesson_mode(chat: Chat, progress: CourseProgress | None, today: date) -> str:
    """Decide between a new lesson and a review by the chat's lessons per (local) day."""
    done_today = progress.lessons_today if progress and progress.lessons_day == today else 0
    return "lesson" if done_today < chat.lessons_per_day else "review"


async def claim_due(
    db: Database,
    *,
    now: datetime,
    grace: timedelta,
    batch: int = 200,
    lease: timedelta = LEASE,
) -> ClaimReport:
    """Claim due slots and retries in one short transaction; advance each schedule."""
    async with db.begin() as session:
        lost = await _expire_lost(session, now=now, lease=lease)
        await _beat(session, now)
        retry_rows = (await session.exec(claim_retries_query(batch, now))).all()
        room = batch - len(retry_rows)
        due_rows = (await session.exec(claim_schedules_query(room, now))).all() if room else []

        chat_pks = [chat.id for _, chat, _ in retry_rows] + [chat.id for _, chat in due_rows]
        progress_rows = (
            await session.exec(
                select(CourseProgress).where(col(CourseProgress.chat_id).in_(chat_pks))
            )
        ).all()
        progress = {(p.chat_id, p.course_id): p for p in progress_rows}

        claimed: list[Claimed] = []
        skipped = 0

        def claim_of(
            delivery_id: int | None, slot_at: datetime, attempts: int, chat: Chat, tz: str
        ) -> Claimed:
            assert delivery_id is not None
            assert chat.id is not None
            today = local_day(now, tzinfo_for(tz))
            return Claimed(
                delivery_id=delivery_id,
                chat_pk=chat.id,
                tg_chat_id=chat.tg_chat_id,
                chat_kind=chat.kind,
                course_id=chat.course_id,
                slot_at=slot_at,
                attempts=attempts,
                mode=_lesson_mode(chat, progress.get((chat.id, chat.course_id or "")), today),
                local_day=today,
            )

        for delivery, chat, schedule in retry_rows:
            if not chat.active or chat.course_id is None:
                delivery.status = DeliveryStatus.SKIPPED
                delivery.error = "chat no longer receives deliveries"
            elif now - delivery.slot_at > grace:
                delivery.status = DeliveryStatus.SKIPPED
                delivery.error = f"retry came {now - delivery.slot_at} late"
            else:
                delivery.status = DeliveryStatus.QUEUED
                delivery.attempts += 1
                delivery.claimed_at = now
                delivery.retry_at = None
                session.add(delivery)
                tz = schedule.timezone if schedule else "UTC"
                claimed.append(
                    claim_of(delivery.id, delivery.slot_at, delivery.attempts, chat, tz)
                )
                continue
            skipped += 1
            log.info(
                "delivery %s to chat %s skipped: %s", delivery.id, chat.tg_chat_id, delivery.error
            )
            session.add(delivery)

        values: list[dict[str, Any]] = []
        owners: dict[tuple[int, datetime], tuple[Chat, Schedule]] = {}
        plans: dict[tuple[str, str, str, datetime], tuple[ScheduleSpec, TickPlan]] = {}
        for schedule, chat in due_rows:
            due = schedule.next_due_at
            assert due is not None
            assert chat.id is not None
            if not delivering(chat, schedule):
                schedule.next_due_at = None
                session.add(schedule)
                continue
            try:
                plan_key = (schedule.times, schedule.days, schedule.timezone, due)
                if plan_key not in plans:  # chats sharing a schedule and due instant share one
                    spec = spec_of(schedule)
                    plans[plan_key] = (spec, plan_catch_up(spec, due_at=due, now=now, grace=grace))
                spec, plan = plans[plan_key]
            except ValueError as exc:
                log.error("chat %s: unusable schedule, deliveries stop: %s", chat.tg_chat_id, exc)
                schedule.next_due_at = None
                session.add(schedule)
                continue
            if plan.deliver_slot is not None:
                slot = plan.deliver_slot
            else:
                latest = previous_due(spec, at_or_before=now)
                slot = latest if latest is not None and latest >= due else due
                log.info(
                    "chat %s: slot %s missed by %s (more than the grace): skipped",
                    chat.tg_chat_id,
                    slot.isoformat(),
                    now - slot,
                )
            schedule.next_due_at = plan.next_due
            schedule.last_slot_at = slot
            session.add(schedule)
            values.append(
                {
                    "chat_id": chat.id,
                    "kind": DeliveryKind.LESSON,
                    "slot_at": slot,
                    "status": DeliveryStatus.SKIPPED if plan.skipped else DeliveryStatus.QUEUED,
                    "attempts": 0 if plan.skipped else 1,
                    "claimed_at": now,
                    "error": f"missed by {now - slot}" if plan.skipped else None,
                }
            )
            owners[(chat.id, slot)] = (chat, schedule)

        duplicates = 0
        if values:
            statement = (
                _insert(db.dialect)(Delivery.__table__)  # type: ignore[attr-defined]
                .on_conflict_do_nothing(index_elements=_SLOT_KEY)
                .returning(
                    col(Delivery.id),
                    col(Delivery.chat_id),
                    col(Delivery.slot_at),
                    col(Delivery.status),
                )
            )
            # executemany: one cached statement, batched by SQLAlchemy's insertmanyvalues
            inserted = (await session.exec(statement, params=values)).all()
            duplicates = len(values) - len(inserted)
            by_key = {
                (chat_pk, slot): (row_id, status) for row_id, chat_pk, slot, status in inserted
            }
            for value in values:
                key = (value["chat_id"], value["slot_at"])
                chat, schedule = owners[key]
                if key not in by_key:
                    log.warning(
                        "chat %s: slot %s already has a delivery: not sent again",
                        chat.tg_chat_id,
                        value["slot_at"].isoformat(),
                    )
                    continue
                row_id, status = by_key[key]
                if status == DeliveryStatus.SKIPPED:
                    skipped += 1
                    continue
                claimed.append(claim_of(row_id, value["slot_at"], 1, chat, schedule.timezone))
        return ClaimReport(
            claimed=tuple(claimed),
            rows_seen=len(retry_rows) + len(due_rows),
            skipped=skipped,
            lost=lost,
            duplicates=duplicates,
        )


async def prepare(
    db: Database,
    catalog: Catalog,
    claim: Claimed,
    *,
    now: datetime,
    rng: random.Random | None = None,
) -> Prepared | None:
    """Prepare a delivery's content: the next lesson and its first question, or a review."""
    chat_id = claim.tg_chat_id
    user_id = None if claim.is_group else claim.tg_chat_id  # a private chat's id is the user's
    reason = "limit"
    if claim.mode == "lesson":
        out = await enrolment.next_lesson(db, catalog, chat_id=chat_id, now=now)
        if out is None:
            return None
        if isinstance(out, LessonOut):
            question = await questions.prepare_question(
                db,
                catalog,
                chat_id=chat_id,
                user_id=user_id,
                purpose=Purpose.LESSON,
                now=now,
                rng=rng,
                lesson_id=out.lesson.id,
                session_index=1,
            )
            return Prepared(lesson=out, question=question, reason="lesson")
        reason = "finished"
    question = await questions.prepare_question(
        db, catalog, chat_id=chat_id, user_id=user_id, purpose=Purpose.REVIEW, now=now, rng=rng
    )
    if question is None:
        return None
    return Prepared(lesson=None, question=question, reason=reason)


async def record_results(db: Database, results: Sequence[Result]) -> None:
    """Mark finished deliveries in one transaction and count the lessons they delivered."""
    if not results:
        return
    async with db.begin() as session:
        await session.exec(
            update(Delivery),
            params=[
                {
                    "id": r.delivery_id,
                    "status": r.status,
                    "sent_at": r.sent_at,
                    "message_id": r.message_id,
                    "retry_at": r.retry_at,
                    "error": r.error[:500] if r.error else None,
                }
                for r in results
            ],
        )
        counted = [r for r in results if r.lesson_course_id and r.lesson_day]
        if not counted:
            return
        rows = (
            await session.exec(
                select(CourseProgress).where(
                    col(CourseProgress.chat_id).in_([r.chat_pk for r in counted])
                )
            )
        ).all()
        progress = {(p.chat_id, p.course_id): p for p in rows}
        for r in counted:
            assert r.lesson_course_id is not None
            row = progress.get((r.chat_pk, r.lesson_course_id))
            if row is None:
                row = CourseProgress(chat_id=r.chat_pk, course_id=r.lesson_course_id)
                progress[(r.chat_pk, r.lesson_course_id)] = row
            if row.lessons_day != r.lesson_day:
                row.lessons_day, row.lessons_today = r.lesson_day, 0
            row.lessons_today += 1
            session.add(row)


async def migrate_chat(db: Database, *, old_chat_id: int, new_chat_id: int, now: datetime) -> str:
    """Move a group that became a supergroup to its new id (groups owns the merge rules)."""
    return await groups.migrate_chat(db, old_chat_id=old_chat_id, new_chat_id=new_chat_id, now=now)
