"""The calls the bot makes on an engine backend: EnginePool (local worker processes) or RayEngine
(actors on a Ray cluster), both built on engine.pool.scheduler, with the same events."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from engine.motion.settings import AnimationSettings
from engine.params import StyleParams
from engine.pool.fair_queue import SHARED, Owner
from engine.pool.health import EngineHealth
from engine.pool.inputs import InputArg
from engine.pool.job import Job


@runtime_checkable
class EngineService(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> EngineService: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

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
    ) -> Job: ...

    def position(self, job: Job | str) -> int | None:
        """1-based place in the order jobs will run (owners take turns), 0 while running,
        None once finished or unknown."""

    def place_for(self, owner: Owner) -> int:
        """The place a job of `owner` submitted now would take (for the first status line)."""

    @property
    def queue_length(self) -> int: ...

    @property
    def running(self) -> int: ...

    @property
    def alive(self) -> bool:
        """Able to run a job now: started, not shutting down, a worker ready (for /healthz)."""

    @property
    def health(self) -> EngineHealth:
        """Workers kept, ready, and why the others are not (for /healthz and /metrics)."""
