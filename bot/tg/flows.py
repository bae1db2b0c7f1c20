"""Steps shared by several handlers: reading an answer press."""

from __future__ import annotations

from telegram import CallbackQuery

from bot.study import questions
from bot.tg.context import TutorContext
from bot.tg.texts import t


async def chosen_options(
    context: TutorContext, query: CallbackQuery, *, action: str, sent_id: int, index: int | None
) -> tuple[int, ...] | None:
    """The options an answer press submits ("a": one, "s": the toggled ones); None if refused."""
    if action == "s":
        chosen = await questions.current_selection(context.db, sent_id=sent_id)
        if chosen:
            return chosen
        await query.answer(t("pick_at_least_one"))
        return None
    assert index is not None  # callbacks.QUIZ_PICK / EXAM_PICK always carry one
    return (index,)


def picked(context: TutorContext) -> tuple[str, int, int | None]:
    """The action, sent-question id and option index of a QUIZ_/EXAM_ PICK or SUBMIT press."""
    groups = context.button
    index = groups.get("index")
    return groups["action"], int(groups["sent_id"]), None if index is None else int(index)
