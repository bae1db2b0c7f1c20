"""Schedule rows ↔ the pure next-due maths: the one place that sets `next_due_at`."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from bot.db.models import Chat, Schedule
from bot.scheduling.due import ScheduleSpec, next_due, parse_days, parse_time


def spec_of(schedule: Schedule) -> ScheduleSpec:
    """Build the pure schedule spec from a stored row."""
    return _spec(schedule.times, schedule.days, schedule.timezone)


@lru_cache(maxsize=4096)  # most chats share a handful of (times, days, zone) combinations
def _spec(times: str, days: str, tz: str) -> ScheduleSpec:
    parsed = tuple(parse_time(part) for part in times.split(",") if part.strip())
    return ScheduleSpec(times=parsed, days=parse_days(days), tz=tz)


def delivering(chat: Chat, schedule: Schedule) -> bool:
    """Tell whether a chat should get scheduled deliveries at all."""
    return chat.active and not schedule.paused and chat.course_id is not None


def reschedule(chat: Chat, schedule: Schedule, *, now: datetime) -> datetime | None:
    """Set the schedule's next due instant from `now` (None while paused or inactive)."""
    schedule.next_due_at = (
        next_due(spec_of(schedule), after=now) if delivering(chat, schedule) else None
    )
    return schedule.next_due_at
