"""The database is busy, locked or full: a clear log line, no partial rows, the bot keeps going.

SQLite waits up to its busy timeout for a lock (the "retry where it makes sense"); past it the
update fails cleanly (its transaction rolls back) and can be processed again once the lock is
gone. A full disk (simulated with PRAGMA max_page_count) fails writes the same way and never
corrupts the file.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.db import engine as db_engine
from bot.db.models import Answer, Card, Member, ProcessedUpdate, ReviewLog, StudyDay
from bot.playground.fakeupdates import FakeUser
from bot.tg.texts import t
from tests.botkit import ADA, BOB, BotRig, running_bot

LOCKED = "database is locked"
FULL = "database or disk is full"


class Pragmas:
    """Extra pragmas for every new connection of the bot's engine (test-only)."""

    def __init__(self) -> None:
        self.busy_timeout_ms: int | None = None
        self.max_page_count: int | None = None


@pytest.fixture
def pragmas(monkeypatch: pytest.MonkeyPatch) -> Pragmas:
    extra = Pragmas()
    make_engine = db_engine.make_engine

    def patched(url: str, **kwargs: Any) -> Any:
        created = make_engine(url, **kwargs)

        @event.listens_for(created.sync_engine, "connect")
        def _after_the_bots_own(dbapi_conn: Any, _record: Any) -> None:  # runs after them
            cursor = dbapi_conn.cursor()
            if extra.busy_timeout_ms is not None:
                cursor.execute(f"PRAGMA busy_timeout={extra.busy_timeout_ms}")
            if extra.max_page_count is not None:
                cursor.execute(f"PRAGMA max_page_count={extra.max_page_count}")
            cursor.close()

        return created

    monkeypatch.setattr(db_engine, "make_engine", patched)
    return extra


def db_file(rig: BotRig) -> Path:
    return Path(rig.db_url.removeprefix("sqlite+aiosqlite:///"))


async def rows(rig: BotRig, model: Any) -> list[Any]:
    async with rig.db.read() as s:
        return list((await s.exec(select(model))).all())


async def fresh_connections(rig: BotRig) -> None:
    """Drop pooled connections so the next ones get the current pragmas."""
    await rig.db.engine.dispose()


# --- locked --------------------------------------------------------------------------------


async def test_a_lock_held_past_the_busy_timeout_fails_cleanly_and_the_retry_succeeds(
    tmp_path: Path, pragmas: Pragmas, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        poll = rig.last_poll()
        vote = rig.updates.poll_answer(ADA, poll["id"], poll["correct_option_ids"])
        quiz = rig.updates.message(ADA, "/quiz")
        pragmas.busy_timeout_ms = 50  # give up quickly instead of after 10 s
        await fresh_connections(rig)
        holder = sqlite3.connect(db_file(rig), isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
            caplog.set_level(logging.INFO)
            calls = len(rig.api.calls)
            await rig.send(vote)
            await rig.send(quiz)
            said = [c.params.get("text") for c in rig.api.calls[calls:]]
            # Nothing half-done: no answer, card, review or study day, no update marked handled.
            assert await rows(rig, Answer) == [] and await rows(rig, Card) == []
            assert await rows(rig, ReviewLog) == [] and await rows(rig, StudyDay) == []
            handled = {p.update_id for p in await rows(rig, ProcessedUpdate)}
            assert vote.update_id not in handled and quiz.update_id not in handled
        finally:
            holder.rollback()
            holder.close()
        # A clear line per failed update: which update, what failed.
        for update in (vote, quiz):
            lines = [
                r.getMessage()
                for r in caplog.records
                if r.levelno == logging.ERROR and f"update {update.update_id} " in r.getMessage()
            ]
            assert lines and all(LOCKED in line for line in lines), lines
        assert said and set(said) == {t("error")}  # told, in one line, no traceback
        # Processed again once the lock is gone (a redelivery): it all works.
        await rig.send(vote)
        await rig.send(quiz)
        (answer,) = await rows(rig, Answer)
        assert answer.correct
        assert "Right" in rig.api.texts(ADA.id)[-2] and rig.api.last("sendPoll")


async def test_a_short_lock_is_waited_out_by_the_busy_timeout(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        poll = rig.last_poll()
        holder = sqlite3.connect(db_file(rig), isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        release = threading.Timer(0.3, holder.rollback)  # a backup or a CLI write finishing
        release.start()
        try:
            await rig.vote(ADA, poll["correct_option_ids"])
        finally:
            release.join()
            holder.close()
        assert [a.correct for a in await rows(rig, Answer)] == [True]
        assert "Right" in rig.api.texts(ADA.id)[-1]


# --- disk full -----------------------------------------------------------------------------


async def test_a_full_disk_fails_writes_cleanly_and_the_bot_keeps_running(
    tmp_path: Path, pragmas: Pragmas, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        poll = rig.last_poll()
        with sqlite3.connect(db_file(rig)) as conn:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
        pragmas.max_page_count = pages  # not one page more: the disk is full
        await fresh_connections(rig)
        caplog.set_level(logging.INFO)
        newcomers = [FakeUser(50_000 + n, f"New{n} " + "x" * 60) for n in range(60)]
        failed: FakeUser | None = None
        for user in newcomers:  # people keep arriving until a write needs a new page
            calls = len(rig.api.calls)
            await rig.say(user, "/start")
            if t("error") in [c.params.get("text") for c in rig.api.calls[calls:]]:
                failed = user
                break
        assert failed is not None, "the database never filled up"
        assert any(FULL in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
        members = {m.tg_user_id for m in await rows(rig, Member)}
        assert failed.id not in members  # its transaction rolled back as a whole
        # Still running: reads work and a vote that fits is still graded.
        await rig.say(ADA, "/help")
        assert "/quiz" in rig.api.texts(ADA.id)[-1]
        pragmas.max_page_count = None  # space freed
        await fresh_connections(rig)
        await rig.vote(ADA, poll["correct_option_ids"])
        assert [a.correct for a in await rows(rig, Answer)] == [True]
        await rig.say(failed, "/start")  # the newcomer tries again
        assert failed.id in {m.tg_user_id for m in await rows(rig, Member)}
        with sqlite3.connect(db_file(rig)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


async def test_the_other_learners_are_served_while_one_update_fails(
    tmp_path: Path, pragmas: Pragmas
) -> None:
    async with running_bot(tmp_path) as rig:
        for user in (ADA, BOB):
            await rig.say(user, "/start")
            await rig.say(user, "/quiz")
        ada_poll, bob_poll = [c.result["poll"] for c in rig.api.calls if c.method == "sendPoll"]
        pragmas.busy_timeout_ms = 50
        await fresh_connections(rig)
        holder = sqlite3.connect(db_file(rig), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        await rig.vote(ADA, ada_poll["correct_option_ids"], poll_id=ada_poll["id"])
        holder.rollback()
        holder.close()
        await rig.vote(BOB, bob_poll["correct_option_ids"], poll_id=bob_poll["id"])
        answers = await rows(rig, Answer)
        assert len(answers) == 1 and "Right" in rig.api.texts(BOB.id)[-1]
