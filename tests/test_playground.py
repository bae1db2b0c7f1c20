"""The console playground, driven by scripted input: a lesson and its quiz in the terminal."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Settings
from bot.content.loader import load_catalog
from bot.content.schema import Catalog, ContentErrors
from bot.db.lease import acquire_delivery_lock
from bot.playground.console import Choice, Screen, run_playground
from bot.playground.fakeapi import Call, FakeBotAPI
from tests.botkit import MINI, REAL_LESSONS

Step = str | Callable[[str], str]


class ScriptedInput(io.StringIO):
    """Lines typed one by one; a step may look at the output so far to decide what to type."""

    def __init__(self, steps: list[Step], output: io.StringIO) -> None:
        super().__init__()
        self.steps = list(steps)
        self.output = output

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        if not self.steps:
            return ""  # end of input
        step = self.steps.pop(0)
        line = step if isinstance(step, str) else step(self.output.getvalue())
        return line + "\n"


def courses() -> tuple[Path, Catalog]:
    try:
        return REAL_LESSONS, load_catalog(REAL_LESSONS)
    except ContentErrors:
        return MINI, load_catalog(MINI)


def number_of(pattern: str) -> Callable[[str], str]:
    """A step that types the number shown in front of the newest button matching `pattern`."""

    def step(output: str) -> str:
        found = re.findall(rf"^\[(\d+)\] .*{pattern}", output, flags=re.MULTILINE)
        assert found, f"no button matching {pattern!r} in:\n{output[-2000:]}"
        return found[-1]

    return step


def answers(db_path: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("select question_id, correct from answer").fetchall()


async def test_take_a_lesson_and_its_quiz_in_the_terminal(tmp_path: Path) -> None:
    lessons_dir, catalog = courses()
    course = catalog.courses[0]
    first = min(course.lessons, key=lambda lesson: lesson.position)
    output = io.StringIO()
    steps: list[Step] = [
        "/start",
        *(["1"] if len(catalog.courses) > 1 else []),  # choose the first course
        "/lesson",
        number_of("Take the quiz"),
        "1",  # vote for the first poll option
        "/quit",
        "/help",  # never read: /quit ended the session
    ]
    db_path = tmp_path / "playground.db"
    settings = Settings(lessons_dir=lessons_dir)
    code = await run_playground(
        settings=settings,
        input_stream=ScriptedInput(steps, output),
        output=output,
        db_path=db_path,
        start_jobs=False,
    )
    text = output.getvalue()
    assert code == 0
    assert first.title in text
    asked = re.findall(r"^📊 Quiz: (.+)$", text, flags=re.MULTILINE)
    assert len(asked) == 1 and asked[0] in {q.prompt for q in first.questions}
    assert "[1] " in text.split(asked[0])[1]  # the options are numbered
    assert re.search(r"Right|Not quite", text)
    assert "\x1b[" not in text  # no ANSI codes when the output is not a terminal
    assert "You: /help" not in text and text.endswith("Bye!\n")
    rows = answers(db_path)
    assert len(rows) == 1 and rows[0][0] in {q.id for q in first.questions}


async def test_end_of_input_quits_and_the_database_survives_a_second_session(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "pg.db"
    settings = Settings(lessons_dir=MINI)
    for _ in range(2):  # the second run continues on the same file (update ids must not clash)
        output = io.StringIO()
        steps: list[Step] = ["/start", "/quiz", "1"]
        code = await run_playground(
            settings=settings,
            input_stream=ScriptedInput(steps, output),
            output=output,
            db_path=db_path,
            start_jobs=False,
        )
        assert code == 0
        assert re.search(r"Right|Not quite", output.getvalue())
    assert len(answers(db_path)) == 2


async def test_jobs_start_and_stop_cleanly(tmp_path: Path) -> None:
    output = io.StringIO()
    code = await run_playground(
        settings=Settings(lessons_dir=MINI),
        input_stream=ScriptedInput(["/help"], output),
        output=output,
        db_path=tmp_path / "pg.db",
        start_jobs=True,
    )
    assert code == 0
    assert "/lesson" in output.getvalue().split("You: /help", 1)[1]


async def test_a_second_playground_on_the_same_file_refuses_to_start(tmp_path: Path) -> None:
    db_path = tmp_path / "pg.db"
    output = io.StringIO()
    with acquire_delivery_lock(f"sqlite+aiosqlite:///{db_path}"):
        code = await run_playground(
            settings=Settings(lessons_dir=MINI),
            input_stream=ScriptedInput(["/start"], output),
            output=output,
            db_path=db_path,
        )
    assert code == 1
    assert "already delivering" in output.getvalue() and "You: /start" not in output.getvalue()


async def test_a_number_with_no_choice_shown_is_sent_as_text_and_a_bad_number_is_refused(
    tmp_path: Path,
) -> None:
    output = io.StringIO()
    steps: list[Step] = ["42", "/start", "/quiz", "9", "1,2", "/quit"]
    await run_playground(
        settings=Settings(lessons_dir=MINI),
        input_stream=ScriptedInput(steps, output),
        output=output,
        db_path=tmp_path / "pg.db",
        start_jobs=False,
    )
    text = output.getvalue()
    after_42 = text.split("You: 42", 1)[1].split("You: /start", 1)[0]
    assert after_42.strip()  # the bot answered the free text
    assert "(no such choice: pick 1-" in text
    assert "(this poll takes one answer)" in text


async def test_broken_courses_exit_1_with_the_errors(tmp_path: Path) -> None:
    output = io.StringIO()
    broken = Path(__file__).parent / "fixtures" / "broken" / "too_few_options"
    code = await run_playground(
        settings=Settings(lessons_dir=broken),
        input_stream=ScriptedInput([], output),
        output=output,
        db_path=tmp_path / "pg.db",
        start_jobs=False,
    )
    assert code == 1
    assert "need 2-10 options" in output.getvalue()


def _message(text: str, buttons: list[tuple[str, str]], *, message_id: int = 1) -> dict:
    markup = {"inline_keyboard": [[{"text": t, "callback_data": d}] for t, d in buttons]}
    return {
        "message_id": message_id,
        "chat": {"id": 1, "type": "private"},
        "text": text,
        "reply_markup": markup,
    }


@pytest.mark.parametrize(
    ("ansi", "expected"),
    [
        (False, "Hello Ada & co\n[1] Go\n[2] Stop\n\n"),
        (True, "Hello \x1b[1mAda\x1b[0m & co\n[1] Go\n[2] Stop\n\n"),
    ],
)
def test_screen_renders_html_and_numbers_buttons(ansi: bool, expected: str) -> None:
    out = io.StringIO()
    screen = Screen(FakeBotAPI(), out, ansi=ansi)
    message = _message("Hello <b>Ada</b> &amp; co", [("Go", "x:go"), ("Stop", "x:stop")])
    screen.on_call(Call("sendMessage", {}, 200, message))
    assert out.getvalue() == expected
    assert [c.callback_data for c in screen.choices] == ["x:go", "x:stop"]


def test_screen_shows_edits_and_drops_choices_whose_buttons_went_away() -> None:
    out = io.StringIO()
    screen = Screen(FakeBotAPI(), out, ansi=False)
    screen.on_call(Call("sendMessage", {}, 200, _message("Pick", [("A", "q:a")])))
    edited = {"message_id": 1, "chat": {"id": 1, "type": "private"}, "text": "Picked A"}
    screen.on_call(Call("editMessageText", {}, 200, edited))
    assert out.getvalue().endswith("(edited)\nPicked A\n\n")
    assert screen.choices == []


def test_screen_skips_an_edit_that_only_removes_the_buttons() -> None:
    out = io.StringIO()
    screen = Screen(FakeBotAPI(), out, ansi=False)
    screen.on_call(Call("sendMessage", {}, 200, _message("Pick", [("A", "q:a")])))
    shown = out.getvalue()
    bare = {"message_id": 1, "chat": {"id": 1, "type": "private"}, "text": "Pick"}
    screen.on_call(Call("editMessageReplyMarkup", {}, 200, bare))
    assert out.getvalue() == shown
    assert screen.choices == []


def test_screen_numbers_poll_options_and_ignores_failed_calls() -> None:
    out = io.StringIO()
    screen = Screen(FakeBotAPI(), out, ansi=False)
    poll = {
        "id": "p1",
        "question": "2 < 3?",
        "type": "quiz",
        "allows_multiple_answers": True,
        "options": [{"text": "yes"}, {"text": "no"}],
    }
    screen.on_call(Call("sendMessage", {}, 400, _message("never shown", [])))
    screen.on_call(Call("sendPoll", {}, 200, {"message_id": 5, "chat": {"id": 1}, "poll": poll}))
    assert out.getvalue() == "📊 Quiz: 2 < 3?\n[1] yes\n[2] no\n(pick one or more: e.g. 1,3)\n\n"
    assert screen.choices[1] == Choice("no", 1, 5, poll_id="p1", option=1, multiple=True)


def vote(output: str) -> str:
    """Vote for the first option, or the first two when the newest poll takes several."""
    newest_poll = output.rsplit("📊", 1)[1]
    return "1,2" if "pick one or more" in newest_poll else "1"


async def test_every_question_of_a_lesson_including_a_multiple_answer_poll(
    tmp_path: Path,
) -> None:
    output = io.StringIO()
    steps: list[Step] = [
        "/start",
        "/lesson",
        number_of("Take the quiz"),
        vote,
        number_of("Next question"),
        vote,
        number_of("Next question"),
        vote,
    ]
    db_path = tmp_path / "pg.db"
    await run_playground(
        settings=Settings(lessons_dir=MINI),
        input_stream=ScriptedInput(steps, output),
        output=output,
        db_path=db_path,
        start_jobs=False,
    )
    text = output.getvalue()
    assert "You: 1,2" in text  # the multiple-answer question was answered with two options
    assert len(answers(db_path)) == 3
    assert "Lesson done" in text
