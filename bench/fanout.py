"""A fan-out of due deliveries against a fake Bot API that enforces Telegram's flood limits."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, Poll
from telegram.constants import ParseMode
from telegram.error import RetryAfter

from bot.config import Settings
from bot.db.engine import Database
from bot.playground.fakeapi import FakeBotAPI, FloodLimits
from bot.tg.app import build_application

OVERALL_PER_S = 30
GROUP_PER_MIN = 20


@dataclass
class Pacer:
    """Telegram's limits as sliding windows, in seconds that last 1/scale of a real second.

    Overall at most 30 sends in any second, one send per second to a private chat, at most
    20 per minute to a group. `ready(chat)` says when the chat may get its next message.
    """

    scale: float
    _sent: deque[float] = field(default_factory=deque)
    _chat_last: dict[int, float] = field(default_factory=dict)
    _group: dict[int, deque[float]] = field(default_factory=dict)

    @property
    def second(self) -> float:
        """One scaled second in real seconds."""
        return 1.0 / self.scale

    def overall_ready(self, now: float) -> float:
        """When the overall window lets the next send through."""
        while self._sent and now - self._sent[0] >= self.second:
            self._sent.popleft()
        return now if len(self._sent) < OVERALL_PER_S else self._sent[0] + self.second

    def chat_ready(self, chat_id: int, now: float) -> float:
        """When this chat may get its next send."""
        if chat_id > 0:
            last = self._chat_last.get(chat_id)
            return now if last is None else max(now, last + self.second)
        window = self._group.setdefault(chat_id, deque())
        while window and now - window[0] >= 60 * self.second:
            window.popleft()
        return now if len(window) < GROUP_PER_MIN else window[0] + 60 * self.second

    def record(self, chat_id: int, now: float) -> None:
        """Count a send made at `now`."""
        self._sent.append(now)
        if chat_id > 0:
            self._chat_last[chat_id] = now
        else:
            self._group.setdefault(chat_id, deque()).append(now)


async def paced_fanout(bot: Bot, messages: list[tuple[int, str, str]], pacer: Pacer) -> int:
    """Send (chat, kind, text) messages as fast as the pacer allows; return 429s seen."""
    pending = deque(messages)
    floods = 0
    while pending:
        now = time.monotonic()
        wait_until = pacer.overall_ready(now)
        if wait_until > now:
            await asyncio.sleep(wait_until - now)
            continue
        chosen = None
        soonest = float("inf")
        for index, (chat_id, _kind, _text) in enumerate(pending):
            ready = pacer.chat_ready(chat_id, now)
            if ready <= now:
                chosen = index
                break
            soonest = min(soonest, ready)
            if index > 200:  # look ahead a little: the queue is mostly distinct chats
                break
        if chosen is None:
            await asyncio.sleep(max(0.0, soonest - now))
            continue
        chat_id, kind, text = pending[chosen]
        del pending[chosen]
        try:
            if kind == "poll":
                await bot.send_poll(
                    chat_id,
                    text,
                    ["A", "B", "C"],
                    type=Poll.QUIZ,
                    is_anonymous=False,
                    correct_option_ids=[1],
                )
            else:
                await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
        except RetryAfter:
            floods += 1
            pending.append((chat_id, kind, text))
        # Counted when the call returns: never earlier than the moment Telegram saw it.
        pacer.record(chat_id, time.monotonic())
    return floods


def deliveries(count: int, *, group_every: int = 20) -> list[tuple[int, str, str]]:
    """Messages of `count` due deliveries: each a lesson text then its quiz poll, 5% to groups."""
    lessons, polls = [], []
    for i in range(count):
        chat = -(1_000_000 + i) if i % group_every == 0 else 50_000_000 + i
        lessons.append((chat, "text", f"<b>Lesson {i}</b>\nToday's micro-lesson text."))
        polls.append((chat, "poll", f"Question for delivery {i}?"))
    return lessons + polls  # the pacer interleaves: a chat's poll waits its per-chat second


async def fanout_own(count: int, scale: float) -> dict[str, Any]:
    """The bench's own pacer (used before the delivery tick existed; kept as a reference)."""
    api = FakeBotAPI()
    api.limits = FloodLimits(time_scale=scale)
    api.time_source = time.monotonic
    app = build_application(
        Settings(bot_token="123456:FANOUT-token"),
        request=api,
        rate_limiter=False,
        start_jobs=False,
    )
    messages = deliveries(count)
    async with app:
        start = time.monotonic()
        floods = await paced_fanout(app.bot, messages, Pacer(scale=scale))
        elapsed = time.monotonic() - start
    return _figures(
        api,
        len(messages),
        count,
        scale,
        elapsed,
        floods,
        "bench.fanout.paced_fanout (the bench's own pacer)",
    )


def _figures(
    api: FakeBotAPI,
    expected: int,
    count: int,
    scale: float,
    elapsed: float,
    floods: int,
    path: str,
) -> dict[str, Any]:
    sent = len(api.sent("sendMessage")) + len(api.sent("sendPoll"))
    if sent != expected:
        raise RuntimeError(f"fan-out sent {sent} of {expected} messages")
    scaled = elapsed * scale
    assert api.limits is not None
    return {
        "fanout_rate_ratio": round(sent / scaled / OVERALL_PER_S, 3),
        "fanout_429": api.limits.violations,
        "fanout_retries": floods,
        "messages_per_scaled_s": round(sent / scaled, 2),
        "messages": sent,
        "deliveries": count,
        "time_scale": scale,
        "real_seconds": round(elapsed, 2),
        "code_path": path,
    }


async def fanout(
    count: int, scale: float, *, real_content: bool = False, mark_batch: int | None = None
) -> dict[str, Any]:
    """Due deliveries through the delivery tick (claim, paced send, mark) against the fake.

    `count` chats are due (5% groups); each delivery is two messages. With `real_content` the
    bot's own composer prepares each lesson and question (database work per delivery);
    otherwise a light composer sends a fixed lesson text and a quiz poll, so the figure
    measures the pacing. The fake's limits and the tick's pacing use the same time scale.
    """
    from bench.common import (
        T0,
        catalog,
        fresh_db,
        populate_chats,
        populate_schedules,
        schedule_rows,
        scratch_dir,
        sqlite_url,
    )
    from bench.tick import COURSE
    from bot.scheduling.pacing import PacingLimits
    from bot.study.delivery import Claimed
    from bot.tg import jobs
    from bot.tg.deliverer import Outgoing, Parcel

    with scratch_dir("fanout") as folder:
        url = sqlite_url(folder, "fanout.db")
        db = await fresh_db(url)
        groups = count // 20
        pks = await populate_chats(db, count - groups, course_id=COURSE, with_members=True)
        pks += await populate_chats(
            db, groups, course_id=COURSE, kind="group", first_tg_id=1_000_000
        )
        rows = schedule_rows(pks, now=T0, due_count=len(pks))
        for i, row in enumerate(rows):  # every chat due now, spread over the last minute
            row["next_due_at"] = T0 - timedelta(seconds=i % 60)
        await populate_schedules(db, rows)
        await db.dispose()

        def clock() -> datetime:
            # real time, shifted so the populated rows are due; one clock for all parties
            return T0 + timedelta(seconds=time.monotonic() - origin)

        origin = time.monotonic()
        api = FakeBotAPI(clock=clock)
        api.limits = FloodLimits(time_scale=scale)
        api.time_source = lambda: clock().timestamp()
        database = Database.from_url(url)
        app = build_application(
            Settings(bot_token="123456:FANOUT-token", database_url=url),
            request=api,
            clock=clock,
            catalog=catalog(),
            database=database,
            rate_limiter=False,
            start_jobs=False,
        )

        async def light(claim: Claimed) -> Parcel | None:
            async def lesson(bot: Bot, chat_id: int) -> Any:
                return await bot.send_message(
                    chat_id, "<b>Lesson</b>\nToday's text.", parse_mode=ParseMode.HTML
                )

            async def poll(bot: Bot, chat_id: int) -> Any:
                return await bot.send_poll(
                    chat_id,
                    "Question?",
                    ["A", "B", "C"],
                    type=Poll.QUIZ,
                    is_anonymous=False,
                    correct_option_ids=[1],
                )

            return Parcel((Outgoing("lesson", lesson), Outgoing("question", poll)))

        async with app:
            await app.post_init(app)  # type: ignore[misc]
            options: dict[str, Any] = {}
            if not real_content:
                options["compose"] = light
            if mark_batch is not None:
                options["mark_batch"] = mark_batch
            deliverer = jobs.make_deliverer(
                app,
                limits=PacingLimits(time_scale=scale),
                heartbeat_path=None,
                **options,
            )
            api.clear()
            start = time.monotonic()
            report = await deliverer.tick()
            elapsed = time.monotonic() - start
            await app.post_shutdown(app)  # type: ignore[misc]
    expected = 2 * count
    out = _figures(
        api,
        expected,
        count,
        scale,
        elapsed,
        report.retry,
        "bot.tg.deliverer.Deliverer.tick (claim_due, Pacer, record_results)"
        + (
            " with the bot's composer (delivery.prepare)"
            if real_content
            else " with a light composer"
        ),
    )
    if mark_batch is not None:
        out["code_path"] += f", mark_batch={mark_batch}"
    out["tick_report"] = {k: getattr(report, k) for k in report.__slots__}
    return out
