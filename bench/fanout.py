"""A fan-out of due deliveries against a fake Bot API that enforces Telegram's flood limits."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Poll
from telegram.constants import ParseMode
from telegram.error import RetryAfter

from bot.config import Settings
from bot.tg.app import build_application
from bot.tg.fakeapi import FakeBotAPI, FloodLimits

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
                await bot.send_poll(chat_id, text, ["A", "B", "C"], type=Poll.QUIZ,
                                    is_anonymous=False, correct_option_ids=[1])  # type: ignore[call-arg]
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


async def fanout(count: int, scale: float) -> dict[str, Any]:
    """Achieved messages/s (in scaled seconds) over Telegram's 30/s, and the 429s answered."""
    api = FakeBotAPI()
    api.limits = FloodLimits(time_scale=scale)
    api.time_source = time.monotonic
    app = build_application(
        Settings(bot_token="123456:FANOUT-token"), request=api, rate_limiter=False,
        start_jobs=False,
    )
    messages = deliveries(count)
    async with app:
        start = time.monotonic()
        floods = await paced_fanout(app.bot, messages, Pacer(scale=scale))
        elapsed = time.monotonic() - start
    sent = len(api.sent("sendMessage")) + len(api.sent("sendPoll"))
    if sent != len(messages):
        raise RuntimeError(f"fan-out sent {sent} of {len(messages)} messages")
    # A sliding 30-per-second window lets at most 30 * (T + 1) messages through in T seconds
    # (a full window at the start), so that is the ceiling the ratio compares against.
    scaled = elapsed * scale
    rate = sent / scaled
    return {
        "fanout_rate_ratio": round(sent / (OVERALL_PER_S * (scaled + 1.0)), 3),
        "fanout_429": api.limits.violations,
        "fanout_retries": floods,
        "messages_per_scaled_s": round(rate, 2),
        "messages": sent,
        "deliveries": count,
        "time_scale": scale,
        "real_seconds": round(elapsed, 2),
        "code_path": "bench.fanout.paced_fanout (no paced delivery tick in bot/ yet)",
    }
