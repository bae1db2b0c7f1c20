"""Start-up failures: one line each naming the cause and the setting; retries logged one a line."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot import cli
from bot.config import ConfigError, load_settings
from tests.botkit import MINI

TOKEN = "123456:ABCdef_ghi"


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A token, the mini course, SQLite under tmp_path, fast retries; logging restored."""
    monkeypatch.chdir(tmp_path)
    for name in ("WEBHOOK_URL", "LOG_LEVEL", "TELEGRAM_BASE_URL", "HEALTH_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("LESSONS_DIR", str(MINI))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}")
    monkeypatch.setenv("STARTUP_RETRIES", "3")
    monkeypatch.setenv("STARTUP_BACKOFF_SECONDS", "0")
    monkeypatch.setenv("STARTUP_TIMEOUT_SECONDS", "0.3")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_lines(capsys: pytest.CaptureFixture[str], code: int) -> list[str]:
    assert cli.main(["run"]) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return [x for x in captured.err.strip().splitlines() if " INFO " not in x]


def test_missing_lessons_dir_is_one_line_before_connecting_anywhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LESSONS_DIR", "/nonexistent")
    monkeypatch.setenv("TELEGRAM_BASE_URL", f"http://127.0.0.1:{closed_port()}/bot")
    [line] = run_lines(capsys, 2)
    assert "LESSONS_DIR=/nonexistent: no such folder" in line
    assert not (tmp_path / "data").exists()  # no database, no lock, no Telegram call


@pytest.mark.parametrize(
    ("url", "wanted"),
    [
        ("postgresql://u:p@db/x", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://u:p@db/x", "postgresql+asyncpg://"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///"),
    ],
)
def test_a_database_url_without_the_async_driver_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, wanted: str
) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings({"DATABASE_URL": url}, dotenv=None)
    monkeypatch.setenv("DATABASE_URL", url)
    [line] = run_lines(capsys, 2)
    assert "DATABASE_URL" in line and wanted in line


def test_a_data_folder_the_bot_may_not_write_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.geteuid() == 0:  # root may write anywhere but /sys
        target = Path("/sys/tutorbot-test/bot.db")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "data" / "bot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{target}")
    [line] = run_lines(capsys, 2)
    assert "DATABASE_URL: permission denied" in line and "10001" in line


def test_an_unreachable_database_is_retried_then_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql+asyncpg://bot:hunter2@127.0.0.1:{port}/bot")
    lines = run_lines(capsys, 1)
    assert len(lines) == 3, lines  # two retries logged, then the verdict
    assert all("DATABASE_URL=postgresql+asyncpg://bot:***@127.0.0.1" in x for x in lines)
    assert "attempt 1/3" in lines[0] and "attempt 2/3" in lines[1]
    assert "gave up after 3 attempts" in lines[2]
    assert "hunter2" not in "".join(lines)


class _Unauthorized(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def unauthorized_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bot"
    server.shutdown()
    server.server_close()


def test_a_rejected_token_is_one_line_without_retries(
    monkeypatch: pytest.MonkeyPatch, unauthorized_api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BASE_URL", unauthorized_api)
    [line] = run_lines(capsys, 1)
    assert "TELEGRAM_BOT_TOKEN: rejected by Telegram" in line
    assert TOKEN not in line


def test_an_unreachable_telegram_is_retried_then_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BASE_URL", f"http://127.0.0.1:{closed_port()}/bot")
    lines = run_lines(capsys, 1)
    assert len(lines) == 3, lines
    assert all("TELEGRAM_BASE_URL=http://127.0.0.1" in x and "unreachable" in x for x in lines)
    assert "gave up after 3 attempts" in lines[-1]
    assert TOKEN not in "".join(lines)


def test_a_telegram_that_never_answers_times_out_with_retries(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("TELEGRAM_BASE_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/bot")
        lines = run_lines(capsys, 1)
    assert len(lines) == 3, lines
    assert all("timed out" in x for x in lines)
