"""Operator tools in Telegram: /stats for admins, and "report this question" with a reason."""

from __future__ import annotations

import logging

from telegram import ForceReply, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    filters,
)

from bot.content.markup import strip_html
from bot.kinds import ChatKind, DeliveryStatus
from bot.study import ops
from bot.study.ops import Stats
from bot.tg import render
from bot.tg.context import TutorContext
from bot.tg.handlers import fallback
from bot.tg.handlers.common import say, who_of
from bot.tg.texts import t

log = logging.getLogger(__name__)


class _ReplyToReportPrompt(filters.MessageFilter):
    """A text reply to the bot's "what's wrong with this question?" message."""

    def filter(self, message: Message) -> bool:
        reply = message.reply_to_message
        if reply is None or reply.from_user is None or not reply.from_user.is_bot:
            return False
        return strip_html(t("report_ask")) in (reply.text or "")


REPORT_REPLY = _ReplyToReportPrompt(name="REPORT_REPLY")
"""Matches replies to the report prompt (free-text handlers should exclude it: `~REPORT_REPLY`)."""


def stats_text(stats: Stats) -> str:
    """Render operator figures as Telegram HTML."""
    known = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)
    other = ", ".join(
        f"{n} {render.esc(status)}"
        for status, n in sorted(stats.deliveries.items())
        if status not in known and n
    )
    missed = "\n".join(
        t(
            "ops_stats_missed",
            rank=rank,
            course=render.esc(m.course_id),
            question=render.esc(m.question_id),
            wrong=m.wrong,
            answered=m.answered,
        )
        for rank, m in enumerate(stats.top_missed, 1)
    )
    return t(
        "ops_stats",
        day=stats.day_start.date().isoformat(),
        learners=stats.learners,
        groups=stats.groups,
        active=stats.active_members_7d,
        sent=stats.deliveries.get(DeliveryStatus.SENT, 0),
        failed=stats.deliveries.get(DeliveryStatus.FAILED, 0),
        skipped=stats.deliveries.get(DeliveryStatus.SKIPPED, 0),
        other=t("ops_stats_other", items=other) if other else "",
        answers=stats.answers_today,
        correct=stats.correct_today,
        reports=stats.open_reports,
        paused=stats.paused_questions,
        missed=missed or t("ops_stats_none"),
    )


async def stats(update: Update, context: TutorContext) -> None:
    """/stats: operator figures for ADMIN_USER_IDS in a private chat; a hint for everyone else."""
    user, chat = update.effective_user, update.effective_chat
    allowed = context.bot_data.settings.admin_user_ids
    if user is None or chat is None or chat.type != ChatKind.PRIVATE or user.id not in allowed:
        await fallback.unknown_command(update, context)
        return
    figures = await ops.gather_stats(context.db, now=context.now())
    log.info("update %s: /stats for admin %s", update.update_id, user.id)
    await say(context, chat.id, stats_text(figures))


async def report_button(update: Update, context: TutorContext) -> None:
    """report:<sent>: store the report at once, then ask for an optional reason (ForceReply)."""
    query = update.callback_query
    who = who_of(update)
    sent_id = int(context.button["sent_id"])
    if who is None:
        await query.answer(t("button_expired"))
        return
    opened = await ops.open_report(context.db, who=who, sent_id=sent_id, now=context.now())
    if isinstance(opened, str):
        await query.answer(t(opened))
        return
    log.info(
        "update %s: chat %s reported question %s (report %s)",
        update.update_id,
        who.chat_id,
        opened.question_id,
        opened.report_id,
    )
    await query.answer(t("ops_report_noted"))
    text = t("report_ask")
    if who.is_group:  # ForceReply(selective) pops up for the user mentioned in the text
        mention = f'<a href="tg://user?id={who.user_id}">{render.esc(who.first_name)}</a>'
        text = t("ops_report_ask_group", name=mention) + text
    prompt = await context.bot.send_message(
        who.chat_id,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=ForceReply(
            selective=True, input_field_placeholder=t("ops_report_placeholder")
        ),
    )
    await ops.attach_report_prompt(
        context.db, report_id=opened.report_id, message_id=prompt.message_id
    )


async def receive_report_reason(update: Update, context: TutorContext) -> None:
    """A reply to the report prompt: store it as the report's reason."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.reply_to_message is None:
        return
    saved = await ops.add_report_reason(
        context.db,
        user_id=user.id,
        prompt_message_id=message.reply_to_message.message_id,
        reason=message.text or "",
    )
    log.info(
        "update %s: chat %s report reason %s",
        update.update_id,
        message.chat_id,
        "saved" if saved else "matched no report",
    )
    if saved:
        await say(context, message.chat_id, t("report_saved"), reply_to=message.message_id)
    elif message.chat.type == ChatKind.PRIVATE:
        await say(context, message.chat_id, t("free_text_hint"))
