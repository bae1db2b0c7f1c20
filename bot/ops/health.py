"""The container health check: is the delivery tick's heartbeat file fresh?"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MIN_MAX_AGE = 60.0


@dataclass(frozen=True, slots=True)
class Health:
    """The verdict and a one-line reason."""

    ok: bool
    message: str


def default_max_age(tick_seconds: float) -> float:
    """Return how old the heartbeat may get: three ticks, but never under a minute."""
    return max(3 * tick_seconds, MIN_MAX_AGE)


def check_heartbeat(path: Path, *, max_age: float, now: float) -> Health:
    """Judge the heartbeat file by its modification time (`now` in epoch seconds)."""
    try:
        modified = path.stat().st_mtime
    except FileNotFoundError:
        return Health(False, f"unhealthy: heartbeat file {path} is missing (the tick has not run)")
    except OSError as exc:
        return Health(False, f"unhealthy: cannot read heartbeat file {path}: {exc.strerror}")
    age = max(0.0, now - modified)  # a clock step backwards counts as fresh
    if age > max_age:
        return Health(
            False, f"unhealthy: heartbeat is {age:.0f}s old (limit {max_age:.0f}s): {path}"
        )
    return Health(True, f"ok: heartbeat {age:.0f}s old (limit {max_age:.0f}s)")
