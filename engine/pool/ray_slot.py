"""The bot's side of one Ray engine actor: one GPU of one node, and the job it runs.

The actor is created here (pinned to its node, one call at a time, restarted by Ray if it dies,
owned by this process, in Ray namespace "atelier"); its job's events stream back from a
generator; a stop is `ray.cancel` of that generator, a kill is `ray.kill` and Ray's restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

import ray
from ray.exceptions import (
    ActorUnavailableError,
    ActorUnschedulableError,
    RayActorError,
    RayError,
    TaskCancelledError,
)
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from engine.pool.events import Done, Failed, JobEvent
from engine.pool.inputs import UnreadableInput, read_input
from engine.pool.messages import JobRequest, JobUpdate, WorkerConfig
from engine.pool.ray_actor import ActorInfo, EngineActor
from engine.pool.ray_nodes import GpuNode
from engine.pool.scheduler import CANCELLED
from engine.pool.slot import Slot
from engine.pool.worker import UNEXPECTED

log = logging.getLogger(__name__)

NAMESPACE = "atelier"
RETIRE_TIMEOUT = 10.0
RESTART_POLL = 0.5
Actor = ray.remote(EngineActor)


class RaySlot(Slot):
    """One actor on one GPU of one node, and the job it runs."""

    def __init__(
        self,
        node: GpuNode,
        index: int,
        config: WorkerConfig,
        name: str,
        deliver: Callable[[Slot, int, JobEvent, float | None], None],
        on_ready: Callable[[RaySlot], None],
        on_lost: Callable[[RaySlot], None],
    ) -> None:
        super().__init__(f"GPU {index} of {node.label}")
        self.node = node
        self.index = index
        self.start_error: str | None = None
        self._deliver = deliver
        self._on_ready = on_ready
        self._on_lost = on_lost
        self._ready = False
        self._retired = False
        self._generator: ray.ObjectRefGenerator | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.actor = Actor.options(
            name=name,
            namespace=NAMESPACE,
            num_gpus=1,
            num_cpus=0,  # the GPU is what a job needs; CPUs stay free for Ray's own work
            max_concurrency=1,
            # One call at a time, in any order: in order, a job cancelled on its way to the
            # actor would leave a gap that stalls the actor's next call for 30 s.
            allow_out_of_order_execution=True,
            max_restarts=-1,
            max_task_retries=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node.node_id, soft=False),
        ).remote(config)
        self.loaded: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._spawn(self._load())

    @property
    def ready(self) -> bool:
        return self._ready

    @property
    def is_alive(self) -> bool:
        return not self._retired and self.start_error is None

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _load(self) -> None:
        """Wait for the actor (first start or restart) to have loaded the model."""
        while True:
            try:
                info: ActorInfo = await self.actor.info.remote()
                break
            except (ActorUnavailableError, ActorUnschedulableError):
                # Being restarted (Ray refuses calls until it is back), or its node is gone (the
                # node watch retires it).
                await asyncio.sleep(RESTART_POLL)
            except RayActorError as exc:
                if self._retired:
                    return
                # A constructor that raised: Ray does not restart it, the model cannot load here.
                # The constructor's own exception is the last line of Ray's account of it.
                self.start_error = str(exc).strip().splitlines()[-1].strip()
                self._settle_loaded(False)
                self._on_lost(self)
                return
        self._loaded(info)

    def _loaded(self, info: ActorInfo) -> None:
        self.pid = info.pid
        self.device = f"{info.device} of {self.node.label}"
        self._ready = True
        self._settle_loaded(True)
        self._on_ready(self)

    def _settle_loaded(self, ok: bool) -> None:
        if not self.loaded.done():
            self.loaded.set_result(ok)

    def _send(self, request: JobRequest) -> None:
        self._generator = None  # the last job's, if its stream is still winding down
        self._spawn(self._stream(request))

    async def _stream(self, request: JobRequest) -> None:
        serial = request.serial
        try:
            # The pictures travel to the actor's node, so paths are read here, off the loop.
            request = await asyncio.to_thread(_with_bytes, request)
        except UnreadableInput as exc:
            self._deliver(self, serial, Failed("error", str(exc)), None)
            return
        if self.stopping is not None:  # stopped while the pictures were being read
            self._deliver(self, serial, CANCELLED, None)
            return
        generator = self.actor.run.options(num_returns="streaming").remote(request)
        # The slot's current job only: the stream of the job before may still be winding down.
        self._generator = generator
        try:
            async for ref in generator:
                update: JobUpdate | None = await ref
                if update is None:  # the actor's heartbeat
                    continue
                delay = time.time() - update.sent_at
                event = update.event
                if isinstance(event, Done):  # named like Started: the device and its machine
                    event = dataclasses.replace(event, device=self.device)
                self._deliver(self, update.serial, event, delay)
        except TaskCancelledError:
            # Ray may report the cancel before the actor has acted on it. The actor runs one
            # call at a time, so this answers once the job has really stopped; a frozen actor
            # never answers, and is killed when the grace period ends.
            try:
                info: ActorInfo = await self.actor.info.remote()
            except (RayActorError, ActorUnschedulableError) as exc:
                self._restarting(exc)
                return
            if info.pid != self.pid:
                # Ray may also report the cancel only after the kill has landed; the call then
                # waits for the restart, and the restarted actor answers.
                self._restarted(info)
                return
            self._deliver(self, serial, CANCELLED, None)  # as the stop asked, see _deliver
        except (RayActorError, ActorUnschedulableError) as exc:  # its process or node died
            self._restarting(exc)
        except RayError as exc:
            log.error("job %s failed in Ray: %s", serial, first_line(exc))
            self._deliver(self, serial, Failed("error", UNEXPECTED), None)
        finally:
            if self._generator is generator:
                self._generator = None

    def _restarting(self, error: RayError) -> None:
        """The actor died (killed, crashed, out of memory); Ray brings it back."""
        self._ready = False
        if self._retired:
            return
        log.error(
            "engine actor %s (pid %s) died (%s); Ray restarts it",
            self.device,
            self.pid,
            first_line(error),
        )
        self._on_lost(self)
        self._spawn(self._load())

    def _restarted(self, info: ActorInfo) -> None:
        """The actor was killed and Ray has already brought it back, reloaded."""
        log.error(
            "engine actor %s (pid %s) was killed; Ray restarted it (pid %s)",
            self.device,
            self.pid,
            info.pid,
        )
        self._on_lost(self)
        self._loaded(info)

    def _request_stop(self) -> None:
        # Dropping the generator would not stop the task: it must be cancelled.
        if self._generator is not None:
            ray.cancel(self._generator)

    def kill(self) -> None:
        """The actor did not stop in time: kill it; Ray restarts it, the job ends as asked."""
        if not self._retired:
            ray.kill(self.actor, no_restart=False)

    async def retire(self) -> None:
        """Kill the actor for good and wait until Ray reports it gone."""
        self._retired = True
        self._ready = False
        self._settle_loaded(False)
        ray.kill(self.actor, no_restart=True)
        with contextlib.suppress(RayError, asyncio.TimeoutError):
            # Fails once the actor is dead; a node that vanished may never answer at all.
            await asyncio.wait_for(self.actor.info.remote(), RETIRE_TIMEOUT)
        for task in list(self._tasks):
            task.cancel()


def _with_bytes(request: JobRequest) -> JobRequest:
    return dataclasses.replace(
        request,
        content=read_input(request.content, "content image"),
        styles=tuple(read_input(style, "style image") for style in request.styles),
        init=None if request.init is None else read_input(request.init, "init image"),
        animation=request.animation
        and dataclasses.replace(
            request.animation,
            done=tuple(read_input(frame, "a finished frame") for frame in request.animation.done),
        ),
    )


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
