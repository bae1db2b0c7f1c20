"""Study groups: the bot added or removed, per-member answers, leaderboard, recap."""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler

import logging

from bot.study.learning import AnswerOutcome
from bot.tg import render, send
from bot.tg.context import TutorContext

log = logging.getLogger(__name__)


async def after_group_answer(context: TutorContext, outcome: AnswerOutcome) -> None:
    """No message per answer in the group; members who started the bot get a private note."""
    if outcome.correct or not outcome.member_started_private or outcome.question is None:
        return
    text = render.feedback(outcome, include_explanation=True)
    await send.try_send_private(context.bot, outcome.user_id, text)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """This feature's handlers, in order (the composition root adds them)."""
    return []
