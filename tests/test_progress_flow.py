"""/progress and /examdate end to end: mastery bars, streaks across time zones, the chart."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.db.models import Answer, Card, Chat, Member, PauseWindow, SentQuestion, StudyDay
from bot.srs import review as srs
from bot.study import progress as progress_uc
from bot.tg.handlers import srs as srs_handlers
from tests.botkit import ADA, T0, BotRig, running_bot
from tests.test_srs_flow import answer_poll, make_catalog

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def set_member(rig: BotRig, user_id: int, **fields: object) -> None:
    async with rig.db.begin() as s:
        member = (await s.exec(select(Member).where(Member.tg_user_id == user_id))).one()
        for key, value in fields.items():
            setattr(member, key, value)
        s.add(member)


async def answer_at(rig: BotRig, when: datetime, *, right: bool = True) -> None:
    """Answer one new question at an instant."""
    rig.clock.set(when)
    await rig.say(ADA, "/quiz")
    await answer_poll(rig, ADA, right=right)


async def progress_text(rig: BotRig) -> str:
    await rig.say(ADA, "/progress")
    return rig.api.texts(ADA.id)[-2]


async def study_days(rig: BotRig) -> list[date]:
    async with rig.db.read() as s:
        return sorted(row.day for row in (await s.exec(select(StudyDay))).all())


# --- the report ----------------------------------------------------------------------------


async def test_progress_shows_text_bars_streak_and_a_chart(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        await answer_poll(rig, ADA, right=True)
        await rig.say(ADA, "/quiz")
        await answer_poll(rig, ADA, right=False)
        await rig.say(ADA, "/progress")
        text = rig.api.texts(ADA.id)[-2]
        photo = rig.api.last("sendPhoto")
    assert "Your progress in Mini course: tea basics" in text
    assert "Lessons: <b>0/2</b>" in text
    assert "Questions answered: <b>2</b> · accuracy <b>50%</b>" in text
    assert "Streak: <b>1</b> day(s) · best <b>1</b>" in text
    assert "<b>Know the kinds of tea leaves</b>\n▓▓▓▓▓░░░░░ 50% seen" in text
    assert "░░░░░░░░░░ 0% seen" in text  # brewing: nothing seen yet
    assert "recall now" in text
    assert "/examdate YYYY-MM-DD" in text
    assert photo["caption"].startswith("📈 Mini course")


async def test_progress_in_a_private_chat_without_a_course(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/progress")
    assert "not enrolled" in rig.last_text(ADA.id)


async def test_progress_shows_next_delivery_or_paused(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        from bot.db.models import Schedule

        async with rig.db.begin() as s:
            schedule = (await s.exec(select(Schedule))).one()
            schedule.timezone = "Europe/Berlin"
            schedule.next_due_at = datetime(2027, 3, 2, 7, 0, tzinfo=UTC)
            s.add(schedule)
        running = await progress_text(rig)
        async with rig.db.begin() as s:
            schedule = (await s.exec(select(Schedule))).one()
            schedule.paused, schedule.next_due_at = True, None
            s.add(schedule)
        paused = await progress_text(rig)
    assert "Next delivery: <b>Tue 08:00</b>, your time" in running
    assert "Deliveries are paused" in paused


async def test_examdate_validates_and_progress_predicts_recall_on_the_day(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=2, per_objective=2)) as rig:
        await rig.say(ADA, "/start")
        for _ in range(3):
            await rig.say(ADA, "/quiz")
            await answer_poll(rig, ADA, right=True)
        replies = []
        for arg in ("2027-02-28", "2027-13-01", "soon", "2027-03-31"):
            await rig.say(ADA, f"/examdate {arg}")
            replies.append(rig.last_text(ADA.id))
        await rig.say(ADA, "/examdate")
        shown = rig.last_text(ADA.id)
        text = await progress_text(rig)
        out = await progress_uc.progress_report(
            rig.db, rig.app.bot_data.catalog, chat_id=ADA.id, user_id=ADA.id, now=rig.clock.now
        )
        await rig.say(ADA, "/examdate off")
        cleared = rig.last_text(ADA.id)
        async with rig.db.read() as s:
            member = (await s.exec(select(Member))).one()
    assert "is in the past" in replies[0]
    assert "YYYY-MM-DD" in replies[1] and "YYYY-MM-DD" in replies[2]
    assert "Exam date saved: <b>2027-03-31</b> (30 day(s) to go)" in replies[3]
    assert "2027-03-31" in shown
    assert "Exam on 2027-03-31</b>: 30 day(s) to go" in text
    assert "on exam day" in text
    assert "Weakest on exam day: <b>Objective 1</b>" in text
    assert out is not None
    for row in out.objectives:  # memory fades: less recall on the day than now
        assert row.recall_exam is not None and row.recall_exam < row.recall_now
    assert "removed" in cleared and member.exam_date is None


async def test_review_favours_the_weakest_objective_as_the_exam_nears(tmp_path: Path) -> None:
    catalog = make_catalog(objectives=3, per_objective=2)
    firsts = {}
    for exam_date in ("2027-03-10", "2027-06-30"):
        sub = tmp_path / exam_date
        sub.mkdir()
        async with running_bot(sub, catalog=catalog) as rig:
            await rig.say(ADA, "/start")
            for _ in range(5):  # q0-0, q0-1, q1-0, q1-1, q2-0: objective 2 is half unseen
                await rig.say(ADA, "/quiz")
                await answer_poll(rig, ADA, right=True)
            await rig.say(ADA, f"/examdate {exam_date}")
            rig.clock.advance(timedelta(days=3))
            await rig.say(ADA, "/review")
            firsts[exam_date] = (rig.api.texts(ADA.id)[-2], rig.last_text(ADA.id))
    near_intro, near_question = firsts["2027-03-10"]
    far_intro, far_question = firsts["2027-06-30"]
    assert "exam is near, so <b>Objective 2</b> come first" in near_intro
    assert near_question == "Question 2-0?"
    assert "exam is near" not in far_intro
    assert far_question == "Question 0-0?"


async def test_progress_lists_top_confusions(tmp_path: Path) -> None:
    catalog = make_catalog(objectives=1, per_objective=4, drill_pairs=4)
    async with running_bot(tmp_path, catalog=catalog) as rig:
        await rig.say(ADA, "/start")
        for _ in range(3):
            await rig.say(ADA, "/quiz")
            poll = rig.last_poll()
            wrong = next(i for i, o in enumerate(poll["options"]) if o["text"].startswith("wrong"))
            await rig.vote(ADA, [wrong])
        text = await progress_text(rig)
    assert "Mix-ups" in text
    assert "<b>sponsor</b> picked for <b>customer</b>: 3×" in text
    assert "/drill" in text


# --- streaks through the app --------------------------------------------------------------


async def test_streak_counts_local_days_across_a_dst_change(tmp_path: Path) -> None:
    ny = ZoneInfo("America/New_York")  # DST starts on Sunday 14 March 2027
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=20)) as rig:
        await rig.say(ADA, "/start")
        await set_member(rig, ADA.id, timezone="America/New_York")
        for day in (12, 13, 14, 15):
            await answer_at(rig, datetime(2027, 3, day, 23, 30, tzinfo=ny))
        await answer_at(rig, datetime(2027, 3, 16, 0, 15, tzinfo=ny))  # just after midnight
        days = await study_days(rig)
        text = await progress_text(rig)
    assert days == [date(2027, 3, d) for d in (12, 13, 14, 15, 16)]
    assert "Streak: <b>5</b> day(s) · best <b>5</b>" in text


async def test_streak_does_not_jump_when_the_time_zone_changes(tmp_path: Path) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=20)) as rig:
        await rig.say(ADA, "/start")
        await set_member(rig, ADA.id, timezone="Asia/Tokyo")
        # Monday 08:00 in Tokyo is Sunday 23:00 UTC
        await answer_at(rig, datetime(2027, 3, 8, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
        await set_member(rig, ADA.id, timezone="America/Los_Angeles")  # flies east to west
        la = ZoneInfo("America/Los_Angeles")
        await answer_at(rig, datetime(2027, 3, 8, 9, 0, tzinfo=la))  # Monday again, in LA
        monday = await progress_text(rig)
        await answer_at(rig, datetime(2027, 3, 9, 9, 0, tzinfo=la))
        tuesday = await progress_text(rig)
        days = await study_days(rig)
    assert days == [date(2027, 3, 8), date(2027, 3, 9)]
    assert "Streak: <b>1</b> day(s)" in monday
    assert "Streak: <b>2</b> day(s) · best <b>2</b>" in tuesday


async def test_a_missed_day_uses_the_weekly_freeze_and_a_second_breaks_the_streak(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=20)) as rig:
        await rig.say(ADA, "/start")
        texts = {}
        for day in (1, 2, 4, 6):  # Mon 1 March..: Wed 3 missed (freeze), Fri 5 missed (broken)
            await answer_at(rig, T0.replace(day=day))
            texts[day] = await progress_text(rig)
    assert "Streak: <b>2</b> day(s)" in texts[2]
    assert "Streak: <b>3</b> day(s) · best <b>3</b> · ❄️ freeze ready: 0" in texts[4]
    assert "Streak: <b>1</b> day(s) · best <b>3</b>" in texts[6]


async def test_pause_freezes_the_streak(tmp_path: Path) -> None:
    async with running_bot(tmp_path, catalog=make_catalog(objectives=1, per_objective=20)) as rig:
        await rig.say(ADA, "/start")
        for day in (1, 2):
            await answer_at(rig, T0.replace(day=day))
        async with rig.db.begin() as s:
            member = (await s.exec(select(Member))).one()
            s.add(PauseWindow(member_id=member.id, start_day=date(2027, 3, 3), end_day=None))
        rig.clock.set(T0.replace(day=5))
        paused = await progress_text(rig)  # still paused: no days lost
        async with rig.db.begin() as s:
            window = (await s.exec(select(PauseWindow))).one()
            window.end_day = date(2027, 3, 5)
            s.add(window)
        await answer_at(rig, T0.replace(day=6))
        back = await progress_text(rig)
    assert "Streak: <b>2</b> day(s)" in paused
    assert "Streak: <b>3</b> day(s) · best <b>3</b> · ❄️ freeze ready: 1" in back


# --- the chart ------------------------------------------------------------------------------


async def test_chart_is_a_valid_png_for_a_learner_with_no_data(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        out = await progress_uc.progress_report(
            rig.db, rig.app.bot_data.catalog, chat_id=ADA.id, user_id=ADA.id, now=rig.clock.now
        )
        assert out is not None
        png = await srs_handlers.progress_chart(out)
        await rig.say(ADA, "/progress")
        assert rig.api.last("sendPhoto")["chat_id"] == ADA.id
    assert out.answered == 0 and out.daily == ()
    assert png_size(png) == (900, 1000)
    assert 5_000 < len(png) < 10_000_000


async def test_chart_is_a_valid_png_for_a_year_of_data(tmp_path: Path) -> None:
    catalog = make_catalog(objectives=3, per_objective=10)
    course = catalog.course("syn")
    assert course is not None
    async with running_bot(tmp_path, catalog=catalog) as rig:
        await rig.say(ADA, "/start")
        now = rig.clock.now
        async with rig.db.begin() as s:
            member = (await s.exec(select(Member))).one()
            chat = (await s.exec(select(Chat))).one()
            for n, question in enumerate(course.questions):  # a card per question, reviewed
                state, _ = srs.review(None, srs.Rating.GOOD, card_id=n + 1, now=now)
                s.add(
                    Card(
                        id=n + 1,
                        member_id=member.id,
                        course_id="syn",
                        question_id=question.id,
                        objective=question.objective,
                        data=state.data,
                        due=state.due,
                        state=state.state,
                        stability=state.stability,
                        difficulty=state.difficulty,
                        last_review=now,
                    )
                )
            for day in range(365):
                at = now - timedelta(days=day)
                s.add(StudyDay(member_id=member.id, day=at.date()))
                for k in range(day % 7 + 1):
                    question = course.questions[(day + k) % len(course.questions)]
                    sent = SentQuestion(
                        chat_id=chat.id,
                        member_id=member.id,
                        course_id="syn",
                        lesson_id=question.lesson_id,
                        question_id=question.id,
                        option_order=[0, 1, 2],
                        sent_at=at,
                    )
                    s.add(sent)
                    await s.flush()
                    s.add(
                        Answer(
                            sent_question_id=sent.id,
                            member_id=member.id,
                            chat_id=chat.id,
                            course_id="syn",
                            question_id=question.id,
                            objective=question.objective,
                            chosen=[0],
                            correct=(day + k) % 3 != 0,
                            answered_at=at,
                        )
                    )
        out = await progress_uc.progress_report(
            rig.db, catalog, chat_id=ADA.id, user_id=ADA.id, now=now
        )
        assert out is not None
        png = await srs_handlers.progress_chart(out)
        text = await progress_text(rig)
        photos = rig.api.sent("sendPhoto")
    assert len(out.daily) == 57  # the 8-week window (and today)
    assert out.answered == sum(d % 7 + 1 for d in range(365))
    assert png_size(png) == (900, 1000)
    assert len(png) < 10_000_000  # Telegram's photo limit
    assert "Streak: <b>365</b> day(s)" in text
    assert len(photos) == 1
