"""`tutorbot run` as a process, over HTTP: JSON logs with update ids, readiness, polling errors.

A small Bot API server on 127.0.0.1 answers getUpdates (one /help, then nothing) and can be
switched to 502 Bad Gateway, as an unreachable Telegram looks behind a proxy.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from tests.botkit import MINI
from tests.liveapi import LiveAPI, free_port, start_tutorbot, wait_for

TOKEN = "123456:LIVE-test_token"
CHAT = 4242


def readyz(port: int) -> tuple[int, dict[str, Any]]:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    except httpx.HTTPError:
        return 0, {}
    return answer.status_code, answer.json()


def help_update(update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": CHAT, "type": "private", "first_name": "Live"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Live"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


def test_a_running_bot_logs_json_and_reports_telegram_going_away(
    tmp_path: Path, live_api: tuple[LiveAPI, str]
) -> None:
    api, base_url = live_api
    api.pending.append(help_update(500))
    port = free_port()
    proc = start_tutorbot(
        tmp_path,
        base_url,
        token=TOKEN,
        lessons=MINI,
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        HEALTH_PORT=str(port),
        TICK_SECONDS="0.5",
    )
    try:
        _, body = wait_for(lambda: (r := readyz(port))[0] == 200 and r, seconds=30, what="ready")
        assert body["checks"]["telegram"]["ok"] is True
        wait_for(lambda: "sendMessage" in api.calls, seconds=10, what="the /help answer")

        api.failing = True  # Telegram goes away
        _, body = wait_for(
            lambda: (r := readyz(port))[0] == 503 and r, seconds=30, what="not ready"
        )
        assert "HTTP 502" in body["checks"]["telegram"]["detail"]
        assert body["checks"]["database"]["ok"] is True
        failures_seen = api.calls.count("getUpdates")
        wait_for(
            lambda: api.calls.count("getUpdates") >= failures_seen + 2, seconds=30, what="retries"
        )

        api.failing = False  # and comes back
        wait_for(lambda: readyz(port)[0] == 200, seconds=40, what="ready again")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    assert TOKEN not in err
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]  # every line is JSON
    assert all({"time", "level", "logger", "message"} <= set(x) for x in lines)

    # The /help update: its log line carries the update id and the chat id.
    [handled] = [x for x in lines if x["logger"] == "bot.updates" and x.get("update_id") == 500]
    assert handled["chat_id"] == CHAT
    assert "command /help" in handled["message"]

    # Telegram going away: one WARNING with the cause, none of "update None ... failed".
    unreachable = [x for x in lines if "Telegram unreachable" in x["message"]]
    assert len(unreachable) == 1, unreachable
    assert unreachable[0]["level"] == "WARNING"
    assert "Bad Gateway" in unreachable[0]["message"] or "502" in unreachable[0]["message"]
    assert not [x for x in lines if x["level"] in ("ERROR", "CRITICAL")], lines
    assert not [x for x in lines if "update None" in x["message"]]
    assert [x for x in lines if "Telegram answers again" in x["message"]]
