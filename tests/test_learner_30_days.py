"""A simulated learner studies for 30 days through the real app with an injected clock.

Each day: /review answers every due card (always right, except one chosen question answered
wrong the first three times it comes back), then /quiz asks for new questions until the daily
limit says no. One day is skipped. At the end: a mock exam and /progress.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from sqlmodel import col, select

from bot.content.schema import ExamSettings
from bot.db.models import Card, ExamRun, ReviewLog
from tests.botkit import ADA, T0, BotRig, running_bot
from tests.test_exam_flow import answer_exam_question
from tests.test_srs_flow import (
    answer_poll,
    make_catalog,
    next_button,
    polls_sent,
    sent_for_poll,
    set_chat,
)

DAYS = 30
SKIPPED_DAY = 15
MISTAKEN = "q0-0"  # the first question learnt; answered wrong on its first 3 reviews
NEW_PER_DAY = 1


async def review_session(rig: BotRig, day: int, wrong_days: list[int]) -> list[str]:
    """Answer the /review session of the day; return the question ids asked."""
    before = polls_sent(rig)
    await rig.say(ADA, "/review")
    if polls_sent(rig) == before:
        return []
    asked = []
    while True:
        sent = await sent_for_poll(rig, rig.last_poll()["id"])
        wrong = sent.question_id == MISTAKEN and len(wrong_days) < 3
        if wrong:
            wrong_days.append(day)
        asked.append(await answer_poll(rig, ADA, right=not wrong))
        data = next_button(rig)
        before = polls_sent(rig)
        if data is None:
            return asked
        await rig.press(ADA, data)
        if polls_sent(rig) == before:
            return asked


async def new_questions(rig: BotRig) -> int:
    """Ask /quiz until the daily limit of new questions refuses; return how many came."""
    count = 0
    for _ in range(NEW_PER_DAY + 1):
        before = polls_sent(rig)
        await rig.say(ADA, "/quiz")
        if polls_sent(rig) == before:
            break
        await answer_poll(rig, ADA, right=True)
        count += 1
    return count


def gaps(days: list[date]) -> list[int]:
    """Days between consecutive review days (several reviews on one day count once)."""
    unique = sorted(set(days))
    return [(b - a).days for a, b in pairwise(unique)]


async def test_a_learner_over_30_days(tmp_path: Path) -> None:
    catalog = make_catalog(
        objectives=3, per_objective=20, exam=ExamSettings(questions=6, minutes=10, pass_mark=4)
    )
    wrong_days: list[int] = []
    streaks: dict[int, str] = {}
    new_counts = []
    async with running_bot(tmp_path, catalog=catalog) as rig:
        await rig.say(ADA, "/start")
        await set_chat(rig, ADA.id, new_per_day=NEW_PER_DAY)
        for day in range(DAYS):
            if day == SKIPPED_DAY:
                continue
            rig.clock.set(T0 + timedelta(days=day, hours=2))  # 08:00 UTC every day
            await review_session(rig, day, wrong_days)
            new_counts.append(await new_questions(rig))
            if day in (SKIPPED_DAY - 1, SKIPPED_DAY + 1):
                await rig.say(ADA, "/progress")
                streaks[day] = rig.api.texts(ADA.id)[-2]

        async with rig.db.read() as s:
            cards = {c.id: c for c in (await s.exec(select(Card))).all()}
            logs = (await s.exec(select(ReviewLog).order_by(col(ReviewLog.reviewed_at)))).all()

        # a mock exam on day 30: all right but one
        rig.clock.set(T0 + timedelta(days=DAYS, hours=2))
        await rig.say(ADA, "/exam")
        for n in range(6):
            await answer_exam_question(rig, ADA, right=n != 2)
        result = rig.api.last("sendMessage")["text"]
        async with rig.db.read() as s:
            run = (await s.exec(select(ExamRun))).one()

        await rig.say(ADA, "/progress")
        final = rig.api.texts(ADA.id)[-2]
        photo = rig.api.last("sendPhoto")

    review_days: dict[str, list[date]] = defaultdict(list)
    for log in logs:
        review_days[cards[log.card_id].question_id].append(log.reviewed_at.date())

    # 1. daily limits: exactly NEW_PER_DAY new questions every day studied
    assert new_counts == [NEW_PER_DAY] * (DAYS - 1)

    # 2. always-right cards come back at growing intervals
    learnt_first = [q for q in ("q0-1", "q0-2", "q0-3") if q in review_days]
    assert learnt_first
    by_question = cards_by_question(cards)
    for question_id in learnt_first:
        spacing = spacing_of(question_id, review_days, by_question)
        assert len(spacing) >= 3, (question_id, spacing)
        assert spacing == sorted(spacing), (question_id, spacing)  # never shrinking
        assert spacing[-1] >= 3 * spacing[0], (question_id, spacing)

    # 3. the mistaken card comes back the next day after each lapse, and sooner overall
    assert len(wrong_days) == 3
    mistaken_days = sorted(set(review_days[MISTAKEN]))
    start = T0.date()
    for day in wrong_days:
        after = [d for d in mistaken_days if d > start + timedelta(days=day)]
        assert after and after[0] == start + timedelta(days=day + 1), (day, mistaken_days)
    right_card = by_question["q0-1"]
    mistaken_card = by_question[MISTAKEN]
    assert mistaken_card.lapses == 3 and right_card.lapses == 0
    assert mistaken_card.stability < right_card.stability
    assert (
        spacing_of(MISTAKEN, review_days, by_question)[-1]
        < (spacing_of("q0-1", review_days, by_question)[-1])
    )

    # 4. the streak counted up, a freeze covered the skipped day
    assert "Streak: <b>15</b> day(s)" in streaks[SKIPPED_DAY - 1]  # days 0..14
    assert "Streak: <b>16</b> day(s)" in streaks[SKIPPED_DAY + 1]  # kept, not broken
    assert "freeze ready: 0" in streaks[SKIPPED_DAY + 1]  # the week's freeze was spent
    # 29 days of study, the skipped one frozen, and the exam day itself
    assert f"Streak: <b>{DAYS}</b> day(s) · best <b>{DAYS}</b>" in final

    # 5. the mock exam scored correctly
    assert "Score: <b>5/6</b> (pass mark 4)" in result and "Pass!" in result
    assert (run.status, run.score) == ("finished", 5)

    # 6. /progress shows text and a chart
    # every review counts; the mock exam's 6 answers do not (an exam does not teach)
    assert f"Questions answered: <b>{len(logs)}</b>" in final
    assert "recall now" in final
    assert photo["chat_id"] == ADA.id


def spacing_of(
    question_id: str, review_days: dict[str, list[date]], by_question: dict[str, Card]
) -> list[int]:
    """Days between reviews of a card, then the interval it is scheduled for now."""
    card = by_question[question_id]
    assert card.last_review is not None
    scheduled = (card.due.date() - card.last_review.date()).days
    return [*gaps(review_days[question_id]), scheduled]


def cards_by_question(cards: dict[int | None, Card]) -> dict[str, Card]:
    return {card.question_id: card for card in cards.values()}


def test_gaps_helper() -> None:
    days = [datetime(2027, 3, d).date() for d in (1, 1, 2, 5, 12)]
    assert gaps(days) == [1, 3, 7]
