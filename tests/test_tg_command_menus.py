"""Command menus per scope (private, group members, group admins) and /help per chat kind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.tg.app import COMMANDS, GROUP_ADMIN_COMMANDS, GROUP_COMMANDS
from bot.tg.texts import t
from tests.botkit import ADA, BOB, running_bot
from tests.test_groups_kit import GROUP, ready_group, sent_to

PRIVATE_ONLY = {"review", "mistakes", "study", "exam", "examdate", "forgetme"}


def menus(calls: list[dict[str, Any]]) -> dict[str, list[str]]:
    """scope type -> command names of every setMyCommands call."""
    out = {}
    for params in calls:
        scope = params.get("scope")
        scope = json.loads(scope) if isinstance(scope, str) else scope
        commands = params["commands"]
        commands = json.loads(commands) if isinstance(commands, str) else commands
        out[scope["type"]] = [c["command"] for c in commands]
    return out


async def test_three_scoped_menus_are_published(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        published = menus(rig.api.sent("setMyCommands"))
    assert set(published) == {"all_private_chats", "all_group_chats", "all_chat_administrators"}
    assert published["all_private_chats"] == [name for name, _ in COMMANDS]
    assert "leaderboard" not in published["all_private_chats"]
    assert not PRIVATE_ONLY & set(published["all_group_chats"])
    assert not PRIVATE_ONLY & set(published["all_chat_administrators"])
    assert {"settings", "pause", "recap"} <= set(published["all_chat_administrators"])
    assert not {"settings", "pause", "recap"} & set(published["all_group_chats"])
    for _, commands in (("p", COMMANDS), ("g", GROUP_COMMANDS), ("a", GROUP_ADMIN_COMMANDS)):
        assert all(1 <= len(desc) <= 256 and name.islower() for name, desc in commands)


async def test_help_in_a_group_lists_group_commands_only(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        before = len(sent_to(rig, GROUP))
        await rig.say(BOB, "/help", chat_id=GROUP)
        (reply,) = sent_to(rig, GROUP)[before:]
        await rig.say(ADA, "/help")
    assert reply["text"] == t("help_group")
    for private_only in PRIVATE_ONLY - {"exam"}:
        assert f"/{private_only} –" not in reply["text"]
    assert rig.last_text(ADA.id) == t("help")


@pytest.mark.parametrize("name", [name for name, _ in GROUP_ADMIN_COMMANDS])
async def test_every_group_menu_command_is_understood_in_a_group(
    tmp_path: Path, name: str
) -> None:
    async with running_bot(tmp_path) as rig:
        await ready_group(rig)
        before = len(rig.api.calls)
        await rig.say(ADA, f"/{name}", chat_id=GROUP)
        texts = [
            str(c.params.get("text", ""))
            for c in rig.api.calls[before:]
            if c.method == "sendMessage"
        ]
    unknown = t("unknown_command", command=f"/{name}")
    assert unknown not in texts
