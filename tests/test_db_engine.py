"""The engine's SQLite discipline, migrations and models agree, and no lost updates."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import select

from bot.db.engine import Database
from bot.db.models import Chat, metadata


async def test_pragmas_are_set(db: Database) -> None:
    async with db.read() as session:
        mode = (await session.exec(text("PRAGMA journal_mode"))).scalar_one()
        fks = (await session.exec(text("PRAGMA foreign_keys"))).scalar_one()
        busy = (await session.exec(text("PRAGMA busy_timeout"))).scalar_one()
    assert (mode, fks, busy) == ("wal", 1, 10000)


async def test_models_and_migrations_agree(db: Database) -> None:
    def diff(sync_conn):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(sync_conn), metadata)

    async with db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []


async def test_migrate_twice_is_a_no_op(db: Database) -> None:
    await db.migrate()
    async with db.read() as session:
        version = (await session.exec(text("SELECT version_num FROM alembic_version"))).one()
    assert version[0] == "0002"


async def test_twenty_concurrent_read_modify_writes_lose_nothing(db: Database) -> None:
    async with db.begin() as session:
        session.add(Chat(tg_chat_id=1, questions_per_session=0))

    async def bump() -> None:
        async with db.begin() as session:
            chat = (await session.exec(select(Chat).where(Chat.tg_chat_id == 1))).one()
            await asyncio.sleep(0)  # let the other tasks run between read and write
            chat.questions_per_session += 1
            session.add(chat)

    await asyncio.gather(*(bump() for _ in range(20)))
    async with db.read() as session:
        chat = (await session.exec(select(Chat).where(Chat.tg_chat_id == 1))).one()
    assert chat.questions_per_session == 20


async def test_datetimes_come_back_aware_utc(db: Database) -> None:
    async with db.begin() as session:
        session.add(Chat(tg_chat_id=5))
    async with db.read() as session:
        chat = (await session.exec(select(Chat))).one()
    assert chat.created_at.utcoffset() is not None
    assert chat.created_at.utcoffset().total_seconds() == 0
