"""Child process for the memory figure: `python -m bench.rss_probe DBURL` prints JSON with VmRSS.

It runs the real Application (post_init: migrate, load the courses, publish commands) over the
fake Bot API on a database the parent filled, then one delivery tick: claim a batch of due
chats and send each its message. With `--baseline` it only imports python-telegram-bot.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime, timedelta
from typing import Any


def vm_rss_mb() -> float:
    """Resident memory of this process in MiB (from /proc/self/status, else psutil)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


async def run_bot(url: str) -> dict[str, Any]:
    """Start the bot on `url`, run one tick, report memory."""
    from bench.common import T0, catalog
    from bench.tick import bench_claim
    from bot.config import Settings
    from bot.db.engine import Database
    from bot.playground.fakeapi import FakeBotAPI
    from bot.tg.app import build_application

    origin = time.monotonic()

    def clock() -> datetime:  # real time, shifted so the populated rows are due
        return T0 + timedelta(seconds=1 + time.monotonic() - origin)

    api = FakeBotAPI(clock=clock)
    db = Database.from_url(url)
    app = build_application(
        Settings(bot_token="123456:RSS-token", database_url=url),
        request=api,
        clock=clock,
        catalog=catalog(),
        database=db,
        rate_limiter=False,
        start_jobs=False,
    )
    async with app:
        await app.post_init(app)  # type: ignore[misc]
        after_start = vm_rss_mb()
        try:
            from bot.scheduling.pacing import PacingLimits
            from bot.tg import jobs

            deliverer = jobs.make_deliverer(
                app, limits=PacingLimits(time_scale=10.0), heartbeat_path=None
            )
            report = await deliverer.tick()  # claim, prepare, send (paced), mark
            claimed, path = report.claimed, "bot.tg.deliverer.Deliverer.tick"
        except ImportError:
            claimed = await bench_claim(db, clock(), 100)
            for i in range(claimed):  # the fallback claim returns a count: send that many
                await app.bot.send_message(10_000_000 + i, "<b>Lesson</b>", parse_mode="HTML")
            path = "bench.tick.bench_claim + send_message"
        rss = vm_rss_mb()
        await app.post_shutdown(app)  # type: ignore[misc]
    return {
        "rss_mb": round(rss, 1),
        "rss_after_start_mb": round(after_start, 1),
        "claimed": claimed,
        "code_path": path,
    }


def main(argv: list[str]) -> int:
    """Print the JSON measurement for the bot (DBURL) or the baseline (--baseline)."""
    if argv[:1] == ["--baseline"]:
        import telegram.ext  # noqa: F401

        print(json.dumps({"rss_mb": round(vm_rss_mb(), 1)}))
        return 0
    print(json.dumps(asyncio.run(run_bot(argv[0]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
