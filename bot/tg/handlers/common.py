"""Small helpers shared by handlers: who sent an update, replying in HTML."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.study.types import Who
from bot.tg.context import TutorContext


def who_of(update: Update) -> Who | None:
    """Unpack the chat and user of a message or button press (None for other updates)."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return None
    return Who(
        chat_id=chat.id,
        chat_kind=chat.type,
        user_id=user.id,
        first_name=user.first_name or "there",
        username=user.username,
        chat_title=chat.title,
    )


async def say(
    context: TutorContext,
    chat_id: int,
    text: str,
    *,
    markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> Message:
    """Send an HTML message."""
    return await context.bot.send_message(
        chat_id,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        reply_to_message_id=reply_to,
    )


def command_args(context: TutorContext) -> list[str]:
    """Return the command's arguments (never None)."""
    return list(context.args or [])
