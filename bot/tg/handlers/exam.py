"""Mock exams: /exam [N], a timer, no feedback until the end, a scored breakdown."""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler

from bot.study.learning import AnswerOutcome
from bot.tg.context import TutorContext


async def after_exam_answer(context: TutorContext, outcome: AnswerOutcome) -> None:
    """Send the next exam question or the result (filled in by the exam feature)."""
    raise NotImplementedError("exam flow is being built")


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """This feature's handlers, in order (the composition root adds them)."""
    return []
