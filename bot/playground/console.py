"""Console playground: chat with the real bot in a terminal, over an in-process fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from telegram import Update

from bot.config import Settings
from bot.content.loader import load_catalog
from bot.content.markup import strip_html
from bot.content.schema import Catalog, ContentErrors
from bot.db.lease import AlreadyRunning, DeliveryLock, acquire_delivery_lock
from bot.playground.fakeapi import Call, FakeBotAPI
from bot.playground.fakeupdates import FakeUser, UpdateFactory
from bot.tg.app import build_application
from bot.tg.context import TutorApp

DEFAULT_DB = Path("data/playground.db")
YOU = FakeUser(1, "You")
QUIT = frozenset({"/quit", "/exit"})
_PICK = re.compile(r"^\s*\d+(\s*[, ]\s*\d+)*\s*$")
_LINK = re.compile(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)
_BOLD_ON = "\x1b[1m"
_STYLE_OFF = "\x1b[0m"
_DIM_ON = "\x1b[2m"

BANNER = """\
tutorbot playground: the real bot, a fake Telegram, your terminal.
Type messages and commands (try /start, /lesson, /quiz, /help). When the bot shows numbered
choices, type a number to press that button or vote for that poll option ("1,3" for several).
Start a line with " to send it as plain text. /quit or Ctrl-D leaves.
"""


@dataclass
class Choice:
    """One numbered thing the person can pick: a button, or a poll option."""

    label: str
    chat_id: int
    message_id: int
    callback_data: str | None = None
    poll_id: str | None = None
    option: int | None = None
    multiple: bool = False


class Screen:
    """Renders the bot's Bot API calls as readable text and remembers the current choices."""

    def __init__(self, api: FakeBotAPI, output: TextIO, *, ansi: bool) -> None:
        self.api = api
        self.output = output
        self.ansi = ansi
        self.choices: list[Choice] = []
        self._choice_message: tuple[int, int] | None = None
        self._texts: dict[tuple[int, int], str] = {}

    # -- text ------------------------------------------------------------------------------------
    def text(self, markup: str) -> str:
        """Turn the bot's Telegram HTML into terminal text (bold in ANSI on a terminal)."""
        markup = _LINK.sub(lambda m: f"{m.group(2)} ({html.unescape(m.group(1))})", markup)
        if self.ansi:
            markup = markup.replace("<b>", _BOLD_ON).replace("</b>", _STYLE_OFF)
        return strip_html(markup)

    def dim(self, text: str) -> str:
        """Grey out helper text on a terminal."""
        return f"{_DIM_ON}{text}{_STYLE_OFF}" if self.ansi else text

    def write(self, text: str) -> None:
        """Print a block of text followed by a blank line."""
        self.output.write(text.rstrip("\n") + "\n\n")
        self.output.flush()

    # -- Bot API calls ---------------------------------------------------------------------------
    def on_call(self, call: Call) -> None:
        """Show one successful Bot API call the bot made."""
        if call.status != 200:
            return
        handler: Callable[[Call], None] | None = getattr(self, f"_show_{call.method}", None)
        if handler is not None:
            handler(call)
        elif call.method.startswith("send") and call.method != "sendChatAction":
            self.write(self.dim(f"[the bot sent a {call.method.removeprefix('send').lower()}]"))

    def _show_sendMessage(self, call: Call) -> None:
        self._show_message(call.result, edited=False)

    def _show_editMessageText(self, call: Call) -> None:
        self._show_message(call.result, edited=True)

    def _show_editMessageReplyMarkup(self, call: Call) -> None:
        self._show_message(call.result, edited=True)

    def _show_sendPhoto(self, call: Call) -> None:
        caption = call.result.get("caption") or ""
        self.write(self.dim("[picture]") + (" " + self.text(caption) if caption else ""))

    def _show_answerCallbackQuery(self, call: Call) -> None:
        note = str(call.params.get("text") or "")
        if note:
            self.write(self.dim("» ") + self.text(note))

    def _show_deleteMessage(self, call: Call) -> None:
        self.write(self.dim("(a message was deleted)"))

    def _show_stopPoll(self, call: Call) -> None:
        self.write(self.dim("(the poll was closed)"))
        if self.choices and self.choices[0].poll_id == call.result.get("id"):
            self.choices = []

    def _show_message(self, message: dict[str, Any], *, edited: bool) -> None:
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        text = str(message.get("text") or "")
        buttons = _buttons(message.get("reply_markup"))
        unchanged = edited and self._texts.get(key) == text
        self._texts[key] = text
        if unchanged and not buttons:  # only the buttons went away: nothing new to read
            if self._choice_message == key:
                self.choices = []
            return
        lines = [self.dim("(edited)")] if edited else []
        lines.append(self.text(text))
        if buttons:
            choices = []
            for label, data, url in buttons:
                if data is None:
                    lines.append(f"    {label}: {url}" if url else f"    {label}")
                    continue
                choices.append(Choice(label, key[0], key[1], callback_data=data))
                lines.append(f"[{len(choices)}] {label}")
            if choices:
                self.choices = choices
                self._choice_message = key
        elif edited and self._choice_message == key:
            self.choices = []  # its buttons are gone
        self.write("\n".join(lines))

    def _show_sendPoll(self, call: Call) -> None:
        message = call.result
        poll = message["poll"]
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        multiple = bool(poll.get("allows_multiple_answers"))
        kind = "Quiz" if poll.get("type") == "quiz" else "Poll"
        how = "pick one or more: e.g. 1,3" if multiple else "pick one"
        lines = [f"📊 {kind}: {self.text(html.escape(poll['question']))}"]
        self.choices = []
        for i, option in enumerate(poll["options"]):
            label = str(option["text"])
            self.choices.append(
                Choice(label, key[0], key[1], poll_id=poll["id"], option=i, multiple=multiple)
            )
            lines.append(f"[{i + 1}] {label}")
        lines.append(self.dim(f"({how})"))
        self._choice_message = key
        self.write("\n".join(lines))

    def show_vote(self, chat_id: int, message_id: int, chosen: list[int]) -> None:
        """Show what a Telegram client shows after a quiz vote: right options and explanation."""
        poll = self.api.messages.get((chat_id, message_id), {}).get("poll")
        if not poll or poll.get("type") != "quiz":
            return
        options = [str(o["text"]) for o in poll["options"]]
        right = list(poll.get("correct_option_ids") or [])
        lines = [
            f"{'✓' if i in right else ('✗' if i in chosen else ' ')} {text}"
            for i, text in enumerate(options)
        ]
        if poll.get("explanation"):
            lines.append(f"💡 {poll['explanation']}")
        self.write(self.dim("\n".join(lines)))


def _buttons(markup: Any) -> list[tuple[str, str | None, str | None]]:
    if not isinstance(markup, dict):
        return []
    return [
        (str(b.get("text", "")), b.get("callback_data"), b.get("url"))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


class PlaygroundAPI(FakeBotAPI):
    """The fake Bot API with poll ids that stay unique across playground sessions."""

    def __init__(self) -> None:
        super().__init__()
        self.session = f"{int(time.time() * 1_000_000):x}"

    def _api_sendPoll(self, p: dict[str, Any]) -> Any:
        message = super()._api_sendPoll(p)
        if isinstance(message, dict):  # the stored message: the id changes there too
            message["poll"]["id"] = f"{self.session}-{message['poll']['id']}"
        return message


class Playground:
    """A person ("You", user 1) in a private chat with the bot."""

    def __init__(self, app: TutorApp, api: FakeBotAPI, screen: Screen) -> None:
        self.app = app
        self.api = api
        self.screen = screen
        # Update ids continue across runs: the database remembers handled ids for two days.
        self.updates = UpdateFactory(app.bot, first_update_id=int(time.time() * 1_000_000))

    async def handle(self, line: str) -> None:
        """Act on one line the person typed."""
        text = line.strip()
        if not text:
            return
        if text.startswith('"'):
            await self.send(self.updates.message(YOU, text[1:].strip() or '"'))
        elif _PICK.match(text) and self.screen.choices:
            await self.pick([int(n) for n in re.split(r"[, ]+", text.strip())])
        else:
            await self.send(self.updates.message(YOU, text))

    async def pick(self, numbers: list[int]) -> None:
        """Press a numbered button or vote for numbered poll options."""
        choices = self.screen.choices
        if any(not 1 <= n <= len(choices) for n in numbers):
            self.screen.write(self.screen.dim(f"(no such choice: pick 1-{len(choices)})"))
            return
        picked = [choices[n - 1] for n in numbers]
        first = picked[0]
        if first.poll_id is not None:
            if len(picked) > 1 and not first.multiple:
                self.screen.write(self.screen.dim("(this poll takes one answer)"))
                return
            options = sorted({c.option for c in picked if c.option is not None})
            self.screen.choices = []  # a quiz takes one vote
            self.screen.show_vote(first.chat_id, first.message_id, options)
            await self.send(self.updates.poll_answer(YOU, first.poll_id, options))
            return
        if len(picked) > 1:
            self.screen.write(self.screen.dim("(press one button at a time)"))
            return
        message = self.api.messages.get((first.chat_id, first.message_id))
        await self.send(
            self.updates.callback(
                YOU,
                first.callback_data or "",
                message=message,
                chat_id=first.chat_id,
                message_id=first.message_id,
            )
        )

    async def send(self, update: Update) -> None:
        """Let the application handle one update (its error handler catches failures)."""
        await self.app.process_update(update)


async def run_playground(
    *,
    settings: Settings,
    input_stream: TextIO,
    output: TextIO,
    db_path: Path,
    start_jobs: bool = True,
) -> int:
    """Chat with the real application in a terminal until /quit or end of input; exit code."""
    try:
        catalog = load_catalog(settings.lessons_dir)
    except ContentErrors as exc:
        output.write(f"cannot load the courses in {settings.lessons_dir}:\n{exc}\n")
        return 1
    settings = dataclasses.replace(settings, database_url=f"sqlite+aiosqlite:///{db_path}")
    lock = None
    if start_jobs:  # scheduled deliveries: one process per database file
        try:
            lock = acquire_delivery_lock(settings)
        except AlreadyRunning as exc:
            output.write(f"{exc}\n")
            return 1
    try:
        return await _chat(settings, catalog, input_stream, output, db_path, lock)
    finally:
        if lock is not None:
            lock.release()


async def _chat(
    settings: Settings,
    catalog: Catalog,
    input_stream: TextIO,
    output: TextIO,
    db_path: Path,
    lock: DeliveryLock | None,
) -> int:
    api = PlaygroundAPI()
    screen = Screen(api, output, ansi=_is_tty(output))
    app = build_application(
        settings, request=api, catalog=catalog, rate_limiter=False, start_jobs=lock is not None
    )
    if lock is not None:
        app.bot_data.delivery_lock = lock  # jobs.install reuses the held lock
    interactive = _is_tty(input_stream)
    async with app:
        await app.post_init(app)  # type: ignore[misc]
        api.listeners.append(screen.on_call)
        if lock is not None:
            await app.start()  # the JobQueue (scheduled deliveries); no Updater: we feed updates
        try:
            output.write(BANNER + f"(database: {db_path})\n\n")
            playground = Playground(app, api, screen)
            while True:
                if interactive:
                    output.write("> ")
                    output.flush()
                line = await read_line(input_stream)
                if not line:
                    break
                if not interactive:
                    output.write(f"You: {line.rstrip()}\n\n")
                if line.strip().lower() in QUIT:
                    break
                await playground.handle(line)
        finally:
            api.listeners.remove(screen.on_call)
            if app.running:
                await app.stop()
            await app.post_shutdown(app)  # type: ignore[misc]
    output.write("Bye!\n")
    return 0


async def read_line(stream: TextIO) -> str:
    """Read one line in a daemon thread, so that Ctrl-C never waits for a pending read."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if future.done():  # cancelled meanwhile (Ctrl-C)
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line or "")

    def work() -> None:
        try:
            line, error = stream.readline(), None
        except Exception as exc:  # handed to the awaiting coroutine
            line, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody waits
            loop.call_soon_threadsafe(settle, line, error)

    threading.Thread(target=work, name="playground-input", daemon=True).start()
    return await future


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
