"""EnginePool: style-transfer jobs run in local worker processes, one per device.

The shared `Scheduler` queues and dispatches; this module starts the worker processes and
listens to them. A worker that dies is replaced; its job fails with `worker_died` rather than
being retried, because the job itself may be what killed it (a picture too big for memory would
take down a second worker too) and a retry would replay its progress. A replacement that cannot
start (killed while loading, out of memory) is tried again, and again, waiting longer each time
(`respawn_delay`); meanwhile `health` says why, and submitted jobs wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from engine.images import DEFAULT_MAX_PIXELS
from engine.params import DEFAULT_WEIGHTS
from engine.pool.devices import available_cpus, gpu_count, threads_per_worker, worker_devices
from engine.pool.errors import EngineUnavailable
from engine.pool.health import RESPAWN_BACKOFF, EngineHealth, respawn_delay
from engine.pool.messages import (
    FromWorker,
    JobUpdate,
    WorkerConfig,
    WorkerReady,
    WorkerStartFailed,
)
from engine.pool.scheduler import (
    DEFAULT_JOB_TIMEOUT,
    DEFAULT_MAX_QUEUE,
    DEFAULT_PREVIEW_INTERVAL,
    DEFAULT_STOP_GRACE,
    OnShutdown,
    Scheduler,
)
from engine.pool.worker_process import WorkerProcess

log = logging.getLogger(__name__)


class EnginePool(Scheduler):
    def __init__(
        self,
        devices: Sequence[str] | None = None,
        workers: int | None = None,
        *,
        max_queue: int = DEFAULT_MAX_QUEUE,
        job_timeout: float = DEFAULT_JOB_TIMEOUT,
        preview_interval: float = DEFAULT_PREVIEW_INTERVAL,
        on_shutdown: OnShutdown = "cancel",
        weights: str = DEFAULT_WEIGHTS,
        stop_grace: float = DEFAULT_STOP_GRACE,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        respawn_backoff: float = RESPAWN_BACKOFF,
    ) -> None:
        """`devices=None` means every visible GPU (see engine.pool.devices), else CPU workers;
        `workers` is the number of worker processes, spread over the devices. The engine renders
        a preview every `params.preview_every` iterations. `max_pixels` is the pixel cap the
        workers decode pictures under; `respawn_backoff` the first wait before starting again a
        worker that could not start. See `Scheduler` for the rest."""
        super().__init__(
            max_queue=max_queue,
            job_timeout=job_timeout,
            preview_interval=preview_interval,
            on_shutdown=on_shutdown,
            stop_grace=stop_grace,
        )
        self._devices = devices
        self._workers_wanted = workers
        self._weights = weights
        self._max_pixels = max_pixels
        self._respawn_backoff = respawn_backoff
        self._slots: list[WorkerProcess] = []
        self._planned = 0
        self._failures: dict[int, int] = {}  # failed starts in a row, by slot number
        self._problems: dict[int, str] = {}  # why a slot has no ready worker, by slot number
        self._respawns: dict[int, asyncio.TimerHandle] = {}

    async def start(self) -> None:
        """Start the workers and wait until each has loaded the model (or failed to)."""
        if self._started:
            return
        gpus = await asyncio.to_thread(gpu_count) if self._devices is None else 0
        plan = worker_devices(self._devices, self._workers_wanted, gpus)
        self._begin()
        threads = threads_per_worker(len(plan), available_cpus())
        self._planned = len(plan)
        for slot, device in enumerate(plan):
            config = WorkerConfig(
                device, self._weights, threads, self._preview_interval, self._max_pixels
            )
            self._slots.append(self._spawn(slot, config))
        first = list(self._slots)
        if not any(await asyncio.gather(*(w.loaded for w in first))):
            reasons = "; ".join(sorted({w.start_error or _exit_reason(w) for w in first}))
            await self.close()
            raise EngineUnavailable(f"no engine worker could start: {reasons}")
        log.info("engine pool ready: %s", ", ".join(w.device for w in self._slots))

    @property
    def health(self) -> EngineHealth:
        problem = next((self._problems[slot] for slot in sorted(self._problems)), None)
        failed = max(self._failures.values(), default=0)
        return EngineHealth(self._planned, self._ready_slots(), problem, failed)

    async def _release_slots(self) -> None:
        for timer in self._respawns.values():
            timer.cancel()
        for worker in self._slots:
            if worker.idle:
                worker.ask_to_exit()
            else:  # still loading the model: nothing to wait for
                worker.kill()
        kill = asyncio.get_running_loop().call_later(self._stop_grace, self._kill_all)
        await asyncio.gather(*(w.exited for w in self._slots))
        kill.cancel()

    def _kill_all(self) -> None:
        for worker in self._slots:
            worker.kill()

    # -- news from workers -------------------------------------------------------------------

    def _spawn(self, slot: int, config: WorkerConfig) -> WorkerProcess:
        self._respawns.pop(slot, None)
        return WorkerProcess(slot, config, self._on_message, self._on_exit)

    def _respawn(self, slot: int, config: WorkerConfig) -> None:
        if not self._closing:
            self._slots.append(self._spawn(slot, config))

    def _on_message(self, worker: WorkerProcess, message: FromWorker) -> None:
        if isinstance(message, WorkerReady):
            worker.device = message.device
            worker.loaded.set_result(True)
            self._failures.pop(worker.slot, None)
            self._problems.pop(worker.slot, None)
            self._dispatch()
        elif isinstance(message, WorkerStartFailed):
            worker.start_error = message.reason
        elif isinstance(message, JobUpdate):
            delay = time.monotonic() - message.sent_at
            self._deliver(worker, message.serial, message.event, delay)

    def _on_exit(self, worker: WorkerProcess) -> None:
        was_ready = worker.ready
        worker.reap()
        self._slot_lost(worker)
        if self._closing:
            return
        self._slots.remove(worker)
        if was_ready:
            failures, what = 0, f"died with exit code {worker.process.returncode}"
        else:
            failures = self._failures.get(worker.slot, 0) + 1
            what = f"could not start: {worker.start_error or _exit_reason(worker)}"
        delay = respawn_delay(failures, self._respawn_backoff)
        self._failures[worker.slot] = failures
        self._problems[worker.slot] = f"worker {worker.slot} {what}"
        log.error(
            "engine worker %s (%s) %s; starting a new one in %.1f s",
            worker.slot,
            worker.device,
            what,
            delay,
        )
        loop = asyncio.get_running_loop()
        self._respawns[worker.slot] = loop.call_later(
            delay, self._respawn, worker.slot, worker.config
        )


def _exit_reason(worker: WorkerProcess) -> str:
    return f"the worker process exited with code {worker.process.returncode}"
