"""/lesson and the buttons under a lesson."""

from __future__ import annotations

from telegram import Update

from bot.content.schema import Course
from bot.study import enrolment
from bot.tg import render, send
from bot.tg.context import TutorContext
from bot.tg.handlers.common import command_args, say, who_of
from bot.tg.texts import t


async def send_next_lesson(context: TutorContext, chat_id: int) -> None:
    """Send the chat's next lesson, or say the course is complete."""
    out = await enrolment.next_lesson(
        context.db, context.catalog, chat_id=chat_id, now=context.now()
    )
    if out is None:
        await say(context, chat_id, t("no_course_yet"))
    elif isinstance(out, Course):
        await say(context, chat_id, t("course_complete", course=render.esc(out.title)))
    else:
        await send.send_lesson(context.bot, out)


async def lesson(update: Update, context: TutorContext) -> None:
    """/lesson: the next micro-lesson; /lesson N: lesson N of the course."""
    who = who_of(update)
    if who is None:
        return
    args = command_args(context)
    if not args:
        await send_next_lesson(context, who.chat_id)
        return
    arg = args[0]
    # at most 4 digits: no lesson number is longer, and int() of a huge string is slow
    number = int(arg) if arg.isdecimal() and len(arg) <= 4 else 0
    out = await enrolment.open_lesson(
        context.db, context.catalog, chat_id=who.chat_id, number=number, now=context.now()
    )
    if out is None:
        await say(context, who.chat_id, t("no_course_yet"))
    elif isinstance(out, int):
        await say(context, who.chat_id, t("lesson_range", total=out))
    else:
        await send.send_lesson(context.bot, out)


async def next_lesson_button(update: Update, context: TutorContext) -> None:
    """lesson:next shows the next lesson."""
    query = update.callback_query
    who = who_of(update)
    await query.answer()
    await send_next_lesson(context, who.chat_id)
