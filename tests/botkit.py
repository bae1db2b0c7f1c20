"""Test kit: the real Application over a fake Bot API, a SQLite file and a fake clock."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Update

from bot.clock import FakeClock
from bot.config import Settings
from bot.content.loader import load_catalog
from bot.content.schema import Catalog
from bot.db.engine import Database
from bot.playground.fakeapi import FakeBotAPI
from bot.playground.fakeupdates import FakeUser, UpdateFactory
from bot.tg.app import build_application
from bot.tg.context import TutorApp

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "courses"
REAL_LESSONS = Path(__file__).parent.parent / "lessons"
T0 = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # a Monday

# Each rig continues where the previous one stopped, like Telegram's update ids.
_UPDATE_IDS = itertools.count(1, 10_000)
ADA = FakeUser(101, "Ada", "ada")
BOB = FakeUser(102, "Bob", "bob")


@dataclass
class BotRig:
    """Everything a test drives: app, fake API, clock, update factory, database."""

    app: TutorApp
    api: FakeBotAPI
    clock: FakeClock
    updates: UpdateFactory
    db: Database
    db_url: str

    async def send(self, update: Update) -> None:
        """Process one update through every handler."""
        await self.app.process_update(update)

    async def say(self, user: FakeUser, text: str, *, chat_id: int | None = None) -> None:
        """A user sends a message or command."""
        await self.send(self.updates.message(user, text, chat_id=chat_id))

    async def press(
        self,
        user: FakeUser,
        data: str,
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
    ) -> None:
        """A user presses a button with this callback data on the newest bot message."""
        chat = chat_id if chat_id is not None else user.id
        if message_id is None:
            candidates = [k for k in self.api.messages if k[0] == chat]
            message_id = max(candidates)[1] if candidates else 1
        message = self.api.messages.get((chat, message_id))
        await self.send(
            self.updates.callback(user, data, message=message, chat_id=chat, message_id=message_id)
        )

    async def vote(
        self, user: FakeUser, option_ids: list[int], *, poll_id: str | None = None
    ) -> None:
        """A user votes in the newest (or the given) poll."""
        if poll_id is None:
            poll_id = self.last_poll()["id"]
        await self.send(self.updates.poll_answer(user, poll_id, option_ids))

    def last_poll(self) -> dict[str, Any]:
        """The newest poll the bot sent."""
        polls = [
            c.result["poll"] for c in self.api.calls if c.method == "sendPoll" and c.status == 200
        ]
        assert polls, "no poll was sent"
        return polls[-1]

    def last_text(self, chat_id: int | None = None) -> str:
        """The newest text the bot sent (message, poll question or caption)."""
        texts = self.api.texts(chat_id)
        assert texts, "the bot sent nothing"
        return texts[-1]

    def buttons(self, params: dict[str, Any]) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button in a sent message."""
        markup = params.get("reply_markup") or {}
        return [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]


def make_settings(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": "123456:TEST-token",
        "database_url": db_url,
        "lessons_dir": MINI,
        "tick_seconds": 1.0,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    *,
    catalog: Catalog | None = None,
    clock: FakeClock | None = None,
    api: FakeBotAPI | None = None,
    db_name: str = "bot.db",
    db_url: str | None = None,
    rate_limiter: bool = False,
    **settings: Any,
) -> AsyncIterator[BotRig]:
    """Start the real Application (initialize + post_init) on a SQLite file under tmp_path.

    `db_url` runs it on another database instead (PostgreSQL in tests/pg.py).
    """
    clock = clock or FakeClock(T0)
    api = api or FakeBotAPI(clock=clock)
    db_url = db_url or f"sqlite+aiosqlite:///{tmp_path / db_name}"
    catalog = catalog or load_catalog(MINI)
    app = build_application(
        make_settings(db_url, **settings),
        request=api,
        clock=clock,
        catalog=catalog,
        database=Database.from_url(db_url),
        rate_limiter=rate_limiter,
        start_jobs=False,
    )
    async with app:
        await app.post_init(app)  # type: ignore[misc]
        db = app.bot_data.db
        assert db is not None
        try:
            yield BotRig(
                app=app,
                api=api,
                clock=clock,
                updates=UpdateFactory(app.bot, clock=clock, first_update_id=next(_UPDATE_IDS)),
                db=db,
                db_url=db_url,
            )
        finally:
            await app.post_shutdown(app)  # type: ignore[misc]
