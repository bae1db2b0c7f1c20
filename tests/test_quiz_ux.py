"""Quiz UX in a private chat: multiple-answer questions, /lesson N, the daily new-question limit.

Everything runs through the real Application (tests/botkit.py) with inline-button questions;
texts are compared through `t(key)`, never copied English.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from bot.content.markup import render_lesson
from bot.content.schema import Question
from bot.db import repo
from bot.db.models import Answer, SentQuestion
from bot.study import reviews
from bot.tg import callbacks
from bot.tg.texts import t
from tests.botkit import ADA, BotRig, running_bot
from tests.test_srs_flow import answer_poll, make_catalog, polls_sent, set_chat

MULTIPLE = "leaves-oxidised"  # "Which statements are true? (choose 2)": options 0 and 1 are right


async def _buttons_chat(rig: BotRig, **values: Any) -> None:
    """Ada starts, with inline-button questions, no "not sure" button and `values` set."""
    await rig.say(ADA, "/start")
    async with rig.db.begin() as s:
        chat = await repo.get_chat(s, ADA.id)
        assert chat is not None
        chat.quiz_style = "buttons"
        chat.confidence_prompt = False
        for key, value in values.items():
            setattr(chat, key, value)
        s.add(chat)


async def _newest_sent(rig: BotRig) -> SentQuestion:
    async with rig.db.read() as s:
        return (await s.exec(select(SentQuestion).order_by(col(SentQuestion.id).desc()))).first()


def _question(rig: BotRig, sent: SentQuestion) -> Question:
    course = rig.app.bot_data.catalog.course(sent.course_id)
    assert course is not None
    question = course.question(sent.question_id)
    assert question is not None
    return question


def _shown(sent: SentQuestion, original: int) -> int:
    """Where option `original` of the question is shown (its letter index)."""
    return sent.option_order.index(original)


async def _answer_right(rig: BotRig, sent: SentQuestion) -> None:
    question = _question(rig, sent)
    if question.is_multiple:
        for i in question.correct_ids:
            await rig.press(ADA, callbacks.quiz_option("t", sent.id, _shown(sent, i)))
        await rig.press(ADA, callbacks.quiz_submit(sent.id))
    else:
        shown = _shown(sent, question.correct_ids[0])
        await rig.press(ADA, callbacks.quiz_option("a", sent.id, shown))


async def _quiz_until(rig: BotRig, question_id: str) -> tuple[SentQuestion, int]:
    """/quiz, then answer right until `question_id` is asked; return it and its place."""
    await rig.say(ADA, "/quiz")
    return await _quiz_until_from(rig, question_id, start=1)


async def _quiz_until_from(
    rig: BotRig, question_id: str, *, start: int
) -> tuple[SentQuestion, int]:
    """Answer right and press "next" from question `start` of a session until `question_id`."""
    for place in range(start, 10):
        sent = await _newest_sent(rig)
        if sent.question_id == question_id:
            return sent, place
        await _answer_right(rig, sent)
        await rig.press(ADA, callbacks.next_question(place))
    raise AssertionError(f"{question_id} was never asked")


def _message_text(rig: BotRig, sent: SentQuestion) -> str:
    assert sent.tg_message_id is not None
    return str(rig.api.message(ADA.id, sent.tg_message_id)["text"])


def _toasts(rig: BotRig) -> list[str]:
    return [str(c.get("text", "")) for c in rig.api.sent("answerCallbackQuery")]


def _line_of(text: str, option: str) -> str:
    return next(line for line in text.splitlines() if line.endswith(option))


async def _stored_answers(rig: BotRig) -> list[Answer]:
    async with rig.db.read() as s:
        return list((await s.exec(select(Answer))).all())


# --- 1. multiple-answer questions ------------------------------------------------------------


async def test_feedback_tells_picked_right_from_missed_and_wrong(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await _buttons_chat(rig)
        sent, _place = await _quiz_until(rig, MULTIPLE)
        await rig.press(ADA, callbacks.quiz_option("t", sent.id, _shown(sent, 0)))  # right
        await rig.press(ADA, callbacks.quiz_option("t", sent.id, _shown(sent, 2)))  # wrong
        await rig.press(ADA, callbacks.quiz_submit(sent.id))
        text = _message_text(rig, sent)
    picked_right = _line_of(text, "Black tea is fully oxidised")
    missed = _line_of(text, "Green tea is not oxidised")
    picked_wrong = _line_of(text, "Rooibos is a true tea")
    assert picked_right.startswith(t("mark_right") + " ")
    assert missed.startswith(t("mark_missed") + " ")
    assert picked_wrong.startswith(t("mark_wrong") + " ")
    letters = "ABC"
    assert t("picks_right", options=letters[_shown(sent, 0)]) in text
    assert t("picks_missed", options=letters[_shown(sent, 1)]) in text
    assert t("picks_wrong", options=letters[_shown(sent, 2)]) in text


async def test_a_fully_right_multiple_answer_marks_every_right_option_right(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as rig:
        await _buttons_chat(rig)
        sent, _place = await _quiz_until(rig, MULTIPLE)
        await _answer_right(rig, sent)
        text = _message_text(rig, sent)
    assert _line_of(text, "Black tea is fully oxidised").startswith(t("mark_right"))
    assert _line_of(text, "Green tea is not oxidised").startswith(t("mark_right"))
    assert t("mark_missed") not in text and t("answer_right") in text


async def test_choose_two_holds_the_learner_to_two_picks(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await _buttons_chat(rig)
        sent, _place = await _quiz_until(rig, MULTIPLE)
        assert t("pick_n_then_submit", n=2) in _message_text(rig, sent)
        rig.api.clear()
        await rig.press(ADA, callbacks.quiz_option("t", sent.id, 0))
        await rig.press(ADA, callbacks.quiz_submit(sent.id))  # one pick of two: refused
        await rig.press(ADA, callbacks.quiz_option("t", sent.id, 1))
        await rig.press(ADA, callbacks.quiz_option("t", sent.id, 2))  # a third tick: refused
        toasts = _toasts(rig)
        async with rig.db.read() as s:
            stored = await s.get(SentQuestion, sent.id)
        answers = await _stored_answers(rig)
        await rig.press(ADA, callbacks.quiz_option("t", sent.id, 1))  # untick one,
        await rig.press(ADA, callbacks.quiz_option("t", sent.id, 2))  # then another is fine
        await rig.press(ADA, callbacks.quiz_submit(sent.id))
        graded = await _stored_answers(rig)
    assert toasts[1] == t("pick_more_first") and toasts[3] == t("pick_limit")
    assert all(len(text) <= 200 and "<" not in text for text in toasts)
    assert stored is not None and stored.selected == [0, 1]
    assert [a.question_id for a in answers if a.question_id == MULTIPLE] == []
    chosen = sorted(
        _shown(sent, i) for i in next(a for a in graded if a.question_id == MULTIPLE).chosen
    )
    assert chosen == [0, 2]


async def test_the_header_counts_the_place_in_this_session_and_keeps_it_after_a_tick(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as rig:
        await _buttons_chat(rig, questions_per_session=5)
        await rig.say(ADA, "/quiz")
        first = await _newest_sent(rig)
        first_text = _message_text(rig, first)
        await _answer_right(rig, first)
        await rig.press(ADA, callbacks.next_question(1))
        sent, place = await _quiz_until_from(rig, MULTIPLE, start=2)
        before = _message_text(rig, sent)
        await rig.press(ADA, callbacks.quiz_option("t", sent.id, 0))
        after = _message_text(rig, sent)
    # the mini course's lessons have 3 questions each: a lesson place would read "n/3"
    assert first_text.startswith(t("question_header", counter=" 1/5"))
    assert before.startswith(t("question_header", counter=f" {place}/5"))
    assert after.startswith(t("question_header", counter=f" {place}/5"))
    assert "☑️" in after


# --- 2. /lesson N ----------------------------------------------------------------------------


async def test_lesson_n_opens_lesson_n_of_the_course(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        course = rig.app.bot_data.catalog.course("mini")
        assert course is not None
        second = course.lessons[1]
        await rig.say(ADA, "/lesson 2")  # lesson 1 is not done: /lesson alone would send it
        sent = rig.api.last("sendMessage")
        await rig.press(ADA, rig.buttons(sent)[0][1])
        asked = await _newest_sent(rig)
    assert sent["text"] == render_lesson(second, index=2, total=2)
    assert rig.buttons(sent) == [
        (t("take_quiz", count=len(second.questions)), callbacks.lesson_quiz(second.id))
    ]
    assert asked.lesson_id == second.id


async def test_lesson_with_a_bad_number_answers_with_the_valid_range(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        replies = []
        for arg in ("99", "x", "0", "-1", "9" * 5000):
            await rig.say(ADA, f"/lesson {arg}")
            replies.append(rig.last_text(ADA.id))
    assert replies == [t("lesson_range", total=2)] * 5


# --- 3. the daily new-question limit ---------------------------------------------------------


async def _quiz_new(rig: BotRig, times: int) -> list[str]:
    """/quiz and a right vote, `times` times; the question ids asked."""
    asked = []
    for _ in range(times):
        before = polls_sent(rig)
        await rig.say(ADA, "/quiz")
        assert polls_sent(rig) == before + 1, rig.last_text(ADA.id)
        asked.append(await answer_poll(rig, ADA, right=True))
    return asked


async def test_the_default_new_question_limit_fits_a_first_session(tmp_path: Path) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=25)) as rig:
        await rig.say(ADA, "/start")
        asked = await _quiz_new(rig, 20)
        await rig.say(ADA, "/quiz")
        refusal = rig.api.last("sendMessage")
    assert len(set(asked)) == 20
    assert refusal["text"] == t("srs_limit_new", limit=20)


async def test_more_new_today_raises_todays_allowance_until_midnight(tmp_path: Path) -> None:
    more = (t("srs_more_new_btn", n=5), callbacks.more_new())
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=12)) as rig:
        await rig.say(ADA, "/start")
        await set_chat(rig, ADA.id, new_per_day=2)
        first = await _quiz_new(rig, 2)
        await rig.say(ADA, "/quiz")
        refusal = rig.api.last("sendMessage")
        before = polls_sent(rig)
        await rig.press(ADA, callbacks.more_new())
        toast = rig.api.last("answerCallbackQuery")["text"]
        assert polls_sent(rig) == before + 1  # the next new question comes at once
        then = [await answer_poll(rig, ADA, right=True), *await _quiz_new(rig, 4)]
        await rig.say(ADA, "/quiz")
        second_refusal = rig.api.last("sendMessage")
        rig.clock.advance(timedelta(days=1))
        tomorrow = await reviews.daily_limits(
            rig.db, chat_id=ADA.id, user_id=ADA.id, now=rig.clock.now
        )
    assert refusal["text"] == t("srs_limit_new", limit=2) and rig.buttons(refusal) == [more]
    assert toast == t("srs_more_new_ok", n=5)
    assert len(set(first + then)) == 7  # 5 more, all new
    assert second_refusal["text"] == t("srs_limit_new", limit=7)
    assert rig.buttons(second_refusal) == [more]
    assert tomorrow is not None and tomorrow.new_today == 2 and tomorrow.new_left == 2
