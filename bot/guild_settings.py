"""Per-server limits moderators set with `/atelier-admin settings`, and where they are stored."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields, replace

from bot.config import Limits
from bot.database import Database
from engine.params import MIN_SIZE

DEFAULT_JOBS_PER_MEMBER = 2
MAX_JOBS_PER_MEMBER = 20
MAX_COOLDOWN_SECONDS = 24 * 3600


@dataclass(frozen=True)
class GuildSettings:
    """None means "the bot's own default"; an empty `allowed_channels` means every channel."""

    guild_id: int | None
    max_iterations: int | None = None
    max_size: int | None = None
    default_iterations: int | None = None
    default_size: int | None = None
    jobs_per_member: int = DEFAULT_JOBS_PER_MEMBER
    cooldown_seconds: int = 0
    allowed_channels: frozenset[int] = frozenset()
    spoiler_by_default: bool = False  # results posted behind a spoiler unless asked otherwise
    input_thumbnails: bool = True  # False: no input thumbnails in channels not marked NSFW


class SettingsError(ValueError):
    """A moderator asked for a setting that cannot work; the message says why."""


def changed_settings(current: GuildSettings, limits: Limits, **changes: object) -> GuildSettings:
    """`current` with `changes` applied, refusing combinations that break the bot's hard limits."""
    updated = replace(current, **changes)
    _at_most("max iterations", updated.max_iterations, limits.max_iterations, 1)
    _at_most("max size", updated.max_size, limits.max_size, MIN_SIZE)
    _at_most("default iterations", updated.default_iterations, limits.max_iterations, 1)
    _at_most("default size", updated.default_size, limits.max_size, MIN_SIZE)
    _at_most("jobs per member", updated.jobs_per_member, MAX_JOBS_PER_MEMBER, 1)
    _at_most("cooldown", updated.cooldown_seconds, MAX_COOLDOWN_SECONDS, 0)
    max_iterations = updated.max_iterations or limits.max_iterations
    max_size = updated.max_size or limits.max_size
    if updated.default_iterations and updated.default_iterations > max_iterations:
        raise SettingsError(
            f"default iterations ({updated.default_iterations}) cannot be above "
            f"max iterations ({max_iterations})"
        )
    if updated.default_size and updated.default_size > max_size:
        raise SettingsError(
            f"default size ({updated.default_size} px) cannot be above max size ({max_size} px)"
        )
    return updated


def _at_most(name: str, value: int | None, ceiling: int, floor: int) -> None:
    if value is None:
        return
    if value < floor:
        raise SettingsError(f"{name} must be at least {floor}, got {value}")
    if value > ceiling:
        raise SettingsError(f"{name} can be at most {ceiling} on this bot, got {value}")


_COLUMNS = tuple(f.name for f in fields(GuildSettings))
_FLAGS = tuple(f.name for f in fields(GuildSettings) if f.type == "bool")


def _from_row(row: sqlite3.Row) -> GuildSettings:
    values = {name: row[name] for name in _COLUMNS}
    channels = values.pop("allowed_channels")
    values.update({name: bool(values[name]) for name in _FLAGS})  # SQLite keeps 0 / 1
    return GuildSettings(
        **values, allowed_channels=frozenset(int(c) for c in channels.split(",") if c)
    )


class GuildSettingsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int | None) -> GuildSettings:
        if guild_id is None:  # direct messages: the bot's defaults
            return GuildSettings(guild_id=None)
        row = await self._db.fetch_one(
            "SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        return _from_row(row) if row else GuildSettings(guild_id=guild_id)

    async def save(self, settings: GuildSettings) -> None:
        if settings.guild_id is None:
            raise ValueError("settings without a server cannot be saved")
        values = [getattr(settings, name) for name in _COLUMNS]
        values[_COLUMNS.index("allowed_channels")] = ",".join(
            str(c) for c in sorted(settings.allowed_channels)
        )
        columns, placeholders = ", ".join(_COLUMNS), ", ".join("?" for _ in _COLUMNS)
        await self._db.write(
            f"INSERT OR REPLACE INTO guild_settings ({columns}) VALUES ({placeholders})",
            values,
        )

    async def reset(self, guild_id: int) -> GuildSettings:
        await self._db.write("DELETE FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return GuildSettings(guild_id=guild_id)
