"""Groups end to end: the bot added and removed, blocked in private, /start, admins, migration."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.db.models import Chat, Membership, Schedule
from bot.playground.fakeapi import migrated
from tests.botkit import ADA, BOB, running_bot
from tests.test_groups_kit import (
    GROUP,
    SUPERGROUP,
    add_bot,
    answers,
    ask_group,
    chat_row,
    member_change,
    ready_group,
    remove_bot,
    right,
    sent_to,
    start_in_group,
    wrong,
)


async def test_added_bot_posts_a_welcome_that_says_how_to_set_up(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await add_bot(rig, title="Tea <club>")
        (welcome,) = sent_to(rig, GROUP)
        chat, schedule = await chat_row(rig, GROUP)
    assert "Tea &lt;club&gt;" in welcome["text"]
    for command in ("/start", "/settings", "/quiz", "/mystats", "/leaderboard"):
        assert command in welcome["text"]
    assert chat is not None and chat.kind == "group" and chat.active
    assert schedule is not None and schedule.next_due_at is None  # no course yet


async def test_removed_bot_stops_deliveries_and_readding_restores_everything(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        poll = await ask_group(rig)
        await rig.vote(BOB, right(poll))
        chat, schedule = await chat_row(rig, GROUP)
        assert chat.course_id == "mini"
        async with rig.db.begin() as s:  # the settings flow would have done this
            from bot.study import schedules

            row = await s.get(Schedule, schedule.id)
            row.next_due_at = schedules.reschedule(chat, row, now=rig.clock.now)
            s.add(row)
        await remove_bot(rig)
        chat, schedule = await chat_row(rig, GROUP)
        assert not chat.active and schedule.next_due_at is None
        rig.api.clear()

        await add_bot(rig, old="left")
        chat2, schedule2 = await chat_row(rig, GROUP)
        (back,) = sent_to(rig, GROUP)
        await rig.say(BOB, "/mystats", chat_id=GROUP)
        stats = rig.last_text(GROUP)
    assert chat2.id == chat.id and chat2.active and chat2.course_id == "mini"
    assert schedule2.next_due_at is not None and schedule2.next_due_at > rig.clock.now
    assert "back" in back["text"] and "Next lesson" in back["text"]
    assert "Answered <b>1</b>" in stats


async def test_bot_left_by_itself_or_promoted_is_handled(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await add_bot(rig)
        await rig.send(member_change(rig, ADA, GROUP, old="member", new="administrator"))
        chat, _ = await chat_row(rig, GROUP)
        assert chat.active and len(sent_to(rig, GROUP)) == 1  # promotion: no second welcome
        await remove_bot(rig, new="left")
        chat, _ = await chat_row(rig, GROUP)
    assert not chat.active


async def test_private_block_and_unblock(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        rig.api.clear()
        await rig.send(member_change(rig, ADA, ADA.id, old="member", new="kicked"))
        chat, schedule = await chat_row(rig, ADA.id)
        async with rig.db.read() as s:
            from bot.db import repo

            member = await repo.get_member(s, ADA.id)
        assert not chat.active and member.blocked and schedule.next_due_at is None
        await rig.send(member_change(rig, ADA, ADA.id, old="kicked", new="member"))
        chat, schedule = await chat_row(rig, ADA.id)
        async with rig.db.read() as s:
            member = await repo.get_member(s, ADA.id)
    assert chat.active and not member.blocked
    assert schedule.next_due_at is not None  # enrolled in the only course: deliveries resume
    assert rig.api.sent("sendMessage") == []  # blocking and unblocking are silent


async def test_start_in_group_sets_up_for_admins_and_introduces_members(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        rig.api.admins[GROUP] = {ADA.id}
        await add_bot(rig)
        rig.api.clear()
        await start_in_group(rig, BOB)
        refusal = rig.last_text(GROUP)
        chat, _ = await chat_row(rig, GROUP)
        assert chat.course_id is None  # a member's /start changes nothing
        assert "admin" in refusal and "Bob" in refusal

        await start_in_group(rig, ADA)
        texts = rig.api.texts(GROUP)
        chat, _ = await chat_row(rig, GROUP)
        assert chat.course_id == "mini"
        assert "This group studies" in texts[-2] and "When should I send" in texts[-1]

        await start_in_group(rig, BOB)
        intro = rig.last_text(GROUP)
    assert "Mini course" in intro and "0/2" in intro


async def test_admin_only_commands_refuse_members_politely(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        rig.api.clear()
        await rig.say(BOB, "/recap fri 18:00", chat_id=GROUP)
        assert rig.last_text(GROUP) == "🔒 Sorry, only this group's admins can do that."
        await rig.say(BOB, "/statsprivate on", chat_id=GROUP)
        assert "only this group's admins" in rig.last_text(GROUP)
        _, schedule = await chat_row(rig, GROUP)
        chat, _ = await chat_row(rig, GROUP)
        assert schedule.recap_day is None and not chat.stats_in_private

        await rig.say(ADA, "/recap fri 18:00", chat_id=GROUP)
        confirm = rig.last_text(GROUP)
        await rig.say(ADA, "/statsprivate on", chat_id=GROUP)
        chat, schedule = await chat_row(rig, GROUP)
        await rig.say(BOB, "/recap", chat_id=GROUP)  # anyone may look
        shown = rig.last_text(GROUP)
    assert "Fri 18:00" in confirm
    assert schedule.recap_day == 4 and schedule.recap_time == "18:00"
    assert schedule.recap_next_due_at == rig.clock.now.replace(day=5, hour=18)
    assert chat.stats_in_private
    assert "Fri 18:00" in shown


async def test_anonymous_admin_speaking_as_the_group_counts_as_admin(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        update = rig.updates.message(BOB, "/recap mon 09:30", chat_id=GROUP)
        payload = update.to_dict()
        payload["message"]["sender_chat"] = {"id": GROUP, "type": "group", "title": "Tea club"}
        payload["message"]["from"] = {
            "id": 1087968824,
            "is_bot": True,
            "first_name": "Group",
            "username": "GroupAnonymousBot",
        }
        await rig.send(rig.updates.make({"message": payload["message"]}))
        _, schedule = await chat_row(rig, GROUP)
    assert schedule.recap_day == 0 and schedule.recap_time == "09:30"


async def test_recap_command_checks_its_input(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        await rig.say(ADA, "/recap weekdays 18:00", chat_id=GROUP)
        assert "Pick one day" in rig.last_text(GROUP)
        await rig.say(ADA, "/recap fri 25:00", chat_id=GROUP)
        assert "Invalid time" in rig.last_text(GROUP)
        await rig.say(ADA, "/recap fri 18:00", chat_id=GROUP)
        await rig.say(ADA, "/recap off", chat_id=GROUP)
        _, schedule = await chat_row(rig, GROUP)
    assert "switched off" in rig.last_text(GROUP)
    assert schedule.recap_day is None and schedule.recap_next_due_at is None


async def test_group_commands_in_private_say_they_are_for_groups(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        for command in ("/leaderboard", "/mystats", "/hideme", "/recap fri 18:00"):
            await rig.say(ADA, command)
            assert "works in study groups" in rig.last_text(ADA.id)


async def test_commands_addressed_to_another_bot_are_ignored(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        rig.api.clear()
        for text in (
            "/leaderboard@other_bot",
            "/mystats@other_bot",
            "/quiz@other_bot",
            "/hideme@other_bot",
            "/recap@other_bot off",
        ):
            await rig.say(BOB, text, chat_id=GROUP)
        assert rig.api.calls == []
        await rig.say(BOB, "/leaderboard@tutorbot_test_bot", chat_id=GROUP)
    assert "Leaderboard" in rig.last_text(GROUP)


async def test_migration_keeps_everything_under_the_new_id(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        poll = await ask_group(rig)
        await rig.vote(BOB, right(poll))
        before, _ = await chat_row(rig, GROUP)
        rig.app.chat_data[GROUP]["note"] = "kept"  # type: ignore[index]

        await rig.send(rig.updates.migration(ADA, GROUP, SUPERGROUP))
        # the same news arrives again in the new supergroup: nothing changes twice
        service = {
            "message_id": 1,
            "date": int(rig.clock.now.timestamp()),
            "chat": {"id": SUPERGROUP, "type": "supergroup", "title": "Tea club"},
            "from": ADA.as_dict(),
            "migrate_from_chat_id": GROUP,
        }
        await rig.send(rig.updates.make({"message": service}))
        await rig.vote(ADA, wrong(poll), poll_id=poll["id"])  # the old poll still counts

        async with rig.db.read() as s:
            rows = (await s.exec(select(Chat))).all()
            links = (await s.exec(select(Membership))).all()
        new_poll = await ask_group(rig, chat_id=SUPERGROUP)
        await rig.say(BOB, "/mystats", chat_id=SUPERGROUP)
        stats = rig.last_text(SUPERGROUP)
        stored = await answers(rig)
    assert [(c.id, c.tg_chat_id, c.kind) for c in rows] == [(before.id, SUPERGROUP, "supergroup")]
    assert {link.chat_id for link in links} == {before.id}
    assert sorted(a[:1] + a[2:] for a in stored) == [(ADA.id, False), (BOB.id, True)]
    assert new_poll["id"] != poll["id"]
    assert "Answered <b>1</b>" in stats
    assert rig.app.chat_data[SUPERGROUP] == {"note": "kept"}
    assert GROUP not in rig.app.chat_data


async def test_migration_after_a_command_in_the_new_supergroup(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        await rig.say(BOB, "/mystats", chat_id=SUPERGROUP)  # the supergroup spoke first
        await rig.send(rig.updates.migration(ADA, GROUP, SUPERGROUP))
        async with rig.db.read() as s:
            rows = (await s.exec(select(Chat))).all()
    assert [(c.tg_chat_id, c.course_id) for c in rows] == [(SUPERGROUP, "mini")]


async def test_recap_to_a_migrated_group_follows_the_new_id(tmp_path: Path) -> None:
    from bot.tg.handlers import groups

    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        rig.api.fail_chat[GROUP] = migrated(SUPERGROUP)
        chat, _ = await chat_row(rig, GROUP)
        posted = await groups.send_weekly_recap(
            rig.app.bot,  # a Bot works as well as a context
            rig.db,
            rig.app.bot_data.catalog,
            chat_pk=chat.id,
            now=rig.clock.now,
        )
        moved, _ = await chat_row(rig, SUPERGROUP)
    assert posted and moved is not None and moved.id == chat.id
    assert "Weekly recap" in sent_to(rig, SUPERGROUP)[0]["text"]
