"""How an engine backend's workers are doing (what /healthz and /metrics report), and how long
to wait before starting a worker again."""

from __future__ import annotations

from dataclasses import dataclass

RESPAWN_BACKOFF = 1.0  # seconds before the first retry of a worker that could not start
RESPAWN_BACKOFF_MAX = 60.0  # the wait doubles with each failure in a row, up to this


@dataclass(frozen=True)
class EngineHealth:
    """`workers` is how many the engine keeps (local worker processes, or Ray actors, one per
    GPU); `ready` how many of them have loaded the model and take jobs, busy or idle. `problem`
    says why one is not ready (its exit, or why it could not start), while one is not;
    `failed_starts` is the longest run of failed starts in a row of any one of them."""

    workers: int
    ready: int
    problem: str | None = None
    failed_starts: int = 0

    @property
    def starting(self) -> int:
        """Loading the model, or waiting to be started again."""
        return self.workers - self.ready

    @property
    def up(self) -> bool:
        return self.ready > 0

    def line(self) -> str:
        text = f"{self.ready} of {self.workers} engine workers ready"
        if self.failed_starts:
            text += f", {self.failed_starts} failed starts in a row"
        return text if self.problem is None else f"{text} ({self.problem})"


def respawn_delay(failures: int, first: float = RESPAWN_BACKOFF) -> float:
    """No wait after a worker that was running died (the next one may well load); after
    `failures` failed starts in a row, `first` doubled each time, up to RESPAWN_BACKOFF_MAX."""
    if failures <= 0:
        return 0.0
    return min(RESPAWN_BACKOFF_MAX, first * 2 ** (failures - 1))
