"""/start, deep links and course choice."""

from __future__ import annotations

from telegram import Update

from bot.content.schema import Course
from bot.study import enrolment
from bot.tg import render
from bot.tg.context import TutorContext
from bot.tg.handlers import groups, settings
from bot.tg.handlers.common import command_args, say, who_of
from bot.tg.texts import t


async def start(update: Update, context: TutorContext) -> None:
    """Greet, enrol (a deep link names the course) and start the setup; never wipe progress."""
    who = who_of(update)
    if who is None:
        return
    if who.is_group:
        await groups.start_in_group(update, context)
        return
    args = command_args(context)
    outcome = await enrolment.start(
        context.db,
        context.catalog,
        who=who,
        course_arg=args[0] if args else None,
        default_tz=context.bot_data.settings.default_timezone,
        now=context.now(),
    )
    name = render.esc(who.first_name)
    if outcome.unknown_course:
        await say(
            context, who.chat_id, t("unknown_course", course=render.esc(outcome.unknown_course))
        )
    if outcome.course is None:
        if not context.catalog.courses:
            await say(context, who.chat_id, t("no_courses"))
            return
        await say(context, who.chat_id, t("welcome", name=name))
        await say(
            context,
            who.chat_id,
            t("choose_course"),
            markup=render.course_picker(list(context.catalog)),
        )
        return
    if outcome.needs_setup:
        await announce_enrolment(context, who.chat_id, outcome.course, greet=name)
        await settings.begin_setup(context, who.chat_id)
        return
    await say(
        context,
        who.chat_id,
        t(
            "welcome_back",
            name=name,
            done=outcome.lessons_done,
            total=len(outcome.course.lessons),
            course=render.esc(outcome.course.title),
        ),
    )


async def announce_enrolment(
    context: TutorContext, chat_id: int, course: Course, *, greet: str | None
) -> None:
    """Say welcome (optionally), which course, and the course's disclaimer."""
    parts = []
    if greet is not None:
        parts.append(t("welcome", name=greet))
    parts.append(
        t(
            "enrolled",
            course=render.esc(course.title),
            lessons=len(course.lessons),
            questions=len(course.questions),
        )
    )
    if course.disclaimer:
        parts.append(t("disclaimer", text=render.esc(course.disclaimer)))
    await say(context, chat_id, "\n\n".join(parts))


async def choose_course(update: Update, context: TutorContext) -> None:
    """A course button was pressed."""
    query = update.callback_query
    who = who_of(update)
    course_id = context.button["course_id"]
    if who.is_group and not await settings.is_admin(context, who):
        await query.answer(t("admin_only"))
        return
    course = await enrolment.enrol(
        context.db, context.catalog, chat_id=who.chat_id, course_id=course_id, now=context.now()
    )
    if course is None:
        await query.answer(t("button_expired"))
        return
    await query.answer()
    await announce_enrolment(context, who.chat_id, course, greet=None)
    await settings.begin_setup(context, who.chat_id)
