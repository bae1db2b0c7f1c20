"""A button press counts only in the chat its question went to (in private: for its learner)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.db import repo
from bot.db.models import Answer, SentQuestion
from bot.tg.texts import t
from tests.botkit import ADA, BOB, BotRig, running_bot
from tests.test_groups_kit import GROUP, answers, ready_group, sent_to


async def buttons_quiz(rig: BotRig, *, chat_id: int) -> tuple[str, int]:
    """Switch the chat to button questions, send /quiz there; return (right data, message id)."""
    async with rig.db.begin() as s:
        chat = await repo.get_chat(s, chat_id)
        assert chat is not None
        chat.quiz_style = "buttons"
        s.add(chat)
    await rig.say(ADA, "/quiz", chat_id=chat_id)
    question = sent_to(rig, chat_id)[-1]
    async with rig.db.read() as s:
        sent = (await s.exec(select(SentQuestion))).one()
    right_data = f"q:a:{sent.id}:{sent.option_order.index(0)}"  # leaves-plant: option 0 is right
    assert right_data in [d for _, d in rig.buttons(question)]
    message_id = max(k[1] for k in rig.api.messages if k[0] == chat_id)
    return right_data, message_id


def last_callback_text(rig: BotRig) -> str:
    """The text of the newest answerCallbackQuery."""
    return str(rig.api.sent("answerCallbackQuery")[-1].get("text"))


async def stored_answers(rig: BotRig) -> list[Answer]:
    async with rig.db.read() as s:
        return list((await s.exec(select(Answer))).all())


async def test_another_learner_pressing_a_private_question_from_his_chat_is_refused(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(BOB, "/start")
        right_data, ada_message = await buttons_quiz(rig, chat_id=ADA.id)
        rig.api.clear()
        await rig.press(BOB, right_data)  # the same callback data, from Bob's own chat
        refused = last_callback_text(rig)
        after_bob = await stored_answers(rig)
        touched_ada = [c for c in rig.api.calls if str(c.params.get("chat_id")) == str(ADA.id)]
        await rig.press(ADA, right_data, message_id=ada_message)  # Ada's own press still counts
        after_ada = await answers(rig)
    assert refused == t("not_your_question")
    assert after_bob == [] and touched_ada == []
    assert after_ada == [(ADA.id, "leaves-plant", True)]


async def test_a_private_question_pressed_from_a_group_is_refused(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await ready_group(rig)  # Ada is a member of the group too
        right_data, _ = await buttons_quiz(rig, chat_id=ADA.id)
        rig.api.clear()
        await rig.press(ADA, right_data, chat_id=GROUP)  # her own question, the wrong chat
        refused = last_callback_text(rig)
        stored = await stored_answers(rig)
    assert refused == t("not_your_question")
    assert stored == []


async def test_a_group_question_pressed_from_a_private_chat_is_refused(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(BOB, "/start")
        await ready_group(rig)
        right_data, _ = await buttons_quiz(rig, chat_id=GROUP)  # shared: no member of its own
        rig.api.clear()
        await rig.press(BOB, right_data)  # from Bob's private chat with the bot
        refused = last_callback_text(rig)
        stored = await stored_answers(rig)
        await rig.press(BOB, right_data, chat_id=GROUP)  # in the group it counts
        in_group = await answers(rig)
    assert refused == t("not_your_question")
    assert stored == []
    assert in_group == [(BOB.id, "leaves-plant", True)]
