"""PostgreSQL fixtures: a throwaway PostgreSQL cluster for the session, a fresh database per test.

Register with `pytest_plugins = ["tests.pg"]`. The server binaries refuse to run as root, so as
root the cluster runs as `nobody` in a world-writable temporary folder, listening only on a Unix
socket there. Without `initdb`/`pg_ctl` the PostgreSQL tests skip, except under CI=true, where a
missing server fails the run instead: CI must never skip them silently.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import Any

import pytest

from bot.db.engine import Database
from tests.botkit import BotRig, running_bot

_DB_NAMES = itertools.count(1)


@dataclass(frozen=True)
class PgServer:
    """A running throwaway cluster: its socket folder and port."""

    socket_dir: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        """Return the asyncpg URL of a database on this server."""
        return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    async def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        import asyncpg

        conn = await asyncpg.connect(
            host=str(self.socket_dir), port=self.port, user="postgres", database="postgres"
        )
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)


def find_pg_bin() -> Path | None:
    """Return the folder holding initdb and pg_ctl (PATH first, then /usr/lib/postgresql)."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    for folder in sorted(glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _as_server_user(cmd: list[str]) -> list[str]:
    """Prefix a command so it runs unprivileged when we are root."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ["runuser", "-u", "nobody", "--", *cmd]
    return cmd


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """Start a PostgreSQL cluster for the whole session and stop it at the end."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        reason = (
            "PostgreSQL server binaries (initdb, pg_ctl) not found in PATH or "
            "/usr/lib/postgresql/*/bin"
        )
        if _in_ci():
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="tutorbot-pg-"))
    base.chmod(0o777)  # the unprivileged server user writes its data and socket here
    data = base / "data"
    port = 5432 + os.getpid() % 1000  # only names the socket file: no TCP listener
    run = {"check": True, "capture_output": True, "text": True, "timeout": 60}
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                ]
            ),
            **run,
        )
        options = f"-p {port} -k {base} -c listen_addresses='' -c fsync=off"
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(base / "log"),
                    "-w",
                    "start",
                ]
            ),
            **run,
        )
    except subprocess.CalledProcessError as exc:
        log = (base / "log").read_text() if (base / "log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {exc.stderr or exc.stdout}\n{log}")
    try:
        yield PgServer(socket_dir=base, port=port)
    finally:
        subprocess.run(
            _as_server_user(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            ),
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
async def pg_url(pg_server: PgServer) -> str:
    """Return the URL of a new, empty database (one per test)."""
    return await pg_server.create_database(f"t{os.getpid()}_{next(_DB_NAMES)}")


@pytest.fixture
async def pg_db(pg_url: str) -> AsyncIterator[Database]:
    """A migrated Database on a fresh PostgreSQL database."""
    database = Database.from_url(pg_url)
    await database.migrate()
    yield database
    await database.dispose()


def running_pg_bot(db_url: str, **options: Any) -> AbstractAsyncContextManager[BotRig]:
    """Like botkit.running_bot, on any database URL (PostgreSQL here)."""
    return running_bot(Path(tempfile.gettempdir()), db_url=db_url, **options)


GROUP_ID = -100555


async def populate(rig: BotRig) -> None:
    """Fill a database through the real app: two learners and a group answer quiz questions.

    Ada answers the first question wrong and Bob right; Bob then answers a second one wrong;
    in the group both vote on one poll (Ada right, Bob wrong).
    """
    from tests.botkit import ADA, BOB

    for user in (ADA, BOB):
        await rig.say(user, "/start")
    await rig.say(ADA, "/quiz")
    poll = rig.last_poll()
    right = poll["correct_option_ids"][0]
    await rig.vote(ADA, [(right + 1) % len(poll["options"])])
    await rig.say(BOB, "/quiz")
    poll = rig.last_poll()
    await rig.vote(BOB, poll["correct_option_ids"])
    await rig.say(BOB, "/quiz")
    poll = rig.last_poll()
    wrong = [i for i in range(len(poll["options"])) if i not in poll["correct_option_ids"]]
    await rig.vote(BOB, wrong[:1])
    rig.api.admins[GROUP_ID] = {ADA.id}  # group setup is admin-only
    await rig.say(ADA, "/start", chat_id=GROUP_ID)
    await rig.say(ADA, "/quiz", chat_id=GROUP_ID)
    poll = rig.last_poll()
    await rig.vote(ADA, poll["correct_option_ids"])
    await rig.vote(
        BOB, [i for i in range(len(poll["options"])) if i not in poll["correct_option_ids"]][:1]
    )
