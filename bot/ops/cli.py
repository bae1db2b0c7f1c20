"""Operator subcommands: healthcheck, stats, export, reports, db upgrade, db copy.

`register(subparsers)` adds them to the main `tutorbot` parser; each sets `func(args) -> int`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from datetime import UTC, date, datetime
from datetime import time as dt_time
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from bot.clock import utcnow
from bot.config import ConfigError, Settings, load_settings, sqlite_path
from bot.db.engine import Database
from bot.ops import dbcopy, health
from bot.ops.export import FORMATS, render_export
from bot.ops.reports import format_reports
from bot.ops.stats import format_stats
from bot.study import ops


def register(subparsers: Any) -> None:
    """Add the operator subcommands to the main parser's subparsers."""
    p = subparsers.add_parser(
        "healthcheck",
        help="exit 0 when the bot is healthy: asks /healthz when HEALTH_PORT is set, else "
        "checks the delivery tick's heartbeat file (Docker HEALTHCHECK)",
    )
    p.add_argument(
        "--ready",
        action="store_true",
        help="ask /readyz instead (database, Telegram and tick); needs HEALTH_PORT",
    )
    p.add_argument(
        "--max-age",
        type=float,
        default=None,
        metavar="SECONDS",
        help="oldest acceptable heartbeat (default: max(3 x TICK_SECONDS, 60))",
    )
    p.set_defaults(func=cmd_healthcheck)

    p = subparsers.add_parser("stats", help="learners, groups, today's deliveries and answers")
    p.add_argument(
        "--day", type=_day, default=None, metavar="YYYY-MM-DD", help="another UTC day than today"
    )
    p.set_defaults(func=cmd_stats)

    p = subparsers.add_parser("export", help="progress per chat and member, to stdout")
    p.add_argument("--format", choices=FORMATS, default="csv")
    p.add_argument("--chat", type=int, default=None, metavar="ID", help="one Telegram chat id")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser("reports", help="list question reports; pause/unpause questions")
    p.add_argument("--status", default=None, help="only reports with this status (open, resolved)")
    p.set_defaults(func=cmd_reports_list)
    actions = p.add_subparsers(dest="reports_action", metavar="ACTION")
    a = actions.add_parser("list", help="list reports (the default)")
    a.add_argument("--status", default=None)
    a.set_defaults(func=cmd_reports_list)
    a = actions.add_parser("pause", help="take a question out of rotation until it is fixed")
    a.add_argument("course")
    a.add_argument("question")
    a.add_argument("--note", default="")
    a.set_defaults(func=cmd_reports_pause)
    a = actions.add_parser("unpause", help="put a paused question back into rotation")
    a.add_argument("course")
    a.add_argument("question")
    a.set_defaults(func=cmd_reports_unpause)
    a = actions.add_parser("resolve", help="mark a report resolved")
    a.add_argument("id", type=int)
    a.set_defaults(func=cmd_reports_resolve)

    p = subparsers.add_parser("db", help="database maintenance: upgrade, backup, copy")
    db_actions = p.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    a = db_actions.add_parser(
        "upgrade", help="apply the database migrations (the bot does on start)"
    )
    a.add_argument("--url", default=None, help="database URL (default: DATABASE_URL)")
    a.set_defaults(func=cmd_db_upgrade)
    a = db_actions.add_parser(
        "backup",
        help="write a consistent copy of the SQLite database to FILE (safe while the bot runs)",
    )
    a.add_argument("file", type=Path, metavar="FILE")
    a.set_defaults(func=cmd_db_backup)
    a = db_actions.add_parser(
        "copy", help="copy every row from one database into another (SQLite to PostgreSQL)"
    )
    a.add_argument("source", metavar="SOURCE_URL")
    a.add_argument("target", metavar="TARGET_URL")
    a.add_argument("--force", action="store_true", help="replace the data of a non-empty target")
    a.add_argument("--batch-size", type=int, default=dbcopy.DEFAULT_BATCH)
    a.set_defaults(func=cmd_db_copy)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


def _settings(args: argparse.Namespace) -> Settings:
    """Use the settings the main CLI built, or read them from the environment."""
    given = getattr(args, "settings", None)
    return given if isinstance(given, Settings) else load_settings(os.environ)


def _with_db(args: argparse.Namespace, work: Callable[[Database], Awaitable[int]]) -> int:
    """Run `work` on the configured database; turn config and database errors into one line."""
    try:
        settings = _settings(args)
    except ConfigError as exc:
        _err(f"error: {exc}")
        return 2
    db_file = sqlite_path(settings.database_url)
    if db_file is not None and not db_file.exists():  # opening it would create an empty one
        _err(
            f"error: no database at {db_file} (the bot creates it on its first start, or run "
            "`tutorbot db upgrade`; set DATABASE_URL or DATA_DIR to use another)"
        )
        return 1

    async def main() -> int:
        db = Database.from_url(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except (OperationalError, ProgrammingError) as exc:
        _err(
            f"error: database {dbcopy.safe_url(settings.database_url)}: {_first_line(exc)} "
            "(run `tutorbot db upgrade` for a new database)"
        )
        return 1
    except (DBAPIError, OSError) as exc:
        _err(f"error: database {dbcopy.safe_url(settings.database_url)}: {_first_line(exc)}")
        return 1


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def cmd_healthcheck(args: argparse.Namespace) -> int:
    """Exit 0 when the heartbeat is fresh, else 1 with a one-line reason."""
    try:
        settings = _settings(args)
    except ConfigError as exc:
        _err(f"unhealthy: {exc}")
        return 1
    if settings.health_port is not None:
        verdict = health.probe_endpoint(
            health.endpoint_url(settings.health_listen, settings.health_port, ready=args.ready)
        )
        (_out if verdict.ok else _err)(verdict.message)
        return 0 if verdict.ok else 1
    if args.ready:
        _err("unhealthy: --ready needs the health endpoint: set HEALTH_PORT")
        return 1
    max_age = (
        args.max_age if args.max_age is not None else health.default_max_age(settings.tick_seconds)
    )
    verdict = health.check_heartbeat(settings.heartbeat_path(), max_age=max_age, now=time.time())
    (_out if verdict.ok else _err)(verdict.message)
    return 0 if verdict.ok else 1


def cmd_stats(args: argparse.Namespace) -> int:
    """Print today's operator figures."""

    now = utcnow()
    if args.day is not None:  # the last instant of that UTC day
        now = datetime.combine(args.day, dt_time.max, tzinfo=UTC)

    async def work(db: Database) -> int:
        _out(format_stats(await ops.gather_stats(db, now=now)))
        return 0

    return _with_db(args, work)


def cmd_export(args: argparse.Namespace) -> int:
    """Print progress per chat and member as CSV or JSON."""

    async def work(db: Database) -> int:
        rows = await ops.export_progress(db, chat_id=args.chat)
        sys.stdout.write(render_export(rows, args.format))
        return 0

    return _with_db(args, work)


def cmd_reports_list(args: argparse.Namespace) -> int:
    """List question reports."""

    async def work(db: Database) -> int:
        _out(format_reports(await ops.list_reports(db, status=args.status)))
        return 0

    return _with_db(args, work)


def cmd_reports_pause(args: argparse.Namespace) -> int:
    """Take a question out of rotation."""

    async def work(db: Database) -> int:
        new = await ops.pause_question(
            db, course_id=args.course, question_id=args.question, note=args.note, now=utcnow()
        )
        state = "paused" if new else "already paused"
        _out(f"{args.course}/{args.question}: {state}")
        return 0

    return _with_db(args, work)


def cmd_reports_unpause(args: argparse.Namespace) -> int:
    """Put a paused question back."""

    async def work(db: Database) -> int:
        if await ops.unpause_question(db, course_id=args.course, question_id=args.question):
            _out(f"{args.course}/{args.question}: back in rotation")
            return 0
        _err(f"{args.course}/{args.question} was not paused")
        return 1

    return _with_db(args, work)


def cmd_reports_resolve(args: argparse.Namespace) -> int:
    """Mark a report resolved."""

    async def work(db: Database) -> int:
        if await ops.resolve_report(db, report_id=args.id):
            _out(f"report #{args.id}: resolved")
            return 0
        _err(f"no report #{args.id}")
        return 1

    return _with_db(args, work)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply the migrations to the configured (or given) database."""
    if args.url:
        url = args.url
    else:
        try:
            url = _settings(args).database_url
        except ConfigError as exc:
            _err(f"error: {exc}")
            return 2

    async def main() -> None:
        db = Database.from_url(url)
        try:
            await db.migrate()
        finally:
            await db.dispose()

    try:
        asyncio.run(main())
    except (DBAPIError, OSError) as exc:
        _err(f"error: database {dbcopy.safe_url(url)}: {_first_line(exc)}")
        return 1
    _out(f"database {dbcopy.safe_url(url)}: migrations applied (at head)")
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    """Back the SQLite database up with SQLite's online backup (PostgreSQL: use pg_dump)."""
    try:
        settings = _settings(args)
    except ConfigError as exc:
        _err(f"error: {exc}")
        return 2
    source = sqlite_path(settings.database_url) if settings.is_sqlite else None
    if source is None:
        _err(
            f"error: {dbcopy.safe_url(settings.database_url)} is not a SQLite file: back "
            "PostgreSQL up with pg_dump -Fc (docs/operations.md, 'Backing up')"
        )
        return 2
    if not source.is_file():
        _err(f"error: no database at {source} (DATABASE_URL)")
        return 1
    target: Path = args.file
    if target.exists():
        _err(f"error: {target} exists: choose a new file name")
        return 1
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)  # page by page, consistent even while the bot writes
    except (sqlite3.Error, OSError) as exc:
        target.unlink(missing_ok=True)
        _err(f"error: backup of {source} to {target} failed: {exc}")
        return 1
    _out(f"backed up {source} to {target} ({target.stat().st_size} bytes)")
    return 0


def cmd_db_copy(args: argparse.Namespace) -> int:
    """Copy every row from SOURCE_URL into TARGET_URL and verify the row counts."""
    if args.batch_size < 1:
        _err("error: --batch-size must be at least 1")
        return 2
    try:
        report = asyncio.run(
            dbcopy.copy_database(
                args.source,
                args.target,
                force=args.force,
                batch_size=args.batch_size,
                progress=_out,
            )
        )
    except dbcopy.CopyError as exc:
        _err(f"error: {exc}")
        return 1
    except (DBAPIError, OSError) as exc:
        _err(f"error: {_first_line(exc)}")
        return 1
    total = sum(report.counts.values())
    if not report.ok:
        for name, (src, dst) in report.mismatches.items():
            _err(f"error: {name}: {src} rows in the source but {dst} in the target")
        return 1
    _out(
        f"copied {total} rows in {len(report.counts)} tables to "
        f"{dbcopy.safe_url(args.target)}; row counts verified"
    )
    return 0
