"""Transport faults (429, 403, 400 chat not found, 5xx, timeouts) during answers and deliveries.

Whatever Telegram answers for one chat, the bot keeps serving everybody else and never loses
an answer it has stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from telegram.error import TimedOut

from bot.clock import FakeClock
from bot.db.models import Answer, Chat, Delivery, Member, Schedule
from bot.playground.fakeapi import BLOCKED, CHAT_NOT_FOUND, SERVER_ERROR, FakeBotAPI, Fault, flood
from bot.playground.fakeupdates import FakeUser
from bot.study.schedules import reschedule
from bot.tg import jobs
from bot.tg.texts import t
from tests.botkit import ADA, BOB, BotRig, running_bot

T8 = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
TIMEOUT = TimedOut("Timed out")


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta, no warning


class ChatFaults(FakeBotAPI):
    """The fake Bot API with one-off faults aimed at one chat's next call of a method."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.once: dict[tuple[str, int], list[Fault | BaseException]] = {}

    def aim(self, method: str, chat_id: int, *faults: Fault | BaseException) -> None:
        """Make the next calls of `method` to `chat_id` fail, one fault per call."""
        self.once.setdefault((method, chat_id), []).extend(faults)

    async def do_request(
        self, url: str, method: str, request_data: Any = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        api = url.rsplit("/", 1)[-1]
        chat_id = request_data.parameters.get("chat_id") if request_data else None
        pending = self.once.get((api, int(chat_id))) if chat_id is not None else None
        if pending:
            fault = pending.pop(0)
            if isinstance(fault, BaseException):
                self.raise_next[api].append(fault)
            else:
                self.fail(api, fault)
        return await super().do_request(url, method, request_data, *args, **kwargs)


def texts_to(rig: BotRig, chat_id: int) -> list[str]:
    return rig.api.texts(chat_id)


async def answers_of(rig: BotRig, user: FakeUser) -> list[Answer]:
    async with rig.db.read() as s:
        member = (await s.exec(select(Member).where(Member.tg_user_id == user.id))).one()
        return list((await s.exec(select(Answer).where(Answer.member_id == member.id))).all())


async def chat_active(rig: BotRig, tg_chat_id: int) -> bool:
    async with rig.db.read() as s:
        return (await s.exec(select(Chat).where(Chat.tg_chat_id == tg_chat_id))).one().active


# --- during answers --------------------------------------------------------------------------

ANSWER_FAULTS: dict[str, Fault | BaseException] = {
    "429": flood(7),
    "403": BLOCKED,
    "400 chat not found": CHAT_NOT_FOUND,
    "5xx": SERVER_ERROR,
    "timeout": TIMEOUT,
}


@pytest.mark.parametrize("fault", ANSWER_FAULTS.values(), ids=ANSWER_FAULTS.keys())
async def test_poll_feedback_fails_the_answer_is_kept_and_the_next_user_is_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fault: Fault | BaseException
) -> None:
    api = ChatFaults(clock=FakeClock(T8))
    async with running_bot(tmp_path, api=api, clock=api.clock) as rig:  # type: ignore[arg-type]
        for user in (ADA, BOB):
            await rig.say(user, "/start")
            await rig.say(user, "/quiz")
        ada_poll, bob_poll = [c.result["poll"] for c in api.calls if c.method == "sendPoll"]
        api.aim("sendMessage", ADA.id, fault)  # Ada's feedback fails
        caplog.set_level(logging.INFO)
        vote = rig.updates.poll_answer(ADA, ada_poll["id"], ada_poll["correct_option_ids"])
        await rig.send(vote)
        await rig.vote(BOB, bob_poll["correct_option_ids"], poll_id=bob_poll["id"])

        assert [a.correct for a in await answers_of(rig, ADA)] == [True]  # stored anyway
        assert [a.correct for a in await answers_of(rig, BOB)] == [True]
        assert "Right" in texts_to(rig, BOB.id)[-1]  # served as if nothing happened
        assert not any("Traceback" in text for text in api.texts())
        failed = [c for c in api.calls if c.status != 200]
        assert len(failed) == 1 and int(failed[0].params["chat_id"]) == ADA.id
        # One line that names the update and what failed (a poll answer has no chat to tell).
        (line,) = [
            m for r in caplog.records if f"update {vote.update_id} " in (m := r.getMessage())
        ]
        assert "failed" in line, line


BUTTON_FAULTS: dict[str, Fault | BaseException] = {"5xx": SERVER_ERROR, "timeout": TIMEOUT}


@pytest.mark.parametrize("fault", BUTTON_FAULTS.values(), ids=BUTTON_FAULTS.keys())
async def test_button_feedback_fails_the_answer_is_kept_and_the_learner_is_told(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fault: Fault | BaseException
) -> None:
    api = ChatFaults(clock=FakeClock(T8))
    async with running_bot(tmp_path, api=api, clock=api.clock) as rig:  # type: ignore[arg-type]
        for user in (ADA, BOB):
            await rig.say(user, "/start")
            async with rig.db.begin() as s:
                chat = (await s.exec(select(Chat).where(Chat.tg_chat_id == user.id))).one()
                chat.quiz_style = "buttons"
                s.add(chat)
            await rig.say(user, "/quiz")
        presses = {
            int(sent["chat_id"]): data
            for sent in rig.api.sent("sendMessage")
            for _, data in rig.buttons(sent)[:1]
            if data.startswith("q:a:")
        }
        api.aim("editMessageText", ADA.id, fault)  # the in-place feedback fails
        caplog.set_level(logging.INFO)
        await rig.press(ADA, presses[ADA.id])
        await rig.press(BOB, presses[BOB.id])

        assert len(await answers_of(rig, ADA)) == 1
        assert len(await answers_of(rig, BOB)) == 1
        assert texts_to(rig, ADA.id)[-1] == t("error")  # one line, no traceback
        edits = [c for c in api.calls if c.method == "editMessageText" and c.status == 200]
        assert [int(c.params["chat_id"]) for c in edits] == [BOB.id]  # Bob got his feedback
        assert any(
            r.levelno == logging.ERROR and f"in chat {ADA.id} failed" in r.getMessage()
            for r in caplog.records
        )


# --- during deliveries -----------------------------------------------------------------------


def fake_sleep(clock: FakeClock) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)

    return sleep


async def add_due_chat(rig: BotRig, tg_id: int) -> None:
    async with rig.db.begin() as s:
        chat = Chat(tg_chat_id=tg_id, kind="private", course_id="mini", onboarded=True)
        s.add(chat)
        s.add(Member(tg_user_id=tg_id, first_name=f"U{tg_id}", started_private=True))
        await s.flush()
        assert chat.id is not None
        schedule = Schedule(chat_id=chat.id, times="08:00", timezone="UTC")
        reschedule(chat, schedule, now=T8 - timedelta(minutes=1))
        s.add(schedule)


async def statuses(rig: BotRig) -> dict[int, str]:
    async with rig.db.read() as s:
        rows = (await s.exec(select(Delivery, Chat).join(Chat))).all()
    return {chat.tg_chat_id: row.status for row, chat in rows}


async def test_a_fan_out_with_every_kind_of_fault_serves_everybody_else(
    tmp_path: Path,
) -> None:
    api = ChatFaults(clock=FakeClock(T8 - timedelta(minutes=2)))
    async with running_bot(tmp_path, api=api, clock=api.clock) as rig:  # type: ignore[arg-type]
        clock = rig.clock
        # Ada answered before the fan-out; her poll from /quiz is still open.
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        ada_poll = rig.last_poll()
        await rig.vote(ADA, ada_poll["correct_option_ids"])
        await rig.say(ADA, "/quiz")
        open_poll = rig.last_poll()
        chats = list(range(7001, 7013))
        for tg_id in chats:
            await add_due_chat(rig, tg_id)
        blocked, gone, flooded, broken, slow, slow_poll = chats[:6]
        api.fail_chat[blocked] = BLOCKED
        api.fail_chat[gone] = CHAT_NOT_FOUND
        api.aim("sendMessage", flooded, flood(5))
        api.aim("sendMessage", broken, SERVER_ERROR)
        api.aim("sendMessage", slow, TIMEOUT)
        api.aim("sendPoll", slow_poll, TIMEOUT)  # the lesson went; its question timed out
        clock.set(T8)
        deliverer = jobs.make_deliverer(
            rig.app, sleep=fake_sleep(clock), heartbeat_path=tmp_path / "heartbeat"
        )
        # Ada answers while the fan-out runs.
        vote = rig.send(rig.updates.poll_answer(ADA, open_poll["id"], [0]))
        report, _ = await asyncio.gather(deliverer.tick(), vote)

        healthy = chats[6:]
        assert all(
            [c.method for c in api.calls if c.params.get("chat_id") == tg_id and c.status == 200]
            == ["sendMessage", "sendPoll"]
            for tg_id in healthy
        )
        first = await statuses(rig)
        assert {tg_id: first[tg_id] for tg_id in chats[:6]} == {
            blocked: "dead",
            gone: "dead",
            flooded: "retry",
            broken: "retry",
            slow: "retry",
            slow_poll: "sent",  # its first message went: not sent again
        }
        assert report.sent == len(healthy) + 1
        assert len(await answers_of(rig, ADA)) == 2  # the one before and the one during

        clock.advance(timedelta(minutes=1))  # past retry_after and the first backoff
        await deliverer.tick()
        final = await statuses(rig)
        assert all(final[tg_id] == "sent" for tg_id in [flooded, broken, slow, *healthy])
        for tg_id in (flooded, broken, slow):
            delivered = [
                c.method for c in api.calls if c.params.get("chat_id") == tg_id and c.status == 200
            ]
            assert delivered == ["sendMessage", "sendPoll"]  # once, after the fault
        assert not await chat_active(rig, blocked) and not await chat_active(rig, gone)
        assert len(await answers_of(rig, ADA)) == 2
