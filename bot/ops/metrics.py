"""What the bot knows about its own health: Prometheus metrics, vitals and the probe verdicts.

Pure of Telegram and the database: the Telegram layer feeds `Vitals` and `Metrics`; the health
server (bot/ops/healthserver.py) asks `liveness` and `readiness` for a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot import __version__
from bot.kinds import OUTCOME_STATUSES

# Update kinds: a small fixed set, so the metrics' label values stay bounded.
UPDATE_KINDS = ("command", "button", "poll_answer", "text", "member", "other")
# Seconds: handler latency from a few ms (a button) to seconds (a chart, a slow Telegram).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TICK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0, 3600.0)
# How recently Telegram must have answered for the bot to count as ready (seconds).
POLLING_MAX_SILENCE = 120.0  # getUpdates returns at least every 10 s (its long-poll timeout)
WEBHOOK_MAX_SILENCE = 600.0  # getWebhookInfo is asked every minute
FAILURES_NOT_READY = 3  # consecutive failed calls: not ready at once (one may be a blip)


class Metrics:
    """The bot's Prometheus instruments, in a registry of its own (one per application)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "tutorbot_updates", "Updates handled, by kind", ["kind"], registry=registry
        )
        self.update_seconds = Histogram(
            "tutorbot_update_seconds",
            "Time to handle one update (all handlers), by kind",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.update_errors = Counter(
            "tutorbot_update_errors", "Updates whose handler failed", registry=registry
        )
        self.answers = Counter(
            "tutorbot_answers_graded",
            "Answers graded, by how they came (poll, button, exam) and result",
            ["via", "result"],
            registry=registry,
        )
        self.deliveries = Counter(
            "tutorbot_deliveries",
            "Scheduled deliveries finished, by status (sent, retry, failed, dead, skipped, lost)",
            ["status"],
            registry=registry,
        )
        self.flood_waits = Counter(
            "tutorbot_telegram_flood_waits",
            "429 Too Many Requests answers met by the delivery pipeline",
            registry=registry,
        )
        self.tick_seconds = Histogram(
            "tutorbot_tick_duration_seconds",
            "Duration of one delivery tick (its whole drain)",
            buckets=TICK_BUCKETS,
            registry=registry,
        )
        self.writer_queue = Gauge(
            "tutorbot_writer_queue_depth",
            "Write transactions open or waiting for the database",
            registry=registry,
        )
        self.telegram_ok = Gauge(
            "tutorbot_telegram_last_success_timestamp_seconds",
            "When Telegram last answered getUpdates (or the webhook check), epoch seconds",
            registry=registry,
        )
        self.telegram_failures = Counter(
            "tutorbot_telegram_poll_failures",
            "Failed getUpdates calls (or webhook checks)",
            registry=registry,
        )
        info = Gauge("tutorbot_info", "Version of the running bot", ["version"], registry=registry)
        info.labels(version=__version__).set(1)
        for kind in UPDATE_KINDS:  # every series exists from the start (rate() needs a zero)
            self.updates.labels(kind=kind)
        for status in OUTCOME_STATUSES:
            self.deliveries.labels(status=status)

    def watch_writer_queue(self, depth: Callable[[], int]) -> None:
        """Read the writer queue depth from `depth` at every scrape."""
        self.writer_queue.set_function(lambda: float(depth()))


@dataclass
class Vitals:
    """The last signs of life, in epoch seconds (None: not yet)."""

    mode: str = "polling"  # or "webhook"
    started_at: float = 0.0
    telegram_ok_at: float | None = None
    telegram_error: str | None = None
    telegram_failures: int = 0  # consecutive, since the last success
    notes: dict[str, str] = field(default_factory=dict)

    def telegram_succeeded(self, now: float) -> int:
        """Record a successful call; return how many failures it ended (0: none)."""
        ended = self.telegram_failures
        self.telegram_ok_at = now
        self.telegram_error = None
        self.telegram_failures = 0
        return ended

    def telegram_failed(self, cause: str) -> int:
        """Record a failed call; return how many failures in a row this makes."""
        self.telegram_error = cause
        self.telegram_failures += 1
        return self.telegram_failures


@dataclass(frozen=True, slots=True)
class Check:
    """One probe item: its verdict and a short reason."""

    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """A probe's answer: ok when every check is."""

    checks: dict[str, Check]

    @property
    def ok(self) -> bool:
        """Tell whether every check passed."""
        return all(check.ok for check in self.checks.values())

    def as_json(self) -> dict[str, object]:
        """Return the verdict as the endpoint's JSON body."""
        return {
            "status": "ok" if self.ok else "fail",
            "checks": {n: {"ok": c.ok, "detail": c.detail} for n, c in self.checks.items()},
        }

    def summary(self) -> str:
        """Return one line: "ok" or the failed checks with their reasons."""
        if self.ok:
            return "ok: " + ", ".join(f"{n} {c.detail}" for n, c in self.checks.items())
        failed = [f"{n}: {c.detail}" for n, c in self.checks.items() if not c.ok]
        return "unhealthy: " + "; ".join(failed)


def telegram_check(vitals: Vitals, *, now: float) -> Check:
    """Judge whether Telegram answered recently enough (getUpdates, or the webhook check)."""
    limit = WEBHOOK_MAX_SILENCE if vitals.mode == "webhook" else POLLING_MAX_SILENCE
    what = "webhook" if vitals.mode == "webhook" else "getUpdates"
    if vitals.telegram_ok_at is None:
        if vitals.telegram_error:
            return Check(False, f"{what} failing: {vitals.telegram_error}")
        return Check(False, f"no {what} answer yet")
    age = max(0.0, now - vitals.telegram_ok_at)
    if vitals.telegram_failures >= FAILURES_NOT_READY:
        count = vitals.telegram_failures
        return Check(False, f"{what} failed {count} times in a row: {vitals.telegram_error}")
    if age > limit:
        cause = f": {vitals.telegram_error}" if vitals.telegram_error else ""
        return Check(False, f"last {what} success {age:.0f}s ago (limit {limit:.0f}s){cause}")
    return Check(True, f"{what} ok {age:.0f}s ago")


def readiness(*, database: Check, telegram: Check, tick: Check) -> Verdict:
    """Ready: the database answers, Telegram answered recently, the delivery tick is alive."""
    return Verdict({"database": database, "telegram": telegram, "tick": tick})


def liveness(*, tick: Check) -> Verdict:
    """Alive: the event loop answers (this runs on it) and the delivery tick keeps beating."""
    return Verdict({"loop": Check(True, "responsive"), "tick": tick})
