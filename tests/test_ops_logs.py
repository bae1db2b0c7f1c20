"""LOG_FORMAT, the update context on log lines, and Sentry error reporting (SENTRY_DSN)."""

from __future__ import annotations

import gzip
import io
import json
import logging
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, webhook_path_warning
from bot.logs import NOISY, bind_update, configure_logging, unbind_update
from tests.botkit import ADA, running_bot
from tests.liveapi import serve_http

TOKEN = "123456:SECRET-token_value"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), {n: logging.getLogger(n).level for n in NOISY})
    yield
    root.handlers[:] = saved[1]
    root.setLevel(saved[0])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_json_lines_carry_the_bound_update_and_hide_the_token(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", token=TOKEN, stream=out, log_format="json")
    log = logging.getLogger("bot.test")
    log.info("outside any update")
    token = bind_update(77, 4242)
    try:
        log.warning("inside with %s", TOKEN)
        try:
            raise RuntimeError(f"boom {TOKEN}\nsecond line")
        except RuntimeError:
            log.exception("failed")
    finally:
        unbind_update(token)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3  # a traceback stays inside its one JSON line
    first, second, third = (json.loads(x) for x in lines)
    assert first["message"] == "outside any update"
    assert "update_id" not in first and "chat_id" not in first
    assert {"time", "level", "logger", "message"} <= set(first)
    assert second["update_id"] == 77 and second["chat_id"] == 4242
    assert second["level"] == "WARNING" and second["logger"] == "bot.test"
    assert third["exc_info"].startswith("Traceback")
    assert TOKEN not in out.getvalue()
    assert "<token>" in second["message"] and "<token>" in third["exc_info"]


def test_text_lines_carry_the_update_as_a_suffix(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", token=None, stream=out)
    token = bind_update(5, 6)
    logging.getLogger("bot.test").info("hello")
    unbind_update(token)
    logging.getLogger("bot.test").info("bye")
    first, second = out.getvalue().splitlines()
    assert first.endswith("bot.test: hello [update 5 chat 6]")
    assert second.endswith("bot.test: bye")


async def test_every_handled_update_is_one_info_line_with_its_ids(
    tmp_path: Path, restore_logging: None
) -> None:
    out = io.StringIO()
    configure_logging("INFO", token=None, stream=out, log_format="json")
    async with running_bot(tmp_path) as rig:
        await rig.say(ADA, "/help")
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    [line] = [x for x in lines if x["logger"] == "bot.updates"]
    assert line["chat_id"] == ADA.id
    assert line["level"] == "INFO"
    assert "command /help" in line["message"]
    assert isinstance(line["update_id"], int)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT: expected text or json"),
        ({"HEALTH_PORT": "70000"}, "HEALTH_PORT: must be at most 65535"),
        ({"HEALTH_PORT": "web"}, "HEALTH_PORT: expected a number"),
        ({"SENTRY_DSN": "not-a-dsn"}, "SENTRY_DSN: expected https://<key>@<host>/<project>"),
    ],
)
def test_bad_operations_settings_are_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env, dotenv=None)


def test_operations_settings_defaults(tmp_path: Path) -> None:
    settings = load_settings({}, dotenv=None, cwd=tmp_path)
    assert settings.health_port is None  # off by default
    assert settings.health_listen == "127.0.0.1"
    assert settings.log_format == "text"
    assert settings.sentry_dsn is None
    on = load_settings({"HEALTH_PORT": "8080", "LOG_FORMAT": "JSON"}, dotenv=None, cwd=tmp_path)
    assert on.health_port == 8080 and on.log_format == "json"


# -- Sentry, against a local ingest endpoint -------------------------------------------------
class Ingest:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.got = threading.Event()


def _ingest_handler(ingest: Ingest) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                raw = gzip.decompress(raw)
            elif encoding == "deflate":
                raw = zlib.decompress(raw)
            elif encoding == "br":  # pragma: no cover - only when brotli is installed
                import brotli  # type: ignore[import-not-found]

                raw = brotli.decompress(raw)
            ingest.bodies.append(raw)
            ingest.got.set()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def ingest() -> Iterator[tuple[Ingest, int]]:
    sink = Ingest()
    with serve_http(_ingest_handler(sink)) as port:
        yield sink, port


def test_sentry_gets_error_lines_scrubbed_of_the_token(
    ingest: tuple[Ingest, int], restore_logging: None, tmp_path: Path
) -> None:
    import sentry_sdk

    from bot.ops.errorreport import flush_error_reporting, init_error_reporting

    sink, port = ingest
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/1",
            "SENTRY_ENVIRONMENT": "test",
        },
        dotenv=None,
        cwd=tmp_path,
    )
    try:
        assert init_error_reporting(settings) is True
        logging.getLogger("bot.test").info("a breadcrumb with %s", TOKEN)
        logging.getLogger("bot.test").error("delivery failed for %s", TOKEN)
        flush_error_reporting(timeout=10)
        assert sink.got.wait(10), "Sentry sent nothing"
    finally:
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.init()  # back to a disabled client
    payload = b"\n".join(sink.bodies).decode("utf-8", "replace")
    assert "delivery failed for <token>" in payload
    assert TOKEN not in payload
    assert '"environment":"test"' in payload.replace(" ", "")
    assert "tutorbot@" in payload


def test_no_dsn_means_no_error_reporting(tmp_path: Path) -> None:
    from bot.ops.errorreport import init_error_reporting

    assert init_error_reporting(load_settings({}, dotenv=None, cwd=tmp_path)) is False


@pytest.mark.parametrize(
    ("url", "path", "warned"),
    [
        ("https://bot.example.org/telegram", "", False),  # WEBHOOK_PATH defaults to telegram
        ("https://bot.example.org/hook/", "hook", False),
        ("https://bot.example.org/tg/abc", "telegram", True),
        ("https://bot.example.org", "telegram", True),
    ],
)
def test_a_webhook_url_path_other_than_webhook_path_is_named(
    url: str, path: str, warned: bool, tmp_path: Path
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": url, "WEBHOOK_PATH": path}
    note = webhook_path_warning(load_settings(env, dotenv=None, cwd=tmp_path))
    assert (note is not None) is warned
    if note is not None:
        assert "your reverse proxy must rewrite" in note
