"""Tests for bot.progress.chart."""

import struct
import time
from datetime import date, timedelta

import pytest

from bot.progress.chart import render_progress_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TODAY = date(2026, 3, 2)


def png_size(data: bytes) -> tuple[int, int]:
    """Read width and height from the IHDR chunk."""
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def assert_sensible_png(data: bytes) -> None:
    assert data.startswith(PNG_SIGNATURE)
    assert 5_000 < len(data) < 1_000_000
    width, height = png_size(data)
    assert 600 <= width <= 1200
    assert 700 <= height <= 1400
    assert width + height <= 10_000


def year_of_data() -> list[tuple[date, int, int]]:
    start = TODAY - timedelta(days=364)
    return [
        (start + timedelta(days=i), 5 + i % 17, (5 + i % 17) // 2)
        for i in range(365)
        if i % 5  # some days without answers
    ]


def test_no_data_at_all():
    data = render_progress_chart(daily=[], recall=[], title="Ana")
    assert_sensible_png(data)


def test_a_year_of_data_renders_quickly():
    recall = [(f"Objective {i}", i / 20) for i in range(20)]
    started = time.perf_counter()
    data = render_progress_chart(daily=year_of_data(), recall=recall, title="Ana's progress")
    assert time.perf_counter() - started < 5
    assert_sensible_png(data)


def test_only_last_eight_weeks_are_plotted():
    # Days long before the window must not change the picture.
    recent = [(TODAY - timedelta(days=i), 10, 7) for i in range(10)]
    old = [(TODAY - timedelta(days=300), 99, 1)]
    recall = [("Verbs", 0.8)]
    with_old = render_progress_chart(daily=recent + old, recall=recall, title="x", today=TODAY)
    without = render_progress_chart(daily=recent, recall=recall, title="x", today=TODAY)
    assert with_old == without


def test_awkward_text_does_not_break_rendering():
    data = render_progress_chart(
        daily=[(TODAY, 3, 2)],
        recall=[("Cost in $ and $", 0.3), ("日本語 🎉 a very long objective title indeed", 0.9)],
        title="Ana 🎉 $x$",
    )
    assert_sensible_png(data)


def test_rejects_inconsistent_counts():
    with pytest.raises(ValueError, match="correct"):
        render_progress_chart(daily=[(TODAY, 2, 3)], recall=[], title="x")
