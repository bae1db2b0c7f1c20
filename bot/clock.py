"""The clock seam: production code asks a Clock for "now", tests inject a fake one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)


class FakeClock:
    """A settable clock for tests, benchmarks and the playground."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward and return the new instant."""
        self.now += delta
        return self.now

    def set(self, instant: datetime) -> None:
        """Jump to an aware instant."""
        self.now = instant.astimezone(UTC)
