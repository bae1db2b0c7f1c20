"""Checks before the bot starts: each failure becomes one line naming the cause and the setting.

Order (cheapest and most local first): the courses, the data folder and its lock, the database,
then Telegram. Network failures are retried with exponential backoff, one log line per attempt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.request import HTTPXRequest

from bot.config import Settings, sqlite_path
from bot.content.loader import check_catalog
from bot.content.schema import Catalog
from bot.db.engine import Database
from bot.ops.dbcopy import safe_url

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")
MAX_BACKOFF = 60.0


class StartupError(RuntimeError):
    """The bot cannot start; the message is one line naming the cause and the setting to fix."""


def check_lessons(settings: Settings) -> Catalog:
    """Load the courses, or raise StartupError naming LESSONS_DIR."""
    root = settings.lessons_dir
    if not root.is_dir():
        raise StartupError(
            f"LESSONS_DIR={root}: no such folder (point LESSONS_DIR at your courses, "
            "or unset it to use the bundled course)"
        )
    catalog, errors = check_catalog(root)
    if catalog is None or errors:
        first = errors[0] if errors else "no courses"
        raise StartupError(
            f"LESSONS_DIR={root}: {len(errors)} course error(s), first: {first} "
            "(run `tutorbot check` for all)"
        )
    if not catalog.courses:
        raise StartupError(f"LESSONS_DIR={root}: no courses in this folder")
    return catalog


def permission_message(exc: PermissionError, settings: Settings) -> str:
    """Return the one line for a data folder (or lock file) the bot may not write."""
    where = exc.filename or sqlite_path(settings.database_url) or "the data folder"
    return (
        f"DATABASE_URL: permission denied on {where}: make the folder writable by the bot's "
        "user (the image runs as uid 10001: chown 10001 the bind mount), or point "
        "DATABASE_URL elsewhere"
    )


def backoff_delays(settings: Settings) -> list[float]:
    """Return the waits between attempts: base, 2 x base, 4 x base ... capped at a minute."""
    base = settings.startup_backoff
    return [min(base * 2**n, MAX_BACKOFF) for n in range(max(settings.startup_retries - 1, 0))]


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    what: str,
    retryable: tuple[type[BaseException], ...],
    describe: Callable[[BaseException], str],
    settings: Settings,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Run `attempt`, retrying `retryable` errors with backoff; log one warning per failure."""
    delays = backoff_delays(settings)
    total = len(delays) + 1
    for number in range(1, total + 1):
        try:
            return await attempt()
        except retryable as exc:
            cause = describe(exc)
            if number == total:
                raise StartupError(f"{what}: {cause} (gave up after {total} attempts)") from None
            delay = delays[number - 1]
            log.warning(
                "%s: %s (attempt %d/%d, retrying in %gs)", what, cause, number, total, delay
            )
            await sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def first_line(exc: BaseException) -> str:
    """Return the first line of an exception (the driver's own error for DBAPI errors)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


async def check_database(settings: Settings, *, sleep: Sleep = asyncio.sleep) -> None:
    """Connect and migrate, retrying a database that is not up yet; StartupError names it."""

    async def attempt() -> None:
        db = Database.from_url(settings.database_url)
        try:
            await db.migrate()
        finally:
            await db.dispose()

    try:
        await with_retries(
            attempt,
            what=f"DATABASE_URL={safe_url(settings.database_url)}: cannot connect",
            retryable=(OperationalError, OSError),
            describe=first_line,
            settings=settings,
            sleep=sleep,
        )
    except PermissionError as exc:
        raise StartupError(permission_message(exc, settings)) from None
    except DBAPIError as exc:
        raise StartupError(
            f"DATABASE_URL={safe_url(settings.database_url)}: {first_line(exc)}"
        ) from None


async def check_telegram(settings: Settings, *, sleep: Sleep = asyncio.sleep) -> str:
    """Call getMe, retrying network failures; return the bot's @username.

    Raises StartupError naming TELEGRAM_BOT_TOKEN (rejected) or TELEGRAM_BASE_URL (unreachable).
    """
    assert settings.bot_token is not None
    timeout = settings.startup_timeout
    host = settings.base_url.split("/bot")[0]

    async def attempt() -> str:
        request = HTTPXRequest(connect_timeout=timeout, read_timeout=timeout, pool_timeout=timeout)
        bot = Bot(settings.bot_token or "", base_url=settings.base_url, request=request)
        try:
            me = await bot.get_me()
        finally:
            await request.shutdown()
        return f"@{me.username}"

    def describe(exc: BaseException) -> str:
        kind = "timed out" if "Timed out" in type(exc).__name__ + str(exc) else "unreachable"
        return f"Telegram {kind} ({first_line(exc)})"

    try:
        return await with_retries(
            attempt,
            what=f"TELEGRAM_BASE_URL={host}",
            retryable=(NetworkError,),
            describe=describe,
            settings=settings,
            sleep=sleep,
        )
    except InvalidToken:
        raise StartupError(
            "TELEGRAM_BOT_TOKEN: rejected by Telegram (401 Unauthorized): copy the token "
            "again from @BotFather"
        ) from None
    except TelegramError as exc:
        raise StartupError(f"TELEGRAM_BASE_URL={host}: getMe failed: {first_line(exc)}") from None


def ensure_data_dir(settings: Settings) -> Path | None:
    """Create the SQLite file's folder; raise StartupError when the bot may not write there."""
    db_file = sqlite_path(settings.database_url) if settings.is_sqlite else None
    if db_file is None:
        return None
    try:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    except PermissionError as exc:
        raise StartupError(permission_message(exc, settings)) from None
    except OSError as exc:
        raise StartupError(
            f"DATABASE_URL: cannot create {db_file.parent}: {exc.strerror or exc}"
        ) from None
    return db_file.parent
