"""Unknown commands and free text get a short hint; everything else is ignored safely."""

from __future__ import annotations

from telegram import Update

from bot.kinds import ChatKind
from bot.tg import render
from bot.tg.context import TutorContext
from bot.tg.handlers.common import say
from bot.tg.texts import t


async def unknown_command(update: Update, context: TutorContext) -> None:
    """A command we do not know (in groups: only when it is addressed to us)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split()[0]
    name, _, target = command.partition("@")
    if target and target.lower() != (context.bot.username or "").lower():
        return  # addressed to another bot
    if message.chat.type != ChatKind.PRIVATE and not target:
        return  # privacy mode: in groups we only answer commands addressed to us
    await say(context, message.chat_id, t("unknown_command", command=render.esc(name[:40])))


async def free_text(update: Update, context: TutorContext) -> None:
    """Free text in a private chat: a hint (settings may be waiting for a typed value first)."""
    message = update.effective_message
    if message is None:
        return
    await say(context, message.chat_id, t("free_text_hint"))
