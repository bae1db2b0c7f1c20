"""Operator commands on a database populated through the real app: stats, export, reports, db."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from bot.db.models import Delivery, PausedQuestion, QuestionReport
from bot.study import ops
from tests.botkit import ADA, BOB, T0, BotRig, running_bot
from tests.pg import GROUP_ID, populate


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point DATABASE_URL at the test database (and keep any .env out of the way)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "HEARTBEAT_FILE", "LESSONS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    return url


async def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `tutorbot ARGV` in a thread (it runs its own event loop); return code, out, err."""
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def _with_deliveries(rig: BotRig) -> None:
    """Deliveries of today (and one of yesterday, which must not count)."""
    async with rig.db.begin() as s:
        chat_pk = 1
        day = T0.replace(hour=0)
        rows = [
            ("sent", day + timedelta(hours=5), day + timedelta(hours=5, seconds=3)),
            ("sent", day - timedelta(hours=1), day + timedelta(minutes=1)),  # late: sent today
            ("sent", day - timedelta(days=1), day - timedelta(days=1)),
            ("failed", day + timedelta(hours=2), None),
            ("skipped", day + timedelta(hours=3), None),
            ("skipped", day + timedelta(hours=4), None),
            ("retry", day + timedelta(hours=4, minutes=30), None),
        ]
        for i, (status, slot, sent_at) in enumerate(rows):
            s.add(
                Delivery(
                    chat_id=chat_pk,
                    kind=f"lesson{i}",
                    slot_at=slot,
                    status=status,
                    sent_at=sent_at,
                    claimed_at=slot,
                )
            )


async def test_stats_counts_a_populated_database(
    tmp_path: Path, env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(tmp_path) as rig:
        await populate(rig)
        await _with_deliveries(rig)
        stats = await ops.gather_stats(rig.db, now=rig.clock.now)
        code, out, err = await cli(capsys, "stats", "--day", "2027-03-01")
    assert (stats.learners, stats.groups, stats.active_members_7d) == (2, 1, 2)
    assert stats.deliveries == {"sent": 2, "failed": 1, "skipped": 2, "retry": 1}
    assert (stats.answers_today, stats.correct_today) == (5, 2)
    assert [(m.question_id, m.wrong, m.answered) for m in stats.top_missed] == [
        ("leaves-plant", 2, 4),
        ("leaves-oxidised", 1, 1),
    ]
    assert code == 0 and err == ""
    assert "learners (active private chats):  2" in out
    assert "deliveries today:                 2 sent, 1 failed, 2 skipped, 1 retry" in out
    assert "answers today:                    5 (2 right)" in out
    assert "  1. mini/leaves-plant: 2 wrong of 4" in out


async def test_answers_of_yesterday_do_not_count_today(tmp_path: Path, env: str) -> None:
    async with running_bot(tmp_path) as rig:
        await populate(rig)
        stats = await ops.gather_stats(rig.db, now=rig.clock.now + timedelta(days=1))
    assert (stats.answers_today, stats.active_members_7d) == (0, 2)


async def test_export_csv_has_one_row_per_chat_and_member(
    tmp_path: Path, env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(tmp_path) as rig:
        await populate(rig)
        code, out, _ = await cli(capsys, "export", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    got = [
        (
            int(r["chat_id"]),
            r["chat_kind"],
            int(r["member_id"]),
            r["name"],
            r["answered"],
            r["correct"],
            r["accuracy"],
        )
        for r in rows
    ]
    assert got == [
        (GROUP_ID, "supergroup", ADA.id, "Ada", "1", "1", "1.0"),
        (GROUP_ID, "supergroup", BOB.id, "Bob", "1", "0", "0.0"),
        (ADA.id, "private", ADA.id, "Ada", "1", "0", "0.0"),
        (BOB.id, "private", BOB.id, "Bob", "2", "1", "0.5"),
    ]
    assert rows[2]["last_answer_at"].startswith("2027-03-01T06:00:00")
    assert rows[2]["course_id"] == "mini" and rows[0]["chat_title"] == f"Group {GROUP_ID}"


async def test_export_json_for_one_chat(
    tmp_path: Path, env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(tmp_path) as rig:
        await populate(rig)
        code, out, _ = await cli(capsys, "export", "--format", "json", "--chat", str(BOB.id))
    assert code == 0
    assert json.loads(out) == [
        {
            "chat_id": BOB.id,
            "chat_kind": "private",
            "chat_title": "",
            "course_id": "mini",
            "member_id": BOB.id,
            "name": "Bob",
            "username": "bob",
            "answered": 2,
            "correct": 1,
            "accuracy": 0.5,
            "lessons_done": 0,
            "last_answer_at": "2027-03-01T06:00:00+00:00",
        }
    ]


async def test_export_counts_lessons_done_and_defuses_formulas(
    tmp_path: Path, env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.playground.fakeupdates import FakeUser

    eve = FakeUser(103, "=HYPERLINK(1)", None)
    async with running_bot(tmp_path) as rig:
        await rig.say(eve, "/start")
        for _ in range(3):  # every question of the first lesson
            await rig.say(eve, "/quiz")
            await rig.vote(eve, rig.last_poll()["correct_option_ids"])
        code, out, _ = await cli(capsys, "export")
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert (row["lessons_done"], row["answered"], row["accuracy"]) == ("1", "3", "1.0")
    assert row["name"] == "'=HYPERLINK(1)"


async def test_reports_list_pause_unpause_resolve(
    tmp_path: Path, env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(tmp_path) as rig:
        await populate(rig)
        async with rig.db.begin() as s:
            s.add(
                QuestionReport(
                    member_id=1,
                    course_id="mini",
                    lesson_id="leaves",
                    question_id="leaves-plant",
                    reason="B is right too",
                    created_at=T0,
                )
            )
            s.add(
                QuestionReport(
                    member_id=2,
                    course_id="mini",
                    lesson_id="leaves",
                    question_id="leaves-herbal",
                    created_at=T0,
                    status="resolved",
                )
            )
        listed = await cli(capsys, "reports", "--status", "open")
        paused = await cli(capsys, "reports", "pause", "mini", "leaves-plant", "--note", "fix B")
        listed_all = await cli(capsys, "reports", "list")
        async with rig.db.read() as s:
            rows = (await s.exec(select(PausedQuestion))).all()
        unpaused = await cli(capsys, "reports", "unpause", "mini", "leaves-plant")
        unpaused_again = await cli(capsys, "reports", "unpause", "mini", "leaves-plant")
        resolved = await cli(capsys, "reports", "resolve", "1")
        missing = await cli(capsys, "reports", "resolve", "42")
        left = await cli(capsys, "reports")
    assert listed == (
        0,
        "#1 open 2027-03-01 06:00 mini/leaves/leaves-plant by Ada: B is right too\n",
        "",
    )
    assert paused == (0, "mini/leaves-plant: paused\n", "")
    assert listed_all[1].splitlines() == [
        "#1 open 2027-03-01 06:00 mini/leaves/leaves-plant [paused] by Ada: B is right too",
        "#2 resolved 2027-03-01 06:00 mini/leaves/leaves-herbal by Bob: (no reason given)",
    ]
    assert [(r.question_id, r.note) for r in rows] == [("leaves-plant", "fix B")]
    assert unpaused == (0, "mini/leaves-plant: back in rotation\n", "")
    assert unpaused_again[0] == 1 and "was not paused" in unpaused_again[2]
    assert resolved == (0, "report #1: resolved\n", "")
    assert missing[0] == 1 and "no report #42" in missing[2]
    assert left[1].count("resolved") == 2


async def test_db_upgrade_creates_the_schema_and_stats_then_work(
    tmp_path: Path, env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await cli(capsys, "stats")
    upgraded = await cli(capsys, "db", "upgrade")
    after = await cli(capsys, "stats")
    assert before[0] == 1 and "run `tutorbot db upgrade`" in before[2]
    assert before[2].count("\n") == 1
    assert upgraded[0] == 0 and "migrations applied" in upgraded[1]
    assert after[0] == 0 and "learners (active private chats):  0" in after[1]


async def test_db_copy_sqlite_to_sqlite_refuses_a_non_empty_target_without_force(
    tmp_path: Path, env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}"
    async with running_bot(tmp_path) as rig:
        await populate(rig)
        first = await cli(capsys, "db", "copy", env, target)
        again = await cli(capsys, "db", "copy", env, target)
        forced = await cli(capsys, "db", "copy", env, target, "--force", "--batch-size", "2")
        same = await cli(capsys, "db", "copy", env, env)
    assert first[0] == 0 and "answer: 5 rows" in first[1] and "row counts verified" in first[1]
    assert again[0] == 1 and "is not empty" in again[2] and "--force" in again[2]
    assert forced[0] == 0 and "answer: 5 rows" in forced[1]
    assert same[0] == 1 and "same database" in same[2]
