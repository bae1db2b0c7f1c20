"""Durable long polling: Telegram forgets an update only after the bot has handled it.

PTB's Updater confirms updates (the getUpdates `offset`) as soon as it has fetched them, while
they may still wait in memory; a crash then loses every fetched update not yet handled. Here the
offset sent to Telegram never passes the oldest update still waiting or in flight, so after a
crash, a `kill -9` or a stop, Telegram delivers again what was not handled, and the dedup row
(one per update id) makes a redelivered update that was handled harmless. Updates redelivered
while the bot runs are recognised by id and not queued twice.

`Ledger` is the bookkeeping (pure); `run_durable_polling` is the loop around PTB's Application.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

if TYPE_CHECKING:
    from bot.tg.context import TutorApp

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates open
LIMIT = 100  # updates per getUpdates (Telegram's maximum)
MAX_BACKOFF = 30.0
STOP_GRACE = 10.0  # seconds to let in-flight updates finish on stop
STUCK_AFTER = 120.0  # seconds an update may hold the offset back before it is given up


@dataclass
class Ledger:
    """Which update ids were fetched, which are still unhandled, and the offset to confirm."""

    unhandled: set[int] = field(default_factory=set)  # fetched, waiting or in flight
    handled: set[int] = field(default_factory=set)  # handled, above the confirmed offset
    newest: int | None = None  # the highest update id fetched
    since: dict[int, float] = field(default_factory=dict)  # when each unhandled one came
    progress: asyncio.Event = field(default_factory=asyncio.Event)  # set when one finishes

    def take(self, update_id: int, *, now: float = 0.0) -> bool:
        """Note a fetched update; return False when it was fetched before (a redelivery)."""
        if update_id in self.unhandled or update_id in self.handled:
            return False
        if self.newest is not None and update_id <= self.newest:
            return False  # confirmed and forgotten long ago
        self.unhandled.add(update_id)
        self.since[update_id] = now
        self.newest = update_id
        return True

    def finish(self, update_id: int) -> None:
        """Note that an update was handled (its effects are committed)."""
        if update_id in self.unhandled:
            self.unhandled.discard(update_id)
            self.since.pop(update_id, None)
            self.handled.add(update_id)
            self.progress.set()
        self._prune()

    def offset(self) -> int | None:
        """Return the getUpdates offset: the oldest unhandled update, else past the newest."""
        if self.unhandled:
            return min(self.unhandled)
        return None if self.newest is None else self.newest + 1

    def skip_stuck(self, *, now: float, older_than: float) -> list[int]:
        """Stop holding the offset for updates waiting longer than `older_than`; return them.

        While the oldest unhandled update holds the offset, Telegram answers at most one page
        from it; an update that hangs would block newer ones forever.
        """
        stuck = sorted(i for i in self.unhandled if now - self.since.get(i, now) > older_than)
        for update_id in stuck:
            self.unhandled.discard(update_id)
            self.since.pop(update_id, None)
        self._prune()
        return stuck

    def _prune(self) -> None:
        low = self.offset()
        if low is not None:
            self.handled = {i for i in self.handled if i >= low}


async def run_durable_polling(app: TutorApp, *, allowed_updates: Sequence[str]) -> None:
    """Run the bot with durable long polling until SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    ledger = app.bot_data.ledger = Ledger()
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.bot.delete_webhook(drop_pending_updates=False)
        await app.start()
        poller = asyncio.create_task(_poll(app, ledger, allowed_updates), name="durable-poll")
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({poller, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller  # re-raises InvalidToken and the like
        await _stop(app, ledger)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


async def _poll(app: TutorApp, ledger: Ledger, allowed_updates: Sequence[str]) -> None:
    """Fetch updates forever, queue the new ones, confirm only what was handled."""
    loop = asyncio.get_running_loop()
    delay = 0.0
    while True:
        try:
            updates = await app.bot.get_updates(
                offset=ledger.offset(),
                timeout=POLL_TIMEOUT,
                limit=LIMIT,
                allowed_updates=list(allowed_updates),
            )
        except InvalidToken:
            raise
        except RetryAfter as exc:
            await asyncio.sleep(_seconds(exc.retry_after) + 0.5)
            continue
        except TimedOut:
            continue  # a long poll that outlived its timeout: ask again at once
        except (NetworkError, TelegramError):  # logged once by the transport's tracker
            delay = min(MAX_BACKOFF, max(1.0, delay * 1.5))
            await asyncio.sleep(delay)
            continue
        delay = 0.0
        now = loop.time()
        ledger.progress.clear()
        fresh = [u for u in updates if ledger.take(u.update_id, now=now)]
        for update in fresh:
            await app.update_queue.put(update)
        if updates and not fresh:
            # A page of updates we hold already: wait until one finishes before asking again.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ledger.progress.wait(), 1.0)
            stuck = ledger.skip_stuck(now=loop.time(), older_than=STUCK_AFTER)
            if stuck:
                log.warning(
                    "updates %s still unhandled after %gs: no longer holding Telegram's offset",
                    ", ".join(map(str, stuck[:5])) + (" ..." if len(stuck) > 5 else ""),
                    STUCK_AFTER,
                )


async def _stop(app: TutorApp, ledger: Ledger) -> None:
    """Stop: drop what has not started (it stays unconfirmed: Telegram delivers it again),
    let in-flight updates finish, then confirm what was handled."""
    dropped = 0
    while not app.update_queue.empty():
        app.update_queue.get_nowait()
        app.update_queue.task_done()
        dropped += 1
    if dropped:
        log.info("stopping: %d fetched update(s) left to Telegram for the next start", dropped)
    try:
        await asyncio.wait_for(app.stop(), STOP_GRACE)
    except TimeoutError:
        log.warning("stopping: updates still in flight after %gs were cut short", STOP_GRACE)
    if app.post_stop is not None:
        await app.post_stop(app)
    offset = ledger.offset()
    if offset is not None:
        with contextlib.suppress(TelegramError):  # confirm what was handled
            await app.bot.get_updates(offset=offset, timeout=0, limit=1)


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
