"""Who may change a group's settings: its administrators, asked through the Bot API and cached."""

from __future__ import annotations

from datetime import timedelta

from telegram.constants import ChatMemberStatus

from bot.tg.context import TutorContext

CACHE_FOR = timedelta(minutes=5)
_ADMIN_STATUSES = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


async def is_chat_admin(context: TutorContext, *, chat_id: int, user_id: int) -> bool:
    """Tell whether `user_id` administers `chat_id` (cached for a few minutes)."""
    cache = context.bot_data.admin_cache
    now = context.now()
    hit = cache.get((chat_id, user_id))
    if hit is not None and now - hit[1] < CACHE_FOR:
        return hit[0]
    member = await context.bot.get_chat_member(chat_id, user_id)
    verdict = member.status in _ADMIN_STATUSES
    cache[(chat_id, user_id)] = (verdict, now)
    return verdict
