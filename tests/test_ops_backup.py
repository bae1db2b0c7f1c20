"""`tutorbot db backup`: a consistent copy while the bot runs, and the restore recipe works."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.cli import main
from tests.botkit import ADA, BOB, running_bot


def chats(path: Path) -> set[int]:
    with closing(sqlite3.connect(path)) as db:
        return {row[0] for row in db.execute("SELECT tg_chat_id FROM chat")}


def restore(backup: Path, live: Path) -> None:
    """The documented restore: with the bot stopped, drop the WAL files, copy the backup in."""
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, live)


async def test_backup_while_running_then_restore_brings_the_data_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "bot.db"
    backup = tmp_path / "backup.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{live}")
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(BOB, "/start")
        # The bot is running and a reader holds a snapshot open: the backup is still whole.
        with closing(sqlite3.connect(live)) as reader:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM chat").fetchone()
            assert main(["db", "backup", str(backup)]) == 0
            reader.rollback()
        assert capsys.readouterr().out.startswith(f"backed up {live} to {backup} (")
        # After the backup, something goes wrong: Bob's data is lost.
        with closing(sqlite3.connect(live)) as db:
            db.execute("PRAGMA foreign_keys=OFF")
            db.execute("DELETE FROM chat WHERE tg_chat_id = ?", (BOB.id,))
            db.commit()
        assert chats(live) == {ADA.id}
    restore(backup, live)
    assert chats(live) == {ADA.id, BOB.id}
    with closing(sqlite3.connect(live)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert await asyncio.to_thread(main, ["db", "upgrade"]) == 0  # a working database


def test_backup_refuses_what_it_cannot_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'none.db'}")
    assert main(["db", "backup", str(tmp_path / "b.db")]) == 1
    assert (
        capsys.readouterr().err.strip()
        == f"error: no database at {tmp_path / 'none.db'} (DATABASE_URL)"
    )
    assert not (tmp_path / "none.db").exists()  # and none was created
    (tmp_path / "none.db").write_bytes(b"")
    (tmp_path / "b.db").write_text("keep me")
    assert main(["db", "backup", str(tmp_path / "b.db")]) == 1
    assert "exists: choose a new file name" in capsys.readouterr().err
    assert (tmp_path / "b.db").read_text() == "keep me"
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot:secret@db/bot")
    assert main(["db", "backup", str(tmp_path / "c.db")]) == 2
    err = capsys.readouterr().err
    assert "pg_dump" in err and "secret" not in err
