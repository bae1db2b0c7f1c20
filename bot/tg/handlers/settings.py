"""Onboarding and /settings (time, days, time zone, course, quiz style), /pause, /resume."""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler

from bot.study.learning import Who
from bot.tg import render
from bot.tg.context import TutorContext
from bot.tg.handlers.common import say
from bot.tg.texts import t

SETUP_TIMES = ("07:00", "08:00", "12:30", "18:00", "20:00", "21:30")


async def begin_setup(context: TutorContext, chat_id: int) -> None:
    """Ask for the daily time (the first step of onboarding)."""
    buttons = [(v, render.callback("set", "time", v.replace(":", ""))) for v in SETUP_TIMES]
    await say(context, chat_id, t("ask_time"), markup=render.keyboard([buttons[:3], buttons[3:]]))


async def is_admin(context: TutorContext, who: Who) -> bool:
    """Tell whether the user may change this chat's settings (private chats: always)."""
    if who.chat_kind == "private":
        return True
    from bot.tg.admins import is_chat_admin

    return await is_chat_admin(context, chat_id=who.chat_id, user_id=who.user_id)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """This feature's handlers, in order (the composition root adds them)."""
    return []
