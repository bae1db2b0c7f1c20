"""The same update delivered twice (Telegram redelivers after a crash) has one effect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select
from telegram import Update

from bot.db.models import ALL_TABLES, Answer, Chat, ProcessedUpdate, SentQuestion
from bot.playground.fakeapi import Call
from tests.botkit import ADA, BotRig, running_bot


async def snapshot(rig: BotRig) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table except the list of handled update ids."""
    tables: dict[str, list[dict[str, Any]]] = {}
    async with rig.db.read() as s:
        for model in ALL_TABLES:
            if model is ProcessedUpdate:
                continue
            rows = [row.model_dump() for row in (await s.exec(select(model))).all()]
            tables[model.__name__] = sorted(rows, key=repr)
    return tables


async def delivered_twice(rig: BotRig, update: Update) -> list[Call]:
    """Process an update, then the very same update again; return the calls of the first."""
    first = len(rig.api.calls)
    await rig.send(update)
    calls = rig.api.calls[first:]
    before = await snapshot(rig)
    await rig.send(update)
    assert rig.api.calls[first + len(calls) :] == []  # nothing said or sent again
    assert await snapshot(rig) == before  # nothing written again
    return calls


def methods(calls: list[Call]) -> list[str]:
    return [c.method for c in calls]


async def count(rig: BotRig, model: Any) -> int:
    async with rig.db.read() as s:
        return len((await s.exec(select(model))).all())


async def test_quiz_command_twice_sends_one_poll(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        calls = await delivered_twice(rig, rig.updates.message(ADA, "/quiz"))
        assert methods(calls) == ["sendPoll"]
        assert await count(rig, SentQuestion) == 1


async def test_poll_answer_twice_stores_one_answer_and_one_feedback(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        poll = rig.last_poll()
        vote = rig.updates.poll_answer(ADA, poll["id"], poll["correct_option_ids"])
        calls = await delivered_twice(rig, vote)
        assert methods(calls) == ["sendMessage"] and "Right" in calls[0].params["text"]
        assert await count(rig, Answer) == 1


async def test_button_answer_twice_grades_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        async with rig.db.begin() as s:
            chat = (await s.exec(select(Chat).where(Chat.tg_chat_id == ADA.id))).one()
            chat.quiz_style = "buttons"
            s.add(chat)
        await rig.say(ADA, "/quiz")
        question = rig.api.last("sendMessage")
        data = next(d for _, d in rig.buttons(question) if d.startswith("q:a:"))
        message = rig.api.message(ADA.id, rig.api.calls[-1].result["message_id"])
        press = rig.updates.callback(ADA, data, message=message, message_id=message["message_id"])
        calls = await delivered_twice(rig, press)
        assert "answerCallbackQuery" in methods(calls)
        assert await count(rig, Answer) == 1


async def test_settings_change_twice_is_applied_and_answered_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/settings")
        menu = rig.api.calls[-1].result
        press = rig.updates.callback(
            ADA, "set:style:buttons", message=menu, message_id=menu["message_id"]
        )
        calls = await delivered_twice(rig, press)
        assert methods(calls).count("answerCallbackQuery") == 1
        async with rig.db.read() as s:
            chat = (await s.exec(select(Chat).where(Chat.tg_chat_id == ADA.id))).one()
        assert chat.quiz_style == "buttons"


async def test_an_update_redelivered_after_a_restart_is_ignored(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        quiz = rig.updates.message(ADA, "/quiz")
        await rig.send(quiz)
        data = quiz.to_dict()
        assert len(rig.api.sent("sendPoll")) == 1
    async with running_bot(tmp_path) as again:  # a new process on the same database
        redelivered = Update.de_json(data, again.app.bot)
        assert redelivered is not None
        await again.send(redelivered)
        assert again.api.sent("sendPoll") == []
        assert await count(again, SentQuestion) == 1
