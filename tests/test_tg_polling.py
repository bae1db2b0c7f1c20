"""Durable polling: the offset Telegram hears; kill -9 of the real `tutorbot run` loses nothing."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.tg.polling import Ledger
from tests.botkit import MINI
from tests.liveapi import LiveAPI, start_tutorbot, wait_for

TOKEN = "123456:KILL-test_token"


def test_the_offset_waits_for_the_oldest_unhandled_update() -> None:
    ledger = Ledger()
    assert ledger.offset() is None  # nothing fetched: Telegram's own default
    assert [ledger.take(i) for i in (10, 11, 12)] == [True, True, True]
    assert ledger.offset() == 10
    ledger.finish(11)
    assert ledger.offset() == 10  # 10 still waits: Telegram keeps 10, 11 and 12
    assert not ledger.take(11)  # redelivered: already handled, not queued again
    assert not ledger.take(12)  # redelivered: still waiting, not queued twice
    ledger.finish(10)
    assert ledger.offset() == 12
    ledger.finish(12)
    assert ledger.offset() == 13  # all handled: confirm everything
    assert not ledger.take(9)  # older than anything fetched: confirmed long ago
    assert ledger.handled == set()  # pruned below the offset


def test_a_stuck_update_is_given_up_so_newer_ones_can_come() -> None:
    ledger = Ledger()
    ledger.take(1, now=0.0)
    for i in range(2, 102):
        ledger.take(i, now=50.0)
    for i in range(2, 101):
        ledger.finish(i)
    assert ledger.offset() == 1
    assert ledger.skip_stuck(now=100.0, older_than=120.0) == []  # not long enough yet
    assert ledger.skip_stuck(now=130.0, older_than=120.0) == [1]
    assert ledger.offset() == 101  # 101 still waits (it came at 50 s)
    ledger.finish(1)  # it finishes after all: nothing changes
    assert ledger.offset() == 101


def start_update(update_id: int, user_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": f"U{user_id}"},
            "from": {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


def run_bot(tmp_path: Path, base_url: str) -> subprocess.Popen[str]:
    return start_tutorbot(tmp_path, base_url, token=TOKEN, lessons=MINI, LOG_LEVEL="WARNING")


@pytest.mark.parametrize("kills", [3])
def test_kill_9_while_updates_stream_in_loses_none(
    tmp_path: Path, live_api: tuple[LiveAPI, str], kills: int
) -> None:
    api, base_url = live_api
    users = list(range(5000, 5300))
    api.pending.extend(start_update(100 + n, user) for n, user in enumerate(users))

    def welcomed() -> int:
        with api.lock:
            return len({c for c in api.sent_to})

    for round_ in range(kills):
        before = welcomed()
        proc = run_bot(tmp_path, base_url)
        # Kill it in the middle of the stream: after it answered some more of it.
        wait_for(lambda b=before: welcomed() >= b + 20, seconds=60, what="progress")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL, f"round {round_}"

    proc = run_bot(tmp_path, base_url)
    try:
        wait_for(lambda: welcomed() == len(users), seconds=120, what="every user answered")
        wait_for(lambda: not api.pending, seconds=30, what="every update confirmed")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]

    with sqlite3.connect(tmp_path / "bot.db") as db:
        chats = Counter(row[0] for row in db.execute("SELECT tg_chat_id FROM chat"))
        handled = {row[0] for row in db.execute("SELECT update_id FROM processedupdate")}
    lost = [u for u in users if chats[u] == 0]
    assert lost == [], f"{len(lost)} users have no chat row"
    assert all(chats[u] == 1 for u in users)
    assert {100 + n for n in range(len(users))} <= handled  # every update marked handled
    # A crash between an update's effect and its mark re-runs it (a second answer) instead of
    # losing it: at most the updates in flight per kill (32 workers) are answered twice.
    per_chat = Counter(api.sent_chats)
    usual = Counter(per_chat.values()).most_common(1)[0][0]  # messages for one /start
    twice = [c for c, n in per_chat.items() if n > usual]
    assert len(twice) <= 32 * kills, len(twice)
