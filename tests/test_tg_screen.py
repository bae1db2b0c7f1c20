"""What no handler sees: presses with no message (inline mode) and messages from other bots."""

from __future__ import annotations

from pathlib import Path

from telegram import Update

from bot.tg.texts import t
from tests.botkit import ADA, running_bot


async def test_a_press_without_a_message_is_answered_and_ignored(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        rig.api.clear()
        for data in ("next:3", "lesson:next", "q:a:1:0"):
            raw = {
                "update_id": 900_000 + len(rig.api.calls),
                "callback_query": {
                    "id": f"cb-{data}",
                    "from": {"id": ADA.id, "is_bot": False, "first_name": ADA.first_name},
                    "chat_instance": "ci",
                    "inline_message_id": "AAAA-inline",
                    "data": data,
                },
            }
            await rig.send(Update.de_json(raw, rig.app.bot))
        toasts = [c["text"] for c in rig.api.sent("answerCallbackQuery")]
        others = [c.method for c in rig.api.calls if c.method != "answerCallbackQuery"]
    assert toasts == [t("button_expired")] * 3  # answered, not an AttributeError
    assert others == []


async def test_messages_from_other_bots_are_ignored(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        group = -100555
        raw = {
            "update_id": 910_000,
            "message": {
                "message_id": 5,
                "date": 1_800_000_000,
                "chat": {"id": group, "type": "supergroup", "title": "G"},
                "from": {"id": 999, "is_bot": True, "first_name": "OtherBot"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        await rig.send(Update.de_json(raw, rig.app.bot))
        sent = [c.method for c in rig.api.calls if c.method.startswith("send")]
        await rig.say(ADA, "/help")  # a person still gets answers
        after = [c.method for c in rig.api.calls if c.method.startswith("send")]
    assert sent == []
    assert after == ["sendMessage"]
