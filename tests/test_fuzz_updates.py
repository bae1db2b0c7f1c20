"""Fuzzing incoming updates: odd texts, commands, callback data and poll answers never crash the
bot, never show a traceback, and a forged action writes no row.

One bot runs for the whole module (its own event loop; hypothesis drives plain functions), with
learners already in the middle of things. A second error handler collects every exception that
reaches PTB's error handling: a handled update leaves it empty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from telegram import Update

from bot.db.models import (
    ALL_TABLES,
    Answer,
    Card,
    Chat,
    ExamRun,
    LessonDone,
    Member,
    ProcessedUpdate,
    QuestionReport,
    ReviewLog,
    SentQuestion,
)
from bot.playground.fakeupdates import FakeUser
from bot.tg.context import TutorContext
from tests.botkit import ADA, BOB, BotRig, running_bot
from tests.test_security_injection import telegram_html_problems

GROUP = -1009876543210
MALLORY = FakeUser(666, "Mallory", "mallory")  # forges: her only question is a deleted one
TRUDY = FakeUser(777, "Trudy", "trudy")  # types anything
GONE_QUESTION = "deleted-question"  # no longer in the course
FUZZ = settings(
    deadline=None,
    max_examples=60,
    derandomize=True,  # a fixed sequence of examples: the same run in CI and locally
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
COMMANDS = [
    "start",
    "lesson",
    "quiz",
    "help",
    "review",
    "mistakes",
    "study",
    "drill",
    "exam",
    "examdate",
    "progress",
    "next",
    "settings",
    "pause",
    "resume",
    "reset",
    "forgetme",
    "leaderboard",
    "mystats",
    "hideme",
    "showme",
    "statsprivate",
    "recap",
    "report",
    "stats",
]
# Buttons that name a question, a course, a lesson or a setting ("next" ones name nothing).
PREFIXES = ["q", "unsure", "report", "cf", "ex", "lesson", "course", "set", "reset", "forget"]
HUGE = ["99999999999999999999999", "1_000_000_000_000_000_000_000", " +9223372036854775808"]
# Rows that only a real (not forged) action may add or change.
GUARDED = (Answer, Card, ReviewLog, SentQuestion, QuestionReport, ExamRun, LessonDone)


@dataclass
class World:
    """The running bot, what the learners have open, and what reached the error handler."""

    loop: asyncio.AbstractEventLoop
    rig: BotRig
    ada_sent: int = 0
    bob_sent: int = 0
    gone_sent: int = 0
    ada_poll: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def send(self, update: Update) -> None:
        """Process one update; fail on any exception that reached the error handlers."""
        calls = len(self.rig.api.calls)
        self.run(self.rig.send(update))
        errors, self.errors[:] = list(self.errors), []
        assert errors == [], errors
        for call in self.rig.api.calls[calls:]:
            text = str(call.params.get("text", ""))
            assert "Traceback" not in text and "Error:" not in text, text
            if call.params.get("parse_mode") == "HTML":
                assert telegram_html_problems(text) == [], (text, update.to_dict())
            assert call.status == 200, (call.method, call.params, call.result)


async def _setup(rig: BotRig, world: World) -> None:
    rig.api.admins[GROUP] = {ADA.id}
    await rig.say(ADA, "/start")
    await rig.say(ADA, "/quiz")
    world.ada_poll = rig.last_poll()
    await rig.say(BOB, "/start")
    await rig.say(MALLORY, "/start")
    await rig.say(TRUDY, "/start")
    await rig.say(ADA, "/start", chat_id=GROUP)
    async with rig.db.begin() as s:
        chats = {c.tg_chat_id: c for c in (await s.exec(select(Chat))).all()}
        chats[BOB.id].quiz_style = "buttons"
        s.add(chats[BOB.id])
    await rig.say(BOB, "/quiz")
    async with rig.db.begin() as s:
        sent = {q.chat_id: q.id for q in (await s.exec(select(SentQuestion))).all()}
        world.ada_sent = sent[chats[ADA.id].id]
        world.bob_sent = sent[chats[BOB.id].id]
        mallory = (await s.exec(select(Member).where(Member.tg_user_id == MALLORY.id))).one()
        gone = SentQuestion(  # a question that was since deleted from the course
            chat_id=chats[MALLORY.id].id,
            member_id=mallory.id,
            course_id="mini",
            lesson_id="leaves",
            question_id=GONE_QUESTION,
            style="buttons",
            option_order=[0, 1, 2],
        )
        s.add(gone)
        await s.flush()
        assert gone.id is not None
        world.gone_sent = gone.id


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    loop = asyncio.new_event_loop()
    bot = running_bot(Path(tmp_path_factory.mktemp("fuzz")))
    rig = loop.run_until_complete(bot.__aenter__())
    fuzz = World(loop=loop, rig=rig)

    async def collect(update: object, context: TutorContext) -> None:
        fuzz.errors.append(f"{type(context.error).__name__}: {context.error}")

    rig.app.add_error_handler(collect)
    fuzz.run(_setup(rig, fuzz))
    yield fuzz
    loop.run_until_complete(bot.__aexit__(None, None, None))
    loop.close()


def guarded_rows(world: World) -> dict[str, list[dict[str, Any]]]:
    async def dump() -> dict[str, list[dict[str, Any]]]:
        async with world.rig.db.read() as s:
            return {
                model.__name__: sorted(
                    (row.model_dump() for row in (await s.exec(select(model))).all()), key=repr
                )
                for model in GUARDED
            }

    result: dict[str, list[dict[str, Any]]] = world.run(dump())
    return result


def all_rows(world: World) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, Mallory's own taps on her deleted question aside.

    The deleted question is still her message: "not sure" or a toggle there is only the
    message's state, and a report on it tells the operator that it is gone. Grading it is not.
    """

    def plain(row: Any) -> dict[str, Any] | None:
        values: dict[str, Any] = row.model_dump()
        if isinstance(row, SentQuestion) and row.id == world.gone_sent:
            values.pop("unsure"), values.pop("selected")
        if isinstance(row, QuestionReport) and row.question_id == GONE_QUESTION:
            return None
        return values

    async def dump() -> dict[str, list[dict[str, Any]]]:
        async with world.rig.db.read() as s:
            tables = {}
            for model in ALL_TABLES:
                if model is not ProcessedUpdate:
                    rows = [plain(row) for row in (await s.exec(select(model))).all()]
                    tables[model.__name__] = sorted((r for r in rows if r), key=repr)
            return tables

    result: dict[str, list[dict[str, Any]]] = world.run(dump())
    return result


# --- strategies ----------------------------------------------------------------------------

any_text = st.text(max_size=4096).filter(lambda s: s.strip() != "")
odd_argument = st.one_of(
    st.text(max_size=80),
    st.integers().map(str),
    st.sampled_from(
        [
            "-5",
            "0",
            "99999999999",
            "1e9",
            "NaN",
            "2027-02-30",
            "garbage",
            "nonsense",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "%s%s%n",
            "\u202e",
            "\x00",
            "..",
            "course_mini",
            "mini",
        ]
    ),
)
command_text = st.builds(
    lambda name, args, at: f"/{name}{'@tutorbot_test_bot' if at else ''} " + " ".join(args),
    st.one_of(
        st.sampled_from(COMMANDS),
        st.text(min_size=1, max_size=30).filter(lambda s: not s[0].isspace()),  # unknown ones
    ),
    st.lists(odd_argument, max_size=3),
    st.booleans(),
)
# Trudy under any display name (names are echoed in greetings and leaderboards).
trudy = st.builds(
    FakeUser,
    id=st.just(TRUDY.id),
    first_name=st.one_of(
        st.text(min_size=1, max_size=64), st.sampled_from(["<b>Eve & co", "<script>x</script>"])
    ),
    username=st.one_of(st.none(), st.from_regex(r"[a-z][a-z0-9_]{4,20}", fullmatch=True)),
)
junk_data = st.one_of(
    st.binary(max_size=64).map(lambda b: b.decode("utf-8", errors="replace")),
    st.text(max_size=64),
)


def forged_id(world: World) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from([str(world.ada_sent), str(world.bob_sent), str(world.gone_sent)]),
        st.integers(min_value=-(2**63), max_value=2**63).map(str),
        st.sampled_from([*HUGE, "-1", "0", "x", "", "leaves", "mini"]),
    )


# --- tests ---------------------------------------------------------------------------------


@FUZZ
@given(text=any_text, who=trudy, where=st.sampled_from(["private", "group"]))
def test_any_text_is_handled(world: World, text: str, who: FakeUser, where: str) -> None:
    chat_id = GROUP if where == "group" else None
    world.send(world.rig.updates.message(who, text, chat_id=chat_id))


@FUZZ
@given(
    text=command_text,
    who=st.one_of(trudy, st.just(BOB)),
    where=st.sampled_from(["private", "group"]),
)
def test_commands_with_odd_arguments_are_handled(
    world: World, text: str, who: FakeUser, where: str
) -> None:
    if text.split()[0].split("@")[0] in {"/forgetme", "/reset"} and where == "private":
        text = text.split()[0]  # they only ask for a confirmation; keep the learner around
    world.send(world.rig.updates.message(who, text, chat_id=GROUP if where == "group" else None))


@FUZZ
@given(data=junk_data)
def test_callback_data_of_any_bytes_writes_nothing(world: World, data: str) -> None:
    before = guarded_rows(world)
    world.send(world.rig.updates.callback(TRUDY, data, chat_id=TRUDY.id, message_id=1))
    assert guarded_rows(world) == before


@FUZZ
@given(data=st.data())
def test_forged_callbacks_write_nothing(world: World, data: st.DataObject) -> None:
    prefix = data.draw(st.sampled_from(PREFIXES), label="prefix")
    parts = data.draw(
        st.lists(
            st.one_of(
                forged_id(world),
                st.sampled_from(
                    ["a", "t", "s", "yes", "no", "sure", "guess", "c", "m", "x", "quiz"]
                ),
            ),
            min_size=1,
            max_size=3,
        ),
        label="parts",
    )
    # A learner pressing buttons in their own chat may change their own settings: forge the
    # settings-like ones as a non-admin in a group, and question ones from another chat.
    in_group = prefix in {"set", "reset", "forget", "lesson", "course"}
    who, chat_id = (BOB, GROUP) if in_group else (MALLORY, MALLORY.id)
    callback = ":".join([prefix, *parts])[:64]
    before = all_rows(world)
    world.send(world.rig.updates.callback(who, callback, chat_id=chat_id, message_id=1))
    assert all_rows(world) == before, callback


@pytest.mark.parametrize(
    "callback",
    [
        f"{prefix}:{huge}"
        for prefix in ("ex:c", "ex:x", "ex:m", "next", "unsure", "q:a", "report")
        for huge in HUGE[:1]
    ]
    + ["q:a:1:99999999999999999999", "ex:a:3:-99999999999999999999", "cf:sure:" + HUGE[1]],
)
def test_forged_callbacks_with_impossible_ids(world: World, callback: str) -> None:
    """Ids past 64 bits (the fuzzer finds these; here they run every time)."""
    before = all_rows(world)
    world.send(world.rig.updates.callback(MALLORY, callback, chat_id=MALLORY.id, message_id=1))
    assert all_rows(world) == before


@FUZZ
@given(
    poll_id=st.one_of(st.text(max_size=40), st.sampled_from(["poll-0", "poll-999", ""])),
    options=st.lists(st.integers(min_value=-(2**31), max_value=2**31), max_size=5),
    known=st.booleans(),
)
def test_poll_answers_to_unknown_polls_or_with_odd_options_write_nothing(
    world: World, poll_id: str, options: list[int], known: bool
) -> None:
    if known:  # Ada's real poll, with option ids it does not have
        poll_id = world.ada_poll["id"]
        count = len(world.ada_poll["options"])
        options = [o if not 0 <= o < count else o + count for o in options]
    before = all_rows(world)
    world.send(world.rig.updates.poll_answer(MALLORY if not known else ADA, poll_id, options))
    assert all_rows(world) == before


def test_the_real_poll_still_takes_a_real_answer(world: World) -> None:
    """After all the fuzzing, Ada's open poll is still answerable (nothing was consumed)."""
    world.send(
        world.rig.updates.poll_answer(
            ADA, world.ada_poll["id"], world.ada_poll["correct_option_ids"]
        )
    )

    async def answers() -> list[Answer]:
        async with world.rig.db.read() as s:
            return list((await s.exec(select(Answer))).all())

    assert [a.correct for a in world.run(answers())] == [True]
