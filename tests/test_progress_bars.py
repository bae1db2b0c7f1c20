"""Tests for bot.progress.bars."""

import math

import pytest

from bot.progress.bars import bar, label_bars, percent


@pytest.mark.parametrize(
    ("fraction", "width", "expected"),
    [
        (0.0, 10, "░░░░░░░░░░ 0%"),
        (0.4, 10, "▓▓▓▓░░░░░░ 40%"),
        (1.0, 10, "▓▓▓▓▓▓▓▓▓▓ 100%"),
        (0.5, 4, "▓▓░░ 50%"),
        (-0.3, 10, "░░░░░░░░░░ 0%"),
        (1.7, 10, "▓▓▓▓▓▓▓▓▓▓ 100%"),
        (0.005, 10, "▓░░░░░░░░░ 1%"),  # half up, and not empty when above 0%
        (0.004, 10, "░░░░░░░░░░ 0%"),
        (0.96, 10, "▓▓▓▓▓▓▓▓▓░ 96%"),  # never full below 100%
        (0.995, 10, "▓▓▓▓▓▓▓▓▓▓ 100%"),
        (0.25, 10, "▓▓▓░░░░░░░ 25%"),  # 2.5 cells round half up
        (0.35, 5, "▓▓░░░ 35%"),
        (0.5, 1, "▓ 50%"),
        (0.49, 1, "░ 49%"),
    ],
)
def test_bar(fraction, width, expected):
    assert bar(fraction, width=width) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.285, 29), (0.125, 13), (0.145, 15), (0.2849, 28), (2 / 3, 67), (1 / 3, 33)],
)
def test_percent_rounds_half_up(fraction, expected):
    assert percent(fraction) == expected


def test_bar_default_width_is_ten():
    assert len(bar(0.3).split(" ")[0]) == 10


@pytest.mark.parametrize("width", [0, -1])
def test_bar_rejects_bad_width(width):
    with pytest.raises(ValueError, match="width"):
        bar(0.5, width=width)


def test_bar_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        bar(math.nan)


def test_label_bars():
    assert label_bars([("Verbs", 0.4), ("Nouns", 1.0)], width=5) == [
        "▓▓░░░ 40%  Verbs",
        "▓▓▓▓▓ 100%  Nouns",
    ]
    assert label_bars([]) == []
