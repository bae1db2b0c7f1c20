"""Copy every table of one database into another (SQLite to PostgreSQL), verified by row counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

import bot.db.models  # noqa: F401  (registers every table)
from bot.db.engine import Database
from bot.db.models import metadata

DEFAULT_BATCH = 1000


class CopyError(Exception):
    """The copy cannot start or did not verify; the message is one line."""


@dataclass
class CopyReport:
    """Rows copied per table, and the tables whose counts differ afterwards."""

    counts: dict[str, int] = field(default_factory=dict)
    mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Tell whether every table has as many rows in the target as in the source."""
        return not self.mismatches


def safe_url(url: str) -> str:
    """Return the URL with any password hidden (for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme
        return url.split(":", 1)[0] + ":..."


def tables() -> list[Table]:
    """Return every table in foreign-key-safe order (parents first)."""
    return list(metadata.sorted_tables)


async def count_rows(conn: AsyncConnection) -> dict[str, int]:
    """Return the number of rows of every table."""
    counts = {}
    for table in tables():
        counts[table.name] = int(
            (await conn.execute(select(func.count()).select_from(table))).scalar_one()
        )
    return counts


async def _copy_table(
    source: AsyncConnection, target: AsyncConnection, table: Table, *, batch_size: int
) -> int:
    """Copy one table in primary-key order, `batch_size` rows at a time (keyset paging)."""
    pk = list(table.primary_key.columns)
    copied = 0
    last: Any = None
    while True:
        query = select(table).order_by(*pk).limit(batch_size)
        if len(pk) == 1 and last is not None:
            query = query.where(pk[0] > last)
        elif len(pk) != 1:
            query = query.offset(copied)
        rows = [dict(row._mapping) for row in (await source.execute(query)).all()]
        if not rows:
            return copied
        await target.execute(insert(table), rows)
        copied += len(rows)
        if len(pk) == 1:
            last = rows[-1][pk[0].name]
        if len(rows) < batch_size:
            return copied


async def _reset_sequences(conn: AsyncConnection) -> None:
    """Move PostgreSQL id sequences past the copied ids (explicit ids do not advance them)."""
    quote = conn.dialect.identifier_preparer.quote
    for table in tables():
        for column in table.primary_key.columns:
            sequence = (
                await conn.execute(
                    text("SELECT pg_get_serial_sequence(:table, :column)"),
                    {"table": quote(table.name), "column": column.name},
                )
            ).scalar_one()
            if sequence is None:
                continue
            name = quote(column.name)
            await conn.execute(
                text(
                    f"SELECT setval(:seq, COALESCE(MAX({name}), 1), MAX({name}) IS NOT NULL) "
                    f"FROM {quote(table.name)}"
                ),
                {"seq": sequence},
            )


async def copy_database(
    source_url: str,
    target_url: str,
    *,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[str], None] | None = None,
) -> CopyReport:
    """Migrate both databases, copy every row from source to target, then compare row counts.

    Refuses a target that already holds rows unless `force` (which empties it first). The
    source is read in one read transaction, so the copy is a consistent snapshot; the target
    is written in one transaction, so a failed copy leaves it as it was.
    """
    say = progress or (lambda _line: None)
    if make_url(source_url) == make_url(target_url):
        raise CopyError("source and target are the same database")
    source, target = Database.from_url(source_url), Database.from_url(target_url)
    report = CopyReport()
    try:
        await source.migrate()
        await target.migrate()
        async with target.engine.begin() as dst:
            existing = {name: n for name, n in (await count_rows(dst)).items() if n}
            if existing and not force:
                summary = ", ".join(f"{name}: {n}" for name, n in existing.items())
                raise CopyError(
                    f"target {safe_url(target_url)} is not empty ({summary}); "
                    "use --force to replace its data"
                )
            for table in reversed(tables()):
                await dst.execute(delete(table))
            async with source.read() as session:  # one snapshot: counts and rows agree
                src = await session.connection()
                before = await count_rows(src)
                for table in tables():
                    report.counts[table.name] = await _copy_table(
                        src, dst, table, batch_size=batch_size
                    )
                    say(f"{table.name}: {report.counts[table.name]} rows")
            if dst.dialect.name == "postgresql":
                await _reset_sequences(dst)
        async with target.engine.connect() as dst:
            after = await count_rows(dst)
        report.mismatches = {
            name: (before[name], after.get(name, -1))
            for name in before
            if before[name] != after.get(name, -1)
        }
        return report
    finally:
        await source.dispose()
        await target.dispose()
