"""Use cases about a chat's presence: blocked, removed, back again, migrated."""

from __future__ import annotations

from datetime import datetime

from bot.db import repo
from bot.db.engine import Database
from bot.kinds import ChatKind


async def deactivate(db: Database, *, chat_id: int, now: datetime) -> bool:
    """Stop deliveries to a chat that blocked or removed the bot; return whether it was active."""
    async with db.begin() as session:
        chat = await repo.get_chat(session, chat_id)
        if chat is None or chat.id is None:
            return False
        was_active = chat.active
        chat.active = False
        chat.updated_at = now
        session.add(chat)
        schedule = await repo.get_schedule(session, chat.id)
        if schedule is not None:
            schedule.next_due_at = None
            session.add(schedule)
        if chat.kind == ChatKind.PRIVATE:
            member = await repo.get_member(session, chat_id)
            if member is not None:
                member.blocked = True
                session.add(member)
        return was_active
