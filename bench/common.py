"""Shared benchmark helpers: timing, a fresh database, bulk population of chats and schedules."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.loader import load_catalog
from bot.content.schema import Catalog
from bot.db.engine import Database
from bot.db.models import Chat, Member, Membership, Schedule
from bot.scheduling.due import ScheduleSpec, format_time, next_due

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
T0 = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # a Monday, like the tests
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "+05:30")
BULK_CHUNK = 5_000


@dataclass(frozen=True)
class Size:
    """Problem sizes of one run (quick or full)."""

    quick: bool
    updates: int  # quiz answers through the whole bot (and echo updates)
    repeats: int  # best-of for throughput
    tick_sizes: tuple[int, ...]  # scheduled chats for the tick claim
    tick_batch: int
    tick_reps: int
    load_chats: int  # schedules for the APScheduler-vs-table load
    fanout_messages: int  # due deliveries (two messages each) for the bot's own tick
    fanout_scale: float
    fanout_light: int  # deliveries for the pacing-only variants at time scale x10
    rss_chats: int
    group_members: int
    burst_members: int = 2_000  # group answers queued at once
    burst_private: int = 20  # private /quiz sent right after
    burst_rounds: int = 3  # alternating runs of each mode


FULL = Size(
    quick=False,
    updates=1_500,
    repeats=3,
    tick_sizes=(10_000, 100_000),
    tick_batch=100,
    tick_reps=15,
    load_chats=100_000,
    fanout_messages=600,
    fanout_scale=1.0,
    fanout_light=600,
    rss_chats=100_000,
    group_members=50,
)
QUICK = Size(
    quick=True,
    updates=200,
    repeats=2,
    tick_sizes=(2_000, 10_000),
    tick_batch=100,
    tick_reps=7,
    load_chats=3_000,
    fanout_messages=30,
    fanout_scale=1.0,
    fanout_light=60,
    rss_chats=5_000,
    group_members=50,
    burst_members=200,
    burst_private=5,
    burst_rounds=1,
)


def catalog() -> Catalog:
    """Load the real courses shipped with the bot."""
    return load_catalog(LESSONS)


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder that is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"tutorbot-bench-{prefix}-") as name:
        yield Path(name)


def sqlite_url(folder: Path, name: str = "bench.db") -> str:
    """The aiosqlite URL of a database file in `folder`."""
    return f"sqlite+aiosqlite:///{folder / name}"


async def fresh_db(url: str) -> Database:
    """Open a database and bring it to the newest schema (as the bot's post_init does)."""
    db = Database.from_url(url)
    await db.migrate()
    return db


def median_ms(samples: Sequence[float]) -> float:
    """Median of second-valued samples, in milliseconds."""
    return statistics.median(samples) * 1000.0


async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """Await `fn()` and return (seconds, result)."""
    start = time.perf_counter()
    result = await fn()
    return time.perf_counter() - start, result


def spec_row(rng: random.Random) -> tuple[str, str, str]:
    """A plausible schedule: one or two local times, every day or weekdays, some time zone."""
    first = dtime(rng.randrange(6, 22), rng.choice((0, 15, 30, 45)))
    times = [first]
    if rng.random() < 0.3:
        times.append(dtime(rng.randrange(6, 22), 0))
    days = "mon,tue,wed,thu,fri" if rng.random() < 0.25 else "mon,tue,wed,thu,fri,sat,sun"
    text = ",".join(format_time(t) for t in sorted(set(times)))
    return text, days, rng.choice(ZONES)


def due_of(times: str, days: str, tz: str, *, after: datetime) -> datetime:
    """The bot's own next-due computation for a stored schedule's text fields."""
    from bot.scheduling.due import parse_days, parse_time

    spec = ScheduleSpec(
        times=tuple(parse_time(p) for p in times.split(",")), days=parse_days(days), tz=tz
    )
    return next_due(spec, after=after)


def table(model: Any) -> Table:
    """The Core table of a SQLModel class."""
    result: Table = model.__table__
    return result


async def sql(session: AsyncSession, statement: Any, params: Any = None) -> Any:
    """Execute a Core statement on the session's connection (executemany for a list)."""
    connection = await session.connection()
    return await connection.execute(statement, params)


async def bulk_insert(db: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with executemany, in chunks, in write transactions."""
    for start in range(0, len(rows), BULK_CHUNK):
        async with db.begin() as session:
            await sql(session, insert(table), rows[start : start + BULK_CHUNK])


async def populate_chats(
    db: Database,
    n: int,
    *,
    course_id: str,
    first_tg_id: int = 10_000_000,
    kind: str = "private",
    with_members: bool = False,
    now: datetime = T0,
) -> list[int]:
    """Insert `n` enrolled chats (optionally a member each, linked); return their primary keys."""
    if n <= 0:
        return []
    chats: list[dict[str, Any]] = [
        {
            "tg_chat_id": first_tg_id + i if kind == "private" else -(first_tg_id + i),
            "kind": kind,
            "course_id": course_id,
            "onboarded": True,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n)
    ]
    await bulk_insert(db, table(Chat), chats)
    ids = [int(c["tg_chat_id"]) for c in chats]
    tg = table(Chat).c.tg_chat_id
    async with db.read() as session:
        rows = (
            await sql(session, select(table(Chat).c.id, tg).where(tg.between(min(ids), max(ids))))
        ).all()
    pks = [pk for pk, _tg in rows]
    if with_members and kind == "private":
        members = [
            {
                "tg_user_id": first_tg_id + i,
                "first_name": f"L{i}",
                "started_private": True,
                "created_at": now,
            }
            for i in range(n)
        ]
        await bulk_insert(db, table(Member), members)
        async with db.read() as session:
            mrows = (
                await sql(session, select(table(Member).c.id, table(Member).c.tg_user_id))
            ).all()
        member_pk = {tg: pk for pk, tg in mrows}
        tg_of_chat = dict(rows)
        links = [
            {"chat_id": pk, "member_id": member_pk[tg_of_chat[pk]], "joined_at": now} for pk in pks
        ]
        await bulk_insert(db, table(Membership), links)
    return pks


def schedule_rows(
    chat_pks: Sequence[int],
    *,
    now: datetime,
    due_count: int = 0,
    seed: int = 7,
) -> list[dict[str, Any]]:
    """Schedule rows for chats: the first `due_count` are already due, the rest later."""
    rng = random.Random(seed)
    rows = []
    for i, pk in enumerate(chat_pks):
        times, days, tz = spec_row(rng)
        due = due_of(times, days, tz, after=now)
        if i < due_count:
            due = now - timedelta(seconds=1 + i % 600)
        rows.append(
            {"chat_id": pk, "times": times, "days": days, "timezone": tz, "next_due_at": due}
        )
    return rows


async def populate_schedules(db: Database, rows: list[dict[str, Any]]) -> None:
    """Bulk-insert schedule rows."""
    await bulk_insert(db, table(Schedule), rows)
