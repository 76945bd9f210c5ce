"""The bot's settings, read once from the environment (and `.env`). Every default lives here."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar, get_args, get_type_hints

from dotenv import load_dotenv

from engine.images import DEFAULT_MAX_PIXELS
from engine.motion.settings import AnimationSettings
from engine.params import DEFAULT_WEIGHTS, MAX_SIZE, MIN_SIZE, StyleParams
from engine.pool.scheduler import DEFAULT_JOB_TIMEOUT, DEFAULT_MAX_QUEUE

T = TypeVar("T")

# What a job gets when nobody asked for anything: the engine's own defaults, not a second copy.
ENGINE_DEFAULTS = StyleParams()
ANIMATION_DEFAULTS = AnimationSettings()

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"

# Process exit codes `python -m bot` uses, so a supervisor can tell a bad setup from a crash.
EXIT_CRASH = 1
EXIT_CONFIG = 2
EXIT_LOGIN_REJECTED = 3
EXIT_ENGINE_UNAVAILABLE = 4
EXIT_ALREADY_RUNNING = 5  # another bot holds the data directory's lock

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and says what to do."""


def setting(
    default: object,
    *,
    env: str | None = None,
    minimum: float | None = None,
    choices: tuple[str, ...] = (),
    clean: Callable[[str], str] | None = None,
) -> Any:
    """A field whose default is written here once and read from `env` (default: its name in
    capitals). Whole numbers must be at least `minimum` (default 1), other numbers above it
    (default 0); a blank variable means the default."""
    metadata = {"env": env, "minimum": minimum, "choices": choices, "clean": clean}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Limits:
    """Bot-wide defaults and the hard ceilings no server setting can raise."""

    default_iterations: int = ENGINE_DEFAULTS.iterations
    default_size: int = ENGINE_DEFAULTS.size
    max_iterations: int = 1000
    max_size: int = 1024
    max_input_bytes: int = 20 * 1024 * 1024
    max_input_pixels: int = DEFAULT_MAX_PIXELS
    # An animated content or video clip: painted up to this many frames, seconds, frames a second.
    max_frames: int = ANIMATION_DEFAULTS.max_frames
    max_clip_seconds: float = ANIMATION_DEFAULTS.max_seconds
    max_fps: float = ANIMATION_DEFAULTS.max_fps
    # Every frame is a painting: a smaller ceiling than a still's keeps a clip's time in reach.
    max_animation_size: int = 512


@dataclass(frozen=True)
class Config:
    token: str = field(repr=False, metadata={"env": "DISCORD_TOKEN"})
    data_dir: Path = setting(Path("data"), env="ATELIER_DATA_DIR")
    engine_devices: tuple[str, ...] | None = None  # None: let the pool pick (every GPU, else CPU)
    engine_workers: int | None = None
    engine_max_queue: int = DEFAULT_MAX_QUEUE
    # Half the whole queue: one server (one owner of many) cannot fill it for the others.
    max_queued_per_guild: int = DEFAULT_MAX_QUEUE // 2
    allowed_guilds: frozenset[int] = frozenset()  # empty: any server may add the bot
    engine_job_timeout: float = DEFAULT_JOB_TIMEOUT
    engine_weights: str = DEFAULT_WEIGHTS  # or "torchvision", or a path to a .pth file
    engine_ray_address: str = ""  # HOST:PORT of a Ray cluster's head; empty: local workers
    limits: Limits = field(default_factory=Limits)
    dev_guild_id: int | None = None
    log_level: str = setting("INFO", choices=LOG_LEVELS, clean=str.upper)
    health_host: str = "127.0.0.1"  # 0.0.0.0 for a Prometheus outside the container
    health_port: int = setting(8080, minimum=0)  # 0 turns the health endpoint off
    api_base: str = setting(
        DISCORD_API_BASE, env="DISCORD_API_BASE", clean=lambda url: url.rstrip("/")
    )
    gateway_url: str | None = setting(None, env="DISCORD_GATEWAY_URL")  # None: Discord's or asked
    status_edit_seconds: float = 3.0  # at most one edit of a job's status message this often
    retention_hours: float = 72.0  # input and result files are deleted this long after a job ends
    # New jobs are refused while the data directory's disk has less free than this; running
    # jobs finish. 0 turns the floor off.
    min_free_disk_mb: int = setting(500, minimum=0)
    # Commands and buttons one member may use a minute, across servers; 0: no limit.
    member_actions_per_minute: int = setting(30, minimum=0)

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
    def from_env(cls, env: Mapping[str, str], *, require_token: bool = True) -> Config:
        """Each field from its variable; a blank or missing one keeps the field's default.

        `require_token=False` is for commands that never talk to Discord (backup, restore)."""
        if not require_token:
            env = {"DISCORD_TOKEN": "", **env}
        elif not env.get("DISCORD_TOKEN", "").strip():
            raise ConfigError(
                "DISCORD_TOKEN is not set. Create a bot in the Discord Developer Portal "
                "(Applications → your app → Bot → Reset Token) and put it in .env as "
                "DISCORD_TOKEN=..."
            )
        config = _from_env(cls, env)
        _check_limits(config.limits)
        return config


def _from_env(cls: type[T], env: Mapping[str, str]) -> T:
    """Build the dataclass `cls` from `env`; nested dataclasses read their own fields."""
    hints = get_type_hints(cls)
    values: dict[str, object] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        kind = hints[f.name]
        if is_dataclass(kind):
            values[f.name] = _from_env(kind, env)
            continue
        name = f.metadata.get("env") or f.name.upper()
        raw = env.get(name, "").strip()
        required = f.default is MISSING and f.default_factory is MISSING
        if raw or required:
            values[f.name] = _parse(name, raw, kind, f.metadata)
    return cls(**values)


def _parse(name: str, raw: str, kind: object, meta: Mapping[str, Any]) -> object:
    clean = meta.get("clean")
    raw = clean(raw) if clean else raw
    if kind == frozenset[int]:
        return _ids(name, raw)
    base = next((t for t in get_args(kind) if t is not type(None)), kind)
    if base is int or base is float:
        try:
            value = base(raw)
        except ValueError:
            what = "a whole number" if base is int else "a number"
            raise ConfigError(f"{name} must be {what}, got {raw!r}") from None
        minimum = meta.get("minimum")
        if base is int and value < (1 if minimum is None else minimum):
            raise ConfigError(
                f"{name} must be at least {1 if minimum is None else minimum}, got {value}"
            )
        if base is float and value <= (minimum or 0):
            raise ConfigError(f"{name} must be above {minimum or 0}, got {value}")
        return value
    if base == tuple[str, ...]:
        return tuple(part.strip() for part in raw.split(",") if part.strip()) or None
    choices = meta.get("choices")
    if choices and raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    if base is Path:
        return Path(raw)
    if base is not str:  # a new field of another type needs its reader here, not a silent str
        raise TypeError(f"no reader for {name}'s type {kind}")
    return raw


def _ids(name: str, raw: str) -> frozenset[int]:
    """Comma-separated Discord ids (snowflakes)."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    bad = [part for part in parts if not part.isdigit()]
    if bad:
        raise ConfigError(
            f"{name} must be comma-separated server ids (Developer Mode → right-click the "
            f"server → Copy Server ID), got {bad[0]!r}"
        )
    return frozenset(int(part) for part in parts)


def load_config(dotenv_path: str | Path | None = None, *, require_token: bool = True) -> Config:
    """Environment first; a `.env` file fills in what the environment leaves unset."""
    load_dotenv(dotenv_path or Path.cwd() / ".env", override=False)
    return Config.from_env(os.environ, require_token=require_token)


def _check_limits(limits: Limits) -> None:
    if limits.default_iterations > limits.max_iterations:
        raise ConfigError("DEFAULT_ITERATIONS must not be above MAX_ITERATIONS")
    if limits.default_size > limits.max_size:
        raise ConfigError("DEFAULT_SIZE must not be above MAX_SIZE")
    sizes = (
        ("DEFAULT_SIZE", limits.default_size),
        ("MAX_SIZE", limits.max_size),
        ("MAX_ANIMATION_SIZE", limits.max_animation_size),
    )
    for name, size in sizes:
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise ConfigError(f"{name} must be between {MIN_SIZE} and {MAX_SIZE} px, got {size}")
