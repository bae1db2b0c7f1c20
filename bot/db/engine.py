"""The async engine, SQLite pragmas, write transactions (BEGIN IMMEDIATE) and migrations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import sqlite_path

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_READ_ONLY = "tutorbot_read_only"


def _install_sqlite_discipline(engine: AsyncEngine) -> None:
    """WAL, busy_timeout, foreign keys; BEGIN IMMEDIATE for writes (tech brief §4)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves below
        cursor = dbapi_conn.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA busy_timeout=10000",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine for `url`; a SQLite file's folder is created on first use."""
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        _install_sqlite_discipline(engine)
        return engine
    kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
    return create_async_engine(url, **kwargs)


# pg_advisory_xact_lock key held while migrating (any fixed 64-bit number; "tutorbot" in hex).
MIGRATE_LOCK = 0x7475746F72626F74


class Database:
    """Sessions over one engine: `begin()` for a write transaction, `read()` for reads."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.writes_in_flight = 0  # write transactions open or waiting (the metrics read it)
        # SQLite has one writer: queue write transactions here, first come first served,
        # instead of in SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._write_turn = asyncio.Lock() if self.dialect == "sqlite" else None
        self._read_engine = (
            engine.execution_options(**{_READ_ONLY: True}) if self.dialect == "sqlite" else engine
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Open a Database for a URL."""
        return cls(make_engine(url))

    @property
    def is_sqlite(self) -> bool:
        """Tell whether this is SQLite (single-writer rules apply)."""
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        """Open a write transaction that commits on exit (rolls back on error)."""
        self.writes_in_flight += 1
        try:
            async with (
                self._write_turn or contextlib.nullcontext(),
                AsyncSession(self.engine, expire_on_commit=False) as session,
                session.begin(),
            ):
                yield session
        finally:
            self.writes_in_flight -= 1

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Open a read-only session (no write lock on SQLite)."""
        async with (
            AsyncSession(self._read_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        async with self.engine.begin() as conn:
            if self.dialect == "postgresql":  # instances starting together upgrade one by one
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK}
                )
            await conn.run_sync(_upgrade_head)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic Config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _upgrade_head(sync_conn: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "head")
