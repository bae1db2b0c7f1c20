"""`tutorbot healthcheck`: fresh, stale and missing heartbeats; the default age limit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import main
from bot.ops.health import check_heartbeat, default_max_age

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("tick_seconds", "expected"), [(5.0, 60.0), (20.0, 60.0), (30.0, 90.0), (0.05, 60.0)]
)
def test_default_max_age(tick_seconds: float, expected: float) -> None:
    assert default_max_age(tick_seconds) == expected


@pytest.mark.parametrize(
    ("age", "max_age", "ok", "message"),
    [
        (0.0, 60.0, True, "ok: heartbeat 0s old (limit 60s)"),
        (59.0, 60.0, True, "ok: heartbeat 59s old (limit 60s)"),
        (61.0, 60.0, False, "unhealthy: heartbeat is 61s old (limit 60s): "),
        (-30.0, 60.0, True, "ok: heartbeat 0s old (limit 60s)"),  # clock stepped back
        (200.0, 300.0, True, "ok: heartbeat 200s old (limit 300s)"),
    ],
)
def test_check_heartbeat_by_age(
    tmp_path: Path, age: float, max_age: float, ok: bool, message: str
) -> None:
    beat = tmp_path / "heartbeat"
    beat.write_text("x")
    os.utime(beat, (NOW - age, NOW - age))
    verdict = check_heartbeat(beat, max_age=max_age, now=NOW)
    assert verdict.ok is ok
    assert verdict.message.startswith(message)


def test_missing_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    verdict = check_heartbeat(tmp_path / "nope", max_age=60, now=NOW)
    assert not verdict.ok
    assert (
        verdict.message
        == f"unhealthy: heartbeat file {tmp_path / 'nope'} is missing (the tick has not run)"
    )


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    beat = tmp_path / "data" / "heartbeat"
    monkeypatch.setenv("HEARTBEAT_FILE", str(beat))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}")
    monkeypatch.setenv("TICK_SECONDS", "5")
    return beat


def test_cli_fresh_stale_missing(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = main(["healthcheck"])
    missing_err = capsys.readouterr().err
    env.parent.mkdir()
    env.write_text("beat")
    fresh = main(["healthcheck"])
    fresh_out = capsys.readouterr().out
    old = env.stat().st_mtime - 120
    os.utime(env, (old, old))
    stale = main(["healthcheck"])
    stale_err = capsys.readouterr().err
    lenient = main(["healthcheck", "--max-age", "600"])
    assert (missing, fresh, stale, lenient) == (1, 0, 1, 0)
    assert "missing" in missing_err and missing_err.count("\n") == 1
    assert fresh_out.startswith("ok: heartbeat")
    assert "limit 60s" in stale_err and stale_err.count("\n") == 1


def test_cli_uses_the_database_folder_without_heartbeat_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEARTBEAT_FILE", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db' / 'bot.db'}")
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "heartbeat").write_text("beat")
    assert main(["healthcheck"]) == 0


def test_cli_bad_settings_are_unhealthy(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICK_SECONDS", "soon")
    assert main(["healthcheck"]) == 1
    assert "TICK_SECONDS" in capsys.readouterr().err
