"""End to end: onboarding, /settings, /pause /resume /next, /reset, /forgetme, group admins."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.content.loader import load_catalog
from bot.db.models import (
    ALL_TABLES,
    Answer,
    Card,
    Chat,
    Confusion,
    CourseProgress,
    Delivery,
    ExamRun,
    KeyValue,
    LessonDone,
    Member,
    Membership,
    PauseWindow,
    QuestionReport,
    ReviewLog,
    Schedule,
    SentQuestion,
    StudyDay,
)
from bot.playground.fakeupdates import FakeUser
from bot.tg.texts import t
from tests.botkit import ADA, BOB, MINI, BotRig, running_bot

GROUP = -1001234567890


# --- helpers -----------------------------------------------------------------------------------


async def rows(rig: BotRig, model: Any, *where: Any) -> list[Any]:
    async with rig.db.read() as s:
        return list((await s.exec(select(model).where(*where))).all())


async def chat_and_schedule(rig: BotRig, tg_chat_id: int) -> tuple[Chat, Schedule]:
    async with rig.db.read() as s:
        chat = (await s.exec(select(Chat).where(Chat.tg_chat_id == tg_chat_id))).one()
        schedule = (await s.exec(select(Schedule).where(Schedule.chat_id == chat.id))).one()
    return chat, schedule


def button_data(rig: BotRig, chat_id: int) -> list[str]:
    """Callback data of the newest bot message in a chat (as it stands after edits)."""
    newest = max(k for k in rig.api.messages if k[0] == chat_id)
    markup = rig.api.messages[newest].get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def newest_text(rig: BotRig, chat_id: int) -> str:
    """The newest bot message in a chat, as edited."""
    newest = max(k for k in rig.api.messages if k[0] == chat_id)
    return str(rig.api.messages[newest].get("text", ""))


def last_answer_text(rig: BotRig) -> str | None:
    return rig.api.last("answerCallbackQuery").get("text")


async def onboard(
    rig: BotRig,
    user: FakeUser = ADA,
    *,
    chat_id: int | None = None,
    time: str = "0800",
    days: str = "wk",
    tz: str = "Europe/Berlin",
) -> None:
    """/start and answer the three setup questions with buttons."""
    chat = chat_id if chat_id is not None else user.id
    await rig.say(user, "/start", chat_id=chat_id)
    await rig.press(user, f"set:time:{time}", chat_id=chat)
    await rig.press(user, f"set:days:{days}", chat_id=chat)
    await rig.press(user, f"set:tz:{tz}", chat_id=chat)


async def finish_first_lesson(rig: BotRig, user: FakeUser = ADA) -> None:
    """Take lesson 1's three quiz polls, answering right."""
    await rig.say(user, "/lesson")
    await rig.press(user, "lesson:quiz:leaves")
    for _ in range(3):
        await rig.vote(user, rig.last_poll()["correct_option_ids"])
        data = [d for _, d in rig.buttons(rig.api.last("sendMessage"))]
        nxt = [d for d in data if d.startswith("next:") or d == "lesson:next"]
        if nxt[0] == "lesson:next":
            break
        await rig.press(user, nxt[0])


# --- onboarding --------------------------------------------------------------------------------


async def test_onboarding_by_buttons(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        assert "set:time:0800" in button_data(rig, ADA.id)
        await rig.press(ADA, "set:time:0800")
        assert rig.last_text(ADA.id) == t("ask_days")
        assert button_data(rig, ADA.id)[:3] == ["set:days:all", "set:days:wk", "set:days:we"]
        await rig.press(ADA, "set:days:wk")
        assert rig.last_text(ADA.id) == t("ask_tz")
        assert "set:tz:Europe/Berlin" in button_data(rig, ADA.id)
        await rig.press(ADA, "set:tz:Europe/Berlin")
        done = rig.last_text(ADA.id)
        chat, schedule = await chat_and_schedule(rig, ADA.id)
        (member,) = await rows(rig, Member, Member.tg_user_id == ADA.id)
    # Monday 06:00 UTC is 07:00 in Berlin (CET): today's 08:00 slot is still ahead.
    assert "All set" in done and "Mon 08:00" in done and "Europe/Berlin" in done
    assert chat.onboarded and chat.awaiting is None
    assert (schedule.times, schedule.days, schedule.timezone) == (
        "08:00",
        "mon,tue,wed,thu,fri",
        "Europe/Berlin",
    )
    assert schedule.next_due_at == datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
    assert member.timezone == "Europe/Berlin"


async def test_no_delivery_is_scheduled_before_setup_ends(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.press(ADA, "set:time:0800")
        await rig.press(ADA, "set:days:all")
        chat, schedule = await chat_and_schedule(rig, ADA.id)
        await rig.say(ADA, "/next")
        assert rig.last_text(ADA.id) == t("next_not_set")
    assert not chat.onboarded and chat.awaiting == "tz"
    assert schedule.next_due_at is None


async def test_onboarding_by_typing_with_mistakes(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.say(ADA, "25:00")
        assert "couldn't read <code>25:00</code>" in rig.last_text(ADA.id)
        await rig.say(ADA, "07:45")
        assert rig.last_text(ADA.id) == t("ask_days")
        await rig.say(ADA, "mon,wed,fri")
        assert rig.last_text(ADA.id) == t("ask_tz")
        await rig.say(ADA, "Europe/Berln")
        bad = rig.last_text(ADA.id)
        chat, _ = await chat_and_schedule(rig, ADA.id)
        assert chat.awaiting == "tz"  # still waiting for a good one
        await rig.say(ADA, "+05:30")
        done = rig.last_text(ADA.id)
        chat, schedule = await chat_and_schedule(rig, ADA.id)
    assert "Did you mean Europe/Berlin?" in bad
    # Monday 11:30 at +05:30: the next Mon/Wed/Fri 07:45 is Wednesday (02:15 UTC).
    assert "Wed 07:45" in done and "+05:30" in done
    assert (schedule.times, schedule.days, schedule.timezone) == ("07:45", "mon,wed,fri", "+05:30")
    assert schedule.next_due_at == datetime(2027, 3, 3, 2, 15, tzinfo=UTC)
    assert chat.onboarded and chat.awaiting is None


async def test_bad_days_get_a_helpful_reply(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.press(ADA, "set:time:0700")
        await rig.say(ADA, "mon,funday")
        text = rig.last_text(ADA.id)
        chat, _ = await chat_and_schedule(rig, ADA.id)
    assert "Unknown day" in text and "funday" in text
    assert chat.awaiting == "days"


async def test_custom_days_button_asks_to_type(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.press(ADA, "set:time:0700")
        await rig.press(ADA, "set:type:days")
        assert rig.last_text(ADA.id) == t("type_days")
        await rig.say(ADA, "sat, sun")
        assert rig.last_text(ADA.id) == t("ask_tz")
        _, schedule = await chat_and_schedule(rig, ADA.id)
    assert schedule.days == "sat,sun"


async def test_free_text_gets_the_hint_when_nothing_is_awaited(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "hello?")  # before /start: no chat at all
        first = rig.last_text(ADA.id)
        await onboard(rig)
        await rig.say(ADA, "07:45")  # looks like a time, but nobody asked
        second = rig.last_text(ADA.id)
        _, schedule = await chat_and_schedule(rig, ADA.id)
    assert first == second == t("free_text_hint")
    assert schedule.times == "08:00"


async def reply(rig: BotRig, user: FakeUser, text: str, to: tuple[int, int]) -> None:
    """The user replies (Telegram's "reply") to a bot message."""
    await rig.send(rig.updates.message(user, text, reply_to=rig.api.message(*to)))


async def test_a_reply_to_a_setup_prompt_is_taken(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        await rig.press(ADA, "set:time:0800")
        await rig.press(ADA, "set:days:all")
        ask_tz = max(k for k in rig.api.messages if k[0] == ADA.id)
        await reply(rig, ADA, "Europe/Berlin", ask_tz)
        chat, schedule = await chat_and_schedule(rig, ADA.id)
    assert "All set" in rig.last_text(ADA.id)
    assert chat.onboarded and schedule.timezone == "Europe/Berlin"


async def test_a_reply_to_another_bot_message_is_not_a_setting(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start")
        welcome = min(k for k in rig.api.messages if k[0] == ADA.id)
        await reply(rig, ADA, "08:00", welcome)
        chat, schedule = await chat_and_schedule(rig, ADA.id)
    assert rig.last_text(ADA.id) == t("free_text_hint")
    assert chat.awaiting == "time" and schedule.times == "08:00"  # the default, untouched


async def test_a_reply_to_the_report_prompt_is_not_taken_for_a_setting(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await rig.press(ADA, "set:type:tz")  # a typed time zone is awaited...
        prompt = {
            "message_id": 9999,
            "date": int(rig.clock.now.timestamp()),
            "chat": {"id": ADA.id, "type": "private", "first_name": ADA.first_name},
            "from": rig.api.bot_user,
            "text": t("report_ask"),
        }
        # ...but a reply to another feature's prompt belongs to that feature (or the hint).
        await rig.send(rig.updates.message(ADA, "Europe/Paris", reply_to=prompt))
        chat, schedule = await chat_and_schedule(rig, ADA.id)
    assert schedule.timezone == "Europe/Berlin" and chat.awaiting == "tz"
    assert rig.last_text(ADA.id) == t("free_text_hint")


async def test_start_again_never_wipes_progress(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await finish_first_lesson(rig)
        before = (
            len(await rows(rig, LessonDone)),
            len(await rows(rig, Answer)),
            len(await rows(rig, Card)),
        )
        await rig.say(ADA, "/start")
        text = rig.last_text(ADA.id)
        after = (
            len(await rows(rig, LessonDone)),
            len(await rows(rig, Answer)),
            len(await rows(rig, Card)),
        )
        chat, schedule = await chat_and_schedule(rig, ADA.id)
    assert before == after == (1, 3, 3)
    assert "Welcome back" in text and "1 of 2 lessons" in text
    assert chat.onboarded and schedule.timezone == "Europe/Berlin"


# --- /settings ---------------------------------------------------------------------------------


async def test_settings_shows_current_values(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await rig.say(ADA, "/settings")
        text = rig.last_text(ADA.id)
        data = button_data(rig, ADA.id)
    assert "Mini course" in text and "08:00" in text and "Mon–Fri" in text
    assert "Europe/Berlin" in text and "quiz polls" in text
    assert "set:menu:course" not in data  # one course only
    assert {"set:menu:time", "set:style:buttons", "set:menu:per", "set:conf:off"} <= set(data)


CHANGES = [
    # (menu to open first, button, expected in the edited message, (row, field, value))
    ("set:menu:time", "set:time:2000", "20:00", ("schedule", "times", "20:00")),
    ("set:menu:days", "set:days:we", "Sat, Sun", ("schedule", "days", "sat,sun")),
    ("set:menu:tz", "set:tz:Asia/Tokyo", "Asia/Tokyo", ("schedule", "timezone", "Asia/Tokyo")),
    (None, "set:style:buttons", "buttons", ("chat", "quiz_style", "buttons")),
    ("set:menu:per", "set:per:5", "per session: <b>5</b>", ("chat", "questions_per_session", 5)),
    ("set:menu:limits", "set:new:20", "per day: <b>20</b>", ("chat", "new_per_day", 20)),
    (
        "set:menu:limits",
        "set:rev:50",
        "reviews per day: <b>50</b>",
        ("chat", "reviews_per_day", 50),
    ),
    (None, "set:conf:off", "not sure”: <b>off</b>", ("chat", "confidence_prompt", False)),
]


@pytest.mark.parametrize(("menu", "press", "shown", "stored"), CHANGES)
async def test_each_settings_change_is_saved_and_shown(
    tmp_path: Path, menu: str | None, press: str, shown: str, stored: tuple[str, str, Any]
) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await rig.say(ADA, "/settings")
        settings_message = max(k for k in rig.api.messages if k[0] == ADA.id)
        if menu is not None:
            await rig.press(ADA, menu)
            assert press in button_data(rig, ADA.id)
        await rig.press(ADA, press)
        edited = rig.api.message(*settings_message)["text"]
        chat, schedule = await chat_and_schedule(rig, ADA.id)
    assert shown in edited and "Settings" in edited
    where, name, value = stored
    assert getattr(chat if where == "chat" else schedule, name) == value


@pytest.mark.parametrize(
    ("press", "next_due"),
    [
        ("set:time:2000", datetime(2027, 3, 1, 19, 0, tzinfo=UTC)),  # Mon 20:00 CET
        ("set:days:we", datetime(2027, 3, 6, 7, 0, tzinfo=UTC)),  # Sat 08:00 CET
        ("set:tz:Asia/Tokyo", datetime(2027, 3, 1, 23, 0, tzinfo=UTC)),  # Tue 08:00 JST
    ],
)
async def test_schedule_changes_reschedule(tmp_path: Path, press: str, next_due: datetime) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await rig.say(ADA, "/settings")
        await rig.press(ADA, press)
        _, schedule = await chat_and_schedule(rig, ADA.id)
    assert schedule.next_due_at == next_due


async def test_quiz_style_change_takes_effect(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await rig.say(ADA, "/settings")
        await rig.press(ADA, "set:style:buttons")
        await rig.say(ADA, "/quiz")
    assert not rig.api.sent("sendPoll")
    assert any(d.startswith("q:a:") for _, d in rig.buttons(rig.api.last("sendMessage")))


async def test_typed_value_from_settings(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await rig.say(ADA, "/settings")
        await rig.press(ADA, "set:menu:tz")
        assert "set:type:tz" in button_data(rig, ADA.id)
        await rig.press(ADA, "set:type:tz")
        assert rig.last_text(ADA.id) == t("type_tz")
        await rig.say(ADA, "america/new_york")
        text = rig.last_text(ADA.id)
        chat, schedule = await chat_and_schedule(rig, ADA.id)
        await rig.say(ADA, "Europe/Paris")  # nothing awaited any more
        hint = rig.last_text(ADA.id)
    assert text.startswith(t("saved")) and "America/New_York" in text
    assert schedule.timezone == "America/New_York" and chat.awaiting is None
    # Monday 01:00 in New York: today's 08:00 EST is 13:00 UTC.
    assert schedule.next_due_at == datetime(2027, 3, 1, 13, 0, tzinfo=UTC)
    assert hint == t("free_text_hint")


async def test_back_button_returns_to_the_settings(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await rig.say(ADA, "/settings")
        await rig.press(ADA, "set:menu:per")
        assert newest_text(rig, ADA.id) == t("ask_per_session")
        await rig.press(ADA, "set:back")
        assert "Settings" in newest_text(rig, ADA.id)
        assert "set:menu:time" in button_data(rig, ADA.id)


FORGED = [
    "set:per:7",
    "set:per:-1",
    "set:new:15",
    "set:rev:1000",
    "set:time:9999",
    "set:time:ab:cd",
    "set:days:funday",
    "set:tz:Mars/Olympus",
    "set:course:nope",
    "set:style:fax",
    "set:conf:maybe",
    "set:menu:nope",
    "set:menu:course",  # one course only: there is nothing to choose
    "set:type:name",
    "set:zzz",
    "set:",
    "set:back:extra",
]


@pytest.mark.parametrize("data", FORGED)
async def test_forged_settings_data_changes_nothing(tmp_path: Path, data: str) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await rig.say(ADA, "/settings")
        chat_before, schedule_before = await chat_and_schedule(rig, ADA.id)
        text_before = newest_text(rig, ADA.id)
        await rig.press(ADA, data)
        answer = last_answer_text(rig)
        chat_after, schedule_after = await chat_and_schedule(rig, ADA.id)
    assert answer == t("button_expired")
    assert chat_after.model_dump() == chat_before.model_dump()
    assert schedule_after.model_dump() == schedule_before.model_dump()
    assert newest_text(rig, ADA.id) == text_before


def two_courses(tmp_path: Path) -> Path:
    root = tmp_path / "courses"
    shutil.copytree(MINI / "mini", root / "mini")
    shutil.copytree(MINI / "mini", root / "mini2")
    course = root / "mini2" / "course.yaml"
    text = course.read_text().replace("id: mini", "id: mini2", 1)
    course.write_text(text.replace("Mini course: tea basics", "Second course", 1))
    return root


async def test_switching_course_keeps_progress_per_course(tmp_path: Path) -> None:
    catalog = load_catalog(two_courses(tmp_path))
    async with running_bot(tmp_path, catalog=catalog) as rig:
        await rig.say(ADA, "/start")
        await rig.press(ADA, "course:mini")
        await rig.press(ADA, "set:time:0800")
        await rig.press(ADA, "set:days:all")
        await rig.press(ADA, "set:tz:UTC")
        async with rig.db.begin() as s:
            chat = (await s.exec(select(Chat).where(Chat.tg_chat_id == ADA.id))).one()
            s.add(LessonDone(chat_id=chat.id, course_id="mini", lesson_id="leaves"))
        await rig.say(ADA, "/settings")
        await rig.press(ADA, "set:menu:course")
        assert {"set:course:mini", "set:course:mini2"} <= set(button_data(rig, ADA.id))
        await rig.press(ADA, "set:course:mini2")
        shown = newest_text(rig, ADA.id)
        chat, schedule = await chat_and_schedule(rig, ADA.id)
        assert chat.course_id == "mini2" and schedule.next_due_at is not None
        await rig.say(ADA, "/start")
        in_second = rig.last_text(ADA.id)
        await rig.say(ADA, "/settings")
        await rig.press(ADA, "set:menu:course")
        await rig.press(ADA, "set:course:mini")
        await rig.say(ADA, "/start")
        back_in_first = rig.last_text(ADA.id)
    assert "Second course" in shown
    assert "0 of 2 lessons" in in_second and "Second course" in in_second
    assert "1 of 2 lessons" in back_in_first


# --- /pause, /resume, /next --------------------------------------------------------------------


async def test_pause_resume_next_with_an_injected_clock(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await rig.say(ADA, "/next")
        assert "Mon 08:00" in rig.last_text(ADA.id) and "your time" in rig.last_text(ADA.id)
        await rig.say(ADA, "/pause")
        assert rig.last_text(ADA.id) == t("paused_ok")
        _, schedule = await chat_and_schedule(rig, ADA.id)
        assert schedule.paused and schedule.next_due_at is None
        (window,) = await rows(rig, PauseWindow)
        assert (window.start_day, window.end_day) == (date(2027, 3, 1), None)
        await rig.say(ADA, "/next")
        assert rig.last_text(ADA.id) == t("next_paused")
        await rig.say(ADA, "/pause")
        assert rig.last_text(ADA.id) == t("already_paused")
        assert len(await rows(rig, PauseWindow)) == 1

        # Wednesday 08:30 in Berlin: Monday's, Tuesday's and today's slots have all passed.
        rig.clock.set(datetime(2027, 3, 3, 7, 30, tzinfo=UTC))
        await rig.say(ADA, "/resume")
        resumed = rig.last_text(ADA.id)
        _, schedule = await chat_and_schedule(rig, ADA.id)
        (window,) = await rows(rig, PauseWindow)
        await rig.say(ADA, "/resume")
        again = rig.last_text(ADA.id)
    assert "Resumed" in resumed and "Thu 08:00" in resumed
    assert not schedule.paused
    assert schedule.next_due_at == datetime(2027, 3, 4, 7, 0, tzinfo=UTC)
    assert schedule.next_due_at > rig.clock.now
    assert window.end_day == date(2027, 3, 3)
    assert "running" in again and "Thu 08:00" in again


async def test_resume_exactly_at_a_slot_takes_the_next_one(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig, days="all", tz="UTC")
        await rig.say(ADA, "/pause")
        rig.clock.set(datetime(2027, 3, 2, 8, 0, tzinfo=UTC))
        await rig.say(ADA, "/resume")
        _, schedule = await chat_and_schedule(rig, ADA.id)
    assert schedule.next_due_at == datetime(2027, 3, 3, 8, 0, tzinfo=UTC)


async def test_next_before_start(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/next")
        await rig.say(ADA, "/pause")
    assert rig.api.texts(ADA.id) == [t("not_set_up"), t("not_set_up")]


# --- /reset ------------------------------------------------------------------------------------


async def progress_counts(rig: BotRig) -> dict[str, int]:
    return {
        model.__name__: len(await rows(rig, model))
        for model in (LessonDone, CourseProgress, Answer, Card, ReviewLog, SentQuestion)
    }


async def test_reset_cancel_changes_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await finish_first_lesson(rig)
        before = await progress_counts(rig)
        await rig.say(ADA, "/reset")
        assert "Mini course" in rig.last_text(ADA.id)
        assert button_data(rig, ADA.id) == ["reset:yes:mini", "reset:no"]
        await rig.press(ADA, "reset:no")
        assert newest_text(rig, ADA.id) == t("cancelled")
        assert await progress_counts(rig) == before
    assert before["LessonDone"] == 1 and before["Answer"] == 3


async def test_reset_confirm_clears_progress_but_keeps_settings(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await rig.say(ADA, "/settings")
        await rig.press(ADA, "set:per:5")
        await finish_first_lesson(rig)
        await rig.say(ADA, "/reset")
        await rig.press(ADA, "reset:yes:mini")
        done = newest_text(rig, ADA.id)
        counts = await progress_counts(rig)
        chat, schedule = await chat_and_schedule(rig, ADA.id)
        study_days = await rows(rig, StudyDay)
        await rig.say(ADA, "/lesson")
        lesson = rig.last_text(ADA.id)
    assert "cleared" in done
    assert counts == dict.fromkeys(counts, 0)
    assert chat.onboarded and chat.questions_per_session == 5 and chat.course_id == "mini"
    assert schedule.timezone == "Europe/Berlin" and schedule.next_due_at is not None
    assert len(study_days) == 1  # the streak is not course progress
    assert "Lesson 1/2" in lesson


@pytest.mark.parametrize("data", ["reset:yes:other", "reset:yes", "reset:maybe", "reset:"])
async def test_forged_reset_data_changes_nothing(tmp_path: Path, data: str) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await finish_first_lesson(rig)
        before = await progress_counts(rig)
        await rig.press(ADA, data)
        assert last_answer_text(rig) == t("button_expired")
        assert await progress_counts(rig) == before


# --- /forgetme ---------------------------------------------------------------------------------


async def seed_everything(rig: BotRig) -> None:
    """Give ADA a row in every table that can hold one, and BOB some rows too."""
    await onboard(rig)
    await rig.say(ADA, "/quiz")
    poll = rig.last_poll()
    wrong = next(i for i in range(len(poll["options"])) if i not in poll["correct_option_ids"])
    await rig.vote(ADA, [wrong])
    await rig.say(ADA, "/pause")
    await rig.say(ADA, "/start", chat_id=GROUP)
    await onboard(rig, BOB)
    async with rig.db.begin() as s:
        member = (await s.exec(select(Member).where(Member.tg_user_id == ADA.id))).one()
        chat = (await s.exec(select(Chat).where(Chat.tg_chat_id == ADA.id))).one()
        now = rig.clock.now
        s.add(Delivery(chat_id=chat.id, slot_at=now, status="sent"))
        s.add(
            ExamRun(
                chat_id=chat.id,
                member_id=member.id,
                course_id="mini",
                size=1,
                question_ids=["leaves-plant"],
                deadline=now + timedelta(minutes=5),
            )
        )
        s.add(
            QuestionReport(
                member_id=member.id, course_id="mini", lesson_id="leaves", question_id="x"
            )
        )
        s.add(Confusion(member_id=member.id, course_id="mini", expected="a", chosen="b", count=1))
        s.add(KeyValue(key=f"digest:{ADA.id}", value="x"))
        s.add(KeyValue(key=f"digest:{ADA.id}0", value="another user"))


async def test_forgetme_in_a_group_says_use_private(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/start", chat_id=GROUP)
        await rig.say(ADA, "/forgetme", chat_id=GROUP)
        assert rig.last_text(GROUP) == t("forget_in_private")
        await rig.press(ADA, "forget:yes", chat_id=GROUP)
        assert last_answer_text(rig) == t("button_expired")
        assert len(await rows(rig, Member, Member.tg_user_id == ADA.id)) == 1


async def test_forgetme_cancel_keeps_everything(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await onboard(rig)
        await rig.say(ADA, "/forgetme")
        assert button_data(rig, ADA.id) == ["forget:yes", "forget:no"]
        await rig.press(ADA, "forget:no")
        assert newest_text(rig, ADA.id) == t("cancelled")
        assert len(await rows(rig, Member, Member.tg_user_id == ADA.id)) == 1
        assert len(await rows(rig, Chat, Chat.tg_chat_id == ADA.id)) == 1


async def test_forgetme_deletes_every_row_about_the_user(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        await seed_everything(rig)
        (member,) = await rows(rig, Member, Member.tg_user_id == ADA.id)
        (chat,) = await rows(rig, Chat, Chat.tg_chat_id == ADA.id)
        seeded = {
            model.__name__
            for model in ALL_TABLES
            if model not in {Member, Chat}
            and any(_references(row, member.id, chat.id, ADA.id) for row in await rows(rig, model))
        }
        await rig.say(ADA, "/forgetme")
        await rig.press(ADA, "forget:yes")
        said = newest_text(rig, ADA.id)
        leftovers = {
            model.__name__: found
            for model in ALL_TABLES
            if (
                found := [
                    row
                    for row in await rows(rig, model)
                    if _references(row, member.id, chat.id, ADA.id)
                ]
            )
        }
        bob = await rows(rig, Member, Member.tg_user_id == BOB.id)
        group = await rows(rig, Chat, Chat.tg_chat_id == GROUP)
        other_key = await rows(rig, KeyValue, KeyValue.key == f"digest:{ADA.id}0")
    # The seed really put ADA in these tables (so the check below can fail).
    assert {
        "Schedule",
        "Delivery",
        "Membership",
        "ExamRun",
        "SentQuestion",
        "Answer",
        "Card",
        "ReviewLog",
        "Confusion",
        "StudyDay",
        "PauseWindow",
        "QuestionReport",
        "KeyValue",
    } <= seeded
    assert said == t("forget_done")
    assert leftovers == {}
    assert len(bob) == 1 and len(group) == 1 and len(other_key) == 1


def _references(row: Any, member_pk: int, chat_pk: int, tg_id: int) -> bool:
    """Whether a row names the member, their private chat or their Telegram id."""
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        targets = {fk.column.table.name for fk in column.foreign_keys}
        if "member" in targets and value == member_pk:
            return True
        if "chat" in targets and value == chat_pk:
            return True
        name = type(row).__name__
        if name == "Member" and column.key in {"id", "tg_user_id"} and value in {member_pk, tg_id}:
            return True
        if name == "Chat" and column.key in {"id", "tg_chat_id"} and value in {chat_pk, tg_id}:
            return True
        if isinstance(value, str) and str(tg_id) in value.replace(":", " ").split():
            return True
    return False


# --- groups ------------------------------------------------------------------------------------


async def test_group_non_admin_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        rig.api.admins[GROUP] = {ADA.id}
        await onboard(rig, ADA, chat_id=GROUP)
        chat_before, schedule_before = await chat_and_schedule(rig, GROUP)
        for command in ("/pause", "/resume", "/reset"):
            await rig.say(BOB, command, chat_id=GROUP)
            assert rig.last_text(GROUP) == t("admin_only")
        await rig.say(BOB, "/settings", chat_id=GROUP)  # looking is fine
        for data in ("set:style:buttons", "set:time:2000", "set:menu:tz", "reset:yes:mini"):
            await rig.press(BOB, data, chat_id=GROUP)
            assert last_answer_text(rig) == t("admin_only")
        chat_after, schedule_after = await chat_and_schedule(rig, GROUP)
    assert chat_before.onboarded
    assert chat_after.model_dump() == chat_before.model_dump()
    assert schedule_after.model_dump() == schedule_before.model_dump()


async def test_group_admin_changes_settings_and_pauses(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        rig.api.admins[GROUP] = {ADA.id}
        await onboard(rig, ADA, chat_id=GROUP, tz="UTC")
        assert "All set" in rig.last_text(GROUP)
        await rig.say(ADA, "/settings", chat_id=GROUP)
        await rig.press(ADA, "set:menu:tz", chat_id=GROUP)
        assert "set:type:tz" not in button_data(rig, GROUP)  # groups can't type values
        await rig.press(ADA, "set:back", chat_id=GROUP)
        await rig.press(ADA, "set:style:buttons", chat_id=GROUP)
        assert last_answer_text(rig) == t("saved")
        await rig.say(ADA, "/pause", chat_id=GROUP)
        assert rig.last_text(GROUP) == t("paused_group_ok")
        chat, schedule = await chat_and_schedule(rig, GROUP)
        windows = await rows(rig, PauseWindow)
        await rig.say(ADA, "/resume", chat_id=GROUP)
        resumed = rig.last_text(GROUP)
        _, schedule_after = await chat_and_schedule(rig, GROUP)
    assert chat.quiz_style == "buttons"
    assert schedule.paused and schedule.next_due_at is None
    assert windows == []  # a group's pause freezes nobody's streak
    assert "Resumed" in resumed and schedule_after.next_due_at is not None


async def test_group_admin_resets_group_progress(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        rig.api.admins[GROUP] = {ADA.id}
        await onboard(rig, ADA, chat_id=GROUP, tz="UTC")
        (chat,) = await rows(rig, Chat, Chat.tg_chat_id == GROUP)
        async with rig.db.begin() as s:
            s.add(LessonDone(chat_id=chat.id, course_id="mini", lesson_id="leaves"))
        await rig.say(ADA, "/reset", chat_id=GROUP)
        await rig.press(BOB, "reset:yes:mini", chat_id=GROUP)
        assert len(await rows(rig, LessonDone)) == 1  # BOB is no admin
        await rig.press(ADA, "reset:yes:mini", chat_id=GROUP)
        assert "cleared" in newest_text(rig, GROUP)
        assert await rows(rig, LessonDone) == []
        assert await rows(rig, Membership)  # people stay in the group
