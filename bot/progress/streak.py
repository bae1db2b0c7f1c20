"""Daily study streaks with /pause days and Duolingo-like streak freezes.

Contract: every study day is a LOCAL calendar date fixed when the answer was recorded (in the
learner's time zone at that moment) and stored as a date. The streak is computed from those
stored dates only, never by re-converting old UTC instants with the learner's current zone, so
changing time zone never makes a past day appear or vanish and the streak cannot jump.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class StreakInfo:
    """The learner's streak as of today."""

    current: int
    best: int
    freezes_available: int
    freezes_used: int  # freezes spent on missed days during the current streak
    studied_today: bool


def local_day(instant: datetime, tz: tzinfo) -> date:
    """Return the calendar date of ``instant`` in time zone ``tz``.

    Raises:
        ValueError: if ``instant`` is naive.
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got naive {instant!r}")
    return instant.astimezone(tz).date()


def compute_streak(
    study_days: Iterable[date],
    *,
    today: date,
    paused_days: Iterable[date] = (),
    max_freezes: int = 1,
) -> StreakInfo:
    """Compute the streak by walking day by day from the first study day to today.

    Rules, per day:

    - studied (at least one answer): the streak grows by one; the first study day of each ISO
      week also banks one freeze, up to ``max_freezes``;
    - paused (/pause): the streak is frozen, neither growing nor breaking;
    - missed: a banked freeze is spent if the streak is alive (kept, not grown), otherwise the
      streak drops to 0; a streak already at 0 spends nothing;
    - today not studied yet is not a miss: the streak is still alive from yesterday.

    Study days after ``today`` (possible right after moving west) count as studied.

    Raises:
        ValueError: if ``max_freezes`` is negative.
    """
    if max_freezes < 0:
        raise ValueError(f"max_freezes must be >= 0, got {max_freezes}")
    studied = set(study_days)
    paused = set(paused_days)
    if not studied:
        return StreakInfo(
            current=0, best=0, freezes_available=0, freezes_used=0, studied_today=False
        )
    end = max(today, max(studied))
    current = best = freezes = used = 0
    credited_weeks: set[tuple[int, int]] = set()
    day = min(studied)
    while day <= end:
        if day in studied:
            current += 1
            best = max(best, current)
            week = day.isocalendar()[:2]
            if week not in credited_weeks:
                credited_weeks.add(week)
                freezes = min(max_freezes, freezes + 1)
        elif day in paused or day == today:
            pass  # frozen by /pause, or today is still open
        elif current > 0 and freezes > 0:
            freezes -= 1
            used += 1
        else:
            current = used = 0
        day += _ONE_DAY
    return StreakInfo(
        current=current,
        best=best,
        freezes_available=freezes,
        freezes_used=used,
        studied_today=today in studied,
    )
