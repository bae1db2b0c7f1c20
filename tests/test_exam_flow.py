"""Mock exams end to end: proportional draw, no feedback, timer, score, misses, restart."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.content.loader import load_catalog
from bot.content.schema import ExamSettings
from bot.db.models import Card, ExamRun, SentQuestion
from bot.playground.fakeupdates import FakeUser
from bot.quiz.engine import to_displayed
from bot.tg.context import TutorContext
from bot.tg.handlers import exam as exam_handlers
from bot.tg.texts import t
from tests.botkit import ADA, BOB, MINI, BotRig, running_bot
from tests.test_srs_flow import make_catalog

CATALOG = load_catalog(MINI)


def exam_buttons(rig: BotRig, chat_id: int) -> tuple[int, list[str]]:
    """The sent id and callback data of the newest exam question message."""
    for params in reversed(rig.api.sent("sendMessage")):
        if int(params["chat_id"]) != chat_id:
            continue
        data = [d for _, d in rig.buttons(params) if d.startswith(("ex:a:", "ex:t:", "ex:s:"))]
        if data:
            return int(data[0].split(":")[2]), data
    raise AssertionError("no exam question was sent")


async def answer_exam_question(rig: BotRig, user: FakeUser, *, right: bool) -> str:
    """Answer the newest exam question right or wrong (toggling and submitting if multiple)."""
    sent_id, _ = exam_buttons(rig, user.id)
    async with rig.db.read() as s:
        sent = (await s.exec(select(SentQuestion).where(SentQuestion.id == sent_id))).one()
    course = rig.app.bot_data.catalog.course(sent.course_id)
    question = course.question(sent.question_id)
    correct = sorted(to_displayed(sent.option_order, question.correct_ids))
    chosen = (
        correct if right else [i for i in range(len(sent.option_order)) if i not in correct][:1]
    )
    if question.is_multiple:
        for i in chosen:
            await rig.press(user, f"ex:t:{sent_id}:{i}")
        await rig.press(user, f"ex:s:{sent_id}")
    else:
        await rig.press(user, f"ex:a:{sent_id}:{chosen[0]}")
    return sent.question_id


async def run_of(rig: BotRig) -> ExamRun:
    async with rig.db.read() as s:
        return (await s.exec(select(ExamRun).order_by(ExamRun.id.desc()))).first()  # type: ignore[union-attr]


async def test_exam_draws_across_objectives_in_proportion(tmp_path: Path) -> None:
    catalog = make_catalog(
        objectives=3, per_objective=10, exam=ExamSettings(questions=12, minutes=20, pass_mark=8)
    )
    async with running_bot(tmp_path, catalog=catalog) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        intro = rig.api.texts(ADA.id)[-2]
        run = await run_of(rig)
    assert "12 questions, 20 minutes, 8 correct to pass" in intro
    assert len(run.question_ids) == len(set(run.question_ids)) == 12
    assert Counter(q.split("-")[0] for q in run.question_ids) == {"q0": 4, "q1": 4, "q2": 4}
    assert run.deadline == rig.clock.now + timedelta(minutes=20)


async def test_mini_exam_draws_three_leaves_one_brewing(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        run = await run_of(rig)
    objectives = Counter(CATALOG.course("mini").question(q).objective for q in run.question_ids)
    assert objectives == {"leaves": 3, "brewing": 1}


async def test_no_feedback_during_the_exam_then_score_pass_and_breakdown(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        first_texts = len(rig.api.texts(ADA.id))
        for _ in range(3):
            await answer_exam_question(rig, ADA, right=True)
            toast = rig.api.last("answerCallbackQuery").get("text", "")
            assert toast.startswith("Saved:"), toast
        during = rig.api.texts(ADA.id)[first_texts:-1]
        await answer_exam_question(rig, ADA, right=False)
        result = rig.api.last("sendMessage")
        run = await run_of(rig)
        async with rig.db.read() as s:
            cards = (await s.exec(select(Card))).all()
    assert all("Exam" in text for text in during)  # only the next questions, no verdicts
    assert not any("Right" in text or "Not quite" in text for text in during)
    assert not cards  # exam answers leave the FSRS cards alone
    text = result["text"]
    assert "Score: <b>3/4</b> (pass mark 3)" in text and "Pass!" in text
    assert "By objective" in text
    assert "Know the kinds of tea leaves" in text and "Brew tea at the right temperature" in text
    assert (run.status, run.score, run.position) == ("finished", 3, 4)
    assert rig.buttons(result) == [("🔍 Review my misses (1)", f"ex:m:{run.id}")]


async def test_a_failed_exam_and_the_review_of_its_misses(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        missed = []
        for right in (True, False, False, True):
            question_id = await answer_exam_question(rig, ADA, right=right)
            if not right:
                missed.append(question_id)
        result = rig.api.last("sendMessage")["text"]
        run = await run_of(rig)
        await rig.press(ADA, f"ex:m:{run.id}")
        review = rig.last_text(ADA.id)
    assert "Score: <b>2/4</b>" in result and "Not a pass yet" in result
    course = CATALOG.course("mini")
    for question_id in missed:
        question = course.question(question_id)
        assert question.explanation in review.replace("&#x27;", "'")
    assert review.count("❌") == 2


async def test_shorter_exam_scales_time_and_pass_mark(tmp_path: Path) -> None:
    catalog = make_catalog(
        objectives=2, per_objective=30, exam=ExamSettings(questions=40, minutes=60, pass_mark=26)
    )
    async with running_bot(tmp_path, catalog=catalog) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam 10")
        intro = rig.api.texts(ADA.id)[-2]
        await rig.say(ADA, "/exam ten")
        running = rig.last_text(ADA.id)
        await rig.say(BOB, "/start")
        await rig.say(BOB, "/exam ten")
        bad = rig.last_text(BOB.id)
    assert "10 questions, 15 minutes, 7 correct to pass" in intro
    assert "question 1 of 10" in running  # a running exam is offered first
    assert bad == t("exam_bad_size", maximum=40)


async def test_timer_ends_the_exam_on_time(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")  # mini: 4 questions, 5 minutes
        await answer_exam_question(rig, ADA, right=True)
        rig.clock.advance(timedelta(minutes=4, seconds=59))
        await exam_handlers.exam_tick(TutorContext(rig.app))
        assert (await run_of(rig)).status == "running"
        rig.clock.advance(timedelta(seconds=1))
        await exam_handlers.exam_tick(TutorContext(rig.app))
        result = rig.api.last("sendMessage")["text"]
        run = await run_of(rig)
        await answer_exam_question(rig, ADA, right=True)  # too late: nothing changes
        after = await run_of(rig)
    assert "Time's up" in result and "You answered 1 of 4" in result
    assert "Score: <b>1/4</b>" in result
    assert (run.status, run.score) == ("expired", 1)
    assert (after.status, after.score) == ("expired", 1)


async def test_an_answer_after_the_deadline_ends_the_exam_without_counting(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        await answer_exam_question(rig, ADA, right=True)
        rig.clock.advance(timedelta(minutes=6))
        await answer_exam_question(rig, ADA, right=True)  # checked lazily on the answer
        result = rig.api.last("sendMessage")["text"]
        run = await run_of(rig)
    assert "Time's up" in result and "Score: <b>1/4</b>" in result
    assert run.status == "expired"


async def test_exam_continues_after_a_restart(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        await answer_exam_question(rig, ADA, right=True)
        old_sent, _ = exam_buttons(rig, ADA.id)
        clock = rig.clock
    async with running_bot(tmp_path, clock=clock) as rig2:  # a new app on the same database
        clock.advance(timedelta(minutes=1))
        await rig2.say(ADA, "/exam")
        offer = rig2.api.last("sendMessage")
        run = await run_of(rig2)
        assert "question 2 of 4" in offer["text"]
        assert [d for _, d in rig2.buttons(offer)] == [f"ex:c:{run.id}", f"ex:x:{run.id}"]
        await rig2.press(ADA, f"ex:c:{run.id}")
        assert "Exam 2/4" in rig2.last_text(ADA.id)
        assert "4 min left" in rig2.last_text(ADA.id)
        for _ in range(3):
            await answer_exam_question(rig2, ADA, right=True)
        await rig2.press(ADA, f"ex:a:{old_sent}:0")  # the pre-restart copy: counted once only
        result = rig2.api.sent("sendMessage")[-1]["text"]
        run = await run_of(rig2)
    assert "Score: <b>4/4</b>" in result
    assert (run.status, run.score) == ("finished", 4)


async def test_abandon_a_running_exam(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/exam")
        run = await run_of(rig)
        await rig.say(ADA, "/exam")
        await rig.press(ADA, f"ex:x:{run.id}")
        assert "abandoned" in rig.last_text(ADA.id)
        await rig.say(ADA, "/exam")
        assert "Mock exam" in rig.api.texts(ADA.id)[-2]
        runs = [r.status for r in (await _runs(rig))]
    assert runs == ["abandoned", "running"]


async def test_exam_in_a_group_and_bad_buttons(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/exam", chat_id=-1002)
        assert "private chat" in rig.last_text(-1002)
        await rig.say(ADA, "/start")
        await rig.press(ADA, "ex:a:zzz")
        assert rig.api.last("answerCallbackQuery")["text"] == "This button has expired."
        await rig.press(ADA, "ex:m:999")
        assert rig.last_text(ADA.id) == "This button has expired."


async def _runs(rig: BotRig) -> list[ExamRun]:
    async with rig.db.read() as s:
        return list((await s.exec(select(ExamRun).order_by(ExamRun.id))).all())  # type: ignore[arg-type]
