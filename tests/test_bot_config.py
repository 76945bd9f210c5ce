"""Configuration from the environment: defaults, clear errors, and a token that never shows."""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import get_type_hints

import pytest

from bot.config import (
    DISCORD_API_BASE,
    EXIT_CONFIG,
    Config,
    ConfigError,
    Limits,
)
from bot.ops.log import RedactSecrets
from bot.store.database import MIGRATIONS

TOKEN = "MTIzNDU2Nzg5.secret-token-value"
REPO = Path(__file__).resolve().parents[1]


def test_a_token_alone_gives_the_dataclass_defaults() -> None:
    """Each default is written once, on the dataclass field: the environment adds nothing."""
    assert Config.from_env({"DISCORD_TOKEN": TOKEN}) == Config(token=TOKEN)


def test_a_token_alone_gives_the_documented_defaults() -> None:
    config = Config.from_env({"DISCORD_TOKEN": TOKEN})
    assert config.token == TOKEN
    assert config.limits == Limits()
    assert config.api_base == DISCORD_API_BASE and not config.custom_api_base
    assert config.gateway_url is None
    assert config.engine_devices is None and config.engine_workers is None
    assert config.engine_ray_address == ""  # local worker processes
    assert config.database_path == Path("data") / "atelier.sqlite3"
    assert config.health_port == 8080


def variable_names(cls: type) -> set[str]:
    """Every variable a settings dataclass reads: a field's own `env` name, else its name in
    capitals; a nested dataclass's fields too."""
    hints = get_type_hints(cls)
    names: set[str] = set()
    for f in fields(cls):
        if is_dataclass(hints[f.name]):
            names |= variable_names(hints[f.name])
        else:
            names.add(f.metadata.get("env") or f.name.upper())
    return names


def test_every_variable_is_read() -> None:
    env = {
        "DISCORD_TOKEN": TOKEN,
        "ATELIER_DATA_DIR": "/srv/atelier",
        "ENGINE_DEVICES": "cuda:0, cuda:1",
        "ENGINE_WORKERS": "4",
        "ENGINE_WEIGHTS": "torchvision",
        "ENGINE_RAY_ADDRESS": "10.0.0.1:6379",
        "MAX_ITERATIONS": "500",
        "DEFAULT_ITERATIONS": "100",
        "MAX_SIZE": "768",
        "DEFAULT_SIZE": "256",
        "MAX_INPUT_BYTES": "1000000",
        "MAX_INPUT_PIXELS": "2000000",
        "DEV_GUILD_ID": "42",
        "LOG_LEVEL": "debug",
        "HEALTH_PORT": "0",
        "DISCORD_API_BASE": "http://127.0.0.1:9000/api/v10/",
        "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9000/gateway",
        "STATUS_EDIT_SECONDS": "0.5",
        "RETENTION_HOURS": "1",
        "ENGINE_MAX_QUEUE": "7",
        "ENGINE_JOB_TIMEOUT": "90",
        "HEALTH_HOST": "0.0.0.0",
        "MIN_FREE_DISK_MB": "250",
        "MEMBER_ACTIONS_PER_MINUTE": "12",
        "MAX_QUEUED_PER_GUILD": "7",
        "ALLOWED_GUILDS": "111, 222,",
        "MAX_FRAMES": "30",
        "MAX_CLIP_SECONDS": "4",
        "MAX_FPS": "12",
        "MAX_ANIMATION_SIZE": "128",
    }
    assert set(env) == variable_names(Config)  # a new setting must be added here too
    config = Config.from_env(env)
    assert config.data_dir == Path("/srv/atelier")
    assert config.engine_devices == ("cuda:0", "cuda:1")
    assert config.engine_workers == 4
    assert config.engine_weights == "torchvision"
    assert config.engine_ray_address == "10.0.0.1:6379"
    assert config.limits == Limits(100, 256, 500, 768, 1_000_000, 2_000_000, 30, 4, 12, 128)
    assert config.dev_guild_id == 42
    assert config.log_level == "DEBUG"
    assert config.health_port == 0
    assert config.api_base == "http://127.0.0.1:9000/api/v10" and config.custom_api_base
    assert config.gateway_url == "ws://127.0.0.1:9000/gateway"
    assert config.status_edit_seconds == 0.5 and config.retention_hours == 1
    assert config.engine_max_queue == 7 and config.engine_job_timeout == 90
    assert config.health_host == "0.0.0.0"
    assert config.max_queued_per_guild == 7
    assert config.allowed_guilds == frozenset({111, 222})
    assert config.min_free_disk_mb == 250 and config.member_actions_per_minute == 12
    assert (config.limits.max_frames, config.limits.max_clip_seconds) == (30, 4)
    assert config.limits.max_fps == 12


def test_every_variable_is_documented_in_env_example() -> None:
    example = (REPO / ".env.example").read_text()
    for name in sorted(variable_names(Config)):
        assert f"\n{name}=" in example, name


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DISCORD_TOKEN is not set"),
        ({"DISCORD_TOKEN": "  "}, "DISCORD_TOKEN is not set"),
        ({"DISCORD_TOKEN": TOKEN, "MAX_SIZE": "big"}, "MAX_SIZE must be a whole number"),
        ({"DISCORD_TOKEN": TOKEN, "MAX_SIZE": "9000"}, "MAX_SIZE must be between 16 and 4096"),
        ({"DISCORD_TOKEN": TOKEN, "DEFAULT_SIZE": "2000"}, "DEFAULT_SIZE must not be above"),
        ({"DISCORD_TOKEN": TOKEN, "ENGINE_WORKERS": "0"}, "ENGINE_WORKERS must be at least 1"),
        ({"DISCORD_TOKEN": TOKEN, "LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of"),
        ({"DISCORD_TOKEN": TOKEN, "STATUS_EDIT_SECONDS": "-1"}, "must be above 0"),
        ({"DISCORD_TOKEN": TOKEN, "ALLOWED_GUILDS": "12, my server"}, "ALLOWED_GUILDS must be"),
        ({"DISCORD_TOKEN": TOKEN, "MAX_QUEUED_PER_GUILD": "0"}, "must be at least 1"),
    ],
)
def test_bad_settings_say_which_variable_and_why(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.from_env(env)


def test_the_token_never_shows_in_repr_or_str() -> None:
    config = Config.from_env({"DISCORD_TOKEN": TOKEN})
    assert TOKEN not in repr(config) and TOKEN not in str(config)


def test_log_lines_never_contain_the_token(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactSecrets([TOKEN]))
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("connecting with %s", TOKEN)
            try:
                raise RuntimeError(f"bad header Bot {TOKEN}")
            except RuntimeError:
                logger.exception("request failed")
    finally:
        logger.filters.clear()
    assert caplog.records
    assert TOKEN not in caplog.text
    assert "[redacted]" in caplog.text


def test_missing_token_exits_with_a_clear_message_and_its_own_code(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == EXIT_CONFIG
    assert "DISCORD_TOKEN is not set" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_loads_config_database_and_weights_without_discord(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path),
        "DISCORD_TOKEN": "not-a-real-token",  # --check never talks to Discord
        "ATELIER_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "database: " in done.stdout and f"schema version {len(MIGRATIONS)}" in done.stdout
    assert "engine weights: embedded VGG-19" in done.stdout
    assert (tmp_path / "data" / "atelier.sqlite3").is_file()
