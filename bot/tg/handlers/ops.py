"""Feature handlers (being built)."""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """This feature's handlers, in order (the composition root adds them)."""
    return []
