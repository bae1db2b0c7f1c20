"""Light lesson markup to Telegram HTML, and HTML back to plain text (pure)."""

from __future__ import annotations

import html
import re

from bot.content.schema import Lesson

BULLET = "•"

_CODE = re.compile(r"`([^`\n]+)`")
_URL = re.compile("https?://[^\\s<>\x00]+")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
# `_text_` only when the underscores are not part of a word: snake_case and __dunder__ stay.
_ITALIC = re.compile(r"(?<!\w)_(?![\s_])(.+?)(?<![\s_])_(?!\w)")
_B_TAG = re.compile(r"</?b>")
_TAG = re.compile(r"<[^>]*>")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
_NUMBERED = re.compile(r"\d{1,3}[.)] ")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


def _balanced_bold(text: str) -> bool:
    depth = 0
    for tag in _B_TAG.findall(text):
        depth += -1 if tag.startswith("</") else 1
        if depth < 0:
            return False
    return depth == 0


def _italic(match: re.Match[str]) -> str:
    inner = match.group(1)
    # Never let <i> overlap a <b> span: Telegram rejects badly nested tags.
    return f"<i>{inner}</i>" if _balanced_bold(inner) else match.group(0)


def inline_html(text: str) -> str:
    """Escape one line of text and apply **bold**, _italic_ and `code`."""
    protected: list[str] = []

    def protect(replacement: str) -> str:
        protected.append(replacement)
        return f"\x00{len(protected) - 1}\x00"

    escaped = html.escape(text.replace("\x00", ""), quote=False)
    escaped = _CODE.sub(lambda m: protect(f"<code>{m.group(1)}</code>"), escaped)
    escaped = _URL.sub(lambda m: protect(m.group(0)), escaped)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    escaped = _ITALIC.sub(_italic, escaped)
    return _PLACEHOLDER.sub(lambda m: protected[int(m.group(1))], escaped)


def _paragraph_items(paragraph: str) -> list[str]:
    """Group a paragraph's lines: bullets and numbered items start items, other lines join."""
    items: list[str] = []
    for raw in paragraph.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("- ") or line == "-":
            items.append(f"{BULLET} {inline_html(line[2:].strip())}")
        elif _NUMBERED.match(line) or not items:
            items.append(inline_html(line))
        else:
            items[-1] += " " + inline_html(line)
    return items


def to_html(text: str) -> str:
    """Convert lesson markup to Telegram HTML, escaping everything else."""
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = (p for p in _BLANK_LINES.split(normalized) if p.strip())
    return "\n\n".join("\n".join(_paragraph_items(p)) for p in paragraphs)


def render_lesson(lesson: Lesson, *, index: int | None = None, total: int | None = None) -> str:
    """Return the HTML message that teaches a lesson: title, body and key points."""
    title = html.escape(lesson.title, quote=False)
    if index is not None:
        label = f"Lesson {index}/{total}" if total is not None else f"Lesson {index}"
        title = f"{label} · {title}"
    parts = [f"<b>{title}</b>", to_html(lesson.body)]
    if lesson.key_points:
        bullets = "\n".join(f"{BULLET} {inline_html(point)}" for point in lesson.key_points)
        parts.append(f"<b>Key points</b>\n{bullets}")
    return "\n\n".join(part for part in parts if part)


def strip_html(text: str) -> str:
    """Turn our Telegram HTML into readable plain text."""
    return html.unescape(_TAG.sub("", text))
