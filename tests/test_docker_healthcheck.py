"""The container's health probe (docker/healthcheck.py), run as Docker runs it: a subprocess whose
exit code says healthy or not, asking the bot's real /healthz endpoint (bot.ops.health.HealthServer)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Config
from bot.ops.health import HealthPortUnavailable, HealthServer
from bot.ops.metrics import Metrics, Snapshot

PROBE = Path(__file__).resolve().parents[1] / "docker" / "healthcheck.py"


@dataclass
class BotState:
    """The two facts /healthz reports, which the test can flip as a live bot's would change."""

    gateway_connected: bool = True
    engine_alive: bool = True

    async def snapshot(self) -> Snapshot:
        return Snapshot(self.gateway_connected, self.engine_alive)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def run_probe(health_port: str | None) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "HEALTH_PORT"}
    if health_port is not None:
        env["HEALTH_PORT"] = health_port
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(PROBE), env=env, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    return process.returncode, stdout.decode().strip()


@pytest.fixture
async def bot_health() -> AsyncIterator[tuple[int, BotState]]:
    state = BotState()
    port = free_port()
    async with HealthServer(state.snapshot, Metrics(), "127.0.0.1", port):
        yield port, state


async def test_container_is_healthy_while_the_bot_is_connected_and_its_engine_alive(
    bot_health,
) -> None:
    port, _ = bot_health
    assert await run_probe(str(port)) == (0, "200 gateway connected, engine alive")


async def test_container_turns_unhealthy_with_the_reason_when_the_gateway_drops(bot_health) -> None:
    port, state = bot_health
    state.gateway_connected = False
    assert await run_probe(str(port)) == (1, "503 gateway disconnected, engine alive")


async def test_container_turns_unhealthy_when_the_engine_pool_dies(bot_health) -> None:
    port, state = bot_health
    state.engine_alive = False
    assert await run_probe(str(port)) == (1, "503 gateway connected, engine down")


async def test_container_is_unhealthy_when_nothing_listens_on_the_health_port() -> None:
    port = free_port()
    code, output = await run_probe(str(port))
    assert code == 1
    assert output.startswith(f"no answer from http://127.0.0.1:{port}/healthz")


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


async def test_a_health_port_in_use_is_a_clear_sentence_not_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(
            HealthPortUnavailable, match=f"cannot serve /healthz on 127.0.0.1:{port}"
        ):
            async with HealthServer(BotState().snapshot, Metrics(), "127.0.0.1", port):
                pass
