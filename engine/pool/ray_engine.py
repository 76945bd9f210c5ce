"""RayEngine: the same jobs as EnginePool, run by Ray actors on the GPUs of a Ray cluster.

The queue stays in this process (the shared `Scheduler`): positions are exact and Ray never sees
a queued job. Each GPU of each live node gets one actor (`num_gpus=1`, one job at a time), pinned
to its node and owned by this process, in the Ray namespace "atelier"; nodes that join later are
found by a periodic look at the cluster. A job's events stream from a generator method; cancel is
`ray.cancel` on that generator, and a kill of the actor after the grace period. An actor that dies
fails its job with `worker_died` (not retried, as with EnginePool) and Ray restarts it.

Importing this module imports Ray, an optional extra (`pip install 'atelier[ray]'`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable

import ray
from ray.exceptions import (
    ActorUnavailableError,
    ActorUnschedulableError,
    RayActorError,
    RayError,
    TaskCancelledError,
)
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from engine.pool.errors import EngineUnavailable
from engine.pool.events import Done, Failed, JobEvent
from engine.pool.inputs import UnreadableInput, read_input
from engine.pool.messages import JobRequest, JobUpdate, WorkerConfig
from engine.pool.ray_actor import ActorInfo, EngineActor
from engine.pool.ray_nodes import GpuNode, gpu_nodes
from engine.pool.scheduler import CANCELLED, OnShutdown, Scheduler
from engine.pool.slot import Slot
from engine.pool.worker import UNEXPECTED

log = logging.getLogger(__name__)

NAMESPACE = "atelier"
CONNECT_TIMEOUT = 10.0
RETIRE_TIMEOUT = 10.0
RESTART_POLL = 0.5
Actor = ray.remote(EngineActor)


class RayEngine(Scheduler):
    def __init__(
        self,
        address: str,
        *,
        device: str = "auto",
        max_queue: int = 100,
        job_timeout: float = 900.0,
        preview_interval: float = 5.0,
        on_shutdown: OnShutdown = "cancel",
        weights: str = "embedded",
        stop_grace: float = 30.0,
        node_check_interval: float = 5.0,
    ) -> None:
        """`address` is a Ray cluster's HOST:PORT (the head's GCS port, 6379 by default);
        `device` is what each actor runs the engine on: `auto` is the GPU Ray gave it.
        `node_check_interval` is how often the cluster is looked at for new GPUs and lost
        nodes. See `Scheduler` for the rest."""
        super().__init__(
            max_queue=max_queue,
            job_timeout=job_timeout,
            preview_interval=preview_interval,
            on_shutdown=on_shutdown,
            stop_grace=stop_grace,
        )
        if node_check_interval <= 0:
            raise ValueError("node_check_interval must be positive")
        self._address = address
        self._device = device
        self._weights = weights
        self._node_check_interval = node_check_interval
        self._slots: list[RaySlot] = []
        self._connected_here = False
        self._watcher: asyncio.Task[None] | None = None
        # Names unique to this engine, so a restarted bot never collides with its old actors
        # while Ray is still noticing that their owner is gone.
        self._name = f"engine-{uuid.uuid4().hex[:6]}"

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, start an actor per GPU and wait until each has loaded the model (or failed
        to). A cluster without GPUs yet is fine: jobs wait until a node with one joins."""
        if self._started:
            return
        await self._connect()
        self._begin()
        await self._look_at_nodes()
        first = list(self._slots)
        if first and not any(await asyncio.gather(*(slot.loaded for slot in first))):
            reasons = "; ".join(sorted({slot.start_error or "unknown" for slot in first}))
            await self.close()
            raise EngineUnavailable(f"no Ray engine actor could start: {reasons}")
        if not first:
            log.warning("the Ray cluster has no GPU yet; jobs wait until a node with one joins")
        log.info("Ray engine ready: %s", ", ".join(slot.device for slot in self._slots))
        self._watcher = asyncio.create_task(self._watch_nodes(), name="ray-nodes")

    async def _connect(self) -> None:
        if ray.is_initialized():  # this process is already connected (a test, a benchmark)
            return
        await _check_reachable(self._address)
        try:
            # Not on the event loop's thread: ray.init installs signal handlers there, which
            # would replace the bot's SIGTERM handler (parking jobs on shutdown).
            await asyncio.to_thread(
                ray.init,
                address=self._address,
                namespace=NAMESPACE,
                log_to_driver=False,
                configure_logging=False,
            )
        except Exception as exc:  # Ray raises many kinds: connection, version, token
            raise EngineUnavailable(
                f"cannot join the Ray cluster at {self._address}: {_first_line(exc)}"
            ) from None
        self._connected_here = True

    async def _release_slots(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        await asyncio.gather(*(slot.retire() for slot in self._slots))
        if self._connected_here:
            ray.shutdown()

    @property
    def alive(self) -> bool:
        """Connected and not closing, unless every actor failed to load the model. Having no
        GPU yet is not dead: queued jobs wait for the first node that brings one."""
        return (
            self._started
            and not self._closing
            and (not self._slots or any(slot.is_alive for slot in self._slots))
        )

    # -- the cluster's nodes -----------------------------------------------------------------

    async def _watch_nodes(self) -> None:
        while True:
            await asyncio.sleep(self._node_check_interval)
            try:
                await self._look_at_nodes()
            except RayError as exc:  # the head is briefly unreachable: try again next round
                log.warning("could not list the Ray cluster's nodes: %s", _first_line(exc))

    async def _look_at_nodes(self) -> None:
        nodes = gpu_nodes(await asyncio.to_thread(ray.nodes))
        live = {node.node_id for node in nodes}
        for slot in [slot for slot in self._slots if slot.node.node_id not in live]:
            log.error("Ray node %s left the cluster", slot.node.label)
            self._slots.remove(slot)
            self._slot_lost(slot)
            await slot.retire()
        have = {(slot.node.node_id, slot.index) for slot in self._slots}
        for node in nodes:
            for index in range(node.gpus):
                if (node.node_id, index) not in have and not self._closing:
                    log.info("starting an engine actor for GPU %d of %s", index, node.label)
                    self._slots.append(self._new_slot(node, index))

    def _new_slot(self, node: GpuNode, index: int) -> RaySlot:
        config = WorkerConfig(
            self._device, self._weights, node.threads_per_actor, self._preview_interval
        )
        return RaySlot(
            node,
            index,
            config,
            f"{self._name}-{node.node_id[:8]}-{index}",
            self._deliver,
            self._on_ready,
            self._on_lost,
        )

    def _on_ready(self, slot: RaySlot) -> None:
        log.info("engine actor ready: %s", slot.device)
        self._dispatch()

    def _on_lost(self, slot: RaySlot) -> None:
        self._slot_lost(slot)
        if not slot.is_alive:
            log.error("engine actor on %s could not start: %s", slot.node.label, slot.start_error)
            self._no_slot_left()


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

    def _spawn(self, work: object) -> None:
        task = asyncio.get_running_loop().create_task(work)  # type: ignore[arg-type]
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
                self.start_error = _first_line(exc)
                self._settle_loaded(False)
                self._on_lost(self)
                return
        self.pid = info.pid
        self.device = f"{info.device} of {self.node.label}"
        self._ready = True
        self._settle_loaded(True)
        self._on_ready(self)

    def _settle_loaded(self, ok: bool) -> None:
        if not self.loaded.done():
            self.loaded.set_result(ok)

    def _send(self, request: JobRequest) -> None:
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
        self._generator = self.actor.run.options(num_returns="streaming").remote(request)
        try:
            async for ref in self._generator:
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
                await self.actor.info.remote()
            except (RayActorError, ActorUnschedulableError) as exc:
                self._restarting(exc)
                return
            self._deliver(self, serial, CANCELLED, None)  # as the stop asked, see _deliver
        except (RayActorError, ActorUnschedulableError) as exc:  # its process or node died
            self._restarting(exc)
        except RayError as exc:
            log.error("job %s failed in Ray: %s", serial, _first_line(exc))
            self._deliver(self, serial, Failed("error", UNEXPECTED), None)
        finally:
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
            _first_line(error),
        )
        self._on_lost(self)
        self._spawn(self._load())

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
    )


async def _check_reachable(address: str) -> None:
    """A plain TCP connection first: Ray itself retries an unreachable address for minutes."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise EngineUnavailable(f"the Ray address must be HOST:PORT, got {address!r}")
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, int(port)), CONNECT_TIMEOUT
        )
    except (OSError, asyncio.TimeoutError) as exc:
        reason = str(exc) or "no answer"
        raise EngineUnavailable(f"cannot reach the Ray cluster at {address}: {reason}") from None
    writer.close()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
