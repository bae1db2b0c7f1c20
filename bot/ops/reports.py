"""Plain-text listing of question reports for the command line."""

from __future__ import annotations

from collections.abc import Sequence

from bot.study.ops import ReportRow


def format_reports(rows: Sequence[ReportRow]) -> str:
    """Render one report per line: id, status, when, course/lesson/question, reporter, reason."""
    if not rows:
        return "no reports\n"
    lines = []
    for row in rows:
        paused = " [paused]" if row.paused else ""
        reason = " ".join(row.reason.split()) or "(no reason given)"
        lines.append(
            f"#{row.id} {row.status} {row.created_at:%Y-%m-%d %H:%M} "
            f"{row.course_id}/{row.lesson_id}/{row.question_id}{paused} "
            f"by {row.member_name or row.member_id}: {reason}"
        )
    return "\n".join(lines) + "\n"
