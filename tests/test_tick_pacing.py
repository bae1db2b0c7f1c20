"""The pure pacing calculator: slot grid, per-chat gaps, pauses, lateness and backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.scheduling.pacing import Pacer, PacingLimits, backoff

T0 = 1_800_000_000.0  # a timestamp of the kind the tick uses (float seconds)
SLOT = 1 / 28.5  # 95 % of 30 msg/s


@pytest.mark.parametrize(
    ("limits", "interval", "private_gap", "group_gap"),
    [
        (PacingLimits(), 1 / 28.5, 1.0, 60 / 19),
        (PacingLimits(headroom=1.0), 1 / 30, 1.0, 3.0),
        (PacingLimits(time_scale=10), 1 / 285, 0.1, 6 / 19),
        (PacingLimits(per_second=10, group_per_minute=10, headroom=0.5), 0.2, 1.0, 12.0),
    ],
)
def test_derived_limits(
    limits: PacingLimits, interval: float, private_gap: float, group_gap: float
) -> None:
    assert limits.interval == pytest.approx(interval)
    assert limits.gap(42) == pytest.approx(private_gap)
    assert limits.gap(-42) == pytest.approx(group_gap)
    assert limits.tolerance == pytest.approx(interval / 2)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"per_second": 0},
        {"headroom": 0},
        {"headroom": 1.5},
        {"time_scale": 0},
        {"group_per_minute": 0},
        {"private_gap_s": -1},
    ],
)
def test_bad_limits_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        PacingLimits(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("requests", "expected_slots"),
    [
        # different chats, all at once: consecutive slots
        ([(1, 0.0), (2, 0.0), (3, 0.0)], [0, 1, 2]),
        # the same private chat twice: the second waits a full second (29 slots later)
        ([(1, 0.0), (1, 0.0)], [0, 29]),
        # a chat's second message leaves the slots in between to other chats
        ([(1, 0.0), (1, 0.0), (2, 0.0), (3, 0.0)], [0, 29, 1, 2]),
        # a group's second message waits 60/19 s (90 slots later)
        ([(-1, 0.0), (-1, 0.0)], [0, 90]),
        # a later earliest time skips ahead to the first slot at or after it
        ([(1, 0.0), (2, 1.0)], [0, 29]),
        # free slots before a later reservation are still handed out (no capacity lost)
        ([(1, 5 * SLOT), (2, 0.0), (3, 0.0)], [5, 0, 1]),
    ],
)
def test_reserve_table(requests: list[tuple[int, float]], expected_slots: list[int]) -> None:
    pacer = Pacer(PacingLimits(), origin=T0)
    got = [pacer.reserve(chat, earliest=T0 + at) for chat, at in requests]
    assert [round((t - T0) / SLOT) for t in got] == expected_slots


def test_no_one_second_window_ever_holds_more_than_30_sends() -> None:
    pacer = Pacer(PacingLimits(), origin=T0)
    times = sorted(pacer.reserve(chat % 500, earliest=T0) for chat in range(3000))
    start = 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        assert end - start + 1 <= 29  # 95 % headroom: at most 29 in any second
    assert len(set(times)) == len(times)


def test_pause_pushes_every_later_reservation_past_it() -> None:
    pacer = Pacer(PacingLimits(), origin=T0)
    pacer.reserve(1, earliest=T0)
    pacer.pause(T0 + 5)
    pacer.pause(T0 + 2)  # a shorter pause never shortens a longer one
    assert pacer.paused_until == T0 + 5
    assert pacer.reserve(2, earliest=T0) >= T0 + 5


@pytest.mark.parametrize(
    ("late_by", "late"), [(0.0, False), (SLOT / 2 - 1e-4, False), (SLOT / 2 + 1e-4, True)]
)
def test_is_late_allows_half_a_slot(late_by: float, late: bool) -> None:
    pacer = Pacer(PacingLimits(), origin=T0)
    assert pacer.is_late(T0, T0 + late_by) is late


def test_forget_before_keeps_future_reservations() -> None:
    pacer = Pacer(PacingLimits(), origin=T0)
    far = pacer.reserve(1, earliest=T0 + 100)
    pacer.forget_before(T0 + 50)
    assert pacer.reserve(2, earliest=T0 + 100) > far  # the far slot is still taken
    assert pacer.reserve(1, earliest=T0 + 100) >= far + 1.0  # and the chat's gap remembered
    assert pacer.reserve(3, earliest=T0) >= T0 + 50 - SLOT  # nothing before "now" any more


@pytest.mark.parametrize(
    ("attempt", "wait"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (10, 3600)],
)
def test_backoff_doubles_and_is_capped(attempt: int, wait: int) -> None:
    assert backoff(attempt) == timedelta(seconds=wait)


def test_backoff_needs_a_positive_attempt() -> None:
    with pytest.raises(ValueError):
        backoff(0)
