"""Two bot instances on one PostgreSQL database share a fan-out: each slot is sent once."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.db.models import Delivery
from bot.playground.fakeapi import FakeBotAPI
from bot.tg import jobs
from tests.pg import running_pg_bot
from tests.test_delivery_tick import add_chat, fake_sleep

pytestmark = pytest.mark.postgres

T8 = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
CHATS = 120


async def test_two_instances_one_fanout_every_slot_sent_once(pg_url: str, tmp_path: Path) -> None:
    clock = FakeClock(T8 - timedelta(minutes=1))
    apis = [FakeBotAPI(clock=clock), FakeBotAPI(clock=clock, first_poll_id=10_000)]
    async with AsyncExitStack() as stack:
        rigs = [
            await stack.enter_async_context(running_pg_bot(pg_url, clock=clock, api=api))
            for api in apis
        ]
        for tg_id in range(1, CHATS + 1):
            await add_chat(rigs[0], 5000 + tg_id, times="08:00")
        clock.set(T8 + timedelta(seconds=5))
        deliverers = [
            jobs.make_deliverer(
                rig.app, sleep=fake_sleep(clock), heartbeat_path=tmp_path / f"hb{i}", batch=25
            )
            for i, rig in enumerate(rigs)
        ]
        for _ in range(8):  # both instances tick at the same moments until the fan-out drains
            await asyncio.gather(*(d.tick() for d in deliverers))
        async with rigs[0].db.read() as session:
            rows = (await session.exec(select(Delivery))).all()

    lessons = Counter(
        int(call.params["chat_id"])
        for api in apis
        for call in api.calls
        if call.method == "sendMessage" and call.status == 200
    )
    assert len(rows) == CHATS
    assert {row.status for row in rows} == {"sent"}
    assert set(lessons) == {5000 + i for i in range(1, CHATS + 1)}
    assert max(lessons.values()) == 1  # no chat got its lesson twice
    assert all(api.sent("sendMessage") for api in apis)  # both instances really took part
