"""The delivery tick end to end: real app, fake Bot API, SQLite file, fake clock and sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.db.models import (
    Chat,
    CourseProgress,
    Delivery,
    KeyValue,
    LessonDone,
    Member,
    Schedule,
    SentQuestion,
)
from bot.kinds import DeliveryStatus
from bot.playground.fakeapi import (
    BLOCKED,
    CHAT_NOT_FOUND,
    SERVER_ERROR,
    FloodLimits,
    flood,
    migrated,
)
from bot.scheduling.pacing import PacingLimits
from bot.study import delivery
from bot.study.schedules import reschedule
from bot.tg import jobs
from bot.tg.context import TutorContext
from bot.tg.deliverer import Deliverer
from tests.botkit import ADA, BOB, BotRig, running_bot

T8 = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday 08:00 UTC
LESSON_1 = "Where tea comes from"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns on RetryAfter's int form unless opted in; production should opt in too.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def fake_sleep(clock: FakeClock) -> Callable[[float], Awaitable[None]]:
    """A sleep that moves the fake clock instead of waiting."""

    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)

    return sleep


def deliverer(rig: BotRig, tmp_path: Path, **options: Any) -> Deliverer:
    return jobs.make_deliverer(
        rig.app, sleep=fake_sleep(rig.clock), heartbeat_path=tmp_path / "heartbeat", **options
    )


async def add_chat(
    rig: BotRig,
    tg_id: int,
    *,
    times: str = "08:00",
    tz: str = "UTC",
    days: str = "mon,tue,wed,thu,fri,sat,sun",
    paused: bool = False,
    lessons_per_day: int = 1,
    now: datetime | None = None,
) -> int:
    """Create an enrolled chat (and its member, for a private chat) with a schedule."""
    kind = "private" if tg_id > 0 else "group"
    async with rig.db.begin() as s:
        chat = Chat(
            tg_chat_id=tg_id,
            kind=kind,
            course_id="mini",
            onboarded=True,
            lessons_per_day=lessons_per_day,
        )
        s.add(chat)
        if tg_id > 0:
            s.add(Member(tg_user_id=tg_id, first_name=f"U{tg_id}", started_private=True))
        await s.flush()
        assert chat.id is not None
        schedule = Schedule(chat_id=chat.id, times=times, timezone=tz, days=days, paused=paused)
        reschedule(chat, schedule, now=now or rig.clock())
        s.add(schedule)
        return chat.id


async def deliveries(rig: BotRig) -> list[Delivery]:
    async with rig.db.read() as s:
        return list((await s.exec(select(Delivery).order_by(col(Delivery.id)))).all())


async def schedule_of(rig: BotRig, chat_pk: int) -> Schedule:
    async with rig.db.read() as s:
        row = (await s.exec(select(Schedule).where(Schedule.chat_id == chat_pk))).one()
    return row


async def chat_row(rig: BotRig, chat_pk: int) -> Chat:
    async with rig.db.read() as s:
        row = await s.get(Chat, chat_pk)
    assert row is not None
    return row


def sends(rig: BotRig) -> list[str]:
    """Methods of every send attempt (startup calls such as getMe are left out)."""
    return [c.method for c in rig.api.calls if c.method.startswith("send")]


def sends_to(rig: BotRig, chat_id: int) -> list[str]:
    """Methods of every send attempt to a chat (failed ones too)."""
    return [
        c.method
        for c in rig.api.calls
        if c.method.startswith("send") and int(c.params.get("chat_id", 0)) == chat_id
    ]


async def test_due_chat_gets_lesson_then_first_question_and_is_rescheduled(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        pk = await add_chat(rig, ADA.id)
        d = deliverer(rig, tmp_path)
        rig.clock.set(T8 - timedelta(seconds=1))
        early = await d.tick()
        assert early.claimed == 0
        assert sends(rig) == []
        rig.clock.set(T8)
        report = await d.tick()
        assert (report.claimed, report.sent, report.messages) == (1, 1, 2)
        lesson, poll = rig.api.sent("sendMessage"), rig.api.sent("sendPoll")
        assert len(lesson) == 1 and LESSON_1 in lesson[0]["text"]
        assert len(poll) == 1 and poll[0]["chat_id"] == ADA.id
        assert sends(rig) == ["sendMessage", "sendPoll"]
        (row,) = await deliveries(rig)
        assert (row.status, row.slot_at, row.attempts) == ("sent", T8, 1)
        first = next(c for c in rig.api.calls if c.method == "sendMessage")
        assert row.message_id == first.result["message_id"]
        schedule = await schedule_of(rig, pk)
        assert schedule.next_due_at == T8 + timedelta(days=1)
        assert schedule.last_slot_at == T8
        async with rig.db.read() as s:
            sent_q = (await s.exec(select(SentQuestion))).one()
            progress = (await s.exec(select(CourseProgress))).one()
            beat = await s.get(KeyValue, delivery.HEARTBEAT_KEY)
        assert sent_q.poll_id is not None and sent_q.purpose == "lesson"
        assert (progress.lessons_today, progress.current_lesson_id) == (1, "leaves")
        assert beat is not None and beat.value == T8.isoformat()
        assert (tmp_path / "heartbeat").read_text().strip() == T8.isoformat()
        # The poll went a chat-gap after the lesson, not in the same instant.
        assert rig.clock() >= T8 + timedelta(seconds=1)
        again = await d.tick()
        assert again.claimed == 0 and len(sends(rig)) == 2


async def test_the_job_callback_runs_the_tick(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        await add_chat(rig, ADA.id)
        rig.app.bot_data.deliverer = deliverer(rig, tmp_path)
        rig.clock.set(T8 + timedelta(seconds=3))
        context = TutorContext(rig.app)
        await jobs.delivery_tick(context)  # the job hands the drain to a task and returns
        drain = rig.app.bot_data.drain
        await jobs.delivery_tick(context)  # still draining: no second drain
        assert rig.app.bot_data.drain is drain
        await drain
        assert sends_to(rig, ADA.id) == ["sendMessage", "sendPoll"]


async def test_stopping_the_bot_cancels_a_running_drain(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        for offset in range(20):
            await add_chat(rig, 7000 + offset)

        first_send = asyncio.Event()
        rig.api.listeners.append(lambda call: first_send.set())

        rig.app.bot_data.deliverer = jobs.make_deliverer(
            rig.app, sleep=fake_sleep(rig.clock), heartbeat_path=tmp_path / "heartbeat"
        )
        rig.clock.set(T8 + timedelta(seconds=3))
        await jobs.delivery_tick(TutorContext(rig.app))
        drain = rig.app.bot_data.drain
        await first_send.wait()  # the drain is under way
        await jobs.stop_drain(rig.app)
        assert drain.cancelled()
        stopped_at = len(sends(rig))
        rows = await deliveries(rig)
    assert 0 < stopped_at < 40  # stopped part-way through 20 lessons and 20 questions
    assert {row.status for row in rows} <= {"queued", "claimed", "sent"}
    assert sum(row.status == "claimed" for row in rows) <= 16  # at most the sends in flight


async def test_paused_or_inactive_chats_get_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        paused = await add_chat(rig, ADA.id, paused=True)
        assert (await schedule_of(rig, paused)).next_due_at is None
        stale = await add_chat(rig, BOB.id)
        async with rig.db.begin() as s:  # paused behind the schedule's back: claim must notice
            row = (await s.exec(select(Schedule).where(Schedule.chat_id == stale))).one()
            row.paused = True
            s.add(row)
        rig.clock.set(T8 + timedelta(minutes=1))
        report = await deliverer(rig, tmp_path).tick()
        assert report.claimed == 0 and sends(rig) == []
        assert await deliveries(rig) == []
        assert (await schedule_of(rig, stale)).next_due_at is None


async def test_berlin_spring_forward_slot_goes_out_at_0130_utc(tmp_path: Path) -> None:
    start = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
    async with running_bot(tmp_path, clock=FakeClock(start)) as rig:
        pk = await add_chat(rig, ADA.id, times="02:30", tz="Europe/Berlin")
        slot = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 does not exist: 03:30 CEST
        assert (await schedule_of(rig, pk)).next_due_at == slot
        d = deliverer(rig, tmp_path)
        rig.clock.set(slot - timedelta(seconds=1))
        assert (await d.tick()).claimed == 0
        rig.clock.set(slot)
        assert (await d.tick()).sent == 1
        (row,) = await deliveries(rig)
        assert row.slot_at == slot
        # The next day is back on CEST: 02:30 local is 00:30 UTC.
        expected = datetime(2027, 3, 29, 0, 30, tzinfo=UTC)
        assert (await schedule_of(rig, pk)).next_due_at == expected


async def test_crash_between_send_and_mark_never_resends_the_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(T8 - timedelta(hours=1))
    async with running_bot(tmp_path, clock=clock) as rig:
        await add_chat(rig, ADA.id)
        clock.set(T8)

        async def crash(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("the process died before marking")

        monkeypatch.setattr(delivery, "record_results", crash)
        await deliverer(rig, tmp_path).tick()
        assert sends_to(rig, ADA.id) == ["sendMessage", "sendPoll"]
        (row,) = await deliveries(rig)
        assert row.status == "claimed"
    monkeypatch.undo()
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    clock.advance(timedelta(minutes=2))
    async with running_bot(tmp_path, clock=clock) as rig2:  # a new process, same database
        d = deliverer(rig2, tmp_path)
        report = await d.tick()
        assert report.claimed == 0 and sends(rig2) == []
        clock.set(T8 + timedelta(days=1))  # the next slot, long after the lease
        report = await d.tick()
        assert (report.lost, report.sent) == (1, 1)
        assert sends_to(rig2, ADA.id) == ["sendMessage", "sendPoll"]
        old, new = await deliveries(rig2)
        assert (old.slot_at, old.status) == (T8, "lost")
        assert (new.slot_at, new.status) == (T8 + timedelta(days=1), "sent")
    assert "never marked" in caplog.text


async def test_downtime_delivers_only_the_latest_slot_within_grace(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=4))) as rig:
        recent = await add_chat(rig, ADA.id, times="08:00")  # 1 h late after the downtime
        old = await add_chat(rig, BOB.id, times="05:00")  # 4 h late: beyond the 3 h grace
        back = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)  # three days down
        rig.clock.set(back)
        report = await deliverer(rig, tmp_path).tick()
        assert (report.claimed, report.sent, report.skipped) == (1, 1, 1)
        assert sends_to(rig, ADA.id) == ["sendMessage", "sendPoll"]
        assert sends_to(rig, BOB.id) == []
        rows = {r.chat_id: r for r in await deliveries(rig)}
        assert len(rows) == 2
        assert (rows[recent].slot_at, rows[recent].status) == (
            datetime(2027, 3, 4, 8, 0, tzinfo=UTC),
            "sent",
        )
        assert (rows[old].slot_at, rows[old].status) == (
            datetime(2027, 3, 4, 5, 0, tzinfo=UTC),
            "skipped",
        )
        assert (await schedule_of(rig, recent)).next_due_at == datetime(
            2027, 3, 5, 8, 0, tzinfo=UTC
        )
        assert (await schedule_of(rig, old)).next_due_at == datetime(2027, 3, 5, 5, 0, tzinfo=UTC)


async def test_429_pauses_the_sender_and_retries_the_slot_after_retry_after(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        await add_chat(rig, ADA.id)
        await add_chat(rig, BOB.id, times="08:00")
        sent_at: dict[int, datetime] = {}
        rig.api.listeners.append(
            lambda call: (
                sent_at.setdefault(int(call.params["chat_id"]), rig.clock())
                if call.status == 200
                else None
            )
        )
        rig.api.fail("sendMessage", flood(5))
        rig.clock.set(T8)
        d = deliverer(rig, tmp_path)
        report = await d.tick()
        assert (report.retry, report.sent) == (1, 1)
        ada_row = next(r for r in await deliveries(rig) if r.status == "retry")
        assert ada_row.retry_at == T8 + timedelta(seconds=5)
        assert sends_to(rig, ADA.id) == ["sendMessage"]  # the 429; no question after it
        assert sent_at[BOB.id] >= T8 + timedelta(seconds=5)  # the whole sender paused
        async with rig.db.read() as s:  # the question prepared for Ada was forgotten
            assert len((await s.exec(select(SentQuestion))).all()) == 1
        rig.clock.set(T8 + timedelta(seconds=4))
        assert (await d.tick()).claimed == 0  # no hammering before retry_after
        assert sends_to(rig, ADA.id) == ["sendMessage"]
        rig.clock.set(T8 + timedelta(seconds=6))
        report = await d.tick()
        assert (report.claimed, report.sent) == (1, 1)
        assert sends_to(rig, ADA.id) == ["sendMessage", "sendMessage", "sendPoll"]
        row = next(r for r in await deliveries(rig) if r.id == ada_row.id)
        assert (row.status, row.attempts) == ("sent", 2)


async def test_blocked_chat_is_deactivated_and_others_still_delivered(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        ada = await add_chat(rig, ADA.id)
        bob = await add_chat(rig, BOB.id)
        rig.api.fail_chat[ADA.id] = BLOCKED
        rig.clock.set(T8)
        report = await deliverer(rig, tmp_path).tick()
        assert (report.dead, report.sent) == (1, 1)
        assert sends_to(rig, ADA.id) == ["sendMessage"]
        assert sends_to(rig, BOB.id) == ["sendMessage", "sendPoll"]
        assert not (await chat_row(rig, ada)).active
        assert (await chat_row(rig, bob)).active
        assert (await schedule_of(rig, ada)).next_due_at is None
        assert (await schedule_of(rig, bob)).next_due_at == T8 + timedelta(days=1)
        statuses = {r.chat_id: (r.status, r.error) for r in await deliveries(rig)}
        assert statuses[ada] == ("dead", "Forbidden: bot was blocked by the user")
        async with rig.db.read() as s:
            member = (await s.exec(select(Member).where(Member.tg_user_id == ADA.id))).one()
        assert member.blocked


async def test_chat_not_found_deactivates_only_that_group(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        gone = await add_chat(rig, -500)
        ok = await add_chat(rig, -600)
        rig.api.fail_chat[-500] = CHAT_NOT_FOUND
        rig.clock.set(T8)
        report = await deliverer(rig, tmp_path).tick()
        assert (report.dead, report.sent) == (1, 1)
        assert not (await chat_row(rig, gone)).active
        assert (await schedule_of(rig, gone)).next_due_at is None
        assert sends_to(rig, -600) == ["sendMessage", "sendPoll"]
        assert (await chat_row(rig, ok)).active


async def test_migrated_group_is_moved_and_delivered_at_its_new_id(tmp_path: Path) -> None:
    new_id = -1001234567
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        pk = await add_chat(rig, -700)
        async with rig.db.begin() as s:  # progress made before the migration
            s.add(LessonDone(chat_id=pk, course_id="mini", lesson_id="leaves"))
        rig.api.fail("sendMessage", migrated(new_id))
        rig.clock.set(T8)
        report = await deliverer(rig, tmp_path).tick()
        assert report.sent == 1
        assert sends_to(rig, -700) == ["sendMessage"]
        assert sends_to(rig, new_id) == ["sendMessage", "sendPoll"]
        assert (
            "Water temperature" in rig.api.sent("sendMessage")[0]["text"]
        )  # lesson 2: progress kept
        chat = await chat_row(rig, pk)
        assert (chat.tg_chat_id, chat.kind, chat.active) == (new_id, "supergroup", True)
        assert (await schedule_of(rig, pk)).next_due_at == T8 + timedelta(days=1)
        (row,) = await deliveries(rig)
        assert row.status == "sent"


async def test_5xx_is_retried_with_backoff_then_marked_failed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        await add_chat(rig, ADA.id)
        rig.api.fail("sendMessage", SERVER_ERROR, times=4)
        d = deliverer(rig, tmp_path)
        rig.clock.set(T8)
        waits = []
        for expected in (30, 60, 120):
            report = await d.tick()
            assert report.retry == 1
            (row,) = await deliveries(rig)
            waits.append(row.retry_at - rig.clock())
            assert row.retry_at - rig.clock() == timedelta(seconds=expected)
            rig.clock.set(row.retry_at - timedelta(seconds=1))
            assert (await d.tick()).claimed == 0  # not before its time
            rig.clock.set(row.retry_at)
        report = await d.tick()
        assert report.failed == 1
        (row,) = await deliveries(rig)
        assert (row.status, row.attempts, row.error) == ("failed", 4, "Bad Gateway")
        assert sends_to(rig, ADA.id) == ["sendMessage"] * 4
        rig.clock.advance(timedelta(hours=1))
        assert (await d.tick()).claimed == 0
    assert "failed after 4 attempts" in caplog.text


async def test_a_transient_error_then_success_delivers_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        await add_chat(rig, ADA.id)
        rig.api.fail("sendMessage", SERVER_ERROR)
        d = deliverer(rig, tmp_path)
        rig.clock.set(T8)
        assert (await d.tick()).retry == 1
        rig.clock.advance(timedelta(seconds=30))
        assert (await d.tick()).sent == 1
        assert sends_to(rig, ADA.id) == ["sendMessage", "sendMessage", "sendPoll"]


async def test_lessons_per_day_reached_sends_a_review_question(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        await add_chat(rig, ADA.id, times="08:00,19:00", lessons_per_day=1)
        d = deliverer(rig, tmp_path)
        rig.clock.set(T8)
        await d.tick()
        rig.clock.set(T8.replace(hour=19))
        assert (await d.tick()).sent == 1
        texts = rig.api.texts(ADA.id)
        assert LESSON_1 in texts[0]
        assert "Review time" in texts[2] and "today's new lessons" in texts[2]
        async with rig.db.read() as s:
            purposes = [q.purpose for q in (await s.exec(select(SentQuestion))).all()]
            progress = (await s.exec(select(CourseProgress))).one()
        assert purposes == ["lesson", "review"]
        assert progress.lessons_today == 1
        rig.clock.set(T8 + timedelta(days=1))  # a new local day: a lesson again
        await d.tick()
        assert LESSON_1 in rig.api.texts(ADA.id)[4]  # still unfinished, so lesson 1 again
        async with rig.db.read() as s:
            progress = (await s.exec(select(CourseProgress))).one()
        assert (progress.lessons_day, progress.lessons_today) == (
            (T8 + timedelta(days=1)).date(),
            1,
        )


async def test_finished_course_gets_review_questions(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        pk = await add_chat(rig, ADA.id)
        async with rig.db.begin() as s:
            for lesson in ("leaves", "brewing"):
                s.add(LessonDone(chat_id=pk, course_id="mini", lesson_id=lesson))
        rig.clock.set(T8)
        assert (await deliverer(rig, tmp_path).tick()).sent == 1
        assert "finished every lesson" in rig.api.texts(ADA.id)[0]
        assert len(rig.api.sent("sendPoll")) == 1
        async with rig.db.read() as s:
            progress = (await s.exec(select(CourseProgress))).all()
        assert all(p.lessons_today == 0 for p in progress)  # a review is not a lesson


async def test_group_gets_lesson_and_group_question(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        await add_chat(rig, -800)
        rig.clock.set(T8)
        assert (await deliverer(rig, tmp_path).tick()).sent == 1
        assert sends_to(rig, -800) == ["sendMessage", "sendPoll"]
        async with rig.db.read() as s:
            sent_q = (await s.exec(select(SentQuestion))).one()
        assert sent_q.member_id is None and sent_q.poll_id is not None


async def test_real_deliveries_are_paced_under_telegram_limits(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        for i in range(40):
            await add_chat(rig, 1000 + i)
        for i in range(5):
            await add_chat(rig, -2000 - i)
        rig.api.limits = FloodLimits()
        rig.clock.set(T8)
        report = await deliverer(rig, tmp_path, limits=PacingLimits()).tick()
        assert (report.sent, report.messages) == (45, 90)
        assert rig.api.limits.violations == 0
        assert all(c.status == 200 for c in rig.api.calls)
        # 90 messages at 95 % of 30/s, plus one group gap (20/min) for the last group's question.
        elapsed = (rig.clock() - T8).total_seconds()
        assert elapsed < 90 / 28.5 + 60 / 19 + 0.5


async def test_install_registers_one_tick_under_the_lock(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        jobs.install(rig.app)
        jobs.install(rig.app)  # twice: still one job each
        assert rig.app.job_queue is not None
        (tick,) = rig.app.job_queue.get_jobs_by_name(jobs.TICK_JOB)
        assert len(rig.app.job_queue.get_jobs_by_name("housekeeping")) == 1
        assert tick.job.misfire_grace_time is None and tick.job.max_instances == 1
        assert tick.job.coalesce is True
        assert rig.app.bot_data.delivery_lock is not None
        assert rig.app.bot_data.delivery_lock.held
        async with running_bot(tmp_path) as other:  # a second app on the same database
            from bot.db.lease import AlreadyRunning

            with pytest.raises(AlreadyRunning, match="already delivering"):
                jobs.install(other.app)
            assert not other.app.job_queue.get_jobs_by_name(jobs.TICK_JOB)
        jobs.shutdown(rig.app)
        assert rig.app.bot_data.delivery_lock is None


async def test_a_crash_right_after_the_claim_loses_nothing(tmp_path: Path) -> None:
    clock = FakeClock(T8 - timedelta(hours=1))
    async with running_bot(tmp_path, clock=clock) as rig:
        await add_chat(rig, ADA.id)
        clock.set(T8)
        claims = await delivery.claim_due(rig.db, now=clock(), grace=timedelta(hours=3))
        assert len(claims.claimed) == 1  # ... and the process dies before sending anything
        (row,) = await deliveries(rig)
        assert row.status == DeliveryStatus.QUEUED
    clock.advance(timedelta(minutes=11))  # past the lease
    async with running_bot(tmp_path, clock=clock) as rig2:
        report = await deliverer(rig2, tmp_path).tick()
        assert (report.lost, report.sent) == (0, 1)
        assert sends_to(rig2, ADA.id) == ["sendMessage", "sendPoll"]
        (row,) = await deliveries(rig2)
        assert (row.slot_at, row.status, row.attempts) == (T8, "sent", 2)


async def test_a_slot_is_claimable_once_ever(tmp_path: Path) -> None:
    async with running_bot(tmp_path, clock=FakeClock(T8 - timedelta(hours=1))) as rig:
        pk = await add_chat(rig, ADA.id)
        d = deliverer(rig, tmp_path)
        rig.clock.set(T8)
        await d.tick()
        async with rig.db.begin() as s:  # something moves the schedule back onto the same slot
            row = (await s.exec(select(Schedule).where(Schedule.chat_id == pk))).one()
            row.next_due_at = T8
            s.add(row)
        report = await d.tick()
        assert (report.claimed, report.duplicates) == (0, 1)
        assert sends_to(rig, ADA.id) == ["sendMessage", "sendPoll"]
        assert len(await deliveries(rig)) == 1
        assert (await schedule_of(rig, pk)).next_due_at == T8 + timedelta(days=1)


def test_claim_queries_skip_rows_other_senders_hold_on_postgres() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    schedules = delivery.claim_schedules_query(200, T8)
    retries = delivery.claim_retries_query(200, T8)
    pg = postgresql.dialect()
    assert "FOR UPDATE OF schedule SKIP LOCKED" in str(schedules.compile(dialect=pg))
    assert "FOR UPDATE OF delivery SKIP LOCKED" in str(retries.compile(dialect=pg))
    assert "ORDER BY schedule.next_due_at" in str(schedules.compile(dialect=pg))
    assert "FOR UPDATE" not in str(schedules.compile(dialect=sqlite.dialect()))
