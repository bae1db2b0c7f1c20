"""Crash probe for the kill -9 test: seed a fan-out, or run delivery ticks until nothing is due.

    python -m tests.crashprobe seed DB_FILE COUNT
    python -m tests.crashprobe run DB_FILE LOG_FILE START_ISO [MAX_IN_FLIGHT]
    python -m tests.crashprobe serve   (a fork server: reads "run ..." lines, forks a child each)

`run` builds the real Application on the SQLite file, over the fake Bot API with a listener that
appends "<method> <chat_id>" to LOG_FILE (write + fsync) for every successful sendMessage or
sendPoll, before the bot sees the answer: the log is the truth of what Telegram delivered even
when the process is killed right after. The fake clock starts at START_ISO; sleeps advance it.
It prints READY once the app is up and DONE (exit 0) when a tick finds nothing left to send.
`serve` imports everything once and forks a child per "run" line, printing the child's PID, so
the test does not pay the import time on every restart.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.content.loader import load_catalog
from bot.db.engine import Database
from bot.db.models import Chat, Delivery, Member, Schedule
from bot.playground.fakeapi import Call, FakeBotAPI
from bot.tg import jobs
from bot.tg.app import build_application
from tests.botkit import MINI, make_settings

SLOT = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # every seeded chat is due at this slot
FIRST_CHAT = 5_000_000
LOGGED = ("sendMessage", "sendPoll")


def url_of(db_file: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{db_file}"


async def seed(db_file: Path, count: int) -> None:
    """Create the schema and `count` enrolled private chats, all due at SLOT."""
    db = Database.from_url(url_of(db_file))
    await db.migrate()
    async with db.begin() as s:
        for n in range(count):
            tg_id = FIRST_CHAT + n
            chat = Chat(tg_chat_id=tg_id, kind="private", course_id="mini", onboarded=True)
            s.add(chat)
            s.add(Member(tg_user_id=tg_id, first_name=f"U{n}", started_private=True))
            await s.flush()
            assert chat.id is not None
            s.add(Schedule(chat_id=chat.id, times="08:00", timezone="UTC", next_due_at=SLOT))
    await db.dispose()


async def pending(db: Database, now: datetime) -> int:
    """Count what a later tick could still send: due schedules, queued/claimed/retry rows."""
    async with db.read() as s:
        due = (
            await s.exec(
                select(func.count()).select_from(Schedule).where(col(Schedule.next_due_at) <= now)
            )
        ).one()
        open_rows = (
            await s.exec(
                select(func.count())
                .select_from(Delivery)
                .where(col(Delivery.status).in_(["queued", "claimed", "retry"]))
            )
        ).one()
    return int(due) + int(open_rows)


async def run(db_file: Path, log_file: Path, start: datetime, max_in_flight: int) -> int:
    """Deliver until nothing is left; every successful send is logged durably first."""
    clock = FakeClock(start)
    # Telegram's poll ids are unique forever; a restarted fake must not hand out old ones.
    api = FakeBotAPI(clock=clock, first_poll_id=int(start.timestamp()) * 10)
    fd = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def record(call: Call) -> None:
        if call.status == 200 and call.method in LOGGED:
            os.write(fd, f"{call.method} {int(call.params['chat_id'])}\n".encode("ascii"))
            os.fsync(fd)

    api.listeners.append(record)

    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)

    settings = make_settings(url_of(db_file), heartbeat_file=db_file.with_name("heartbeat"))
    app = build_application(
        settings,
        request=api,
        clock=clock,
        catalog=load_catalog(MINI),
        rate_limiter=False,
        start_jobs=False,
    )
    async with app:
        await app.post_init(app)  # type: ignore[misc]
        db = app.bot_data.db
        assert db is not None
        deliverer = jobs.make_deliverer(app, sleep=sleep, max_in_flight=max_in_flight)
        print("READY", flush=True)
        while True:
            report = await deliverer.tick()
            if report.claimed == 0 and await pending(db, clock()) == 0:
                break
            clock.advance(timedelta(seconds=30))  # retries come due
        await app.post_shutdown(app)  # type: ignore[misc]
    os.close(fd)
    print("DONE", flush=True)
    return 0


def run_args(args: list[str]) -> int:
    """Run from command-line arguments: DB_FILE LOG_FILE START_ISO [MAX_IN_FLIGHT]."""
    db_file, log_file, start = Path(args[0]), Path(args[1]), datetime.fromisoformat(args[2])
    max_in_flight = int(args[3]) if len(args) > 3 else 16
    return asyncio.run(run(db_file, log_file, start, max_in_flight))


def serve() -> int:
    """Fork a child per "run ..." line on stdin; print its PID; the test waits and kills."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they exit
    print("SERVING", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] != "run":
            continue
        out_file = words[1]
        pid = os.fork()
        if pid == 0:  # the child: output to its own file, never back through the pipe
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            out = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(out, 2)
            code = 1
            try:
                code = run_args(words[2:])
            finally:
                os._exit(code)
        print(pid, flush=True)
    return 0


def main(argv: list[str]) -> int:
    """Dispatch the subcommand."""
    if argv[:1] == ["seed"]:
        asyncio.run(seed(Path(argv[1]), int(argv[2])))
        return 0
    if argv[:1] == ["run"]:
        return run_args(argv[1:])
    if argv[:1] == ["serve"]:
        return serve()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
