"""A job's files on disk: its inputs (content, styles, a start picture) and its result, one folder per job under the data dir."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from bot.store.job_rows import is_job_id

Kept = Mapping[str, Path]
NOTHING_KEPT: Kept = MappingProxyType({})


def write_durably(path: Path, data: bytes) -> None:
    """Write beside the target, fsync, then rename: a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        partial.unlink(missing_ok=True)  # a full disk gets back what the write took
        raise
    partial.replace(path)


def write_or_link(path: Path, data: bytes, kept: Path | None) -> None:
    """`data` as the file `kept` already holds it (an earlier job's picture, for Run again and
    the other buttons) becomes a hard link to it: nothing is copied, and the picture lives until
    the last job folder holding it is deleted. Anything else is written."""
    if kept is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(kept, path)
            return
        except OSError:  # another filesystem, or the earlier job's files just went: write it
            pass
    write_durably(path, data)


class JobFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, job_id: str) -> Path:
        if not is_job_id(job_id):  # a row from a crafted database must not name "../.."
            raise ValueError(f"{job_id!r} is not a job id")
        return self.root / job_id

    async def save_inputs(
        self, job_id: str, content: bytes, style: bytes, kept: Kept = NOTHING_KEPT
    ) -> tuple[Path, Path]:
        """`kept` names, by input ("content", "style", "style2", "init"), the earlier job's file
        the bytes were read from, to share rather than copy."""
        return (
            await self._save(job_id, "content", content, kept),
            await self._save(job_id, "style", style, kept),
        )

    async def save_second_style(
        self, job_id: str, style2: bytes, kept: Kept = NOTHING_KEPT
    ) -> Path:
        return await self._save(job_id, "style2", style2, kept)

    async def save_init(self, job_id: str, init: bytes, kept: Kept = NOTHING_KEPT) -> Path:
        return await self._save(job_id, "init", init, kept)

    async def _save(self, job_id: str, name: str, data: bytes, kept: Kept) -> Path:
        path = self.folder(job_id) / name
        await asyncio.to_thread(write_or_link, path, data, kept.get(name))
        return path

    async def save_result(self, job_id: str, data: bytes, suffix: str = "png") -> Path:
        """The finished picture, or an animation's file (`suffix` gif, mp4, webp)."""
        path = self.folder(job_id) / f"result.{suffix}"
        await asyncio.to_thread(write_durably, path, data)
        return path

    @staticmethod
    async def read(path: Path) -> bytes:
        return await asyncio.to_thread(path.read_bytes)

    async def delete(self, job_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self.folder(job_id), True)
