"""/stats in Telegram: figures for ADMIN_USER_IDS in private, a hint for everyone else."""

from __future__ import annotations

from pathlib import Path

from tests.botkit import ADA, BOB, running_bot
from tests.pg import GROUP_ID, populate


async def test_admin_gets_stats_in_private(tmp_path: Path) -> None:
    async with running_bot(tmp_path, admin_user_ids=frozenset({ADA.id})) as rig:
        await populate(rig)
        await rig.say(ADA, "/stats")
        text = rig.api.last("sendMessage")["text"]
    assert int(rig.api.last("sendMessage")["chat_id"]) == ADA.id
    assert "Stats for 2027-03-01 (UTC)" in text
    assert "Learners: <b>2</b> · groups: <b>1</b>" in text
    assert "Deliveries today: <b>0</b> sent, <b>0</b> failed, <b>0</b> skipped\n" in text
    assert "Answers today: <b>5</b> (2 right)" in text
    assert "1. <code>mini/leaves-plant</code>: 2 wrong of 4" in text


async def test_non_admin_gets_the_unknown_command_hint(tmp_path: Path) -> None:
    async with running_bot(tmp_path, admin_user_ids=frozenset({ADA.id})) as rig:
        await rig.say(BOB, "/start")
        await rig.say(BOB, "/stats")
        text = rig.api.last("sendMessage")["text"]
    assert "I don't know <code>/stats</code>" in text
    assert "Stats" not in text


async def test_no_admins_configured_means_nobody_sees_stats(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/stats")
        text = rig.api.last("sendMessage")["text"]
    assert "I don't know" in text


async def test_admin_in_a_group_gets_no_stats(tmp_path: Path) -> None:
    async with running_bot(tmp_path, admin_user_ids=frozenset({ADA.id})) as rig:
        await rig.say(ADA, "/start", chat_id=GROUP_ID)
        rig.api.clear()
        await rig.say(ADA, "/stats", chat_id=GROUP_ID)
        silent = rig.api.texts(GROUP_ID)
        await rig.say(ADA, "/stats@tutorbot_test_bot", chat_id=GROUP_ID)
        addressed = rig.api.texts(GROUP_ID)
    assert silent == []
    assert len(addressed) == 1 and "I don't know" in addressed[0]
