"""The single-deliverer guard: one process per SQLite database delivers; a second is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.db.lease import AlreadyRunning, acquire_delivery_lock, lock_path_for

ROOT = Path(__file__).parent.parent


def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("sqlite+aiosqlite:///data/bot.db", Path("data/bot.db.deliver.lock")),
        ("sqlite:////srv/tutor/x.sqlite", Path("/srv/tutor/x.sqlite.deliver.lock")),
        ("sqlite+aiosqlite:///:memory:", None),
        ("postgresql+asyncpg://u:p@db/tutor", None),
    ],
)
def test_lock_path_for(database_url: str, expected: Path | None) -> None:
    assert lock_path_for(database_url) == expected


def test_second_lock_in_the_same_process_is_refused_with_the_pid(tmp_path: Path) -> None:
    first = acquire_delivery_lock(url(tmp_path))
    assert first.held
    lock_file = tmp_path / "data" / "bot.db.deliver.lock"
    assert lock_file.read_text().strip() == str(os.getpid())
    with pytest.raises(AlreadyRunning) as refused:
        acquire_delivery_lock(Settings(database_url=url(tmp_path)))
    assert refused.value.pid == os.getpid()
    assert f"PID {os.getpid()}" in str(refused.value)
    assert "bot.db" in str(refused.value) and "already delivering" in str(refused.value)
    first.release()
    first.release()  # idempotent
    with acquire_delivery_lock(url(tmp_path)) as again:  # free once released
        assert again.held
    assert not again.held


def test_postgres_needs_no_lock() -> None:
    lock = acquire_delivery_lock("postgresql+asyncpg://u:p@db/tutor")
    other = acquire_delivery_lock("postgresql+asyncpg://u:p@db/tutor")
    assert not lock.held and not other.held  # FOR UPDATE SKIP LOCKED does the job there


def test_a_second_process_is_refused_until_the_first_exits(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from bot.db.lease import acquire_delivery_lock as a; "
            f"lock = a({url(tmp_path)!r}); print('LOCKED', flush=True); sys.stdin.read()",
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "LOCKED"
        with pytest.raises(AlreadyRunning) as refused:
            acquire_delivery_lock(url(tmp_path))
        assert refused.value.pid == holder.pid
    finally:
        assert holder.stdin is not None
        holder.stdin.close()  # the holder exits; the kernel drops its lock
        holder.wait(timeout=10)
        assert holder.stdout is not None
        holder.stdout.close()
    with acquire_delivery_lock(url(tmp_path)) as mine:
        assert mine.held
