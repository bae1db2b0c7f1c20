"""An in-process fake of the Bot API: a `BaseRequest` that answers like Telegram and records calls.

Used by the console playground, the tests and the benchmarks. It keeps the messages it "sent"
(so edits behave like Telegram's, including "message is not modified"), hands out poll ids,
knows group administrators, and can inject faults: one-off failures per method, persistent
failures per chat (a user who blocked the bot), and Telegram's flood limits with 429 answers.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.clock import Clock, utcnow
from bot.kinds import ChatKind
from bot.playground.fakeupdates import member_status

BOT_USER = {
    "id": 999000,
    "is_bot": True,
    "first_name": "Tutor",
    "username": "tutorbot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

Fault = tuple[int, dict[str, Any]]


def error_body(status: int, description: str, **parameters: Any) -> Fault:
    """Build a Bot API error answer."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body


BLOCKED = error_body(403, "Forbidden: bot was blocked by the user")
KICKED = error_body(403, "Forbidden: bot was kicked from the group chat")
CHAT_NOT_FOUND = error_body(400, "Bad Request: chat not found")
SERVER_ERROR = error_body(502, "Bad Gateway")


def flood(retry_after: int) -> Fault:
    """A 429 answer asking to wait `retry_after` seconds."""
    return error_body(
        429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
    )


def migrated(new_chat_id: int) -> Fault:
    """A 400 answer saying the group became a supergroup."""
    return error_body(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=new_chat_id,
    )


@dataclass
class Call:
    """One Bot API call the bot made."""

    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None


@dataclass
class FloodLimits:
    """Telegram's limits in (scaled) seconds: overall, per private chat, per group."""

    overall_per_s: float = 30.0
    per_chat_interval_s: float = 1.0
    group_per_minute: int = 20
    time_scale: float = 1.0  # 10.0 makes a "second" last 0.1 s of the clock
    violations: int = 0
    _overall: deque[float] = field(default_factory=deque)
    _last_chat: dict[int, float] = field(default_factory=dict)
    _group: dict[int, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def check(self, chat_id: int, now_s: float) -> int | None:
        """Record a send at `now_s`; return a retry_after (seconds) when a limit is broken."""
        second = 1.0 / self.time_scale
        window = self._overall
        while window and now_s - window[0] >= second:
            window.popleft()
        if len(window) >= self.overall_per_s:
            return self._violate()
        if chat_id > 0:
            last = self._last_chat.get(chat_id)
            # Telegram tolerates short bursts; we are strict-ish: 1 message per interval.
            if last is not None and now_s - last < self.per_chat_interval_s * second * 0.5:
                return self._violate()
            self._last_chat[chat_id] = now_s
        else:
            group = self._group[chat_id]
            while group and now_s - group[0] >= 60 * second:
                group.popleft()
            if len(group) >= self.group_per_minute:
                return self._violate()
            group.append(now_s)
        window.append(now_s)
        return None

    def _violate(self) -> int:
        self.violations += 1
        return 1


class FakeBotAPI(BaseRequest):
    """In-memory Bot API that answers the methods tutorbot uses and records every call."""

    def __init__(
        self,
        *,
        clock: Clock = utcnow,
        bot_user: dict[str, Any] | None = None,
        first_poll_id: int = 1,
    ) -> None:
        self.calls: list[Call] = []
        self.bot_user = dict(bot_user or BOT_USER)
        self.clock = clock
        self.fail_next: dict[str, list[Fault]] = defaultdict(list)
        self.fail_chat: dict[int, Fault] = {}
        # Exceptions to raise from the transport itself (e.g. telegram.error.TimedOut), per method.
        self.raise_next: dict[str, list[BaseException]] = defaultdict(list)
        self.admins: dict[int, set[int]] = defaultdict(set)
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.commands: list[dict[str, Any]] = []
        self.limits: FloodLimits | None = None
        self.time_source: Callable[[], float] | None = None
        self.listeners: list[Callable[[Call], None]] = []
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(
            lambda: itertools.count(1)
        )
        self._poll_ids = itertools.count(first_poll_id)  # a restarted fake must not reuse ids
        self._poll_prefix = f"poll-{secrets.token_hex(3)}"  # unique across fakes, as in Telegram
        self._file_ids = itertools.count(1)
        self.webhook_url = ""
        self.webhook_error: tuple[int, str] | None = None  # getWebhookInfo's last error

    # -- BaseRequest ---------------------------------------------------------------------------
    @property
    def read_timeout(self) -> float | None:
        """Return the default read timeout (unused: nothing goes over a network)."""
        return 5.0

    async def initialize(self) -> None:
        """Do nothing: there is no connection pool."""

    async def shutdown(self) -> None:
        """Do nothing: there is no connection pool."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer one Bot API call."""
        api = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        call = Call(api, params)
        self.calls.append(call)
        if self.raise_next.get(api):
            call.status = 0  # never answered: the transport failed (nothing was sent)
            raise self.raise_next[api].pop(0)
        status, body = self._answer(api, params)
        call.status = status
        call.result = body.get("result")
        for listener in self.listeners:
            listener(call)
        return status, json.dumps(body).encode()

    # -- helpers for tests ---------------------------------------------------------------------
    def sent(self, method: str) -> list[dict[str, Any]]:
        """Return the parameters of every successful call of `method`."""
        return [c.params for c in self.calls if c.method == method and c.status == 200]

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Return the texts (messages, poll questions, captions) sent, optionally to one chat."""
        out = []
        for c in self.calls:
            if c.status != 200 or c.method not in {"sendMessage", "sendPoll", "sendPhoto"}:
                continue
            if chat_id is not None and int(c.params.get("chat_id", 0)) != chat_id:
                continue
            out.append(
                str(
                    c.params.get("text") or c.params.get("question") or c.params.get("caption", "")
                )
            )
        return out

    def last(self, method: str) -> dict[str, Any]:
        """Return the parameters of the newest successful call of `method`."""
        found = self.sent(method)
        if not found:
            raise AssertionError(
                f"no successful {method} call; calls: {[c.method for c in self.calls]}"
            )
        return found[-1]

    def clear(self) -> None:
        """Forget the recorded calls (not the stored messages)."""
        self.calls.clear()

    def fail(self, method: str, fault: Fault, *, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail with `fault`."""
        self.fail_next[method].extend([fault] * times)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """Return a stored message as the bot left it."""
        return self.messages[(chat_id, message_id)]

    # -- the fake API ----------------------------------------------------------------------------
    def _answer(self, api: str, p: dict[str, Any]) -> Fault:
        if self.fail_next.get(api):
            return self.fail_next[api].pop(0)
        chat_id = _int_or_none(p.get("chat_id"))
        if chat_id is not None and chat_id in self.fail_chat and api != "answerCallbackQuery":
            return self.fail_chat[chat_id]
        if chat_id is not None and self.limits is not None and api.startswith("send"):
            now_s = self.time_source() if self.time_source else self.clock().timestamp()
            retry = self.limits.check(chat_id, now_s)
            if retry is not None:
                return flood(retry)
        handler = getattr(self, f"_api_{api}", None)
        if handler is None:
            return error_body(400, f"Bad Request: method {api} is not supported by the fake")
        result = handler(p)
        if isinstance(result, tuple):
            return result
        return 200, {"ok": True, "result": result}

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": ChatKind.PRIVATE, "first_name": f"User{chat_id}"}
        kind = ChatKind.SUPERGROUP if str(chat_id).startswith("-100") else ChatKind.GROUP
        return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}

    def _new_message(self, p: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        message = {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(self.clock().timestamp()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            **content,
        }
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # a ForceReply or reply keyboard is not echoed back
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _api_getMe(self, p: dict[str, Any]) -> Any:
        return self.bot_user

    def _api_sendMessage(self, p: dict[str, Any]) -> Any:
        text = str(p.get("text", ""))
        if not text.strip():
            return error_body(400, "Bad Request: message text is empty")
        if len(text) > 4096 + 2000:  # crude: HTML tags do not count towards the limit
            return error_body(400, "Bad Request: message is too long")
        return self._new_message(p, text=text)

    def _api_sendPhoto(self, p: dict[str, Any]) -> Any:
        file_id = f"photo-{next(self._file_ids)}"
        photo = [{"file_id": file_id, "file_unique_id": file_id, "width": 900, "height": 900}]
        return self._new_message(p, photo=photo, caption=p.get("caption"))

    def _api_sendPoll(self, p: dict[str, Any]) -> Any:
        options = [
            {
                "text": o["text"] if isinstance(o, dict) else str(o),
                "voter_count": 0,
                "persistent_id": str(i),
            }
            for i, o in enumerate(p.get("options", []))
        ]
        poll = {
            "id": f"{self._poll_prefix}-{next(self._poll_ids)}",
            "question": p["question"],
            "options": options,
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": p.get("is_anonymous", True),
            "type": p.get("type", "regular"),
            "allows_multiple_answers": bool(p.get("allows_multiple_answers", False)),
            "allows_revoting": False,
            "members_only": False,
        }
        if p.get("correct_option_ids") is not None:
            poll["correct_option_ids"] = p["correct_option_ids"]
        if p.get("explanation"):
            poll["explanation"] = p["explanation"]
        return self._new_message(p, poll=poll)

    def _api_stopPoll(self, p: dict[str, Any]) -> Any:
        key = (int(p["chat_id"]), int(p["message_id"]))
        if key not in self.messages or "poll" not in self.messages[key]:
            return error_body(400, "Bad Request: message with poll to stop not found")
        poll = self.messages[key]["poll"]
        poll["is_closed"] = True
        return poll

    def _edit(self, p: dict[str, Any], *, text: str | None) -> Any:
        key = (int(p["chat_id"]), int(p["message_id"]))
        message = self.messages.get(key)
        if message is None:
            return error_body(400, "Bad Request: message to edit not found")
        markup = p.get("reply_markup")
        if (text is None or text == message.get("text")) and markup == message.get("reply_markup"):
            return error_body(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        if text is not None:
            message["text"] = text
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(self.clock().timestamp())
        return message

    def _api_editMessageText(self, p: dict[str, Any]) -> Any:
        return self._edit(p, text=str(p.get("text", "")))

    def _api_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        return self._edit(p, text=None)

    def _api_deleteMessage(self, p: dict[str, Any]) -> Any:
        key = (int(p["chat_id"]), int(p["message_id"]))
        if self.messages.pop(key, None) is None:
            return error_body(400, "Bad Request: message to delete not found")
        return True

    def _api_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        if len(str(p.get("text", ""))) > 200:
            return error_body(400, "Bad Request: text is too long")
        return True

    def _api_setMyCommands(self, p: dict[str, Any]) -> Any:
        self.commands = list(p.get("commands", []))
        return True

    def _api_getMyCommands(self, p: dict[str, Any]) -> Any:
        return self.commands

    def _api_deleteMyCommands(self, p: dict[str, Any]) -> Any:
        self.commands = []
        return True

    def _api_setWebhook(self, p: dict[str, Any]) -> Any:
        return True

    def _api_deleteWebhook(self, p: dict[str, Any]) -> Any:
        return True

    def _api_getUpdates(self, p: dict[str, Any]) -> Any:
        return []  # updates are fed to process_update directly

    def _api_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        info: dict[str, Any] = {"url": self.webhook_url, "has_custom_certificate": False}
        info["pending_update_count"] = 0
        if self.webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info

    def _api_sendChatAction(self, p: dict[str, Any]) -> Any:
        return True

    def _api_getChat(self, p: dict[str, Any]) -> Any:
        return {**self._chat(int(p["chat_id"])), "accent_color_id": 0, "max_reaction_count": 11}

    def _member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if user_id in self.admins.get(chat_id, set()):
            return member_status("administrator", user)
        return member_status("member", user)

    def _api_getChatMember(self, p: dict[str, Any]) -> Any:
        return self._member(int(p["chat_id"]), int(p["user_id"]))

    def _api_getChatAdministrators(self, p: dict[str, Any]) -> Any:
        chat_id = int(p["chat_id"])
        return [self._member(chat_id, uid) for uid in sorted(self.admins.get(chat_id, set()))]


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
