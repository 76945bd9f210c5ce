"""`/healthz` and `/metrics` over HTTP, for Docker's healthcheck and for Prometheus."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.metrics import prometheus_text

if TYPE_CHECKING:
    from bot.client import AtelierBot

log = logging.getLogger(__name__)


class HealthServer:
    def __init__(self, bot: AtelierBot, host: str, port: int) -> None:
        self._bot = bot
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        if self._port == 0 or self._runner is not None:
            return
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("health endpoint on http://%s:%d/healthz", self._host, self._port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, _: web.Request) -> web.Response:
        gateway = self._bot.gateway_connected
        engine = self._bot.pool.alive
        body = (
            f"gateway {'connected' if gateway else 'disconnected'}, "
            f"engine {'alive' if engine else 'down'}"
        )
        return web.Response(text=body + "\n", status=200 if gateway and engine else 503)

    async def metrics(self, _: web.Request) -> web.Response:
        text = prometheus_text(
            await self._bot.jobs.counts_by_state(),
            self._bot.pool.queue_length,
            self._bot.pool.running,
            self._bot.runner.durations,
            self._bot.gateway_connected,
        )
        return web.Response(text=text, content_type="text/plain", charset="utf-8")
