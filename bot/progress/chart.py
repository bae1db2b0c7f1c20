"""Render the /progress chart (answers per day and recall per objective) as PNG bytes.

Uses ``matplotlib.figure.Figure`` with the Agg canvas and never pyplot, whose global figure
registry is not thread-safe; callers run ``render_progress_chart`` via ``asyncio.to_thread``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.ticker import MaxNLocator

WINDOW_DAYS = 56  # last 8 weeks
MAX_OBJECTIVES = 15
MAX_LABEL = 28
WIDTH_IN, HEIGHT_IN, DPI = 9.0, 10.0, 100  # 900 x 1000 px: readable on a phone
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BAR_COLOUR = "#4C78A8"
_LINE_COLOUR = "#F58518"


@lru_cache(maxsize=1)
def _renderable() -> frozenset[int]:
    """Return the code points the default sans-serif font can draw."""
    path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    return frozenset(FT2Font(path).get_charmap())


def _clean(text: str) -> str:
    """Make user text safe to draw: drop glyphs the font lacks, escape $, shorten."""
    chars = _renderable()
    kept = []
    for char in text:
        if ord(char) in chars or char == " ":
            kept.append(char)
        elif not _is_decoration(char):
            kept.append("?")
    cleaned = " ".join("".join(kept).split())
    if len(cleaned) > MAX_LABEL:
        cleaned = cleaned[: MAX_LABEL - 1].rstrip() + "…"
    return cleaned.replace("$", r"\$")  # an even number of $ would switch on mathtext


def _is_decoration(char: str) -> bool:
    """Say whether a missing glyph is an emoji or joiner that can be dropped silently."""
    code = ord(char)
    return code >= 0x1F000 or 0xFE00 <= code <= 0xFE0F or code in (0x200D, 0x20E3)


def _day_label(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"  # no strftime: it depends on the locale


def _recall_colour(recall: float) -> str:
    if recall < 0.5:
        return "#E45756"
    if recall < 0.8:
        return "#EECA3B"
    return "#54A24B"


def _placeholder(ax: Axes, text: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=18, color="#666666")


def _daily_panel(ax: Axes, daily: Sequence[tuple[date, int, int]], *, today: date | None) -> None:
    totals: dict[date, tuple[int, int]] = {}
    for day, count, correct in daily:
        if count < 0 or not 0 <= correct <= count:
            raise ValueError(f"{day}: need 0 <= correct <= answers, got {correct}/{count}")
        old_count, old_correct = totals.get(day, (0, 0))
        totals[day] = (old_count + count, old_correct + correct)
    if not any(count for count, _ in totals.values()):
        _placeholder(ax, "No answers yet — try /quiz!")
        return
    end = today or max(totals)
    days = [end - timedelta(days=offset) for offset in range(WINDOW_DAYS - 1, -1, -1)]
    answers = [totals.get(day, (0, 0))[0] for day in days]
    accuracy = [
        100 * totals[day][1] / totals[day][0] if totals.get(day, (0, 0))[0] else float("nan")
        for day in days
    ]
    xs = list(range(WINDOW_DAYS))
    ax.bar(xs, answers, color=_BAR_COLOUR, label="answers")
    ax.set_ylabel("answers per day", fontsize=12)
    ax.set_ylim(0, max(1, max(answers)) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ticks = xs[::7]
    ax.set_xticks(ticks, [_day_label(days[i]) for i in ticks], fontsize=11)
    ax.set_xlim(-0.7, WINDOW_DAYS - 0.3)
    ax.set_title("Last 8 weeks", fontsize=15, loc="left")
    ax.grid(axis="y", alpha=0.3)
    line_ax = ax.twinx()
    line_ax.plot(xs, accuracy, color=_LINE_COLOUR, marker="o", markersize=3, label="accuracy %")
    line_ax.set_ylim(0, 105)
    line_ax.set_ylabel("accuracy %", fontsize=12, color=_LINE_COLOUR)
    if sum(answers) == 0:
        ax.text(
            0.5, 0.5, "No answers in the last 8 weeks", transform=ax.transAxes,
            ha="center", va="center", fontsize=14, color="#666666",
        )  # fmt: skip


def _recall_panel(ax: Axes, recall: Sequence[tuple[str, float]]) -> None:
    if not recall:
        _placeholder(ax, "No topics studied yet")
        return
    rows = [(title, min(1.0, max(0.0, value))) for title, value in recall]
    title = "Recall by topic"
    if len(rows) > MAX_OBJECTIVES:
        weakest = sorted(range(len(rows)), key=lambda i: rows[i][1])[:MAX_OBJECTIVES]
        rows = [rows[i] for i in sorted(weakest)]
        title = f"Recall: {MAX_OBJECTIVES} weakest of {len(recall)} topics"
    ys = list(range(len(rows)))
    values = [100 * value for _, value in rows]
    ax.barh(ys, values, height=0.6, color=[_recall_colour(value) for _, value in rows])
    ax.set_yticks(ys, [_clean(name) or "?" for name, _ in rows], fontsize=12)
    ax.set_ylim(max(len(rows), 6) - 0.5, -0.5)  # first objective on top; thin bars when few
    ax.set_xlim(0, 115)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=11)
    for y, value in zip(ys, values, strict=True):
        ax.text(value + 1.5, y, f"{value:.0f}%", va="center", fontsize=11)
    ax.set_title(title, fontsize=15, loc="left")
    ax.grid(axis="x", alpha=0.3)


def render_progress_chart(
    *,
    daily: Sequence[tuple[date, int, int]],
    recall: Sequence[tuple[str, float]],
    title: str,
    today: date | None = None,
) -> bytes:
    """Draw answers per day with accuracy (last 8 weeks) and recall per objective as a PNG.

    Args:
        daily: (local day, answers, correct answers); missing days count as zero.
        recall: (objective title, predicted recall 0..1), drawn top to bottom.
        title: the chart's heading.
        today: last day of the 8-week window; defaults to the last day in ``daily``.

    Raises:
        ValueError: if a day has negative answers or more correct answers than answers.
    """
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(_clean(title) or "Progress", fontsize=18)
    top, bottom = fig.subplots(2, 1, height_ratios=(1, 1.2))
    _daily_panel(top, daily, today=today)
    _recall_panel(bottom, recall)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
