"""Logging setup: one line per event, level from settings, the bot token never written."""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "<token>"
# A token inside a Bot API URL (".../bot123456:AbC-d_e/getMe"), whichever token it is.
_URL_TOKEN = re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+")
# Libraries that log every HTTP request at INFO (the URL holds the token; and it is noise).
NOISY = ("httpx", "httpcore", "apscheduler", "tornado.access")


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
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class OneLineFormatter(logging.Formatter):
    """Keep each event on one line: newlines (e.g. in tracebacks) become " | "."""

    def format(self, record: logging.LogRecord) -> str:
        """Format the record and fold it onto one line."""
        text = super().format(record)
        return text.replace("\r\n", "\n").replace("\n", " | ")


def configure_logging(
    level: str, *, token: str | None, stream: TextIO | None = None
) -> logging.Handler:
    """Send every log event to `stream` (stderr) as one redacted line; return the handler."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(OneLineFormatter(FORMAT))
    handler.addFilter(RedactTokenFilter(token))
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old.formatter, OneLineFormatter):  # configured before: replace
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    quiet = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    for name in NOISY:
        logging.getLogger(name).setLevel(quiet)
    return handler
