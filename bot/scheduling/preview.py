"""The ``tutorbot schedule-preview`` command: print upcoming delivery instants in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from bot.scheduling.due import ALL_DAYS, ScheduleSpec, parse_days, parse_time, parse_tz, upcoming

__all__ = ["MAX_COUNT", "format_utc", "parse_from", "schedule_preview_command"]

MAX_COUNT = 1000


def format_utc(instant: datetime) -> str:
    """Render an aware instant as ISO-8601 UTC with a Z suffix, e.g. ``2027-03-28T01:30:00Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_from(text: str) -> datetime:
    """Parse an ISO-8601 instant (``Z`` or offset; naive means UTC) into aware UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"Invalid --from {text.strip()!r}: use ISO-8601 like 2027-03-27T00:00:00Z."
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def schedule_preview_command(
    *,
    time_text: str,
    tz_text: str,
    days_text: str | None,
    from_text: str,
    count: int,
    out: TextIO,
    err: TextIO,
) -> int:
    """Print the next ``count`` delivery instants, one ISO-8601 UTC line each; return exit code."""
    try:
        if not 1 <= count <= MAX_COUNT:
            raise ValueError(f"--count must be between 1 and {MAX_COUNT}, got {count}.")
        times = tuple(parse_time(part) for part in time_text.split(","))
        days = ALL_DAYS if days_text is None else parse_days(days_text)
        spec = ScheduleSpec(times=times, days=days, tz=parse_tz(tz_text))
        start = parse_from(from_text)
        instants = upcoming(spec, after=start, count=count)
    except ValueError as exc:
        err.write(f"error: {exc}\n")
        return 2
    for instant in instants:
        out.write(format_utc(instant) + "\n")
    return 0
