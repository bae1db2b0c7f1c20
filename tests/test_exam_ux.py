"""Mock exams as a learner meets them: the last-minute warning, ended exams that record
nothing, leaving an exam for another command, /exam N limits, exam presses on other questions.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.content.schema import ExamSettings
from bot.db.models import Answer, ExamRun, SentQuestion
from bot.kinds import Purpose
from bot.tg import callbacks
from bot.tg.context import TutorContext
from bot.tg.handlers import exam as exam_handlers
from bot.tg.texts import t
from tests.botkit import ADA, BotRig, running_bot
from tests.pg import running_pg_bot
from tests.test_exam_flow import answer_exam_question, exam_buttons, run_of
from tests.test_srs_flow import make_catalog


async def tick(rig: BotRig) -> None:
    await exam_handlers.exam_tick(TutorContext(rig.app))


def warnings(rig: BotRig) -> int:
    return rig.api.texts(ADA.id).count(t("exam_warning"))


def toast(rig: BotRig) -> str:
    return str(rig.api.last("answerCallbackQuery").get("text", ""))


async def exam_messages(rig: BotRig) -> list[tuple[int, int]]:
    """(sent id, message id) of every exam question message sent."""
    async with rig.db.read() as s:
        rows = (
            await s.exec(select(SentQuestion).where(SentQuestion.purpose == Purpose.EXAM))
        ).all()
    return [(r.id, r.tg_message_id) for r in rows if r.id and r.tg_message_id]


def has_buttons(rig: BotRig, message_id: int) -> bool:
    return bool(
        (rig.api.messages[(ADA.id, message_id)].get("reply_markup") or {}).get("inline_keyboard")
    )


async def answers(rig: BotRig) -> int:
    async with rig.db.read() as s:
        return len((await s.exec(select(Answer))).all())


async def test_one_minute_warning_is_sent_once_even_after_a_restart(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")  # mini: 4 questions, 5 minutes
        rig.clock.advance(timedelta(minutes=3, seconds=59))
        await tick(rig)
        assert warnings(rig) == 0  # 61 s left: not yet
        rig.clock.advance(timedelta(seconds=1))
        await tick(rig)
        await tick(rig)
        assert warnings(rig) == 1
        clock = rig.clock
    async with running_bot(tmp_path, clock=clock) as rig2:  # a restart on the same database
        clock.advance(timedelta(seconds=20))
        await tick(rig2)
        assert rig2.api.texts(ADA.id).count(t("exam_warning")) == 0
        run = await run_of(rig2)
    assert run.warned_at == clock.now - timedelta(seconds=20)
    assert run.status == "running"


async def test_two_instances_ticking_together_warn_once_on_postgresql(pg_url: str) -> None:
    async with running_pg_bot(pg_url) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        rig.clock.advance(timedelta(minutes=4, seconds=30))
        async with running_pg_bot(pg_url, clock=rig.clock, api=rig.api) as rig2:
            await asyncio.gather(*(tick(r) for r in (rig, rig2, rig, rig2)))
        assert warnings(rig) == 1


async def test_a_one_minute_exam_gets_no_warning(tmp_path: Path) -> None:
    catalog = make_catalog(
        objectives=1, per_objective=3, exam=ExamSettings(questions=2, minutes=1, pass_mark=1)
    )
    async with running_bot(tmp_path, catalog=catalog) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        for _ in range(2):
            rig.clock.advance(timedelta(seconds=20))
            await tick(rig)
        assert warnings(rig) == 0
        assert (await run_of(rig)).status == "running"


async def test_a_timed_out_exam_loses_its_buttons_and_a_stale_press_records_nothing(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        await answer_exam_question(rig, ADA, right=True)
        open_sent, open_message = (await exam_messages(rig))[-1]
        assert has_buttons(rig, open_message)
        rig.clock.advance(timedelta(minutes=5))
        await tick(rig)
        results = len(rig.api.sent("sendMessage"))
        recorded = await answers(rig)
        assert not has_buttons(rig, open_message)
        await rig.press(ADA, f"ex:a:{open_sent}:0", message_id=open_message)
        assert toast(rig) == t("exam_over_toast")
        assert len(rig.api.sent("sendMessage")) == results  # no second result
        assert await answers(rig) == recorded
        assert (await run_of(rig)).score == 1


async def test_a_press_just_after_the_deadline_ends_the_exam_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        sent_id, _ = exam_buttons(rig, ADA.id)
        rig.clock.advance(timedelta(minutes=6))  # no tick ran yet
        await rig.press(ADA, f"ex:a:{sent_id}:0")
        assert toast(rig) == t("exam_time_up_toast")
        assert "Time's up" in rig.last_text(ADA.id)
        results = len(rig.api.sent("sendMessage"))
        await rig.press(ADA, f"ex:a:{sent_id}:1")
        assert toast(rig) == t("exam_over_toast")
        assert len(rig.api.sent("sendMessage")) == results
        assert await answers(rig) == 0
        assert (await run_of(rig)).status == "expired"


async def test_an_abandoned_exam_loses_its_buttons_and_posts_no_score(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        sent_id, message_id = (await exam_messages(rig))[-1]
        run = await run_of(rig)
        await rig.say(ADA, "/exam")
        await rig.press(ADA, callbacks.exam_abandon(run.id))
        assert rig.last_text(ADA.id) == t("exam_abandoned")
        assert not has_buttons(rig, message_id)
        sent = len(rig.api.sent("sendMessage"))
        await rig.press(ADA, f"ex:a:{sent_id}:0", message_id=message_id)
        assert toast(rig) == t("exam_over_toast")
        await rig.press(ADA, callbacks.exam_continue(run.id))
        assert toast(rig) == t("exam_over_toast")
        assert len(rig.api.sent("sendMessage")) == sent  # no scored result, no question
        assert await answers(rig) == 0
        assert (await run_of(rig)).status == "abandoned"


async def test_quiz_lesson_and_review_during_an_exam_ask_to_leave_it(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        run = await run_of(rig)
        _, question_message = (await exam_messages(rig))[-1]
        for command in ("quiz", "lesson", "review"):
            await rig.say(ADA, f"/{command}")
            ask = rig.api.last("sendMessage")
            assert ask["text"] == t(
                "exam_leave_ask", number=1, size=4, left="5 min", command=f"/{command}"
            )
            assert rig.buttons(ask) == [
                (t("exam_leave_btn"), callbacks.exam_leave(run.id, command)),
                (t("exam_keep_btn"), callbacks.exam_continue(run.id)),
            ]
        async with rig.db.read() as s:
            others = (await s.exec(select(SentQuestion).where(SentQuestion.exam_id == None))).all()  # noqa: E711
        assert not others  # nothing was mixed into the exam
        await rig.press(ADA, callbacks.exam_continue(run.id))  # keep going
        assert "Exam 1/4" in rig.last_text(ADA.id)
        assert (await run_of(rig)).status == "running"
        await rig.say(ADA, "/quiz")
        await rig.press(ADA, callbacks.exam_leave(run.id, "quiz"))
        assert t("exam_left") in rig.api.texts(ADA.id)
        assert not has_buttons(rig, question_message)
        async with rig.db.read() as s:
            quiz = (await s.exec(select(SentQuestion).where(SentQuestion.exam_id == None))).all()  # noqa: E711
            status = (await s.exec(select(ExamRun.status))).all()
    assert [q.purpose for q in quiz] == [Purpose.QUIZ]  # the /quiz question came after leaving
    assert status == ["abandoned"]


async def test_exam_size_is_capped_or_refused_with_what_is_allowed(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        for bad in ("0", "abc", "-3"):
            await rig.say(ADA, f"/exam {bad}")
            assert rig.last_text(ADA.id) == t("exam_bad_size", maximum=4)
        await rig.say(ADA, "/exam 500")
        intro = rig.api.texts(ADA.id)[-2]
        run = await run_of(rig)
    assert intro.startswith(t("exam_capped", maximum=4, size=4))
    assert run.size == 4


async def test_an_exam_press_on_an_ordinary_question_is_refused(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        async with rig.db.read() as s:
            sent = (await s.exec(select(SentQuestion))).one()
        await rig.press(ADA, f"ex:a:{sent.id}:0")
        assert toast(rig) == t("exam_not_exam_toast")
        await rig.press(ADA, f"ex:t:{sent.id}:0")
        assert toast(rig) == t("exam_not_exam_toast")
        assert await answers(rig) == 0


def test_exam_toasts_are_plain_text_and_short() -> None:
    for key in ("exam_over_toast", "exam_time_up_toast", "exam_not_exam_toast"):
        text = t(key)
        assert len(text) <= 200 and "<" not in text and "&" not in text, key
    longest = callbacks.exam_leave(10**18 - 1, "review")  # the longest id
    assert callbacks.EXAM_LEAVE.match(longest) and len(longest.encode()) <= callbacks.MAX_BYTES
