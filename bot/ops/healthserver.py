"""The health endpoint (HEALTH_PORT): /healthz, /readyz and /metrics over HTTP, on the bot's loop.

/healthz and /readyz answer 200 with {"status": "ok", ...} or 503 with {"status": "fail", ...};
/metrics is Prometheus' text format. The server runs on the bot's own event loop, so a blocked
loop shows as a probe that times out: what a liveness check should see.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from bot.ops.metrics import Metrics, Verdict

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[Verdict]]


@dataclass(frozen=True, slots=True)
class Probes:
    """What the endpoints ask."""

    liveness: Probe
    readiness: Probe
    metrics: Metrics


class _ProbeHandler(RequestHandler):
    def initialize(self, probe: Probe) -> None:
        self.probe = probe

    async def get(self) -> None:
        verdict = await self.probe()
        self.set_status(200 if verdict.ok else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(verdict.as_json()))

    def head(self) -> Awaitable[None]:
        return self.get()


class _MetricsHandler(RequestHandler):
    def initialize(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest(self.metrics.registry))


class HealthServer:
    """The endpoint: `start()` binds and serves on the running loop, `stop()` closes it."""

    def __init__(self, probes: Probes, *, listen: str, port: int) -> None:
        self.listen = listen
        self.port = port
        self._app = Application(
            [
                (r"/healthz", _ProbeHandler, {"probe": probes.liveness}),
                (r"/readyz", _ProbeHandler, {"probe": probes.readiness}),
                (r"/metrics", _MetricsHandler, {"metrics": probes.metrics}),
            ],
            log_function=lambda _handler: None,  # no access log: probes come every few seconds
        )
        self._server: HTTPServer | None = None
        self._sockets: list[socket.socket] = []

    @property
    def bound_port(self) -> int:
        """Return the port actually bound (HEALTH_PORT=0 picks a free one, for tests)."""
        if not self._sockets:
            return self.port
        return int(self._sockets[0].getsockname()[1])

    def start(self) -> None:
        """Bind the port and start serving (raises OSError when the port is taken)."""
        self._sockets = [_bind(self.listen, self.port)]
        self._server = HTTPServer(self._app)
        self._server.add_sockets(self._sockets)
        log.info(
            "health endpoint on http://%s:%d (/healthz /readyz /metrics)",
            self.listen,
            self.bound_port,
        )

    async def stop(self) -> None:
        """Stop accepting and close open connections."""
        if self._server is None:
            return
        self._server.stop()
        await self._server.close_all_connections()
        self._server = None
        self._sockets = []


def _bind(listen: str, port: int) -> socket.socket:
    """Bind and listen on one address (closing the socket when that fails)."""
    family = socket.AF_INET6 if ":" in listen else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((listen, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
