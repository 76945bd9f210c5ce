"""What a run reports while it works. Plain dataclasses: they cross process boundaries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """Sent after every optimiser iteration."""

    scale: int  # 1-based index of the current scale
    scales: int
    width: int  # size of the image being optimised at this scale
    height: int
    iteration: int  # overall, 1-based, across all scales
    total: int
    loss: float
    elapsed: float  # seconds since the run started
    eta: float  # seconds still to go, estimated from the cost of the remaining work

    @property
    def fraction(self) -> float:
        return self.iteration / self.total if self.total else 1.0


@dataclass(frozen=True)
class Preview:
    """An intermediate image, PNG-encoded, sent every `preview_every` iterations."""

    iteration: int
    total: int
    png: bytes
