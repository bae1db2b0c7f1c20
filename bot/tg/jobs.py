"""Repeating jobs on PTB's JobQueue (scheduler in UTC): the delivery tick and housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from datetime import timedelta
from typing import Any

from telegram import Bot, Message
from telegram.constants import ParseMode

from bot.db.lease import acquire_delivery_lock
from bot.kinds import OUTCOME_STATUSES
from bot.scheduling.pacing import PacingLimits
from bot.study import delivery, questions, updates
from bot.study.delivery import Claimed
from bot.tg import send
from bot.tg.context import TutorApp, TutorContext
from bot.tg.deliverer import Deliverer, Outgoing, Parcel, Sleep, TickReport
from bot.tg.handlers import exam, groups
from bot.tg.texts import t

log = logging.getLogger(__name__)

JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
TICK_JOB = "delivery-tick"


def install(app: TutorApp) -> None:
    """Register the repeating jobs; the delivery tick only once and only under the lock.

    Raises:
        AlreadyRunning: another process delivers from the same SQLite database.
    """
    if app.job_queue is None:
        log.warning("no JobQueue: install python-telegram-bot[job-queue]")
        return
    queue = app.job_queue
    if not queue.get_jobs_by_name("housekeeping"):
        queue.run_repeating(
            housekeeping,
            interval=timedelta(hours=1),
            first=60,
            name="housekeeping",
            job_kwargs=JOB_KWARGS,
        )
    if queue.get_jobs_by_name(TICK_JOB):
        return
    settings = app.bot_data.settings
    lock = app.bot_data.delivery_lock
    if lock is None or not lock.held:
        app.bot_data.delivery_lock = acquire_delivery_lock(settings)
    queue.run_repeating(
        delivery_tick,
        interval=settings.tick_seconds,
        first=settings.tick_seconds,
        name=TICK_JOB,
        job_kwargs=JOB_KWARGS,
    )
    # Weekly group recaps and mock-exam timers: claimed exactly once in the database too.
    queue.run_repeating(
        groups.recap_tick,
        interval=timedelta(minutes=1),
        first=30,
        name="recap-tick",
        job_kwargs=JOB_KWARGS,
    )
    queue.run_repeating(
        exam.exam_tick,  # every 10 s: the 1-minute warning and the time-out come on time
        interval=timedelta(seconds=10),
        first=5,
        name="exam-tick",
        job_kwargs=JOB_KWARGS,
    )
    log.info("delivery tick every %g s", settings.tick_seconds)


def shutdown(app: TutorApp) -> None:
    """Release the delivery lock (call from post_shutdown; process exit releases it too)."""
    lock, app.bot_data.delivery_lock = app.bot_data.delivery_lock, None
    if lock is not None:
        lock.release()


def compose_for(app: TutorApp) -> Any:
    """Return the composer of real deliveries: a lesson and its first question, or a review."""
    data = app.bot_data

    async def compose(claim: Claimed) -> Parcel | None:
        db = data.db
        assert db is not None
        prepared = await delivery.prepare(db, data.catalog, claim, now=data.clock(), rng=data.rng)
        if prepared is None:
            return None
        messages: list[Outgoing] = []
        lesson = prepared.lesson
        if lesson is not None:

            async def send_lesson(bot: Bot, chat_id: int) -> Message:
                return await send.send_lesson(bot, dataclasses.replace(lesson, chat_id=chat_id))

            messages.append(Outgoing("lesson", send_lesson))
        elif prepared.question is not None:
            key = (
                "dlv_review_group"
                if claim.is_group
                else "dlv_review_finished"
                if prepared.reason == "finished"
                else "dlv_review_limit"
            )

            async def send_intro(bot: Bot, chat_id: int) -> Message:
                return await bot.send_message(chat_id, t(key), parse_mode=ParseMode.HTML)

            messages.append(Outgoing("review intro", send_intro))
        question = prepared.question
        if question is not None:

            async def send_question(bot: Bot, chat_id: int) -> Message:
                return await send.send_question(
                    bot, db, dataclasses.replace(question, chat_id=chat_id)
                )

            async def forget() -> None:
                await questions.discard_sent(db, sent_id=question.sent_id)

            messages.append(Outgoing("question", send_question, abandon=forget))
        if not messages:
            return None
        course_id = lesson.course.id if lesson is not None else None
        return Parcel(tuple(messages), lesson_course_id=course_id)

    return compose


def make_deliverer(
    app: TutorApp,
    *,
    sleep: Sleep = asyncio.sleep,
    limits: PacingLimits | None = None,
    **options: Any,
) -> Deliverer:
    """Build the Deliverer of an application (its clock, database, bot and settings)."""
    data = app.bot_data
    if data.db is None:
        raise RuntimeError("database is not open yet (post_init has not run)")
    settings = data.settings
    return Deliverer(
        db=data.db,
        bot=app.bot,
        compose=options.pop("compose", None) or compose_for(app),
        clock=data.clock,
        sleep=sleep,
        grace=settings.catch_up_grace,
        limits=limits,
        heartbeat_path=options.pop("heartbeat_path", settings.heartbeat_path()),
        **options,
    )


def deliverer_of(app: TutorApp) -> Deliverer:
    """Return the application's Deliverer (built on first use)."""
    deliverer = app.bot_data.deliverer
    if deliverer is None:
        deliverer = app.bot_data.deliverer = make_deliverer(app)
    return deliverer


async def delivery_tick(context: TutorContext) -> None:
    """Claim due slots, send them paced, record the results (the "delivery-tick" job).

    A big fan-out drains for longer than one tick interval: it runs as a task of its own so
    the job returns at once and APScheduler does not warn "maximum number of running
    instances" every interval; while a drain runs, later ticks do nothing (the drain claims
    newly due rows itself). `stop_drain` cancels it when the bot stops, as a crash would:
    deliveries never started are retried on the next start, the few in flight are "lost".
    """
    running = context.bot_data.drain
    if running is not None and not running.done():
        return
    app: TutorApp = context.application  # type: ignore[assignment]
    task = asyncio.create_task(measured_tick(app), name="delivery-drain")
    task.add_done_callback(_report_drain)
    context.bot_data.drain = task


async def measured_tick(app: TutorApp) -> TickReport:
    """Run one delivery tick; count its outcomes and its duration in the metrics."""
    metrics = app.bot_data.metrics
    started = time.perf_counter()
    report = await deliverer_of(app).tick()
    metrics.tick_seconds.observe(time.perf_counter() - started)
    for status in OUTCOME_STATUSES:
        if count := getattr(report, status):
            metrics.deliveries.labels(status=status).inc(count)
    if report.floods:
        metrics.flood_waits.inc(report.floods)
    return report


def _report_drain(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("delivery drain failed: %s: %s", type(error).__name__, error, exc_info=error)


async def stop_drain(app: TutorApp) -> None:
    """Cancel a running delivery drain (call when the bot stops)."""
    task, app.bot_data.drain = app.bot_data.drain, None
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    log.info("delivery drain stopped; deliveries not yet started resume on the next start")


async def housekeeping(context: TutorContext) -> None:
    """Forget update ids Telegram can no longer redeliver."""
    removed = await updates.forget_old(context.db, now=context.now())
    if removed:
        log.info("housekeeping: forgot %d old update ids", removed)
