"""Resident memory of a running bot process with many enrolled chats, after one tick."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.common import (
    ROOT,
    T0,
    fresh_db,
    populate_chats,
    populate_schedules,
    schedule_rows,
    scratch_dir,
    sqlite_url,
)
from bench.tick import COURSE


def _probe(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.rss_probe", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


async def rss(chats: int) -> dict[str, Any]:
    """Fill a database with `chats` enrolled private chats, then measure the bot in a child."""
    with scratch_dir("rss") as folder:
        url = sqlite_url(folder, "rss.db")
        db = await fresh_db(url)
        pks = await populate_chats(db, chats, course_id=COURSE, with_members=True, now=T0)
        await populate_schedules(db, schedule_rows(pks, now=T0, due_count=100))
        await db.dispose()
        bot = _probe(url)
    baseline = _probe("--baseline")
    return {
        "rss_mb": bot["rss_mb"],
        "rss_after_start_mb": bot["rss_after_start_mb"],
        "baseline_rss_mb": baseline["rss_mb"],
        "claimed": bot["claimed"],
        "chats": chats,
        "code_path": bot["code_path"],
    }
