"""/quiz, quiz poll answers and inline-button answers."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.content.markup import strip_html
from bot.kinds import Purpose
from bot.study import answers, enrolment, questions, reviews
from bot.study.types import AnswerOutcome, QuestionOut, Who
from bot.tg import callbacks, flows, monitoring, render, send
from bot.tg.context import TutorContext
from bot.tg.handlers import exam, groups, srs
from bot.tg.handlers.common import say, who_of
from bot.tg.texts import t

log = logging.getLogger(__name__)


async def send_next_question(
    context: TutorContext,
    who: Who,
    *,
    purpose: str = Purpose.QUIZ,
    lesson_id: str | None = None,
    session_index: int = 1,
) -> QuestionOut | None:
    """Pick, store and send the next question for this learner (or group)."""
    out = await questions.prepare_question(
        context.db,
        context.catalog,
        chat_id=who.chat_id,
        user_id=None if who.is_group else who.user_id,
        purpose=purpose,
        now=context.now(),
        rng=context.bot_data.rng,
        lesson_id=lesson_id,
        session_index=session_index,
    )
    if out is None:
        text, markup = await _why_no_question(context, who)
        await say(context, who.chat_id, text, markup=markup)
        return None
    await send.send_question(context.bot, context.db, out)
    return out


async def _why_no_question(
    context: TutorContext, who: Who
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Explain an empty pick: no course, today's new-question limit (with a button to take
    more today), or nothing left."""
    if not await enrolment.has_course(context.db, chat_id=who.chat_id):
        return t("no_course_yet"), None
    if not who.is_group:
        limits = await reviews.daily_limits(
            context.db, chat_id=who.chat_id, user_id=who.user_id, now=context.now()
        )
        if limits is not None and limits.new_left <= 0:
            more = render.keyboard(
                [[(t("srs_more_new_btn", n=questions.MORE_NEW), callbacks.more_new())]]
            )
            return t("srs_limit_new", limit=limits.new_today), more
    return t("no_questions"), None


async def quiz(update: Update, context: TutorContext) -> None:
    """/quiz: the next question."""
    who = who_of(update)
    if who is not None:
        await send_next_question(context, who)


async def receive_poll_answer(update: Update, context: TutorContext) -> None:
    """Grade a vote in one of our quiz polls (polls sent before a restart included)."""
    answer = update.poll_answer
    user = answer.user
    if user is None:  # a vote on behalf of a chat (anonymous admin): nobody to grade
        return
    who = Who(
        chat_id=0,
        chat_kind="unknown",
        user_id=user.id,
        first_name=user.first_name,
        username=user.username,
    )
    outcome = await answers.record_poll_answer(
        context.db,
        context.catalog,
        poll_id=answer.poll_id,
        who=who,
        option_ids=list(answer.option_ids),
        now=context.now(),
    )
    if outcome is None or outcome.already_answered or outcome.question is None:
        return
    monitoring.count_answer(context, via="poll", correct=outcome.correct)
    await after_answer(context, outcome, include_explanation=False)


async def after_answer(
    context: TutorContext, outcome: AnswerOutcome, *, include_explanation: bool
) -> None:
    """Tell the learner how it went (private) or hand over to the group/exam flows."""
    if outcome.exam_id is not None:
        await exam.after_exam_answer(context, outcome)
        return
    if outcome.is_group:
        await groups.after_group_answer(context, outcome)
        return
    markup = render.after_answer_keyboard(
        outcome,
        answered_in_session=outcome.session_index,
        per_session=outcome.per_session,
        extra_row=srs.confidence_buttons(outcome),
    )
    text = render.feedback(outcome, include_explanation=include_explanation)
    if outcome.lesson_done is not None:
        text += "\n\n" + t("lesson_done", title=render.esc(outcome.lesson_done.title))
    await say(context, outcome.chat_id, text, markup=markup)


async def answer_button(update: Update, context: TutorContext) -> None:
    """q:a:<sent>:<i> answers; q:t:<sent>:<i> toggles a choice; q:s:<sent> submits the choices."""
    query = update.callback_query
    who = who_of(update)
    action, sent_id, index = flows.picked(context)
    if action == "t" and index is not None:
        selection = await answers.toggle_option(
            context.db, sent_id=sent_id, who=who, displayed=index, catalog=context.catalog
        )
        if isinstance(selection, str):
            await query.answer(t(selection))
            return
        await query.answer()
        await _redraw_selection(context, query.message, sent_id, selection)
        return
    chosen = await flows.chosen_options(
        context, query, action=action, sent_id=sent_id, index=index
    )
    if chosen is None:
        return
    outcome = await answers.record_button_answer(
        context.db, context.catalog, sent_id=sent_id, who=who, displayed=chosen, now=context.now()
    )
    if isinstance(outcome, str):
        await query.answer(t(outcome))
        return
    if outcome.already_answered or outcome.question is None:
        await query.answer(t("already_answered"))
        return
    monitoring.count_answer(context, via="button", correct=outcome.correct)
    if outcome.is_group or outcome.exam_id is not None:
        await query.answer(_toast(outcome), show_alert=False)
        await after_answer(context, outcome, include_explanation=True)
        return
    await query.answer()
    # Edit the question in place: right answer marked, explanation and "why not" below it.
    if query.message is not None:
        try:
            await context.bot.edit_message_text(
                render.marked_options(outcome)
                + "\n\n"
                + render.feedback(outcome, include_explanation=True),
                chat_id=outcome.chat_id,
                message_id=query.message.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=render.after_answer_keyboard(
                    outcome,
                    answered_in_session=outcome.session_index,
                    per_session=outcome.per_session,
                ),
            )
        except BadRequest as exc:  # message too old to edit: say it in a new message instead
            log.info("could not edit question %s: %s", sent_id, exc.message)
            await after_answer(context, outcome, include_explanation=True)
    if outcome.lesson_done is not None:
        await say(
            context, outcome.chat_id, t("lesson_done", title=render.esc(outcome.lesson_done.title))
        )


def _toast(outcome: AnswerOutcome) -> str:
    """The plain-text toast of a graded group or exam press."""
    return strip_html(t("answer_right")) if outcome.correct else _short_wrong(outcome)


def _short_wrong(outcome: AnswerOutcome) -> str:
    """A callback-answer sized "wrong" note (≤ 200 characters)."""
    assert outcome.question is not None
    right = "; ".join(outcome.question.options[i].text for i in outcome.question.correct_ids)
    return strip_html(f"❌ Not quite. Answer: {right}")[:200]  # toasts are plain text


async def _redraw_selection(
    context: TutorContext, message: object, sent_id: int, selection: tuple[int, ...]
) -> None:
    out = await questions.question_out(context.db, context.catalog, sent_id=sent_id)
    if out is None or message is None:
        return
    try:
        await context.bot.edit_message_text(
            render.button_question_text(out, selected=selection),
            chat_id=out.chat_id,
            message_id=message.message_id,  # type: ignore[attr-defined]
            parse_mode=ParseMode.HTML,
            reply_markup=render.button_question_keyboard(out, selected=selection),
        )
    except BadRequest as exc:
        log.info("could not redraw selection of %s: %s", sent_id, exc.message)


async def mark_unsure(update: Update, context: TutorContext) -> None:
    """unsure:<sent>: the learner is not sure; a right answer then counts as Hard."""
    query = update.callback_query
    who = who_of(update)
    sent_id = int(context.button["sent_id"])
    ok = await answers.mark_unsure(context.db, sent_id=sent_id, who=who)
    await query.answer(t("unsure_noted") if ok else t("button_expired"))


async def next_button(update: Update, context: TutorContext) -> None:
    """next:<n> sends question n+1 of the session; next:done ends the session."""
    query = update.callback_query
    who = who_of(update)
    count = context.button.get("count")
    await query.answer()
    if count is None:  # callbacks.NEXT_DONE
        await say(context, who.chat_id, t("session_end"))
        return
    done = int(count)
    await send_next_question(context, who, purpose=Purpose.QUIZ, session_index=done + 1)


async def more_new_button(update: Update, context: TutorContext) -> None:
    """more:new raises today's allowance of new questions, then sends the next question."""
    query = update.callback_query
    who = who_of(update)
    if who is None or who.is_group:
        await query.answer(t("button_expired"))
        return
    allowance = await questions.allow_more_new(
        context.db, chat_id=who.chat_id, user_id=who.user_id, now=context.now()
    )
    if allowance is None:
        await query.answer(t("button_expired"))
        return
    await query.answer(t("srs_more_new_ok", n=questions.MORE_NEW))
    await send_next_question(context, who, purpose=Purpose.QUIZ, session_index=1)


async def lesson_quiz_button(update: Update, context: TutorContext) -> None:
    """lesson:quiz:<lesson-id> starts the lesson's questions."""
    query = update.callback_query
    who = who_of(update)
    await query.answer()
    lesson_id = context.button["lesson_id"]
    await send_next_question(
        context, who, purpose=Purpose.LESSON, lesson_id=lesson_id, session_index=1
    )
