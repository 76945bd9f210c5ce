"""EnginePool: style-transfer jobs run in worker processes, one per device, behind an async API.

The parent schedules: each worker gets one job at a time, so queue positions are exact and a
cancelled queued job never reaches a worker. A worker that dies is replaced; its job fails with
`worker_died` rather than being retried, because the job itself may be what killed it (a picture
too big for memory would take down a second worker too) and a retry would replay its progress.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engine.params import DEFAULT_WEIGHTS, StyleParams
from engine.pool.devices import available_cpus, gpu_count, threads_per_worker, worker_devices
from engine.pool.errors import EngineUnavailable, QueueFull
from engine.pool.events import Failed, Queued, Started
from engine.pool.job import Job
from engine.pool.messages import (
    FromWorker,
    JobRequest,
    JobUpdate,
    WorkerConfig,
    WorkerReady,
    WorkerStartFailed,
)
from engine.pool.worker_process import WorkerProcess

log = logging.getLogger(__name__)

CANCELLED = Failed("cancelled", "the job was cancelled")
SHUTTING_DOWN = Failed("cancelled", "the bot is shutting down")
WORKER_DIED = Failed(
    "worker_died", "the engine process stopped unexpectedly while working on this job; try again"
)
UNAVAILABLE = Failed("error", "the engine is not available right now")


# A picture as submitted: its bytes, or a file read only when a worker takes the job, so a long
# queue holds paths in memory rather than every waiting job's pictures.
Picture = bytes | Path


def _read(picture: Picture) -> bytes:
    return picture.read_bytes() if isinstance(picture, Path) else picture


@dataclass
class _Waiting:
    job: Job
    content: Picture
    styles: tuple[Picture, ...]
    timeout: float


class EnginePool:
    def __init__(
        self,
        devices: Sequence[str] | None = None,
        workers: int | None = None,
        *,
        max_queue: int = 100,
        job_timeout: float = 900.0,
        preview_interval: float = 5.0,
        on_shutdown: Literal["cancel", "finish"] = "cancel",
        weights: str = DEFAULT_WEIGHTS,
        stop_grace: float = 30.0,
    ) -> None:
        """`devices=None` means every visible GPU (see engine.pool.devices), else CPU workers;
        `workers` is the number of worker processes, spread over the devices.

        `job_timeout` counts from when a worker picks the job up, not from submission.
        `max_queue` bounds the jobs waiting for a worker. The engine renders a preview every
        `params.preview_every` iterations; at most one per `preview_interval` seconds is sent on.
        `stop_grace` is how long a worker may take to stop a cancelled or timed-out job, or to
        exit on shutdown, before it is killed (and replaced).
        """
        if on_shutdown not in ("cancel", "finish"):
            raise ValueError(f"on_shutdown must be cancel or finish, got {on_shutdown!r}")
        if max_queue < 0 or preview_interval < 0:
            raise ValueError("max_queue and preview_interval must not be negative")
        if job_timeout <= 0 or stop_grace <= 0:
            raise ValueError("job_timeout and stop_grace must be positive")
        self._devices = devices
        self._workers_wanted = workers
        self._max_queue = max_queue
        self._job_timeout = job_timeout
        self._preview_interval = preview_interval
        self._on_shutdown = on_shutdown
        self._weights = weights
        self._stop_grace = stop_grace

        self._context = multiprocessing.get_context("spawn")
        self._workers: list[WorkerProcess] = []
        self._queue: deque[_Waiting] = deque()
        self._serials = itertools.count(1)
        self._started = False
        self._closing = False
        self._closed: asyncio.Future[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the workers and wait until each has loaded the model (or failed to)."""
        if self._started:
            return
        gpus = await asyncio.to_thread(gpu_count) if self._devices is None else 0
        plan = worker_devices(self._devices, self._workers_wanted, gpus)
        self._started = True
        self._closed = asyncio.get_running_loop().create_future()
        threads = threads_per_worker(len(plan), available_cpus())
        for slot, device in enumerate(plan):
            config = WorkerConfig(device, self._weights, threads, self._preview_interval)
            self._workers.append(self._spawn(slot, config))
        first = list(self._workers)
        if not any(await asyncio.gather(*(w.ready for w in first))):
            reasons = "; ".join(sorted({w.start_error or _exit_reason(w) for w in first}))
            await self.close()
            raise EngineUnavailable(f"no engine worker could start: {reasons}")
        log.info("engine pool ready: %s", ", ".join(w.device for w in self._workers))

    async def close(self) -> None:
        """Queued jobs fail, running ones are cancelled or finished (on_shutdown), workers exit."""
        if not self._started or self._closed is None:
            return
        if self._closing:
            await asyncio.shield(self._closed)
            return
        self._closing = True
        while self._queue:
            self._queue.popleft().job.publish(SHUTTING_DOWN)
        running = [w.job for w in self._workers if w.job is not None]
        if self._on_shutdown == "cancel":
            for worker in self._workers:
                if worker.job is not None:
                    self._stop(worker, SHUTTING_DOWN)
        await asyncio.gather(*(job.result() for job in running))
        for worker in self._workers:
            if worker.idle:
                worker.ask_to_exit()
            else:  # still loading the model: nothing to wait for
                worker.kill()
        kill = asyncio.get_running_loop().call_later(self._stop_grace, self._kill_all)
        await asyncio.gather(*(w.exited for w in self._workers))
        kill.cancel()
        self._closed.set_result(None)

    def _kill_all(self) -> None:
        for worker in self._workers:
            worker.kill()

    async def __aenter__(self) -> EnginePool:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- jobs --------------------------------------------------------------------------------

    async def submit(
        self,
        content: Picture,
        style: Picture | Sequence[Picture],
        params: StyleParams,
        job_id: str | None = None,
        *,
        timeout: float | None = None,
    ) -> Job:
        """Queue a job; `timeout` overrides the pool's `job_timeout` for this one. Pictures given
        as paths are read when the job reaches a worker (a missing file fails the job then)."""
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        if not self.alive:
            raise EngineUnavailable("the engine is shutting down or not running")
        if len(self._queue) >= self._max_queue and not any(w.idle for w in self._workers):
            raise QueueFull(self._max_queue)
        styles = (style,) if isinstance(style, bytes | bytearray | Path) else tuple(style)
        if not styles:
            raise ValueError("at least one style image is needed")
        if params.style_blend and len(params.style_blend) != len(styles):
            raise ValueError(
                f"{len(styles)} style images but {len(params.style_blend)} blend weights"
            )
        job_id = job_id or uuid.uuid4().hex
        if self.position(job_id) is not None:
            raise ValueError(f"a job with id {job_id!r} is already queued or running")
        job = Job(job_id, params, self._cancel)
        self._queue.append(_Waiting(job, content, styles, timeout or self._job_timeout))
        job.publish(Queued(len(self._queue)))
        self._dispatch()
        return job

    def position(self, job: Job | str) -> int | None:
        """1-based place in the queue, 0 while running, None once finished (or unknown)."""
        job_id = job if isinstance(job, str) else job.id
        for worker in self._workers:
            if worker.job is not None and worker.job.id == job_id:
                return 0
        for place, waiting in enumerate(self._queue, start=1):
            if waiting.job.id == job_id:
                return place
        return None

    @property
    def queue_length(self) -> int:
        return len(self._queue)

    @property
    def running(self) -> int:
        return sum(1 for w in self._workers if w.job is not None)

    @property
    def alive(self) -> bool:
        return self._started and not self._closing and any(w.is_alive for w in self._workers)

    # -- scheduling --------------------------------------------------------------------------

    def _dispatch(self) -> None:
        moved = False
        while self._queue and not self._closing:
            worker = next((w for w in self._workers if w.idle), None)
            if worker is None:
                break
            self._run(worker, self._queue.popleft())
            moved = True
        if moved:
            for place, waiting in enumerate(self._queue, start=1):
                waiting.job.publish(Queued(place))

    def _run(self, worker: WorkerProcess, waiting: _Waiting) -> None:
        job = waiting.job
        try:
            content, styles = _read(waiting.content), tuple(_read(s) for s in waiting.styles)
        except OSError as error:
            job.publish(Failed("error", f"the job's pictures could not be read: {error.strerror}"))
            return
        request = JobRequest(next(self._serials), content, styles, job.params)
        worker.take(job, request)
        timed_out = Failed("timeout", f"the job took over {waiting.timeout:g} s and was stopped")
        loop = asyncio.get_running_loop()
        worker.timers.append(loop.call_later(waiting.timeout, self._stop, worker, timed_out))
        job.publish(Started(worker.device))

    def _stop(self, worker: WorkerProcess, failure: Failed) -> None:
        if worker.stopping is not None:
            return
        worker.ask_to_stop(failure)
        loop = asyncio.get_running_loop()
        worker.timers.append(loop.call_later(self._stop_grace, worker.kill))

    async def _cancel(self, job: Job) -> None:
        for waiting in self._queue:
            if waiting.job is job:
                self._queue.remove(waiting)
                job.publish(CANCELLED)
                for place, behind in enumerate(self._queue, start=1):
                    behind.job.publish(Queued(place))
                return
        for worker in self._workers:
            if worker.job is job:
                self._stop(worker, CANCELLED)
        await job.result()

    # -- news from workers -------------------------------------------------------------------

    def _spawn(self, slot: int, config: WorkerConfig) -> WorkerProcess:
        return WorkerProcess(self._context, slot, config, self._on_message, self._on_exit)

    def _on_message(self, worker: WorkerProcess, message: FromWorker) -> None:
        if isinstance(message, WorkerReady):
            worker.device = message.device
            worker.ready.set_result(True)
            self._dispatch()
        elif isinstance(message, WorkerStartFailed):
            worker.start_error = message.reason
        elif isinstance(message, JobUpdate) and message.serial == worker.serial:
            self._on_update(worker, message)

    def _on_update(self, worker: WorkerProcess, update: JobUpdate) -> None:
        job = worker.job
        if job is None:
            return
        event = update.event
        if isinstance(event, Failed) and event.kind == "cancelled" and worker.stopping:
            event = worker.stopping
        job.publish(event, delay=time.monotonic() - update.sent_at)
        if job.finished:
            worker.release()
            self._dispatch()

    def _on_exit(self, worker: WorkerProcess) -> None:
        was_ready = worker.ready.done() and worker.ready.result()
        worker.reap()
        job = worker.release()
        if job is not None:
            job.publish(worker.stopping or WORKER_DIED)
        if self._closing:
            return
        self._workers.remove(worker)
        if was_ready:
            log.error(
                "engine worker %s (%s) died with exit code %s; starting a new one",
                worker.slot,
                worker.device,
                worker.process.exitcode,
            )
            self._workers.append(self._spawn(worker.slot, worker.config))
        else:
            reason = worker.start_error or _exit_reason(worker)
            log.error("engine worker %s could not start: %s", worker.slot, reason)
            if not self._workers:
                while self._queue:
                    self._queue.popleft().job.publish(UNAVAILABLE)


def _exit_reason(worker: WorkerProcess) -> str:
    return f"the worker process exited with code {worker.process.exitcode}"
