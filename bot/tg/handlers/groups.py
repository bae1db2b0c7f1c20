"""Study groups: the bot added or removed, per-member answers, leaderboard, stats, weekly recap."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from telegram import Bot, ChatMember, Message, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import (
    CallbackContext,
)

from bot.content.schema import Catalog
from bot.db.engine import Database
from bot.kinds import GROUP_KINDS, ChatKind, DeliveryStatus, Purpose
from bot.progress.bars import label_bars, percent
from bot.scheduling.due import DAY_NAMES, describe_local, parse_days, parse_time
from bot.study import chats, enrolment, questions
from bot.study import groups as study
from bot.study.types import AnswerOutcome, Who
from bot.tg import render, send
from bot.tg.admins import is_chat_admin
from bot.tg.context import TutorContext
from bot.tg.handlers import settings
from bot.tg.handlers.common import command_args, say, who_of
from bot.tg.texts import t

log = logging.getLogger(__name__)

_PRESENT = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


# --- answers ----------------------------------------------------------------------------------


async def after_group_answer(context: TutorContext, outcome: AnswerOutcome) -> None:
    """No message per answer in the group; members who started the bot get a private note."""
    if outcome.correct or not outcome.member_started_private or outcome.question is None:
        return
    text = (
        t("grp_followup", prompt=render.esc(outcome.question.prompt))
        + "\n"
        + render.feedback(outcome, include_explanation=True)
    )
    try:
        await context.bot.send_message(outcome.user_id, text, parse_mode=ParseMode.HTML)
    except Forbidden:
        log.info("group follow-up not delivered: user %s blocked the bot", outcome.user_id)
        await study.mark_member_blocked(context.db, user_id=outcome.user_id, now=context.now())
    except BadRequest as exc:
        log.info("group follow-up to user %s failed: %s", outcome.user_id, exc.message)


# --- the bot joins, leaves, migrates ------------------------------------------------------------


def _present(member: ChatMember) -> bool:
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in _PRESENT


async def bot_membership(update: Update, context: TutorContext) -> None:
    """The bot was added to or removed from a group, or blocked/unblocked in private."""
    change = update.my_chat_member
    chat = change.chat
    if chat.type not in {ChatKind.PRIVATE, *GROUP_KINDS}:
        return
    was_in, is_in = _present(change.old_chat_member), _present(change.new_chat_member)
    if was_in == is_in:
        return  # e.g. promoted to admin: nothing changes for us
    now = context.now()
    if not is_in:
        await chats.deactivate(context.db, chat_id=chat.id, now=now)
        log.info("chat %s: the bot was removed or blocked; deliveries stop", chat.id)
        return
    user = change.from_user
    added_by = None
    if chat.type != ChatKind.PRIVATE and user is not None and not user.is_bot:
        added_by = Who(
            chat_id=chat.id,
            chat_kind=chat.type,
            user_id=user.id,
            first_name=user.first_name or "there",
            username=user.username,
            chat_title=chat.title,
        )
    out = await study.bot_joined(
        context.db,
        chat_id=chat.id,
        kind=chat.type,
        title=chat.title,
        added_by=added_by,
        default_tz=context.bot_data.settings.default_timezone,
        now=now,
    )
    if not out.is_group:
        return  # unblocked in private: deliveries resume quietly
    if out.new_chat or out.course_id is None:
        text = t("grp_welcome", title=render.esc(chat.title or "everyone"))
    else:
        text = t("grp_welcome_back")
        if out.next_due is not None:
            tz = await _group_tz(context, chat.id)
            text += "\n" + t("grp_next_delivery", next=describe_local(out.next_due, tz))
    try:
        await say(context, chat.id, text)
    except TelegramError as exc:  # e.g. added to a group where it may not write
        log.info("could not greet chat %s: %s", chat.id, exc)


async def _group_tz(context: TutorContext, chat_id: int) -> str:
    setting = await study.recap_setting(context.db, chat_id=chat_id)
    return setting.timezone if setting is not None else "UTC"


async def migrate(update: Update, context: TutorContext) -> None:
    """A group became a supergroup: keep everything under the new id (idempotent)."""
    message = update.effective_message
    if message.migrate_to_chat_id:
        old_id, new_id = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old_id, new_id = message.migrate_from_chat_id, message.chat.id
    else:
        return
    result = await study.migrate_chat(
        context.db, old_chat_id=old_id, new_chat_id=new_id, now=context.now()
    )
    log.info("chat %s -> %s migration: %s", old_id, new_id, result)
    if old_id in context.application.chat_data:  # a second call would overwrite with {}
        context.application.migrate_chat_data(old_chat_id=old_id, new_chat_id=new_id)


# --- /start in a group (called by start.start) --------------------------------------------------


async def _is_admin(update: Update, context: TutorContext, who: Who) -> bool:
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == who.chat_id  # an anonymous admin speaks as the group
    return await is_chat_admin(context, chat_id=who.chat_id, user_id=who.user_id)


async def _refuse_unless_admin(update: Update, context: TutorContext, who: Who) -> bool:
    if await _is_admin(update, context, who):
        return False
    await _reply(update, context, t("grp_admin_only"))
    return True


async def _reply(update: Update, context: TutorContext, text: str) -> Message:
    message = update.effective_message
    return await say(
        context, update.effective_chat.id, text, reply_to=message.message_id if message else None
    )


async def start_in_group(update: Update, context: TutorContext) -> None:
    """/start in a group: admins pick the course and schedule; members get a short intro."""
    who = who_of(update)
    if who is None or not who.is_group:
        return
    now = context.now()
    if not await _is_admin(update, context, who):
        intro = await study.register_member(context.db, context.catalog, who=who, now=now)
        name = render.esc(who.first_name)
        if intro.course_title is None:
            await _reply(update, context, t("grp_start_no_course", name=name))
        else:
            await _reply(
                update,
                context,
                t(
                    "grp_start_member",
                    name=name,
                    course=render.esc(intro.course_title),
                    done=intro.lessons_done,
                    total=intro.lessons_total,
                ),
            )
        return
    args = command_args(context)
    outcome = await enrolment.start(
        context.db,
        context.catalog,
        who=who,
        course_arg=args[0] if args else None,
        default_tz=context.bot_data.settings.default_timezone,
        now=now,
    )
    if outcome.unknown_course:
        await say(
            context, who.chat_id, t("unknown_course", course=render.esc(outcome.unknown_course))
        )
    if outcome.course is None:
        if not context.catalog.courses:
            await say(context, who.chat_id, t("no_courses"))
            return
        await say(
            context,
            who.chat_id,
            t("choose_course"),
            markup=render.course_picker(list(context.catalog)),
        )
        return
    course = outcome.course
    if outcome.needs_setup:
        parts = [
            t(
                "grp_enrolled",
                course=render.esc(course.title),
                lessons=len(course.lessons),
                questions=len(course.questions),
            )
        ]
        if course.disclaimer:
            parts.append(t("disclaimer", text=render.esc(course.disclaimer)))
        await say(context, who.chat_id, "\n\n".join(parts))
        await settings.begin_setup(context, who.chat_id)
        return
    await say(
        context,
        who.chat_id,
        t(
            "grp_start_admin_back",
            course=render.esc(course.title),
            done=outcome.lessons_done,
            total=len(course.lessons),
        ),
    )


# --- views: leaderboard, stats ------------------------------------------------------------------


async def _group_who(update: Update, context: TutorContext) -> Who | None:
    """The sender in a group, or None after telling a private chat that this is for groups."""
    who = who_of(update)
    if who is None:
        return None
    if not who.is_group:
        await say(context, who.chat_id, t("grp_only_in_groups"))
        return None
    return who


def _since_label(day: date) -> str:
    return f"{DAY_NAMES[day.weekday()]} {day.day} {day:%b}"


def _board_lines(board: study.Board, *, me_pk: int) -> list[str]:
    if not board.top:
        return [t("grp_board_empty")]

    def row(standing: study.Standing) -> str:
        tally = standing.tally
        name = render.esc(tally.name)
        if tally.member_pk == me_pk:
            name = f"<b>{name}</b>"
        return t(
            "grp_board_row",
            medal=_MEDALS.get(standing.place, f"{standing.place}."),
            name=name,
            correct=tally.correct,
            accuracy=percent(float(tally.accuracy)),
        )

    lines = [row(s) for s in board.top]
    if board.me is not None:
        lines += [t("grp_board_gap"), row(board.me)]
    return lines


def render_leaderboard(board: study.Leaderboard) -> str:
    """The /leaderboard message: this week, then all time."""
    lines = [t("grp_board_title"), "", t("grp_board_week", since=_since_label(board.week_start))]
    lines += _board_lines(board.week, me_pk=board.me_pk)
    lines += ["", t("grp_board_all_time")]
    lines += _board_lines(board.all_time, me_pk=board.me_pk)
    if board.me_hidden:
        lines += ["", t("grp_board_you_hidden")]
    return "\n".join(lines)


async def leaderboard(update: Update, context: TutorContext) -> None:
    """/leaderboard: this week's and all-time ranking by right answers."""
    who = await _group_who(update, context)
    if who is None:
        return
    board = await study.leaderboard(context.db, who=who, now=context.now())
    await say(context, who.chat_id, render_leaderboard(board))


def _objective_lines(scores: tuple[study.ObjectiveScore, ...]) -> list[str]:
    rows = [
        (f"{render.esc(s.title)} ({s.correct}/{s.answered})", s.correct / s.answered)
        for s in scores
        if s.answered
    ]
    return label_bars(rows)


def render_stats(stats: study.MemberStats) -> str:
    """The /mystats message."""
    lines = [t("grp_stats_title", name=render.esc(stats.first_name))]
    if stats.course_title:
        lines.append(t("grp_stats_course", course=render.esc(stats.course_title)))
    if not stats.answered:
        lines.append(t("grp_stats_none"))
    else:
        lines.append(
            t(
                "grp_stats_answers",
                answered=stats.answered,
                correct=stats.correct,
                accuracy=percent(stats.correct / stats.answered),
            )
        )
        lines += _objective_lines(stats.objectives)
    lines.append(t("grp_stats_streak", current=stats.streak.current, best=stats.streak.best))
    return "\n".join(lines)


async def mystats(update: Update, context: TutorContext) -> None:
    """/mystats (and /progress in a group): the caller's own figures, here or in private."""
    who = await _group_who(update, context)
    if who is None:
        return
    stats = await study.member_stats(context.db, context.catalog, who=who, now=context.now())
    text = render_stats(stats)
    if stats.send_private:
        try:
            await say(context, who.user_id, text)
            return
        except Forbidden:
            log.info("private /mystats not delivered: user %s blocked the bot", who.user_id)
            await study.mark_member_blocked(context.db, user_id=who.user_id, now=context.now())
    await _reply(update, context, text)


async def hideme(update: Update, context: TutorContext) -> None:
    """/hideme: leave the leaderboard (answers still count for the member)."""
    await _set_hidden(update, context, hidden=True)


async def showme(update: Update, context: TutorContext) -> None:
    """/showme: come back on the leaderboard."""
    await _set_hidden(update, context, hidden=False)


async def _set_hidden(update: Update, context: TutorContext, *, hidden: bool) -> None:
    who = await _group_who(update, context)
    if who is None:
        return
    changed = await study.set_hidden(context.db, who=who, hidden=hidden, now=context.now())
    key = {
        (True, True): "grp_hidden",
        (True, False): "grp_already_hidden",
        (False, True): "grp_shown",
        (False, False): "grp_already_shown",
    }[(hidden, changed)]
    await _reply(update, context, t(key, name=render.esc(who.first_name)))


# --- admin settings: /statsprivate, /recap -------------------------------------------------------


async def statsprivate(update: Update, context: TutorContext) -> None:
    """/statsprivate on|off (admins): send /mystats answers in private."""
    who = await _group_who(update, context)
    if who is None:
        return
    args = [a.lower() for a in command_args(context)]
    if not args or args[0] not in {"on", "off"}:
        on = await study.stats_in_private(context.db, chat_id=who.chat_id)
        where = t("grp_where_private" if on else "grp_where_group")
        await _reply(update, context, t("grp_statsprivate_usage", where=where))
        return
    if await _refuse_unless_admin(update, context, who):
        return
    on = await study.set_stats_in_private(
        context.db, who=who, on=args[0] == "on", now=context.now()
    )
    await _reply(update, context, t("grp_statsprivate_on" if on else "grp_statsprivate_off"))


def _describe_recap(setting: study.RecapSetting) -> str:
    if setting.day is None or setting.at is None:
        return t("grp_recap_none")
    return f"{DAY_NAMES[setting.day]} {setting.at}"


async def recap(update: Update, context: TutorContext) -> None:
    """/recap <day> <HH:MM> | off (admins): when the weekly recap comes."""
    who = await _group_who(update, context)
    if who is None:
        return
    args = command_args(context)
    if not args:
        setting = await study.recap_setting(context.db, chat_id=who.chat_id)
        current = _describe_recap(setting) if setting else t("grp_recap_none")
        await _reply(update, context, t("grp_recap_usage", current=current))
        return
    if await _refuse_unless_admin(update, context, who):
        return
    now = context.now()
    default_tz = context.bot_data.settings.default_timezone
    if args[0].lower() == "off":
        await study.set_recap(
            context.db, who=who, day=None, at=None, default_tz=default_tz, now=now
        )
        await _reply(update, context, t("grp_recap_off"))
        return
    try:
        if len(args) != 2:
            raise ValueError(t("grp_recap_one_day"))
        days = parse_days(args[0])
        if len(days) != 1:
            raise ValueError(t("grp_recap_one_day"))
        at = parse_time(args[1])
    except ValueError as exc:
        await _reply(update, context, t("grp_recap_bad", error=render.esc(str(exc))))
        return
    setting = await study.set_recap(
        context.db, who=who, day=next(iter(days)), at=at, default_tz=default_tz, now=now
    )
    nxt = describe_local(setting.next_due, setting.timezone) if setting.next_due else "—"
    await _reply(
        update,
        context,
        t(
            "grp_recap_set",
            when=_describe_recap(setting),
            tz=render.esc(setting.timezone),
            next=nxt,
        ),
    )


# --- the weekly recap ----------------------------------------------------------------------------


def render_recap(out: study.RecapOut) -> str:
    """The weekly recap message (the warm-up questions follow as their own messages)."""
    lines = [t("grp_recap_title")]
    if out.course is not None:
        lines.append(t("grp_recap_course", course=render.esc(out.course.title)))
    lines += ["", t("grp_recap_participation", participants=out.participants, known=out.known)]
    if not out.answered:
        lines.append(t("grp_recap_no_answers"))
    else:
        lines.append(
            t(
                "grp_recap_accuracy",
                accuracy=percent(out.correct / out.answered),
                correct=out.correct,
                answered=out.answered,
            )
        )
        lines += ["", t("grp_recap_objectives"), *_objective_lines(out.objectives)]
    if out.missed:
        lines += ["", t("grp_recap_missed")]
        for n, miss in enumerate(out.missed, 1):
            question = miss.question
            answer = "; ".join(render.esc(question.options[i].text) for i in question.correct_ids)
            lines.append(
                t(
                    "grp_recap_missed_item",
                    n=n,
                    prompt=render.esc(question.prompt),
                    wrong=miss.wrong,
                    answered=miss.answered,
                    answer=answer,
                    explanation=render.esc(question.explanation),
                )
            )
    if out.warmup:
        lines += ["", t("grp_recap_warmup", count=len(out.warmup))]
    return "\n".join(lines)


async def _send_recap_message(
    bot: Bot, db: Database, *, chat_id: int, text: str, now: datetime
) -> tuple[int, Message]:
    """Send the recap; follow a group's migration once. Return the chat id used and the message."""
    try:
        message = await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    except ChatMigrated as exc:
        new_id = int(exc.new_chat_id)
        await study.migrate_chat(db, old_chat_id=chat_id, new_chat_id=new_id, now=now)
        chat_id = new_id
        message = await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    return chat_id, message


async def send_weekly_recap(
    context_or_bot: CallbackContext[Any, Any, Any, Any] | Bot,
    db: Database,
    catalog: Catalog,
    *,
    chat_pk: int,
    now: datetime,
    delivery_id: int | None = None,
) -> bool:
    """Post a group's weekly recap, then the warm-up questions; return whether it was posted.

    The warm-up is sent as three questions in the group's quiz style (quiz polls by default,
    purpose "warmup"), so members answer them like any other and each answer is graded.
    With `delivery_id` (a claim from `claim_due_recaps`) the Delivery row records the result.
    """
    bot = context_or_bot if isinstance(context_or_bot, Bot) else context_or_bot.bot
    out = await study.weekly_recap(db, catalog, chat_pk=chat_pk, now=now)
    if out is None:
        if delivery_id is not None:
            await study.finish_recap(
                db,
                delivery_id=delivery_id,
                status=DeliveryStatus.SKIPPED,
                now=now,
                error="chat inactive or gone",
            )
        return False
    try:
        chat_id, message = await _send_recap_message(
            bot, db, chat_id=out.tg_chat_id, text=render_recap(out), now=now
        )
    except TelegramError as exc:
        if isinstance(exc, Forbidden):
            log.info("recap for chat %s: the bot was removed (%s)", out.tg_chat_id, exc)
            await chats.deactivate(db, chat_id=out.tg_chat_id, now=now)
        else:
            log.warning("recap for chat %s failed: %s", out.tg_chat_id, exc)
        if delivery_id is not None:
            await study.finish_recap(
                db,
                delivery_id=delivery_id,
                status=DeliveryStatus.FAILED,
                now=now,
                error=f"{type(exc).__name__}: {exc}",
            )
        return False
    if delivery_id is not None:
        await study.finish_recap(
            db,
            delivery_id=delivery_id,
            status=DeliveryStatus.SENT,
            now=now,
            message_id=message.message_id,
        )
    for number, question in enumerate(out.warmup, 1):
        prepared = await questions.prepare_question(
            db,
            catalog,
            chat_id=chat_id,
            user_id=None,
            purpose=Purpose.WARMUP,
            now=now,
            question_id=question.id,
            number=number,
        )
        if prepared is None:
            continue
        try:
            await send.send_question(bot, db, prepared)
        except TelegramError as exc:
            log.warning("recap warm-up for chat %s stopped: %s", chat_id, exc)
            break
    return True


async def recap_tick(context: TutorContext) -> None:
    """Repeating job: post every due weekly recap once (install it next to the delivery tick)."""
    now = context.now()
    for claim in await study.claim_due_recaps(context.db, now=now):
        try:
            await send_weekly_recap(
                context,
                context.db,
                context.catalog,
                chat_pk=claim.chat_pk,
                now=now,
                delivery_id=claim.delivery_id,
            )
        except Exception:  # one group's failure must not stop the others
            log.exception("recap for chat %s failed", claim.tg_chat_id)
            await study.finish_recap(
                context.db,
                delivery_id=claim.delivery_id,
                status=DeliveryStatus.FAILED,
                now=now,
                error="unexpected error",
            )


# --- registration --------------------------------------------------------------------------------
