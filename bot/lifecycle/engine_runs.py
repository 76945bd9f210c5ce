"""One run of a job: submit it to the engine (or paint it in the preview lane), relay the engine's
events to the status message, and record the outcome on the job's row.

A run that stops early (a shutdown, an error) frees its worker at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Literal

import discord

from bot.lifecycle.instant_previews import InstantPreviews, paint_preview_job
from bot.lifecycle.preview_lane import PreviewLane
from bot.lifecycle.results import DISK_FULL, keep_result
from bot.lifecycle.status_message import StatusMessage, status_message_of
from bot.messages import texts
from bot.messages.png_metadata import with_settings
from bot.ops.metrics import Metrics
from bot.store.job_files import JobFiles
from bot.store.job_rows import ACTIVE_STATES, Job
from bot.store.jobs import JobStore
from engine.events import FrameDone, FrameProgress, Preview, Progress
from engine.pool import (
    AnimationDone,
    Done,
    EngineService,
    EngineUnavailable,
    Failed,
    Owner,
    Queued,
    QueueFull,
    Started,
)
from engine.pool import Job as EngineHandle

log = logging.getLogger(__name__)

QUEUE_FULL_RETRY_SECONDS = 10.0
PREVIEW_HEAD_START_SECONDS = 1.0  # the longest a full run waits for its instant preview
CANCEL_WAIT_SECONDS = 15.0
CancelOutcome = Literal["cancelled", "finished", "ended"]


def engine_owner(job: Job) -> Owner:
    """Whose turn a job waits for in the engine's queue: servers take turns, then members
    within a server (direct messages count as one server)."""
    group = "direct messages" if job.guild_id is None else f"guild {job.guild_id}"
    return Owner(group, f"member {job.user_id}")


class EngineRuns:
    def __init__(
        self,
        client: discord.Client,
        pool: EngineService,
        jobs: JobStore,
        files: JobFiles,
        metrics: Metrics,
        lane: PreviewLane,
        *,
        edit_seconds: float,
    ) -> None:
        self._client = client
        self._pool = pool
        self._jobs = jobs
        self._files = files
        self._metrics = metrics
        self._lane = lane
        self._edit_seconds = edit_seconds
        self._previews = InstantPreviews()
        self._handles: dict[str, EngineHandle] = {}
        self._cancelled_by: dict[str, int] = {}
        self.stopping = False  # set at shutdown: an engine going away then is no failure
        self.where: dict[str, str] = {}  # job id → its latest status line, for /atelier queue

    async def run(self, job: Job) -> Job:
        """Paint a queued job to its end (or park it at shutdown); the job as it is then."""
        if job.request.quality != "full":  # a preview or a grid: the lane paints it all
            return await self._paint_in_lane(job)
        status = status_message_of(self._client, job, self._edit_seconds)
        status.start_editing()
        handle: EngineHandle | None = None
        try:
            handle = await self._submit(job, status)
            if handle is not None:
                self._handles[job.id] = handle
                if job.id in self._cancelled_by:  # the cancel came while submitting
                    await handle.cancel()
                async for event in handle.events():
                    await self._relay(job, event, status)
        except BaseException:
            # Nobody reads this run's events any more (a shutdown, a failed write): free its
            # worker now, so the job can be submitted again, not "already queued or running".
            # (At shutdown the driver parks the job for the next start.)
            if handle is not None:
                await handle.cancel()
            raise
        finally:
            self._handles.pop(job.id, None)
            self._previews.drop(job.id)
            await status.stop_editing()
        return await self._jobs.require(job.id)

    async def _paint_in_lane(self, job: Job) -> Job:
        if job.animation is None:  # about a second: nothing to show on the way
            return await paint_preview_job(job, self._jobs, self._files, self._lane)
        # Frame by frame, an animation's preview takes a few seconds: the status counts them.
        status = status_message_of(self._client, job, self._edit_seconds, cancellable=False)
        loop = asyncio.get_running_loop()

        def on_frame(frame: int, frames: int) -> None:  # in the lane's thread
            loop.call_soon_threadsafe(status.show, texts.previewing_line(frame, frames))

        status.start_editing()
        try:
            return await paint_preview_job(job, self._jobs, self._files, self._lane, on_frame)
        finally:
            await status.stop_editing()

    def forget(self, job_id: str) -> None:
        """The job's task is over: drop what this process remembered about it."""
        self.where.pop(job_id, None)
        self._cancelled_by.pop(job_id, None)

    async def cancel(self, job_id: str, by_user_id: int) -> CancelOutcome | None:
        """Stop a job the engine is running for this process, and say what really happened
        (it may have finished meanwhile); None when the engine has no such job from here."""
        self._cancelled_by[job_id] = by_user_id
        handle = self._handles.get(job_id)
        if handle is None:
            return None
        await handle.cancel()  # the engine answers Failed("cancelled"), or Done if too late
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CANCEL_WAIT_SECONDS
        while (job := await self._jobs.require(job_id)).state in ACTIVE_STATES:
            if loop.time() > deadline:
                return "cancelled"  # asked for; the engine has not answered yet
            await asyncio.sleep(0.05)
        return cancel_outcome(job)

    async def _submit(self, job: Job, status: StatusMessage) -> EngineHandle | None:
        styles = [p for p in (job.style_path, job.style2_path) if p]
        if job.animation is None:  # an animation shows its finished frames instead
            painting = self._lane.paint(job.content_path, styles, job.request.style_params())
            shown = self._previews.show_when_painted(job.id, painting, status)
            # The preview first: a worker starting on the same cores would slow it several
            # times over, and the full painting loses at most this head start.
            await asyncio.wait({shown}, timeout=PREVIEW_HEAD_START_SECONDS)
        animation = None
        if job.animation is not None:
            animation = job.animation.settings(job.request.output_format, job.filesize_limit)
        while True:
            current = await self._jobs.require(job.id)
            if current.state not in ACTIVE_STATES:
                return None
            try:
                # Paths: the engine reads the pictures when a worker takes the job, so the
                # queue does not hold every waiting job's pictures in the bot's memory.
                return await self._pool.submit(
                    job.content_path,
                    styles,
                    job.request.style_params(),
                    job_id=job.id,
                    init_image=job.init_path,
                    owner=engine_owner(job),
                    animation=animation,
                    frames_dir=job.frames_dir if animation is not None else None,
                )
            except QueueFull:
                status.show("⏳ Waiting for room in the queue…")
                await asyncio.sleep(QUEUE_FULL_RETRY_SECONDS)
            except EngineUnavailable as exc:
                if not self.stopping:  # no engine and none coming back: say so, don't hang
                    await self._jobs.mark_failed(job.id, texts.failed_line("error", str(exc)))
                    self._metrics.job_failed("no_engine")
                return None  # when shutting down, the job stays queued for the next start

    async def _relay(self, job: Job, event: object, status: StatusMessage) -> None:
        if isinstance(event, Queued):
            line = texts.queued_line(event.position)
        elif isinstance(event, Started):
            await self._jobs.mark_running(job.id)
            line = texts.starting_line(event.device)
        elif isinstance(event, Progress):
            line = texts.progress_line(event, time.time())
        elif isinstance(event, FrameProgress):
            line = texts.frame_progress_line(event, time.time())
        elif isinstance(event, FrameDone):
            status.show_preview(event.png, texts.frame_caption(event.index + 1, event.frames))
            return
        elif isinstance(event, Preview):
            self._previews.drop(job.id)
            status.show_preview(event.png, texts.preview_caption(event.iteration, event.total))
            return
        elif isinstance(event, Done):
            await self._record_done(job, event)
            return
        elif isinstance(event, Failed):
            await self._record_failed(job, event)
            return
        else:
            return
        self.where[job.id] = line
        status.show(line)

    async def _record_done(self, job: Job, event: Done) -> None:
        animated = isinstance(event, AnimationDone)
        kept = await keep_result(
            self._jobs,
            self._files,
            job.id,
            event.data if animated else with_settings(event.png, job),
            width=event.width,
            height=event.height,
            seconds=event.seconds,
            device=event.device,
            engine_note=event.note,
            suffix=event.format if animated else "png",
        )
        if kept:
            self._metrics.job_done(event.device, event.seconds)
        else:
            self._metrics.job_failed(DISK_FULL)

    async def _record_failed(self, job: Job, event: Failed) -> None:
        if event.kind == "cancelled" and job.id in self._cancelled_by:
            # Counted once: a cancel that ended the job before the engine took it already was.
            line = texts.cancelled_line(self._cancelled_by[job.id])
            if await self._jobs.mark_cancelled(job.id, line):
                self._metrics.job_cancelled()
        elif event.kind == "cancelled":  # the pool is closing: start over next time
            await self._jobs.park(job.id)
        else:
            await self._jobs.mark_failed(job.id, texts.failed_line(event.kind, event.reason))
            self._metrics.job_failed(event.kind)


def cancel_outcome(job: Job | None) -> CancelOutcome:
    """What became of a job someone just asked to cancel."""
    if job is not None and job.state == "done":
        return "finished"
    return "ended" if job is not None and job.state == "failed" else "cancelled"
