"""Send prepared lessons and questions through the Bot API (after the use case has committed)."""

from __future__ import annotations

from telegram import Bot, Message, Poll
from telegram.constants import ParseMode

from bot.db.engine import Database
from bot.kinds import QuizStyle
from bot.study import questions
from bot.study.types import LessonOut, QuestionOut
from bot.tg import render


async def send_lesson(bot: Bot, out: LessonOut) -> Message:
    """Send a lesson with its "take the quiz" button."""
    return await bot.send_message(
        out.chat_id,
        render.lesson_message(out),
        parse_mode=ParseMode.HTML,
        reply_markup=render.lesson_keyboard(out),
        link_preview_options=None,
    )


async def send_question(bot: Bot, db: Database, out: QuestionOut) -> Message:
    """Send a question as a quiz poll or as an inline-button message, then remember it."""
    try:
        if out.style == QuizStyle.POLL:
            message = await bot.send_poll(
                out.chat_id,
                render.poll_question(out),
                list(out.options),
                type=Poll.QUIZ,
                is_anonymous=False,
                allows_multiple_answers=out.question.is_multiple,
                correct_option_ids=list(out.correct_displayed),  # type: ignore[arg-type]
                explanation=render.poll_explanation(out.question),
            )
        else:
            message = await bot.send_message(
                out.chat_id,
                render.button_question_text(out),
                parse_mode=ParseMode.HTML,
                reply_markup=render.button_question_keyboard(out),
            )
    except Exception:
        await questions.discard_sent(db, sent_id=out.sent_id)
        raise
    poll_id = message.poll.id if message.poll else None
    await questions.attach_message(
        db, sent_id=out.sent_id, message_id=message.message_id, poll_id=poll_id
    )
    return message
