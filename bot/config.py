"""The bot's settings, read once from the environment (and `.env`). Every default lives here."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TypeVar

from dotenv import load_dotenv

from engine.params import MAX_SIZE, MIN_SIZE, StyleParams

T = TypeVar("T")

# What a job gets when nobody asked for anything: the engine's own defaults, not a second copy.
ENGINE_DEFAULTS = StyleParams()

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"

# Process exit codes `python -m bot` uses, so a supervisor can tell a bad setup from a crash.
EXIT_CRASH = 1
EXIT_CONFIG = 2
EXIT_LOGIN_REJECTED = 3

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and says what to do."""


@dataclass(frozen=True)
class Limits:
    """Bot-wide defaults and the hard ceilings no server setting can raise."""

    default_iterations: int = ENGINE_DEFAULTS.iterations
    default_size: int = ENGINE_DEFAULTS.size
    max_iterations: int = 1000
    max_size: int = 1024
    max_input_bytes: int = 20 * 1024 * 1024
    max_input_pixels: int = 40_000_000


@dataclass(frozen=True)
class Config:
    token: str = field(repr=False)
    data_dir: Path = Path("data")
    engine_devices: tuple[str, ...] | None = None  # None: let the pool pick (every GPU, else CPU)
    engine_workers: int | None = None
    engine_max_queue: int = 100
    engine_job_timeout: float = 900.0
    engine_weights: str = "embedded"  # or "torchvision", or a path to a .pth file
    limits: Limits = field(default_factory=Limits)
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    health_host: str = "0.0.0.0"
    health_port: int = 8080  # 0 turns the health endpoint off
    api_base: str = DISCORD_API_BASE
    gateway_url: str | None = None  # None: Discord's, or asked from a custom API base
    status_edit_seconds: float = 3.0  # at most one edit of a job's status message this often
    retention_hours: float = 72.0  # input and result files are deleted this long after a job ends

    @property
    def database_path(self) -> Path:
        return self.data_dir / "atelier.sqlite3"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def styles_dir(self) -> Path:
        """The server style libraries' pictures, beside the database so backups hold both."""
        return self.data_dir / "styles"

    @property
    def custom_api_base(self) -> bool:
        return self.api_base != DISCORD_API_BASE

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        token = env.get("DISCORD_TOKEN", "").strip()
        if not token:
            raise ConfigError(
                "DISCORD_TOKEN is not set. Create a bot in the Discord Developer Portal "
                "(Applications → your app → Bot → Reset Token) and put it in .env as "
                "DISCORD_TOKEN=..."
            )
        reader = _Reader(env)
        defaults = Limits()
        limits = Limits(
            **{
                f.name: reader.integer(f.name.upper(), getattr(defaults, f.name))
                for f in fields(Limits)
            }
        )
        _check_limits(limits)
        devices = reader.text("ENGINE_DEVICES", "")
        return cls(
            token=token,
            data_dir=Path(reader.text("ATELIER_DATA_DIR", "data")),
            engine_devices=tuple(d.strip() for d in devices.split(",") if d.strip()) or None,
            engine_workers=reader.integer("ENGINE_WORKERS", None),
            engine_max_queue=reader.integer("ENGINE_MAX_QUEUE", 100),
            engine_job_timeout=reader.number("ENGINE_JOB_TIMEOUT", 900.0),
            engine_weights=reader.text("ENGINE_WEIGHTS", "embedded"),
            limits=limits,
            dev_guild_id=reader.integer("DEV_GUILD_ID", None),
            log_level=reader.choice("LOG_LEVEL", "INFO", LOG_LEVELS),
            health_host=reader.text("HEALTH_HOST", "0.0.0.0"),
            health_port=reader.integer("HEALTH_PORT", 8080, minimum=0),
            api_base=reader.text("DISCORD_API_BASE", DISCORD_API_BASE).rstrip("/"),
            gateway_url=reader.text("DISCORD_GATEWAY_URL", "") or None,
            status_edit_seconds=reader.number("STATUS_EDIT_SECONDS", 3.0),
            retention_hours=reader.number("RETENTION_HOURS", 72.0),
        )


def load_config(dotenv_path: str | Path | None = None) -> Config:
    """Environment first; a `.env` file fills in what the environment leaves unset."""
    load_dotenv(dotenv_path or Path.cwd() / ".env", override=False)
    return Config.from_env(os.environ)


def _check_limits(limits: Limits) -> None:
    if limits.default_iterations > limits.max_iterations:
        raise ConfigError("DEFAULT_ITERATIONS must not be above MAX_ITERATIONS")
    if limits.default_size > limits.max_size:
        raise ConfigError("DEFAULT_SIZE must not be above MAX_SIZE")
    for name, size in (("DEFAULT_SIZE", limits.default_size), ("MAX_SIZE", limits.max_size)):
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise ConfigError(f"{name} must be between {MIN_SIZE} and {MAX_SIZE} px, got {size}")


@dataclass(frozen=True)
class _Reader:
    env: Mapping[str, str]

    def text(self, name: str, default: str) -> str:
        return self.env.get(name, "").strip() or default

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default).upper()
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def integer(self, name: str, default: int | None, *, minimum: int = 1) -> int | None:
        value = self._parsed(name, int, "a whole number")
        if value is None:
            return default
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        return value

    def number(self, name: str, default: float) -> float:
        value = self._parsed(name, float, "a number")
        if value is None:
            return default
        if value <= 0:
            raise ConfigError(f"{name} must be above 0, got {value}")
        return value

    def _parsed(self, name: str, kind: Callable[[str], T], what: str) -> T | None:
        raw = self.env.get(name, "").strip()
        if not raw:
            return None
        try:
            return kind(raw)
        except ValueError:
            raise ConfigError(f"{name} must be {what}, got {raw!r}") from None
