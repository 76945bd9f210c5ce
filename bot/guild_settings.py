"""Per-server limits moderators set with `/atelier-admin settings`, and where they are stored."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import dataclass, fields, replace

from bot.config import Limits
from bot.database import Database
from engine.params import MIN_SIZE

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class AuditEntry:
    """One change of a server's settings: who, when, and each setting's old and new value."""

    guild_id: int
    user_id: int
    changed_at: float
    changes: dict[str, tuple[object, object]]

    def describe(self) -> str:
        return ", ".join(f"{name} {old!r} → {new!r}" for name, (old, new) in self.changes.items())


def differences(old: GuildSettings, new: GuildSettings) -> dict[str, tuple[object, object]]:
    """Each setting that differs, as (old, new); channel sets as sorted lists."""

    def plain(value: object) -> object:
        return sorted(value) if isinstance(value, frozenset) else value

    return {
        name: (plain(getattr(old, name)), plain(getattr(new, name)))
        for name in _COLUMNS
        if name != "guild_id" and getattr(old, name) != getattr(new, name)
    }


class GuildSettingsStore:
    """Settings per server; every change is stored with who made it and logged."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int | None) -> GuildSettings:
        if guild_id is None:  # direct messages: the bot's defaults
            return GuildSettings(guild_id=None)
        row = await self._db.fetch_one(
            "SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        return _from_row(row) if row else GuildSettings(guild_id=guild_id)

    async def save(self, settings: GuildSettings, *, by_user_id: int) -> None:
        if settings.guild_id is None:
            raise ValueError("settings without a server cannot be saved")
        await self._change(settings.guild_id, settings, by_user_id)

    async def reset(self, guild_id: int, *, by_user_id: int) -> GuildSettings:
        """Forget the server's settings: the bot's defaults apply again."""
        return await self._change(guild_id, None, by_user_id)

    async def audit(self, guild_id: int) -> list[AuditEntry]:
        """The server's settings changes, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM settings_audit WHERE guild_id = ? ORDER BY changed_at, id", (guild_id,)
        )
        return [
            AuditEntry(
                row["guild_id"],
                row["user_id"],
                row["changed_at"],
                {name: tuple(pair) for name, pair in json.loads(row["changes"]).items()},
            )
            for row in rows
        ]

    async def _change(
        self, guild_id: int, settings: GuildSettings | None, by_user_id: int
    ) -> GuildSettings:
        """Write `settings` (None: delete) and its audit row in one transaction."""
        updated = settings or GuildSettings(guild_id=guild_id)

        def write(conn: sqlite3.Connection) -> AuditEntry | None:
            with conn:
                row = conn.execute(
                    "SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)
                ).fetchone()
                current = _from_row(row) if row else GuildSettings(guild_id=guild_id)
                changes = differences(current, updated)
                if settings is None:
                    conn.execute("DELETE FROM guild_settings WHERE guild_id = ?", (guild_id,))
                else:
                    conn.execute(_UPSERT, _to_row(settings))
                if not changes:
                    return None
                entry = AuditEntry(guild_id, by_user_id, time.time(), changes)
                conn.execute(
                    "INSERT INTO settings_audit (guild_id, user_id, changed_at, changes) "
                    "VALUES (?, ?, ?, ?)",
                    (guild_id, by_user_id, entry.changed_at, json.dumps(changes)),
                )
                return entry

        entry = await self._db.run(write)
        if entry is not None:
            log.info(
                "settings of server %d changed by user %d: %s",
                guild_id,
                by_user_id,
                entry.describe(),
            )
        return updated


def _to_row(settings: GuildSettings) -> list[object]:
    values = [getattr(settings, name) for name in _COLUMNS]
    values[_COLUMNS.index("allowed_channels")] = ",".join(
        str(c) for c in sorted(settings.allowed_channels)
    )
    return values


_UPSERT = (
    f"INSERT OR REPLACE INTO guild_settings ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)})"
)
