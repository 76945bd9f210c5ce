"""Carries accepted jobs from the job store through the engine to their thread.

One task per job: make its public messages (or finish making them), submit it to the engine,
relay the engine's events to the status message, store the result, then hand it to `Delivery`
for the one final answer. A supervisor loop re-drives every unfinished row that has no task in
this process (a restart, a task that died on a failed write), so nothing waits for a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Literal

import discord
from discord.ext import tasks

from bot import render
from bot.buttons import cancel_view
from bot.delivery import DEFAULT_POLICY, Delivery, DeliveryPolicy, edit_quietly
from bot.discord_errors import is_transient
from bot.instant_preview import InstantPreviews, paint_preview_job
from bot.job_files import JobFiles, delete_expired_files, sweep_orphans
from bot.job_posts import JobPosts
from bot.jobs import ACTIVE_STATES, Job, JobStore
from bot.limits import RequestRefused
from bot.metrics import Metrics
from bot.png_settings import with_settings
from bot.preview_lane import PreviewLane
from bot.status_message import StatusMessage
from engine.events import Preview, Progress
from engine.pool import Done, EngineService, EngineUnavailable, Failed, Queued, QueueFull, Started
from engine.pool import Job as EngineHandle

log = logging.getLogger(__name__)

QUEUE_FULL_RETRY_SECONDS = 10.0
CLEANUP_EVERY_SECONDS = 3600.0
SUPERVISE_EVERY_SECONDS = 30.0
CANCEL_WAIT_SECONDS = 15.0
MAX_ATTEMPTS = 3  # runs the bot died in or that stopped on an error before painting; then given up
CancelOutcome = Literal["cancelled", "finished", "ended"]
NOT_POSTED_LINE = render.failed_line("error", "I could not post here, so the job did not start")
NOT_STARTED = (
    "Something went wrong on my side while starting the job, so it was not started; "
    "the error was logged. Please try again."
)
COULD_NOT_POST = (
    "I could not post in this channel, so the job was not started. "
    "Check that I can send messages and attach files here."
)


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
        supervise_seconds: float = SUPERVISE_EVERY_SECONDS,
        delivery_policy: DeliveryPolicy = DEFAULT_POLICY,
        preview_lane: PreviewLane,
    ) -> None:
        self._lane = preview_lane
        self._previews = InstantPreviews()
        self._pool = pool
        self._jobs = jobs
        self._files = files
        self._metrics = metrics
        self._edit_seconds = edit_seconds
        self._retention_seconds = retention_hours * 3600
        self._posts = JobPosts(client, jobs, files, lambda: pool.queue_length)
        self._delivery = Delivery(
            client,
            jobs,
            files,
            edit_seconds=edit_seconds,
            policy=delivery_policy,
            on_retry=metrics.delivery_retried,
        )
        self._policy = delivery_policy
        self._client = client
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._announcements: set[asyncio.Task[None]] = set()
        self._engine_handles: dict[str, EngineHandle] = {}
        self._cancelled_by: dict[str, int] = {}
        self._waiting_intake: dict[str, asyncio.Future[Job]] = {}
        self._parking = False
        self._supervisor = tasks.loop(seconds=supervise_seconds)(self._supervise)
        self._cleanup = tasks.loop(seconds=CLEANUP_EVERY_SECONDS)(self._clean)
        self.where: dict[str, str] = {}  # job id → its latest status line, for /atelier queue

    async def start(self) -> int:
        """Release half-admitted rows, sweep orphaned folders, resume what is unfinished."""
        for job in await self._jobs.reservations():
            await self._files.delete(job.id)
            await self._jobs.discard(job.id)
        swept = await sweep_orphans(self._jobs, self._files)
        if swept:
            log.info("removed %d job folders no job row knows", swept)
        resumed = await self._supervise()
        self._supervisor.start()
        self._cleanup.start()
        return resumed

    async def begin(self, job_id: str) -> Job:
        """The intake's hand-over: drive a job whose inputs are saved, and return it once its
        public messages exist (RequestRefused, with the reason, when Discord refuses them)."""
        posted = asyncio.get_running_loop().create_future()
        self._waiting_intake[job_id] = posted
        try:
            try:
                await self._jobs.mark_inputs_ready(job_id)  # from here on, a restart resumes it
            except Exception:
                log.exception("could not hand job %s over", job_id)
                await self._files.delete(job_id)
                await self._jobs.discard(job_id)
                raise RequestRefused(NOT_STARTED, reason="not_started") from None
            self.run(job_id)
            return await posted
        finally:
            self._waiting_intake.pop(job_id, None)

    def run(self, job_id: str) -> None:
        if job_id in self._tasks:
            return
        task = asyncio.create_task(self._drive(job_id), name=f"job-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def _supervise(self) -> int:
        """Start a task for every unfinished row that has none here; how many were started."""
        if self._parking:
            return 0
        started = 0
        try:
            for job in await self._jobs.to_resume():
                if job.id not in self._tasks:
                    self.run(job.id)
                    started += 1
        except Exception:
            log.exception("the supervisor could not read the jobs")
        return started

    async def cancel(self, job_id: str, by_user_id: int) -> CancelOutcome:
        """Cancel a queued or running job and say what really happened: it may have finished
        while the cancel was on its way."""
        job = await self._jobs.get(job_id)
        if job is None or job.state not in ACTIVE_STATES:
            return "finished" if job is not None and job.state == "done" else "ended"
        self._cancelled_by[job_id] = by_user_id
        handle = self._engine_handles.get(job_id)
        if handle is not None:
            await handle.cancel()  # the engine answers Failed("cancelled"), or Done if too late
            loop = asyncio.get_running_loop()
            deadline = loop.time() + CANCEL_WAIT_SECONDS
            while (job := await self._jobs.require(job_id)).state in ACTIVE_STATES:
                if loop.time() > deadline:
                    return "cancelled"  # asked for; the engine has not answered yet
                await asyncio.sleep(0.05)
            return _outcome(job)
        # Not in the engine yet (or not run by this process): end it here.
        if await self._jobs.mark_cancelled(job_id, render.cancelled_line(by_user_id)):
            self._metrics.job_cancelled()
            self.run(job_id)
            return "cancelled"
        return _outcome(await self._jobs.get(job_id))

    async def _drive(self, job_id: str) -> None:
        try:
            job = await self._jobs.require(job_id)
            if job.state in ACTIVE_STATES and job.attempts >= MAX_ATTEMPTS:
                await self._jobs.mark_failed(
                    job_id,
                    render.failed_line(
                        "error", f"it was interrupted {MAX_ATTEMPTS} times, so I gave up on it"
                    ),
                )
                self._metrics.job_failed("crashed")
                job = await self._jobs.require(job_id)
            if job.state in ACTIVE_STATES:
                job = await self._make_posts(job)
            self._tell_intake(job)
            if job.state in ACTIVE_STATES and job.request.quality == "preview":
                job = await paint_preview_job(job, self._jobs, self._files, self._lane)
            elif job.state in ACTIVE_STATES:
                job = await self._run(job)
            if job.state not in ACTIVE_STATES and not job.posted:
                announcement = asyncio.create_task(self._delivery.deliver(job))
                self._announcements.add(announcement)
                announcement.add_done_callback(self._announcements.discard)
                # Shielded: a shutdown must not cut a result message in half.
                await asyncio.shield(announcement)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s stopped on an unexpected error", job_id)
            # A member still waiting to hear "Queued" is told it was not started, and it is
            # not (no ghost job); otherwise the supervisor drives it again later, a limited
            # number of times.
            if not await self._abandon_at_intake(job_id):
                await self._count_failed_run(job_id)
        finally:
            self.where.pop(job_id, None)
            self._cancelled_by.pop(job_id, None)

    def _tell_intake(self, job: Job) -> None:
        waiting = self._waiting_intake.get(job.id)
        if waiting is not None and not waiting.done():
            waiting.set_result(job)

    async def _count_failed_run(self, job_id: str) -> None:
        try:
            await self._jobs.count_failed_run(job_id)
        except Exception:
            log.exception("could not count the failed run of job %s", job_id)

    async def _abandon_at_intake(self, job_id: str) -> bool:
        """True when the member was still waiting at intake and has been told."""
        waiting = self._waiting_intake.get(job_id)
        if waiting is None or waiting.done():
            return False
        waiting.set_exception(RequestRefused(NOT_STARTED, reason="not_started"))
        try:
            await self._jobs.mark_failed(job_id, render.failed_line("error", "not started"))
            await self._jobs.mark_posted(job_id, None, note="not started; member told privately")
            await self._files.delete(job_id)
        except Exception:
            log.exception("could not set job %s aside; the supervisor will pick it up", job_id)
        return True

    async def _make_posts(self, job: Job) -> Job:
        """The job's messages, retried across Discord's bad minutes; a refusal fails the job."""
        resumed = job.id not in self._waiting_intake
        failures = 0
        while True:
            try:
                return await self._posts.ensure(job, resumed=resumed)
            except Exception as exc:
                if not is_transient(exc):
                    if not isinstance(exc, discord.HTTPException):
                        raise
                    return await self._refused(job, exc)
                failures += 1
                if time.time() - job.created_at > self._policy.max_age:
                    raise
                log.warning("job %s: posting its messages failed (%s); retrying", job.id, exc)
                await asyncio.sleep(self._policy.delay(failures))
                resumed = True
                job = await self._jobs.require(job.id)

    async def _refused(self, job: Job, error: discord.HTTPException) -> Job:
        log.warning("could not post job %s: %s", job.id, error)
        await self._jobs.mark_failed(job.id, NOT_POSTED_LINE)
        job = await self._jobs.require(job.id)  # with the ids of what did go out
        waiting = self._waiting_intake.get(job.id)
        if waiting is not None:
            # The member is told privately by the intake; a request message already out says
            # the job did not start rather than "queued" forever.
            if job.request_message_id is not None:
                request = self._client.get_partial_messageable(job.channel_id)
                await edit_quietly(
                    request.get_partial_message(job.request_message_id),
                    render.request_post_text(job.user_id, job.id, NOT_POSTED_LINE),
                )
            await self._jobs.mark_posted(job.id, None, note="refused at intake")
            await self._files.delete(job.id)
            if not waiting.done():
                waiting.set_exception(RequestRefused(COULD_NOT_POST, reason="bot_cannot_post"))
        return await self._jobs.require(job.id)

    def _status(self, job: Job) -> StatusMessage:
        assert job.status_message_id is not None
        channel = self._client.get_partial_messageable(job.destination_id)
        message = channel.get_partial_message(job.status_message_id)
        header = render.status_header(job.id, job.request, job.notes)
        return StatusMessage(message, header, cancel_view(job.id), self._edit_seconds)

    async def _run(self, job: Job) -> Job:
        status = self._status(job)
        status.start()
        handle: EngineHandle | None = None
        try:
            handle = await self._submit(job, status)
            if handle is not None:
                self._engine_handles[job.id] = handle
                if job.id in self._cancelled_by:  # the cancel came while submitting
                    await handle.cancel()
                async for event in handle.events():
                    await self._relay(job, event, status)
        except asyncio.CancelledError:
            # Shutdown: back in line for the next start, and the worker freed now.
            await self._jobs.park(job.id)
            if handle is not None:
                await handle.cancel()
            raise
        finally:
            self._engine_handles.pop(job.id, None)
            self._previews.end(job.id)
            await status.stop()
        return await self._jobs.require(job.id)

    async def _submit(self, job: Job, status: StatusMessage) -> EngineHandle | None:
        styles = [p for p in (job.style_path, job.style2_path) if p]
        painting = self._lane.paint(job.content_path, styles, job.request.style_params())
        self._previews.begin(job.id, painting, status)
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
            png = with_settings(event.png, job)
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
                # Counted once: a cancel that ended the job before the engine took it already was.
                if await self._jobs.mark_cancelled(
                    job.id, render.cancelled_line(self._cancelled_by[job.id])
                ):
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

    async def _clean(self) -> None:
        try:
            removed = await delete_expired_files(
                self._jobs, self._files, time.time() - self._retention_seconds
            )
            if removed:
                log.info("deleted the files of %d old jobs", removed)
        except Exception:
            log.exception("file cleanup failed")

    async def park(self) -> None:
        """Shutdown: stop every job task (running ones go back to queued); let posts finish."""
        self._parking = True
        self._supervisor.cancel()
        self._cleanup.cancel()
        tasks_now = list(self._tasks.values())
        for task in tasks_now:
            task.cancel()
        await asyncio.gather(*tasks_now, return_exceptions=True)
        if self._announcements:
            await asyncio.wait(list(self._announcements), timeout=10)


def _outcome(job: Job | None) -> CancelOutcome:
    """What became of a job someone just asked to cancel."""
    if job is not None and job.state == "done":
        return "finished"
    return "ended" if job is not None and job.state == "failed" else "cancelled"
