"""Quiz answers through the whole bot vs a bare PTB echo bot; 50 simultaneous group answers."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench.common import (
    T0,
    bulk_insert,
    catalog,
    fresh_db,
    populate_chats,
    populate_schedules,
    schedule_rows,
    scratch_dir,
    sql,
    sqlite_url,
    table,
)
from bot.clock import FakeClock
from bot.config import Settings
from bot.content.schema import Catalog, Question
from bot.db.engine import Database
from bot.db.models import Answer, Chat, SentQuestion
from bot.playground.fakeapi import FakeBotAPI
from bot.playground.fakeupdates import FakeUser, UpdateFactory
from bot.quiz import engine
from bot.tg.app import build_application
from bot.tg.context import TutorApp

NOW = T0 + timedelta(minutes=5)
FIRST_USER = 20_000_000


class ErrorCounter(logging.Handler):
    """Counts log records at ERROR and above (the bot's error handler logs every failure)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Count one error record."""
        self.count += 1
        if self.first is None:
            self.first = record.getMessage()[:300]


@asynccontextmanager
async def count_errors() -> AsyncIterator[ErrorCounter]:
    """Attach an ErrorCounter to the root logger for the duration."""
    counter = ErrorCounter()
    root = logging.getLogger()
    root.addHandler(counter)
    try:
        yield counter
    finally:
        root.removeHandler(counter)


@asynccontextmanager
async def real_bot(
    url: str, db: Database, cat: Catalog, clock: FakeClock
) -> AsyncIterator[tuple[TutorApp, FakeBotAPI]]:
    """The real Application (every handler) over FakeBotAPI, no rate limiter, no jobs."""
    api = FakeBotAPI(clock=clock)
    settings = Settings(bot_token="123456:BENCH-token", database_url=url)
    app = build_application(
        settings,
        request=api,
        clock=clock,
        catalog=cat,
        database=db,
        rate_limiter=False,
        start_jobs=False,
    )
    async with app:
        await app.post_init(app)  # type: ignore[misc]
        try:
            yield app, api
        finally:
            await app.post_shutdown(app)  # type: ignore[misc]


def _sent_row(
    *, chat_pk: int, member_pk: int | None, question: Question, poll_id: str, rng: random.Random
) -> dict[str, Any]:
    order = list(engine.shuffle_order(len(question.options), seed=rng.randrange(2**31)))
    return {
        "chat_id": chat_pk,
        "member_id": member_pk,
        "course_id": question.course_id,
        "lesson_id": question.lesson_id,
        "question_id": question.id,
        "style": "poll",
        "purpose": "quiz",
        "option_order": order,
        "tg_message_id": 1,
        "poll_id": poll_id,
        "selected": [],
        "sent_at": NOW - timedelta(seconds=20),
    }


def _vote(question: Question, order: list[int], rng: random.Random) -> list[int]:
    """Displayed option ids: right 70% of the time, else one wrong option."""
    correct = sorted(engine.to_displayed(order, question.correct_ids))
    wrong = [i for i in range(len(order)) if i not in correct]
    if rng.random() < 0.7 or not wrong:
        return correct
    return [rng.choice(wrong)]


async def prepare_learners(
    db: Database, cat: Catalog, n: int
) -> list[tuple[FakeUser, str, list[int]]]:
    """Insert n enrolled learners, each with one open quiz poll; return (user, poll, vote)."""
    course = cat.default()
    assert course is not None
    questions = course.questions
    pks = await populate_chats(
        db, n, course_id=course.id, first_tg_id=FIRST_USER, with_members=True, now=T0
    )
    await populate_schedules(db, schedule_rows(pks, now=T0))
    async with db.read() as session:
        rows = (
            await sql(
                session,
                select(table(Chat).c.id, table(Chat).c.tg_chat_id).where(
                    table(Chat).c.id.in_(pks)
                ),
            )
        ).all()
        from bot.db.models import Member

        members = dict(
            (await sql(session, select(table(Member).c.tg_user_id, table(Member).c.id))).all()
        )
    rng = random.Random(11)
    sent, votes = [], []
    for i, (chat_pk, tg_id) in enumerate(rows):
        question = questions[i % len(questions)]
        row = _sent_row(
            chat_pk=chat_pk,
            member_pk=members[tg_id],
            question=question,
            poll_id=f"bench-poll-{tg_id}",
            rng=rng,
        )
        sent.append(row)
        votes.append(
            (FakeUser(tg_id, f"L{i}"), row["poll_id"], _vote(question, row["option_order"], rng))
        )
    await bulk_insert(db, table(SentQuestion), sent)
    return votes


async def count_answers(db: Database) -> int:
    """Count stored answers."""
    async with db.read() as session:
        return int((await sql(session, select(func.count()).select_from(Answer))).scalar_one())


async def _time_updates(app: Any, updates: list[Update]) -> tuple[float, float]:
    """Process updates one after another; return (wall seconds, process CPU seconds).

    CPU time counts every thread of the process (aiosqlite's worker included); on a shared,
    busy machine it is steadier than wall time, so it is reported next to it.
    """
    cpu, start = time.process_time(), time.perf_counter()
    for update in updates:
        await app.process_update(update)
    return time.perf_counter() - start, time.process_time() - cpu


class StatementCounter:
    """Counts SQL statements and write transactions sent by an engine."""

    def __init__(self, db: Database) -> None:
        self.statements = 0
        self.transactions = 0
        self.hops = 0  # calls handed to aiosqlite's worker thread (SQLite only)
        self._engine = db.engine.sync_engine
        event.listen(self._engine, "before_cursor_execute", self._on_statement)
        self._original: Any = None
        if db.is_sqlite:
            import aiosqlite.core

            self._original = aiosqlite.core.Connection._execute
            original = self._original

            async def counted(conn: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
                self.hops += 1
                return await original(conn, fn, *args, **kwargs)

            aiosqlite.core.Connection._execute = counted  # type: ignore[method-assign,assignment]

    def _on_statement(self, *args: Any) -> None:
        statement = str(args[2])
        if statement.startswith("BEGIN"):
            self.transactions += 1
        self.statements += 1

    def close(self) -> None:
        """Stop counting."""
        event.remove(self._engine, "before_cursor_execute", self._on_statement)
        if self._original is not None:
            import aiosqlite.core

            aiosqlite.core.Connection._execute = self._original  # type: ignore[method-assign]


async def statement_floor_ms(db: Database, n: int = 300) -> dict[str, float]:
    """The cost of the database layer itself: a trivial statement and a one-row write txn."""
    start = time.perf_counter()
    async with db.begin() as session:
        for _ in range(n):
            await sql(session, text("SELECT 1"))
    per_statement = (time.perf_counter() - start) / n
    start = time.perf_counter()
    for i in range(n):
        async with db.begin() as session:
            await sql(
                session,
                text("INSERT INTO keyvalue (key, value, updated_at) VALUES (:k, '', :t)"),
                {"k": f"floor-{i}", "t": T0},
            )
    per_txn = (time.perf_counter() - start) / n
    return {
        "statement_ms": round(per_statement * 1000, 3),
        "write_txn_ms": round(per_txn * 1000, 3),
    }


async def bot_rate(n: int, repeats: int, folder: Path, url: str | None = None) -> dict[str, Any]:
    """Quiz-answer updates per second through the real bot (best and all runs)."""
    url = url or sqlite_url(folder, "throughput.db")
    cat = catalog()
    db = await fresh_db(url)
    clock = FakeClock(NOW)
    votes = await prepare_learners(db, cat, n * repeats)
    runs: list[float] = []
    cpu_runs: list[float] = []
    counter = StatementCounter(db)
    async with count_errors() as errors, real_bot(url, db, cat, clock) as (app, api):
        factory = UpdateFactory(app.bot, clock=clock, first_update_id=1)
        for r in range(repeats):
            chunk = votes[r * n : (r + 1) * n]
            updates = [
                factory.poll_answer(user, poll, option_ids) for user, poll, option_ids in chunk
            ]
            before_answers = await count_answers(db)
            before_sent = len(api.sent("sendMessage"))
            seconds, cpu = await _time_updates(app, updates)
            runs.append(n / seconds)
            cpu_runs.append(cpu / n)
            answered = await count_answers(db) - before_answers
            replies = len(api.sent("sendMessage")) - before_sent
            if answered != n or replies != n:
                raise RuntimeError(
                    f"bot run {r}: {answered} answers and {replies} replies for {n} updates "
                    f"({errors.count} errors; first: {errors.first})"
                )
    counter.close()
    floor = await statement_floor_ms(db, n=min(300, 10 * n * repeats))
    await db.dispose()
    per_update = counter.statements / (n * repeats)
    return {
        "best": max(runs),
        "runs": runs,
        "cpu_ms": min(cpu_runs) * 1000,
        "statements_per_update": round(per_update, 1),
        "transactions_per_update": round(counter.transactions / (n * repeats), 2),
        "thread_hops_per_update": round(counter.hops / (n * repeats), 1),
        **floor,
    }


async def echo_rate(n: int, repeats: int) -> dict[str, Any]:
    """Text updates per second through a bare PTB Application that echoes with send_message."""
    api = FakeBotAPI()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        assert update.message is not None
        await context.bot.send_message(update.effective_chat.id, update.message.text or "")

    app = (
        ApplicationBuilder()
        .token("123456:ECHO-token")
        .request(api)
        .get_updates_request(api)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    runs: list[float] = []
    cpu_runs: list[float] = []
    async with app:
        factory = UpdateFactory(app.bot, first_update_id=1)
        for _ in range(repeats):
            updates = [
                factory.message(FakeUser(FIRST_USER + i, f"L{i}"), f"answer {i}") for i in range(n)
            ]
            before = len(api.sent("sendMessage"))
            seconds, cpu = await _time_updates(app, updates)
            if len(api.sent("sendMessage")) - before != n:
                raise RuntimeError("echo bot did not answer every update")
            runs.append(n / seconds)
            cpu_runs.append(cpu / n)
    return {"best": max(runs), "runs": runs, "cpu_ms": min(cpu_runs) * 1000}


def _spread(runs: list[float]) -> float:
    return (max(runs) - min(runs)) / max(runs) if runs else 0.0


async def update_throughput(n: int, repeats: int, *, url: str | None = None) -> dict[str, Any]:
    """Measure bot and echo rates in the same run (interleaved) and their ratio."""
    with scratch_dir("throughput") as folder:
        echo = await echo_rate(n, repeats)
        bot = await bot_rate(n, repeats, folder, url)
        echo_after = await echo_rate(n, repeats)
    echo_best = max(echo["best"], echo_after["best"])
    echo_runs = echo["runs"] + echo_after["runs"]
    return {
        "updates_per_s": round(bot["best"], 1),
        "echo_updates_per_s": round(echo_best, 1),
        "update_throughput_ratio": round(bot["best"] / echo_best, 4),
        "bot_runs_per_s": [round(x, 1) for x in bot["runs"]],
        "echo_runs_per_s": [round(x, 1) for x in echo_runs],
        "bot_spread": round(_spread(bot["runs"]), 3),
        "echo_spread": round(_spread(echo_runs), 3),
        "updates": n,
        "repeats": repeats,
        "statements_per_update": bot["statements_per_update"],
        "transactions_per_update": bot["transactions_per_update"],
        "thread_hops_per_update": bot["thread_hops_per_update"],
        "floor_statement_ms": bot["statement_ms"],
        "floor_write_txn_ms": bot["write_txn_ms"],
        "ms_per_update": round(1000 / bot["best"], 2),
        "cpu_ms_per_update": round(bot["cpu_ms"], 3),
        "echo_cpu_ms_per_update": round(min(echo["cpu_ms"], echo_after["cpu_ms"]), 4),
        "cpu_ratio": round(min(echo["cpu_ms"], echo_after["cpu_ms"]) / bot["cpu_ms"], 4),
        "echo_ms_per_update": round(1000 / echo_best, 3),
    }


async def answers_lost(members: int) -> dict[str, Any]:
    """`members` distinct users answer one group quiz poll at the same moment (gathered)."""
    with scratch_dir("group") as folder:
        url = sqlite_url(folder, "group.db")
        cat = catalog()
        course = cat.default()
        assert course is not None
        db = await fresh_db(url)
        clock = FakeClock(NOW)
        pks = await populate_chats(db, 1, course_id=course.id, first_tg_id=7_000_000, kind="group")
        await populate_schedules(db, schedule_rows(pks, now=T0))
        question = next(q for q in course.questions if not q.is_multiple)
        row = _sent_row(
            chat_pk=pks[0],
            member_pk=None,
            question=question,
            poll_id="bench-group-poll",
            rng=random.Random(3),
        )
        row["purpose"] = "lesson"
        await bulk_insert(db, table(SentQuestion), [row])
        rng = random.Random(5)
        async with count_errors() as errors, real_bot(url, db, cat, clock) as (app, _api):
            factory = UpdateFactory(app.bot, clock=clock, first_update_id=1)
            updates = [
                factory.poll_answer(
                    FakeUser(30_000_000 + i, f"M{i}"),
                    "bench-group-poll",
                    _vote(question, row["option_order"], rng),
                )
                for i in range(members)
            ]
            start = time.perf_counter()
            await asyncio.gather(*(app.process_update(u) for u in updates))
            seconds = time.perf_counter() - start
            stored = await count_answers(db)
        await db.dispose()
    return {
        "answers_lost_concurrent": members - stored,
        "answers_stored": stored,
        "members": members,
        "errors_logged": errors.count,
        "first_error": errors.first,
        "seconds": round(seconds, 3),
    }
