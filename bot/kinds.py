"""The closed sets of words the layers share, as StrEnums (standard library only).

A member equals its string ("private" == ChatKind.PRIVATE) and is stored as it, so the values in
the database, in logs and in metrics labels are the plain words they always were.
"""

from __future__ import annotations

from enum import StrEnum


class ChatKind(StrEnum):
    """`Chat.kind`: the Telegram chat type (a channel is never enrolled)."""

    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


GROUP_KINDS = frozenset({ChatKind.GROUP, ChatKind.SUPERGROUP})


class QuizStyle(StrEnum):
    """`Chat.quiz_style` and `SentQuestion.style`: how a question is asked."""

    POLL = "poll"
    BUTTONS = "buttons"


class Purpose(StrEnum):
    """`SentQuestion.purpose`: why a question was sent."""

    LESSON = "lesson"
    QUIZ = "quiz"
    REVIEW = "review"
    MISTAKES = "mistakes"
    STUDY = "study"
    DRILL = "drill"
    EXAM = "exam"
    WARMUP = "warmup"


SESSION_PURPOSES = frozenset({Purpose.REVIEW, Purpose.MISTAKES, Purpose.STUDY, Purpose.DRILL})


class DeliveryKind(StrEnum):
    """`Delivery.kind`: what a scheduled slot sends."""

    LESSON = "lesson"
    RECAP = "recap"


class DeliveryStatus(StrEnum):
    """`Delivery.status`: a slot's life from claim to its end."""

    QUEUED = "queued"  # claimed by a tick, nothing sent yet (a crash here loses nothing)
    CLAIMED = "claimed"  # its first message is going out (a crash here loses it, never resends)
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"
    DEAD = "dead"  # the chat is gone (blocked, kicked, deleted)
    LOST = "lost"  # found "claimed" after a crash: it may have arrived, so it is not resent


# Every status a finished delivery can end in, in the order reports and metrics list them.
OUTCOME_STATUSES = (
    DeliveryStatus.SENT,
    DeliveryStatus.RETRY,
    DeliveryStatus.FAILED,
    DeliveryStatus.DEAD,
    DeliveryStatus.SKIPPED,
    DeliveryStatus.LOST,
)
