"""A study group run for a week: lessons and questions daily, a block, a migration, the recap."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from bot.db import repo
from bot.db.models import Delivery, Schedule
from bot.playground.fakeapi import BLOCKED, migrated
from bot.study import enrolment, questions, schedules
from bot.study.types import LessonOut
from bot.tg import send
from bot.tg.handlers import groups
from tests.botkit import ADA, BOB, running_bot
from tests.test_groups_kit import (
    CAROL,
    DAN,
    GROUP,
    SUPERGROUP,
    chat_row,
    context_of,
    ready_group,
    right,
    sent_to,
    wrong,
)

# Mon..Sat, one question a day in course order:
# leaves-plant, leaves-oxidised, leaves-herbal, brewing-green, brewing-black, brewing-kinds
SCRIPT = {
    ADA: [True, True, False, True, True, True],  # 5/6
    BOB: [True, False, True, False, True, None],  # 3/5 (skips Saturday)
    CAROL: [False, True, False, False, True, True],  # 3/6, blocks the bot on Wednesday
    DAN: [True, True, True, True, True, True],  # 6/6, but hides from the board
}


def day(n: int, hour: int) -> datetime:
    return datetime(2027, 3, 1 + n, hour, 0, tzinfo=UTC)


async def test_a_week_in_a_study_group(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        catalog = rig.app.bot_data.catalog
        bot = rig.app.bot
        await rig.say(BOB, "/start")  # Bob and Carol also talk to the bot in private
        await rig.say(CAROL, "/start")
        await ready_group(rig)
        async with rig.db.begin() as s:  # what the settings flow stores: 08:00 every day
            chat = await repo.get_chat(s, GROUP)
            schedule = await repo.get_schedule(s, chat.id)
            chat.onboarded = True
            schedules.reschedule(chat, schedule, now=rig.clock.now)
            s.add_all([chat, schedule])
        await rig.say(ADA, "/recap sun 18:00", chat_id=GROUP)
        chat_id = GROUP
        late_poll = None
        for n in range(6):
            if n == 1:
                await rig.say(DAN, "/hideme", chat_id=chat_id)
            if n == 2:
                rig.api.fail_chat[CAROL.id] = BLOCKED  # Carol blocks the bot, says nothing
            if n == 3:  # Thursday morning the group becomes a supergroup
                rig.clock.set(day(n, 7))
                await rig.send(rig.updates.migration(ADA, GROUP, SUPERGROUP))
                rig.api.fail_chat[GROUP] = migrated(SUPERGROUP)
                chat_id = SUPERGROUP
                await rig.vote(DAN, [late_poll["correct_option_ids"][0]], poll_id=late_poll["id"])
            rig.clock.set(day(n, 8))
            # what the delivery tick does at the group's slot: a lesson on Mon and Thu, a question
            if n in (0, 3):
                lesson = await enrolment.next_lesson(
                    rig.db, catalog, chat_id=chat_id, now=rig.clock.now
                )
                assert isinstance(lesson, LessonOut)
                await send.send_lesson(bot, lesson)
            out = await questions.prepare_question(
                rig.db,
                catalog,
                chat_id=chat_id,
                user_id=None,
                purpose="lesson",
                now=rig.clock.now,
                rng=random.Random(n),
            )
            assert out is not None
            message = await send.send_question(bot, rig.db, out)
            poll = message.poll.to_dict()
            for user, results in SCRIPT.items():
                if results[n] is None or (user is DAN and n == 2):
                    continue
                rig.clock.set(day(n, 9))
                await rig.vote(
                    user, right(poll) if results[n] else wrong(poll), poll_id=poll["id"]
                )
            if n == 2:
                late_poll = poll  # Dan answers Wednesday's poll on Thursday, after the migration

        # Sunday: the recap job runs twice at 18:00
        rig.clock.set(day(6, 18))
        await groups.recap_tick(context_of(rig))
        await groups.recap_tick(context_of(rig))
        rig.clock.set(day(6, 19))
        await rig.say(BOB, "/leaderboard", chat_id=SUPERGROUP)
        board = rig.last_text(SUPERGROUP)
        stats = {}
        for user in (ADA, BOB, CAROL, DAN):
            await rig.say(user, "/mystats", chat_id=SUPERGROUP)
            stats[user.first_name] = rig.last_text(SUPERGROUP)

        recaps = [
            m["text"] for m in sent_to(rig, SUPERGROUP) if "<b>Weekly recap</b>" in m["text"]
        ]
        to_old_group_after_migration = [
            c
            for c in rig.api.calls
            if str(c.params.get("chat_id")) == str(GROUP)
            and c.status == 200
            and c.method.startswith("send")
            and c.result["date"] >= day(3, 7).timestamp()
        ]
        private = [
            (int(c.params["chat_id"]), c.status)
            for c in rig.api.calls
            if c.method == "sendMessage" and "From your study group" in c.params["text"]
        ]
        warmup_polls = sent_to(rig, SUPERGROUP, "sendPoll")[-3:]
        chat, _ = await chat_row(rig, SUPERGROUP)
        async with rig.db.read() as s:
            deliveries = (await s.exec(select(Delivery))).all()
            schedule = (await s.exec(select(Schedule).where(Schedule.chat_id == chat.id))).one()
            carol = await repo.get_member(s, CAROL.id)

    # the board: Dan is hidden; Bob and Carol tie on 3 right, Bob's accuracy is higher
    week, all_time = board.split("<b>All time</b>")
    expected = [
        "🥇 Ada · 5 right · 83%",
        "🥈 <b>Bob</b> · 3 right · 60%",
        "🥉 Carol · 3 right · 50%",
    ]
    assert week.strip().split("\n")[3:] == expected
    assert all_time.strip().split("\n") == expected
    assert "Dan" not in board

    ada = stats["Ada"].split("\n")
    assert "Answered <b>6</b> · right <b>5</b> · accuracy <b>83%</b>" in ada
    assert "▓▓▓▓▓▓▓▓░░ 75%  Know the kinds of tea leaves (3/4)" in ada
    assert "▓▓▓▓▓▓▓▓▓▓ 100%  Brew tea at the right temperature (2/2)" in ada
    assert ada[-1] == "🔥 Streak: <b>6</b> day(s) · best 6"
    assert "Answered <b>5</b> · right <b>3</b> · accuracy <b>60%</b>" in stats["Bob"]
    assert "Streak: <b>5</b>" in stats["Bob"]  # missed Saturday: today (Sunday) is still open
    assert "Answered <b>6</b> · right <b>3</b> · accuracy <b>50%</b>" in stats["Carol"]
    assert "Answered <b>6</b> · right <b>6</b> · accuracy <b>100%</b>" in stats["Dan"]

    # the recap: posted once, to the supergroup, with the week's figures
    assert len(recaps) == 1
    recap = recaps[0].split("\n")
    assert "👥 4 of 4 members answered this week." in recap
    assert "🎯 Group accuracy: <b>74%</b> (17/23)" in recap
    assert "▓▓▓▓▓▓▓░░░ 73%  Know the kinds of tea leaves (11/15)" in recap
    assert "▓▓▓▓▓▓▓▓░░ 75%  Brew tea at the right temperature (6/8)" in recap
    missed = [line for line in recap if line[:3] in {"1. ", "2. ", "3. "}]
    assert missed == [
        "1. <i>Peppermint tea is made from Camellia sinensis.</i> (2/4 wrong)",
        "2. <i>How hot should the water be for green tea?</i> (2/4 wrong)",
        "3. <i>Which plant do green and black tea come from?</i> (1/4 wrong)",
    ]
    assert [p["question"] for p in warmup_polls] == [
        "Which statements are true? (choose 2)",
        "Black tea is brewed with boiling water.",
        "Which of these are true teas?",
    ]
    assert [(d.kind, d.status) for d in deliveries] == [("recap", "sent")]
    assert schedule.recap_next_due_at == day(13, 18)

    # Bob heard privately about his two misses; Carol once, then one 403, then nothing
    assert private == [(CAROL.id, 200), (BOB.id, 200), (CAROL.id, 403), (BOB.id, 200)]
    assert carol is not None and carol.blocked
    # after the migration nothing more went to the old id
    assert to_old_group_after_migration == []
