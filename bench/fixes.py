"""Before/after of proposed fixes in files the benchmark owner does not own (patched in-process).

Each patch replaces a function with the proposed version for the duration of one measurement,
so the same run measures the code as it is and as it would be. The patches are proposals for
bot/study/updates.py and bot/db/repo.py; nothing on disk changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from bench.common import scratch_dir
from bench.throughput import bot_rate
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import ProcessedUpdate, StudyDay
from bot.study import updates


def _insert(db_or_session: Any) -> Any:
    bind: Any = (
        db_or_session.bind if isinstance(db_or_session, AsyncSession) else db_or_session.engine
    )
    return pg_insert if bind.dialect.name == "postgresql" else sqlite_insert


async def first_time_upsert(db: Database, *, update_id: int, now: datetime) -> bool:
    """Proposed updates.mark: one INSERT .. ON CONFLICT DO NOTHING instead of get + add."""
    async with db.begin() as session:
        result = await session.exec(
            _insert(db)(ProcessedUpdate)
            .values(update_id=update_id, seen_at=now)
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        return bool(result.rowcount)


async def add_study_day_upsert(session: AsyncSession, *, member_pk: int, day: object) -> None:
    """Proposed repo.add_study_day: INSERT .. ON CONFLICT DO NOTHING instead of select + add."""
    await session.exec(
        _insert(session)(StudyDay)
        .values(member_id=member_pk, day=day)
        .on_conflict_do_nothing(index_elements=["member_id", "day"])
    )


async def no_answer_lookup(session: AsyncSession, sent_pk: int, member_pk: int) -> None:
    """Proposed: drop the get_answer pre-check; uq_answer_once + the savepoint already catch it."""
    return None


PATCHES: dict[str, tuple[Any, str, Any]] = {
    "dedup as one upsert (bot/study/updates.py mark)": (
        updates,
        "mark",
        first_time_upsert,
    ),
    "study day as one upsert (bot/db/repo.py add_study_day)": (
        repo,
        "add_study_day",
        add_study_day_upsert,
    ),
    "no answer pre-check (learning._grade: drop repo.get_answer)": (
        repo,
        "get_answer",
        no_answer_lookup,
    ),
}


@contextmanager
def patched(names: list[str]) -> Iterator[None]:
    """Apply the named patches, restore the originals afterwards."""
    saved = []
    for name in names:
        module, attr, new = PATCHES[name]
        saved.append((module, attr, getattr(module, attr)))
        setattr(module, attr, new)
    try:
        yield
    finally:
        for module, attr, old in reversed(saved):
            setattr(module, attr, old)


async def fixes(n: int, repeats: int) -> dict[str, Any]:
    """Quiz-answer throughput as is and with all proposed patches, alternating runs."""
    names = list(PATCHES)
    before: list[float] = []
    after: list[float] = []
    cpu_before: list[float] = []
    cpu_after: list[float] = []
    stats: dict[str, Any] = {}
    for _ in range(repeats):
        with scratch_dir("before") as folder:
            run = await bot_rate(n, 1, folder)
            before += run["runs"]
            cpu_before.append(run["cpu_ms"])
            stats["before"] = run
        with scratch_dir("after") as folder, patched(names):
            run = await bot_rate(n, 1, folder)
            after += run["runs"]
            cpu_after.append(run["cpu_ms"])
            stats["after"] = run
    b, a = max(before), max(after)
    cb, ca = min(cpu_before), min(cpu_after)
    md = [
        "## Before/after: proposed fixes (measured in this run, patched in-process)",
        "",
        "Same workload as `updates_per_s`, alternating unpatched and patched runs, best of "
        f"{repeats} each ({n} updates per run). Patches (proposals for files owned by others):",
        "",
        *[f"- {name}" for name in names],
        "",
        "| | updates/s (best wall) | wall runs | CPU ms / update (best) | SQL statements/update |",
        "|---|---|---|---|---|",
        f"| before | {b:.1f} | {[round(x, 1) for x in before]} | {cb:.2f} | "
        f"{stats['before']['statements_per_update']} |",
        f"| after | {a:.1f} | {[round(x, 1) for x in after]} | {ca:.2f} | "
        f"{stats['after']['statements_per_update']} |",
        "",
        f"Change: {(a / b - 1):+.0%} updates/s (wall, noisy on a shared machine); "
        f"{(ca / cb - 1):+.0%} CPU time per update (process CPU, all threads).",
    ]
    return {
        "before_updates_per_s": round(b, 1),
        "after_updates_per_s": round(a, 1),
        "before_cpu_ms": round(cb, 3),
        "after_cpu_ms": round(ca, 3),
        "before_runs": [round(x, 1) for x in before],
        "after_runs": [round(x, 1) for x in after],
        "before_statements_per_update": stats["before"]["statements_per_update"],
        "after_statements_per_update": stats["after"]["statements_per_update"],
        "patches": names,
        "markdown": md,
    }
