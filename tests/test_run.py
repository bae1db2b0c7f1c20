"""`tutorbot run`: the webhook secret, polling and webhook wiring, the playground fallback."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import cli
from bot.config import derived_webhook_secret
from bot.db.lease import acquire_delivery_lock
from bot.playground.fakeapi import Call, FakeBotAPI
from bot.tg.app import ALLOWED_UPDATES, build_application
from tests.botkit import MINI, make_settings

SECRET = "s3cret-token_1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def help_update(update_id: int, *, user_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_800_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Web"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Web"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


async def test_webhook_refuses_requests_without_the_secret_and_processes_the_rest(
    tmp_path: Path,
) -> None:
    api = FakeBotAPI()
    answered = asyncio.Event()

    def on_call(call: Call) -> None:
        if call.method == "sendMessage" and int(call.params["chat_id"]) == 9:
            answered.set()

    api.listeners.append(on_call)
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}")
    app = build_application(settings, request=api, rate_limiter=False, start_jobs=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg"
    headers = {"Content-Type": "application/json"}
    async with app:
        await app.post_init(app)  # type: ignore[misc]
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="tg",
            secret_token=SECRET,
            webhook_url="https://bot.example.com/tg",
            allowed_updates=ALLOWED_UPDATES,
        )
        await app.start()
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                missing = await client.post(
                    url, content=json.dumps(help_update(1, user_id=7)), headers=headers
                )
                wrong = await client.post(
                    url,
                    content=json.dumps(help_update(2, user_id=8)),
                    headers=headers | {"X-Telegram-Bot-Api-Secret-Token": "nope"},
                )
                right = await client.post(
                    url,
                    content=json.dumps(help_update(3, user_id=9)),
                    headers=headers | {"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                # Updates are handled in order: had 7 or 8 got through, they would come first.
                await asyncio.wait_for(answered.wait(), timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.post_shutdown(app)  # type: ignore[misc]
    assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
    hook = api.last("setWebhook")
    assert hook["url"] == "https://bot.example.com/tg" and hook["secret_token"] == SECRET
    (reply,) = api.sent("sendMessage")
    assert int(reply["chat_id"]) == 9 and "/lesson" in reply["text"]


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


class FakeApp:
    """Stands in for the Application: records how `run` starts it."""

    def __init__(self) -> None:
        self.polling: dict[str, Any] | None = None
        self.webhook: dict[str, Any] | None = None
        self.bot_data = types.SimpleNamespace(extras={})
        self.lock_held_while_running = False

    def run_durable_polling(self, **kwargs: Any) -> None:
        self.polling = kwargs
        self.lock_held_while_running = self.bot_data.delivery_lock.held

    def run_webhook(self, **kwargs: Any) -> None:
        self.webhook = kwargs


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeApp:
    app = FakeApp()
    built: list[Any] = []

    def fake_build(settings: Any, **kwargs: Any) -> FakeApp:
        built.append(settings)
        return app

    monkeypatch.setattr("bot.tg.app.build_application", fake_build)

    async def telegram_is_up(settings: Any, **kwargs: Any) -> str:  # no real getMe here
        return "@fake_bot"

    monkeypatch.setattr("bot.ops.startup.check_telegram", telegram_is_up)
    monkeypatch.setenv("LESSONS_DIR", str(MINI))
    monkeypatch.chdir(tmp_path)  # no .env from the project
    for name in ("WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_PORT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:ABCdef")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'run.db'}")
    return app


def test_run_with_a_token_polls_without_dropping_updates(fake_app: FakeApp) -> None:
    assert cli.main(["run"]) == 0
    assert fake_app.polling == {"allowed_updates": ALLOWED_UPDATES}
    assert fake_app.webhook is None
    assert fake_app.lock_held_while_running  # handed to the jobs, released after the run
    assert not fake_app.bot_data.delivery_lock.held


def test_a_second_run_on_the_same_database_refuses_to_start(
    fake_app: FakeApp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with acquire_delivery_lock(f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"):
        assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "already delivering" in err
    assert fake_app.polling is None and fake_app.webhook is None
    assert cli.main(["run"]) == 0  # once the first one stopped, a new one starts


@pytest.mark.parametrize(("secret", "fixed"), [("my-secret", True), (None, False)])
def test_run_with_webhook_url_uses_the_webhook_and_a_secret(
    fake_app: FakeApp, monkeypatch: pytest.MonkeyPatch, secret: str | None, fixed: bool
) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.com/hook")
    monkeypatch.setenv("WEBHOOK_PORT", "8080")
    monkeypatch.setenv("WEBHOOK_LISTEN", "127.0.0.1")
    monkeypatch.setenv("WEBHOOK_PATH", "/hook/")
    if secret:
        monkeypatch.setenv("WEBHOOK_SECRET", secret)
    assert cli.main(["run"]) == 0
    hook = fake_app.webhook
    assert hook is not None and fake_app.polling is None
    assert (hook["listen"], hook["port"], hook["url_path"], hook["webhook_url"]) == (
        "127.0.0.1",
        8080,
        "hook",
        "https://bot.example.com/hook",
    )
    assert hook["allowed_updates"] == ALLOWED_UPDATES
    if fixed:
        assert hook["secret_token"] == secret
    else:  # derived from the token: valid for Telegram (1-256 of A-Z a-z 0-9 _ -), stable
        assert hook["secret_token"] == derived_webhook_secret("123456:ABCdef")
        assert len(hook["secret_token"]) == 64
        assert set(hook["secret_token"]) <= set("0123456789abcdef")
        assert cli.main(["run"]) == 0  # a second instance (or a restart) uses the same one
        assert fake_app.webhook is not None
        assert fake_app.webhook["secret_token"] == hook["secret_token"]
        assert derived_webhook_secret("123456:OTHER") != hook["secret_token"]
        assert "123456" not in hook["secret_token"]


def test_run_without_a_token_starts_the_playground(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    async def fake_playground(**kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setattr("bot.playground.console.run_playground", fake_playground)
    monkeypatch.setattr("bot.cli._interactive", lambda: True)  # a person at a terminal
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()  # a project folder: data stays in ./data
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("LESSONS_DIR", str(MINI))
    assert cli.main(["run"]) == 0
    err = capsys.readouterr().err
    assert "no TELEGRAM_BOT_TOKEN" in err and len(err.strip().splitlines()) == 1
    assert seen["db_path"] == Path("data/playground.db")
    assert seen["settings"].lessons_dir == MINI


def test_run_without_a_token_and_without_a_terminal_exits_2_with_one_line(
    tmp_path: Path,
) -> None:
    """Under compose or systemd (no TTY) a missing token is an error, not a silent exit 0."""
    env = {k: v for k, v in os.environ.items() if k not in {"TELEGRAM_BOT_TOKEN"}}
    env["LESSONS_DIR"] = str(MINI)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(cli.__file__).parents[1])},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "tutorbot playground" in lines[0]
    assert not (tmp_path / "data").exists()
