"""The bot token never reaches the log output, the users or the database.

A full scripted session runs with logging configured exactly as `tutorbot run` does it
(bot.logs.configure_logging at DEBUG, every logger on), over a fake Bot API that logs each
request URL the way httpx does and fails some calls with exceptions that carry the token, as
PTB's InvalidToken and wrapped transport errors do. The raw records do contain the token (so
the check can fail); the configured output must not.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.error import InvalidToken, NetworkError

from bot.clock import FakeClock
from bot.logs import NOISY, configure_logging
from bot.playground.fakeapi import FakeBotAPI, error_body
from bot.tg import jobs
from tests.botkit import ADA, BOB, T0, running_bot

TOKEN = "7012345678:AAHsecretSECRETsecret_0123456789-abcdE"
SECRET = TOKEN.split(":", 1)[1]


class LoggingAPI(FakeBotAPI):
    """The fake Bot API, logging each request as httpx and httpcore do (URL with the token)."""

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        logging.getLogger("httpcore.http11").debug("send_request_headers.started request=%s", url)
        result = await super().do_request(url, method, *args, **kwargs)
        logging.getLogger("httpx").info(
            'HTTP Request: %s %s "HTTP/1.1 %s"', method, url, result[0]
        )
        return result


class RawRecords(logging.Handler):
    """Keeps each record's text as it was logged, before any filter rewrites it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        self.texts.append(record.getMessage() + exc)


@dataclass
class RunLogs:
    written: io.StringIO
    raw: RawRecords


@pytest.fixture
def run_logging() -> Iterator[RunLogs]:
    """Configure logging as `tutorbot run` does (to a buffer); restore it afterwards."""
    root = logging.getLogger()
    saved = (root.level, {n: logging.getLogger(n).level for n in NOISY})
    out = io.StringIO()
    handler = configure_logging("DEBUG", token=TOKEN, stream=out)
    raw = RawRecords()
    root.handlers.insert(0, raw)  # sees each record before the redacting handler does
    yield RunLogs(out, raw)
    root.removeHandler(raw)
    root.removeHandler(handler)
    root.setLevel(saved[0])
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


async def test_a_full_run_never_writes_the_token(
    tmp_path: Path, run_logging: RunLogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    clock = FakeClock(T0)
    api = LoggingAPI(clock=clock)
    async with running_bot(tmp_path, api=api, clock=clock, bot_token=TOKEN) as rig:
        await rig.say(ADA, "/start")
        for data in ("set:time:0800", "set:days:all", "set:tz:UTC"):
            await rig.press(ADA, data)
        await rig.say(ADA, "/lesson")
        await rig.press(ADA, "lesson:quiz:leaves")
        await rig.vote(ADA, rig.last_poll()["correct_option_ids"])
        await rig.say(ADA, "/quiz")
        poll = rig.last_poll()
        # The feedback fails in the transport, with the token in the message (as a wrapped
        # httpx error would print the URL), and PTB's InvalidToken names the token.
        url = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
        api.raise_next["sendMessage"].append(NetworkError(f"httpx.ConnectError: {url}"))
        await rig.vote(ADA, [(poll["correct_option_ids"][0] + 1) % len(poll["options"])])
        api.raise_next["sendMessage"].append(RuntimeError(f"connection reset by {url}"))
        await rig.say(ADA, "/help")
        api.raise_next["sendMessage"].append(
            InvalidToken(f"The token `{TOKEN}` was rejected by the server.")
        )
        await rig.say(BOB, "/start")
        await rig.say(ADA, "/settings")
        await rig.say(ADA, "/progress")
        await rig.say(ADA, "/nonsense")
        # A delivery tick meets the same kind of failure.
        api.fail("sendMessage", error_body(502, f"Bad Gateway ({url})"))
        rig.clock.set(T0.replace(hour=8))

        async def sleep(seconds: float) -> None:
            clock.advance(timedelta(seconds=seconds))
            await asyncio.sleep(0)

        deliverer = jobs.make_deliverer(rig.app, sleep=sleep, heartbeat_path=tmp_path / "hb")
        await deliverer.tick()
        rig.clock.advance(timedelta(minutes=5))
        await deliverer.tick()
        said = [str(c.params) for c in api.calls if c.method != "getMe"]
        db_file = Path(rig.db_url.removeprefix("sqlite+aiosqlite:///"))
    raw = "\n".join(run_logging.raw.texts)
    written = run_logging.written.getvalue()

    assert TOKEN in raw  # the leaks were there to be made (the check below can fail)
    assert "HTTP Request: POST https://api.telegram.org/bot<token>/sendMessage" in written
    assert "InvalidToken: The token `<token>` was rejected" in written
    assert TOKEN not in written and SECRET not in written
    assert not any(SECRET in text for text in said)  # nothing the users were told
    with sqlite3.connect(db_file) as conn:  # nor stored (e.g. as a delivery's error)
        dump = "\n".join(conn.iterdump())
    assert SECRET not in dump
