"""The bot service of docker-compose.yml started with `docker run`, for the container stories.

Docker Compose v2 is not on every machine CI runs on, so `BotService` reads the bot's settings
from docker-compose.yml (volume, env file, environment, healthcheck, stop grace period, user,
restart policy, logging) and turns each into the `docker run` flag Compose would give: the stories
start the container the compose file describes, and cannot drift from it. Two settings differ, both
because the fake Discord is a process on this machine: `--network host` (to reach it on 127.0.0.1),
and no NVIDIA GPU reservation (there is no GPU; the CUDA image paints on the CPU).

Every docker command here is awaited, never blocking: the fake Discord runs on the same event loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import shlex
import subprocess
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = REPO / "docker" / "build-image.sh"
DURATION = re.compile(r"^(\d+)(s|m)$")


def engine_missing() -> str | None:
    """Why no Docker engine can be used here, or None when one answers."""
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return "no `docker` command on this machine"
    except subprocess.TimeoutExpired:
        return "`docker info` got no answer within 30 s"
    if info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["no reason given"])[-1]
        return f"no Docker engine answers ({reason})"
    return None


def build_image(tag: str) -> str:
    """docker/build-image.sh: a no-op where CI has built this checkout already (layer cache)."""
    built = subprocess.run([str(BUILD_SCRIPT), tag], capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stdout + built.stderr
    return built.stdout.strip().splitlines()[-1]


def seconds(duration: str) -> int:
    """A Compose duration as used in docker-compose.yml ("60s", "2m")."""
    number, unit = DURATION.match(duration).groups()
    return int(number) * (60 if unit == "m" else 1)


@dataclass(frozen=True)
class BotService:
    """`services.bot` of docker-compose.yml, as `docker run` arguments."""

    settings: Mapping[str, Any]

    @classmethod
    @cache
    def from_compose(cls) -> BotService:
        compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
        return cls(compose["services"]["bot"])

    @property
    def image(self) -> str:
        return self.settings["image"]

    @property
    def data_dir(self) -> str:
        """Where the named volume is mounted in the container."""
        (mount,) = self.settings["volumes"]
        return mount.split(":")[1]

    @property
    def stop_grace_seconds(self) -> int:
        return seconds(self.settings["stop_grace_period"])

    def data_args(self, volume: str, env_file: Path) -> list[str]:
        """The volume and the environment: `environment` wins over the env file, as in Compose
        (a blank ATELIER_DATA_DIR= in .env would otherwise move the data off the volume)."""
        return [
            f"--volume={volume}:{self.data_dir}",
            f"--env-file={env_file}",
            *(f"--env={k}={v}" for k, v in self.settings.get("environment", {}).items()),
        ]

    def run_args(self, name: str, volume: str, env_file: Path, *extra: str) -> list[str]:
        """`docker create`/`run` options for this service and its image, with `volume` standing
        for the compose volume and `env_file` for its `.env`."""
        check = self.settings["healthcheck"]
        kind, *command = check["test"]
        assert kind == "CMD", "docker run takes a healthcheck command as one shell line"
        logging = self.settings.get("logging", {})
        args = [
            f"--name={name}",
            "--network=host",
            *self.data_args(volume, env_file),
            f"--restart={self.settings['restart']}",
            f"--stop-timeout={self.stop_grace_seconds}",
            f"--health-cmd={shlex.join(command)}",
            *(f"--health-{key.replace('_', '-')}={check[key]}" for key in HEALTH_TIMES),
            f"--health-retries={check['retries']}",
        ]
        if "user" in self.settings:
            args.append(f"--user={self.settings['user']}")
        if "driver" in logging:
            args.append(f"--log-driver={logging['driver']}")
            args += [f"--log-opt={k}={v}" for k, v in logging.get("options", {}).items()]
        return [*args, *extra, self.image]


HEALTH_TIMES = ("interval", "timeout", "start_period")


def env_file(path: Path, settings: Mapping[str, str]) -> Path:
    """A `.env` as an admin makes it: .env.example with their values filled in."""
    lines = []
    for line in (REPO / ".env.example").read_text().splitlines():
        name = line.partition("=")[0]
        if name in settings and not line.startswith("#"):
            line = f"{name}={settings[name]}"
        lines.append(line)
    missing = set(settings) - {line.partition("=")[0] for line in lines}
    lines += [f"{name}={settings[name]}" for name in sorted(missing)]
    path.write_text("\n".join(lines) + "\n")
    return path


async def docker(*args: str, timeout: float = 120) -> str:
    """Run a docker command; its output, or an AssertionError with what it said."""
    process = await asyncio.create_subprocess_exec(
        "docker", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, f"docker {shlex.join(args)}: {output.decode()}"
    return output.decode()


@dataclass(frozen=True)
class Container:
    name: str

    async def state(self) -> dict[str, Any]:
        return json.loads(await docker("inspect", "--format={{json .State}}", self.name))

    async def inspect(self, template: str) -> str:
        return (await docker("inspect", f"--format={template}", self.name)).strip()

    async def wait_for_health(self, status: str, timeout: float) -> dict[str, Any]:
        """Docker runs the probe on its own schedule; ask until it says `status`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while (state := await self.state())["Health"]["Status"] != status:
            assert state["Running"], f"{self.name} stopped: {await self.logs()}"
            assert asyncio.get_running_loop().time() < deadline, state["Health"]
            await asyncio.sleep(1)
        return state

    async def exec(self, *command: str, timeout: float = 120) -> str:
        return await docker("exec", self.name, *command, timeout=timeout)

    async def stop(self) -> int:
        """`docker stop`: SIGTERM, then SIGKILL after the grace period. The exit code."""
        await docker("stop", self.name, timeout=300)
        return (await self.state())["ExitCode"]

    async def start(self) -> None:
        await docker("start", self.name)

    async def logs(self) -> str:
        return await docker("logs", self.name)


@asynccontextmanager
async def volume() -> AsyncIterator[str]:
    """A named volume of its own, as Compose creates `atelier_data`, removed afterwards."""
    name = f"atelier-test-{uuid.uuid4().hex[:8]}"
    await docker("volume", "create", name)
    try:
        yield name
    finally:
        await docker("volume", "rm", "--force", name)


@asynccontextmanager
async def created(
    service: BotService, data: str, env: Path, *extra: str
) -> AsyncIterator[Container]:
    """The bot's container on volume `data`, created (`start()` runs it); its log is printed if
    the story fails, and it is removed afterwards."""
    name = f"atelier-test-{uuid.uuid4().hex[:8]}"
    await docker("create", *service.run_args(name, data, env, *extra))
    container = Container(name)
    try:
        yield container
    except BaseException:
        print(f"--- docker logs {name}\n{await container.logs()}")
        raise
    finally:
        await docker("rm", "--force", name)


async def one_off(service: BotService, data: str, env: Path, *command: str) -> str:
    """`docker compose run --rm bot COMMAND`: the image, volume and environment, once; leading
    `--` options of COMMAND (e.g. `--user=root`) go to `docker run`."""
    options = list(itertools.takewhile(lambda word: word.startswith("--"), command))
    return await docker(
        "run",
        "--rm",
        *options,
        *service.data_args(data, env),
        service.image,
        *command[len(options) :],
        timeout=300,
    )
