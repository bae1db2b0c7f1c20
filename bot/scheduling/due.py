"""Pure schedule maths: parse learner input and compute DST-safe UTC delivery instants."""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache

__all__ = [
    "ALL_DAYS",
    "DAY_NAMES",
    "WEEKDAYS",
    "WEEKEND",
    "ScheduleSpec",
    "TickPlan",
    "describe_local",
    "format_days",
    "format_time",
    "local_view",
    "next_due",
    "parse_days",
    "parse_time",
    "parse_tz",
    "plan_catch_up",
    "previous_due",
    "tzinfo_for",
    "upcoming",
]

DAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_DAYS: frozenset[int] = frozenset(range(7))
WEEKDAYS: frozenset[int] = frozenset(range(5))
WEEKEND: frozenset[int] = frozenset({5, 6})

# How many local dates either side of the reference date are searched. Every weekday occurs in
# any 7 consecutive dates; the extra days absorb offsets (±14 h) and DST shifts near midnight.
_SEARCH_DAYS = 9

_MIN_OFFSET = timedelta(hours=-12)
_MAX_OFFSET = timedelta(hours=14)
_UTC_ALIASES = frozenset({"utc", "z", "gmt", "zulu", "etc/utc", "etc/gmt"})
_OFFSET_RE = re.compile(
    r"^(?:utc|gmt)?\s*(?P<sign>[+-])\s*(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?$", re.IGNORECASE
)
_NORMALIZED_OFFSET_RE = re.compile(r"^(?P<sign>[+-])(?P<hours>\d{2}):(?P<minutes>\d{2})$")
_TIME_RE = re.compile(r"^(?P<hour>\d{1,2})[:.](?P<minute>\d{2})$")

_DAY_ALIASES: dict[str, int] = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_DAY_GROUPS: dict[str, frozenset[int]] = {
    "daily": ALL_DAYS,
    "everyday": ALL_DAYS,
    "all": ALL_DAYS,
    "weekdays": WEEKDAYS,
    "weekday": WEEKDAYS,
    "workdays": WEEKDAYS,
    "weekends": WEEKEND,
    "weekend": WEEKEND,
}


# --- time zones -------------------------------------------------------------------------------


@cache
def _zone_names() -> dict[str, str]:
    """Map lower-cased IANA names to their canonical spelling."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def _format_offset(offset: timedelta) -> str:
    """Render a non-zero offset as ``+HH:MM``/``-HH:MM``."""
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_offset(text: str) -> timedelta | None:
    """Return the offset written in ``text``, or None if it is not offset-shaped."""
    match = _OFFSET_RE.match(text)
    if match is None:
        return None
    hours = int(match["hours"])
    minutes = int(match["minutes"] or 0)
    if minutes >= 60:
        raise ValueError(f"Invalid UTC offset {text!r}: minutes must be below 60.")
    offset = timedelta(hours=hours, minutes=minutes)
    if match["sign"] == "-":
        offset = -offset
    if not _MIN_OFFSET <= offset <= _MAX_OFFSET:
        raise ValueError(f"Invalid UTC offset {text!r}: it must be between -12:00 and +14:00.")
    return offset


def _suggest_zone(lowered: str) -> str | None:
    """Return the IANA name closest to a mistyped one (or whose city matches), if any."""
    names = _zone_names()
    city = re.sub(r"\s+", "_", lowered)
    by_city = sorted(name for key, name in names.items() if key.rsplit("/", 1)[-1] == city)
    if by_city:
        return by_city[0]
    close = difflib.get_close_matches(lowered, names.keys(), n=1, cutoff=0.75)
    return names[close[0]] if close else None


def parse_tz(text: str) -> str:
    """Normalize a learner-typed time zone to an IANA name, ``"UTC"`` or ``"+HH:MM"``.

    Raises:
        ValueError: with a human-readable message (and close IANA suggestions) if unknown.
    """
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("Time zone is empty. Use an IANA name like Europe/Berlin or +05:30.")
    lowered = cleaned.lower()
    if lowered in _UTC_ALIASES:
        return "UTC"
    offset = _parse_offset(cleaned)
    if offset is not None:
        return "UTC" if offset == timedelta(0) else _format_offset(offset)
    names = _zone_names()
    if (canonical := names.get(lowered)) is not None:
        return canonical
    if (suggestion := _suggest_zone(lowered)) is not None:
        raise ValueError(f"Unknown time zone {cleaned!r}. Did you mean {suggestion}?")
    raise ValueError(
        f"Unknown time zone {cleaned!r}. Use an IANA name like Europe/Berlin "
        "or a UTC offset like +05:30."
    )


@cache
def tzinfo_for(name: str) -> tzinfo:
    """Return the tzinfo for a name produced by `parse_tz` (IANA, ``"UTC"`` or ``"+HH:MM"``)."""
    if name == "UTC":
        return UTC
    if (match := _NORMALIZED_OFFSET_RE.match(name)) is not None:
        offset = timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]))
        if match["sign"] == "-":
            offset = -offset
        if not _MIN_OFFSET <= offset <= _MAX_OFFSET or int(match["minutes"]) >= 60:
            raise ValueError(f"Invalid UTC offset {name!r}.")
        return timezone(offset)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone {name!r}.") from exc


# --- times and days ---------------------------------------------------------------------------


def parse_time(text: str) -> time:
    """Parse ``H:MM``, ``HH:MM`` or ``HH.MM`` (24-hour clock) into a naive time."""
    match = _TIME_RE.match(text.strip())
    if match is not None:
        hour, minute = int(match["hour"]), int(match["minute"])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValueError(f"Invalid time {text.strip()!r}: use 24-hour HH:MM, e.g. 08:15 or 20:30.")


def format_time(value: time) -> str:
    """Render a time as ``HH:MM``."""
    return f"{value.hour:02d}:{value.minute:02d}"


def _day_index(token: str, *, original: str) -> int:
    """Return the weekday index (0=Mon) of a day-name token."""
    try:
        return _DAY_ALIASES[token]
    except KeyError:
        raise ValueError(
            f"Unknown day {token!r} in {original!r}: use mon..sun, ranges like mon-fri, "
            "'weekdays', 'weekends' or 'daily'."
        ) from None


def parse_days(text: str) -> frozenset[int]:
    """Parse days such as ``"mon,wed,fri"``, ``"mon-fri"``, ``"weekdays"`` or ``"daily"``."""
    original = text.strip()
    lowered = re.sub(r"\bevery\s*day\b", "daily", original.lower())
    lowered = re.sub(r"\s*[-–—]\s*", "-", lowered)  # hyphen, en or em dash
    tokens = [t for t in re.split(r"[,;/\s]+", lowered) if t and t != "and"]
    if not tokens:
        raise ValueError("No days given: use e.g. mon,wed,fri, mon-fri, weekdays or daily.")
    days: set[int] = set()
    for token in tokens:
        if token in _DAY_GROUPS:
            days |= _DAY_GROUPS[token]
        elif "-" in token:
            start_text, _, end_text = token.partition("-")
            start = _day_index(start_text, original=original)
            end = _day_index(end_text, original=original)
            span = (end - start) % 7  # wraps: fri-mon is Fri, Sat, Sun, Mon
            days.update((start + i) % 7 for i in range(span + 1))
        else:
            days.add(_day_index(token, original=original))
    return frozenset(days)


def format_days(days: Iterable[int]) -> str:
    """Render weekdays compactly: ``"every day"``, ``"Mon–Fri"``, ``"Mon, Wed, Fri"``."""
    ordered = sorted(set(days))
    if not ordered or not all(0 <= d <= 6 for d in ordered):
        raise ValueError(f"Days must be a non-empty set of 0..6, got {ordered!r}.")
    if len(ordered) == 7:
        return "every day"
    runs: list[list[int]] = []
    for day in ordered:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}–{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[d] for d in run)
    return ", ".join(parts)


# --- schedules ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleSpec:
    """Local delivery times on some weekdays (0=Mon) in a time zone named by `parse_tz`."""

    times: tuple[time, ...]
    days: frozenset[int]
    tz: str

    def __post_init__(self) -> None:
        """Validate the spec and normalize times to a sorted, de-duplicated tuple."""
        if not self.times:
            raise ValueError("A schedule needs at least one time.")
        if any(t.tzinfo is not None for t in self.times):
            raise ValueError("Schedule times must be naive local times.")
        if not self.days:
            raise ValueError("A schedule needs at least one day.")
        if not all(isinstance(d, int) and 0 <= d <= 6 for d in self.days):
            raise ValueError(f"Days must be 0 (Mon)..6 (Sun), got {sorted(self.days)!r}.")
        tzinfo_for(self.tz)  # raises ValueError for an unknown zone
        # frozen + slots: object.__setattr__ is the sanctioned way to normalize in __post_init__
        object.__setattr__(self, "times", tuple(sorted(set(self.times))))
        object.__setattr__(self, "days", frozenset(self.days))


def _require_aware(value: datetime, *, name: str) -> datetime:
    """Return ``value`` in UTC; raise ValueError if it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}.")
    return value.astimezone(UTC)


def _slot_instant(*, day: date, at: time, zone: tzinfo) -> datetime:
    """Return the UTC instant of local ``at`` on ``day``.

    ``datetime.combine`` yields fold=0, which PEP 495 maps with the offset in force *before* a
    transition. For a repeated (fall-back) time that is the first occurrence; for a skipped
    (spring-forward) time it is the wall time shifted forward by the size of the gap
    (02:30 Europe/Berlin on spring-forward day -> 01:30Z = 03:30 CEST). Tests pin both.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _day_slots(spec: ScheduleSpec, zone: tzinfo, day: date) -> list[datetime]:
    """The slot instants of one local date (none when its LOCAL weekday is not scheduled)."""
    if day.weekday() not in spec.days:
        return []
    return [_slot_instant(day=day, at=at, zone=zone) for at in spec.times]


def _nearest(spec: ScheduleSpec, reference: datetime, *, forward: bool) -> datetime | None:
    """Walk local dates away from ``reference`` and return the nearest slot on that side.

    A slot shifted by a DST gap can land after the next date's first slot, so once a date
    yields a candidate, one more date is checked before stopping.
    """
    zone = tzinfo_for(spec.tz)
    local_date = reference.astimezone(zone).date()
    step = 1 if forward else -1
    best: datetime | None = None
    last_delta: int | None = None
    for delta in range(-step, step * (_SEARCH_DAYS + 1), step):
        for slot in _day_slots(spec, zone, local_date + timedelta(days=delta)):
            if forward and slot > reference and (best is None or slot < best):
                best = slot
            if not forward and slot <= reference and (best is None or slot > best):
                best = slot
        if best is not None:
            if last_delta is None:
                last_delta = delta + step
            elif delta == last_delta:
                break
    return best


def next_due(spec: ScheduleSpec, *, after: datetime) -> datetime:
    """Return the first delivery instant strictly after ``after`` (aware UTC in and out)."""
    found = _nearest(spec, _require_aware(after, name="after"), forward=True)
    assert found is not None  # a spec always has at least one day and one time
    return found


def previous_due(spec: ScheduleSpec, *, at_or_before: datetime) -> datetime | None:
    """Return the latest delivery instant at or before the given one (within ~8 days)."""
    return _nearest(spec, _require_aware(at_or_before, name="at_or_before"), forward=False)


def upcoming(spec: ScheduleSpec, *, after: datetime, count: int) -> list[datetime]:
    """Return the next ``count`` delivery instants strictly after ``after``."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}.")
    result: list[datetime] = []
    cursor = after
    for _ in range(count):
        cursor = next_due(spec, after=cursor)
        result.append(cursor)
    return result


@dataclass(frozen=True, slots=True)
class TickPlan:
    """What the tick should do for one chat whose due instant has passed."""

    deliver_slot: datetime | None
    skipped: bool
    next_due: datetime


def plan_catch_up(
    spec: ScheduleSpec, *, due_at: datetime, now: datetime, grace: timedelta
) -> TickPlan:
    """Decide whether to deliver the latest missed slot and when the chat is due next.

    Only the latest slot at or before ``now`` is considered (never a burst of old ones); it is
    delivered if it is at most ``grace`` old. Raises ValueError if ``due_at`` is after ``now``,
    if either is naive, or if ``grace`` is negative.
    """
    due = _require_aware(due_at, name="due_at")
    current = _require_aware(now, name="now")
    if due > current:
        raise ValueError(f"due_at {due.isoformat()} is after now {current.isoformat()}.")
    if grace < timedelta(0):
        raise ValueError(f"grace must not be negative, got {grace}.")
    latest = previous_due(spec, at_or_before=current)
    slot = latest if latest is not None and latest >= due else due
    following = next_due(spec, after=current)
    if current - slot <= grace:
        return TickPlan(deliver_slot=slot, skipped=False, next_due=following)
    return TickPlan(deliver_slot=None, skipped=True, next_due=following)


def local_view(instant: datetime, tz: str) -> datetime:
    """Return ``instant`` as an aware datetime in the zone ``tz``."""
    return _require_aware(instant, name="instant").astimezone(tzinfo_for(tz))


def describe_local(instant: datetime, tz: str) -> str:
    """Render ``instant`` as the learner's local weekday and time, e.g. ``"Tue 08:15"``."""
    local = local_view(instant, tz)
    return f"{DAY_NAMES[local.weekday()]} {format_time(local.time())}"
