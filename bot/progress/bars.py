"""Text progress bars such as "▓▓▓▓░░░░░░ 40%" for chat messages."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

FULL = "▓"
EMPTY = "░"


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent(fraction: float) -> int:
    """Return ``fraction`` clamped to 0..1 as a whole percentage, rounding halves up.

    Raises:
        ValueError: if ``fraction`` is NaN.
    """
    if math.isnan(fraction):
        raise ValueError("fraction is NaN")
    clamped = min(1.0, max(0.0, fraction))
    # Decimal(repr) keeps 0.285 as 0.285 (float math gives 28.4999...), so halves round up.
    return _round_half_up(Decimal(repr(clamped)) * 100)


def bar(fraction: float, *, width: int = 10) -> str:
    """Render ``fraction`` (clamped to 0..1) as a bar of ``width`` cells plus a percentage.

    The bar is only full at 100% and only empty at 0%, so 96% never looks finished.

    Raises:
        ValueError: if ``width`` is below 1 or ``fraction`` is NaN.
    """
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    pct = percent(fraction)
    cells = _round_half_up(Decimal(pct * width) / 100)
    if 0 < pct < 100:
        cells = min(width - 1, max(1, cells)) if width > 1 else cells
    return f"{FULL * cells}{EMPTY * (width - cells)} {pct}%"


def label_bars(rows: Sequence[tuple[str, float]], *, width: int = 10) -> list[str]:
    """Render one "bar  label" line per row; bars come first so they line up in any font.

    Raises:
        ValueError: if ``width`` is below 1 or a fraction is NaN.
    """
    return [f"{bar(fraction, width=width)}  {label}" for label, fraction in rows]
