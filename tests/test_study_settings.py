"""Settings use cases: value checks, onboarding steps, pause windows, reset and forget."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.content.loader import load_catalog
from bot.content.schema import Catalog
from bot.db.engine import Database
from bot.db.models import Card, Chat, KeyValue, LessonDone, Member, PauseWindow, Schedule
from bot.study import enrolment
from bot.study import settings as study
from bot.study.types import Who
from tests.botkit import MINI

T0 = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # a Monday
CATALOG: Catalog = load_catalog(MINI)
ADA = Who(chat_id=101, chat_kind="private", user_id=101, first_name="Ada")
GROUP = Who(chat_id=-100777, chat_kind="supergroup", user_id=101, first_name="Ada")


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("time", "7:45", "07:45"),
        ("time", "19.30", "19:30"),
        ("days", "all", "mon,tue,wed,thu,fri,sat,sun"),
        ("days", "wk", "mon,tue,wed,thu,fri"),
        ("days", "we", "sat,sun"),
        ("days", "fri, Mon ,wed", "mon,wed,fri"),
        ("days", "mon-wed", "mon,tue,wed"),
        ("tz", "europe/berlin", "Europe/Berlin"),
        ("tz", "+05:30", "+05:30"),
        ("tz", "UTC+5:30", "+05:30"),
        ("tz", "gmt", "UTC"),
        ("course", "mini", "mini"),
        ("style", "buttons", "buttons"),
        ("per", "10", "10"),
        ("new", "5", "5"),
        ("rev", "50", "50"),
        ("conf", "off", "off"),
    ],
)
def test_normalize_accepts(key: str, value: str, stored: str) -> None:
    assert study.normalize(key, value, CATALOG) == stored


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("time", "24:00", "Invalid time"),
        ("time", "0745", "Invalid time"),
        ("days", "", "No days"),
        ("days", "mon,funday", "Unknown day"),
        ("tz", "Europe/Berln", r"Did you mean Europe/Berlin\?"),
        ("tz", "+15:00", "must be between"),
        ("course", "nope", "Unknown course"),
        ("style", "fax", "Unknown quiz style"),
        ("per", "7", "not one of"),
        ("per", "-1", "not one of"),
        ("new", "15", "not one of"),
        ("rev", "5", "not one of"),
        ("conf", "yes", "on or off"),
        ("colour", "red", "Unknown setting"),
    ],
)
def test_normalize_rejects(key: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        study.normalize(key, value, CATALOG)


async def started(db: Database, who: Who = ADA) -> None:
    await enrolment.start(db, CATALOG, who=who, course_arg=None, default_tz="UTC", now=T0)


async def schedule_of(db: Database, tg_chat_id: int) -> tuple[Chat, Schedule]:
    async with db.read() as s:
        chat = (await s.exec(select(Chat).where(Chat.tg_chat_id == tg_chat_id))).one()
        schedule = (await s.exec(select(Schedule).where(Schedule.chat_id == chat.id))).one()
    return chat, schedule


async def test_onboarding_steps_and_first_schedule(db: Database) -> None:
    await started(db)
    steps = []
    for key, value in (("time", "09:00"), ("days", "all"), ("tz", "Asia/Kolkata")):
        applied = await study.apply(db, CATALOG, chat_id=ADA.chat_id, key=key, value=value, now=T0)
        assert applied is not None
        steps.append((applied.next_step, applied.view.next_due_at))
    chat, _ = await schedule_of(db, ADA.chat_id)
    # 06:00 UTC is 11:30 in Kolkata: the next 09:00 IST is Tuesday 03:30 UTC.
    assert steps == [
        ("days", None),
        ("tz", None),
        ("done", datetime(2027, 3, 2, 3, 30, tzinfo=UTC)),
    ]
    assert chat.onboarded and chat.awaiting is None
    again = await study.apply(db, CATALOG, chat_id=ADA.chat_id, key="per", value="5", now=T0)
    assert again is not None and again.next_step is None


async def test_apply_to_an_unknown_chat(db: Database) -> None:
    assert await study.apply(db, CATALOG, chat_id=9, key="per", value="5", now=T0) is None


async def test_typed_value_only_when_awaited(db: Database) -> None:
    await started(db)
    ignored = await study.receive_typed(db, CATALOG, chat_id=ADA.chat_id, text="07:45", now=T0)
    assert ignored == study.Typed(handled=False)
    await study.set_awaiting(db, chat_id=ADA.chat_id, awaiting="time", now=T0)
    bad = await study.receive_typed(db, CATALOG, chat_id=ADA.chat_id, text="7:75", now=T0)
    assert bad.handled and bad.key == "time" and bad.error is not None
    good = await study.receive_typed(db, CATALOG, chat_id=ADA.chat_id, text="7:45", now=T0)
    assert good.applied is not None and good.applied.next_step == "days"
    chat, schedule = await schedule_of(db, ADA.chat_id)
    assert schedule.times == "07:45" and chat.awaiting == "days"


async def test_other_features_awaiting_values_are_not_ours(db: Database) -> None:
    await started(db)
    await study.set_awaiting(db, chat_id=ADA.chat_id, awaiting="report:7", now=T0)
    typed = await study.receive_typed(db, CATALOG, chat_id=ADA.chat_id, text="typo", now=T0)
    assert not typed.handled
    await study.open_settings(db, chat_id=ADA.chat_id, now=T0)
    chat, _ = await schedule_of(db, ADA.chat_id)
    assert chat.awaiting == "report:7"  # /settings only drops its own prompts


async def onboarded(db: Database, who: Who = ADA, *, tz: str = "UTC") -> None:
    await started(db, who)
    for key, value in (("time", "08:00"), ("days", "all"), ("tz", tz)):
        await study.apply(db, CATALOG, chat_id=who.chat_id, key=key, value=value, now=T0)


@pytest.mark.parametrize(
    ("resume_at", "next_due"),
    [
        (datetime(2027, 3, 3, 7, 59, tzinfo=UTC), datetime(2027, 3, 3, 8, 0, tzinfo=UTC)),
        (datetime(2027, 3, 3, 8, 0, tzinfo=UTC), datetime(2027, 3, 4, 8, 0, tzinfo=UTC)),
        (datetime(2027, 3, 3, 23, 0, tzinfo=UTC), datetime(2027, 3, 4, 8, 0, tzinfo=UTC)),
    ],
)
async def test_resume_takes_the_next_slot_after_now(
    db: Database, resume_at: datetime, next_due: datetime
) -> None:
    await onboarded(db)
    paused = await study.pause(db, chat_id=ADA.chat_id, user_id=ADA.user_id, now=T0)
    assert paused is not None and paused.changed and paused.view.next_due_at is None
    resumed = await study.resume(db, chat_id=ADA.chat_id, user_id=ADA.user_id, now=resume_at)
    assert resumed is not None and resumed.changed
    assert resumed.view.next_due_at == next_due


async def test_pause_window_in_the_learners_local_days(db: Database) -> None:
    await onboarded(db, tz="Pacific/Auckland")  # UTC+13 in March
    await study.pause(db, chat_id=ADA.chat_id, user_id=ADA.user_id, now=T0)
    await study.pause(db, chat_id=ADA.chat_id, user_id=ADA.user_id, now=T0 + timedelta(hours=1))
    await study.resume(
        db, chat_id=ADA.chat_id, user_id=ADA.user_id, now=T0 + timedelta(days=2, hours=12)
    )
    async with db.read() as s:
        windows = (await s.exec(select(PauseWindow))).all()
    # Mon 06:00 UTC is Mon 19:00 in Auckland; Wed 18:00 UTC is Thu 07:00 there.
    assert [(w.start_day, w.end_day) for w in windows] == [(date(2027, 3, 1), date(2027, 3, 4))]


async def test_group_pause_opens_no_window(db: Database) -> None:
    await onboarded(db, GROUP)
    out = await study.pause(db, chat_id=GROUP.chat_id, user_id=GROUP.user_id, now=T0)
    assert out is not None and out.changed
    async with db.read() as s:
        assert (await s.exec(select(PauseWindow))).all() == []


async def test_reset_for_a_course_no_longer_current_does_nothing(db: Database) -> None:
    await onboarded(db)
    async with db.begin() as s:
        chat = (await s.exec(select(Chat).where(Chat.tg_chat_id == ADA.chat_id))).one()
        s.add(LessonDone(chat_id=chat.id, course_id="mini", lesson_id="leaves"))
    stale = await study.reset_course(
        db, chat_id=ADA.chat_id, user_id=ADA.user_id, course_id="other", now=T0
    )
    done = await study.reset_course(
        db, chat_id=ADA.chat_id, user_id=ADA.user_id, course_id="mini", now=T0
    )
    assert stale is None
    assert done is not None and done.lessons == 1


async def test_group_reset_keeps_members_cards(db: Database) -> None:
    await onboarded(db, GROUP)
    async with db.begin() as s:
        member = (await s.exec(select(Member).where(Member.tg_user_id == GROUP.user_id))).one()
        assert member.id is not None
        s.add(Card(member_id=member.id, course_id="mini", question_id="q", data={}, due=T0))
    out = await study.reset_course(
        db, chat_id=GROUP.chat_id, user_id=GROUP.user_id, course_id="mini", now=T0
    )
    async with db.read() as s:
        cards = (await s.exec(select(Card))).all()
    assert out is not None and out.cards == 0 and len(cards) == 1


async def test_forget_removes_keys_naming_the_user_only(db: Database) -> None:
    await onboarded(db)
    async with db.begin() as s:
        for key in ("digest:101", "101", "x:101:y", "digest:1010", "digest:2101", "heartbeat"):
            s.add(KeyValue(key=key))
    out = await study.forget_member(db, user_id=101)
    again = await study.forget_member(db, user_id=101)
    async with db.read() as s:
        keys = sorted((await s.exec(select(KeyValue.key))).all())
        left = (await s.exec(select(Chat))).all(), (await s.exec(select(Member))).all()
    assert out == study.ForgetOutcome(member_deleted=True, chat_deleted=True, other_rows=3)
    assert again == study.ForgetOutcome(member_deleted=False, chat_deleted=False, other_rows=0)
    assert keys == ["digest:1010", "digest:2101", "heartbeat"]
    assert left == ([], [])
