"""The weekly recap: claimed once per group and week, what it says, the warm-up polls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.db.models import Delivery, SentQuestion
from bot.playground.fakeapi import KICKED
from bot.study import groups as study
from bot.tg.handlers import groups
from tests.botkit import ADA, BOB, running_bot
from tests.test_groups_kit import (
    CAROL,
    DAN,
    GROUP,
    ask_group,
    chat_row,
    context_of,
    ready_group,
    remove_bot,
    right,
    sent_to,
    wrong,
)

FRIDAY_6PM = datetime(2027, 3, 5, 18, 0, tzinfo=UTC)


def recaps(rig) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        m["text"] for m in sent_to(rig, GROUP) if m["text"].startswith("🗓 <b>Weekly recap</b>")
    ]


async def _deliveries(rig) -> list[tuple[str, str, datetime]]:  # type: ignore[no-untyped-def]
    async with rig.db.read() as s:
        rows = (await s.exec(select(Delivery).order_by(Delivery.id))).all()
    return [(d.kind, d.status, d.slot_at) for d in rows]


async def _week_of_answers(rig) -> None:  # type: ignore[no-untyped-def]
    """Mon–Wed: one question a day; Ada right, Bob wrong on the first two, Carol idle."""
    await rig.say(CAROL, "/mystats", chat_id=GROUP)  # Carol is known but never answers
    for day in range(3):
        rig.clock.set(datetime(2027, 3, 1 + day, 9, 0, tzinfo=UTC))
        poll = await ask_group(rig)
        await rig.vote(ADA, right(poll))
        await rig.vote(BOB, wrong(poll) if day < 2 else right(poll))


async def test_recap_is_posted_once_even_if_the_tick_runs_twice(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        await rig.say(ADA, "/recap fri 18:00", chat_id=GROUP)
        await _week_of_answers(rig)
        context = context_of(rig)
        rig.clock.set(FRIDAY_6PM - timedelta(minutes=1))
        await groups.recap_tick(context)
        assert recaps(rig) == []  # not yet
        rig.clock.set(FRIDAY_6PM + timedelta(seconds=30))
        await groups.recap_tick(context)
        await groups.recap_tick(context)
        await asyncio.gather(groups.recap_tick(context), groups.recap_tick(context))
        posted = recaps(rig)
        polls_after = sent_to(rig, GROUP, "sendPoll")[3:]
        _, schedule = await chat_row(rig, GROUP)
        rows = await _deliveries(rig)
        async with rig.db.read() as s:
            warmups = (
                await s.exec(select(SentQuestion).where(SentQuestion.purpose == "warmup"))
            ).all()
    assert len(posted) == 1
    assert rows == [("recap", "sent", datetime(2027, 3, 1, tzinfo=UTC))]  # keyed by ISO week
    assert schedule.recap_next_due_at == FRIDAY_6PM + timedelta(days=7)
    assert len(polls_after) == 3 and len(warmups) == 3
    assert all(w.member_id is None and w.poll_id for w in warmups)


async def test_recap_says_participation_accuracy_misses_and_warm_up(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        await rig.say(ADA, "/recap fri 18:00", chat_id=GROUP)
        await _week_of_answers(rig)
        rig.clock.set(FRIDAY_6PM)
        await groups.recap_tick(context_of(rig))
        (text,) = recaps(rig)
        warmup = [p["question"] for p in sent_to(rig, GROUP, "sendPoll")[3:]]
    lines = text.split("\n")
    assert lines[:2] == ["🗓 <b>Weekly recap</b>", "<i>Mini course: tea basics</i>"]
    assert "👥 2 of 3 members answered this week." in lines
    assert "🎯 Group accuracy: <b>67%</b> (4/6)" in lines
    assert "▓▓▓▓▓▓▓░░░ 67%  Know the kinds of tea leaves (4/6)" in lines
    missed = text.split("<b>Missed most</b>")[1]
    # Bob missed questions 1 and 2 of lesson 1; each shown with its answer and explanation
    assert "1. <i>Which plant do green and black tea come from?</i> (1/2 wrong)" in missed
    assert "✅ Camellia sinensis" in missed
    assert "💡 Both come from Camellia sinensis; processing differs." in missed
    assert "2. <i>Which statements are true? (choose 2)</i> (1/2 wrong)" in missed
    assert "3." not in missed.split("🔥")[0]  # only two questions were missed
    assert "Warm-up for next time" in text
    # warm-up: nothing shaky left outside the explained misses, so new material in course order
    assert warmup == [
        "How hot should the water be for green tea?",
        "Black tea is brewed with boiling water.",
        "Which of these are true teas?",
    ]


async def test_a_recap_each_week_and_none_when_off_or_removed(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        await rig.say(ADA, "/recap fri 18:00", chat_id=GROUP)
        context = context_of(rig)
        rig.clock.set(FRIDAY_6PM)
        await groups.recap_tick(context)
        rig.clock.set(FRIDAY_6PM + timedelta(days=7, minutes=1))
        await groups.recap_tick(context)
        assert len(recaps(rig)) == 2
        text = recaps(rig)[-1]
        assert "No answers this week" in text and "0 of 1 members" in text

        await rig.say(ADA, "/recap off", chat_id=GROUP)
        rig.clock.set(FRIDAY_6PM + timedelta(days=14, minutes=1))
        await groups.recap_tick(context)
        assert len(recaps(rig)) == 2

        await rig.say(ADA, "/recap fri 18:00", chat_id=GROUP)
        await remove_bot(rig)
        rig.clock.set(FRIDAY_6PM + timedelta(days=21, minutes=1))
        await groups.recap_tick(context)
        rows = await _deliveries(rig)
    assert len(recaps(rig)) == 2
    assert [status for _, status, _ in rows] == ["sent", "sent"]


async def test_a_recap_missed_while_the_bot_was_down_is_skipped(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        await rig.say(ADA, "/recap fri 18:00", chat_id=GROUP)
        rig.clock.set(FRIDAY_6PM + timedelta(days=2))  # down from Friday to Sunday
        await groups.recap_tick(context_of(rig))
        rows = await _deliveries(rig)
        _, schedule = await chat_row(rig, GROUP)
    assert recaps(rig) == []
    assert [status for _, status, _ in rows] == ["skipped"]
    assert schedule.recap_next_due_at == FRIDAY_6PM + timedelta(days=7)


async def test_a_recap_to_a_group_that_removed_the_bot_deactivates_it(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        await rig.say(ADA, "/recap fri 18:00", chat_id=GROUP)
        rig.api.fail_chat[GROUP] = KICKED
        rig.clock.set(FRIDAY_6PM)
        await groups.recap_tick(context_of(rig))
        chat, schedule = await chat_row(rig, GROUP)
        rows = await _deliveries(rig)
    assert not chat.active and schedule.next_due_at is None
    assert [status for _, status, _ in rows] == ["failed"]


async def test_recap_follows_the_groups_time_zone(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        async with rig.db.begin() as s:
            from bot.db import repo

            chat = await repo.get_chat(s, GROUP)
            schedule = await repo.get_schedule(s, chat.id)
            schedule.timezone = "Asia/Tokyo"
            s.add(schedule)
        await rig.say(ADA, "/recap mon 09:00", chat_id=GROUP)
        _, schedule = await chat_row(rig, GROUP)
        claims_early = await study.claim_due_recaps(rig.db, now=rig.clock.now)
    # T0 is Mon 06:00 UTC = Mon 15:00 in Tokyo: the next Monday 09:00 JST is 00:00 UTC a week on
    assert schedule.recap_next_due_at == datetime(2027, 3, 8, 0, 0, tzinfo=UTC)
    assert claims_early == []


async def test_claims_are_exactly_once_per_week_even_if_the_time_changes(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        await rig.say(ADA, "/recap mon 09:00", chat_id=GROUP)  # T0 is Monday 06:00
        rig.clock.set(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
        first = await study.claim_due_recaps(rig.db, now=rig.clock.now)
        await rig.say(ADA, "/recap mon 10:00", chat_id=GROUP)  # moved later the same Monday
        rig.clock.set(datetime(2027, 3, 1, 10, 0, tzinfo=UTC))
        second = await study.claim_due_recaps(rig.db, now=rig.clock.now)
        _, schedule = await chat_row(rig, GROUP)
        rig.clock.set(datetime(2027, 3, 8, 10, 0, tzinfo=UTC))
        next_week = await study.claim_due_recaps(rig.db, now=rig.clock.now)
    assert len(first) == 1 and second == []
    assert schedule.recap_next_due_at == datetime(2027, 3, 8, 10, 0, tzinfo=UTC)
    assert [c.slot_at for c in next_week] == [datetime(2027, 3, 8, tzinfo=UTC)]


async def test_known_members_count_the_hidden_and_the_silent(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        poll = await ask_group(rig)
        await rig.vote(BOB, right(poll))
        await rig.say(BOB, "/hideme", chat_id=GROUP)
        await rig.say(DAN, "/leaderboard", chat_id=GROUP)
        chat, _ = await chat_row(rig, GROUP)
        out = await study.weekly_recap(
            rig.db, rig.app.bot_data.catalog, chat_pk=chat.id, now=rig.clock.now
        )
    assert out is not None and (out.participants, out.known) == (1, 3)
