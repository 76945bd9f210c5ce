"""Carries accepted jobs from the job store through the engine to their thread.

One task per job drives it (`JobDriver.drive`). The supervisor keeps the registry of those
tasks: the intake hands a new job over, a restart recovers every unfinished row, and a loop
drives again every row that has no task in this process (a task that died on a failed write),
so nothing waits for a restart. At shutdown every running job is parked for the next start.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord.ext import tasks

from bot.lifecycle.delivery import Delivery
from bot.lifecycle.driver import NOT_STARTED, HandOvers, JobDriver
from bot.lifecycle.engine_runs import CancelOutcome, EngineRuns, cancel_outcome, engine_owner
from bot.lifecycle.housekeeping import Housekeeping
from bot.lifecycle.posts import JobPosts
from bot.lifecycle.preview_lane import PreviewLane
from bot.lifecycle.retry import DEFAULT_POLICY, SYSTEM_CLOCK, Clock, Retrying, RetryPolicy
from bot.messages import texts
from bot.ops.metrics import Metrics
from bot.rules.refusals import RequestRefused
from bot.store.job_files import JobFiles
from bot.store.job_rows import ACTIVE_STATES, Job
from bot.store.jobs import JobStore
from engine.pool import EngineService

log = logging.getLogger(__name__)

SUPERVISE_EVERY_SECONDS = 30.0
# At shutdown, how long a result being posted may still take: well inside the 10 s Docker
# waits after SIGTERM before it kills the bot.
DELIVERY_GRACE_SECONDS = 5.0


def build_supervisor(
    client: discord.Client,
    pool: EngineService,
    jobs: JobStore,
    files: JobFiles,
    metrics: Metrics,
    *,
    edit_seconds: float,
    retention_hours: float,
    supervise_seconds: float = SUPERVISE_EVERY_SECONDS,
    retry_policy: RetryPolicy = DEFAULT_POLICY,
    clock: Clock = SYSTEM_CLOCK,
    preview_lane: PreviewLane,
) -> Supervisor:
    """The lifecycle, wired: `retry_policy` says how long and how often posting a job's
    messages and its answer is retried, on `clock`."""
    runs = EngineRuns(client, pool, jobs, files, metrics, preview_lane, edit_seconds=edit_seconds)
    retrying = Retrying(retry_policy, clock)
    delivery = Delivery(
        client, jobs, files, edit_seconds=edit_seconds, retrying=retrying,
        on_retry=metrics.delivery_retried,
    )  # fmt: skip
    posts = JobPosts(client, jobs, files, lambda job: pool.place_for(engine_owner(job)))
    hand_overs = HandOvers()
    driver = JobDriver(client, jobs, files, metrics, posts, runs, delivery, hand_overs, retrying)
    housekeeping = Housekeeping(jobs, files, retention_hours)
    return Supervisor(
        jobs, files, metrics, driver, runs, hand_overs, housekeeping, supervise_seconds
    )


class Supervisor:
    def __init__(
        self,
        jobs: JobStore,
        files: JobFiles,
        metrics: Metrics,
        driver: JobDriver,
        runs: EngineRuns,
        hand_overs: HandOvers,
        housekeeping: Housekeeping,
        supervise_seconds: float = SUPERVISE_EVERY_SECONDS,
    ) -> None:
        self._jobs = jobs
        self._files = files
        self._metrics = metrics
        self._driver = driver
        self._runs = runs
        self._hand_overs = hand_overs
        self._housekeeping = housekeeping
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._watch = tasks.loop(seconds=supervise_seconds)(self._drive_unfinished)

    async def recover(self) -> int:
        """At start-up: tidy up after the last run, drive every unfinished job again, and start
        the supervisor's and the housekeeping's loops. Returns how many jobs were resumed."""
        await self._housekeeping.after_restart()
        resumed = await self._drive_unfinished()
        self._watch.start()
        self._housekeeping.start_hourly()
        return resumed

    async def hand_over(self, job_id: str) -> Job:
        """The intake's hand-over: drive a job whose inputs are saved, and return it once its
        public posts exist (RequestRefused, with the reason, when Discord refuses them)."""
        with self._hand_overs.expect(job_id) as posted:
            try:
                await self._jobs.mark_inputs_ready(job_id)  # from here on, a restart resumes it
            except Exception:
                log.exception("could not hand job %s over", job_id)
                await self._files.delete(job_id)
                await self._jobs.discard(job_id)
                raise RequestRefused(NOT_STARTED, reason="not_started") from None
            self.drive(job_id)
            return await posted

    def drive(self, job_id: str) -> None:
        """Make sure a task drives the job (one task per job)."""
        if job_id in self._tasks:
            return
        task = asyncio.create_task(self._driver.drive(job_id), name=f"job-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    def status_line(self, job_id: str) -> str | None:
        """An active job's latest status line, once the engine has said something about it."""
        return self._runs.where.get(job_id)

    async def cancel(self, job_id: str, by_user_id: int) -> CancelOutcome:
        """Cancel a queued or running job and say what really happened: it may have finished
        while the cancel was on its way."""
        job = await self._jobs.get(job_id)
        if job is None or job.state not in ACTIVE_STATES:
            return "finished" if job is not None and job.state == "done" else "ended"
        in_engine = await self._runs.cancel(job_id, by_user_id)
        if in_engine is not None:
            return in_engine
        # Not in the engine yet (or not run by this process): end it here.
        if await self._jobs.mark_cancelled(job_id, texts.cancelled_line(by_user_id)):
            self._metrics.job_cancelled()
            self.drive(job_id)
            return "cancelled"
        return cancel_outcome(await self._jobs.get(job_id))

    async def shut_down(self) -> None:
        """Stop every job task (running jobs are parked: queued again for the next start), give
        results being posted a grace period, and park those still unfinished after it."""
        self._runs.stopping = True
        self._watch.cancel()
        self._housekeeping.stop_hourly()
        tasks_now = list(self._tasks.values())
        for task in tasks_now:
            task.cancel()
        await asyncio.gather(*tasks_now, return_exceptions=True)
        await self._driver.stop_deliveries(DELIVERY_GRACE_SECONDS)

    async def _drive_unfinished(self) -> int:
        """Drive every unfinished row that has no task here; how many were started."""
        if self._runs.stopping:
            return 0
        started = 0
        try:
            for job in await self._jobs.to_resume():
                if job.id not in self._tasks:
                    self.drive(job.id)
                    started += 1
        except Exception:
            log.exception("the supervisor could not read the jobs")
        return started
