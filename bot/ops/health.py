"""`/healthz` and `/metrics` over HTTP, for Docker's healthcheck and for Prometheus.

The server knows nothing of the bot: it asks a snapshot callable for the state of the moment and
renders the bot's `Metrics`. Use it as `async with HealthServer(...)`; port 0 serves nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

from aiohttp import web

from bot.ops.metrics import CONTENT_TYPE, Metrics, Snapshot

log = logging.getLogger(__name__)

SnapshotSource = Callable[[], Awaitable[Snapshot]]


class HealthPortUnavailable(Exception):
    """HEALTH_HOST:HEALTH_PORT cannot be listened on; the message says what to change."""


class HealthServer:
    def __init__(self, snapshot: SnapshotSource, metrics: Metrics, host: str, port: int) -> None:
        self._snapshot = snapshot
        self._metrics = metrics
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> HealthServer:
        if self._port == 0:
            return self
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self._host, self._port).start()
        except BaseException as error:
            await self._runner.cleanup()
            self._runner = None
            if isinstance(error, OSError):
                raise HealthPortUnavailable(
                    f"cannot serve /healthz on {self._host}:{self._port} ({error.strerror}); "
                    "set HEALTH_PORT to a free port, or to 0 to turn the endpoint off"
                ) from None
            raise
        log.info("health endpoint on http://%s:%d/healthz", self._host, self._port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, _: web.Request) -> web.Response:
        snapshot = await self._snapshot()
        return web.Response(
            text=snapshot.health_line() + "\n", status=200 if snapshot.healthy else 503
        )

    async def metrics(self, _: web.Request) -> web.Response:
        self._metrics.observe(await self._snapshot())
        return web.Response(body=self._metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})
