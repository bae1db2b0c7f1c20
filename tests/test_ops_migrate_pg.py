"""Concurrent migrations on PostgreSQL are serialised by an advisory lock."""

from __future__ import annotations

import asyncio

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.db.engine import Database, alembic_config
from tests.pg import PgServer

pytestmark = pytest.mark.postgres
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.mark.parametrize("round_", range(5))
async def test_two_instances_migrate_a_fresh_database_at_once(
    pg_server: PgServer, round_: int
) -> None:
    url = await pg_server.create_database(f"race_{round_}_{id(pg_server)}")
    first, second = Database.from_url(url), Database.from_url(url)
    try:
        await asyncio.gather(first.migrate(), second.migrate())
        async with first.engine.connect() as conn:
            query = text("SELECT version_num FROM alembic_version")
            version = (await conn.execute(query)).scalar()
        assert version == HEAD
    finally:
        await first.dispose()
        await second.dispose()
