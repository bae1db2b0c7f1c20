"""/forgetme removes every row about a learner who was active in private and in a group.

tests/test_tg_settings.py checks a learner seeded in every table from the private chat; this one
adds what a group leaves behind: answers to group polls, cards and review logs from them, a
report with a typed reason, a hidden leaderboard entry, an exam run. Afterwards the whole
database (every table, every column, as text) holds nothing that names her, while the group,
and the other members' answers in it, stay.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.db.models import ALL_TABLES, Answer, Chat, Member, SentQuestion
from bot.playground.fakeupdates import FakeUser
from bot.tg.texts import t
from tests.botkit import BOB, BotRig, running_bot
from tests.test_groups_kit import GROUP, ask_group, ready_group, right, wrong

ADALIND = FakeUser(987654321, "Adalind", "adalind_x")  # distinctive: found as text if left


async def rows(rig: BotRig, model: Any) -> list[Any]:
    async with rig.db.read() as s:
        return list((await s.exec(select(model))).all())


def newest(rig: BotRig, chat_id: int) -> dict[str, Any]:
    key = max(k for k in rig.api.messages if k[0] == chat_id)
    return rig.api.messages[key]


async def live_everywhere(rig: BotRig) -> None:
    """Adalind studies in private and in a group (with Bob), and reports a group question."""
    user = ADALIND
    await rig.say(user, "/start")
    for data in ("set:time:0800", "set:days:all", "set:tz:Europe/Berlin"):
        await rig.press(user, data)
    await rig.say(user, "/quiz")
    await rig.vote(user, wrong(rig.last_poll()))
    await rig.say(user, "/exam")
    await rig.say(BOB, "/start")
    await ready_group(rig, admin=user)
    for _ in range(2):
        poll = await ask_group(rig, user=user)
        await rig.vote(user, right(poll), poll_id=poll["id"])
        await rig.vote(BOB, wrong(poll), poll_id=poll["id"])
    async with rig.db.read() as s:
        group = (await s.exec(select(Chat).where(Chat.tg_chat_id == GROUP))).one()
        sent = (await s.exec(select(SentQuestion).where(SentQuestion.chat_id == group.id))).all()
    await rig.press(user, f"report:{sent[0].id}", chat_id=GROUP)
    prompt = newest(rig, GROUP)
    await rig.send(
        rig.updates.message(user, "Adalind thinks B is right", chat_id=GROUP, reply_to=prompt)
    )
    await rig.say(user, "/hideme", chat_id=GROUP)
    await rig.say(user, "/pause")


def references(row: Any, member_pk: int, chat_pk: int) -> bool:
    """Whether a row points at her member row or her private chat."""
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        targets = {fk.column.table.name for fk in column.foreign_keys}
        if ("member" in targets and value == member_pk) or (
            "chat" in targets and value == chat_pk
        ):
            return True
    return False


async def test_forgetme_after_private_and_group_activity_leaves_nothing_about_her(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as rig:
        await live_everywhere(rig)
        (her,) = [m for m in await rows(rig, Member) if m.tg_user_id == ADALIND.id]
        (private,) = [c for c in await rows(rig, Chat) if c.tg_chat_id == ADALIND.id]
        (group,) = [c for c in await rows(rig, Chat) if c.tg_chat_id == GROUP]
        bob = next(m for m in await rows(rig, Member) if m.tg_user_id == BOB.id)
        before = {
            model.__name__: [
                r for r in await rows(rig, model) if references(r, her.id, private.id)
            ]
            for model in ALL_TABLES
        }
        bob_answers = [a for a in await rows(rig, Answer) if a.member_id == bob.id]

        await rig.say(ADALIND, "/forgetme")
        await rig.press(ADALIND, "forget:yes")
        said = newest(rig, ADALIND.id)["text"]

        after = {
            model.__name__: found
            for model in ALL_TABLES
            if (found := [r for r in await rows(rig, model) if references(r, her.id, private.id)])
        }
        members = {m.tg_user_id for m in await rows(rig, Member)}
        chats = {c.tg_chat_id for c in await rows(rig, Chat)}
        group_questions = [q for q in await rows(rig, SentQuestion) if q.chat_id == group.id]
        bob_answers_after = [a for a in await rows(rig, Answer) if a.member_id == bob.id]
        await rig.say(BOB, "/leaderboard", chat_id=GROUP)
        board = rig.last_text(GROUP)
        db_file = Path(rig.db_url.removeprefix("sqlite+aiosqlite:///"))

    # She really was in all these tables, in private and through the group (the check can fail).
    group_answers = [a for a in before["Answer"] if a.chat_id == group.id]
    assert len(group_answers) == 2 and len(before["Answer"]) == 3
    hidden = [m for m in before["Membership"] if m.chat_id == group.id]
    assert len(hidden) == 1 and hidden[0].hidden
    (report,) = before["QuestionReport"]
    assert report.reason == "Adalind thinks B is right"
    for name in ("Card", "ReviewLog", "ExamRun", "StudyDay", "PauseWindow", "Schedule"):
        assert before[name], name
    assert said == t("forget_done")
    assert after == {}
    assert ADALIND.id not in members and ADALIND.id not in chats
    with sqlite3.connect(db_file) as conn:  # every table, every column, as text
        dump = "\n".join(conn.iterdump())
    for trace in (str(ADALIND.id), "Adalind", "adalind_x"):
        assert trace not in dump, trace
    # The group and the others stay.
    assert GROUP in chats and BOB.id in members
    assert len(group_questions) == 2 and bob_answers_after == bob_answers
    assert "Bob" in board and "Adalind" not in board
