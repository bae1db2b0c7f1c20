"""The error handler: log the update id and the exception, tell the user in one line."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError

from bot.study import chats
from bot.tg import monitoring
from bot.tg.context import TutorContext
from bot.tg.texts import t

log = logging.getLogger(__name__)


async def error_handler(update: object, context: TutorContext) -> None:
    """Log what failed where; apologise to the user; keep serving everybody else."""
    error = context.error
    if monitoring.is_polling_error(update, error):  # getUpdates failed: one warning, not a wall
        if context.bot_data.vitals.telegram_failures == 0:  # the tracker has not seen it
            app = context.application
            monitoring.telegram_failed(app, monitoring.describe(error))  # type: ignore[arg-type]
        return
    context.bot_data.metrics.update_errors.inc()
    update_id = update.update_id if isinstance(update, Update) else None
    chat = update.effective_chat if isinstance(update, Update) else None
    # A poll answer carries no chat: the voter's private chat is where we can say sorry.
    voter = update.poll_answer.user if isinstance(update, Update) and update.poll_answer else None
    if isinstance(error, Forbidden) and chat is not None:
        log.info("update %s: chat %s blocked or removed the bot (%s)", update_id, chat.id, error)
        await chats.deactivate(context.db, chat_id=chat.id, now=context.now())
        return
    log.error(
        "update %s in chat %s failed: %s: %s",
        update_id,
        chat.id if chat else None,
        type(error).__name__,
        error,
        exc_info=error if not isinstance(error, TelegramError) else None,
    )
    if update_id is not None and isinstance(error, SQLAlchemyError):
        # The database failed mid-update (nothing was written): leave it unmarked, so that a
        # redelivery of it runs again.
        context.bot_data.unfinished.add(update_id)
    if chat is None and voter is not None and isinstance(error, Forbidden):
        # The voter blocked the bot: stop their deliveries.
        await chats.deactivate(context.db, chat_id=voter.id, now=context.now())
    # A Telegram error on the way to the voter would most likely hit this message too.
    reachable = voter is not None and not isinstance(error, TelegramError)
    target = chat.id if chat is not None else voter.id if reachable and voter else None
    if target is None:
        return
    try:
        await context.bot.send_message(target, t("error"), parse_mode=ParseMode.HTML)
    except TelegramError as exc:  # e.g. a group voter who never started the bot: 403
        log.info("could not tell chat %s about the error: %s", target, exc)
