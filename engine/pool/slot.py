"""One place a job can run (a local worker process, a Ray actor), as the scheduler sees it."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod

from engine.pool.events import Failed
from engine.pool.job import Job
from engine.pool.messages import JobRequest


class Slot(ABC):
    def __init__(self, device: str) -> None:
        self.device = device  # where jobs run, as a user reads it in Started and Done
        self.pid: int | None = None  # the process that runs the jobs (on its own machine)
        self.job: Job | None = None
        self.serial = 0
        self.stopping: Failed | None = None  # how the job ends if the slot stops it or dies
        self.timers: list[asyncio.TimerHandle] = []

    @property
    @abstractmethod
    def ready(self) -> bool:
        """Loaded and able to take a job."""

    @property
    @abstractmethod
    def is_alive(self) -> bool: ...

    @property
    def idle(self) -> bool:
        return self.ready and self.job is None and self.is_alive

    def take(self, job: Job, request: JobRequest) -> None:
        self.job, self.serial, self.stopping = job, request.serial, None
        self._send(request)

    @abstractmethod
    def _send(self, request: JobRequest) -> None:
        """Start the job; its events come back through the scheduler's `_deliver`."""

    def ask_to_stop(self, failure: Failed) -> None:
        """The running job ends as `failure`; the engine notices within one iteration."""
        self.stopping = failure
        self._request_stop()

    @abstractmethod
    def _request_stop(self) -> None: ...

    @abstractmethod
    def kill(self) -> None:
        """Stop the slot the hard way: the job is lost, a replacement follows."""

    def release(self) -> Job | None:
        job, self.job = self.job, None
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
        return job
