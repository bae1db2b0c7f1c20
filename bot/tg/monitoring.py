"""The bot watching itself: per-update metrics and log context, Telegram's pulse, the probes.

- `TutorApplication.process_update` times and counts every update, logs one INFO line for it,
  and binds its update id and chat id to every log line written while it is handled.
- `TrackingRequest` wraps the getUpdates transport: each answer (or failure) of Telegram is
  recorded in `Vitals`, which readiness reads.
- `probes_for` builds the liveness and readiness probes of the health endpoint.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.logs import bind_update, unbind_update
from bot.ops import health
from bot.ops.healthserver import HealthServer, Probes
from bot.ops.metrics import Check, Verdict, liveness, readiness, telegram_check
from bot.study import updates
from bot.tg import callbacks, polling

if TYPE_CHECKING:
    from bot.tg.context import TutorApp, TutorContext

log = logging.getLogger(__name__)
updates_log = logging.getLogger("bot.updates")

DATABASE_PROBE_TIMEOUT = 3.0  # seconds: a database slower than this counts as down
WEBHOOK_CHECK_SECONDS = 60.0
_MAX_TEXT = 32  # how much of a command to show in the update log line


def update_kind(update: Update) -> tuple[str, str]:
    """Return the metric kind of an update and a short description for its log line."""
    if update.callback_query is not None:
        data = update.callback_query.data or ""
        return "button", f"button {callbacks.feature_of(data)!r}"
    if update.poll_answer is not None:
        return "poll_answer", "poll answer"
    if update.my_chat_member is not None:
        return "member", f"membership {update.my_chat_member.new_chat_member.status}"
    message = update.message
    if message is not None and message.text is not None:
        if message.text.startswith("/"):
            word = message.text.split(maxsplit=1)[0][:_MAX_TEXT]
            return "command", f"command {word}"
        return "text", "text"
    return "other", "other"


def _chat_of(update: Update) -> int | None:
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.poll_answer is not None and update.poll_answer.user is not None:
        return update.poll_answer.user.id  # a vote: the voter's private chat
    return None


class TutorApplication(Application):
    """PTB's Application, measuring each update and tagging its log lines."""

    async def process_update(self, update: object) -> None:
        """Handle one update as PTB does, inside its log context and timing."""
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        kind, what = update_kind(update)
        chat_id = _chat_of(update)
        token = bind_update(update.update_id, chat_id)
        started = time.perf_counter()
        try:
            await super().process_update(update)
            await self._mark_handled(update.update_id)
        finally:
            elapsed = time.perf_counter() - started
            metrics = self.bot_data.metrics
            metrics.updates.labels(kind=kind).inc()
            metrics.update_seconds.labels(kind=kind).observe(elapsed)
            if self.bot_data.vitals.mode == "webhook":  # an update arrived: Telegram reaches us
                self.bot_data.vitals.telegram_succeeded(time.time())
            updates_log.info(
                "update %s: %s in chat %s, %.0f ms", update.update_id, what, chat_id, elapsed * 1e3
            )
            if self.bot_data.ledger is not None:  # durable polling may now confirm it
                self.bot_data.ledger.finish(update.update_id)
            unbind_update(token)

    async def _mark_handled(self, update_id: int) -> None:
        """Record the update as handled, unless a database error cut it short."""
        data = self.bot_data
        if update_id in data.unfinished:
            data.unfinished.discard(update_id)
            return
        if data.db is None:
            return
        try:
            await updates.mark(data.db, update_id=update_id, now=data.clock())
        except SQLAlchemyError as exc:  # a redelivery would run it again: say so, go on
            log.warning("update %s: could not record it as handled: %s", update_id, exc)

    def run_durable_polling(self, *, allowed_updates: list[str]) -> None:
        """Run with durable long polling (bot/tg/polling.py) until SIGINT or SIGTERM."""
        asyncio.run(polling.run_durable_polling(self, allowed_updates=allowed_updates))


class TrackingRequest(BaseRequest):
    """A transport that records Telegram's answers to getUpdates in `Vitals` (and metrics)."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner
        self.app: TutorApp | None = None  # set once the application is built

    @property
    def read_timeout(self) -> float | None:
        """Return the inner transport's read timeout."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Initialize the inner transport."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Shut the inner transport down."""
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Pass the call on; note whether getUpdates got an answer."""
        polling = url.endswith("/getUpdates")
        try:
            code, payload = await self.inner.do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        except Exception as exc:
            if polling and self.app is not None:
                telegram_failed(self.app, describe(exc))
            raise
        if polling and self.app is not None:
            if 200 <= code <= 299:
                telegram_succeeded(self.app)
            else:
                telegram_failed(self.app, f"HTTP {code}")
        return code, payload


def describe(exc: BaseException | None) -> str:
    """Return an error as one short line: its type and first line."""
    if exc is None:
        return "unknown error"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text_ = str(exc).strip()
    return text_.splitlines()[0][:200] if text_ else type(exc).__name__


def telegram_succeeded(app: TutorApp) -> None:
    """Record that Telegram answered; log a recovery after failures."""
    ended = app.bot_data.vitals.telegram_succeeded(time.time())
    app.bot_data.metrics.telegram_ok.set(app.bot_data.vitals.telegram_ok_at or 0)
    if ended:
        log.warning("Telegram answers again (after %d failed call(s))", ended)


def telegram_failed(app: TutorApp, cause: str) -> None:
    """Record a failed call: the first of a row is one WARNING line, repeats are DEBUG."""
    vitals = app.bot_data.vitals
    count = vitals.telegram_failed(cause)
    app.bot_data.metrics.telegram_failures.inc()
    what = "webhook check" if vitals.mode == "webhook" else "getUpdates"
    if count == 1:
        log.warning("Telegram unreachable (%s failed: %s); retrying", what, cause)
    else:
        log.debug("%s failed again (%d in a row): %s", what, count, cause)


def count_answer(context: TutorContext, *, via: str, correct: bool) -> None:
    """Count one graded answer (via "poll", "button" or "exam")."""
    result = "correct" if correct else "wrong"
    context.bot_data.metrics.answers.labels(via=via, result=result).inc()


def is_polling_error(update: object, error: BaseException | None) -> bool:
    """Tell whether the error handler got a getUpdates failure (no update, a Telegram error)."""
    return update is None and isinstance(error, TelegramError)


async def webhook_check(context: TutorContext) -> None:
    """Ask Telegram about the webhook (a job, every minute in webhook mode)."""
    app: TutorApp = context.application  # type: ignore[assignment]
    try:
        info = await context.bot.get_webhook_info()
    except TelegramError as exc:
        telegram_failed(app, f"getWebhookInfo: {_first_line(exc)}")
        return
    if info.last_error_date is not None and (
        time.time() - info.last_error_date.timestamp() < 2 * WEBHOOK_CHECK_SECONDS
    ):
        telegram_failed(app, f"Telegram reports: {info.last_error_message or 'delivery error'}")
        return
    telegram_succeeded(app)


# -- the probes ---------------------------------------------------------------------------------
def _tick_check(app: TutorApp) -> Check:
    settings = app.bot_data.settings
    verdict = health.check_heartbeat(
        settings.heartbeat_path(),
        max_age=health.default_max_age(settings.tick_seconds),
        now=time.time(),
    )
    if not verdict.ok and app.bot_data.vitals.started_at:
        grace = health.default_max_age(settings.tick_seconds)
        if time.time() - app.bot_data.vitals.started_at < grace:
            return Check(True, "starting")
    return Check(verdict.ok, verdict.message.split(": ", 1)[-1])


async def _database_check(app: TutorApp) -> Check:
    db = app.bot_data.db
    if db is None:
        return Check(False, "not open yet")

    async def ping() -> None:
        async with db.read() as session:
            connection = await session.connection()
            await connection.execute(text("SELECT 1"))

    started = time.perf_counter()
    try:
        await asyncio.wait_for(ping(), DATABASE_PROBE_TIMEOUT)
    except TimeoutError:
        return Check(False, f"no answer in {DATABASE_PROBE_TIMEOUT:g}s")
    except Exception as exc:  # any driver error means: not reachable
        return Check(False, f"{type(exc).__name__}: {_first_line(exc)}")
    return Check(True, f"{(time.perf_counter() - started) * 1e3:.0f} ms")


def probes_for(app: TutorApp) -> Probes:
    """Build the liveness and readiness probes of an application."""

    async def alive() -> Verdict:
        return liveness(tick=_tick_check(app))

    async def ready() -> Verdict:
        return readiness(
            database=await _database_check(app),
            telegram=telegram_check(app.bot_data.vitals, now=time.time()),
            tick=_tick_check(app),
        )

    return Probes(liveness=alive, readiness=ready, metrics=app.bot_data.metrics)


def start_health_server(app: TutorApp) -> HealthServer | None:
    """Serve /healthz, /readyz and /metrics when HEALTH_PORT is set (None when it is not)."""
    settings = app.bot_data.settings
    if settings.health_port is None:
        return None
    listen, port = settings.health_listen, settings.health_port
    server = HealthServer(probes_for(app), listen=listen, port=port)
    server.start()
    return server
