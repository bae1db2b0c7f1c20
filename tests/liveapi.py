"""A small Bot API over HTTP on 127.0.0.1, for running the real `tutorbot run` process.

It answers getMe, getUpdates (from `pending`, honouring offset and limit), sendMessage (recording
the chat) and anything else with `true`; `failing` turns getUpdates into 502 Bad Gateway.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


class LiveAPI:
    """The state behind the HTTP handler: pending updates, failure switch, calls seen."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.failing = False
        self.calls: list[str] = []
        self.sent_chats: list[int] = []  # chat ids of every sendMessage, in order
        self.sent_to: set[int] = set()
        self.lock = threading.Lock()

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.calls.append(method)
            if method == "getUpdates" and self.failing:
                return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            if method == "getMe":
                user = {"id": 1, "is_bot": True, "first_name": "T", "username": "tutor_bot"}
                return 200, {"ok": True, "result": user}
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                self.pending = [u for u in self.pending if u["update_id"] >= offset]
                limit = int(params.get("limit") or 100)
                return 200, {"ok": True, "result": self.pending[:limit]}
            if method == "sendMessage":
                self.sent_chats.append(int(params["chat_id"]))
                self.sent_to.add(int(params["chat_id"]))
                chat = {"id": int(params["chat_id"]), "type": "private", "first_name": "L"}
                message = {"message_id": 7, "date": int(time.time()), "chat": chat, "text": "x"}
                return 200, {"ok": True, "result": message}
            return 200, {"ok": True, "result": True}


def _handler(api: LiveAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            kind = self.headers.get("Content-Type", "")
            params: dict[str, Any] = {}
            if raw and "json" in kind:
                params = json.loads(raw)
            elif raw:
                from urllib.parse import parse_qsl

                params = dict(parse_qsl(raw.decode()))
            method = self.path.rsplit("/", 1)[-1]
            if method == "getUpdates" and not api.pending and not api.failing:
                time.sleep(0.2)  # a short long-poll
            status, body = api.answer(method, params)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)  # the bot may have been killed mid-call

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def serve_http(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """Serve `handler` on a free port of 127.0.0.1 in a thread; yield the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def live_api() -> Iterator[tuple[LiveAPI, str]]:
    api = LiveAPI()
    with serve_http(_handler(api)) as port:
        yield api, f"http://127.0.0.1:{port}/bot"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Any, *, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_tutorbot(
    tmp_path: Path, base_url: str, *, token: str, lessons: Path, **settings: str
) -> subprocess.Popen[str]:
    """Start `tutorbot run` on a SQLite file under tmp_path against `base_url`; stderr piped."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_BASE_URL": base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "LESSONS_DIR": str(lessons),
        "STARTUP_RETRIES": "1",
        **settings,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
