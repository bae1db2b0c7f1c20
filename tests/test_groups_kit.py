"""Helpers for the group tests (no tests here): a group with the bot in it, votes, rows."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from telegram import Update

from bot.db import repo
from bot.db.models import Answer, Chat, Member, Schedule
from bot.playground.fakeupdates import FakeUser, chat_json, member_status
from bot.tg.context import TutorContext
from bot.tg.handlers import groups
from tests.botkit import ADA, BotRig

GROUP = -4001  # a basic group ("-100..." ids are supergroups)
SUPERGROUP = -1004001
CAROL = FakeUser(103, "Carol", "carol")
DAN = FakeUser(104, "Dan")


def context_of(rig: BotRig) -> TutorContext:
    """A callback context as a job would get it."""
    return TutorContext(rig.app)  # type: ignore[arg-type]


def member_change(
    rig: BotRig, by: FakeUser, chat_id: int, *, old: str, new: str, title: str | None = None
) -> Update:
    """A my_chat_member update (UpdateFactory.my_chat_member lacks until_date for "kicked")."""
    bot_user = rig.app.bot.bot.to_dict()
    change = {
        "chat": chat_json(chat_id, title=title, user=by),
        "from": by.as_dict(),
        "date": int(rig.clock.now.timestamp()),
        "old_chat_member": member_status(old, bot_user),
        "new_chat_member": member_status(new, bot_user),
    }
    return rig.updates.make({"my_chat_member": change})


async def add_bot(
    rig: BotRig,
    *,
    chat_id: int = GROUP,
    by: FakeUser = ADA,
    old: str = "left",
    title: str = "Tea club",
) -> None:
    """Someone adds the bot to a group."""
    await rig.send(member_change(rig, by, chat_id, old=old, new="member", title=title))


async def remove_bot(
    rig: BotRig, *, chat_id: int = GROUP, by: FakeUser = ADA, new: str = "kicked"
) -> None:
    """Someone removes the bot from a group."""
    await rig.send(member_change(rig, by, chat_id, old="member", new=new))


async def start_in_group(
    rig: BotRig, user: FakeUser, *, chat_id: int = GROUP, text: str = "/start"
) -> None:
    """/start in a group, through the function start.start hands groups to."""
    update = rig.updates.message(user, text, chat_id=chat_id)
    context = TutorContext.from_update(update, rig.app)  # type: ignore[arg-type]
    context.args = text.split()[1:]
    await groups.start_in_group(update, context)  # type: ignore[arg-type]


async def ready_group(rig: BotRig, *, chat_id: int = GROUP, admin: FakeUser = ADA) -> None:
    """A group with the bot added and the (only) course chosen by an admin."""
    rig.api.admins[chat_id] = {admin.id}
    await add_bot(rig, chat_id=chat_id, by=admin)
    await start_in_group(rig, admin, chat_id=chat_id)


async def ask_group(rig: BotRig, *, chat_id: int = GROUP, user: FakeUser = ADA) -> dict[str, Any]:
    """Someone sends /quiz in the group; return the poll the bot posted."""
    await rig.say(user, "/quiz", chat_id=chat_id)
    poll = rig.last_poll()
    assert int(rig.api.last("sendPoll")["chat_id"]) == chat_id
    return poll


def right(poll: dict[str, Any]) -> list[int]:
    """The poll's right option ids."""
    return list(poll["correct_option_ids"])


def wrong(poll: dict[str, Any]) -> list[int]:
    """One wrong option id of the poll."""
    return [next(i for i in range(len(poll["options"])) if i not in poll["correct_option_ids"])]


async def answers(rig: BotRig) -> list[tuple[int, str, bool]]:
    """(tg user id, question id, correct) of every stored answer."""
    async with rig.db.read() as s:
        rows = (await s.exec(select(Answer, Member).where(Answer.member_id == Member.id))).all()
    return [(m.tg_user_id, a.question_id, a.correct) for a, m in rows]


async def chat_row(rig: BotRig, chat_id: int) -> tuple[Chat | None, Schedule | None]:
    """The stored chat and its schedule."""
    async with rig.db.read() as s:
        chat = await repo.get_chat(s, chat_id)
        schedule = await repo.get_schedule(s, chat.id) if chat and chat.id else None
    return chat, schedule


def sent_to(rig: BotRig, chat_id: int, method: str = "sendMessage") -> list[dict[str, Any]]:
    """Successful calls of `method` to one chat."""
    return [p for p in rig.api.sent(method) if int(p["chat_id"]) == chat_id]
