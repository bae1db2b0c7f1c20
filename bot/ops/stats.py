"""Plain-text rendering of operator figures for the command line."""

from __future__ import annotations

from bot.study.ops import Stats


def format_stats(stats: Stats) -> str:
    """Render the figures as aligned plain-text lines."""
    deliveries = ", ".join(f"{n} {status}" for status, n in stats.deliveries.items())
    lines = [
        f"stats for {stats.day_start.date().isoformat()} (UTC)",
        f"learners (active private chats):  {stats.learners}",
        f"groups (active):                  {stats.groups}",
        f"members answering in last 7 days: {stats.active_members_7d}",
        f"deliveries today:                 {deliveries}",
        f"answers today:                    {stats.answers_today} ({stats.correct_today} right)",
        f"open reports:                     {stats.open_reports}",
        f"paused questions:                 {stats.paused_questions}",
        "most missed questions:",
    ]
    if not stats.top_missed:
        lines.append("  none yet")
    for rank, missed in enumerate(stats.top_missed, 1):
        lines.append(
            f"  {rank}. {missed.course_id}/{missed.question_id}: "
            f"{missed.wrong} wrong of {missed.answered}"
        )
    return "\n".join(lines) + "\n"
