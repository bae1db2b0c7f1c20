"""A group's answer burst against private learners: how long does a private /quiz wait?

A group poll gets `members` answers at once (queued to the Application as polling would), and
`private` learners send /quiz just after. Each private learner's wait is the time from their
update entering the queue to the bot's sendPoll for them. Measured three ways in one run, with
the same data: PTB's default (one update at a time), PTB's concurrent_updates (first in, first
out) and the bot's fair lanes (bot/tg/lanes.py).
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from telegram.ext import BaseUpdateProcessor, SimpleUpdateProcessor

from bench.common import (
    bulk_insert,
    catalog,
    fresh_db,
    populate_chats,
    populate_schedules,
    schedule_rows,
    scratch_dir,
    sqlite_url,
    table,
)
from bench.throughput import NOW, T0, _sent_row, _vote, real_bot
from bot.clock import FakeClock
from bot.db.models import SentQuestion
from bot.playground.fakeapi import Call
from bot.playground.fakeupdates import FakeUser, UpdateFactory

PRIVATE_FIRST = 40_000_000


async def _one(mode: str, members: int, private: int, seed: int) -> dict[str, Any]:
    with scratch_dir(f"burst-{mode}") as folder:
        url = sqlite_url(folder, "burst.db")
        cat = catalog()
        course = cat.default()
        assert course is not None
        db = await fresh_db(url)
        clock = FakeClock(NOW)
        pks = await populate_chats(db, 1, course_id=course.id, first_tg_id=7_000_000, kind="group")
        learners = await populate_chats(
            db, private, course_id=course.id, first_tg_id=PRIVATE_FIRST, with_members=True
        )
        await populate_schedules(db, schedule_rows(pks + learners, now=T0))
        question = next(q for q in course.questions if not q.is_multiple)
        rng = random.Random(seed)
        row = _sent_row(
            chat_pk=pks[0], member_pk=None, question=question, poll_id="burst-poll", rng=rng
        )
        row["purpose"] = "lesson"
        await bulk_insert(db, table(SentQuestion), [row])
        async with real_bot(url, db, cat, clock) as (app, api):
            processor: BaseUpdateProcessor | None = {
                "sequential": SimpleUpdateProcessor(1),
                "fifo": SimpleUpdateProcessor(32),
                "lanes": None,  # the bot's own (build_application installs FairLanes)
            }[mode]
            if processor is not None:
                app._update_processor = processor
            factory = UpdateFactory(app.bot, clock=clock, first_update_id=1)
            enqueued: dict[int, float] = {}
            answered: dict[int, float] = {}

            def on_call(call: Call) -> None:
                chat = int(call.params.get("chat_id") or 0)
                if call.method == "sendPoll" and chat in enqueued and chat not in answered:
                    answered[chat] = time.perf_counter()

            api.listeners.append(on_call)
            for i in range(members):
                voter = FakeUser(30_000_000 + i, f"M{i}")
                vote = _vote(question, row["option_order"], rng)
                await app.update_queue.put(factory.poll_answer(voter, "burst-poll", vote))
            for n in range(private):
                user = FakeUser(PRIVATE_FIRST + n, f"P{n}")
                enqueued[user.id] = time.perf_counter()
                await app.update_queue.put(factory.message(user, "/quiz"))
            start = time.perf_counter()
            await app.start()
            try:
                await app.update_queue.join()
            finally:
                await app.stop()
            seconds = time.perf_counter() - start
        await db.dispose()
    waits = sorted((answered[c] - enqueued[c]) * 1e3 for c in answered)
    return {
        "members": members,
        "private": private,
        "answered": len(waits),
        "p50_ms": round(statistics.median(waits), 1) if waits else None,
        "p95_ms": round(waits[int(0.95 * (len(waits) - 1))], 1) if waits else None,
        "burst_seconds": round(seconds, 2),
    }


async def burst(members: int, private: int, rounds: int) -> dict[str, Any]:
    """Alternate the three modes `rounds` times; report each mode's runs and the spread."""
    runs: dict[str, list[dict[str, Any]]] = {"lanes": [], "fifo": [], "sequential": []}
    for n in range(rounds):
        for mode in ("lanes", "fifo", "sequential"):
            runs[mode].append(await _one(mode, members, private, seed=n))
    p95 = {mode: [r["p95_ms"] for r in rs] for mode, rs in runs.items()}
    best = min(p95["lanes"])
    return {
        "burst_p95_ms": best,
        "burst_p95_ms_runs": p95["lanes"],
        "fifo_p95_ms_runs": p95["fifo"],
        "sequential_p95_ms_runs": p95["sequential"],
        "ratio_vs_sequential": round(min(p95["sequential"]) / best, 1) if best else None,
        "runs": runs,
    }
