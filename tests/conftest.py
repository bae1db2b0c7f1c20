"""Shared fixtures: a migrated SQLite database file under tmp_path."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db.engine import Database

pytest_plugins = ["tests.pg", "tests.liveapi"]

os.environ.setdefault(
    "PTB_TIMEDELTA", "1"
)  # RetryAfter.retry_after as timedelta (as the CLI sets)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(db_url)
    await database.migrate()
    yield database
    await database.dispose()
