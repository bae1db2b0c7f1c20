"""Logging setup: one line per event (text or JSON), the update's ids on every line, no token.

While an update is handled, every line carries its update id and chat id (`bind_update`):
as " [update 12 chat 34]" in text, as "update_id"/"chat_id" fields in JSON (LOG_FORMAT=json).
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(update_context)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"
LOG_FORMATS = ("text", "json")
REDACTED = "<token>"
# A token inside a Bot API URL (".../bot123456:AbC-d_e/getMe"), whichever token it is.
_URL_TOKEN = re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+")
# Libraries that log every HTTP request at INFO (the URL holds the token; and it is noise).
NOISY = ("httpx", "httpcore", "apscheduler", "tornado.access")


_UPDATE: contextvars.ContextVar[tuple[int | None, int | None] | None] = contextvars.ContextVar(
    "tutorbot_update", default=None
)


def bind_update(update_id: int | None, chat_id: int | None) -> contextvars.Token[Any]:
    """Tag the log lines of the current task with an update and its chat (until unbound)."""
    return _UPDATE.set((update_id, chat_id))


def unbind_update(token: contextvars.Token[Any]) -> None:
    """Stop tagging log lines with the update bound by `bind_update`."""
    _UPDATE.reset(token)


class UpdateContextFilter(logging.Filter):
    """Put the bound update id and chat id on the record (None outside an update)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `update_id`, `chat_id` and the text form `update_context`; never drop."""
        bound = _UPDATE.get()
        update_id, chat_id = bound if bound is not None else (None, None)
        record.update_id = update_id
        record.chat_id = chat_id
        record.update_context = f" [update {update_id} chat {chat_id}]" if bound else ""
        return True


class RedactTokenFilter(logging.Filter):
    """Replace the bot token in a record's message, arguments and exception text."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self.token = token or None

    def redact(self, text: str) -> str:
        """Return text with the token (and any token in a Bot API URL) replaced."""
        if self.token:
            text = text.replace(self.token, REDACTED)
        return _URL_TOKEN.sub(rf"\g<1>{REDACTED}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drop it."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what we have, logging reports it
            message = str(record.msg)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        record.exc_info = None  # formatters would format it afresh, token and all
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class OneLineFormatter(logging.Formatter):
    """Keep each event on one line: newlines (e.g. in tracebacks) become " | "."""

    def format(self, record: logging.LogRecord) -> str:
        """Format the record and fold it onto one line."""
        text = super().format(record)
        return text.replace("\r\n", "\n").replace("\n", " | ")


class OneLineJsonFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, update_id, chat_id, exc_info."""

    def add_fields(
        self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        """Add the update's ids (when bound) to the standard fields."""
        super().add_fields(log_record, record, message_dict)
        for name in ("update_id", "chat_id"):
            if log_record.get(name) is None:
                log_record.pop(name, None)
        log_record.pop("update_context", None)


def make_formatter(log_format: str) -> logging.Formatter:
    """Return the formatter of LOG_FORMAT ("text" or "json")."""
    if log_format == "json":
        return OneLineJsonFormatter(
            JSON_FIELDS,
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601 in UTC
            json_ensure_ascii=False,
        )
    return OneLineFormatter(FORMAT)


def configure_logging(
    level: str,
    *,
    token: str | None,
    stream: TextIO | None = None,
    log_format: str = "text",
) -> logging.Handler:
    """Send every log event to `stream` (stderr) as one redacted line; return the handler."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(UpdateContextFilter())
    handler.addFilter(RedactTokenFilter(token))
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old.formatter, OneLineFormatter | OneLineJsonFormatter):  # replace
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    quiet = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    for name in NOISY:
        logging.getLogger(name).setLevel(quiet)
    return handler
