"""`classify`: what a failed send means, for every kind of error, place and attempt count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.scheduling.pacing import MAX_ATTEMPTS
from bot.tg.deliverer import MAX_FLOOD_RETRIES, Decision, classify

FLOOD = RetryAfter(timedelta(seconds=7))
BLOCKED = Forbidden("Forbidden: bot was blocked by the user")
NOT_FOUND = BadRequest("Chat not found")
BAD_HTML = BadRequest("Can't parse entities: unsupported start tag")
GATEWAY = NetworkError("Bad Gateway")


@pytest.mark.parametrize(
    ("error", "index", "attempts", "migrated", "expected"),
    [
        # 429: pause everything; retry the slot at retry_after, give up after many floods.
        (FLOOD, 0, 1, False, Decision("retry", "429: retry after 7 s", timedelta(seconds=7), 7.0)),
        (FLOOD, 0, MAX_FLOOD_RETRIES, False, Decision("failed", "429 on 8 attempts", pause_s=7.0)),
        (FLOOD, 1, 1, False, Decision("give_up", "429", pause_s=7.0)),
        # A group that became a supergroup: once more at the new id, never twice.
        (
            ChatMigrated(-1009),
            0,
            1,
            False,
            Decision("resend", "chat migrated to -1009", new_chat_id=-1009),
        ),
        (
            ChatMigrated(-1009),
            0,
            1,
            True,
            Decision("give_up", "chat migrated to -1009", new_chat_id=-1009),
        ),
        (
            ChatMigrated(-1009),
            2,
            1,
            False,
            Decision("give_up", "chat migrated to -1009", new_chat_id=-1009),
        ),
        # The chat is gone: stop its deliveries, whichever message it was.
        (BLOCKED, 0, 1, False, Decision("dead", BLOCKED.message, chat_gone=True)),
        (NOT_FOUND, 1, 1, False, Decision("dead", NOT_FOUND.message, chat_gone=True)),
        # Refused content: not retried.
        (BAD_HTML, 0, 1, False, Decision("failed", BAD_HTML.message)),
        (BAD_HTML, 1, 1, False, Decision("give_up", BAD_HTML.message)),
        # Network trouble: backoff until MAX_ATTEMPTS; a later message is not retried alone.
        (GATEWAY, 0, 1, False, Decision("retry", "Bad Gateway")),
        (TimedOut(), 0, MAX_ATTEMPTS - 1, False, Decision("retry", "Timed out")),
        (GATEWAY, 0, MAX_ATTEMPTS, False, Decision("failed", "Bad Gateway")),
        (GATEWAY, 1, 1, False, Decision("give_up", "Bad Gateway")),
        # A bug: failed, with its traceback logged.
        (ValueError("x"), 0, 1, False, Decision("failed", "ValueError('x')", unexpected=True)),
        (ValueError("x"), 1, 1, False, Decision("give_up", "ValueError('x')", unexpected=True)),
    ],
)
def test_classify(
    error: Exception, index: int, attempts: int, migrated: bool, expected: Decision
) -> None:
    assert classify(error, index=index, attempts=attempts, migrated=migrated) == expected
