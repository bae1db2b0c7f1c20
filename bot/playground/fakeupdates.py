"""Build Telegram updates as the Bot API would send them (playground, tests, benchmarks)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update

from bot.clock import Clock, utcnow
from bot.kinds import ChatKind


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user for fake updates."""

    id: int
    first_name: str = "Ada"
    username: str | None = None
    language_code: str = "en"

    def as_dict(self) -> dict[str, Any]:
        """Return the Bot API JSON of this user."""
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            data["username"] = self.username
        return data


def chat_json(
    chat_id: int, *, title: str | None = None, user: FakeUser | None = None
) -> dict[str, Any]:
    """Return the Bot API JSON of a chat (private when the id is positive)."""
    if chat_id > 0:
        return {
            "id": chat_id,
            "type": ChatKind.PRIVATE,
            "first_name": user.first_name if user else "U",
        }
    kind = ChatKind.SUPERGROUP if str(chat_id).startswith("-100") else ChatKind.GROUP
    return {"id": chat_id, "type": kind, "title": title or f"Group {chat_id}"}


ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


def member_status(status: str, user: dict[str, Any]) -> dict[str, Any]:
    """A ChatMember JSON with the fields PTB 22.8 requires for each status."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0
    elif status == "administrator":
        member.update(ADMIN_RIGHTS)
    elif status == "restricted":
        member.update(
            is_member=True,
            until_date=0,
            can_send_messages=True,
            can_send_audios=True,
            can_send_documents=True,
            can_send_photos=True,
            can_send_videos=True,
            can_send_video_notes=True,
            can_send_voice_notes=True,
            can_send_polls=True,
            can_send_other_messages=True,
            can_add_web_page_previews=True,
            can_change_info=False,
            can_invite_users=False,
            can_pin_messages=False,
            can_manage_topics=False,
        )
    return member


class UpdateFactory:
    """Makes updates with increasing update ids and message ids."""

    def __init__(self, bot: Bot, *, clock: Clock = utcnow, first_update_id: int = 1) -> None:
        self.bot = bot
        self.clock = clock
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(100_000)

    def _now(self) -> int:
        return int(self.clock().timestamp())

    def make(self, payload: dict[str, Any], *, update_id: int | None = None) -> Update:
        """Wrap a payload such as {"message": {...}} into an Update."""
        uid = next(self._update_ids) if update_id is None else update_id
        update = Update.de_json({"update_id": uid, **payload}, self.bot)
        assert update is not None
        return update

    def message(
        self,
        user: FakeUser,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
        update_id: int | None = None,
    ) -> Update:
        """A text message; text starting with "/" carries a bot_command entity."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": self._now(),
            "chat": chat_json(chat_id if chat_id is not None else user.id, user=user),
            "from": user.as_dict(),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return self.make({"message": message}, update_id=update_id)

    def edited_message(self, user: FakeUser, text: str) -> Update:
        """An edited text message."""
        message = {
            "message_id": next(self._message_ids),
            "date": self._now(),
            "edit_date": self._now(),
            "chat": chat_json(user.id, user=user),
            "from": user.as_dict(),
            "text": text,
        }
        return self.make({"edited_message": message})

    def callback(
        self,
        user: FakeUser,
        data: str,
        *,
        message: dict[str, Any] | None = None,
        chat_id: int | None = None,
        message_id: int = 1,
        update_id: int | None = None,
    ) -> Update:
        """A press on an inline button of `message` (or of a minimal message in `chat_id`)."""
        if message is None:
            message = {
                "message_id": message_id,
                "date": self._now(),
                "chat": chat_json(chat_id if chat_id is not None else user.id, user=user),
                "text": "…",
            }
        else:
            message = {k: v for k, v in message.items() if k != "reply_markup"} | {
                "date": message.get("date", self._now())
            }
        query = {
            "id": f"cq-{next(self._message_ids)}",
            "from": user.as_dict(),
            "chat_instance": "fake-instance",
            "data": data,
            "message": message,
        }
        return self.make({"callback_query": query}, update_id=update_id)

    def poll_answer(
        self, user: FakeUser, poll_id: str, option_ids: list[int], *, update_id: int | None = None
    ) -> Update:
        """A vote in a non-anonymous poll."""
        answer = {
            "poll_id": poll_id,
            "user": user.as_dict(),
            "option_ids": option_ids,
            "option_persistent_ids": [str(i) for i in option_ids],
        }
        return self.make({"poll_answer": answer}, update_id=update_id)

    def my_chat_member(
        self, user: FakeUser, chat_id: int, *, old: str, new: str, title: str | None = None
    ) -> Update:
        """The bot's own membership changed (added, removed, blocked...)."""
        bot_user = self.bot.bot.to_dict()
        change = {
            "chat": chat_json(chat_id, title=title, user=user),
            "from": user.as_dict(),
            "date": self._now(),
            "old_chat_member": member_status(old, bot_user),
            "new_chat_member": member_status(new, bot_user),
        }
        return self.make({"my_chat_member": change})

    def migration(self, user: FakeUser, old_chat_id: int, new_chat_id: int) -> Update:
        """The service message in the old group that says it became a supergroup."""
        message = {
            "message_id": next(self._message_ids),
            "date": self._now(),
            "chat": chat_json(old_chat_id),
            "from": user.as_dict(),
            "migrate_to_chat_id": new_chat_id,
        }
        return self.make({"message": message})

    def channel_post(self, chat_id: int, text: str) -> Update:
        """A post in a channel (the bot ignores these)."""
        post = {
            "message_id": next(self._message_ids),
            "date": self._now(),
            "chat": {"id": chat_id, "type": ChatKind.CHANNEL, "title": "Channel"},
            "text": text,
        }
        return self.make({"channel_post": post})
