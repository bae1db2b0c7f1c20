"""Input never reaches SQL except as bound parameters, and is escaped in every HTML message."""

from __future__ import annotations

import re

# What Telegram accepts in parse_mode=HTML (https://core.telegram.org/bots/api#html-style).
TELEGRAM_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9A-Fa-f]+);")


def telegram_html_problems(text: str) -> list[str]:
    """Say why Telegram would refuse (or misread) this HTML message text; [] when it is fine."""
    problems: list[str] = []
    stack: list[str] = []
    for match in _TAG.finditer(text):
        closing, name = match.group(1), match.group(2).lower()
        if name not in TELEGRAM_TAGS:
            problems.append(f"unsupported tag <{closing}{name}>")
        elif not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            problems.append(f"unbalanced </{name}>")
    if stack:
        problems.append(f"unclosed {stack}")
    bare = _TAG.sub("", text)
    if "<" in bare:
        problems.append("a raw '<' outside a tag")
    if "&" in _ENTITY.sub("", bare):
        problems.append("a raw '&' outside an entity")
    return problems
