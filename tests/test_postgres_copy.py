"""`tutorbot db copy`: a populated SQLite deployment moves to PostgreSQL without loss."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.db.engine import Database
from bot.db.models import Delivery, KeyValue, PausedQuestion, QuestionReport
from bot.ops.dbcopy import tables
from bot.playground.fakeapi import FakeBotAPI
from bot.playground.fakeupdates import FakeUser
from tests.botkit import T0, running_bot
from tests.pg import populate, running_pg_bot

pytestmark = pytest.mark.postgres
CAROL = FakeUser(103, "Carol ✨", "carol")


async def _populated_sqlite(tmp_path: Path, api: FakeBotAPI | None = None) -> str:
    async with running_bot(tmp_path, api=api) as rig:
        await populate(rig)
        async with rig.db.begin() as s:
            s.add(Delivery(chat_id=1, slot_at=T0, status="sent", sent_at=T0, message_id=2**40))
            s.add(
                Delivery(
                    chat_id=2,
                    slot_at=T0 - timedelta(days=1),
                    status="failed",
                    error="Forbidden: bot was blocked",
                )
            )
            s.add(
                QuestionReport(
                    member_id=1,
                    course_id="mini",
                    lesson_id="leaves",
                    question_id="leaves-plant",
                    reason="ünïcode “quotes” 🚩",
                )
            )
            s.add(PausedQuestion(course_id="mini", question_id="leaves-herbal", note="fix"))
            s.add(KeyValue(key="heartbeat", value="2027-03-01T06:00:00+00:00"))
        return rig.db_url


async def _dump(url: str) -> dict[str, list[dict[str, Any]]]:
    db = Database.from_url(url)
    try:
        async with db.engine.connect() as conn:
            return {
                t.name: [
                    dict(r._mapping)
                    for r in (await conn.execute(select(t).order_by(*t.primary_key.columns))).all()
                ]
                for t in tables()
            }
    finally:
        await db.dispose()


async def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_copy_sqlite_to_postgres_keeps_every_row(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = await _populated_sqlite(tmp_path)
    code, out, err = await _cli(capsys, "db", "copy", source, pg_url, "--batch-size", "3")
    before, after = await _dump(source), await _dump(pg_url)
    assert (code, err) == (0, "")
    assert "answer: 5 rows" in out and "row counts verified" in out
    assert {name: len(rows) for name, rows in after.items()} == {
        name: len(rows) for name, rows in before.items()
    }
    assert sum(len(rows) for rows in before.values()) > 30
    for name in before:
        assert after[name] == before[name], name


async def test_copied_database_keeps_working_on_postgres(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    api = FakeBotAPI()  # one Telegram: poll ids go on where the SQLite deployment stopped
    source = await _populated_sqlite(tmp_path, api)
    assert (await _cli(capsys, "db", "copy", source, pg_url))[0] == 0
    async with running_pg_bot(
        pg_url, api=api
    ) as rig:  # new rows need the id sequences past the copy
        await rig.say(CAROL, "/start")
        await rig.say(CAROL, "/quiz")
        await rig.vote(CAROL, rig.last_poll()["correct_option_ids"])
        feedback = rig.api.last("sendMessage")["text"]
    after = await _dump(pg_url)
    assert "Right" in feedback
    assert [m["first_name"] for m in after["member"]] == ["Ada", "Bob", "Carol ✨"]
    assert len(after["answer"]) == 6


async def test_copy_refuses_a_non_empty_postgres_target_unless_forced(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = await _populated_sqlite(tmp_path)
    async with running_pg_bot(pg_url) as rig:
        await rig.say(CAROL, "/start")
    refused = await _cli(capsys, "db", "copy", source, pg_url)
    kept = await _dump(pg_url)
    forced = await _cli(capsys, "db", "copy", source, pg_url, "--force")
    after, before = await _dump(pg_url), await _dump(source)
    assert refused[0] == 1 and "is not empty (chat: 1, member: 1" in refused[2]
    assert "--force" in refused[2] and "postgres@" in refused[2]
    assert [m["first_name"] for m in kept["member"]] == ["Carol ✨"]
    assert forced[0] == 0
    assert after == before
