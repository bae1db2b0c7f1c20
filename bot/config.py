"""Settings: one frozen object built from environment variables (and an optional .env file)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bot.scheduling.due import parse_tz

TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/tutorbot.db"
_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message is one line naming it."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """Everything the bot reads from its environment."""

    bot_token: str | None = None
    base_url: str = TELEGRAM_BASE_URL
    database_url: str = DEFAULT_DATABASE_URL
    lessons_dir: Path = Path("lessons")
    data_dir: Path = Path("data")
    default_timezone: str = "UTC"
    log_level: str = "INFO"
    tick_seconds: float = 5.0
    catch_up_grace: timedelta = timedelta(hours=3)
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str | None = None
    webhook_path: str = "telegram"
    admin_user_ids: frozenset[int] = field(default_factory=frozenset)
    heartbeat_file: Path | None = None
    startup_retries: int = 5
    startup_backoff: float = 2.0
    startup_timeout: float = 10.0
    health_port: int | None = None  # off unless HEALTH_PORT is set
    health_listen: str = "127.0.0.1"
    log_format: str = "text"
    sentry_dsn: str | None = None
    sentry_environment: str | None = None

    @property
    def is_sqlite(self) -> bool:
        """Tell whether the database is a SQLite file."""
        return self.database_url.startswith("sqlite")

    def effective_webhook_secret(self) -> str:
        """Return WEBHOOK_SECRET, or the secret derived from the token (stable across starts)."""
        if self.webhook_secret:
            return self.webhook_secret
        if self.bot_token is None:
            raise ValueError("a webhook needs TELEGRAM_BOT_TOKEN")
        return derived_webhook_secret(self.bot_token)

    def heartbeat_path(self) -> Path:
        """Return where the delivery tick writes its heartbeat."""
        if self.heartbeat_file is not None:
            return self.heartbeat_file
        db_file = sqlite_path(self.database_url)
        return (db_file.parent if db_file else self.data_dir) / "heartbeat"


def webhook_path_warning(settings: Settings) -> str | None:
    """Say when WEBHOOK_URL's path differs from WEBHOOK_PATH (the proxy must then rewrite it)."""
    if not settings.webhook_url:
        return None
    public = urlsplit(settings.webhook_url).path.strip("/")
    if public == settings.webhook_path:
        return None
    own = settings.webhook_path
    return (
        f"WEBHOOK_URL's path /{public} differs from WEBHOOK_PATH=/{own}: the bot listens on "
        f"/{own}, so your reverse proxy must rewrite /{public} to it"
    )


def bundled_lessons() -> Path:
    """Return the shipped course: bot/_lessons in a wheel, the checkout's lessons/ otherwise."""
    package = Path(__file__).resolve().parent
    shipped = package / "_lessons"
    return shipped if shipped.is_dir() else package.parent / "lessons"


def default_lessons_dir(cwd: Path) -> Path:
    """Return ./lessons when the current folder has one, else the bundled course."""
    return Path("lessons") if (cwd / "lessons").is_dir() else bundled_lessons()


def default_data_dir(env: Mapping[str, str], cwd: Path) -> Path:
    """Return ./data in a project folder (./data or ./lessons exists), else the user data folder.

    The user data folder is $XDG_DATA_HOME/tutorbot, or ~/.local/share/tutorbot.
    """
    if (cwd / "data").is_dir() or (cwd / "lessons").is_dir():
        return Path("data")
    xdg = env.get("XDG_DATA_HOME", "").strip()
    if xdg:
        return Path(xdg) / "tutorbot"
    home = env.get("HOME", "").strip()
    return (Path(home) if home else Path.home()) / ".local" / "share" / "tutorbot"


def derived_webhook_secret(token: str) -> str:
    """Return the default webhook secret: an HMAC of the token, the same on every instance."""
    return hmac.new(token.encode(), b"tutorbot webhook secret v1", hashlib.sha256).hexdigest()


def sqlite_url(path: Path) -> str:
    """Return the aiosqlite URL of a database file."""
    return f"sqlite+aiosqlite:///{path}"


def sqlite_path(url: str) -> Path | None:
    """Return the file of a SQLite URL (None for other databases or in-memory SQLite)."""
    match = re.match(r"^sqlite(\+\w+)?:///(.*)$", url)
    if not match or not match.group(2) or match.group(2) == ":memory:":
        return None
    return Path(match.group(2).split("?", 1)[0])


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines of a .env file (comments, blank lines, quotes, `export` allowed)."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _number(env: Mapping[str, str], name: str, default: float, *, low: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {raw!r}") from None
    if value < low:
        raise ConfigError(f"{name}: must be at least {low:g}, got {raw!r}")
    return value


def load_settings(
    environ: Mapping[str, str], *, dotenv: Path | None = Path(".env"), cwd: Path = Path(".")
) -> Settings:
    """Build Settings from `environ`, with values from `dotenv` (if it exists) underneath.

    Defaults that depend on the current folder (`cwd`): LESSONS_DIR is ./lessons if present,
    else the bundled course; DATA_DIR is ./data in a project folder, else the user data folder.
    """
    env: dict[str, str] = {}
    if dotenv is not None and dotenv.is_file():
        env.update(read_dotenv(dotenv))
    env.update({k: v for k, v in environ.items() if v is not None})

    token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    if token is not None and not _TOKEN_RE.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN: expected the form 123456:ABC-def (from @BotFather)")
    base_url = env.get("TELEGRAM_BASE_URL", "").strip() or TELEGRAM_BASE_URL
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"TELEGRAM_BASE_URL: expected an http(s) URL, got {base_url!r}")
    data_raw = env.get("DATA_DIR", "").strip()
    data_dir = Path(data_raw) if data_raw else default_data_dir(env, cwd)
    database_url = env.get("DATABASE_URL", "").strip() or sqlite_url(data_dir / "tutorbot.db")
    if not database_url.startswith(("sqlite", "postgresql")):
        raise ConfigError(
            "DATABASE_URL: expected sqlite+aiosqlite:///path.db or postgresql+asyncpg://..., "
            f"got {database_url.split(':', 1)[0]!r}"
        )
    scheme = database_url.split(":", 1)[0]
    if scheme.startswith("postgresql") and scheme != "postgresql+asyncpg":
        raise ConfigError(
            f"DATABASE_URL: the bot needs the asyncio driver: write postgresql+asyncpg://..., "
            f"not {scheme}://..."
        )
    if scheme.startswith("sqlite") and scheme != "sqlite+aiosqlite":
        raise ConfigError(
            f"DATABASE_URL: the bot needs the asyncio driver: write sqlite+aiosqlite:///..., "
            f"not {scheme}://..."
        )
    tz_name = env.get("DEFAULT_TIMEZONE", "").strip() or env.get("DEFAULT_TZ", "").strip() or "UTC"
    try:
        tz_name = parse_tz(tz_name)
    except ValueError as exc:
        raise ConfigError(f"DEFAULT_TIMEZONE: {exc}") from None
    level = (env.get("LOG_LEVEL", "").strip() or "INFO").upper()
    if level not in _LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL: expected one of {', '.join(_LOG_LEVELS)}, got {level!r}")
    webhook_url = env.get("WEBHOOK_URL", "").strip() or None
    if webhook_url is not None and not webhook_url.startswith("https://"):
        raise ConfigError("WEBHOOK_URL: Telegram requires an https:// URL")
    secret = env.get("WEBHOOK_SECRET", "").strip() or None
    if secret is not None and not _SECRET_RE.match(secret):
        raise ConfigError("WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -")
    port = int(_number(env, "WEBHOOK_PORT", 8443, low=1))
    if port > 65535:
        raise ConfigError(f"WEBHOOK_PORT: must be at most 65535, got {port}")
    admins: set[int] = set()
    for part in env.get("ADMIN_USER_IDS", "").replace(";", ",").split(","):
        if part.strip():
            try:
                admins.add(int(part.strip()))
            except ValueError:
                raise ConfigError(
                    f"ADMIN_USER_IDS: expected comma-separated numeric user ids, got {part!r}"
                ) from None
    health_raw = env.get("HEALTH_PORT", "").strip()
    health_port = int(_number(env, "HEALTH_PORT", 0, low=0)) if health_raw else None
    if health_port is not None and health_port > 65535:
        raise ConfigError(f"HEALTH_PORT: must be at most 65535, got {health_port}")
    log_format = (env.get("LOG_FORMAT", "").strip() or "text").lower()
    if log_format not in ("text", "json"):
        raise ConfigError(f"LOG_FORMAT: expected text or json, got {log_format!r}")
    sentry_dsn = env.get("SENTRY_DSN", "").strip() or None
    if sentry_dsn is not None and not re.match(r"^https?://[^@/\s]+@[^/\s]+/\S+$", sentry_dsn):
        raise ConfigError("SENTRY_DSN: expected https://<key>@<host>/<project> (from Sentry)")
    heartbeat = env.get("HEARTBEAT_FILE", "").strip()
    lessons_raw = env.get("LESSONS_DIR", "").strip()
    return Settings(
        bot_token=token,
        base_url=base_url,
        database_url=database_url,
        lessons_dir=Path(lessons_raw) if lessons_raw else default_lessons_dir(cwd),
        data_dir=data_dir,
        default_timezone=tz_name,
        log_level=level,
        tick_seconds=_number(env, "TICK_SECONDS", 5.0, low=0.05),
        catch_up_grace=timedelta(hours=_number(env, "DELIVERY_GRACE_HOURS", 3.0, low=0)),
        webhook_url=webhook_url,
        webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or "0.0.0.0",
        webhook_port=port,
        webhook_secret=secret,
        webhook_path=env.get("WEBHOOK_PATH", "").strip().strip("/") or "telegram",
        admin_user_ids=frozenset(admins),
        heartbeat_file=Path(heartbeat) if heartbeat else None,
        startup_retries=int(_number(env, "STARTUP_RETRIES", 5, low=1)),
        startup_backoff=_number(env, "STARTUP_BACKOFF_SECONDS", 2.0, low=0),
        startup_timeout=_number(env, "STARTUP_TIMEOUT_SECONDS", 10.0, low=0.05),
        health_port=health_port,
        health_listen=env.get("HEALTH_LISTEN", "").strip() or "127.0.0.1",
        log_format=log_format,
        sentry_dsn=sentry_dsn,
        sentry_environment=env.get("SENTRY_ENVIRONMENT", "").strip() or None,
    )
