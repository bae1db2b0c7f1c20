"""Remember handled update ids so that an update Telegram delivers twice has one effect.

An update is marked once its handling finished (`mark`), not when it starts: a crash in between
makes Telegram deliver it again (durable polling) and it runs again, rather than being lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col

from bot.db import repo
from bot.db.engine import Database
from bot.db.models import ProcessedUpdate

KEEP_FOR = timedelta(days=2)  # Telegram keeps undelivered updates for 24 hours


async def handled(db: Database, *, update_id: int) -> bool:
    """Tell whether an update was handled before."""
    async with db.read() as session:
        return await session.get(ProcessedUpdate, update_id) is not None


async def mark(db: Database, *, update_id: int, now: datetime) -> bool:
    """Record that an update was handled; return False when it already was."""
    async with db.begin() as session:
        return await repo.insert_ignore(
            session, ProcessedUpdate, {"update_id": update_id, "seen_at": now}, keys=["update_id"]
        )


async def forget_old(db: Database, *, now: datetime) -> int:
    """Delete update ids older than Telegram could ever redeliver; return how many."""
    async with db.begin() as session:
        result = await session.exec(
            delete(ProcessedUpdate).where(col(ProcessedUpdate.seen_at) < now - KEEP_FOR)
        )
        return int(result.rowcount or 0)


async def poll_chat(db: Database, *, poll_id: str) -> int | None:
    """Return the Telegram chat a poll of ours was sent to (None: unknown poll)."""
    async with db.read() as session:
        return await repo.tg_chat_of_poll(session, poll_id)
