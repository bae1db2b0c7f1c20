"""The "report this question" flow: button, optional reason by reply, forged presses, pauses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.db.models import QuestionReport, SentQuestion
from bot.playground.fakeupdates import FakeUser
from bot.study import ops
from bot.tg.handlers import ops as ops_handlers
from tests.botkit import ADA, BOB, BotRig
from tests.botkit import running_bot as _running_bot

GROUP = -100777
_OPS_CALLBACKS = {
    ops_handlers.report_button,
    ops_handlers.receive_report_reason,
    ops_handlers.stats,
}


def ops_first(rig: BotRig) -> BotRig:
    """Put this feature's handlers first in group 0 (app.py's one list already has the report
    reply before the settings' free-text handler; this keeps the tests independent of that).
    """
    group = rig.app.handlers[0]
    mine = [h for h in group if getattr(h, "callback", None) in _OPS_CALLBACKS]
    rig.app.handlers[0] = mine + [h for h in group if h not in mine]
    return rig


@asynccontextmanager
async def running_bot(tmp_path: Path, **kwargs: Any) -> AsyncIterator[BotRig]:
    """botkit.running_bot with this feature's handlers first."""
    async with _running_bot(tmp_path, **kwargs) as rig:
        yield ops_first(rig)


async def _answer_first_question(rig: BotRig, user: FakeUser = ADA) -> dict[str, Any]:
    """/start, /quiz and a vote; return the feedback message with the report button."""
    await rig.say(user, "/start")
    await rig.say(user, "/quiz")
    await rig.vote(user, rig.last_poll()["correct_option_ids"])
    return rig.api.last("sendMessage")


def _report_data(rig: BotRig, message: dict[str, Any]) -> str:
    (data,) = [d for _, d in rig.buttons(message) if d.startswith("report:")]
    return data


async def _reports(rig: BotRig) -> list[QuestionReport]:
    async with rig.db.read() as s:
        return list((await s.exec(select(QuestionReport).order_by(QuestionReport.id))).all())


def _prompt(rig: BotRig, chat_id: int) -> dict[str, Any]:
    """The newest message the bot sent to `chat_id`, as Telegram stored it."""
    params = rig.api.last("sendMessage")
    assert int(params["chat_id"]) == chat_id
    key = max(k for k in rig.api.messages if k[0] == chat_id)
    return rig.api.messages[key]


async def test_report_then_reply_with_a_reason_stores_it(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        feedback = await _answer_first_question(rig)
        await rig.press(ADA, _report_data(rig, feedback))
        toast = rig.api.last("answerCallbackQuery")
        ask = rig.api.last("sendMessage")
        prompt = _prompt(rig, ADA.id)
        stored_before_reason = await _reports(rig)
        await rig.send(rig.updates.message(ADA, "  Option  B is\nalso right  ", reply_to=prompt))
        thanks = rig.api.last("sendMessage")
        reports = await _reports(rig)
    assert "Reported" in toast["text"]
    assert ask["reply_markup"]["force_reply"] is True
    assert "What's wrong with this question?" in ask["text"]
    assert [(r.reason, r.prompt_message_id) for r in stored_before_reason] == [
        ("", prompt["message_id"])
    ]
    assert "Thanks" in thanks["text"]
    assert [(r.course_id, r.lesson_id, r.question_id, r.reason, r.status) for r in reports] == [
        ("mini", "leaves", "leaves-plant", "Option B is also right", "open")
    ]


async def test_report_without_a_reason_is_kept_and_listed(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        feedback = await _answer_first_question(rig)
        await rig.press(ADA, _report_data(rig, feedback))
        await rig.press(ADA, _report_data(rig, feedback), message_id=feedback_id(rig, ADA.id))
        rows = await ops.list_reports(rig.db, status="open")
    assert [(r.question_id, r.reason, r.member_name) for r in rows] == [
        ("leaves-plant", "", "Ada")
    ]


def feedback_id(rig: BotRig, chat_id: int) -> int:
    """The id of the feedback message (the one carrying the report button)."""
    return max(
        k[1]
        for k, m in rig.api.messages.items()
        if k[0] == chat_id
        and any(
            b.get("callback_data", "").startswith("report:")
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        )
    )


async def test_forged_report_presses_write_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        feedback = await _answer_first_question(rig, ADA)
        data = _report_data(rig, feedback)
        await rig.say(BOB, "/start")
        answers = []
        for forged in (data, "report:999999", "report:x", "report:"):
            await rig.press(BOB, forged)
            answers.append(rig.api.last("answerCallbackQuery")["text"])
        reports = await _reports(rig)
    assert reports == []
    assert answers == [
        "This question was sent to someone else.",
        "This question is no longer available.",
        "This button has expired.",
        "This button has expired.",
    ]


async def test_reply_to_another_bot_message_is_not_a_reason(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        feedback = await _answer_first_question(rig)
        await rig.press(ADA, _report_data(rig, feedback))
        other = rig.api.message(ADA.id, feedback_id(rig, ADA.id))
        await rig.send(rig.updates.message(ADA, "nonsense", reply_to=other))
        reports = await _reports(rig)
        reply = rig.api.last("sendMessage")
    assert [r.reason for r in reports] == [""]
    assert "Thanks" not in reply["text"]


async def test_group_report_reason_only_from_the_reporter(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        rig.api.admins[GROUP] = {ADA.id}
        await rig.say(ADA, "/start", chat_id=GROUP)
        await rig.say(ADA, "/quiz", chat_id=GROUP)
        async with rig.db.read() as s:
            sent = (await s.exec(select(SentQuestion))).one()
        await rig.press(ADA, f"report:{sent.id}", chat_id=GROUP)
        ask = rig.api.last("sendMessage")
        prompt = _prompt(rig, GROUP)
        await rig.send(rig.updates.message(BOB, "hijack", chat_id=GROUP, reply_to=prompt))
        after_bob = await _reports(rig)
        await rig.send(rig.updates.message(ADA, "typo in B", chat_id=GROUP, reply_to=prompt))
        reports = await _reports(rig)
    assert "tg://user?id=101" in ask["text"] and ask["reply_markup"]["selective"] is True
    assert [r.reason for r in after_bob] == [""]
    assert [(r.question_id, r.reason) for r in reports] == [("leaves-plant", "typo in B")]


async def test_a_paused_question_is_skipped_until_unpaused(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        assert await ops.pause_question(
            rig.db, course_id="mini", question_id="leaves-plant", note="fixing", now=rig.clock.now
        )
        assert not await ops.pause_question(
            rig.db, course_id="mini", question_id="leaves-plant", note="", now=rig.clock.now
        )
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        paused_pick = rig.last_poll()["question"]
        assert await ops.unpause_question(rig.db, course_id="mini", question_id="leaves-plant")
        assert not await ops.unpause_question(rig.db, course_id="mini", question_id="leaves-plant")
        await rig.say(BOB, "/start")
        await rig.say(BOB, "/quiz")
        unpaused_pick = rig.last_poll()["question"]
    assert paused_pick == "Which statements are true? (choose 2)"
    assert unpaused_pick == "Which plant do green and black tea come from?"


async def test_resolve_marks_a_report_and_unknown_ids_are_refused(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        feedback = await _answer_first_question(rig)
        await rig.press(ADA, _report_data(rig, feedback))
        (report,) = await _reports(rig)
        assert report.id is not None
        assert await ops.resolve_report(rig.db, report_id=report.id)
        assert not await ops.resolve_report(rig.db, report_id=report.id + 100)
        open_rows = await ops.list_reports(rig.db, status="open")
        all_rows = await ops.list_reports(rig.db)
    assert open_rows == []
    assert [r.status for r in all_rows] == ["resolved"]
