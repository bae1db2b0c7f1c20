"""kill -9 during a fan-out: no slot is sent twice; a crash loses at most the send in flight.

A fork server (tests/crashprobe.py serve) imports the bot once and forks a child per run; each
child runs delivery ticks on one SQLite file over the fake Bot API, whose listener writes every
delivered message to a log (write + fsync) before the bot hears back. The test kills children
with SIGKILL after a random number of delivered messages, restarts them (the fake clock 11
minutes later each time, past the claim lease), and finally lets one run finish. The log is what
Telegram delivered; the Delivery rows are what the bot believes.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.crashprobe import FIRST_CHAT, SLOT, seed

ROOT = Path(__file__).parent.parent
CHATS = int(os.environ.get("CRASH_CHATS", "1000"))
CRASHES = int(os.environ.get("CRASH_KILLS", "5"))
IN_FLIGHT = 1  # sends the probe keeps in flight at once: a crash may lose this many slots
RUN_TIMEOUT_S = 120.0


class ForkServer:
    """Drives `python -m tests.crashprobe serve`: start runs, kill them, wait for them."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.crashprobe", "serve"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        assert self.proc.stdout.readline().strip() == "SERVING"

    def start(self, out: Path, *args: str) -> int:
        """Fork a probe run; return its PID."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(" ".join(["run", str(out), *args]) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        """Stop the server (its stdin closes; it exits)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


@pytest.fixture
def server() -> Iterator[ForkServer]:
    fork_server = ForkServer()
    yield fork_server
    fork_server.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def wait_until(condition: object, *, what: str, timeout: float = RUN_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def crash_and_restart(server: ForkServer, db: Path, log: Path, tmp_path: Path) -> list[int]:
    """Kill CRASHES runs at random points of the fan-out, then let a last run finish."""
    rng = random.Random(int(os.environ.get("CRASH_SEED", "9")))
    kills: list[int] = []
    per_run = 2 * CHATS // (CRASHES + 1)  # messages: a lesson and a poll per chat
    for run_no in range(CRASHES + 1):
        out = tmp_path / f"run{run_no}.out"
        start = SLOT + run_no * timedelta(minutes=11)  # the previous claims' lease has expired
        pid = server.start(out, str(db), str(log), start.isoformat(), str(IN_FLIGHT))
        if run_no == CRASHES:
            wait_until(lambda pid=pid: not alive(pid), what="the last run")
            assert "DONE" in out.read_text(), out.read_text()[-3000:]
            break
        target = len(lines(log)) + rng.randint(1, per_run)
        wait_until(
            lambda target=target, pid=pid: len(lines(log)) >= target or not alive(pid),
            what=f"{target} delivered messages",
        )
        time.sleep(rng.random() * 0.02)  # land anywhere between two sends, not just after one
        if not alive(pid):  # nothing left to send: the checks below say whether that is right
            break
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda pid=pid: not alive(pid), what="the killed run to go", timeout=10)
        kills.append(len(lines(log)))
    return kills


def test_kill_9_during_a_fan_out_never_sends_twice_and_loses_at_most_one_per_crash(
    tmp_path: Path, server: ForkServer
) -> None:
    db, log = tmp_path / "bot.db", tmp_path / "sent.log"
    asyncio.run(seed(db, CHATS))

    kills = crash_and_restart(server, db, log, tmp_path)

    sent = Counter(tuple(line.split()) for line in lines(log))
    lessons = {int(chat) for method, chat in sent if method == "sendMessage"}
    polls = {int(chat) for method, chat in sent if method == "sendPoll"}
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT chat.tg_chat_id, delivery.kind, delivery.slot_at, delivery.status,"
            " delivery.message_id FROM delivery JOIN chat ON chat.id = delivery.chat_id"
        ).fetchall()
        due_left = conn.execute(
            "SELECT count(*) FROM schedule WHERE next_due_at <= ?",
            (SLOT.strftime("%Y-%m-%d %H:%M:%S"),),
        ).fetchone()[0]
    status = {chat: row_status for chat, _, _, row_status, _ in rows}
    chats = set(range(FIRST_CHAT, FIRST_CHAT + CHATS))

    # Never twice: no chat got its lesson or its question more than once.
    assert [key for key, n in sent.items() if n > 1] == []
    # Lost only in flight: a chat that got nothing at all was the (one) send a crash cut off.
    never_reached = chats - lessons
    assert len(never_reached) <= len(kills) * IN_FLIGHT, (len(never_reached), kills)
    assert all(status.get(chat) == "lost" for chat in never_reached)
    # The kills really landed mid-fan-out (so the checks can fail).
    assert len(kills) == CRASHES and all(0 < k < 2 * CHATS for k in kills), kills
    # One Delivery row per chat for the one slot; nothing left queued, claimed or to retry.
    assert len(rows) == CHATS and set(status) == chats
    assert {(kind, slot_at[:16]) for _, kind, slot_at, _, _ in rows} == {
        ("lesson", SLOT.strftime("%Y-%m-%d %H:%M"))
    }
    assert set(status.values()) <= {"sent", "lost"}, Counter(status.values())
    assert due_left == 0
    # The bot's "sent" is the truth: both messages reached the chat, and it kept the message id.
    sent_rows = {chat for chat, row_status in status.items() if row_status == "sent"}
    assert sent_rows <= lessons & polls
    assert all(message_id for chat, _, _, row_status, message_id in rows if row_status == "sent")
