"""A server's named styles: pictures moderators saved so members can paint with them by name.

The pictures live under the data directory (`styles/<server id>/`), beside the database, so a
backup of that directory keeps both; the `styles` table maps each name to its file.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.store.database import Database
from bot.store.job_files import write_durably

MAX_NAME_LENGTH = 50
MAX_STYLES_PER_SERVER = 200
MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices


class StyleError(ValueError):
    """Why a style could not be added, renamed, removed or found, as a sentence."""


@dataclass(frozen=True)
class Style:
    guild_id: int
    name: str
    path: Path
    added_by: int
    created_at: float


def clean_name(name: str) -> str:
    """The name as stored: single spaces, no line breaks; raises StyleError if unusable."""
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= MAX_NAME_LENGTH:
        raise StyleError(f"a style name must be 1 to {MAX_NAME_LENGTH} characters long")
    return cleaned


class StyleLibrary:
    def __init__(self, db: Database, root: Path, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._root = root
        self._clock = clock

    def _style(self, row: sqlite3.Row) -> Style:
        return Style(
            guild_id=row["guild_id"],
            name=row["name"],
            path=self._root / row["file"],
            added_by=row["added_by"],
            created_at=row["created_at"],
        )

    async def find(self, guild_id: int, name: str) -> Style | None:
        row = await self._db.fetch_one(
            "SELECT * FROM styles WHERE guild_id = ? AND name = ?",
            (guild_id, " ".join(name.split())),
        )
        return self._style(row) if row else None

    async def require(self, guild_id: int, name: str) -> Style:
        style = await self.find(guild_id, name)
        if style is None:
            raise StyleError(f"this server has no style called “{name}”")
        return style

    async def all(self, guild_id: int) -> list[Style]:
        rows = await self._db.fetch_all(
            "SELECT * FROM styles WHERE guild_id = ? ORDER BY name", (guild_id,)
        )
        return [self._style(row) for row in rows]

    async def matching(self, guild_id: int, typed: str) -> list[str]:
        """Names containing what the member typed so far, best first, for autocomplete."""
        needle = typed.strip().casefold()
        names = [s.name for s in await self.all(guild_id) if needle in s.name.casefold()]
        names.sort(key=lambda n: (not n.casefold().startswith(needle), n.casefold()))
        return names[:MAX_CHOICES]

    async def add(self, guild_id: int, name: str, data: bytes, added_by: int) -> Style:
        name = clean_name(name)
        if await self.find(guild_id, name) is not None:
            raise StyleError(f"there is already a style called “{name}”; remove or rename it first")
        if len(await self.all(guild_id)) >= MAX_STYLES_PER_SERVER:
            raise StyleError(f"this server already has {MAX_STYLES_PER_SERVER} styles")
        file = f"{guild_id}/{secrets.token_hex(8)}"
        await asyncio.to_thread(write_durably, self._root / file, data)
        try:
            await self._db.write(
                "INSERT INTO styles (guild_id, name, file, added_by, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (guild_id, name, file, added_by, self._clock()),
            )
        except sqlite3.IntegrityError:  # added by someone else in the meantime
            await asyncio.to_thread((self._root / file).unlink, True)
            raise StyleError(f"there is already a style called “{name}”") from None
        return await self.require(guild_id, name)

    async def rename(self, guild_id: int, old: str, new: str) -> Style:
        style = await self.require(guild_id, old)
        new = clean_name(new)
        clash = await self.find(guild_id, new)
        if clash is not None and clash.name.casefold() != style.name.casefold():
            raise StyleError(f"there is already a style called “{clash.name}”")
        await self._db.write(
            "UPDATE styles SET name = ? WHERE guild_id = ? AND name = ?",
            (new, guild_id, style.name),
        )
        return await self.require(guild_id, new)

    async def remove(self, guild_id: int, name: str) -> Style:
        style = await self.require(guild_id, name)
        await self._db.write(
            "DELETE FROM styles WHERE guild_id = ? AND name = ?", (guild_id, style.name)
        )
        await asyncio.to_thread(style.path.unlink, True)
        return style

    @staticmethod
    async def read(style: Style) -> bytes:
        return await asyncio.to_thread(style.path.read_bytes)
