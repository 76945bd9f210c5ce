"""The Ray actor that runs jobs on one GPU: the same engine and job code as a local worker.

A synchronous generator streams each job's events. Cancelling the generator (`ray.cancel`)
closes it at its next `yield`, at least every HEARTBEAT seconds, and the engine thread is told
to stop, which it does within one iteration. The engine runs in a thread of its own so the generator can yield
events as the engine's callbacks produce them.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ray

from engine.events import Preview, Progress
from engine.pool.events import Done, Failed
from engine.pool.messages import JobRequest, JobUpdate, WorkerConfig

if TYPE_CHECKING:
    from engine.stylizer import Stylizer

# Seconds between two yields while the engine sends nothing (setting up, a slow iteration): Ray
# closes a cancelled generator only at a yield.
HEARTBEAT = 0.1


@dataclass(frozen=True)
class ActorInfo:
    """Where a freshly (re)started actor runs."""

    device: str  # the engine's name, e.g. "cuda:0"
    node_id: str
    pid: int


class EngineActor:
    """Loads the model once in `__init__`; Ray restarts the actor (and so reloads) if it dies.

    The engine always runs on the same thread, the one that loaded the model: torch's thread
    count and thread pools belong to the calling thread, so a fresh thread per job would paint
    with other settings and pay a slow first iteration each time.
    """

    def __init__(self, config: WorkerConfig) -> None:
        self._config = config
        self._engine = ThreadPoolExecutor(1, thread_name_prefix="atelier-engine")
        self._stylizer = self._engine.submit(_load, config).result()

    def info(self) -> ActorInfo:
        context = ray.get_runtime_context()
        return ActorInfo(self._stylizer.device_name, context.get_node_id(), os.getpid())

    def run(self, request: JobRequest) -> Iterator[JobUpdate | None]:
        from engine.pool.worker import outcome_of

        updates: queue.SimpleQueue[Progress | Preview | Done | Failed] = queue.SimpleQueue()
        stop = threading.Event()

        def paint() -> None:
            updates.put(outcome_of(self._stylizer, request, updates.put, stop.is_set, self._config))

        painting = self._engine.submit(paint)
        try:
            while True:
                try:
                    event = updates.get(timeout=HEARTBEAT)
                except queue.Empty:
                    yield None  # between events too, a cancel must find the generator at a yield
                    continue
                yield JobUpdate(request.serial, event, time.time())
                if isinstance(event, Done | Failed):
                    return
        finally:  # closed by a cancel, or done: either way the engine is idle when we return
            stop.set()
            painting.result()


def _load(config: WorkerConfig) -> Stylizer:
    import torch

    from engine.images import set_pixel_cap

    torch.set_num_threads(config.threads)
    set_pixel_cap(config.max_pixels)
    from engine.stylizer import Stylizer

    return Stylizer(device=config.device, weights=config.weights)
