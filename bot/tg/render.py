"""Turn use-case outcomes into Telegram HTML texts and inline keyboards."""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content.markup import render_lesson
from bot.content.schema import Course, Question
from bot.kinds import QuizStyle
from bot.quiz.engine import letters
from bot.study.answers import needed_picks
from bot.study.types import AnswerOutcome, LessonOut, QuestionOut
from bot.tg import callbacks
from bot.tg.texts import t


def esc(text: str) -> str:
    """Escape text for Telegram HTML."""
    return html.escape(text, quote=False)


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Build an inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def course_picker(courses: Sequence[Course]) -> InlineKeyboardMarkup:
    """One button per course."""
    return keyboard([[(c.title[:60], callbacks.course_pick(c.id))] for c in courses])


def lesson_message(out: LessonOut) -> str:
    """The lesson text (the same rendering the validator measured against 4096 characters)."""
    return render_lesson(out.lesson, index=out.index, total=out.total)


def lesson_keyboard(out: LessonOut) -> InlineKeyboardMarkup | None:
    """A button to take the lesson's questions."""
    if not out.lesson.questions:
        return keyboard([[(t("next_lesson_btn"), callbacks.lesson_next())]])
    label = t("take_quiz", count=len(out.lesson.questions))
    return keyboard([[(label, callbacks.lesson_quiz(out.lesson.id))]])


def counter(out: QuestionOut) -> str:
    """ " 2/5": the question's place in the learner's session; " 6" past the session's end."""
    if not out.number:
        return ""
    if out.total and out.number <= out.total:
        return f" {out.number}/{out.total}"
    return f" {out.number}"


def poll_question(out: QuestionOut) -> str:
    """The poll question text (plain text, ≤ 300 characters by validation)."""
    return out.question.prompt


def button_question_text(out: QuestionOut, *, selected: Sequence[int] = ()) -> str:
    """The message of an inline-button question: prompt and lettered options."""
    marks = letters(len(out.options))
    lines = [t("question_header", counter=counter(out)), esc(out.question.prompt), ""]
    for i, option in enumerate(out.options):
        tick = "☑️ " if i in selected else ""
        lines.append(f"{tick}<b>{marks[i]}</b>) {esc(option)}")
    if out.question.is_multiple:
        lines += ["", f"<i>{t('pick_n_then_submit', n=needed_picks(out.question))}</i>"]
    return "\n".join(lines)


def button_question_keyboard(
    out: QuestionOut, *, selected: Sequence[int] = ()
) -> InlineKeyboardMarkup:
    """Letter buttons; multiple-answer items toggle and have a Submit button."""
    marks = letters(len(out.options))
    action = "t" if out.question.is_multiple else "a"
    row = [
        (("☑️" if i in selected else "") + marks[i], callbacks.quiz_option(action, out.sent_id, i))
        for i in range(len(out.options))
    ]
    rows = [row[i : i + 5] for i in range(0, len(row), 5)]
    extra = []
    if out.question.is_multiple:
        extra.append((t("submit_btn"), callbacks.quiz_submit(out.sent_id)))
    if out.confidence_prompt:
        extra.append((t("unsure_btn"), callbacks.unsure(out.sent_id)))
    if extra:
        rows.append(extra)
    return keyboard(rows)


def poll_explanation(question: Question) -> str:
    """The quiz poll's explanation (≤ 200 characters by validation)."""
    return question.explanation


def displayed_letters(option_order: Sequence[int], original: Sequence[int]) -> str:
    """Letters of original option indexes as the learner saw them."""
    marks = letters(len(option_order))
    shown = sorted(option_order.index(i) for i in original if i in option_order)
    return ", ".join(marks[i] for i in shown)


def feedback(outcome: AnswerOutcome, *, include_explanation: bool) -> str:
    """Right or wrong, the right answer, why the chosen option is wrong, the explanation."""
    question = outcome.question
    assert question is not None
    lines = []
    if outcome.correct:
        lines.append(t("answer_right"))
    else:
        right = "; ".join(esc(question.options[i].text) for i in question.correct_ids)
        lines.append(t("answer_wrong", correct=right))
        for i in outcome.chosen:
            option = question.options[i]
            if not option.correct and option.why_not:
                # Polls show no letters: name the option itself there.
                label = (
                    displayed_letters(outcome.option_order, [i])
                    if outcome.style == QuizStyle.BUTTONS
                    else f"“{esc(option.text)}”"
                )
                lines.append(t("why_not", letter=label, text=esc(option.why_not)))
    if question.is_multiple and not outcome.correct:
        lines += _picks_lines(outcome)
    if include_explanation:
        lines.append(t("explanation", text=esc(question.explanation)))
    if outcome.confusion and outcome.confusion[2] >= 2:
        expected, chosen, times = outcome.confusion
        lines.append(t("confusion_note", chosen=esc(chosen), expected=esc(expected), times=times))
    return "\n".join(lines)


def _picks_lines(outcome: AnswerOutcome) -> list[str]:
    """A multiple-answer miss: which picks were right, which right options were missed, which
    picks were wrong (letters on buttons, the option itself in polls, which show no letters)."""
    question = outcome.question
    assert question is not None

    def names(indexes: list[int]) -> str:
        if outcome.style == QuizStyle.BUTTONS:
            return displayed_letters(outcome.option_order, indexes)
        return "; ".join(f"“{esc(question.options[i].text)}”" for i in indexes)

    right = [i for i in question.correct_ids if i in outcome.chosen]
    missed = [i for i in question.correct_ids if i not in outcome.chosen]
    wrong = [i for i in outcome.chosen if i not in question.correct_ids]
    groups = (("picks_right", right), ("picks_missed", missed), ("picks_wrong", wrong))
    return [t(key, options=names(indexes)) for key, indexes in groups if indexes]


def _mark(outcome: AnswerOutcome, original: int) -> str:
    """✅ a right option (picked, on a multiple-answer question), ➖ a right one missed there,
    ❌ a wrong pick."""
    question = outcome.question
    assert question is not None
    picked = original in outcome.chosen
    if question.options[original].correct:
        missed = question.is_multiple and not picked
        return t("mark_missed" if missed else "mark_right") + " "
    return t("mark_wrong") + " " if picked else ""


def marked_options(outcome: AnswerOutcome) -> str:
    """Re-render a button question's options marked: right, missed (multiple answers), wrong."""
    question = outcome.question
    assert question is not None
    marks = letters(len(outcome.option_order))
    lines = [esc(question.prompt), ""]
    for shown, original in enumerate(outcome.option_order):
        option = question.options[original]
        lines.append(f"{_mark(outcome, original)}<b>{marks[shown]}</b>) {esc(option.text)}")
    return "\n".join(lines)


def after_answer_keyboard(
    outcome: AnswerOutcome,
    *,
    answered_in_session: int,
    per_session: int,
    extra_row: Sequence[tuple[str, str]] = (),
) -> InlineKeyboardMarkup:
    """Next question, next lesson or done; an optional extra row; "report this question"."""
    rows: list[list[tuple[str, str]]] = []
    if extra_row:
        rows.append(list(extra_row))
    if outcome.lesson_done is not None:
        rows.append([(t("next_lesson_btn"), callbacks.lesson_next())])
    elif answered_in_session < per_session:
        rows.append([(t("next_question_btn"), callbacks.next_question(answered_in_session))])
    else:
        rows.append(
            [
                (t("one_more_btn"), callbacks.next_question(answered_in_session)),
                (t("done_for_now_btn"), callbacks.next_done()),
            ]
        )
    rows.append([(t("report_btn"), callbacks.report(outcome.sent_id))])
    return keyboard(rows)
