"""Spaced repetition end to end: cards in the DB, /review, limits, /mistakes, /study, /drill."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from bot.content.schema import (
    Catalog,
    Course,
    ExamSettings,
    Lesson,
    Objective,
    Option,
    Question,
    QuestionType,
)
from bot.db.models import Answer, Card, Chat, Confusion, ReviewLog, SentQuestion
from bot.playground.fakeupdates import FakeUser
from bot.srs import review as srs
from bot.study import answers
from bot.study.types import Who
from bot.tg.handlers import srs as srs_handlers
from tests.botkit import ADA, BOB, BotRig, running_bot

# --- helpers shared by the SRS, progress, exam and 30-day tests --------------------------------


def make_catalog(
    *,
    objectives: int = 3,
    per_objective: int = 10,
    exam: ExamSettings | None = None,
    drill_pairs: int = 0,
) -> Catalog:
    """A synthetic course "syn": one lesson per objective, single-answer questions.

    With ``drill_pairs``, the first questions of objective 0 carry the concepts "customer" (right)
    and "sponsor" (wrong), so picking "sponsor" there is a confusion a /drill can contrast.
    """
    lessons = []
    objective_rows = []
    for o in range(objectives):
        objective_rows.append(Objective(id=f"obj{o}", title=f"Objective {o}"))
        questions = []
        for q in range(per_objective):
            concepts = ("customer", "sponsor") if o == 0 and q < drill_pairs else (None, None)
            questions.append(
                Question(
                    id=f"q{o}-{q}",
                    course_id="syn",
                    lesson_id=f"l{o}",
                    type=QuestionType.SINGLE,
                    prompt=f"Question {o}-{q}?",
                    options=(
                        Option(text=f"right {o}-{q}", correct=True, concept=concepts[0]),
                        Option(
                            text=f"wrong {o}-{q}",
                            correct=False,
                            why_not="Because.",
                            concept=concepts[1],
                        ),
                        Option(text=f"other {o}-{q}", correct=False),
                    ),
                    explanation=f"Explained {o}-{q}.",
                    objective=f"obj{o}",
                )
            )
        lessons.append(
            Lesson(
                id=f"l{o}",
                course_id="syn",
                title=f"Lesson {o}",
                position=o + 1,
                objectives=(f"obj{o}",),
                body="Body.",
                questions=tuple(questions),
                file=f"l{o}.yaml",
            )
        )
    course = Course(
        id="syn",
        title="Synthetic course",
        description="Built in tests.",
        language="en",
        version="1",
        objectives=tuple(objective_rows),
        exam=exam,
        lessons=tuple(lessons),
    )
    return Catalog(courses=(course,))


async def set_chat(rig: BotRig, tg_chat_id: int, **fields: Any) -> None:
    """Change chat settings directly in the database."""
    async with rig.db.begin() as s:
        chat = (await s.exec(select(Chat).where(Chat.tg_chat_id == tg_chat_id))).one()
        for key, value in fields.items():
            setattr(chat, key, value)
        s.add(chat)


async def sent_for_poll(rig: BotRig, poll_id: str) -> SentQuestion:
    """The stored question behind a poll."""
    async with rig.db.read() as s:
        return (await s.exec(select(SentQuestion).where(SentQuestion.poll_id == poll_id))).one()


async def answer_poll(rig: BotRig, user: FakeUser, *, right: bool) -> str:
    """Vote in the newest poll, right or wrong; return the question id."""
    poll = rig.last_poll()
    correct = list(poll["correct_option_ids"])
    if right:
        choice = correct
    else:
        choice = [next(i for i in range(len(poll["options"])) if i not in correct)]
    sent = await sent_for_poll(rig, poll["id"])
    await rig.vote(user, choice, poll_id=poll["id"])
    return sent.question_id


def polls_sent(rig: BotRig) -> int:
    return len(rig.api.sent("sendPoll"))


async def card_of(rig: BotRig, question_id: str) -> Card:
    async with rig.db.read() as s:
        return (await s.exec(select(Card).where(Card.question_id == question_id))).one()


def next_button(rig: BotRig) -> str | None:
    """The "next question" callback of the newest feedback message, if any."""
    feedback = rig.api.last("sendMessage")
    found = [d for _, d in rig.buttons(feedback) if d.startswith(("next:", "rv:next:"))]
    if not found or any(d.endswith(":done") for d in found):  # "one more / done": the end
        return None
    return found[0]


async def finish_session(
    rig: BotRig, user: FakeUser, *, wrong: frozenset[str] = frozenset()
) -> list[str]:
    """Answer the session's questions one after the other (the "next" button); return them."""
    asked = []
    while True:
        poll_id = rig.last_poll()["id"]
        sent = await sent_for_poll(rig, poll_id)
        asked.append(await answer_poll(rig, user, right=sent.question_id not in wrong))
        data = next_button(rig)
        before = polls_sent(rig)
        if data is None:
            return asked
        await rig.press(user, data)
        if polls_sent(rig) == before:
            return asked


# --- tests ----------------------------------------------------------------------------------


async def test_fsrs_state_round_trips_through_the_database(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        question_id = await answer_poll(rig, ADA, right=True)
        card = await card_of(rig, question_id)
        async with rig.db.read() as s:
            logs = (await s.exec(select(ReviewLog))).all()
    state = srs.from_dict(card.data)
    assert state.due == card.due
    assert state.stability == card.stability
    assert state.state == card.state == srs.Stage.LEARNING
    assert state.data == card.data  # to_dict -> JSON column -> from_dict -> to_dict is stable
    assert [(log.card_id, log.rating) for log in logs] == [(card.id, 3)]
    # the stored state keeps working: a second review from it moves the card on
    again, _ = srs.review(state, srs.Rating.GOOD, card_id=card.id, now=card.due)
    assert again.state == srs.Stage.REVIEW and again.due > card.due


async def test_review_offers_a_card_only_once_it_is_due(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        question_id = await answer_poll(rig, ADA, right=True)
        card = await card_of(rig, question_id)
        assert card.due == rig.clock.now + timedelta(minutes=10)  # FSRS learning step

        before = polls_sent(rig)
        await rig.say(ADA, "/review")
        assert "Nothing to review right now" in rig.last_text(ADA.id)
        assert "06:10" in rig.last_text(ADA.id)  # next due, in the learner's time (UTC)
        rig.clock.advance(timedelta(minutes=9))
        await rig.say(ADA, "/review")
        assert polls_sent(rig) == before

        rig.clock.advance(timedelta(minutes=1))
        await rig.say(ADA, "/review")
        assert "1 card(s) due" in rig.api.texts(ADA.id)[-2]
        assert polls_sent(rig) == before + 1
        sent = await sent_for_poll(rig, rig.last_poll()["id"])
    assert (sent.question_id, sent.purpose) == (question_id, "review")


async def test_review_session_covers_due_cards_and_a_lapse_comes_back_first(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=3)) as rig:
        await rig.say(ADA, "/start")
        for _ in range(3):
            await rig.say(ADA, "/quiz")
            await answer_poll(rig, ADA, right=True)
        rig.clock.advance(timedelta(days=1))
        await rig.say(ADA, "/review")
        asked = await finish_session(rig, ADA, wrong=frozenset({"q0-1"}))
        rig.clock.advance(timedelta(minutes=10))  # the lapse's relearning step is over
        await rig.say(ADA, "/review")
        again = await finish_session(rig, ADA)
        dues = {q: (await card_of(rig, q)).due for q in ("q0-0", "q0-1", "q0-2")}
    assert sorted(asked) == ["q0-0", "q0-1", "q0-2"]
    assert again == ["q0-1"]
    assert dues["q0-1"] < min(dues["q0-0"], dues["q0-2"])  # the lapse stays closer
    assert min(dues["q0-0"], dues["q0-2"]) - rig.clock.now > timedelta(days=1)


async def test_daily_limit_of_new_questions_in_quiz(tmp_path: Path) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=5)) as rig:
        await rig.say(ADA, "/start")
        await set_chat(rig, ADA.id, new_per_day=2)
        for _ in range(2):
            await rig.say(ADA, "/quiz")
            await answer_poll(rig, ADA, right=True)
        before = polls_sent(rig)
        await rig.say(ADA, "/quiz")
        assert polls_sent(rig) == before  # third new question today: refused
        rig.clock.advance(timedelta(days=1))  # a new local day (reviews come first)
        await rig.say(ADA, "/quiz")
        sent = await sent_for_poll(rig, rig.last_poll()["id"])
        assert sent.question_id in {"q0-0", "q0-1"}  # due review first
        await answer_poll(rig, ADA, right=True)
        await rig.say(ADA, "/quiz")
        await answer_poll(rig, ADA, right=True)
        await rig.say(ADA, "/quiz")
        sent = await sent_for_poll(rig, rig.last_poll()["id"])
    assert sent.question_id == "q0-2"  # new again on the new day


async def test_daily_limit_of_reviews(tmp_path: Path) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=3)) as rig:
        await rig.say(ADA, "/start")
        await set_chat(rig, ADA.id, reviews_per_day=1)
        for _ in range(3):
            await rig.say(ADA, "/quiz")
            await answer_poll(rig, ADA, right=True)
        rig.clock.advance(timedelta(days=1))
        await rig.say(ADA, "/review")
        assert "1 card(s) due" in rig.api.texts(ADA.id)[-2]  # 3 due, 1 allowed
        asked = await finish_session(rig, ADA)
        assert len(asked) == 1
        await rig.say(ADA, "/review")
        assert "today's 1 reviews" in rig.last_text(ADA.id)
        before = polls_sent(rig)
        await set_chat(rig, ADA.id, new_per_day=0)
        await rig.say(ADA, "/quiz")  # the /quiz path honours the same limit
        assert polls_sent(rig) == before


async def test_mistakes_newest_first_and_next_button_follows_the_plan(tmp_path: Path) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=4)) as rig:
        await rig.say(ADA, "/start")
        for right in (False, True, False, False):
            await rig.say(ADA, "/quiz")
            await answer_poll(rig, ADA, right=right)
            rig.clock.advance(timedelta(seconds=5))  # before any learning step is due
        await rig.say(ADA, "/mistakes")
        assert "3 question(s), newest first" in rig.api.texts(ADA.id)[-2]
        asked = await finish_session(rig, ADA)
        async with rig.db.read() as s:
            purposes = (
                await s.exec(
                    select(SentQuestion.purpose).order_by(col(SentQuestion.id).desc()).limit(3)
                )
            ).all()
    assert asked == ["q0-3", "q0-2", "q0-0"]
    assert list(purposes) == ["mistakes"] * 3


async def test_session_next_button_with_own_prefix(tmp_path: Path) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=3)) as rig:
        await rig.say(ADA, "/start")
        for _ in range(2):
            await rig.say(ADA, "/quiz")
            await answer_poll(rig, ADA, right=False)
            rig.clock.advance(timedelta(seconds=5))
        await rig.say(ADA, "/mistakes")
        await answer_poll(rig, ADA, right=True)
        await rig.press(ADA, "rv:next:mistakes:1")
        second = await sent_for_poll(rig, rig.last_poll()["id"])
        await rig.press(ADA, "rv:next:mistakes:2")
    assert (second.question_id, second.purpose, second.session_index) == ("q0-0", "mistakes", 2)
    assert "end of this session" in rig.last_text(ADA.id)


async def test_mistakes_with_none(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/mistakes")
    assert "No mistakes" in rig.last_text(ADA.id)


async def test_study_five_minutes_plans_ten_questions_lowest_recall_first(tmp_path: Path) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=2, per_objective=10)) as rig:
        await rig.say(ADA, "/start")
        for right in (True, False):
            await rig.say(ADA, "/quiz")
            await answer_poll(rig, ADA, right=right)
        rig.clock.advance(timedelta(hours=1))
        await rig.say(ADA, "/study 5")
        intro = rig.api.texts(ADA.id)[-2]
        first = await sent_for_poll(rig, rig.last_poll()["id"])
        asked = await finish_session(rig, ADA)
        await rig.say(ADA, "/study 1")
        short = rig.api.texts(ADA.id)[-2]
        await rig.say(ADA, "/study lots")
        bad = rig.last_text(ADA.id)
    assert "5-minute session</b>: 10 question(s)" in intro
    assert first.question_id == "q0-1"  # answered wrong: the lowest predicted recall
    assert len(asked) == 10 and len(set(asked)) == 10
    assert asked[1] == "q0-0"  # then the other seen card, then new questions
    assert "2 question(s)" in short
    assert "/study 5" in bad


async def test_drill_contrasts_the_top_confusion(tmp_path: Path) -> None:
    catalog = make_catalog(objectives=2, per_objective=6, drill_pairs=3)
    async with running_bot(tmp_path, catalog=catalog) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/drill")
        assert "No mix-ups" in rig.last_text(ADA.id)
        for _ in range(2):  # pick "sponsor" where "customer" is right, twice
            await rig.say(ADA, "/quiz")
            poll = rig.last_poll()
            wrong = next(i for i, o in enumerate(poll["options"]) if o["text"].startswith("wrong"))
            await rig.vote(ADA, [wrong])
        assert "picked <b>sponsor</b> where <b>customer</b> was right 2 times" in rig.last_text(
            ADA.id
        )
        await rig.say(ADA, "/drill")
        intro = rig.api.texts(ADA.id)[-2]
        asked = await finish_session(rig, ADA)
        async with rig.db.read() as s:
            confusion = (await s.exec(select(Confusion))).one()
    assert "<b>customer</b> vs <b>sponsor</b>, 3 question(s)" in intro
    assert sorted(asked) == ["q0-0", "q0-1", "q0-2"]  # only the contrasting questions
    assert (confusion.expected, confusion.chosen, confusion.count) == ("customer", "sponsor", 2)


async def test_guessed_after_a_right_poll_answer_rerates_it_hard(tmp_path: Path) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=2)) as rig:
        for user in (ADA, BOB):
            await rig.say(user, "/start")
            await rig.say(user, "/quiz")
            sent = await sent_for_poll(rig, rig.last_poll()["id"])
            await answer_poll(rig, user, right=True)
            action = "sure" if user is ADA else "guess"
            await rig.press(user, f"cf:{action}:{sent.id}")
            assert rig.api.last("answerCallbackQuery")["text"].startswith("Noted")
            await rig.press(user, f"cf:guess:{sent.id}")
            assert rig.api.last("answerCallbackQuery")["text"] == "Already noted."
        async with rig.db.read() as s:
            cards = {c.member_id: c for c in (await s.exec(select(Card))).all()}
            answers = {a.member_id: a for a in (await s.exec(select(Answer))).all()}
            logs = {log.member_id: log for log in (await s.exec(select(ReviewLog))).all()}
    ada, bob = cards[1], cards[2]
    assert (answers[1].confidence, answers[1].rating, logs[1].rating) == ("sure", 3, 3)
    assert (answers[2].confidence, answers[2].rating, logs[2].rating) == ("guessed", 2, 2)
    assert bob.due < ada.due  # a guess comes back sooner
    assert srs.from_dict(bob.data).due == bob.due  # the replayed state is consistent


async def test_confidence_button_of_someone_else_is_refused(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        sent = await sent_for_poll(rig, rig.last_poll()["id"])
        await answer_poll(rig, ADA, right=True)
        await rig.say(BOB, "/start")
        await rig.press(BOB, f"cf:guess:{sent.id}", chat_id=BOB.id)
        assert rig.api.last("answerCallbackQuery")["text"] == "This button has expired."
        await rig.press(ADA, "cf:guess:notanumber")
        assert rig.api.last("answerCallbackQuery")["text"] == "This button has expired."


async def test_right_poll_answer_outcome_asks_sure_or_guessed(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        poll = rig.last_poll()
        who = Who(chat_id=0, chat_kind="unknown", user_id=ADA.id, first_name="Ada")
        outcome = await answers.record_poll_answer(
            rig.db,
            rig.app.bot_data.catalog,
            poll_id=poll["id"],
            who=who,
            option_ids=poll["correct_option_ids"],
            now=rig.clock.now,
        )
    assert outcome is not None
    labels = [label for label, _ in srs_handlers.confidence_buttons(outcome)]
    assert labels == ["😎 Sure", "🤔 Guessed"]


async def test_review_commands_in_a_group_point_to_the_private_chat(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/review", chat_id=-1001)
    assert "private chat" in rig.last_text(-1001)
