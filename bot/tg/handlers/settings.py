"""Onboarding, /settings and its buttons, /pause, /resume, /next, /reset and /forgetme."""

from __future__ import annotations

import logging
import re

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import filters

from bot.content.markup import strip_html
from bot.content.schema import Catalog
from bot.kinds import ChatKind, QuizStyle
from bot.study import settings as study
from bot.study.types import Who
from bot.tg import callbacks, render
from bot.tg.admins import is_chat_admin
from bot.tg.context import TutorContext
from bot.tg.handlers import fallback
from bot.tg.handlers.common import say, who_of
from bot.tg.texts import t

log = logging.getLogger(__name__)

# Callback data: set:<action>[:<value>] | reset:yes:<course-id> | reset:no | forget:yes | forget:no

SETUP_TIMES = ("07:00", "08:00", "12:30", "18:00", "20:00", "21:30")
Rows = list[list[tuple[str, str]]]
# Prompts whose replies are ours: a reply to any other bot message (e.g. the report prompt)
# falls through to the feature that asked, and then to the catch-all hint.
_PROMPT_KEYS = ("ask_time", "ask_days", "ask_tz", "type_time", "type_days", "type_tz", "bad_time")


def _prompt_starts() -> tuple[str, ...]:
    return tuple(strip_html(t(key).split("{", 1)[0]).strip()[:24] for key in _PROMPT_KEYS)


class _NoReplyToOthers(filters.MessageFilter):
    """Plain text, or a reply to one of our own setup prompts."""

    def filter(self, message: Message) -> bool:
        reply = message.reply_to_message
        if reply is None or reply.from_user is None or not reply.from_user.is_bot:
            return True
        text = strip_html(reply.text or "")  # Telegram sends plain text; strip HTML anyway
        return any(text.startswith(start) for start in _prompt_starts())


PRIVATE_TEXT = (
    filters.TEXT
    & ~filters.COMMAND
    & filters.ChatType.PRIVATE
    & filters.UpdateType.MESSAGE
    & _NoReplyToOthers(name="NO_REPLY_TO_OTHERS")
)


# --- keyboards and texts -----------------------------------------------------------------------


def _chunk(buttons: list[tuple[str, str]], size: int) -> Rows:
    return [buttons[i : i + size] for i in range(0, len(buttons), size)]


def _tail(rows: Rows, *, typed: str | None, label: str, back: bool) -> InlineKeyboardMarkup:
    """Add the "type another" and "back" rows to a choice keyboard."""
    if typed is not None:
        rows.append([(t(label), callbacks.settings_type(typed))])
    if back:
        rows.append([(t("btn_back"), callbacks.settings_back())])
    return render.keyboard(rows)


def time_keyboard(*, typed: bool, back: bool) -> InlineKeyboardMarkup:
    """Common daily times (and, in /settings, "type another" and "back")."""
    buttons = [(v, callbacks.settings_change("time", v.replace(":", ""))) for v in SETUP_TIMES]
    return _tail(_chunk(buttons, 3), typed="time" if typed else None, label="btn_other", back=back)


def days_keyboard(*, typed: bool, back: bool) -> InlineKeyboardMarkup:
    """Every day, Mon–Fri, weekends, custom."""
    row = [
        (t("days_every"), callbacks.settings_change("days", "all")),
        (t("days_weekdays"), callbacks.settings_change("days", "wk")),
        (t("days_weekends"), callbacks.settings_change("days", "we")),
    ]
    return _tail([row], typed="days" if typed else None, label="days_custom", back=back)


def tz_keyboard(*, typed: bool, back: bool) -> InlineKeyboardMarkup:
    """A handful of common zones and "type another"."""
    buttons = [(zone, callbacks.settings_change("tz", zone)) for zone in study.COMMON_ZONES]
    return _tail(_chunk(buttons, 3), typed="tz" if typed else None, label="btn_other", back=back)


def _mark(label: str, current: bool) -> str:
    return f"✓ {label}" if current else label


def main_keyboard(view: study.SettingsView, catalog: Catalog) -> InlineKeyboardMarkup:
    """The /settings buttons: one per setting."""
    other_style = QuizStyle.BUTTONS if view.quiz_style == QuizStyle.POLL else QuizStyle.POLL
    rows: Rows = [
        [
            (t("btn_time"), callbacks.settings_menu("time")),
            (t("btn_days"), callbacks.settings_menu("days")),
            (t("btn_tz"), callbacks.settings_menu("tz")),
        ],
        [(t("btn_style"), callbacks.settings_change("style", other_style))],
        [
            (t("btn_per_session"), callbacks.settings_menu("per")),
            (t("btn_limits"), callbacks.settings_menu("limits")),
        ],
        [
            (
                t("btn_confidence"),
                callbacks.settings_change("conf", "off" if view.confidence_prompt else "on"),
            )
        ],
    ]
    if len(catalog) > 1:
        rows[1].insert(0, (t("btn_course"), callbacks.settings_menu("course")))
    return render.keyboard(rows)


def settings_text(view: study.SettingsView, catalog: Catalog) -> str:
    """The /settings message: every current value."""
    course = catalog.course(view.course_id) if view.course_id else None
    style = view.quiz_style if view.quiz_style in study.QUIZ_STYLES else QuizStyle.POLL
    body = t(
        "settings_body",
        course=render.esc(course.title) if course else "—",
        times=render.esc(", ".join(view.times)),
        days=render.esc(view.days),
        tz=render.esc(view.timezone),
        style=t(f"style_{style}"),
        per_session=view.questions_per_session,
        new_per_day=view.new_per_day,
        reviews_per_day=view.reviews_per_day,
        confidence=t("on" if view.confidence_prompt else "off"),
        state=t("paused" if view.paused else "active"),
    )
    return f"{t('settings_title')}\n\n{body}"


def _menu(
    what: str, view: study.SettingsView, catalog: Catalog
) -> tuple[str, InlineKeyboardMarkup] | None:
    """The text and keyboard of a /settings sub-menu (None when it does not apply)."""
    typed = view.is_private
    if what == "time":
        return t("ask_time"), time_keyboard(typed=typed, back=True)
    if what == "days":
        return t("ask_days"), days_keyboard(typed=typed, back=True)
    if what == "tz":
        return t("ask_tz"), tz_keyboard(typed=typed, back=True)
    if what == "course":
        if len(catalog) < 2:
            return None
        rows: Rows = [
            [
                (
                    _mark(c.title[:50], c.id == view.course_id),
                    callbacks.settings_change("course", c.id),
                )
            ]
            for c in catalog
        ]
        return t("ask_course"), _tail(rows, typed=None, label="", back=True)
    if what == "per":
        row = [
            (_mark(str(n), n == view.questions_per_session), callbacks.settings_change("per", n))
            for n in study.PER_SESSION_CHOICES
        ]
        return t("ask_per_session"), _tail([row], typed=None, label="", back=True)
    if what == "limits":
        new = [
            (
                _mark(t("limit_new_btn", n=n), n == view.new_per_day),
                callbacks.settings_change("new", n),
            )
            for n in study.NEW_PER_DAY_CHOICES
        ]
        rev = [
            (
                _mark(t("limit_rev_btn", n=n), n == view.reviews_per_day),
                callbacks.settings_change("rev", n),
            )
            for n in study.REVIEWS_PER_DAY_CHOICES
        ]
        return t("ask_limits"), _tail([new, rev], typed=None, label="", back=True)
    return None


# --- shared steps ------------------------------------------------------------------------------


def _default_tz(context: TutorContext) -> str:
    return context.bot_data.settings.default_timezone


async def _edit(
    context: TutorContext,
    query: CallbackQuery,
    text: str | None,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Edit the pressed message; "not modified" is fine, a vanished message gets a new one."""
    try:
        if text is None:
            await query.edit_message_reply_markup(reply_markup=markup)
        else:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return
        if text is None or query.message is None:
            log.info("could not edit a settings message: %s", exc)
            return
        await say(context, query.message.chat.id, text, markup=markup)


async def _after_change(
    context: TutorContext,
    chat_id: int,
    applied: study.Applied,
    *,
    query: CallbackQuery | None,
) -> None:
    """Show the next onboarding step, or the settings with the new value."""
    view = applied.view
    if applied.next_step == "days":
        await say(
            context,
            chat_id,
            t("ask_days"),
            markup=days_keyboard(typed=view.is_private, back=False),
        )
    elif applied.next_step == "tz":
        await say(
            context, chat_id, t("ask_tz"), markup=tz_keyboard(typed=view.is_private, back=False)
        )
    elif applied.next_step == "done":
        text = t("setup_done", next=view.next_local or "—", tz=render.esc(view.timezone))
        await say(context, chat_id, text)
    elif query is not None:
        await _edit(
            context,
            query,
            settings_text(view, context.catalog),
            main_keyboard(view, context.catalog),
        )
    else:
        text = f"{t('saved')}\n\n{settings_text(view, context.catalog)}"
        await say(context, chat_id, text, markup=main_keyboard(view, context.catalog))


async def begin_setup(context: TutorContext, chat_id: int) -> None:
    """Ask for the daily time (the first step of onboarding)."""
    await study.set_awaiting(context.db, chat_id=chat_id, awaiting="time", now=context.now())
    await say(context, chat_id, t("ask_time"), markup=time_keyboard(typed=False, back=False))


async def is_admin(context: TutorContext, who: Who) -> bool:
    """Tell whether the user may change this chat's settings (private chats: always)."""
    if who.chat_kind == ChatKind.PRIVATE:
        return True
    return await is_chat_admin(context, chat_id=who.chat_id, user_id=who.user_id)


# --- /settings and its buttons -----------------------------------------------------------------


async def settings_command(update: Update, context: TutorContext) -> None:
    """Show the current settings with a button per setting."""
    who = who_of(update)
    if who is None:
        return
    view = await study.open_settings(
        context.db, chat_id=who.chat_id, default_tz=_default_tz(context), now=context.now()
    )
    if view is None:
        await say(context, who.chat_id, t("not_set_up"))
        return
    await say(
        context,
        who.chat_id,
        settings_text(view, context.catalog),
        markup=main_keyboard(view, context.catalog),
    )


async def settings_button(update: Update, context: TutorContext) -> None:
    """A set:… button: open a sub-menu, ask to type a value, or save a choice."""
    query = update.callback_query
    who = who_of(update)
    if query is None or who is None:
        return
    action, value = context.button["action"], context.button.get("value", "")
    if not await is_admin(context, who):
        await query.answer(t("admin_only"))
        return
    if action in {"menu", "back"}:
        view = await study.view(context.db, chat_id=who.chat_id)
        menu: tuple[str, InlineKeyboardMarkup] | None = None
        if view is not None and action == "back" and not value:
            menu = settings_text(view, context.catalog), main_keyboard(view, context.catalog)
        elif view is not None and action == "menu":
            menu = _menu(value, view, context.catalog)
        if menu is None:
            await query.answer(t("button_expired"))
            return
        await query.answer()
        await _edit(context, query, *menu)
        return
    if action == "type":
        if value not in study.TYPED_KEYS or who.chat_kind != ChatKind.PRIVATE:
            await query.answer(t("button_expired"))
            return
        if not await study.set_awaiting(
            context.db, chat_id=who.chat_id, awaiting=value, now=context.now()
        ):
            await query.answer(t("button_expired"))
            return
        await query.answer()
        await say(context, who.chat_id, t(f"type_{value}"))
        return
    if action == "time" and re.fullmatch(r"\d{4}", value):
        value = f"{value[:2]}:{value[2:]}"
    try:
        applied = await study.apply(
            context.db,
            context.catalog,
            chat_id=who.chat_id,
            key=action,
            value=value,
            default_tz=_default_tz(context),
            now=context.now(),
        )
    except ValueError as exc:
        log.info("update %s: rejected settings data %r: %s", update.update_id, query.data, exc)
        applied = None
    if applied is None:
        await query.answer(t("button_expired"))
        return
    await query.answer(t("saved") if applied.next_step is None else None)
    if applied.next_step is not None:
        await _edit(context, query, None)  # the step is answered: drop its buttons
    await _after_change(context, who.chat_id, applied, query=query)


async def receive_text(update: Update, context: TutorContext) -> None:
    """Private free text: a typed time, days or time zone when asked for one, else a hint."""
    who = who_of(update)
    message = update.effective_message
    if who is None or message is None or not message.text:
        return
    typed = await study.receive_typed(
        context.db,
        context.catalog,
        chat_id=who.chat_id,
        text=message.text,
        default_tz=_default_tz(context),
        now=context.now(),
    )
    if not typed.handled:
        await fallback.free_text(update, context)
        return
    if typed.error is not None:
        if typed.key == "time":
            text = t("bad_time", value=render.esc(message.text.strip()[:40]))
        elif typed.key == "days":
            text = t("bad_days", error=render.esc(typed.error))
        else:
            text = t("bad_tz", error=render.esc(typed.error))
        await say(context, who.chat_id, text)
        return
    assert typed.applied is not None
    await _after_change(context, who.chat_id, typed.applied, query=None)


# --- /pause, /resume, /next --------------------------------------------------------------------


async def _allowed(context: TutorContext, who: Who) -> bool:
    """Private chats always; in groups only admins (others get a one-line refusal)."""
    if await is_admin(context, who):
        return True
    await say(context, who.chat_id, t("admin_only"))
    return False


async def pause_command(update: Update, context: TutorContext) -> None:
    """Stop deliveries (and freeze the learner's streak)."""
    who = who_of(update)
    if who is None or not await _allowed(context, who):
        return
    out = await study.pause(
        context.db,
        chat_id=who.chat_id,
        user_id=who.user_id,
        default_tz=_default_tz(context),
        now=context.now(),
    )
    if out is None:
        text = t("not_set_up")
    elif not out.changed:
        text = t("already_paused")
    else:
        text = t("paused_ok" if out.view.is_private else "paused_group_ok")
    await say(context, who.chat_id, text)


async def resume_command(update: Update, context: TutorContext) -> None:
    """Restart deliveries from the next slot after now."""
    who = who_of(update)
    if who is None or not await _allowed(context, who):
        return
    out = await study.resume(
        context.db,
        chat_id=who.chat_id,
        user_id=who.user_id,
        default_tz=_default_tz(context),
        now=context.now(),
    )
    if out is None:
        text = t("not_set_up")
    elif out.view.next_local is None:
        text = t("resumed_not_set" if out.changed else "next_not_set")
    else:
        text = t("resumed_ok" if out.changed else "not_paused", next=out.view.next_local)
    await say(context, who.chat_id, text)


async def next_command(update: Update, context: TutorContext) -> None:
    """Say when the next delivery comes, in the chat's local time."""
    who = who_of(update)
    if who is None:
        return
    view = await study.view(context.db, chat_id=who.chat_id)
    if view is None:
        text = t("not_set_up")
    elif view.paused:
        text = t("next_paused")
    elif view.next_local is None:
        text = t("next_not_set")
    else:
        text = t("next_delivery", next=view.next_local, tz=render.esc(view.timezone))
    await say(context, who.chat_id, text)


# --- /reset and /forgetme ----------------------------------------------------------------------


def _confirm(yes: str, no: str) -> InlineKeyboardMarkup:
    return render.keyboard([[(t("confirm_yes"), yes), (t("confirm_no"), no)]])


async def reset_command(update: Update, context: TutorContext) -> None:
    """Ask to confirm clearing progress in the current course."""
    who = who_of(update)
    if who is None or not await _allowed(context, who):
        return
    view = await study.view(context.db, chat_id=who.chat_id)
    course = context.catalog.course(view.course_id) if view and view.course_id else None
    if course is None:
        await say(context, who.chat_id, t("no_course_yet"))
        return
    await say(
        context,
        who.chat_id,
        t("reset_confirm", course=render.esc(course.title)),
        markup=_confirm(callbacks.reset_yes(course.id), callbacks.reset_no()),
    )


async def reset_button(update: Update, context: TutorContext) -> None:
    """Confirm or cancel /reset."""
    query = update.callback_query
    who = who_of(update)
    if query is None or who is None:
        return
    course_id = context.button.get("course_id")
    if not await is_admin(context, who):
        await query.answer(t("admin_only"))
        return
    if course_id is None:  # callbacks.RESET_NO
        await query.answer()
        await _edit(context, query, t("cancelled"))
        return
    course = context.catalog.course(course_id)
    out = (
        await study.reset_course(
            context.db,
            chat_id=who.chat_id,
            user_id=who.user_id,
            course_id=course.id,
            now=context.now(),
        )
        if course is not None
        else None
    )
    if course is None or out is None:
        await query.answer(t("button_expired"))
        return
    await query.answer()
    await _edit(context, query, t("reset_done", course=render.esc(course.title)))


async def forgetme_command(update: Update, context: TutorContext) -> None:
    """Ask to confirm deleting everything about the user (private chats only)."""
    who = who_of(update)
    if who is None:
        return
    if who.chat_kind != ChatKind.PRIVATE:
        await say(context, who.chat_id, t("forget_in_private"))
        return
    await say(
        context,
        who.chat_id,
        t("forget_confirm"),
        markup=_confirm(callbacks.forget("yes"), callbacks.forget("no")),
    )


async def forget_button(update: Update, context: TutorContext) -> None:
    """Confirm or cancel /forgetme."""
    query = update.callback_query
    who = who_of(update)
    if query is None or who is None:
        return
    if who.chat_kind != ChatKind.PRIVATE or who.chat_id != who.user_id:
        await query.answer(t("button_expired"))
        return
    await query.answer()
    if context.button["choice"] == "no":
        await _edit(context, query, t("cancelled"))
        return
    out = await study.forget_member(context.db, user_id=who.user_id)
    log.info(
        "forgetme: member=%s private_chat=%s other_rows=%s",
        out.member_deleted,
        out.chat_deleted,
        out.other_rows,
    )
    context.bot_data.admin_cache.clear()
    await _edit(context, query, t("forget_done"))
