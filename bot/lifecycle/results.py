"""Keeping a finished picture: saved in the job's folder and recorded, or, when the disk is full,
one clear failure for the member (a repaint would only fill the disk again)."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from bot.messages import texts
from bot.store.job_files import JobFiles
from bot.store.jobs import JobStore

log = logging.getLogger(__name__)

DISK_FULL = "disk_full"
NOT_KEPT = (
    "it was painted, but the bot's disk is full so the picture could not be saved. "
    "Please try again later (the bot's admin has been told)."
)


async def keep_result(
    jobs: JobStore,
    files: JobFiles,
    job_id: str,
    png: bytes,
    *,
    width: int,
    height: int,
    seconds: float,
    device: str,
    engine_note: str | None,
    suffix: str = "png",
) -> bool:
    """Save and record the result (`png`, or an animation's file of type `suffix`); False when
    the disk was full and the job failed instead."""
    try:
        path: Path = await files.save_result(job_id, png, suffix)
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        log.error("job %s: the disk is full, its result could not be saved", job_id)
        await jobs.mark_failed(job_id, texts.failed_line(DISK_FULL, NOT_KEPT))
        return False
    await jobs.mark_done(
        job_id,
        result_path=path,
        width=width,
        height=height,
        seconds=seconds,
        device=device,
        engine_note=engine_note,
    )
    return True
