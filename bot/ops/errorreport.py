"""Optional error reporting to Sentry (SENTRY_DSN): ERROR log lines and crashes become events.

The token never leaves the machine: every event is scrubbed with the same redaction as the logs
before it is sent, and no personal data or local variables are attached.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

from bot import __version__
from bot.config import Settings
from bot.logs import RedactTokenFilter

log = logging.getLogger(__name__)


def _scrubber(token: str | None) -> Any:
    redact = RedactTokenFilter(token).redact

    def before_send(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any] | None:
        # Scrub the event as a whole: messages, stack frames' variables, breadcrumbs.
        cleaned: dict[str, Any] = json.loads(redact(json.dumps(event, default=str)))
        return cleaned

    return before_send


def init_error_reporting(settings: Settings) -> bool:
    """Start Sentry when SENTRY_DSN is set; return whether it is on."""
    if not settings.sentry_dsn:
        return False
    scrub = _scrubber(settings.bot_token)
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        release=f"tutorbot@{__version__}",
        environment=settings.sentry_environment or "production",
        # No user data, no frames' local variables (they could hold learners' answers).
        data_collection={"user_info": False, "stack_frame_variables": False, "http_bodies": []},
        integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        before_send=scrub,
        before_breadcrumb=lambda crumb, _hint: scrub(crumb, {}),
        traces_sample_rate=0.0,
    )
    log.info("error reporting to Sentry is on (environment %s)", settings.sentry_environment)
    return True


def flush_error_reporting(timeout: float = 5.0) -> None:
    """Send what is queued before the process exits (no-op when Sentry is off)."""
    client = sentry_sdk.get_client()
    if client.is_active():
        client.flush(timeout=timeout)
