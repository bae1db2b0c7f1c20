"""End to end in a private chat: /start, /lesson, quiz polls and buttons, restart."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.db.models import Answer, Card, LessonDone
from tests.botkit import ADA, running_bot


async def test_start_enrols_the_only_course_and_asks_for_a_time(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        texts = rig.api.texts(ADA.id)
    assert "Ada" in texts[0] and "Mini course" in texts[0]
    assert "When should I send" in texts[-1]


async def test_lesson_then_poll_quiz_then_answer_marks_lesson_progress(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/lesson")
        lesson = rig.api.last("sendMessage")
        assert "Where tea comes from" in lesson["text"]
        ((_label, data),) = rig.buttons(lesson)
        assert data == "lesson:quiz:leaves"
        await rig.press(ADA, data)
        poll = rig.api.last("sendPoll")
        assert poll["type"] == "quiz" and poll["is_anonymous"] is False
        assert poll["question"] == "Which plant do green and black tea come from?"
        right = poll["correct_option_ids"][0]
        assert poll["options"][right]["text"] == "Camellia sinensis"
        await rig.vote(ADA, [right])
        feedback = rig.api.last("sendMessage")
        assert "Right" in feedback["text"]
        assert any(d.startswith("next:") for _, d in rig.buttons(feedback))
        async with rig.db.read() as s:
            answers = (await s.exec(select(Answer))).all()
            cards = (await s.exec(select(Card))).all()
    assert [(a.question_id, a.correct) for a in answers] == [("leaves-plant", True)]
    assert len(cards) == 1 and cards[0].due > rig.clock.now


async def test_wrong_poll_answer_explains_why_not(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        poll = rig.api.last("sendPoll")
        wrong = next(
            i for i, o in enumerate(poll["options"]) if o["text"] == "Aspalathus linearis"
        )
        await rig.vote(ADA, [wrong])
        text = rig.api.last("sendMessage")["text"]
    assert "Not quite" in text and "Camellia sinensis" in text and "rooibos" in text


async def test_second_vote_on_same_poll_is_graded_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        poll_id = rig.last_poll()["id"]
        await rig.vote(ADA, [0], poll_id=poll_id)
        await rig.vote(ADA, [1], poll_id=poll_id)
        async with rig.db.read() as s:
            answers = (await s.exec(select(Answer))).all()
    assert len(answers) == 1


async def test_poll_sent_before_restart_is_still_graded(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        poll = rig.last_poll()
        right = poll["correct_option_ids"][0]
    async with running_bot(tmp_path) as rig2:
        await rig2.vote(ADA, [right], poll_id=poll["id"])
        assert "Right" in rig2.last_text(ADA.id)
        async with rig2.db.read() as s:
            assert len((await s.exec(select(Answer))).all()) == 1


async def test_finishing_a_lessons_questions_marks_it_done(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/lesson")
        await rig.press(ADA, "lesson:quiz:leaves")
        for _ in range(3):
            poll = rig.last_poll()
            await rig.vote(ADA, poll["correct_option_ids"])
            buttons = rig.buttons(rig.api.last("sendMessage"))
            nxt = [d for _, d in buttons if d.startswith("next:") or d == "lesson:next"]
            if nxt[0] == "lesson:next":
                break
            await rig.press(ADA, nxt[0])
        assert "Lesson done" in rig.api.last("sendMessage")["text"]
        async with rig.db.read() as s:
            done = (await s.exec(select(LessonDone))).all()
        assert [d.lesson_id for d in done] == ["leaves"]
        await rig.say(ADA, "/lesson")
        assert "Lesson 2/2 · Water temperature" in rig.api.last("sendMessage")["text"]


async def test_take_the_quiz_after_a_question_was_sent_does_not_repeat_it(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/lesson")
        await rig.press(ADA, "lesson:quiz:leaves")  # e.g. what a scheduled delivery sends
        first = rig.last_poll()["question"]
        await rig.press(ADA, "lesson:quiz:leaves")  # the learner taps "take the quiz" anyway
        second = rig.last_poll()["question"]
    assert first != second


async def test_a_voter_who_blocked_the_bot_is_deactivated_when_feedback_fails(
    tmp_path: Path,
) -> None:
    from bot.db.models import Chat, Member
    from bot.playground.fakeapi import BLOCKED

    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        rig.api.fail_chat[ADA.id] = BLOCKED
        await rig.vote(ADA, rig.last_poll()["correct_option_ids"])
        async with rig.db.read() as s:
            chat = (await s.exec(select(Chat).where(Chat.tg_chat_id == ADA.id))).one()
            member = (await s.exec(select(Member).where(Member.tg_user_id == ADA.id))).one()
            answers = (await s.exec(select(Answer))).all()
    assert len(answers) == 1  # the answer is kept
    assert chat.active is False
    assert member.blocked is True
