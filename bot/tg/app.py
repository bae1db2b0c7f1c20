"""Composition root: build the Application with every handler, in order."""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.clock import Clock, utcnow
from bot.config import Settings
from bot.content.loader import load_catalog
from bot.content.schema import Catalog
from bot.db.engine import Database
from bot.kinds import ChatKind
from bot.ops.startup import StartupError
from bot.study import updates
from bot.tg import callbacks, jobs, lanes, monitoring
from bot.tg.context import BotData, TutorApp, TutorContext
from bot.tg.handlers import errors, exam, fallback, groups, lesson, ops, quiz, settings, srs, start
from bot.tg.handlers.common import say
from bot.tg.texts import t

log = logging.getLogger(__name__)

# The Telegram command menus (name, description), one per scope: private chats see the
# learner's commands; group members see what works in a group; group admins see the
# set-up commands too. /help prints the matching list (texts "help" and "help_group").
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Set up, or see where you are"),
    ("lesson", "The next micro-lesson, or lesson N: /lesson 3"),
    ("quiz", "The next question"),
    ("review", "Review what you're about to forget"),
    ("mistakes", "Go over recent mistakes"),
    ("study", "A session that fits N minutes: /study 5"),
    ("exam", "A timed mock exam: /exam or /exam 10"),
    ("examdate", "Set your exam date: /examdate 2027-03-01"),
    ("progress", "Lessons, accuracy, streak and a chart"),
    ("next", "When the next delivery comes"),
    ("settings", "Time, days, time zone, course, quiz style"),
    ("pause", "Pause deliveries"),
    ("resume", "Resume deliveries"),
    ("reset", "Clear progress in this course"),
    ("forgetme", "Delete all your data"),
    ("help", "Everything I can do"),
)
GROUP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("lesson", "The group's next micro-lesson"),
    ("quiz", "The group's next question"),
    ("leaderboard", "This week's and all-time ranking"),
    ("mystats", "Your own figures in this group"),
    ("progress", "Your own figures in this group"),
    ("next", "When the next delivery comes"),
    ("hideme", "Leave the leaderboard"),
    ("showme", "Come back to the leaderboard"),
    ("help", "What I can do in this group"),
)
GROUP_ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Set the group up"),
    *GROUP_COMMANDS[:-1],
    ("settings", "Time, days, time zone, course, quiz style"),
    ("pause", "Pause the group's deliveries"),
    ("resume", "Resume the group's deliveries"),
    ("recap", "Weekly recap: /recap sun 18:00"),
    ("statsprivate", "Send members' stats in private"),
    ("reset", "Clear the group's progress"),
    GROUP_COMMANDS[-1],
)
COMMAND_MENUS: tuple[tuple[BotCommandScope, tuple[tuple[str, str], ...]], ...] = (
    (BotCommandScopeAllPrivateChats(), COMMANDS),
    (BotCommandScopeAllGroupChats(), GROUP_COMMANDS),
    (BotCommandScopeAllChatAdministrators(), GROUP_ADMIN_COMMANDS),
)

ALLOWED_UPDATES = ["message", "callback_query", "poll_answer", "my_chat_member"]


def command(name: str, callback: Any, *, only: Any = None) -> CommandHandler[Any, Any]:
    """A command handler for new messages only (edited messages are ignored), maybe narrowed."""
    new_message = filters.UpdateType.MESSAGE
    return CommandHandler(name, callback, filters=new_message & only if only else new_message)


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    clock: Clock = utcnow,
    catalog: Catalog | None = None,
    database: Database | None = None,
    rate_limiter: bool = True,
    start_jobs: bool = True,
) -> TutorApp:
    """Build the bot: every handler in order; `request` is the seam for a fake Bot API."""
    builder = (
        ApplicationBuilder()
        .token(settings.bot_token or "123456:PLAYGROUND")
        .base_url(settings.base_url)
        .application_class(monitoring.TutorApplication)
        .context_types(ContextTypes(context=TutorContext, bot_data=BotData))
        .post_init(_post_init)
        .post_stop(jobs.stop_drain)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(lanes.FairLanes())  # a chat's lane; chats served round-robin
    )
    # getUpdates goes through a tracker: readiness needs to know Telegram still answers.
    tracker = monitoring.TrackingRequest(request or HTTPXRequest(read_timeout=40))
    builder = builder.request(request or HTTPXRequest(connection_pool_size=64))
    builder = builder.get_updates_request(tracker)
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))  # type: ignore[arg-type]
    app: TutorApp = builder.build()
    tracker.app = app
    app.bot_data.settings = settings
    app.bot_data.vitals.mode = "webhook" if settings.webhook_url else "polling"
    app.bot_data.clock = clock
    app.bot_data.catalog = catalog or Catalog(courses=())
    app.bot_data.db = database
    app.bot_data.start_jobs = start_jobs

    # -2: what no handler should see: a press without data (it matches every
    # CallbackQueryHandler in PTB) or without a message (an inline-mode message), and messages
    # from other bots.
    app.add_handler(TypeHandler(Update, _screen), group=-2)
    # -1: drop updates we have already handled (Telegram redelivers after a crash); the mark
    # is written when an update's handling has finished (monitoring.TutorApplication).
    app.add_handler(TypeHandler(Update, _drop_duplicates), group=-1)

    # 0: commands, buttons and answers. Order matters: specific before catch-alls.
    for handler in _handlers():
        app.add_handler(handler)
    app.add_error_handler(errors.error_handler)
    return app


def _handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Every handler, in the order PTB tries them: specific ones before the catch-alls."""
    # /quiz, /lesson and /review first ask whether to leave a running mock exam.
    guard = exam.ExamGuard({"quiz": quiz.quiz, "lesson": lesson.lesson, "review": srs.review})
    return [
        # Membership and migration (service updates, no text).
        ChatMemberHandler(groups.bot_membership, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, groups.migrate),
        # Commands.
        command("start", start.start),
        command("lesson", guard.command("lesson")),
        command("quiz", guard.command("quiz")),
        command("help", _help),
        command("review", guard.command("review")),
        command("mistakes", srs.mistakes),
        command("study", srs.study),
        command("drill", srs.drill),
        command("examdate", srs.examdate),
        command("exam", exam.exam),
        command("settings", settings.settings_command),
        command("pause", settings.pause_command),
        command("resume", settings.resume_command),
        command("next", settings.next_command),
        command("reset", settings.reset_command),
        command("forgetme", settings.forgetme_command),
        command("stats", ops.stats),
        command("leaderboard", groups.leaderboard),
        command("mystats", groups.mystats),
        # /progress: the learner's own in private, "my stats here" in a group.
        command("progress", srs.progress, only=filters.ChatType.PRIVATE),
        command("progress", groups.mystats, only=filters.ChatType.GROUPS),
        command("hideme", groups.hideme),
        command("showme", groups.showme),
        command("statsprivate", groups.statsprivate),
        command("recap", groups.recap),
        # Buttons: each pattern is in callbacks.py; data matching none falls to _stray_button.
        CallbackQueryHandler(start.choose_course, pattern=callbacks.COURSE_PICK),
        CallbackQueryHandler(lesson.next_lesson_button, pattern=callbacks.LESSON_NEXT),
        CallbackQueryHandler(quiz.lesson_quiz_button, pattern=callbacks.LESSON_QUIZ),
        CallbackQueryHandler(quiz.answer_button, pattern=callbacks.QUIZ_PICK),
        CallbackQueryHandler(quiz.answer_button, pattern=callbacks.QUIZ_SUBMIT),
        CallbackQueryHandler(quiz.next_button, pattern=callbacks.NEXT_QUESTION),
        CallbackQueryHandler(quiz.next_button, pattern=callbacks.NEXT_DONE),
        CallbackQueryHandler(quiz.mark_unsure, pattern=callbacks.UNSURE_MARK),
        CallbackQueryHandler(quiz.more_new_button, pattern=callbacks.MORE_NEW),
        CallbackQueryHandler(ops.report_button, pattern=callbacks.REPORT_OPEN),
        CallbackQueryHandler(settings.settings_button, pattern=callbacks.SETTINGS_MENU),
        CallbackQueryHandler(settings.settings_button, pattern=callbacks.SETTINGS_BACK),
        CallbackQueryHandler(settings.settings_button, pattern=callbacks.SETTINGS_TYPE),
        CallbackQueryHandler(settings.settings_button, pattern=callbacks.SETTINGS_CHANGE),
        CallbackQueryHandler(settings.settings_button, pattern=callbacks.SETTINGS_NUMBER),
        CallbackQueryHandler(settings.reset_button, pattern=callbacks.RESET_YES),
        CallbackQueryHandler(settings.reset_button, pattern=callbacks.RESET_NO),
        CallbackQueryHandler(settings.forget_button, pattern=callbacks.FORGET_CHOICE),
        CallbackQueryHandler(srs.next_in_session, pattern=callbacks.SESSION_NEXT),
        CallbackQueryHandler(srs.confidence, pattern=callbacks.CONFIDENCE_RATE),
        CallbackQueryHandler(exam.exam_button, pattern=callbacks.EXAM_PICK),
        CallbackQueryHandler(exam.exam_button, pattern=callbacks.EXAM_SUBMIT),
        CallbackQueryHandler(exam.exam_button, pattern=callbacks.EXAM_CONTROL),
        CallbackQueryHandler(guard.leave, pattern=callbacks.EXAM_LEAVE),
        CallbackQueryHandler(_stray_button),
        PollAnswerHandler(quiz.receive_poll_answer),
        # Free text: a reply to the report prompt first, then the private-text handler (a typed
        # setting when one is awaited, otherwise the free-text hint).
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE & ops.REPORT_REPLY,
            ops.receive_report_reason,
        ),
        MessageHandler(settings.PRIVATE_TEXT, settings.receive_text),
        # Catch-alls: unknown commands; private text nothing above took (a reply to another
        # message, say) gets the free-text hint.
        MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, fallback.unknown_command),
        MessageHandler(
            filters.TEXT
            & ~filters.COMMAND
            & filters.ChatType.PRIVATE
            & filters.UpdateType.MESSAGE,
            fallback.free_text,
        ),
    ]


async def _help(update: Update, context: TutorContext) -> None:
    chat = update.effective_chat
    if chat is not None:
        await say(context, chat.id, t("help" if chat.type == ChatKind.PRIVATE else "help_group"))


async def _stray_button(update: Update, context: TutorContext) -> None:
    """The one "this button has expired" answer: data no callbacks.py pattern matches."""
    query = update.callback_query
    if query is not None:
        log.info("update %s: unknown callback data %r", update.update_id, (query.data or "")[:64])
        await query.answer(t("button_expired"))


async def _screen(update: Update, context: TutorContext) -> None:
    query = update.callback_query
    if query is not None and (not query.data or query.message is None):
        await _stray_button(update, context)
        raise ApplicationHandlerStop
    message = update.message
    sender = message.from_user if message is not None else None
    # An anonymous admin writes as @GroupAnonymousBot, with sender_chat set: not another bot.
    if sender is not None and sender.is_bot and message is not None and not message.sender_chat:
        log.info("update %s: a message from the bot %s, ignored", update.update_id, sender.id)
        raise ApplicationHandlerStop


async def _drop_duplicates(update: Update, context: TutorContext) -> None:
    if await updates.handled(context.db, update_id=update.update_id):
        log.info("update %s: already handled, ignored", update.update_id)
        raise ApplicationHandlerStop


async def _post_init(app: TutorApp) -> None:
    """Open and migrate the database, load the courses, publish commands, start the jobs."""
    data = app.bot_data
    try:  # first: a taken port fails the start before anything is opened
        data.health_server = monitoring.start_health_server(app)
    except OSError as exc:
        settings = data.settings
        raise StartupError(
            f"HEALTH_PORT={settings.health_port}: cannot listen on "
            f"{settings.health_listen}:{settings.health_port}: {exc.strerror or exc}"
        ) from None
    if data.db is None:
        data.db = Database.from_url(data.settings.database_url)
    await data.db.migrate()
    processor = app.update_processor
    if isinstance(processor, lanes.FairLanes):
        opened = data.db

        async def poll_chat(poll_id: str) -> int | None:
            return await updates.poll_chat(opened, poll_id=poll_id)

        processor.poll_chat = poll_chat
    if not data.catalog.courses:
        data.catalog = load_catalog(data.settings.lessons_dir)
    await _publish_command_menus(app)
    data.vitals.started_at = time.time()
    db = data.db
    data.metrics.watch_writer_queue(lambda: db.writes_in_flight)
    if data.start_jobs:
        jobs.install(app)
        if data.vitals.mode == "webhook" and app.job_queue is not None:
            app.job_queue.run_repeating(
                monitoring.webhook_check,
                interval=monitoring.WEBHOOK_CHECK_SECONDS,
                first=1,
                name="webhook-check",
                job_kwargs=jobs.JOB_KWARGS,
            )


async def _publish_command_menus(app: TutorApp) -> None:
    """Publish one command menu per scope (private chats, group members, group admins)."""
    for scope, commands in COMMAND_MENUS:
        try:
            await app.bot.set_my_commands([BotCommand(n, d) for n, d in commands], scope=scope)
        except Exception as exc:  # a nicety: never stop the bot for it
            log.warning("set_my_commands (%s) failed: %s", scope.type, exc)


async def _post_shutdown(app: TutorApp) -> None:
    if app.bot_data.health_server is not None:
        await app.bot_data.health_server.stop()
        app.bot_data.health_server = None
    await jobs.stop_drain(app)  # in case post_stop did not run (tests, errors at start-up)
    jobs.shutdown(app)  # release the delivery lock
    if app.bot_data.db is not None:
        await app.bot_data.db.dispose()
