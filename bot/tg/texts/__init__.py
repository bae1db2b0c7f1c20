"""Every text the bot sends, in one place, keyed for translation (English ships).

Each feature keeps its strings in its own module here; `t(key, **values)` looks a key up and
fills the `{placeholders}`. Values are inserted as given: callers escape course content and
user input with `html.escape` (render.py does) because texts are Telegram HTML.
"""

from __future__ import annotations

from bot.tg.texts import core, delivery, groups, ops, srs

_CATALOGS: dict[str, dict[str, str]] = {"en": {}}
for _module in (core, delivery, groups, srs, ops):
    for _key, _value in _module.EN.items():
        if _key in _CATALOGS["en"]:
            raise RuntimeError(f"duplicate text key {_key!r} in {_module.__name__}")
        _CATALOGS["en"][_key] = _value


def t(key: str, lang: str = "en", /, **values: object) -> str:
    """Return the text for `key` in `lang` (falling back to English) with values filled in."""
    catalog = _CATALOGS.get(lang) or _CATALOGS["en"]
    template = catalog.get(key) or _CATALOGS["en"][key]
    return template.format(**values) if values else template


def keys() -> frozenset[str]:
    """Return every known text key (used by tests)."""
    return frozenset(_CATALOGS["en"])
