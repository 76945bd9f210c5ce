"""The scheduling every engine backend shares: the queue, exact positions, dispatch to free
slots, time limits, cancel, and shutdown.

The queue lives here, in the bot's process, so positions are exact, a cancelled queued job is a
list removal that never reaches a worker, and a backend only has to run one job per slot. Jobs
wait in a `FairQueue`: each submit names its `Owner`, and owners take turns.
A backend subclasses `Scheduler`: it creates and looks after its slots (`_slots`), reports what
they send with `_deliver` and `_slot_lost`, says how its slots go away in `_release_slots` and
how they are doing in `health`. A slot that dies or cannot start is the backend's to bring back;
jobs submitted meanwhile wait in the queue.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from engine.events import FrameDone
from engine.motion.settings import AnimationSettings
from engine.motion.store import FrameStore
from engine.params import StyleParams
from engine.pool.errors import EngineUnavailable, QueueFull
from engine.pool.events import Failed, JobEvent, Queued, Started
from engine.pool.fair_queue import SHARED, FairQueue, Owner
from engine.pool.health import EngineHealth
from engine.pool.inputs import Input, InputArg, as_input, style_inputs
from engine.pool.job import Job
from engine.pool.messages import AnimationWork, JobRequest
from engine.pool.slot import Slot

# Each backend's defaults, written once (the bot's config reads them too).
DEFAULT_MAX_QUEUE = 100
DEFAULT_JOB_TIMEOUT = 900.0  # seconds
DEFAULT_PREVIEW_INTERVAL = 5.0  # seconds between previews sent on
DEFAULT_STOP_GRACE = 30.0  # seconds a worker may take to stop before it is killed

CANCELLED = Failed("cancelled", "the job was cancelled")
SHUTTING_DOWN = Failed("cancelled", "the bot is shutting down")
WORKER_DIED = Failed(
    "worker_died", "the engine process stopped unexpectedly while working on this job; try again"
)

OnShutdown = Literal["cancel", "finish"]
S = TypeVar("S", bound="Scheduler")


@dataclass
class _Waiting:
    job: Job
    content: Input
    styles: tuple[Input, ...]
    init: Input | None
    timeout: float
    animation: AnimationSettings | None = None
    place: int = 0  # the place last told to the job's reader


class Scheduler(ABC):
    def __init__(
        self,
        *,
        max_queue: int,
        job_timeout: float,
        preview_interval: float,
        on_shutdown: OnShutdown,
        stop_grace: float,
    ) -> None:
        """`job_timeout` counts from when a slot picks the job up, not from submission.
        `max_queue` bounds the jobs waiting for a slot. At most one preview per
        `preview_interval` seconds is sent on. `stop_grace` is how long a slot may take to stop
        a cancelled or timed-out job, or to exit on shutdown, before it is killed."""
        if on_shutdown not in ("cancel", "finish"):
            raise ValueError(f"on_shutdown must be cancel or finish, got {on_shutdown!r}")
        if max_queue < 0 or preview_interval < 0:
            raise ValueError("max_queue and preview_interval must not be negative")
        if job_timeout <= 0 or stop_grace <= 0:
            raise ValueError("job_timeout and stop_grace must be positive")
        self._max_queue = max_queue
        self._job_timeout = job_timeout
        self._preview_interval = preview_interval
        self._on_shutdown = on_shutdown
        self._stop_grace = stop_grace

        self._slots: list[Slot] = []
        self._queue: FairQueue[_Waiting] = FairQueue()
        self._serials = itertools.count(1)
        self._started = False
        self._closing = False
        self._closed: asyncio.Future[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def _release_slots(self) -> None:
        """After every job has ended: make the slots go away, killing what will not leave."""

    def _begin(self) -> None:
        self._started = True
        self._closed = asyncio.get_running_loop().create_future()

    async def close(self) -> None:
        """Queued jobs fail, running ones are cancelled or finished (on_shutdown), slots go."""
        if not self._started or self._closed is None:
            return
        if self._closing:
            await asyncio.shield(self._closed)
            return
        self._closing = True
        self._fail_queue(SHUTTING_DOWN)
        running = [slot.job for slot in self._slots if slot.job is not None]
        if self._on_shutdown == "cancel":
            for slot in self._slots:
                if slot.job is not None:
                    self._stop(slot, SHUTTING_DOWN)
        await asyncio.gather(*(job.result() for job in running))
        await self._release_slots()
        self._closed.set_result(None)

    async def __aenter__(self: S) -> S:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- jobs --------------------------------------------------------------------------------

    async def submit(
        self,
        content: InputArg,
        style: InputArg | Sequence[InputArg],
        params: StyleParams,
        job_id: str | None = None,
        *,
        timeout: float | None = None,
        init_image: InputArg | None = None,
        animation: AnimationSettings | None = None,
        frames_dir: os.PathLike[str] | None = None,
        owner: Owner = SHARED,
    ) -> Job:
        """Queue a job; `timeout` overrides the backend's `job_timeout` for this one; the
        painting starts from `init_image` when one is given; `owner` takes turns with the
        other owners of waiting jobs (see fair_queue).

        Each picture is bytes or a path; a path is read only when a slot takes the job.
        With `animation`, the content is an animation or a video, painted frame by frame; each
        finished frame is kept in `frames_dir`, and a job submitted again with the same
        directory (after a restart, a dead worker) starts after the frames it finds there.
        """
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        if not self._started:
            raise EngineUnavailable("the engine has not been started")
        if self._closing:
            raise EngineUnavailable("the engine is shutting down")
        if len(self._queue) >= self._max_queue and not any(s.idle for s in self._slots):
            raise QueueFull(self._max_queue)
        styles = style_inputs(style, len(params.style_blend or ()))
        job_id = job_id or uuid.uuid4().hex
        if self.position(job_id) is not None:
            raise ValueError(f"a job with id {job_id!r} is already queued or running")
        frames = None if frames_dir is None or animation is None else FrameStore(Path(frames_dir))
        job = Job(job_id, params, self._cancel, frames)
        init = None if init_image is None else as_input(init_image)
        waiting = _Waiting(
            job, as_input(content), styles, init, timeout or self._job_timeout, animation
        )
        self._queue.push(job_id, owner, waiting)
        self._publish_positions()
        self._dispatch()
        return job

    def position(self, job: Job | str) -> int | None:
        """1-based place in the order jobs will run, 0 while running, None once finished."""
        job_id = job if isinstance(job, str) else job.id
        for slot in self._slots:
            if slot.job is not None and slot.job.id == job_id:
                return 0
        return self._queue.place(job_id)

    def place_for(self, owner: Owner) -> int:
        """The place in the queue a job of `owner` submitted now would take."""
        return self._queue.place_for(owner)

    @property
    def queue_length(self) -> int:
        return len(self._queue)

    @property
    def running(self) -> int:
        return sum(1 for slot in self._slots if slot.job is not None)

    @property
    @abstractmethod
    def health(self) -> EngineHealth:
        """How many workers the engine keeps, how many take jobs, and what ails the others."""

    @property
    def alive(self) -> bool:
        """Able to run a job now: started, not closing, and a worker ready."""
        return self._started and not self._closing and self.health.up

    def _ready_slots(self) -> int:
        return sum(1 for slot in self._slots if slot.ready and slot.is_alive)

    # -- scheduling --------------------------------------------------------------------------

    def _dispatch(self) -> None:
        moved = False
        while self._queue and not self._closing:
            slot = next((s for s in self._slots if s.idle), None)
            if slot is None:
                break
            self._run(slot, self._queue.pop())
            moved = True
        if moved:
            self._publish_positions()

    def _publish_positions(self) -> None:
        """Tell each waiting job whose place changed (a newcomer may go ahead of others)."""
        for place, waiting in enumerate(self._queue.order(), start=1):
            if waiting.place != place:
                waiting.place = place
                waiting.job.publish(Queued(place))

    def _run(self, slot: Slot, waiting: _Waiting) -> None:
        job, settings = waiting.job, waiting.animation
        # An animation's request carries the frames finished so far, read at each start.
        done = () if job.frames is None else job.frames.finished()
        animation = None if settings is None else AnimationWork(settings, done)
        request = JobRequest(
            next(self._serials),
            waiting.content,
            waiting.styles,
            job.params,
            waiting.init,
            animation,
        )
        slot.take(job, request)
        timed_out = Failed("timeout", f"the job took over {waiting.timeout:g} s and was stopped")
        loop = asyncio.get_running_loop()
        slot.timers.append(loop.call_later(waiting.timeout, self._stop, slot, timed_out))
        job.publish(Started(slot.device))

    def _stop(self, slot: Slot, failure: Failed) -> None:
        if slot.stopping is not None:
            return
        slot.ask_to_stop(failure)
        loop = asyncio.get_running_loop()
        slot.timers.append(loop.call_later(self._stop_grace, slot.kill))

    async def _cancel(self, job: Job) -> None:
        if self._queue.remove(job.id) is not None:
            job.publish(CANCELLED)
            self._publish_positions()
            return
        for slot in self._slots:
            if slot.job is job:
                self._stop(slot, CANCELLED)
        await job.result()

    def _fail_queue(self, failure: Failed) -> None:
        while self._queue:
            self._queue.pop().job.publish(failure)

    # -- news from slots ---------------------------------------------------------------------

    def _deliver(
        self, slot: Slot, serial: int, event: JobEvent, delay: float | None = None
    ) -> None:
        """An event of the job the slot runs (stale ones, from a job already over, are dropped)."""
        job = slot.job
        if job is None or serial != slot.serial:
            return
        if isinstance(event, Failed) and event.kind == "cancelled" and slot.stopping:
            event = slot.stopping
        if isinstance(event, FrameDone) and job.frames is not None:
            job.frames.save(event.index, event.png)  # before anyone hears the frame is done
        job.publish(event, delay=delay)
        if job.finished:
            slot.release()
            self._dispatch()

    def _slot_lost(self, slot: Slot) -> None:
        """The slot died or was killed: its job ends as the slot was asked to end it, or as
        `worker_died` (not retried: the job may be what killed it)."""
        job = slot.release()
        if job is not None:
            job.publish(slot.stopping or WORKER_DIED)
