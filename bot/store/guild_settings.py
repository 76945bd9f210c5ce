"""Per-server limits moderators set with `/atelier-admin settings`, and where they are stored."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import dataclass, fields

from bot.rules.settings import SETTING_NAMES, GuildSettings, differences
from bot.store.database import Database

log = logging.getLogger(__name__)

_COLUMNS = SETTING_NAMES
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
