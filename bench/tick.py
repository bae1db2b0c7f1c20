"""The delivery tick's claim among many scheduled chats; per-chat APScheduler jobs vs the table."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, text, update

from bench.common import (
    T0,
    bulk_insert,
    due_of,
    fresh_db,
    median_ms,
    populate_chats,
    populate_schedules,
    schedule_rows,
    scratch_dir,
    spec_row,
    sql,
    sqlite_url,
    table,
)
from bot.config import Settings
from bot.db.engine import Database
from bot.db.models import Chat, Delivery, Schedule
from bot.scheduling.due import ScheduleSpec, parse_days, parse_time, plan_catch_up, tzinfo_for

COURSE = "itil4-customer"
GRACE = Settings().catch_up_grace
Claim = Callable[[Database, datetime, int], Awaitable[int]]

_S = table(Schedule).c
_C = table(Chat).c


async def bench_claim(db: Database, now: datetime, limit: int) -> int:
    """Claim up to `limit` due schedules in one BEGIN IMMEDIATE transaction; return how many.

    What the delivery tick's claim does (issue 6): pick due rows by the next_due_at index,
    write one Delivery row per slot (the unique (chat, kind, slot) key makes it idempotent)
    and move each schedule to its next slot, all before anything is sent.
    """
    async with db.begin() as session:
        rows = (
            await sql(
                session,
                select(_S.id, _S.chat_id, _S.times, _S.days, _S.timezone, _S.next_due_at)
                .join(table(Chat), _C.id == _S.chat_id)
                .where(and_(_S.next_due_at <= now, _C.active.is_(True)))
                .order_by(_S.next_due_at)
                .limit(limit),
            )
        ).all()
        if not rows:
            return 0
        deliveries, moves = [], []
        for sid, chat_pk, times, days, tz, due in rows:
            spec = ScheduleSpec(
                times=tuple(parse_time(p) for p in times.split(",")), days=parse_days(days), tz=tz
            )
            plan = plan_catch_up(spec, due_at=due, now=now, grace=GRACE)
            slot = plan.deliver_slot or due
            deliveries.append(
                {
                    "chat_id": chat_pk,
                    "kind": "lesson",
                    "slot_at": slot,
                    "status": "claimed" if not plan.skipped else "skipped",
                    "attempts": 1,
                    "claimed_at": now,
                }
            )
            moves.append({"b_id": sid, "b_next": plan.next_due, "b_last": slot})
        await sql(session, insert(table(Delivery)), deliveries)
        await sql(
            session,
            update(table(Schedule))
            .where(_S.id == bindparam("b_id"))
            .values(next_due_at=bindparam("b_next"), last_slot_at=bindparam("b_last")),
            moves,
        )
        return len(rows)


def delivery_claim() -> tuple[Claim | None, str]:
    """The delivery engineer's claim use case when it exists (else None and why)."""
    try:
        from bot.study import delivery
    except ImportError:
        return None, "bench.tick.bench_claim (no delivery claim use case in bot/ yet)"

    async def call(db: Database, now: datetime, limit: int) -> int:
        report = await delivery.claim_due(db, now=now, grace=GRACE, batch=limit)
        return len(report.claimed)

    return call, "bot.study.delivery.claim_due (the delivery tick's claim transaction)"


async def claim_plan(db: Database, now: datetime) -> str:
    """SQLite's plan for the due-row query (shows whether the index is used)."""
    if not db.is_sqlite:
        return "n/a"
    query = (
        "EXPLAIN QUERY PLAN SELECT schedule.id FROM schedule JOIN chat ON chat.id = "
        "schedule.chat_id WHERE schedule.next_due_at <= :now AND chat.active = 1 "
        "ORDER BY schedule.next_due_at LIMIT 100"
    )
    async with db.read() as session:
        rows = (await sql(session, text(query), {"now": now.strftime("%Y-%m-%d %H:%M:%S")})).all()
    return "; ".join(str(r[-1]) for r in rows)


async def tick_claim_ms(
    chats: int, *, batch: int, reps: int, url: str | None = None, claim: Claim | None = None
) -> dict[str, Any]:
    """Median ms of one claim of `batch` due rows among `chats` scheduled chats."""
    own, path = delivery_claim()
    claim = claim or own or bench_claim
    if claim is bench_claim:
        path = "bench.tick.bench_claim (the bench's own claim query)"
    with scratch_dir("tick") as folder:
        db = await fresh_db(url or sqlite_url(folder, "tick.db"))
        pks = await populate_chats(db, chats, course_id=COURSE, now=T0)
        await populate_schedules(db, schedule_rows(pks, now=T0, due_count=batch * (reps + 1)))
        now = T0
        await claim(db, now, batch)  # warm-up: statement cache, pages
        samples = []
        for _ in range(reps):
            start = time.perf_counter()
            got = await claim(db, now, batch)
            samples.append(time.perf_counter() - start)
            if got != batch:
                raise RuntimeError(f"claimed {got} rows, expected {batch}")
        plan = await claim_plan(db, now)
        await db.dispose()
    return {
        "median_ms": round(median_ms(samples), 2),
        "min_ms": round(min(samples) * 1000, 2),
        "max_ms": round(max(samples) * 1000, 2),
        "chats": chats,
        "batch": batch,
        "reps": reps,
        "code_path": path,
        "query_plan": plan,
    }


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


async def schedule_load(chats: int) -> dict[str, Any]:
    """Seconds to register per-chat APScheduler cron jobs vs bulk-loading the schedule table."""
    import random

    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.cron import CronTrigger

    rng = random.Random(7)
    specs = [spec_row(rng) for _ in range(chats)]
    cron_days = {
        "mon,tue,wed,thu,fri": "mon,tue,wed,thu,fri",
        "mon,tue,wed,thu,fri,sat,sun": "mon,tue,wed,thu,fri,sat,sun",
    }

    async def remind(chat: int) -> None:  # never runs: the clock is not advanced
        return None

    scheduler = AsyncIOScheduler(timezone=UTC, event_loop=asyncio.get_running_loop())
    scheduler.start()
    rss_before = _rss_mb()
    jobs = 0
    start = time.perf_counter()
    for chat, (times, days, tz) in enumerate(specs):
        zone = tzinfo_for(tz)
        for at in times.split(","):
            hour, minute = (int(x) for x in at.split(":"))
            # What PTB's JobQueue.run_daily builds for each learner's daily time.
            trigger = CronTrigger(
                hour=hour, minute=minute, second=0, day_of_week=cron_days[days], timezone=zone
            )
            scheduler.add_job(
                remind,
                trigger,
                args=(chat,),
                id=f"daily-{chat}-{at}",
                misfire_grace_time=None,
                coalesce=True,
            )
            jobs += 1
    aps_seconds = time.perf_counter() - start
    rss_delta = _rss_mb() - rss_before
    scheduler.shutdown(wait=False)
    del scheduler

    with scratch_dir("load") as folder:
        db = await fresh_db(sqlite_url(folder, "load.db"))
        pks = await populate_chats(db, chats, course_id=COURSE, now=T0)
        start = time.perf_counter()
        rows = [
            {
                "chat_id": pk,
                "times": times,
                "days": days,
                "timezone": tz,
                "next_due_at": due_of(times, days, tz, after=T0),
            }
            for pk, (times, days, tz) in zip(pks, specs, strict=True)
        ]
        compute_seconds = time.perf_counter() - start
        await bulk_insert(db, table(Schedule), rows)
        table_seconds = time.perf_counter() - start
        await db.dispose()
    return {
        "schedule_load_ratio": round(aps_seconds / table_seconds, 2),
        "apscheduler_s": round(aps_seconds, 3),
        "apscheduler_jobs": jobs,
        "apscheduler_rss_delta_mb": round(rss_delta, 1),
        "table_s": round(table_seconds, 3),
        "table_next_due_s": round(compute_seconds, 3),
        "chats": chats,
    }


_ = timedelta  # re-exported for callers that build their own clocks
