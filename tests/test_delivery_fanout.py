"""10,000 chats due in the same minute drain in due order at close to Telegram's limits, no 429.

The real Deliverer (claim transactions, pacer, dispatcher, marks) runs against FakeBotAPI with
Telegram's flood limits switched on (30 msg/s overall, one per second per private chat, 20 per
minute per group), time scaled 10x and driven by the fake clock: sleeps move the clock, so the
fan-out costs CPU time only. Lesson content is a stub (the real content path is covered, paced,
in test_delivery_tick.py): this test is about pacing, order and the absence of 429s.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert
from telegram import Bot, Message, Poll

from bot.clock import FakeClock
from bot.db.models import Chat, Schedule
from bot.playground.fakeapi import Call, FloodLimits
from bot.scheduling.pacing import PacingLimits
from bot.study.delivery import Claimed
from bot.tg import jobs
from bot.tg.deliverer import Outgoing, Parcel
from tests.botkit import running_bot

SCALE = 10.0  # one Telegram second lasts 0.1 s of the fake clock
PRIVATE, GROUPS = 9_900, 100
SLOT = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


async def stub_parcel(claim: Claimed) -> Parcel:
    async def lesson(bot: Bot, chat_id: int) -> Message:
        return await bot.send_message(chat_id, "📬 lesson")

    async def question(bot: Bot, chat_id: int) -> Message:
        return await bot.send_poll(
            chat_id,
            "Which?",
            ["a", "b"],
            type=Poll.QUIZ,
            correct_option_ids=[0],
            is_anonymous=False,
        )

    return Parcel((Outgoing("lesson", lesson), Outgoing("question", question)))


async def test_10k_chats_due_in_one_minute_drain_in_due_order_with_no_429(
    tmp_path: Path,
) -> None:
    clock = FakeClock(SLOT - timedelta(hours=1))
    async with running_bot(tmp_path, clock=clock) as rig:
        ids = [1_000_000 + n for n in range(PRIVATE)] + [-5_000_000 - n for n in range(GROUPS)]
        # Chats are due spread over the minute, in an order unrelated to their ids.
        due = {tg: SLOT + timedelta(seconds=(n * 7919) % 60) for n, tg in enumerate(ids)}
        pk = {tg: n for n, tg in enumerate(ids, start=1)}
        async with rig.db.begin() as s:
            await s.exec(
                insert(Chat),
                params=[
                    {
                        "tg_chat_id": tg,
                        "kind": "private" if tg > 0 else "group",
                        "course_id": "mini",
                        "onboarded": True,
                        "created_at": clock(),
                        "updated_at": clock(),
                    }
                    for tg in ids
                ],
            )
            await s.exec(
                insert(Schedule),
                params=[
                    {
                        "chat_id": pk[tg],
                        "times": "08:00",
                        "timezone": "UTC",
                        "next_due_at": due[tg],
                    }
                    for tg in ids
                ],
            )
        rig.api.limits = FloodLimits(time_scale=SCALE)
        log: list[tuple[float, str, int, int]] = []

        def record(call: Call) -> None:
            if call.method in {"sendMessage", "sendPoll"}:
                log.append(
                    (clock().timestamp(), call.method, int(call.params["chat_id"]), call.status)
                )

        rig.api.listeners.append(record)

        async def sleep(seconds: float) -> None:
            clock.advance(timedelta(seconds=seconds))
            await asyncio.sleep(0)

        deliverer = jobs.make_deliverer(
            rig.app,
            sleep=sleep,
            limits=PacingLimits(time_scale=SCALE),
            compose=stub_parcel,
            mark_batch=200,
            start_batch=64,
            lookahead_s=4.0,
            heartbeat_path=None,
        )
        clock.set(SLOT + timedelta(minutes=1))
        report = await deliverer.tick()

    assert (report.claimed, report.sent, report.messages) == (10_000, 10_000, 20_000)
    assert rig.api.limits.violations == 0
    assert [entry for entry in log if entry[3] != 200] == []  # not a single 429
    # Drain rate in Telegram seconds: close to the 30 msg/s limit (planned at 95 %).
    span = (log[-1][0] - log[0][0]) * SCALE
    rate = len(log) / span
    print(f"\nfan-out: {len(log)} messages in {span:.0f} Telegram s = {rate:.2f} msg/s")
    assert 0.9 * 30 <= rate <= 30
    # Due order: lessons go out in the order the chats were due (ties: schedule row order).
    lessons = [chat for _, method, chat, _ in log if method == "sendMessage"]
    assert lessons == sorted(ids, key=lambda tg: (due[tg], pk[tg]))
    # Each chat: its lesson, then its question after the chat's gap (1 s; 60/20 s for a group).
    at: dict[tuple[str, int], float] = {(m, c): t for t, m, c, _ in log}
    for chat in ids:
        gap = (at[("sendPoll", chat)] - at[("sendMessage", chat)]) * SCALE
        assert gap >= (1.0 if chat > 0 else 3.0) - 1e-3, (chat, gap)
    # No window of one Telegram second ever held more than 30 sends.
    times = [t for t, *_ in log]
    window = 1.0 / SCALE
    start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        assert end - start + 1 <= 30
