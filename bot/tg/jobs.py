"""Repeating jobs on PTB's JobQueue (scheduler in UTC): the delivery tick and housekeeping."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.study import updates
from bot.tg.context import TutorApp, TutorContext

log = logging.getLogger(__name__)

JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def install(app: TutorApp) -> None:
    """Register the repeating jobs."""
    if app.job_queue is None:
        log.warning("no JobQueue: install python-telegram-bot[job-queue]")
        return
    app.job_queue.run_repeating(
        housekeeping, interval=timedelta(hours=1), first=60, name="housekeeping",
        job_kwargs=JOB_KWARGS,
    )


async def housekeeping(context: TutorContext) -> None:
    """Forget update ids Telegram can no longer redeliver."""
    removed = await updates.forget_old(context.db, now=context.now())
    if removed:
        log.info("housekeeping: forgot %d old update ids", removed)
