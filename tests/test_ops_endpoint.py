"""The health endpoint over real HTTP on 127.0.0.1: /healthz, /readyz, /metrics; the verdicts."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.cli import main
from bot.ops.health import endpoint_url, probe_endpoint
from bot.ops.metrics import (
    FAILURES_NOT_READY,
    POLLING_MAX_SILENCE,
    WEBHOOK_MAX_SILENCE,
    Check,
    Vitals,
    readiness,
    telegram_check,
)
from bot.playground.fakeapi import SERVER_ERROR
from bot.tg import jobs
from tests.botkit import ADA, BotRig, running_bot

NOW = 1_800_000_000.0


# -- the verdicts, as a table ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "ok_age", "failures", "ok", "detail"),
    [
        ("polling", None, 0, False, "no getUpdates answer yet"),
        ("polling", None, 2, False, "getUpdates failing: NetworkError: down"),
        ("polling", 5.0, 0, True, "getUpdates ok 5s ago"),
        ("polling", 5.0, 1, True, "getUpdates ok 5s ago"),  # one failure may be a blip
        ("polling", 5.0, FAILURES_NOT_READY, False, "getUpdates failed 3 times in a row"),
        ("polling", POLLING_MAX_SILENCE + 1, 0, False, "last getUpdates success 121s ago"),
        ("webhook", POLLING_MAX_SILENCE + 1, 0, True, "webhook ok 121s ago"),
        ("webhook", WEBHOOK_MAX_SILENCE + 1, 0, False, "last webhook success 601s ago"),
    ],
)
def test_telegram_check(
    mode: str, ok_age: float | None, failures: int, ok: bool, detail: str
) -> None:
    vitals = Vitals(mode=mode)
    if ok_age is not None:
        vitals.telegram_succeeded(NOW - ok_age)
    for _ in range(failures):
        vitals.telegram_failed("NetworkError: down")
    check = telegram_check(vitals, now=NOW)
    assert check.ok is ok
    assert check.detail.startswith(detail)


def test_readiness_fails_when_any_check_fails_and_names_it() -> None:
    verdict = readiness(
        database=Check(True, "1 ms"), telegram=Check(False, "no answer"), tick=Check(True, "x")
    )
    assert not verdict.ok
    assert verdict.summary() == "unhealthy: telegram: no answer"
    assert verdict.as_json()["status"] == "fail"


@pytest.mark.parametrize(
    ("listen", "ready", "url"),
    [
        ("0.0.0.0", False, "http://127.0.0.1:8080/healthz"),
        ("127.0.0.1", True, "http://127.0.0.1:8080/readyz"),
        ("::", False, "http://[::1]:8080/healthz"),
        ("10.0.0.5", False, "http://10.0.0.5:8080/healthz"),
    ],
)
def test_endpoint_url(listen: str, ready: bool, url: str) -> None:
    assert endpoint_url(listen, 8080, ready=ready) == url


# -- over HTTP -----------------------------------------------------------------------------------
@asynccontextmanager
async def served(tmp_path: Path, **settings: Any) -> AsyncIterator[tuple[BotRig, str]]:
    """A running bot with its health endpoint on a free port of 127.0.0.1."""
    beat = tmp_path / "heartbeat"
    async with running_bot(
        tmp_path, health_port=0, heartbeat_file=beat, tick_seconds=5.0, **settings
    ) as rig:
        server = rig.app.bot_data.health_server
        assert server is not None
        yield rig, f"http://127.0.0.1:{server.bound_port}"


def beat_now(rig: BotRig) -> None:
    path = rig.app.bot_data.settings.heartbeat_path()
    path.write_text("beat")


def metric(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    raise AssertionError(f"no sample {name} {labels}")


async def test_readyz_follows_telegram_database_and_tick(tmp_path: Path) -> None:
    async with served(tmp_path) as (rig, base), httpx.AsyncClient(base_url=base) as http:
        rig.app.bot_data.vitals.started_at = time.time() - 3600  # past the start-up grace
        # Nothing yet: no getUpdates answer, no heartbeat.
        answer = await http.get("/readyz")
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "fail"
        assert body["checks"]["database"]["ok"] is True, body
        assert body["checks"]["telegram"] == {"ok": False, "detail": "no getUpdates answer yet"}
        assert body["checks"]["tick"]["ok"] is False

        # getUpdates answers (through the real transport chain) and the tick beats: ready.
        await rig.app.bot.get_updates(timeout=0)
        beat_now(rig)
        answer = await http.get("/readyz")
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "ok"

        # Telegram goes away: after a few failed polls, not ready, and the cause is named.
        for _ in range(FAILURES_NOT_READY):
            rig.api.fail("getUpdates", SERVER_ERROR)
            with pytest.raises(Exception, match="Bad Gateway"):
                await rig.app.bot.get_updates(timeout=0)
        answer = await http.get("/readyz")
        assert answer.status_code == 503
        assert "HTTP 502" in answer.json()["checks"]["telegram"]["detail"]
        # Liveness does not depend on Telegram: restarting would not bring it back.
        assert (await http.get("/healthz")).status_code == 200

        # Back again: ready at once.
        await rig.app.bot.get_updates(timeout=0)
        assert (await http.get("/readyz")).status_code == 200

        # The database goes away: not ready, named.
        await rig.db.engine.dispose()
        (tmp_path / "bot.db").chmod(0o000)
        try:
            answer = await http.get("/readyz")
            if os.geteuid() != 0:  # root reads the file anyway
                assert answer.status_code == 503
                assert answer.json()["checks"]["database"]["ok"] is False
        finally:
            (tmp_path / "bot.db").chmod(0o644)


async def test_healthz_fails_on_a_stale_tick_after_the_start_up_grace(tmp_path: Path) -> None:
    async with served(tmp_path) as (rig, base), httpx.AsyncClient(base_url=base) as http:
        rig.app.bot_data.vitals.started_at = time.time()
        answer = await http.get("/healthz")
        assert answer.status_code == 200  # just started: the first tick is still to come
        assert answer.json()["checks"]["tick"]["detail"] == "starting"
        rig.app.bot_data.vitals.started_at = time.time() - 3600
        answer = await http.get("/healthz")
        assert answer.status_code == 503
        assert "heartbeat file" in answer.json()["checks"]["tick"]["detail"]
        beat_now(rig)
        old = time.time() - 120
        os.utime(rig.app.bot_data.settings.heartbeat_path(), (old, old))
        answer = await http.get("/healthz")
        assert answer.status_code == 503
        assert "120s old (limit 60s)" in answer.json()["checks"]["tick"]["detail"]
        beat_now(rig)
        assert (await http.get("/healthz")).status_code == 200


async def test_metrics_count_updates_answers_and_deliveries(tmp_path: Path) -> None:
    async with served(tmp_path) as (rig, base), httpx.AsyncClient(base_url=base) as http:
        before = (await http.get("/metrics")).text
        assert metric(before, "tutorbot_updates_total", kind="command") == 0
        assert metric(before, "tutorbot_info", version=__import__("bot").__version__) == 1

        await rig.say(ADA, "/start")
        await rig.say(ADA, "/quiz")
        await rig.vote(ADA, rig.last_poll()["correct_option_ids"])
        await rig.say(ADA, "hello")

        answer = await http.get("/metrics")
        assert answer.headers["content-type"].startswith("text/plain")
        text = answer.text
        assert metric(text, "tutorbot_updates_total", kind="command") == 2
        assert metric(text, "tutorbot_updates_total", kind="poll_answer") == 1
        assert metric(text, "tutorbot_updates_total", kind="text") == 1
        assert metric(text, "tutorbot_update_seconds_count", kind="command") == 2
        assert metric(text, "tutorbot_answers_graded_total", via="poll", result="correct") == 1
        assert metric(text, "tutorbot_writer_queue_depth") == 0

        # A delivery tick: its outcome and duration are counted.
        report = await jobs.measured_tick(rig.app)
        text = (await http.get("/metrics")).text
        assert metric(text, "tutorbot_tick_duration_seconds_count") == 1
        assert metric(text, "tutorbot_deliveries_total", status="sent") == report.sent


async def test_the_healthcheck_command_asks_the_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    async with served(tmp_path) as (rig, base):
        port = base.rsplit(":", 1)[1]
        monkeypatch.setenv("HEALTH_PORT", port)
        rig.app.bot_data.vitals.started_at = time.time()
        # The command blocks on urllib: run it in a thread, the endpoint serves on this loop.
        import asyncio

        code = await asyncio.to_thread(main, ["healthcheck"])
        assert code == 0
        assert capsys.readouterr().out.startswith(f"ok: http://127.0.0.1:{port}/healthz")
        code = await asyncio.to_thread(main, ["healthcheck", "--ready"])
        assert code == 1
        err = capsys.readouterr().err
        assert err.startswith(f"unhealthy: http://127.0.0.1:{port}/readyz: HTTP 503: ")
        assert "telegram: no getUpdates answer yet" in err


def test_the_healthcheck_command_names_an_endpoint_that_does_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEALTH_PORT", str(port))
    assert main(["healthcheck"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"unhealthy: http://127.0.0.1:{port}/healthz: no answer (")
    assert len(err.splitlines()) == 1
    verdict = probe_endpoint(f"http://127.0.0.1:{port}/readyz", timeout=1)
    assert not verdict.ok


async def test_a_taken_health_port_is_one_startup_line(tmp_path: Path) -> None:
    from bot.ops.startup import StartupError

    async with served(tmp_path) as (_rig, base):
        port = int(base.rsplit(":", 1)[1])
        with pytest.raises(StartupError, match=rf"HEALTH_PORT={port}: cannot listen on"):
            async with running_bot(tmp_path, db_name="other.db", health_port=port):
                pass


async def test_webhook_mode_reads_getwebhookinfo(tmp_path: Path) -> None:
    from bot.tg import monitoring

    async with running_bot(tmp_path, webhook_url="https://example.org/telegram") as rig:
        vitals = rig.app.bot_data.vitals
        assert vitals.mode == "webhook"

        class Ctx:
            application = rig.app
            bot = rig.app.bot

        await monitoring.webhook_check(Ctx())  # type: ignore[arg-type]
        assert telegram_check(vitals, now=time.time()).ok
        rig.api.webhook_error = (int(time.time()) - 5, "Connection refused")
        for _ in range(FAILURES_NOT_READY):
            await monitoring.webhook_check(Ctx())  # type: ignore[arg-type]
        check = telegram_check(vitals, now=time.time())
        assert not check.ok
        assert "Telegram reports: Connection refused" in check.detail
        # An update arriving over the webhook shows Telegram reaches us again.
        await rig.say(ADA, "/help")
        assert telegram_check(vitals, now=time.time()).ok
