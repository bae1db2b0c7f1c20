"""The same models, migrations and use cases on a real PostgreSQL server."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text, update
from sqlmodel import col, select

from bot.db.engine import Database
from bot.db.models import Answer, Card, Chat, LessonDone, QuestionReport, metadata
from bot.study import ops
from tests.botkit import ADA, BOB
from tests.pg import populate, running_pg_bot

pytestmark = pytest.mark.postgres


async def test_migrations_apply_and_agree_with_the_models(pg_db: Database) -> None:
    def diff(sync_conn):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(sync_conn), metadata)

    await pg_db.migrate()  # a second run is a no-op
    async with pg_db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        server = (await conn.execute(text("SHOW server_version"))).scalar()
    assert changes == []
    assert version == "0002"
    assert str(server).startswith("15")


async def test_ids_are_64_bit_and_datetimes_aware(pg_db: Database) -> None:
    big = -1001234567890123
    async with pg_db.begin() as session:
        session.add(Chat(tg_chat_id=big, kind="supergroup"))
    async with pg_db.read() as session:
        chat = (await session.exec(select(Chat))).one()
    assert chat.tg_chat_id == big
    assert (
        chat.created_at.utcoffset() is not None
        and chat.created_at.utcoffset().total_seconds() == 0
    )


async def test_learning_flow_through_the_real_app(pg_url: str) -> None:
    async with running_pg_bot(pg_url) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/lesson")
        await rig.press(ADA, "lesson:quiz:leaves")
        poll = rig.last_poll()
        await rig.vote(ADA, poll["correct_option_ids"])
        await rig.vote(ADA, poll["correct_option_ids"])  # graded once
        feedback = rig.api.last("sendMessage")
        async with rig.db.read() as s:
            answers = (await s.exec(select(Answer))).all()
            cards = (await s.exec(select(Card))).all()
    assert "Right" in feedback["text"]
    assert [(a.question_id, a.correct, a.chosen) for a in answers] == [("leaves-plant", True, [0])]
    assert len(cards) == 1 and cards[0].data and cards[0].due > rig.clock.now


async def test_a_whole_lesson_and_a_restart(pg_url: str) -> None:
    async with running_pg_bot(pg_url) as rig:
        await rig.say(BOB, "/start")
        for _ in range(3):
            await rig.say(BOB, "/quiz")
            await rig.vote(BOB, rig.last_poll()["correct_option_ids"])
        last = rig.api.last("sendMessage")["text"]
        await rig.say(BOB, "/quiz")
        poll = rig.last_poll()
    async with running_pg_bot(pg_url) as rig2:
        await rig2.vote(BOB, poll["correct_option_ids"], poll_id=poll["id"])
        async with rig2.db.read() as s:
            done = (await s.exec(select(LessonDone))).all()
            n = len((await s.exec(select(Answer))).all())
    assert "Lesson done" in last
    assert [d.lesson_id for d in done] == ["leaves"] and n == 4


async def test_operator_use_cases_on_postgres(pg_url: str) -> None:
    async with running_pg_bot(pg_url) as rig:
        await populate(rig)
        stats = await ops.gather_stats(rig.db, now=rig.clock.now)
        rows = await ops.export_progress(rig.db)
        async with rig.db.begin() as s:
            s.add(
                QuestionReport(
                    member_id=1,
                    course_id="mini",
                    lesson_id="leaves",
                    question_id="leaves-plant",
                    reason="why",
                )
            )
        assert await ops.pause_question(
            rig.db, course_id="mini", question_id="leaves-plant", note="", now=rig.clock.now
        )
        reports = await ops.list_reports(rig.db, status="open")
    assert (stats.learners, stats.groups, stats.answers_today, stats.correct_today) == (2, 1, 5, 2)
    assert [(m.question_id, m.wrong) for m in stats.top_missed] == [
        ("leaves-plant", 2),
        ("leaves-oxidised", 1),
    ]
    assert [(r.member_id, r.answered, r.correct) for r in rows] == [
        (ADA.id, 1, 1),
        (BOB.id, 1, 0),
        (ADA.id, 1, 0),
        (BOB.id, 2, 1),
    ]
    assert rows[0].last_answer_at is not None and rows[0].last_answer_at.utcoffset() is not None
    assert [(r.question_id, r.paused) for r in reports] == [("leaves-plant", True)]


async def _seed_counter(db: Database) -> None:
    async with db.begin() as session:
        session.add(Chat(tg_chat_id=1, questions_per_session=0))


async def _counter(db: Database) -> int:
    async with db.read() as session:
        return (
            (await session.exec(select(Chat).where(Chat.tg_chat_id == 1)))
            .one()
            .questions_per_session
        )


async def test_twenty_concurrent_read_modify_writes_with_for_update(pg_db: Database) -> None:
    """The ORM pattern loses nothing once the row is read FOR UPDATE (a no-op on SQLite)."""
    await _seed_counter(pg_db)

    async def bump() -> None:
        async with pg_db.begin() as session:
            query = select(Chat).where(Chat.tg_chat_id == 1).with_for_update()
            chat = (await session.exec(query)).one()
            await asyncio.sleep(0)  # let the other tasks run between read and write
            chat.questions_per_session += 1
            session.add(chat)

    await asyncio.gather(*(bump() for _ in range(20)))
    assert await _counter(pg_db) == 20


async def test_twenty_concurrent_atomic_updates(pg_db: Database) -> None:
    await _seed_counter(pg_db)

    async def bump() -> None:
        async with pg_db.begin() as session:
            await asyncio.sleep(0)
            await session.exec(
                update(Chat)
                .where(col(Chat.tg_chat_id) == 1)
                .values(questions_per_session=col(Chat.questions_per_session) + 1)
            )

    await asyncio.gather(*(bump() for _ in range(20)))
    assert await _counter(pg_db) == 20


async def test_plain_read_modify_write_loses_updates_on_read_committed(pg_db: Database) -> None:
    """Why the two tests above matter: SQLite's BEGIN IMMEDIATE hides this; PostgreSQL does not."""
    await _seed_counter(pg_db)
    all_read = asyncio.Event()
    readers = 0

    async def bump() -> None:
        nonlocal readers
        async with pg_db.begin() as session:
            chat = (await session.exec(select(Chat).where(Chat.tg_chat_id == 1))).one()
            readers += 1
            if readers == 5:
                all_read.set()
            await all_read.wait()  # everybody has read the old value before anybody writes
            chat.questions_per_session += 1
            session.add(chat)

    await asyncio.gather(*(bump() for _ in range(5)))
    assert await _counter(pg_db) == 1
