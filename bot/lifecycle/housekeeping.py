"""Keeping the data directory tidy: after a restart (reservations whose inputs never arrived,
folders no job knows) and every hour (the files of jobs older than the retention)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from discord.ext import tasks

from bot.store.job_files import JobFiles
from bot.store.jobs import JobStore

log = logging.getLogger(__name__)

CLEANUP_EVERY_SECONDS = 3600.0


class Housekeeping:
    def __init__(
        self,
        jobs: JobStore,
        files: JobFiles,
        retention_hours: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._jobs = jobs
        self._files = files
        self._retention_seconds = retention_hours * 3600
        self._clock = clock
        self._loop = tasks.loop(seconds=CLEANUP_EVERY_SECONDS)(self.delete_old_files)

    async def after_restart(self) -> None:
        """Release half-admitted rows and their files; sweep folders no job row knows."""
        for job in await self._jobs.reservations():
            await self._files.delete(job.id)
            await self._jobs.discard(job.id)
        swept = await sweep_orphans(self._jobs, self._files)
        if swept:
            log.info("removed %d job folders no job row knows", swept)

    def start_hourly(self) -> None:
        self._loop.start()

    def stop_hourly(self) -> None:
        self._loop.cancel()

    async def delete_old_files(self) -> None:
        try:
            removed = await delete_expired_files(
                self._jobs, self._files, self._clock() - self._retention_seconds
            )
            if removed:
                log.info("deleted the files of %d old jobs", removed)
        except Exception:
            log.exception("file cleanup failed")


async def delete_expired_files(jobs: JobStore, files: JobFiles, finished_before: float) -> int:
    """Delete the folders of jobs that ended before `finished_before`; return how many."""
    old = await jobs.expired(finished_before)
    for job in old:
        await files.delete(job.id)
        await jobs.mark_files_deleted(job.id)
    return len(old)


async def sweep_orphans(jobs: JobStore, files: JobFiles) -> int:
    """Delete job folders no row knows (a crash between saving inputs and writing the row, in
    an older bot, or a half-written folder); return how many."""
    if not files.root.is_dir():
        return 0
    known = await jobs.known_ids()
    orphans = [folder for folder in files.root.iterdir() if folder.name not in known]
    for folder in orphans:
        await files.delete(folder.name)
    return len(orphans)
