"""Per job: paint the instant preview and show it in the status message, never failing the job;
or, for `quality:preview`, make it the job's result (for an animated content, every frame
previewed and encoded as the full painting's file), and for `quality:variations` the grid of
four around the job's settings.

The engine's own previews (snapshots of the optimisation) are better once they come, so the
first of them ends the instant one; a preview that fails is logged and the job carries on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from bot.lifecycle.preview_lane import FrameCounter, PaintedPreview, PreviewLane
from bot.lifecycle.results import keep_result
from bot.lifecycle.status_message import StatusMessage
from bot.messages import texts
from bot.messages.png_metadata import request_fields, with_settings, with_text
from bot.messages.variations import instant_note, variant_fields
from bot.rules.variants import variants_around
from bot.store.job_files import JobFiles
from bot.store.job_rows import Job
from bot.store.jobs import JobStore
from engine.errors import EngineError
from engine.motion.encode import TooLarge

log = logging.getLogger(__name__)


class InstantPreviews:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def show_when_painted(
        self, job_id: str, painting: Coroutine[Any, Any, PaintedPreview], status: StatusMessage
    ) -> asyncio.Task[None]:
        """Show what `painting` (a `PreviewLane.paint` call) returns, once it does."""
        task = asyncio.create_task(self._show(job_id, painting, status), name=f"preview-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))
        return task

    def drop(self, job_id: str) -> None:
        """The job moved on (engine preview, result, failure): drop a preview still painting."""
        task = self._tasks.pop(job_id, None)
        if task is not None:
            task.cancel()

    @staticmethod
    async def _show(
        job_id: str, painting: Coroutine[Any, Any, PaintedPreview], status: StatusMessage
    ) -> None:
        try:
            painted = await painting
        except Exception as exc:  # the preview is a courtesy: the full job carries on regardless
            log.warning("no instant preview for job %s: %s", job_id, exc)
            return
        status.show_preview(painted.png, texts.INSTANT_PREVIEW_CAPTION)


@dataclass(frozen=True)
class _Painted:
    """A lane-painted result as it is kept: the file's bytes and type, and its note."""

    data: bytes
    suffix: str
    width: int
    height: int
    seconds: float
    note: str


async def paint_preview_job(
    job: Job,
    jobs: JobStore,
    files: JobFiles,
    lane: PreviewLane,
    on_frame: FrameCounter | None = None,
) -> Job:
    """`quality:preview` or `variations`: the job's whole result is painted in the lane;
    `on_frame` (in the lane's thread) counts an animation's frames."""
    await jobs.mark_running(job.id)
    try:
        result = await _paint(job, lane, on_frame)
    except Exception as exc:
        log.warning("preview job %s failed: %s", job.id, exc)
        await jobs.mark_failed(job.id, texts.failed_line("error", preview_failure(exc)))
    else:
        await keep_result(
            jobs,
            files,
            job.id,
            result.data,
            width=result.width,
            height=result.height,
            seconds=result.seconds,
            device="CPU",
            engine_note=result.note,
            suffix=result.suffix,
        )
    return await jobs.require(job.id)


async def _paint(job: Job, lane: PreviewLane, on_frame: FrameCounter | None) -> _Painted:
    """A grid, a still's preview, or an animation's: every frame previewed, encoded in the
    job's format as its full painting would be."""
    styles = [p for p in (job.style_path, job.style2_path) if p]
    note = instant_note(job.request)
    if job.animation is not None:
        settings = job.animation.settings(job.request.output_format, job.filesize_limit)
        moving = await lane.paint_animation(
            job.content_path, styles, job.request.style_params(), settings, on_frame
        )
        note = "; ".join(line for line in (note, moving.note) if line)
        return _Painted(
            moving.data, moving.format, moving.width, moving.height, moving.seconds, note
        )
    if job.request.quality == "variations":
        variants = variants_around(job.request)
        painted = await lane.paint_grid(job.content_path, styles, variants)
        png = with_text(painted.png, {**request_fields(job), **variant_fields(variants)})
    else:
        painted = await lane.paint(job.content_path, styles, job.request.style_params())
        png = with_settings(painted.png, job)
    return _Painted(png, "png", painted.width, painted.height, painted.seconds, note)


def preview_failure(exc: Exception) -> str:
    """A sentence for the member: the engine's own errors are written for people, others not."""
    if isinstance(exc, EngineError | TooLarge):
        return str(exc)
    return "the preview could not be painted"
