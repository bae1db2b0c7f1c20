"""The command line (check, preview, schedule-preview, errors, extensions) and the log setup."""

from __future__ import annotations

import argparse
import io
import json
import logging
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli
from bot.logs import REDACTED, RedactTokenFilter, configure_logging
from tests.botkit import FIXTURES, MINI

TOKEN = "123456:AAbb-CCdd_EEff"
BROKEN = FIXTURES / "broken" / "too_few_options"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No .env of the project, no stray settings; root logging restored afterwards."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "LESSONS_DIR", "LOG_LEVEL", "WEBHOOK_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(("folder", "code"), [(MINI, 0), (BROKEN, 1)])
def test_check_exit_code(folder: Path, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", str(folder)]) == code
    out = capsys.readouterr().out
    assert ("need 2-10 options" in out) == (code == 1)


def test_check_json_and_lessons_dir_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LESSONS_DIR", str(MINI))
    assert cli.main(["check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and [c["id"] for c in report["courses"]] == ["mini"]


def test_preview_prints_the_lesson_or_names_the_unknown_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["preview", "mini", "leaves", "--dir", str(MINI)]) == 0
    assert "Which plant do green and black tea come from?" in capsys.readouterr().out
    assert cli.main(["preview", "mini", "nope", "--dir", str(MINI)]) == 1
    assert "unknown lesson 'nope'" in capsys.readouterr().out


def test_schedule_preview_prints_utc_instants_across_dst(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [
        "schedule-preview",
        "--time",
        "08:00",
        "--tz",
        "Europe/Berlin",
        "--from",
        "2027-03-27T00:00:00Z",
        "--count",
        "3",
    ]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.splitlines() == [
        "2027-03-27T07:00:00Z",
        "2027-03-28T06:00:00Z",
        "2027-03-29T06:00:00Z",
    ]
    assert cli.main([*argv[:2], "25:00", *argv[3:]]) == 2
    assert "Invalid time '25:00'" in capsys.readouterr().err


def test_schedule_preview_days(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "schedule-preview",
        "--time",
        "09:30",
        "--tz",
        "UTC",
        "--days",
        "mon,wed",
        "--from",
        "2027-03-01T10:00:00Z",
        "--count",
        "2",
    ]  # a Monday, after 09:30
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.split() == ["2027-03-03T09:30:00Z", "2027-03-08T09:30:00Z"]


@pytest.mark.parametrize(
    ("name", "value", "command"),
    [("LOG_LEVEL", "LOUD", ["check"]), ("TELEGRAM_BOT_TOKEN", "nonsense", ["run"])],
)
def test_config_error_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: str,
    command: list[str],
) -> None:
    monkeypatch.setenv(name, value)
    assert cli.main(command) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and name in captured.err
    assert "Traceback" not in captured.err


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "playground" in capsys.readouterr().out


def test_python_dash_m_bot_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parent.parent,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ("run", "playground", "check", "preview", "schedule-preview"):
        assert command in result.stdout


def test_operations_commands_plug_in_through_bot_ops_cli(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    called: list[str] = []

    def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        stats = subparsers.add_parser("stats")
        stats.add_argument("--days", type=int, default=7)
        stats.set_defaults(func=lambda args: called.append(f"stats {args.days}") or 3)

    fake = types.ModuleType("bot.ops.cli")
    fake.register = register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bot.ops", types.ModuleType("bot.ops"))
    monkeypatch.setitem(sys.modules, "bot.ops.cli", fake)
    assert cli.main(["stats", "--days", "30"]) == 3
    assert called == ["stats 30"]


def test_playground_subcommand_reads_a_script(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "script.txt"
    script.write_text("/start\n/quiz\n1\n/quit\n", encoding="utf-8")
    monkeypatch.setenv("LESSONS_DIR", str(MINI))
    db = tmp_path / "deep" / "pg.db"
    assert cli.main(["playground", "--db", str(db), "--script", str(script)]) == 0
    out = capsys.readouterr().out
    assert "📊 Quiz:" in out and ("Right" in out or "Not quite" in out)
    assert db.exists()


# -- logging ---------------------------------------------------------------------------------
def test_log_lines_never_contain_the_token() -> None:
    stream = io.StringIO()
    configure_logging("INFO", token=TOKEN, stream=stream)
    log = logging.getLogger("tutorbot.test")
    log.info("token is %s", TOKEN)
    log.info(f"inline {TOKEN} too")
    log.warning("url %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
    log.info("another bot's url: https://x.test/bot42:Other-Token_9/getUpdates")
    try:
        raise RuntimeError(f"failed calling /bot{TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("request failed")
    text = stream.getvalue()
    assert TOKEN not in text and "Other-Token_9" not in text
    assert text.count(REDACTED) == 5
    lines = text.splitlines()
    assert len(lines) == 5  # one line per event, the traceback included
    assert "INFO tutorbot.test: token is <token>" in lines[0]
    assert "Traceback (most recent call last)" in lines[4] and "RuntimeError" in lines[4]


@pytest.mark.parametrize(
    ("level", "shown"), [("WARNING", ["warn"]), ("DEBUG", ["debug", "info", "warn"])]
)
def test_log_level_comes_from_settings(level: str, shown: list[str]) -> None:
    stream = io.StringIO()
    configure_logging(level, token=None, stream=stream)
    log = logging.getLogger("tutorbot.level")
    log.debug("debug")
    log.info("info")
    log.warning("warn")
    assert [line.rsplit(": ", 1)[1] for line in stream.getvalue().splitlines()] == shown


def test_http_client_logs_are_quiet_unless_debugging() -> None:
    stream = io.StringIO()
    configure_logging("INFO", token=TOKEN, stream=stream)
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s/x", TOKEN)
    assert stream.getvalue() == ""


def test_redact_filter_keeps_records_and_handles_bad_format_strings() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d apples %s", ("two",), None)
    assert RedactTokenFilter(TOKEN).filter(record) is True
    assert record.getMessage() == "%d apples %s"


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    import bot

    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"tutorbot {bot.__version__}"
    assert bot.__version__ == "0.2.0"
    assert f"## {bot.__version__}" in (Path(cli.__file__).parents[1] / "CHANGELOG.md").read_text()
