"""The delivery tick: claim due slots, send them paced under Telegram's limits, mark the results.

One repeating job runs `Deliverer.tick()`. Each run claims a batch (one short transaction),
then a single dispatcher walks the batch in due order: it prepares a delivery's messages a
little ahead of time, reserves each message a slot on the pacer's grid (30 msg/s overall with
headroom, one message per second per private chat, 20 per minute per group) and starts each
send as a task at its slot, so slow HTTP round trips overlap without ever bunching sends. The
results are recorded in short transactions after the sends. Errors stay with their delivery:
429 pauses the whole sender and retries the slot after `retry_after`; 403 and "chat not found"
deactivate that chat; a migration moves the chat and sends once more to the new id; network
errors and 5xx are retried with backoff, then the slot is marked failed.

The clock and the sleep are injected, so tests run in fake time (a 10,000-chat fan-out drains
in seconds) and a fake Bot API that enforces the limits sees exactly the planned instants.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from telegram import Bot, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.clock import Clock
from bot.db.engine import Database
from bot.kinds import DeliveryStatus
from bot.scheduling.pacing import MAX_ATTEMPTS, Pacer, PacingLimits, backoff
from bot.study import chats, delivery
from bot.study.delivery import Claimed, Result

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
SendFn = Callable[[Bot, int], Awaitable[Message]]
_EPS = 1e-5  # clock seconds: float timestamps near 2e9 carry ~2e-7 s of rounding
MAX_FLOOD_RETRIES = 8  # a slot that keeps meeting 429s is given up after this many attempts


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message of a delivery: how to send it to a chat id, and how to undo its preparation."""

    label: str
    send: SendFn
    abandon: Callable[[], Awaitable[None]] | None = None


@dataclass(frozen=True, slots=True)
class Parcel:
    """The messages of one delivery, sent in order, each at least a chat gap after the last."""

    messages: tuple[Outgoing, ...]
    lesson_course_id: str | None = None  # a new lesson of this course (counts for the day)


Composer = Callable[[Claimed], Awaitable[Parcel | None]]


@dataclass(slots=True)
class TickReport:
    """What one tick did (summed over its batches)."""

    claimed: int = 0
    sent: int = 0
    retry: int = 0
    dead: int = 0
    failed: int = 0
    skipped: int = 0
    lost: int = 0
    duplicates: int = 0
    messages: int = 0
    batches: int = 0
    floods: int = 0  # 429 answers met

    def count(self, status: str) -> None:
        """Count one finished delivery."""
        setattr(self, status, getattr(self, status) + 1)


def retry_after_seconds(exc: RetryAfter) -> float:
    """Return a 429's retry_after in seconds (int or timedelta, by PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that the int form is deprecated
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_chat_gone(exc: TelegramError) -> bool:
    """Tell whether an error means the chat will never accept messages again."""
    if isinstance(exc, Forbidden):
        return True
    return isinstance(exc, BadRequest) and "chat not found" in exc.message.lower()


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do about a send that failed (see `classify`)."""

    action: str  # "retry", "failed", "dead", "give_up" (a later message), "resend" (new chat id)
    note: str
    retry_in: timedelta | None = None  # for "retry": None means the usual backoff
    pause_s: float = 0.0  # pause every send for this long (a 429)
    new_chat_id: int | None = None  # the group became this supergroup
    chat_gone: bool = False  # deactivate the chat
    unexpected: bool = False  # not a Telegram error: a bug, logged with its traceback


def classify(exc: BaseException, *, index: int, attempts: int, migrated: bool) -> Decision:
    """Decide what a failed send means, from the error, the message's place and the attempts.

    A later message of a delivery (index > 0) is never retried alone: the delivery counts as
    sent, since its first message went. A 429 pauses every send, then the slot is retried at
    `retry_after` (given up after MAX_FLOOD_RETRIES attempts); a group that became a supergroup
    is sent once more at its new id; a blocked bot or a vanished chat stops the chat's
    deliveries; network errors and 5xx are retried with backoff up to MAX_ATTEMPTS.
    """
    first = index == 0
    if isinstance(exc, RetryAfter):
        seconds = retry_after_seconds(exc)
        if not first:
            return Decision("give_up", "429", pause_s=seconds)
        if attempts >= MAX_FLOOD_RETRIES:
            return Decision("failed", f"429 on {attempts} attempts", pause_s=seconds)
        return Decision(
            "retry",
            f"429: retry after {seconds:g} s",
            retry_in=timedelta(seconds=seconds),
            pause_s=seconds,
        )
    if isinstance(exc, ChatMigrated):
        new_id = int(exc.new_chat_id)
        if not first or migrated:
            return Decision("give_up", f"chat migrated to {new_id}", new_chat_id=new_id)
        return Decision("resend", f"chat migrated to {new_id}", new_chat_id=new_id)
    if isinstance(exc, Forbidden | BadRequest):
        if is_chat_gone(exc):
            return Decision("dead", exc.message, chat_gone=True)
        return Decision("failed" if first else "give_up", exc.message)
    if isinstance(exc, NetworkError):  # TimedOut, 5xx, connection trouble (BadRequest is above)
        if not first:
            return Decision("give_up", exc.message)
        if attempts >= MAX_ATTEMPTS:
            return Decision("failed", exc.message)
        return Decision("retry", exc.message)
    return Decision("failed" if first else "give_up", repr(exc), unexpected=True)


@dataclass(eq=False)
class _Run:
    """One claimed delivery on its way out."""

    claim: Claimed
    parcel: Parcel
    chat_id: int
    done: int = 0  # messages sent
    busy: bool = False  # a send is in flight
    started: bool = False  # marked "claimed" (in flight) in the database
    finished: bool = False
    fired: set[int] = field(default_factory=set)
    message_id: int | None = None
    migrated: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(order=True)
class _Step:
    at: float
    seq: int
    run: _Run = field(compare=False)
    index: int = field(compare=False)


class Deliverer:
    """Runs delivery ticks: claim, send paced, mark. One per process (see bot.db.lease)."""

    def __init__(
        self,
        *,
        db: Database,
        bot: Bot,
        compose: Composer,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        grace: timedelta = timedelta(hours=3),
        limits: PacingLimits | None = None,
        batch: int = 200,
        max_in_flight: int = 16,
        mark_batch: int = 1,
        start_batch: int = 1,
        lookahead_s: float = 1.0,
        heartbeat_path: Path | None = None,
    ) -> None:
        self.db = db
        self.bot = bot
        self.compose = compose
        self.clock = clock
        self.sleep = sleep
        self.grace = grace
        self.limits = limits or PacingLimits()
        self.batch = batch
        self.max_in_flight = max_in_flight
        self.mark_batch = max(1, mark_batch)
        self.start_batch = max(1, start_batch)
        self.lookahead = lookahead_s / self.limits.time_scale
        self.heartbeat_path = heartbeat_path
        self.pacer = Pacer(self.limits, origin=self._now_s())
        self._running = asyncio.Lock()
        self._mark_lock = asyncio.Lock()
        self._results: list[Result] = []
        self._seq = itertools.count()
        self._requeue: list[tuple[_Run, int, float]] = []
        self._report = TickReport()
        self._more = False

    def _now_s(self) -> float:
        return self.clock().timestamp()

    # -- the tick ---------------------------------------------------------------------------------
    async def tick(self) -> TickReport:
        """Deliver everything that is due now (in batches); return what happened."""
        if self._running.locked():
            return TickReport()
        async with self._running:
            self._report = report = TickReport()
            self._more = True
            await self._drain()
            if report.claimed or report.skipped or report.lost:
                log.info(
                    "delivery tick: %d claimed, %d sent, %d retry, %d dead, %d failed, "
                    "%d skipped, %d lost",
                    report.claimed,
                    report.sent,
                    report.retry,
                    report.dead,
                    report.failed,
                    report.skipped,
                    report.lost,
                )
            return report

    async def _claim(self) -> tuple[Claimed, ...]:
        """Claim the next batch (one short transaction); note whether more may be due."""
        now = self.clock()
        await self._write_heartbeat(now)
        claims = await delivery.claim_due(self.db, now=now, grace=self.grace, batch=self.batch)
        report = self._report
        report.batches += 1
        report.claimed += len(claims.claimed)
        report.skipped += claims.skipped
        report.lost += claims.lost
        report.duplicates += claims.duplicates
        self._more = claims.rows_seen >= self.batch
        return claims.claimed

    async def _write_heartbeat(self, now: datetime) -> None:
        if self.heartbeat_path is None:
            return
        path = self.heartbeat_path

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(path.name + ".tmp")
            temp.write_text(now.isoformat() + "\n", encoding="utf-8")
            temp.replace(path)

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            log.warning("cannot write the heartbeat file %s: %s", path, exc)

    # -- the dispatcher ---------------------------------------------------------------------------
    async def _drain(self) -> None:
        """Claim, prepare and send until nothing is due; the next batch is claimed on time."""
        pending: deque[Claimed] = deque()
        heap: list[_Step] = []
        in_flight: set[asyncio.Task[None]] = set()
        horizon = float("-inf")
        self.pacer.forget_before(self._now_s())
        while True:
            now_s = self._now_s()
            while self._requeue:
                run, index, earliest = self._requeue.pop()
                at = self.pacer.reserve(run.chat_id, earliest=max(earliest, now_s))
                self._push(heap, run, index, at)
            if not heap:
                horizon = float("-inf")  # nothing planned: prepare the next delivery now
            while horizon < now_s + self.lookahead and (pending or self._more):
                if not pending:  # claim the next batch while this one's last sends wait
                    pending.extend(await self._claim())
                    now_s = self._now_s()
                    continue
                opened = await self._open(pending.popleft())
                now_s = self._now_s()
                if opened is None:
                    continue
                at = self.pacer.reserve(opened.chat_id, earliest=now_s)
                horizon = max(horizon, at)
                self._push(heap, opened, 0, at)
                for index in range(1, len(opened.parcel.messages)):
                    at = self.pacer.reserve(opened.chat_id, earliest=at)  # after the chat's gap
                    self._push(heap, opened, index, at)
            if not heap:
                if in_flight:
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                if pending or self._more:
                    continue
                break
            step = heap[0]
            run = step.run
            if run.finished or step.index < run.done:
                heapq.heappop(heap)
                continue
            if step.at < self.pacer.paused_until - _EPS:  # a 429 paused every send
                heapq.heappop(heap)
                at = self.pacer.reserve(run.chat_id, earliest=self.pacer.paused_until)
                self._push(heap, run, step.index, at)
                continue
            wait = step.at - now_s
            if wait > _EPS:
                await self.sleep(wait)
                continue
            heapq.heappop(heap)
            if step.index > run.done or run.busy:  # the chat's previous message is not out yet
                self._push(heap, run, step.index, self.pacer.reserve(run.chat_id, earliest=now_s))
                continue
            if not run.started:
                await self._start(run, heap)
                if run.finished:
                    continue
                now_s = self._now_s()
            if self.pacer.is_late(step.at, now_s):  # never burst to catch up
                self._push(heap, run, step.index, self.pacer.reserve(run.chat_id, earliest=now_s))
                continue
            run.busy = True
            run.fired.add(step.index)
            task = asyncio.create_task(self._send(run, step.index))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            await asyncio.sleep(0)  # let the send start at its instant
            if len(in_flight) >= self.max_in_flight:
                await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        await self._flush()

    async def _start(self, run: _Run, heap: list[_Step]) -> None:
        """Mark a delivery (and the next few due) "claimed": a crash now loses them, never resends.

        Up to `start_batch` deliveries are marked in one transaction, soonest first; a crash
        before they are sent loses them (logged as lost), so the batch stays small.
        """
        group = [run]
        if self.start_batch > 1:
            for step in sorted(heap):
                if len(group) >= self.start_batch:
                    break
                other = step.run
                fresh = step.index == 0 and not other.started and not other.finished
                if fresh and other not in group:
                    group.append(other)
        ours = await delivery.start_sending(
            self.db, [(r.claim.delivery_id, r.claim.attempts) for r in group]
        )
        for member in group:
            member.started = True
            if member.claim.delivery_id not in ours:
                log.warning("delivery %s: no longer ours, not sent", member.claim.delivery_id)
                member.finished = True  # nothing recorded: the row belongs to someone else
                for unsent in member.parcel.messages:
                    if unsent.abandon is not None:
                        await unsent.abandon()

    def _push(self, heap: list[_Step], run: _Run, index: int, at: float) -> None:
        heapq.heappush(heap, _Step(at, next(self._seq), run, index))

    async def _open(self, claim: Claimed) -> _Run | None:
        """Prepare a delivery's messages; record it as skipped or failed when there are none."""
        try:
            parcel = await self.compose(claim)
        except Exception as exc:
            log.exception(
                "delivery %s to chat %s: preparing failed", claim.delivery_id, claim.tg_chat_id
            )
            await self._record(claim, DeliveryStatus.FAILED, error=f"prepare: {exc!r}")
            return None
        if parcel is None or not parcel.messages:
            await self._record(claim, DeliveryStatus.SKIPPED, error="nothing to deliver")
            return None
        return _Run(claim=claim, parcel=parcel, chat_id=claim.tg_chat_id)

    # -- one message ------------------------------------------------------------------------------
    async def _send(self, run: _Run, index: int) -> None:
        """Send one message of a delivery and act on what `classify` makes of the outcome."""
        outgoing = run.parcel.messages[index]
        try:
            message = await outgoing.send(self.bot, run.chat_id)
        except Exception as exc:
            decision = classify(
                exc, index=index, attempts=run.claim.attempts, migrated=run.migrated
            )
            await self._apply(run, index, decision, exc)
        else:
            self._report.messages += 1
            if index == 0:
                run.message_id = message.message_id
            run.done = index + 1
            if run.done == len(run.parcel.messages):
                await self._finish(run, DeliveryStatus.SENT)
        finally:
            run.busy = False

    async def _apply(self, run: _Run, index: int, decision: Decision, exc: Exception) -> None:
        """Carry out a decision about a failed send."""
        claim, label = run.claim, run.parcel.messages[index].label
        if decision.pause_s:
            self._report.floods += 1
            self.pacer.pause(self._now_s() + decision.pause_s / self.limits.time_scale)
            log.warning(
                "429 from Telegram (chat %s): pausing all sends for %g s",
                run.chat_id,
                decision.pause_s,
            )
        if decision.new_chat_id is not None:
            await delivery.migrate_chat(
                self.db,
                old_chat_id=run.chat_id,
                new_chat_id=decision.new_chat_id,
                now=self.clock(),
            )
        if decision.chat_gone:
            log.info("chat %s is gone (%s): its deliveries stop", run.chat_id, decision.note)
            await chats.deactivate(self.db, chat_id=run.chat_id, now=self.clock())
        if decision.action == "resend":
            log.info("chat %s became %s: sending there", run.chat_id, decision.new_chat_id)
            assert decision.new_chat_id is not None
            run.migrated, run.chat_id = True, decision.new_chat_id
            run.fired.discard(index)
            self._requeue.append((run, index, self._now_s()))
        elif decision.action == "give_up":
            await self._give_up(run, index, f"{label}: {decision.note}")
        elif decision.action == "retry":
            retry_at = self.clock() + (decision.retry_in or backoff(claim.attempts))
            await self._finish(run, DeliveryStatus.RETRY, retry_at=retry_at, error=decision.note)
        else:  # "failed" or "dead"
            if decision.action == "failed":
                log.error(
                    "delivery %s to chat %s failed after %d attempt%s: %s",
                    claim.delivery_id,
                    run.chat_id,
                    claim.attempts,
                    "" if claim.attempts == 1 else "s",
                    decision.note,
                    exc_info=exc if decision.unexpected else None,
                )
            await self._finish(run, DeliveryStatus(decision.action), error=decision.note)

    async def _give_up(self, run: _Run, index: int, note: str) -> None:
        """Drop a later message; the delivery still counts as sent (its first message went)."""
        log.warning(
            "delivery %s to chat %s: %s (not retried)", run.claim.delivery_id, run.chat_id, note
        )
        run.notes.append(note)
        await self._finish(run, DeliveryStatus.SENT)

    async def _finish(
        self,
        run: _Run,
        status: str,
        *,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        """Record a delivery's outcome and forget the messages it will not send."""
        if run.finished:
            return
        run.finished = True
        for index, outgoing in enumerate(run.parcel.messages):
            if index not in run.fired and outgoing.abandon is not None:
                try:
                    await outgoing.abandon()
                except Exception:
                    log.exception(
                        "delivery %s: cannot forget an unsent message", run.claim.delivery_id
                    )
        sent = status == DeliveryStatus.SENT
        notes = "; ".join(run.notes) or None
        await self._record(
            run.claim,
            status,
            sent_at=self.clock() if sent else None,
            message_id=run.message_id,
            retry_at=retry_at,
            error=error or notes,
            lesson_course_id=run.parcel.lesson_course_id if sent else None,
        )

    async def _record(
        self,
        claim: Claimed,
        status: str,
        *,
        sent_at: datetime | None = None,
        message_id: int | None = None,
        retry_at: datetime | None = None,
        error: str | None = None,
        lesson_course_id: str | None = None,
    ) -> None:
        self._report.count(status)
        self._results.append(
            Result(
                delivery_id=claim.delivery_id,
                status=status,
                chat_pk=claim.chat_pk,
                sent_at=sent_at,
                message_id=message_id,
                retry_at=retry_at,
                error=error,
                lesson_course_id=lesson_course_id,
                lesson_day=claim.local_day if lesson_course_id else None,
            )
        )
        if len(self._results) >= self.mark_batch:
            await self._flush()

    async def _flush(self) -> None:
        """Write the recorded results (on failure rows stay "claimed": later lost, not resent)."""
        async with self._mark_lock:
            results, self._results = self._results, []
            try:
                await delivery.record_results(self.db, results)
            except Exception:
                log.exception("could not mark %d deliveries; they will show as lost", len(results))
