"""Progress export as CSV or JSON, for a teacher or a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from bot.study.ops import ProgressRow

COLUMNS = (
    "chat_id",
    "chat_kind",
    "chat_title",
    "course_id",
    "member_id",
    "name",
    "username",
    "answered",
    "correct",
    "accuracy",
    "lessons_done",
    "last_answer_at",
)
FORMATS = ("csv", "json")


def as_record(row: ProgressRow) -> dict[str, Any]:
    """Return one row as a flat record keyed by COLUMNS (accuracy rounded to 3 places)."""
    return {
        "chat_id": row.chat_id,
        "chat_kind": row.kind,
        "chat_title": row.title,
        "course_id": row.course_id,
        "member_id": row.member_id,
        "name": row.name,
        "username": row.username,
        "answered": row.answered,
        "correct": row.correct,
        "accuracy": round(row.accuracy, 3) if row.accuracy is not None else None,
        "lessons_done": row.lessons_done,
        "last_answer_at": row.last_answer_at.isoformat() if row.last_answer_at else None,
    }


def render_export(rows: Sequence[ProgressRow], fmt: str) -> str:
    """Render rows as CSV (header line first) or as a JSON array."""
    records = [as_record(row) for row in rows]
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else _cell(v) for k, v in record.items()})
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in user-controlled text (names, titles)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
