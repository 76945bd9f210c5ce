"""Carries accepted jobs from the job store through the engine pool to their thread.

One task per job: submit to the pool, relay its events to the status message, store the result,
then announce it exactly once through the bot's own channel messages (never the interaction
webhook, whose token dies after 15 minutes). At startup it resumes whatever a previous run left.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time

import discord

from bot import render
from bot.buttons import cancel_view, result_view
from bot.instant_preview import InstantPreviews, paint_preview_job
from bot.job_files import JobFiles, delete_expired_files
from bot.jobs import ACTIVE_STATES, Job, JobStore
from bot.metrics import Metrics
from bot.png_settings import request_fields, with_text
from bot.preview_lane import PreviewLane
from bot.status_message import StatusMessage
from bot.upload import fit_upload
from engine.events import Preview, Progress
from engine.pool import Done, EngineService, EngineUnavailable, Failed, Queued, QueueFull, Started
from engine.pool import Job as EngineJob

log = logging.getLogger(__name__)

QUEUE_FULL_RETRY_SECONDS = 10.0
POST_ATTEMPTS = 3
CLEANUP_EVERY_SECONDS = 3600.0
HISTORY_SCAN = 100  # messages read back to see whether a result was posted before a crash
MAX_ATTEMPTS = 3  # a job that was running each time the bot died this often is given up


class Runner:
    def __init__(
        self,
        client: discord.Client,
        pool: EngineService,
        jobs: JobStore,
        files: JobFiles,
        metrics: Metrics,
        *,
        edit_seconds: float,
        retention_hours: float,
        preview_lane: PreviewLane,
    ) -> None:
        self._client = client
        self._lane = preview_lane
        self._previews = InstantPreviews()
        self._pool = pool
        self._jobs = jobs
        self._files = files
        self._metrics = metrics
        self._edit_seconds = edit_seconds
        self._retention_seconds = retention_hours * 3600
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._announcements: set[asyncio.Task[None]] = set()
        self._engine_jobs: dict[str, EngineJob] = {}
        self._cancelled_by: dict[str, int] = {}
        self._cleanup: asyncio.Task[None] | None = None
        self._parking = False
        self.where: dict[str, str] = {}  # job id → its latest status line, for /atelier queue

    async def start(self) -> int:
        """Resume what a previous run left unfinished or unannounced; start the file cleanup."""
        pending = await self._jobs.to_resume()
        for job in pending:
            self.run(job.id)
        self._cleanup = asyncio.create_task(self._clean_forever(), name="cleanup")
        return len(pending)

    def run(self, job_id: str) -> None:
        if job_id in self._tasks:
            return
        task = asyncio.create_task(self._drive(job_id), name=f"job-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def cancel(self, job_id: str, by_user_id: int) -> bool:
        """Cancel a queued or running job; False if it had already ended."""
        job = await self._jobs.get(job_id)
        if job is None or job.state not in ACTIVE_STATES:
            return False
        self._cancelled_by[job_id] = by_user_id
        engine_job = self._engine_jobs.get(job_id)
        if engine_job is not None:
            await engine_job.cancel()  # the pool answers with Failed("cancelled")
            return True
        # Not in the pool yet (or not run by this process): end it here.
        cancelled = await self._jobs.mark_cancelled(job_id, render.cancelled_line(by_user_id))
        if cancelled:
            self._metrics.job_cancelled()
        if cancelled and job_id not in self._tasks:
            self.run(job_id)
        return cancelled

    async def _drive(self, job_id: str) -> None:
        try:
            job = await self._jobs.require(job_id)
            if job.state in ACTIVE_STATES and job.attempts >= MAX_ATTEMPTS:
                await self._jobs.mark_failed(
                    job_id,
                    render.failed_line("error", f"the bot crashed during {MAX_ATTEMPTS} attempts"),
                )
                self._metrics.job_failed("crashed")
                job = await self._jobs.require(job_id)
            if job.state in ACTIVE_STATES and job.request.quality == "preview":
                job = await paint_preview_job(job, self._jobs, self._files, self._lane)
            elif job.state in ACTIVE_STATES:
                job = await self._run(job)
            if job.state not in ACTIVE_STATES and not job.posted:
                announcement = asyncio.create_task(self._announce(job))
                self._announcements.add(announcement)
                announcement.add_done_callback(self._announcements.discard)
                # Shielded: a shutdown must not cut a result message in half.
                await asyncio.shield(announcement)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s stopped on an unexpected error", job_id)
        finally:
            self.where.pop(job_id, None)

    async def _status(self, job: Job) -> StatusMessage:
        channel = self._client.get_partial_messageable(job.destination_id)
        header = render.status_header(job.id, job.request, job.notes)
        if job.status_message_id is None:
            # The bot stopped between accepting the job and posting its status: post it now.
            sent = await channel.send(header, view=cancel_view(job.id))
            await self._jobs.set_messages(
                job.id,
                thread_id=job.thread_id,
                request_message_id=job.request_message_id,
                status_message_id=sent.id,
            )
            job = await self._jobs.require(job.id)
        message = channel.get_partial_message(job.status_message_id)
        return StatusMessage(message, header, cancel_view(job.id), self._edit_seconds)

    async def _run(self, job: Job) -> Job:
        status = await self._status(job)
        status.start()
        engine_job: EngineJob | None = None
        try:
            engine_job = await self._submit(job, status)
            if engine_job is not None:
                self._engine_jobs[job.id] = engine_job
                if job.id in self._cancelled_by:  # the cancel came while submitting
                    await engine_job.cancel()
                async for event in engine_job.events():
                    await self._relay(job, event, status)
        except asyncio.CancelledError:
            # Shutdown: back in line for the next start, and the worker freed now.
            await self._jobs.park(job.id)
            if engine_job is not None:
                await engine_job.cancel()
            raise
        finally:
            self._engine_jobs.pop(job.id, None)
            self._previews.end(job.id)
            await status.stop()
        return await self._jobs.require(job.id)

    async def _submit(self, job: Job, status: StatusMessage) -> EngineJob | None:
        content = await self._files.read(job.content_path)
        styles = [await self._files.read(p) for p in (job.style_path, job.style2_path) if p]
        painting = self._lane.paint(
            content, styles, job.request.size, job.request.style_params().style_blend
        )
        self._previews.begin(job.id, painting, status)
        while True:
            current = await self._jobs.require(job.id)
            if current.state not in ACTIVE_STATES:
                return None
            try:
                return await self._pool.submit(
                    content, styles, job.request.style_params(), job_id=job.id
                )
            except QueueFull:
                status.show("⏳ Waiting for room in the queue…")
                await asyncio.sleep(QUEUE_FULL_RETRY_SECONDS)
            except EngineUnavailable as exc:
                if not self._parking:  # no engine and none coming back: say so, don't hang
                    await self._jobs.mark_failed(job.id, render.failed_line("error", str(exc)))
                    self._metrics.job_failed("no_engine")
                return None  # when shutting down, the job stays queued for the next start

    async def _relay(self, job: Job, event: object, status: StatusMessage) -> None:
        if isinstance(event, Queued):
            line = render.queued_line(event.position)
        elif isinstance(event, Started):
            await self._jobs.mark_running(job.id)
            line = render.starting_line(event.device)
        elif isinstance(event, Progress):
            line = render.progress_line(event, time.time())
        elif isinstance(event, Preview):
            self._previews.end(job.id)
            status.show_preview(event.png, render.preview_caption(event.iteration, event.total))
            return
        elif isinstance(event, Done):
            png = with_text(event.png, request_fields(job))
            path = await self._files.save_result(job.id, png)
            await self._jobs.mark_done(
                job.id,
                result_path=path,
                width=event.width,
                height=event.height,
                seconds=event.seconds,
                device=event.device,
                engine_note=event.note,
            )
            self._metrics.job_done(event.device, event.seconds)
            return
        elif isinstance(event, Failed):
            if event.kind == "cancelled" and job.id in self._cancelled_by:
                await self._jobs.mark_cancelled(
                    job.id, render.cancelled_line(self._cancelled_by.pop(job.id))
                )
                self._metrics.job_cancelled()
            elif event.kind == "cancelled":  # the pool is closing: start over next time
                await self._jobs.park(job.id)
            else:
                await self._jobs.mark_failed(job.id, render.failed_line(event.kind, event.reason))
                self._metrics.job_failed(event.kind)
            return
        else:
            return
        self.where[job.id] = line
        status.show(line)

    async def _announce(self, job: Job) -> None:
        """The final word on a job, sent once: result or failure message, last status edit."""
        channel = self._client.get_partial_messageable(job.destination_id)
        final_line = self._final_line(job)
        if job.status_message_id is not None:
            status = StatusMessage(
                channel.get_partial_message(job.status_message_id),
                render.status_header(job.id, job.request, job.notes),
                None,
                self._edit_seconds,
            )
            await status.finish(final_line)
        if job.request_message_id is not None:
            await self._edit_quietly(
                self._client.get_partial_messageable(job.channel_id).get_partial_message(
                    job.request_message_id
                ),
                render.request_post_text(job.user_id, job.id, final_line),
            )
        if job.state == "cancelled":
            await self._jobs.mark_posted(job.id, None)
            return
        if job.posting_started_at is not None:
            earlier = await self._find_posted(channel, job)
            if earlier is not None:
                await self._jobs.mark_posted(job.id, earlier)
                return
        await self._jobs.begin_posting(job.id)
        message_id = await self._post_final(channel, job)
        await self._jobs.mark_posted(job.id, message_id)

    @staticmethod
    def _final_line(job: Job) -> str:
        if job.state == "done":
            return render.done_line(
                job.width or 0,
                job.height or 0,
                job.request.iterations_run,
                job.seconds or 0,
                job.device or "?",
            )
        return job.error or render.failed_line("error", "the job ended without a result")

    async def _post_final(self, channel: discord.PartialMessageable, job: Job) -> int | None:
        mention = discord.AllowedMentions(
            users=[discord.Object(job.user_id)], roles=False, everyone=False
        )
        for attempt in range(1, POST_ATTEMPTS + 1):
            try:
                if job.state == "done" and job.result_path is not None:
                    png = await self._files.read(job.result_path)
                    upload = await asyncio.to_thread(
                        fit_upload, png, job.filesize_limit, f"atelier-{job.id}"
                    )
                    notes = [*job.all_notes, *([upload.note] if upload.note else [])]
                    text = render.result_text(
                        job.user_id, job.id, job.width or 0, job.height or 0,
                        job.request.iterations_run, job.seconds or 0, notes,
                    )  # fmt: skip
                    message = await channel.send(
                        text,
                        file=discord.File(
                            io.BytesIO(upload.data), upload.filename, spoiler=job.spoiler
                        ),
                        view=result_view(job.id),
                        allowed_mentions=mention,
                        nonce=f"r{job.id}",
                    )
                else:
                    message = await channel.send(
                        render.failure_text(job.user_id, job.id, self._final_line(job)),
                        allowed_mentions=mention,
                        nonce=f"r{job.id}",
                    )
                return message.id
            except (discord.NotFound, discord.Forbidden) as exc:
                # The thread or channel is gone or closed to us; retrying cannot help.
                log.warning("cannot post job %s to %s: %s", job.id, channel.id, exc)
                return None
            except (discord.HTTPException, OSError) as exc:
                log.warning("posting job %s failed (attempt %d): %s", job.id, attempt, exc)
                if attempt == POST_ATTEMPTS:
                    raise
                self._metrics.delivery_retried()
                await asyncio.sleep(2**attempt)
        return None

    async def _find_posted(self, channel: discord.PartialMessageable, job: Job) -> int | None:
        """The result message an earlier run sent just before it died, if it got through."""
        me = self._client.user
        marker = f"job `{job.id}`"
        try:
            async for message in channel.history(limit=HISTORY_SCAN):
                ours = me is not None and message.author.id == me.id
                known = message.id in (job.status_message_id, job.request_message_id)
                if ours and not known and marker in message.content:
                    return message.id
        except discord.HTTPException as exc:
            log.warning("could not read back %s to check job %s: %s", channel.id, job.id, exc)
        return None

    @staticmethod
    async def _edit_quietly(message: discord.PartialMessage, content: str) -> None:
        try:
            await message.edit(content=content)
        except discord.HTTPException as exc:
            log.warning("could not edit message %s: %s", message.id, exc)

    async def _clean_forever(self) -> None:
        while True:
            try:
                removed = await delete_expired_files(
                    self._jobs, self._files, time.time() - self._retention_seconds
                )
                if removed:
                    log.info("deleted the files of %d old jobs", removed)
            except Exception:
                log.exception("file cleanup failed")
            await asyncio.sleep(CLEANUP_EVERY_SECONDS)

    async def park(self) -> None:
        """Shutdown: stop every job task (running ones go back to queued); let posts finish."""
        self._parking = True
        if self._cleanup is not None:
            self._cleanup.cancel()
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._announcements:
            await asyncio.wait(list(self._announcements), timeout=10)
