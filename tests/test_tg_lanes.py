"""Fair update lanes: order within a chat, fairness across chats, a burst that blocks nobody."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.ext import BaseUpdateProcessor, SimpleUpdateProcessor

from bot.playground.fakeupdates import FakeUser
from bot.tg.lanes import FairLanes
from tests.botkit import ADA, running_bot

# An arrival: (chat, user). Chats > 0 are private (the user is the chat), < 0 are groups.
arrivals = st.lists(
    st.one_of(
        st.integers(1, 4).map(lambda c: (c, c)),
        st.tuples(st.integers(-3, -1), st.integers(10, 14)),
    ),
    min_size=1,
    max_size=60,
)


class Update:  # what lane_of reads, without building real Telegram objects
    def __init__(self, chat: int, user: int) -> None:
        self.chat, self.user = chat, user


class Lanes(FairLanes):
    async def lane_of(self, update: object) -> tuple[Any, Any]:
        assert isinstance(update, Update)
        return update.chat, update.user


def simulate(
    items: list[tuple[int, int]], *, workers: int, group_parallel: int, seed: int
) -> dict[str, Any]:
    """Run every arrival through the processor; each handler yields a random number of times."""
    rng = random.Random(seed)
    log: dict[str, Any] = {"starts": [], "max_total": 0, "max_lane": defaultdict(int)}
    in_flight: dict[int, list[int]] = defaultdict(list)  # chat -> users in flight

    async def main() -> None:
        lanes = Lanes(workers=workers, group_parallel=group_parallel)
        total = 0

        async def handle(index: int, chat: int, user: int) -> None:
            nonlocal total
            assert user not in in_flight[chat] or chat > 0, "same user twice at once"
            in_flight[chat].append(user)
            total += 1
            log["starts"].append(index)
            log["max_total"] = max(log["max_total"], total)
            log["max_lane"][chat] = max(log["max_lane"][chat], len(in_flight[chat]))
            for _ in range(rng.randint(0, 5)):
                await asyncio.sleep(0)
            in_flight[chat].remove(user)
            total -= 1

        tasks = [
            asyncio.create_task(lanes.process_update(Update(c, u), handle(i, c, u)))
            for i, (c, u) in enumerate(items)
        ]
        await asyncio.gather(*tasks)
        assert lanes.lanes.running == 0 and lanes.lanes.waiting() == 0

    asyncio.run(main())
    return log


@settings(max_examples=60, deadline=None)
@given(
    items=arrivals, workers=st.integers(1, 6), group_parallel=st.integers(1, 4), seed=st.integers()
)
def test_lanes_keep_order_within_a_chat_and_per_member_in_groups(
    items: list[tuple[int, int]], workers: int, group_parallel: int, seed: int
) -> None:
    log = simulate(items, workers=workers, group_parallel=group_parallel, seed=seed)
    starts = log["starts"]
    assert sorted(starts) == list(range(len(items)))  # every update ran, once
    position = {index: n for n, index in enumerate(starts)}
    for chat in {c for c, _ in items}:
        mine = [i for i, (c, _) in enumerate(items) if c == chat]
        if chat > 0:  # a private chat: strictly in arrival order, one at a time
            assert [position[i] for i in mine] == sorted(position[i] for i in mine)
            assert log["max_lane"][chat] == 1
        else:  # a group: each member's updates in order, at most group_parallel at once
            for user in {u for c, u in items if c == chat}:
                theirs = [i for i in mine if items[i][1] == user]
                assert [position[i] for i in theirs] == sorted(position[i] for i in theirs)
            assert log["max_lane"][chat] <= group_parallel
    assert log["max_total"] <= workers


def test_lanes_take_turns_across_chats() -> None:
    # Chat 1 queues 20 updates, then chats 2 and 3 one each: with one worker they start
    # right after chat 1's first, not after all 20.
    items = [(1, 1)] * 20 + [(2, 2), (3, 3)]
    log = simulate(items, workers=1, group_parallel=1, seed=1)
    assert log["starts"][:3] == [0, 20, 21]


async def answered_position(tmp_path: Path, processor: BaseUpdateProcessor | None) -> int:
    """Queue 300 group /help from 40 members, then one private /help; return when the private
    answer went out among all the answers (0: first)."""
    members = [FakeUser(1000 + n, f"M{n}", None) for n in range(40)]
    group = -100777
    async with running_bot(tmp_path) as rig:
        app = rig.app
        if processor is not None:
            app._update_processor = processor  # PTB's own concurrency, for the comparison
        for n in range(300):
            member = members[n % len(members)]
            await app.update_queue.put(rig.updates.message(member, "/help", chat_id=group))
        await app.update_queue.put(rig.updates.message(ADA, "/help"))
        await app.start()
        try:
            await asyncio.wait_for(app.update_queue.join(), timeout=120)
        finally:
            await app.stop()
        order = [int(c.params["chat_id"]) for c in rig.api.calls if c.method == "sendMessage"]
    assert order.count(group) == 300
    return order.index(ADA.id)


async def test_a_private_learner_is_not_stuck_behind_a_group_burst(tmp_path: Path) -> None:
    fair = await answered_position(tmp_path / "lanes", None)
    fifo = await answered_position(tmp_path / "fifo", SimpleUpdateProcessor(32))
    # First in, first out (PTB's concurrent_updates) answers the private learner after almost
    # the whole burst; the lanes start it at once. What is left is the wait for SQLite's write
    # lock, which the group's in-flight updates hold in turn (the one-writer step removes it).
    assert fifo > 250, fifo
    assert fair < 100, fair
