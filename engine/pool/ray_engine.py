"""RayEngine: the same jobs as EnginePool, run by Ray actors on the GPUs of a Ray cluster.

The queue stays in this process (the shared `Scheduler`): positions are exact and Ray never sees
a queued job. Each GPU of each live node gets one actor (`num_gpus=1`, one job at a time), pinned
to its node and owned by this process, in the Ray namespace "atelier"; nodes that join later are
found by a periodic look at the cluster. A job's events stream from a generator method; cancel is
`ray.cancel` on that generator, and a kill of the actor after the grace period. An actor that dies
fails its job with `worker_died` (not retried, as with EnginePool) and Ray restarts it. An actor
whose model cannot load is one Ray gives up on: it is replaced by a new one after a wait that
doubles with each failure in a row (`respawn_delay`), for as long as its GPU is there.

Importing this module imports Ray, an optional extra (`pip install 'atelier[ray]'`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import ray
from ray.exceptions import RayError

from engine.images import DEFAULT_MAX_PIXELS
from engine.params import DEFAULT_WEIGHTS
from engine.pool.errors import EngineUnavailable
from engine.pool.health import RESPAWN_BACKOFF, EngineHealth, respawn_delay
from engine.pool.messages import WorkerConfig
from engine.pool.ray_nodes import GpuNode, gpu_nodes
from engine.pool.ray_slot import NAMESPACE, RaySlot, first_line
from engine.pool.scheduler import (
    DEFAULT_JOB_TIMEOUT,
    DEFAULT_MAX_QUEUE,
    DEFAULT_PREVIEW_INTERVAL,
    DEFAULT_STOP_GRACE,
    OnShutdown,
    Scheduler,
)

log = logging.getLogger(__name__)

GpuKey = tuple[str, int]  # a node's id and the index of one of its GPUs
CONNECT_TIMEOUT = 10.0
LOAD_WAIT = 300.0  # seconds start() waits for the first actors to load the model


class RayEngine(Scheduler):
    def __init__(
        self,
        address: str,
        *,
        device: str = "auto",
        max_queue: int = DEFAULT_MAX_QUEUE,
        job_timeout: float = DEFAULT_JOB_TIMEOUT,
        preview_interval: float = DEFAULT_PREVIEW_INTERVAL,
        on_shutdown: OnShutdown = "cancel",
        weights: str = DEFAULT_WEIGHTS,
        stop_grace: float = DEFAULT_STOP_GRACE,
        node_check_interval: float = 5.0,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        respawn_backoff: float = RESPAWN_BACKOFF,
    ) -> None:
        """`address` is a Ray cluster's HOST:PORT (the head's GCS port, 6379 by default);
        `device` is what each actor runs the engine on: `auto` is the GPU Ray gave it.
        `node_check_interval` is how often the cluster is looked at for new GPUs and lost
        nodes. `max_pixels` and `respawn_backoff` are as for EnginePool; see `Scheduler` for
        the rest."""
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
        self._max_pixels = max_pixels
        self._respawn_backoff = respawn_backoff
        self._slots: list[RaySlot] = []
        # By (node id, GPU index): failed starts in a row, when to try again, what went wrong.
        self._failures: dict[GpuKey, int] = {}
        self._retry_at: dict[GpuKey, float] = {}
        self._problems: dict[GpuKey, str] = {}
        self._retiring: set[asyncio.Task[Any]] = set()
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
        if first:
            # Bounded: an actor whose GPU another program holds is never placed, and the bot
            # must still come up (its jobs wait for the actors that do load).
            _, loading = await asyncio.wait([slot.loaded for slot in first], timeout=LOAD_WAIT)
            if not loading and not any(slot.loaded.result() for slot in first):
                reasons = "; ".join(sorted({slot.start_error or "unknown" for slot in first}))
                await self.close()
                raise EngineUnavailable(f"no Ray engine actor could start: {reasons}")
            if loading:
                log.warning("%d engine actor(s) still not loaded; jobs wait", len(loading))
        else:
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
                f"cannot join the Ray cluster at {self._address}: {first_line(exc)}"
            ) from None
        self._connected_here = True

    async def _release_slots(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        await asyncio.gather(*(slot.retire() for slot in self._slots))
        if self._connected_here:
            ray.shutdown()

    @property
    def health(self) -> EngineHealth:
        kept = {_key(slot) for slot in self._slots} | self._retry_at.keys()
        problem = next(iter(self._problems.values()), None)
        failed = max(self._failures.values(), default=0)
        return EngineHealth(len(kept), self._ready_slots(), problem, failed)

    @property
    def alive(self) -> bool:
        """Connected, not closing, and an actor ready. Having no GPU yet is not dead: queued
        jobs wait for the first node that brings one."""
        health = self.health
        return self._started and not self._closing and (health.up or health.workers == 0)

    # -- the cluster's nodes -----------------------------------------------------------------

    async def _watch_nodes(self) -> None:
        while True:
            await asyncio.sleep(self._node_check_interval)
            try:
                await self._look_at_nodes()
            except (RayError, OSError, RuntimeError) as exc:  # the head is briefly away
                log.warning("could not list the Ray cluster's nodes: %s", first_line(exc))

    async def _look_at_nodes(self) -> None:
        nodes = gpu_nodes(await asyncio.to_thread(ray.nodes))
        live = {node.node_id for node in nodes}
        for slot in [slot for slot in self._slots if slot.node.node_id not in live]:
            log.error("Ray node %s left the cluster", slot.node.label)
            self._slots.remove(slot)
            self._slot_lost(slot)
            self._forget(_key(slot))
            await slot.retire()
        for gone in [key for key in self._retry_at if key[0] not in live]:
            self._forget(gone)
        have = {_key(slot) for slot in self._slots}
        now = asyncio.get_running_loop().time()
        for node in nodes:
            for index in range(node.gpus):
                key = (node.node_id, index)
                if key in have or self._closing or self._retry_at.get(key, now) > now:
                    continue
                log.info("starting an engine actor for GPU %d of %s", index, node.label)
                self._retry_at.pop(key, None)
                self._slots.append(self._new_slot(node, index))

    def _new_slot(self, node: GpuNode, index: int) -> RaySlot:
        config = WorkerConfig(
            self._device,
            self._weights,
            node.threads_per_actor,
            self._preview_interval,
            self._max_pixels,
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
        self._failures.pop(_key(slot), None)
        self._problems.pop(_key(slot), None)
        self._dispatch()

    def _on_lost(self, slot: RaySlot) -> None:
        self._slot_lost(slot)
        where = f"the engine actor for GPU {slot.index} of {slot.node.label}"
        if slot.start_error is None:  # it died: Ray restarts it
            self._problems[_key(slot)] = f"{where} stopped; Ray is restarting it"
            return
        # Its model could not load, and Ray does not restart such an actor: start a new one.
        key = _key(slot)
        self._failures[key] = self._failures.get(key, 0) + 1
        delay = respawn_delay(self._failures[key], self._respawn_backoff)
        self._retry_at[key] = asyncio.get_running_loop().time() + delay
        self._problems[key] = f"{where} could not start: {slot.start_error}"
        log.error("%s could not start: %s; trying again in %.1f s", where, slot.start_error, delay)
        self._slots.remove(slot)
        retiring = asyncio.get_running_loop().create_task(slot.retire())
        self._retiring.add(retiring)
        retiring.add_done_callback(self._retiring.discard)

    def _forget(self, key: GpuKey) -> None:
        for table in (self._failures, self._retry_at, self._problems):
            table.pop(key, None)


def _key(slot: RaySlot) -> GpuKey:
    return (slot.node.node_id, slot.index)


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
