"""Mock exams: /exam [N], a timer, no feedback until the end, a scored breakdown."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.progress.bars import bar
from bot.quiz.engine import letters
from bot.study import answers, questions
from bot.study import exam as exam_uc
from bot.study.exam import ExamQuestion, ExamResultOut, ExamStep, Miss
from bot.study.types import AnswerOutcome
from bot.tg import callbacks, flows, monitoring, render
from bot.tg.context import TutorContext
from bot.tg.handlers.common import command_args, say, who_of
from bot.tg.texts import t

log = logging.getLogger(__name__)

# ex:a:<sent>:<i> answer | ex:t:<sent>:<i> toggle | ex:s:<sent> submit |
# ex:c:<exam> continue | ex:x:<exam> abandon | ex:m:<exam> review the misses |
# ex:l:<exam>:<command> leave the exam for a study command
MAX_MESSAGE = 3800

Handler = Callable[[Update, TutorContext], Awaitable[None]]


def _left(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    return t("exam_minutes", minutes=minutes) if minutes >= 1 else t("exam_under_minute")


def question_text(step: ExamQuestion, *, selected: tuple[int, ...] = ()) -> str:
    """The exam question message: header with time left, prompt, lettered options."""
    marks = letters(len(step.out.options))
    lines = [
        t("exam_question", number=step.position, size=step.size, left=_left(step.time_left)),
        render.esc(step.out.question.prompt),
        "",
    ]
    for i, option in enumerate(step.out.options):
        tick = "☑️ " if i in selected else ""
        lines.append(f"{tick}<b>{marks[i]}</b>) {render.esc(option)}")
    if step.out.question.is_multiple:
        lines += ["", f"<i>{t('pick_options_then_submit')}</i>"]
    return "\n".join(lines)


def question_keyboard(
    sent_id: int, count: int, *, multiple: bool, selected: tuple[int, ...] = ()
) -> InlineKeyboardMarkup:
    """Letter buttons with the exam's own prefix (so no right/wrong is ever shown)."""
    marks = letters(count)
    action = "t" if multiple else "a"
    row = [
        (("☑️" if i in selected else "") + marks[i], callbacks.exam_option(action, sent_id, i))
        for i in range(count)
    ]
    rows = [row[i : i + 5] for i in range(0, len(row), 5)]
    if multiple:
        rows.append([(t("submit_btn"), callbacks.exam_submit(sent_id))])
    return render.keyboard(rows)


def result_text(result: ExamResultOut) -> str:
    """Score, pass or fail, time-out note and the breakdown per objective."""
    lines = [t("exam_result", correct=result.correct, size=result.size, needed=result.needed)]
    lines.append(t("exam_pass") if result.passed else t("exam_fail"))
    if result.expired:
        lines.append(t("exam_expired", answered=result.answered, size=result.size))
    if result.breakdown:
        lines += ["", t("exam_breakdown")]
        for row in result.breakdown:
            fraction = row.correct / row.total if row.total else 0.0
            lines.append(
                t(
                    "exam_row",
                    bar=bar(fraction, width=8),
                    title=render.esc(row.title),
                    correct=row.correct,
                    total=row.total,
                )
            )
    return "\n".join(lines)


def result_keyboard(result: ExamResultOut) -> InlineKeyboardMarkup | None:
    """A button to review the misses, when there are any."""
    if not result.missed:
        return None
    label = t("exam_misses_btn", count=result.missed)
    return render.keyboard([[(label, callbacks.exam_misses(result.exam_id))]])


async def close_questions(
    context: TutorContext, chat_id: int, message_ids: tuple[int, ...]
) -> None:
    """Take the buttons off an ended exam's unanswered question messages."""
    for message_id in message_ids:
        try:
            await context.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=None
            )
        except TelegramError as exc:  # deleted by the learner, too old...: nothing to press
            log.info("could not close exam message %s: %s", message_id, exc)


async def send_result(context: TutorContext, result: ExamResultOut) -> None:
    """Close the exam's open questions, then send its score."""
    await close_questions(context, result.chat_id, result.close)
    await say(context, result.chat_id, result_text(result), markup=result_keyboard(result))


async def send_step(context: TutorContext, chat_id: int, step: ExamStep | None) -> None:
    """Send the next exam question, or the result when the exam is over."""
    if step is None:
        return
    if isinstance(step, ExamResultOut):
        await send_result(context, step)
        return
    try:
        message = await context.bot.send_message(
            chat_id,
            question_text(step),
            parse_mode=ParseMode.HTML,
            reply_markup=question_keyboard(
                step.out.sent_id, len(step.out.options), multiple=step.out.question.is_multiple
            ),
        )
    except Exception:
        await questions.discard_sent(context.db, sent_id=step.out.sent_id)
        raise
    await questions.attach_message(
        context.db, sent_id=step.out.sent_id, message_id=message.message_id, poll_id=None
    )


async def exam(update: Update, context: TutorContext) -> None:
    """/exam [N]: start a mock exam (N questions), or offer to continue the running one."""
    who = who_of(update)
    if who is None:
        return
    if who.is_group:
        await say(context, who.chat_id, t("srs_private_only", command="/exam"))
        return
    args = command_args(context)
    size: int | None = None
    if args:
        try:
            size = int(args[0])
        except ValueError:
            size = 0
    start = await exam_uc.start_exam(
        context.db,
        context.catalog,
        chat_id=who.chat_id,
        user_id=who.user_id,
        size=size,
        now=context.now(),
        rng=context.bot_data.rng,
    )
    if start.previous is not None:
        await send_step(context, who.chat_id, start.previous)
    if start.kind == "refused":
        await say(context, who.chat_id, t(start.key, maximum=start.maximum))
    elif start.kind == "running":
        assert start.exam_id is not None
        buttons = [
            (t("exam_continue_btn"), callbacks.exam_continue(start.exam_id)),
            (t("exam_abandon_btn"), callbacks.exam_abandon(start.exam_id)),
        ]
        text = t(
            "exam_running",
            number=start.position + 1,
            size=start.size,
            left=_left(start.time_left or timedelta(0)),
        )
        await say(context, who.chat_id, text, markup=render.keyboard([buttons]))
    else:
        intro = t("exam_intro", size=start.size, minutes=start.minutes, needed=start.needed)
        if start.capped:
            intro = t("exam_capped", maximum=start.maximum, size=start.size) + "\n" + intro
        await say(context, who.chat_id, intro)
        await send_step(context, who.chat_id, start.question)


async def after_exam_answer(context: TutorContext, outcome: AnswerOutcome) -> None:
    """Send the next exam question or the result (no feedback on the answer itself)."""
    if outcome.exam_id is None:
        return
    step = await exam_uc.advance_exam(
        context.db,
        context.catalog,
        exam_id=outcome.exam_id,
        sent_id=outcome.sent_id,
        now=context.now(),
        rng=context.bot_data.rng,
    )
    await send_step(context, outcome.chat_id, step)


def _pressed(context: TutorContext) -> tuple[str, int, int | None]:
    """The action, id (sent question or exam) and option index of an ex:* press."""
    button = context.button
    index = button.get("index")
    action = button["action"]
    ident = int(button.get("sent_id") or button["exam_id"])
    return action, ident, None if index is None else int(index)


async def exam_button(update: Update, context: TutorContext) -> None:
    """Every ex:* button: answers, toggles, submit, continue, abandon, review the misses."""
    query = update.callback_query
    who = who_of(update)
    action, ident, index = _pressed(context)
    if who is None:
        return
    if action == "c":
        step = await exam_uc.continue_exam(
            context.db,
            context.catalog,
            exam_id=ident,
            user_id=who.user_id,
            now=context.now(),
            rng=context.bot_data.rng,
        )
        await query.answer(t("exam_over_toast") if step is None else None)
        await _drop_buttons(context, query)
        await send_step(context, who.chat_id, step)
        return
    if action == "x":
        closed = await exam_uc.abandon_exam(
            context.db, exam_id=ident, user_id=who.user_id, now=context.now()
        )
        await query.answer(t("exam_over_toast") if closed is None else None)
        await _drop_buttons(context, query)
        if closed is not None:
            await close_questions(context, closed.chat_id, closed.close)
            await say(context, who.chat_id, t("exam_abandoned"))
        return
    if action == "m":
        await query.answer()
        misses = await exam_uc.exam_misses(
            context.db, context.catalog, exam_id=ident, user_id=who.user_id
        )
        await _send_misses(context, who.chat_id, misses)
        return
    if not await _may_record(context, query, who, ident):
        return
    if action == "t" and index is not None:
        await _toggle(context, query, who, ident, index)
        return
    chosen = await flows.chosen_options(context, query, action=action, sent_id=ident, index=index)
    if chosen is None:
        return
    outcome = await answers.record_button_answer(
        context.db,
        context.catalog,
        sent_id=ident,
        who=who,
        displayed=chosen,
        now=context.now(),
    )
    if isinstance(outcome, str):
        await query.answer(t(outcome))
        return
    if outcome.already_answered or outcome.exam_id is None:
        await query.answer(t("already_answered"))
        return
    monitoring.count_answer(context, via="exam", correct=outcome.correct)
    marks = letters(len(outcome.option_order))
    await query.answer(t("exam_saved", letters=", ".join(marks[i] for i in sorted(chosen))))
    if query.message is not None:
        try:  # the answer is in: take the buttons away (nothing says right or wrong)
            await context.bot.edit_message_reply_markup(
                chat_id=outcome.chat_id, message_id=query.message.message_id, reply_markup=None
            )
        except BadRequest as exc:
            log.info("could not close exam question %s: %s", ident, exc.message)
    await after_exam_answer(context, outcome)


async def _drop_buttons(context: TutorContext, query: Any) -> None:
    """Take the buttons off the pressed message (an offer that was answered, a stale copy)."""
    message = query.message
    if message is None:
        return
    try:
        await context.bot.edit_message_reply_markup(
            chat_id=message.chat.id, message_id=message.message_id, reply_markup=None
        )
    except TelegramError as exc:
        log.info("could not drop the buttons of message %s: %s", message.message_id, exc)


async def _may_record(context: TutorContext, query: Any, who: Any, sent_id: int) -> bool:
    """Refuse an exam-answer press on a non-exam question or an ended exam (records nothing)."""
    press = await exam_uc.check_press(
        context.db, context.catalog, sent_id=sent_id, user_id=who.user_id, now=context.now()
    )
    if press.kind == "open":
        return True
    if press.kind == "not_exam":
        await query.answer(t("exam_not_exam_toast"))
        return False
    await query.answer(t("exam_time_up_toast" if press.kind == "time_up" else "exam_over_toast"))
    await _drop_buttons(context, query)
    if press.result is not None:  # the deadline passed just now: the one announcement
        await send_result(context, press.result)
    return False


async def _toggle(context: TutorContext, query: Any, who: Any, sent_id: int, index: int) -> None:
    selection = await answers.toggle_option(context.db, sent_id=sent_id, who=who, displayed=index)
    if isinstance(selection, str):
        await query.answer(t(selection))
        return
    await query.answer()
    out = await questions.question_out(context.db, context.catalog, sent_id=sent_id)
    if out is None or query.message is None:
        return
    try:
        await context.bot.edit_message_reply_markup(
            chat_id=out.chat_id,
            message_id=query.message.message_id,
            reply_markup=question_keyboard(
                sent_id, len(out.options), multiple=True, selected=selection
            ),
        )
    except BadRequest as exc:
        log.info("could not redraw exam selection %s: %s", sent_id, exc.message)


def miss_text(miss: Miss) -> str:
    """One missed question: prompt, right answer, the learner's choice, explanation."""
    question = miss.question
    right = "; ".join(render.esc(question.options[i].text) for i in question.correct_ids)
    chosen = (
        "; ".join(render.esc(question.options[i].text) for i in miss.chosen)
        if miss.chosen
        else t("exam_not_answered")
    )
    return t(
        "exam_miss",
        prompt=render.esc(question.prompt),
        correct=right,
        chosen=chosen,
        explanation=render.esc(question.explanation),
    )


async def _send_misses(context: TutorContext, chat_id: int, misses: list[Miss] | None) -> None:
    if misses is None:
        await say(context, chat_id, t("button_expired"))
        return
    if not misses:
        await say(context, chat_id, t("exam_misses_none"))
        return
    chunk = ""
    for miss in misses:
        block = miss_text(miss)
        if chunk and len(chunk) + len(block) + 2 > MAX_MESSAGE:
            await say(context, chat_id, chunk)
            chunk = ""
        chunk = f"{chunk}\n\n{block}" if chunk else block
    if chunk:
        await say(context, chat_id, chunk)


async def exam_tick(context: TutorContext) -> None:
    """Warn of the last minute, finish every exam whose time is up (a repeating job)."""
    for warning in await exam_uc.warn_exams(context.db, now=context.now()):
        try:  # claimed in the database before sending: never twice, even across instances
            await say(context, warning.chat_id, t("exam_warning"))
        except TelegramError as exc:
            log.info("exam %s warning not delivered: %s", warning.exam_id, exc)
    results = await exam_uc.expire_exams(context.db, context.catalog, now=context.now())
    for result in results:
        try:
            await send_result(context, result)
        except TelegramError as exc:
            log.info("exam %s result not delivered: %s", result.exam_id, exc)


class ExamGuard:
    """Study commands that ask "leave the exam?" while a mock exam is running.

    ``commands`` maps a command name (quiz, lesson, review) to its handler: ``command(name)``
    is the handler to register, ``leave`` the ex:l button that abandons the exam and then
    runs the command.
    """

    def __init__(self, commands: Mapping[str, Handler]) -> None:
        self._commands = dict(commands)

    def command(self, name: str) -> Handler:
        """The handler of /<name>: the question first when an exam is running."""
        handler = self._commands[name]

        async def guarded(update: Update, context: TutorContext) -> None:
            who = who_of(update)
            if who is not None and not who.is_group:
                running = await exam_uc.running_exam(
                    context.db, user_id=who.user_id, now=context.now()
                )
                if running is not None:
                    await _ask_to_leave(context, who.chat_id, running, name)
                    return
            await handler(update, context)

        guarded.__name__ = guarded.__qualname__ = f"{name}_unless_in_exam"
        guarded.__doc__ = f"/{name}, or the question whether to leave a running mock exam."
        return guarded

    async def leave(self, update: Update, context: TutorContext) -> None:
        """ex:l:<exam>:<command>: abandon the exam, then run the command."""
        query = update.callback_query
        who = who_of(update)
        if who is None:
            return
        exam_id = int(context.button["exam_id"])
        closed = await exam_uc.abandon_exam(
            context.db, exam_id=exam_id, user_id=who.user_id, now=context.now()
        )
        await query.answer()
        await _drop_buttons(context, query)
        if closed is not None:
            await close_questions(context, closed.chat_id, closed.close)
            await say(context, who.chat_id, t("exam_left"))
        await self._commands[context.button["command"]](update, context)


async def _ask_to_leave(
    context: TutorContext, chat_id: int, running: exam_uc.RunningExam, command: str
) -> None:
    text = t(
        "exam_leave_ask",
        number=running.position + 1,
        size=running.size,
        left=_left(running.time_left),
        command=f"/{command}",
    )
    buttons = [
        (t("exam_leave_btn"), callbacks.exam_leave(running.exam_id, command)),
        (t("exam_keep_btn"), callbacks.exam_continue(running.exam_id)),
    ]
    await say(context, chat_id, text, markup=render.keyboard([buttons]))
