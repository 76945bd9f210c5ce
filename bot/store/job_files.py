"""A job's files on disk: its inputs (content, styles, a start picture) and its result, one folder per job under the data dir."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from bot.store.job_rows import is_job_id


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


class JobFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, job_id: str) -> Path:
        if not is_job_id(job_id):  # a row from a crafted database must not name "../.."
            raise ValueError(f"{job_id!r} is not a job id")
        return self.root / job_id

    async def save_inputs(self, job_id: str, content: bytes, style: bytes) -> tuple[Path, Path]:
        content_path = self.folder(job_id) / "content"
        style_path = self.folder(job_id) / "style"
        await asyncio.to_thread(write_durably, content_path, content)
        await asyncio.to_thread(write_durably, style_path, style)
        return content_path, style_path

    async def save_second_style(self, job_id: str, style2: bytes) -> Path:
        path = self.folder(job_id) / "style2"
        await asyncio.to_thread(write_durably, path, style2)
        return path

    async def save_init(self, job_id: str, init: bytes) -> Path:
        path = self.folder(job_id) / "init"
        await asyncio.to_thread(write_durably, path, init)
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
