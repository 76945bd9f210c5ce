"""Driving one job from its row to its one final answer: its public posts, its run, its delivery.

The member who asked waits at intake until the job's posts exist (`HandOvers`); a job that
cannot start while they wait is given up there, with one private sentence and nothing kept.
Otherwise an error leaves the job for the supervisor to drive again, a limited number of times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import discord

from bot.lifecycle.delivery import Delivery
from bot.lifecycle.engine_runs import EngineRuns
from bot.lifecycle.own_messages import end_opening_post
from bot.lifecycle.posts import JobPosts
from bot.lifecycle.retry import Retrying
from bot.messages import texts
from bot.ops.metrics import Metrics
from bot.rules.refusals import RequestRefused
from bot.store.job_files import JobFiles
from bot.store.job_rows import ACTIVE_STATES, Job
from bot.store.jobs import JobStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # drives the bot died in or that stopped on an error; then given up
NOT_POSTED_LINE = texts.failed_line("error", "I could not post here, so the job did not start")
NOT_STARTED_LINE = texts.failed_line("error", "not started")
NOT_STARTED = (
    "Something went wrong on my side while starting the job, so it was not started; "
    "the error was logged. Please try again."
)
COULD_NOT_POST = (
    "I could not post in this channel, so the job was not started. "
    "Check that I can send messages and attach files here."
)


class HandOvers:
    """Members still waiting at intake to hear that their job is queued."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[Job]] = {}

    @contextlib.contextmanager
    def expect(self, job_id: str) -> Iterator[asyncio.Future[Job]]:
        """A future that gets the job once its posts exist, or the refusal the member hears."""
        posted = asyncio.get_running_loop().create_future()
        self._waiting[job_id] = posted
        try:
            yield posted
        finally:
            self._waiting.pop(job_id, None)

    def waiting(self, job_id: str) -> bool:
        future = self._waiting.get(job_id)
        return future is not None and not future.done()

    def posted(self, job: Job) -> None:
        if self.waiting(job.id):
            self._waiting[job.id].set_result(job)

    def refuse(self, job_id: str, refusal: RequestRefused) -> None:
        if self.waiting(job_id):
            self._waiting[job_id].set_exception(refusal)


class JobDriver:
    def __init__(
        self,
        client: discord.Client,
        jobs: JobStore,
        files: JobFiles,
        metrics: Metrics,
        posts: JobPosts,
        runs: EngineRuns,
        delivery: Delivery,
        hand_overs: HandOvers,
        retrying: Retrying,
    ) -> None:
        self._client = client
        self._jobs = jobs
        self._files = files
        self._metrics = metrics
        self._posts = posts
        self._runs = runs
        self._delivery = delivery
        self._hand_overs = hand_overs
        self._retrying = retrying
        self._deliveries: set[asyncio.Task[None]] = set()

    async def drive(self, job_id: str) -> None:
        """Carry the job on from wherever its row says it is, to its one final answer."""
        counted = False
        picked_up = not self._hand_overs.waiting(job_id)  # a restart's or the supervisor's
        try:
            job = await self._give_up_if_interrupted(await self._jobs.require(job_id))
            if job.state in ACTIVE_STATES:
                # Before anything decodes its pictures (thumbnails, previews, the engine).
                await self._jobs.begin_attempt(job_id)
                counted = True
                job = await self._ensure_posts(job)
            self._hand_overs.posted(job)
            if job.state in ACTIVE_STATES:
                job = await self._runs.run(job)
            if job.state not in ACTIVE_STATES and not job.posted:
                await self._deliver(job, picked_up=picked_up)
        except asyncio.CancelledError:
            if counted:  # a clean stop: back in line, and the attempt given back
                await self._jobs.park(job_id)
            raise
        except Exception:  # its attempt stays counted: driven again a limited number of times
            log.exception("job %s stopped on an unexpected error", job_id)
            refusal = RequestRefused(NOT_STARTED, reason="not_started")
            note = "not started; member told privately"
            await self.give_up_at_intake(job_id, refusal, NOT_STARTED_LINE, note)
        finally:
            self._runs.forget(job_id)

    async def give_up_at_intake(
        self, job_id: str, refusal: RequestRefused, line: str, note: str
    ) -> bool:
        """While the member still waits at intake: end the job with `line`, keep none of its
        files and tell the member `refusal` privately. False when nobody waits for it."""
        if not self._hand_overs.waiting(job_id):
            return False
        try:
            await self._jobs.mark_failed(job_id, line)
            await end_opening_post(self._client, await self._jobs.require(job_id), line)
            await self._jobs.mark_posted(job_id, None, note=note)
            await self._files.delete(job_id)
        except Exception:
            log.exception("could not set job %s aside; the supervisor will pick it up", job_id)
        self._hand_overs.refuse(job_id, refusal)
        return True

    async def stop_deliveries(self, grace: float) -> None:
        """Let answers being posted finish for `grace` seconds, then cancel the rest while the
        connection to Discord is still open: their jobs stay unposted, and the next start
        delivers them, first reading back whether Discord took the cancelled post."""
        pending = list(self._deliveries)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=grace)
        for delivery in late:
            delivery.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def _give_up_if_interrupted(self, job: Job) -> Job:
        if job.state not in ACTIVE_STATES or job.attempts < MAX_ATTEMPTS:
            return job
        reason = f"it was interrupted {MAX_ATTEMPTS} times, so I gave up on it"
        await self._jobs.mark_failed(job.id, texts.failed_line("error", reason))
        self._metrics.job_failed("crashed")
        return await self._jobs.require(job.id)

    async def _ensure_posts(self, job: Job) -> Job:
        """The job's posts, retried across Discord's bad minutes; a refusal fails the job."""
        resumed = not self._hand_overs.waiting(job.id)

        async def post_what_is_missing() -> Job:
            nonlocal resumed
            try:
                return await self._posts.ensure(await self._jobs.require(job.id), resumed=resumed)
            finally:
                resumed = True  # a failed try may have sent something without hearing back

        try:
            return await self._retrying.call(
                post_what_is_missing, since=job.created_at, what=f"posting job {job.id}'s messages"
            )
        except discord.HTTPException as refused:  # for good: retrying cannot help
            return await self._refused(job, refused)

    async def _refused(self, job: Job, error: discord.HTTPException) -> Job:
        log.warning("could not post job %s: %s", job.id, error)
        refusal = RequestRefused(COULD_NOT_POST, reason="bot_cannot_post")
        if not await self.give_up_at_intake(job.id, refusal, NOT_POSTED_LINE, "refused at intake"):
            await self._jobs.mark_failed(job.id, NOT_POSTED_LINE)
        return await self._jobs.require(job.id)

    async def _deliver(self, job: Job, *, picked_up: bool) -> None:
        delivery = asyncio.create_task(self._delivery.deliver(job, picked_up=picked_up))
        self._deliveries.add(delivery)
        delivery.add_done_callback(self._deliveries.discard)
        # Shielded: at shutdown the supervisor gives a post in flight a grace period first.
        await asyncio.shield(delivery)
