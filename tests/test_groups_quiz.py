"""Groups end to end: shared polls graded per member, buttons, leaderboards, /mystats, load."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.content.markup import strip_html
from bot.db import repo
from bot.db.models import Card, Chat, SentQuestion
from bot.playground.fakeapi import BLOCKED
from bot.playground.fakeupdates import FakeUser
from bot.tg.texts import t
from tests.botkit import ADA, BOB, running_bot
from tests.test_groups_kit import (
    CAROL,
    DAN,
    GROUP,
    answers,
    ask_group,
    ready_group,
    right,
    sent_to,
    wrong,
)


async def test_a_poll_answered_by_several_members_is_graded_for_each(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(BOB, "/start")  # Bob also has a private chat with the bot
        await ready_group(rig)
        poll = await ask_group(rig)
        assert poll["type"] == "quiz" and poll["is_anonymous"] is False
        rig.api.clear()
        await rig.vote(ADA, right(poll), poll_id=poll["id"])
        await rig.vote(BOB, wrong(poll), poll_id=poll["id"])
        await rig.vote(CAROL, wrong(poll), poll_id=poll["id"])
        stored = await answers(rig)
        async with rig.db.read() as s:
            cards = (await s.exec(select(Card))).all()
            sent = (await s.exec(select(SentQuestion))).all()
        followups = rig.api.sent("sendMessage")
    assert sorted(stored) == [
        (ADA.id, "leaves-plant", True),
        (BOB.id, "leaves-plant", False),
        (CAROL.id, "leaves-plant", False),
    ]
    assert len(cards) == 3 and len({c.member_id for c in cards}) == 3
    assert [s.member_id for s in sent] == [None]  # one group-level question
    # no message in the group per answer; only Bob (started in private) hears why privately
    assert [int(m["chat_id"]) for m in followups] == [BOB.id]
    assert "Not quite" in followups[0]["text"] and "Camellia sinensis" in followups[0]["text"]
    assert "Which plant" in followups[0]["text"]


async def test_a_changed_vote_is_graded_on_the_first_answer(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        poll = await ask_group(rig)
        await rig.vote(BOB, wrong(poll))
        await rig.vote(BOB, right(poll))
        await rig.vote(BOB, [])  # a retracted vote changes nothing either
        stored = await answers(rig)
    assert stored == [(BOB.id, "leaves-plant", False)]


async def test_the_same_answer_delivered_twice_counts_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        poll = await ask_group(rig)
        again = rig.updates.poll_answer(BOB, poll["id"], right(poll))
        await rig.send(again)
        await rig.send(again)  # the same update id: dropped before any handler
        await rig.send(rig.updates.poll_answer(BOB, poll["id"], right(poll)))  # new id, same vote
        stored = await answers(rig)
    assert stored == [(BOB.id, "leaves-plant", True)]


async def test_thirty_members_answering_at_once_are_thirty_answers(tmp_path: Path) -> None:
    members = [FakeUser(5000 + i, f"Member{i}") for i in range(30)]
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        poll = await ask_group(rig)
        votes = [
            rig.updates.poll_answer(m, poll["id"], right(poll) if i % 3 else wrong(poll))
            for i, m in enumerate(members)
        ]
        await asyncio.gather(*(rig.app.process_update(u) for u in votes))
        stored = await answers(rig)
    assert len(stored) == 30 and len({a[0] for a in stored}) == 30
    assert sum(1 for a in stored if a[2]) == 20


async def test_button_mode_in_a_group_grades_each_presser(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(BOB, "/start")
        await ready_group(rig)
        async with rig.db.begin() as s:
            chat = await repo.get_chat(s, GROUP)
            chat.quiz_style = "buttons"
            s.add(chat)
        await rig.say(ADA, "/quiz", chat_id=GROUP)
        question = sent_to(rig, GROUP)[-1]
        buttons = rig.buttons(question)
        async with rig.db.read() as s:
            sent = (await s.exec(select(SentQuestion))).one()
        right_shown = sent.option_order.index(0)  # leaves-plant: option 0 is right
        right_data = f"q:a:{sent.id}:{right_shown}"
        wrong_data = next(d for _, d in buttons if d.startswith("q:a:") and d != right_data)
        rig.api.clear()
        await rig.press(ADA, right_data, chat_id=GROUP)
        await rig.press(BOB, wrong_data, chat_id=GROUP)
        await rig.press(BOB, right_data, chat_id=GROUP)  # a second press is not graded
        stored = await answers(rig)
        callbacks = [c["text"] for c in rig.api.sent("answerCallbackQuery")]
        messages = rig.api.sent("sendMessage")
    assert sorted(stored) == [(ADA.id, "leaves-plant", True), (BOB.id, "leaves-plant", False)]
    assert callbacks[0] == strip_html(t("answer_right")) == "✅ Right!"  # toasts are plain text
    assert callbacks[1].startswith("❌") and "<" not in callbacks[1]
    assert callbacks[2] == "You've already answered this one."
    assert [int(m["chat_id"]) for m in messages] == [BOB.id]  # nothing in the group


async def test_a_member_who_blocked_the_bot_costs_one_403(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(BOB, "/start")
        await ready_group(rig)
        rig.api.fail_chat[BOB.id] = BLOCKED
        rig.api.clear()
        for _ in range(2):
            poll = await ask_group(rig)
            await rig.vote(BOB, wrong(poll))
            await rig.vote(ADA, right(poll))
        attempts = [c for c in rig.api.calls if str(c.params.get("chat_id")) == str(BOB.id)]
        stored = await answers(rig)
        async with rig.db.read() as s:
            bob = await repo.get_member(s, BOB.id)
            private = await repo.get_chat(s, BOB.id)
    assert [(c.method, c.status) for c in attempts] == [("sendMessage", 403)]
    assert bob.blocked and not private.active
    assert sum(1 for a in stored if a[0] == BOB.id) == 2  # still learning in the group


async def _play(rig, script: dict[FakeUser, list[bool]]) -> None:  # type: ignore[no-untyped-def]
    rounds = max(len(v) for v in script.values())
    for n in range(rounds):
        poll = await ask_group(rig)
        for user, results in script.items():
            if n < len(results):
                await rig.vote(user, right(poll) if results[n] else wrong(poll))


async def test_leaderboard_ranks_by_right_answers_then_accuracy(tmp_path: Path) -> None:
    eve = FakeUser(105, "<Eve>")
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        # last week: Dan is strong
        await _play(rig, {DAN: [True, True, True]})
        rig.clock.advance(timedelta(days=7))
        # this week: Ada 2/2, Bob 2/3, Carol 1/1 (hidden), Eve 1/3
        await _play(
            rig,
            {
                ADA: [True, True],
                BOB: [True, False, True],
                CAROL: [True],
                eve: [False, True, False],
            },
        )
        await rig.say(CAROL, "/hideme", chat_id=GROUP)
        hidden_reply = rig.last_text(GROUP)
        await rig.say(BOB, "/leaderboard", chat_id=GROUP)
        board = rig.last_text(GROUP)
        await rig.say(CAROL, "/leaderboard", chat_id=GROUP)
        carol_view = rig.last_text(GROUP)
        await rig.say(CAROL, "/showme", chat_id=GROUP)
        await rig.say(CAROL, "/leaderboard", chat_id=GROUP)
        back = rig.last_text(GROUP)
    week, all_time = board.split("<b>All time</b>")
    assert "off the leaderboard" in hidden_reply
    assert week.split("\n")[3:7] == [
        "🥇 Ada · 2 right · 100%",
        "🥈 <b>Bob</b> · 2 right · 67%",
        "🥉 &lt;Eve&gt; · 1 right · 33%",
        "",
    ]
    assert all_time.strip().split("\n") == [
        "🥇 Dan · 3 right · 100%",
        "🥈 Ada · 2 right · 100%",
        "🥉 <b>Bob</b> · 2 right · 67%",
        "4. &lt;Eve&gt; · 1 right · 33%",
    ]
    assert "Carol" not in board and "You're hidden" in carol_view
    assert "Carol" in back


async def test_leaderboard_shows_the_callers_place_below_the_top_ten(tmp_path: Path) -> None:
    crowd = [FakeUser(6000 + i, f"M{i:02d}") for i in range(11)]
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        script = {user: [True, True] for user in crowd}
        script[ADA] = [True, False]
        script[BOB] = [True, False]  # same figures as Ada: the same place
        await _play(rig, script)
        await rig.say(ADA, "/leaderboard", chat_id=GROUP)
        board = rig.last_text(GROUP)
    week = board.split("<b>All time</b>")[0].strip().split("\n")
    # eleven members share first place; the board shows ten of them, then the caller
    assert week[3] == "🥇 M00 · 2 right · 100%"
    assert week[12] == "🥇 M09 · 2 right · 100%"
    assert week[13:] == ["…", "12. <b>Ada</b> · 1 right · 50%"]
    assert "Bob" not in week[13:]


async def test_mystats_reports_the_callers_own_figures(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        await _play(rig, {ADA: [True, True, False, True], BOB: [False]})
        await rig.say(ADA, "/mystats", chat_id=GROUP)
        ada = sent_to(rig, GROUP)[-1]
        await rig.say(CAROL, "/progress", chat_id=GROUP)
        carol = rig.last_text(GROUP)
    lines = ada["text"].split("\n")
    assert lines[0] == "📊 <b>Ada</b> in this group"
    assert "Answered <b>4</b> · right <b>3</b> · accuracy <b>75%</b>" in lines
    # leaves-plant, leaves-oxidised, leaves-herbal (lesson 1), then brewing-green (lesson 2)
    assert "▓▓▓▓▓▓▓░░░ 67%  Know the kinds of tea leaves (2/3)" in lines
    assert "▓▓▓▓▓▓▓▓▓▓ 100%  Brew tea at the right temperature (1/1)" in lines
    assert lines[-1] == "🔥 Streak: <b>1</b> day(s) · best 1"
    assert "reply_to_message_id" in ada or "reply_parameters" in ada
    assert "Carol" in carol and "No answers here yet" in carol


async def test_mystats_goes_private_when_the_group_prefers_it(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(BOB, "/start")
        await ready_group(rig)
        await rig.say(ADA, "/statsprivate on", chat_id=GROUP)
        rig.api.clear()
        await rig.say(BOB, "/mystats", chat_id=GROUP)  # started the bot: private
        await rig.say(CAROL, "/mystats", chat_id=GROUP)  # never did: in the group
        rig.api.fail_chat[BOB.id] = BLOCKED
        await rig.say(BOB, "/mystats", chat_id=GROUP)  # blocked since: in the group
        where = [
            (int(c.params["chat_id"]), c.status)
            for c in rig.api.calls
            if c.method == "sendMessage"
        ]
        async with rig.db.read() as s:
            chat = (await s.exec(select(Chat).where(Chat.tg_chat_id == GROUP))).one()
    assert where == [(BOB.id, 200), (GROUP, 200), (BOB.id, 403), (GROUP, 200)]
    assert chat.stats_in_private
