"""/review, /mistakes, /study N, /drill, "sure / guessed", /progress (private) and /examdate."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.kinds import SESSION_PURPOSES, Purpose
from bot.progress.bars import bar
from bot.progress.chart import render_progress_chart
from bot.scheduling.due import describe_local
from bot.study import progress as progress_uc
from bot.study import questions, reviews
from bot.study.progress import ProgressOut
from bot.study.types import AnswerOutcome, Who
from bot.tg import callbacks, render, send
from bot.tg.context import TutorContext
from bot.tg.handlers.common import command_args, say, who_of
from bot.tg.texts import t

log = logging.getLogger(__name__)

MAX_STUDY_MINUTES = 30
BAR_WIDTH = 10


async def _private(update: Update, context: TutorContext, command: str) -> Who | None:
    """Return who is asking in a private chat; in a group, point them to the private chat."""
    who = who_of(update)
    if who is None:
        return None
    if who.is_group:
        await say(context, who.chat_id, t("srs_private_only", command=command))
        return None
    return who


async def send_planned(context: TutorContext, who: Who, *, purpose: str, index: int) -> bool:
    """Send question ``index`` (0-based) of the learner's session plan; False when it is over."""
    question_id = await reviews.plan_question(
        context.db, user_id=who.user_id, purpose=purpose, index=index
    )
    if question_id is None:
        await say(context, who.chat_id, t("srs_session_over"))
        return False
    out = await questions.prepare_question(
        context.db,
        context.catalog,
        chat_id=who.chat_id,
        user_id=who.user_id,
        purpose=purpose,
        now=context.now(),
        rng=context.bot_data.rng,
        question_id=question_id,
        session_index=index + 1,
    )
    if out is None:
        await say(context, who.chat_id, t("no_course_yet"))
        return False
    await send.send_question(context.bot, context.db, out)
    return True


async def _start(context: TutorContext, who: Who, purpose: str, *, minutes: int = 5) -> None:
    start = await reviews.start_session(
        context.db,
        context.catalog,
        chat_id=who.chat_id,
        user_id=who.user_id,
        purpose=purpose,
        now=context.now(),
        minutes=minutes,
    )
    if start.empty is not None:
        await say(context, who.chat_id, await _empty_text(context, who, start))
        return
    if purpose == Purpose.REVIEW:
        text = t("srs_review_start", count=start.total)
        if start.weakest:
            names = ", ".join(render.esc(_objective_title(context, o)) for o in start.weakest)
            text += "\n" + t("srs_review_weak", objectives=names)
    elif purpose == Purpose.MISTAKES:
        text = t("srs_mistakes_start", count=start.total)
    elif purpose == Purpose.STUDY:
        text = t("srs_study_start", minutes=minutes, count=start.total)
    else:
        expected, chosen = start.confusion or ("", "")
        text = t(
            "srs_drill_start",
            expected=render.esc(expected),
            chosen=render.esc(chosen),
            count=start.total,
        )
    await say(context, who.chat_id, text)
    await send_planned(context, who, purpose=purpose, index=0)


def _objective_title(context: TutorContext, objective_id: str) -> str:
    for course in context.catalog:
        found = course.objective(objective_id)
        if found is not None:
            return found.title
    return objective_id


async def _empty_text(context: TutorContext, who: Who, start: reviews.SessionStart) -> str:
    key = start.empty or "no_questions"
    if key == "srs_review_none":
        if start.next_due is None:
            return t("srs_review_none_yet")
        return t(key, when=describe_local(start.next_due, start.timezone))
    if key == "srs_review_limit":
        return t(key, limit=start.limit)
    return t(key)


async def review(update: Update, context: TutorContext) -> None:
    """/review: due cards now, the ones closest to being forgotten first."""
    if (who := await _private(update, context, "/review")) is not None:
        await _start(context, who, Purpose.REVIEW)


async def mistakes(update: Update, context: TutorContext) -> None:
    """/mistakes: the questions answered wrong most recently."""
    if (who := await _private(update, context, "/mistakes")) is not None:
        await _start(context, who, Purpose.MISTAKES)


async def study(update: Update, context: TutorContext) -> None:
    """/study N: a session that fits N minutes, lowest predicted recall first."""
    if (who := await _private(update, context, "/study")) is None:
        return
    args = command_args(context)
    try:
        minutes = int(args[0]) if args else 5
    except ValueError:
        minutes = 0
    if not 1 <= minutes <= MAX_STUDY_MINUTES:
        await say(context, who.chat_id, t("srs_study_bad", max=MAX_STUDY_MINUTES))
        return
    await _start(context, who, Purpose.STUDY, minutes=minutes)


async def drill(update: Update, context: TutorContext) -> None:
    """/drill: a short contrast drill on the learner's most frequent mix-up."""
    if (who := await _private(update, context, "/drill")) is not None:
        await _start(context, who, Purpose.DRILL)


async def next_in_session(update: Update, context: TutorContext) -> None:
    """rv:next:<purpose>:<answered>: the next question of a planned session."""
    query = update.callback_query
    who = who_of(update)
    purpose, answered = context.button["purpose"], int(context.button["answered"])
    if purpose not in SESSION_PURPOSES or who is None:
        await query.answer(t("button_expired"))
        return
    await query.answer()
    await send_planned(context, who, purpose=purpose, index=answered)


def confidence_buttons(outcome: AnswerOutcome) -> list[tuple[str, str]]:
    """The "😎 Sure / 🤔 Guessed" row for the feedback after a right poll answer (or none)."""
    if not outcome.extras.get("confidence_prompt"):
        return []
    return [
        (t("srs_sure_btn"), callbacks.confidence("sure", outcome.sent_id)),
        (t("srs_guessed_btn"), callbacks.confidence("guess", outcome.sent_id)),
    ]


async def confidence(update: Update, context: TutorContext) -> None:
    """cf:sure:<sent> keeps the rating; cf:guess:<sent> re-rates the review as Hard."""
    query = update.callback_query
    who = who_of(update)
    action, sent_id = context.button["choice"], int(context.button["sent_id"])
    if who is None:
        await query.answer(t("button_expired"))
        return
    key = await reviews.rate_confidence(
        context.db,
        context.catalog,
        sent_id=sent_id,
        user_id=who.user_id,
        sure=action == "sure",
        now=context.now(),
    )
    await query.answer(t(key))


# --- /progress ----------------------------------------------------------------------------------


def progress_text(out: ProgressOut) -> str:
    """Render /progress: lessons, answers, streak, next delivery, objectives, exam, mix-ups."""
    accuracy = f"{round(100 * out.correct / out.answered)}%" if out.answered else "–"
    lines = [
        t("progress_title", course=render.esc(out.course_title)),
        t("progress_lessons", done=out.lessons_done, total=out.lessons_total),
        t("progress_answers", answered=out.answered, accuracy=accuracy),
        t(
            "prog_streak",
            current=out.streak.current,
            best=out.streak.best,
            freezes=out.streak.freezes_available,
        ),
    ]
    if out.paused:
        lines.append(t("progress_paused"))
    elif out.next_delivery:
        lines.append(t("progress_next", next=out.next_delivery))
    if out.objectives:
        lines += ["", t("prog_objectives")]
        for row in out.objectives:
            lines.append(
                t(
                    "prog_objective",
                    title=render.esc(row.title),
                    seen=bar(row.seen, width=BAR_WIDTH),
                    recall=bar(row.recall_now, width=BAR_WIDTH),
                )
            )
            if row.recall_exam is not None:
                lines.append(
                    t("prog_objective_exam", recall=bar(row.recall_exam, width=BAR_WIDTH))
                )
    lines.append("")
    if out.exam_date is None:
        lines.append(t("prog_no_exam"))
    elif out.days_to_exam is not None and out.days_to_exam < 0:
        lines.append(t("prog_exam_past", date=out.exam_date.isoformat()))
    elif out.days_to_exam == 0:
        lines.append(t("prog_exam_today"))
    else:
        lines.append(t("prog_exam", date=out.exam_date.isoformat(), days=out.days_to_exam))
    if out.weakest is not None and out.weakest.recall_exam is not None:
        recall = f"{round(100 * out.weakest.recall_exam)}%"
        lines.append(t("prog_tip", title=render.esc(out.weakest.title), recall=recall))
    if out.confusions:
        lines += ["", t("prog_confusions")]
        for expected, chosen, times in out.confusions:
            lines.append(
                t(
                    "prog_confusion",
                    expected=render.esc(expected),
                    chosen=render.esc(chosen),
                    times=times,
                )
            )
        lines.append(t("prog_drill_hint"))
    return "\n".join(lines)


async def progress_chart(out: ProgressOut) -> bytes:
    """Render the /progress chart (PNG) off the event loop."""
    return await asyncio.to_thread(
        render_progress_chart,
        daily=out.daily,
        recall=[(row.title, row.recall_now) for row in out.objectives],
        title=out.course_title,
        today=out.today,
    )


async def progress(update: Update, context: TutorContext) -> None:
    """/progress in a private chat: the text report, then the chart."""
    who = who_of(update)
    if who is None:
        return
    out = await progress_uc.progress_report(
        context.db, context.catalog, chat_id=who.chat_id, user_id=who.user_id, now=context.now()
    )
    if out is None:
        await say(context, who.chat_id, t("no_course_yet"))
        return
    await say(context, who.chat_id, progress_text(out))
    png = await progress_chart(out)
    try:
        await context.bot.send_photo(
            who.chat_id,
            photo=png,
            caption=t("prog_chart_caption", course=render.esc(out.course_title)),
            parse_mode=ParseMode.HTML,
        )
    except TelegramError as exc:  # the text is out already: a missing chart is not fatal
        log.info("progress chart to %s not sent: %s", who.chat_id, exc)


async def examdate(update: Update, context: TutorContext) -> None:
    """/examdate YYYY-MM-DD sets the exam date; /examdate off removes it; alone, shows it."""
    who = who_of(update)
    if who is None:
        return
    args = command_args(context)
    if not args:
        current = await progress_uc.exam_date_of(context.db, user_id=who.user_id)
        key = "prog_examdate_show" if current else "prog_examdate_bad"
        await say(context, who.chat_id, t(key, date=current.isoformat() if current else ""))
        return
    out = await progress_uc.set_exam_date(
        context.db, chat_id=who.chat_id, user_id=who.user_id, text=args[0], now=context.now()
    )
    when = out.exam_date.isoformat() if out.exam_date else render.esc(args[0][:20])
    await say(context, who.chat_id, t(out.key, date=when, days=out.days))
