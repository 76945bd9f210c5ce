"""The container's health probe (docker/healthcheck.py), run as Docker runs it: a subprocess whose
exit code says healthy or not, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import Config

PROBE = Path(__file__).resolve().parents[1] / "docker" / "healthcheck.py"


async def run_probe(health_port: str | None) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "HEALTH_PORT"}
    if health_port is not None:
        env["HEALTH_PORT"] = health_port
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(PROBE), env=env, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    return process.returncode, stdout.decode()


@pytest.fixture
async def healthz() -> AsyncIterator[tuple[int, dict[str, int]]]:
    """A /healthz whose answer the test sets, like the bot's: 200 when connected, 503 when not."""
    answer = {"status": 200}

    async def handler(_: web.Request) -> web.Response:
        ok = answer["status"] == 200
        return web.Response(status=answer["status"], text="ok" if ok else "gateway disconnected")

    app = web.Application()
    app.router.add_get("/healthz", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield port, answer
    await runner.cleanup()


async def test_container_is_healthy_while_healthz_answers_ok(healthz) -> None:
    port, _ = healthz
    code, output = await run_probe(str(port))
    assert code == 0
    assert output.strip() == "200 ok"


async def test_container_turns_unhealthy_with_the_reason_when_the_bot_reports_trouble(
    healthz,
) -> None:
    port, answer = healthz
    answer["status"] = 503
    code, output = await run_probe(str(port))
    assert code == 1
    assert output.strip() == "503 gateway disconnected"


async def test_container_is_unhealthy_when_nothing_listens_on_the_health_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    code, output = await run_probe(str(free_port))
    assert code == 1
    assert f"no answer from http://127.0.0.1:{free_port}/healthz" in output


async def test_a_disabled_health_endpoint_is_reported_not_probed() -> None:
    code, output = await run_probe("0")
    assert code == 1
    assert "healthcheck: {disable: true}" in output


def test_probe_and_bot_agree_on_the_port_when_health_port_is_blank_or_unset() -> None:
    spec = importlib.util.spec_from_file_location("healthcheck", PROBE)
    healthcheck = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(healthcheck)
    for env in ({}, {"HEALTH_PORT": " "}, {"HEALTH_PORT": "9100"}):
        bot_port = Config.from_env({"DISCORD_TOKEN": "not-a-real-token", **env}).health_port
        assert healthcheck.healthz_url(env) == f"http://127.0.0.1:{bot_port}/healthz"
