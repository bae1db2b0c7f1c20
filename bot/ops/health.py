"""The container health check: ask the health endpoint, or judge the tick's heartbeat file."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
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


PROBE_TIMEOUT = 5.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def endpoint_url(listen: str, port: int, *, ready: bool = False) -> str:
    """Return the URL of /healthz (or /readyz) for a HEALTH_LISTEN and HEALTH_PORT."""
    host = "127.0.0.1" if listen in ("", "0.0.0.0") else "[::1]" if listen == "::" else listen
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/{'readyz' if ready else 'healthz'}"


def probe_endpoint(url: str, *, timeout: float = PROBE_TIMEOUT) -> Health:
    """GET a probe endpoint; healthy on 200, with the failed checks named otherwise."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()
        return Health(False, f"unhealthy: {url}: HTTP {exc.code}: {_failed_checks(body)}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Health(False, f"unhealthy: {url}: no answer ({reason})")
    return Health(True, f"ok: {url}")


def _failed_checks(body: bytes) -> str:
    try:
        checks = json.loads(body)["checks"]
        failed = [f"{name}: {c['detail']}" for name, c in checks.items() if not c["ok"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return body[:200].decode("utf-8", "replace")
    return "; ".join(failed) or "failed"
