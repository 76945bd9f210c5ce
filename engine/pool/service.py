"""The calls the bot makes on an engine backend. EnginePool (local worker processes) is one; a
backend running the same jobs on a Ray cluster can be another, reusing `Job` for its handles."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from engine.params import StyleParams
from engine.pool.job import Job


@runtime_checkable
class EngineService(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def submit(
        self,
        content: bytes | Path,
        style: bytes | Path | Sequence[bytes | Path],
        params: StyleParams,
        job_id: str | None = None,
        *,
        timeout: float | None = None,
    ) -> Job: ...

    def position(self, job: Job | str) -> int | None: ...

    @property
    def queue_length(self) -> int: ...

    @property
    def running(self) -> int: ...

    @property
    def alive(self) -> bool: ...
