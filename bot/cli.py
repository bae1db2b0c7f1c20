"""Command line: run the bot, try it in the console playground, check and preview courses."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot import __version__
from bot.config import ConfigError, Settings, load_settings, webhook_path_warning
from bot.logs import configure_logging

log = logging.getLogger(__name__)

Command = Callable[[argparse.Namespace], int]


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the subcommand and return its exit code."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter as timedelta, no deprecation noise
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Command | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return func(args)
    except ConfigError as exc:
        print(f"tutorbot: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand (the operations ones too, if present)."""
    parser = argparse.ArgumentParser(
        prog="tutorbot",
        description="An async Telegram study tutor. Settings come from the environment and .env.",
    )
    parser.add_argument("--version", action="version", version=f"tutorbot {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="start the bot (long polling, or a webhook when WEBHOOK_URL is set; "
        "without TELEGRAM_BOT_TOKEN: the console playground in a terminal, else exit 2)",
    )
    run.set_defaults(func=cmd_run)

    play = sub.add_parser("playground", help="chat with the bot in this terminal (no Telegram)")
    play.add_argument("--db", type=Path, default=None, help="SQLite file (DATA_DIR/playground.db)")
    play.add_argument("--script", type=Path, default=None, help="read the lines to type from FILE")
    play.set_defaults(func=cmd_playground)

    check = sub.add_parser("check", help="validate the courses; exit 1 on any error")
    check.add_argument(
        "dir", nargs="?", type=Path, default=None, help="courses folder (LESSONS_DIR)"
    )
    check.add_argument("--json", action="store_true", help="print the summary as JSON")
    check.add_argument(
        "--strict",
        action="store_true",
        help="also fail (exit 1) a course whose answer cues exceed the thresholds",
    )
    check.set_defaults(func=cmd_check)

    preview = sub.add_parser("preview", help="print a lesson and its questions as learners see it")
    preview.add_argument("course_id")
    preview.add_argument("lesson_id")
    preview.add_argument("--dir", type=Path, default=None, help="courses folder (LESSONS_DIR)")
    preview.set_defaults(func=cmd_preview)

    sched = sub.add_parser("schedule-preview", help="print the next delivery instants in UTC")
    sched.add_argument("--time", required=True, help="local time(s): HH:MM[,HH:MM]")
    sched.add_argument("--tz", required=True, help="IANA zone or offset: Europe/Berlin, +05:30")
    sched.add_argument("--days", default=None, help="mon,tue,... (default: every day)")
    sched.add_argument("--from", dest="from_", required=True, help="start, ISO-8601 UTC")
    sched.add_argument("--count", type=int, default=5, help="how many instants (default 5)")
    sched.set_defaults(func=cmd_schedule_preview)

    _register_ops(sub)
    return parser


def _register_ops(sub: Any) -> None:
    """Add the operations subcommands when bot/ops/cli.py provides `register(subparsers)`."""
    try:
        ops_cli = importlib.import_module("bot.ops.cli")
    except ModuleNotFoundError as exc:
        if exc.name in {"bot.ops", "bot.ops.cli"}:
            return
        raise
    register = getattr(ops_cli, "register", None)
    if callable(register):
        register(sub)


def _settings() -> Settings:
    return load_settings(os.environ)


# -- subcommands ---------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    """Start the bot: playground without a token, else polling or webhook."""
    settings = _settings()
    if settings.bot_token is None:
        if not _interactive():  # under compose/systemd: fail loudly, do not exit 0 in a loop
            print(
                "tutorbot: no TELEGRAM_BOT_TOKEN set: set it (from @BotFather) to run the bot, "
                "or run `tutorbot playground` in a terminal",
                file=sys.stderr,
            )
            return 2
        print(
            "tutorbot: no TELEGRAM_BOT_TOKEN set: starting the console playground instead.",
            file=sys.stderr,
        )
        configure_logging(_playground_level(settings), token=None)
        return _playground(settings, db=None, script=None)
    configure_logging(settings.log_level, token=settings.bot_token, log_format=settings.log_format)
    from bot.ops.errorreport import flush_error_reporting, init_error_reporting

    init_error_reporting(settings)
    try:
        return run_bot(settings)
    finally:
        flush_error_reporting()


def _interactive() -> bool:
    """Tell whether a person sits at a terminal (stdin and stdout both a TTY)."""
    return _isatty(sys.stdin) and _isatty(sys.stdout)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def run_bot(settings: Settings) -> int:
    """Run the bot against the Bot API until SIGINT/SIGTERM; return the exit code.

    Every start-up failure is one line on stderr naming the cause and the setting (exit 2 for
    settings and files, 1 for services that stayed unreachable after the retries).
    """
    from telegram.error import TelegramError

    from bot.db.lease import AlreadyRunning, acquire_delivery_lock
    from bot.ops import startup
    from bot.tg.app import ALLOWED_UPDATES, build_application

    try:
        catalog = startup.check_lessons(settings)  # before connecting anywhere
        startup.ensure_data_dir(settings)
        # One process per SQLite database: refuse before talking to Telegram at all.
        lock = acquire_delivery_lock(settings)
    except startup.StartupError as exc:
        print(f"tutorbot: {exc}", file=sys.stderr)
        return 2
    except AlreadyRunning as exc:
        print(f"tutorbot: {exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:
        print(f"tutorbot: {startup.permission_message(exc, settings)}", file=sys.stderr)
        return 2
    with lock:
        try:
            asyncio.run(startup.check_database(settings))
            me = asyncio.run(startup.check_telegram(settings))
        except startup.StartupError as exc:
            print(f"tutorbot: {exc}", file=sys.stderr)
            return 1
        log.info("connected to Telegram as %s", me)
        app = build_application(settings, catalog=catalog)
        app.bot_data.delivery_lock = lock  # jobs.install reuses the held lock
        try:
            _serve(app, settings, ALLOWED_UPDATES)
        except startup.StartupError as exc:  # raised in post_init, e.g. HEALTH_PORT taken
            print(f"tutorbot: {exc}", file=sys.stderr)
            return 2
        except TelegramError as exc:  # e.g. Telegram went away between the check and the start
            print(f"tutorbot: stopped: {startup.first_line(exc)}", file=sys.stderr)
            return 1
    log.info("stopped")
    return 0


def _serve(app: Any, settings: Settings, allowed_updates: list[str]) -> None:
    """Block in PTB's polling or webhook loop until a stop signal."""
    if settings.webhook_url:
        secret = settings.effective_webhook_secret()  # the same on every instance
        if (note := webhook_path_warning(settings)) is not None:
            log.warning("%s", note)
        log.info(
            "starting webhook on %s:%s/%s",
            settings.webhook_listen,
            settings.webhook_port,
            settings.webhook_path,
        )
        app.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=settings.webhook_path,
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=allowed_updates,
            drop_pending_updates=False,
        )
    else:
        log.info("starting durable long polling against %s", settings.base_url)
        app.run_durable_polling(allowed_updates=allowed_updates)


def cmd_playground(args: argparse.Namespace) -> int:
    """Chat with the bot in the terminal."""
    settings = _settings()
    configure_logging(_playground_level(settings), token=settings.bot_token)
    return _playground(settings, db=args.db, script=args.script)


def _playground_level(settings: Settings) -> str:
    """Keep INFO lines out of the chat in the terminal (DEBUG still shows everything)."""
    return "DEBUG" if settings.log_level == "DEBUG" else "WARNING"


def _playground(settings: Settings, *, db: Path | None, script: Path | None) -> int:
    from bot.playground.console import run_playground

    db_path = db or settings.data_dir / "playground.db"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if script is None:
        return asyncio.run(
            run_playground(
                settings=settings, input_stream=sys.stdin, output=sys.stdout, db_path=db_path
            )
        )
    with script.open(encoding="utf-8") as lines:
        return asyncio.run(
            run_playground(
                settings=settings, input_stream=lines, output=sys.stdout, db_path=db_path
            )
        )


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the courses."""
    from bot.content.authoring import check_command

    root = args.dir if args.dir is not None else _settings().lessons_dir
    return check_command(Path(root), as_json=args.json, out=sys.stdout, strict=args.strict)


def cmd_preview(args: argparse.Namespace) -> int:
    """Print one lesson as learners see it."""
    from bot.content.authoring import preview_command

    root = args.dir if args.dir is not None else _settings().lessons_dir
    return preview_command(Path(root), args.course_id, args.lesson_id, out=sys.stdout)


def cmd_schedule_preview(args: argparse.Namespace) -> int:
    """Print upcoming delivery instants for a schedule."""
    from bot.scheduling.preview import schedule_preview_command

    return schedule_preview_command(
        time_text=args.time,
        tz_text=args.tz,
        days_text=args.days,
        from_text=args.from_,
        count=args.count,
        out=sys.stdout,
        err=sys.stderr,
    )
