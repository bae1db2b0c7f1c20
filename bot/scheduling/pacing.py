"""Pure send pacing under Telegram's limits: a slot grid, per-chat gaps, pauses and backoff."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

__all__ = ["MAX_ATTEMPTS", "Pacer", "PacingLimits", "backoff"]

MAX_ATTEMPTS = 4  # a slot hit by transient errors is tried this often, then marked failed


@dataclass(frozen=True, slots=True, kw_only=True)
class PacingLimits:
    """Telegram's send limits, the share of them we plan with, and a time scale for tests.

    ``time_scale=10`` makes one Telegram "second" last 0.1 s of the clock (as FakeBotAPI's
    FloodLimits does), so a test drains ten times faster in clock time.
    """

    per_second: float = 30.0  # overall, to different chats
    private_gap_s: float = 1.0  # between two messages to one private chat
    group_per_minute: int = 20  # to one group
    headroom: float = 0.95  # plan at this share of the limits (clock jitter, rounding)
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        """Reject limits that cannot pace anything."""
        if self.per_second <= 0 or self.group_per_minute <= 0 or self.private_gap_s < 0:
            raise ValueError("pacing limits must be positive")
        if not 0 < self.headroom <= 1:
            raise ValueError(f"headroom must be in (0, 1], got {self.headroom}")
        if self.time_scale <= 0:
            raise ValueError(f"time_scale must be positive, got {self.time_scale}")

    @property
    def interval(self) -> float:
        """Return the clock seconds between two consecutive sends (the slot width)."""
        return 1.0 / (self.per_second * self.headroom * self.time_scale)

    @property
    def tolerance(self) -> float:
        """Return how late a send may start before it must take a new slot (half a slot)."""
        return self.interval / 2

    def gap(self, chat_id: int) -> float:
        """Return the clock seconds between two sends to one chat (groups have negative ids)."""
        if chat_id < 0:
            return 60.0 / (self.group_per_minute * self.headroom) / self.time_scale
        return self.private_gap_s / self.time_scale

    def rate(self) -> float:
        """Return the planned sends per clock second."""
        return 1.0 / self.interval


@dataclass(slots=True)
class Pacer:
    """Hand out send instants on a grid of slots, one send per slot, never too close per chat.

    Times are float seconds of one clock. A slot once given is never given again, so concurrent
    senders that each start at their instant (or up to ``tolerance`` later) never exceed the
    overall rate; a send that would start later takes a fresh slot instead of bursting.
    """

    limits: PacingLimits
    origin: float
    _taken: set[int] = field(default_factory=set)
    _low: int = 0  # no free slot below this index
    _chat_ready: dict[int, float] = field(default_factory=dict)
    _paused_until: float = float("-inf")

    @property
    def paused_until(self) -> float:
        """Return the instant before which nothing may be sent (after a 429)."""
        return self._paused_until

    def _index_at(self, instant: float) -> int:
        """Return the first slot index whose time is at or after ``instant``."""
        # 1 µs of slack: float timestamps near 2e9 carry ~2e-7 s of rounding
        return max(0, math.ceil((instant - self.origin - 1e-6) / self.limits.interval))

    def slot_time(self, index: int) -> float:
        """Return the clock time of a slot."""
        return self.origin + index * self.limits.interval

    def reserve(self, chat_id: int, *, earliest: float) -> float:
        """Take the first free slot at or after ``earliest`` that the chat's gap allows."""
        start = max(earliest, self._paused_until, self._chat_ready.get(chat_id, float("-inf")))
        index = max(self._low, self._index_at(start))
        while index in self._taken:
            index += 1
        self._taken.add(index)
        while self._low in self._taken:
            self._low += 1
        at = self.slot_time(index)
        self._chat_ready[chat_id] = max(
            self._chat_ready.get(chat_id, float("-inf")), at + self.limits.gap(chat_id)
        )
        return at

    def pause(self, until: float) -> None:
        """Send nothing before ``until`` (Telegram answered 429 with a retry_after)."""
        self._paused_until = max(self._paused_until, until)

    def is_late(self, planned: float, now: float) -> bool:
        """Tell whether a send planned at ``planned`` is too late to start at ``now``."""
        return now - planned > self.limits.tolerance

    def forget_before(self, now: float) -> None:
        """Drop bookkeeping for slots and chat gaps that lie entirely in the past."""
        current = self._index_at(now) - 1
        if current > self._low:
            self._taken = {i for i in self._taken if i >= current}
            self._low = current
            while self._low in self._taken:
                self._low += 1
        self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > now}


def backoff(
    attempt: int,
    *,
    base: timedelta = timedelta(seconds=30),
    factor: float = 2.0,
    cap: timedelta = timedelta(hours=1),
) -> timedelta:
    """Return the wait before retry number ``attempt`` (1-based): 30 s, 60 s, 120 s, … capped."""
    if attempt < 1:
        raise ValueError(f"attempt must be >= 1, got {attempt}")
    return min(cap, base * factor ** (attempt - 1))
