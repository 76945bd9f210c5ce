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


@dataclass(frozen=True)
class FrameProgress:
    """An animation's `Progress`: after every iteration, where the clip is, with its ETA."""

    frame: int  # 1-based, the frame being painted
    frames: int
    progress: Progress  # within this frame
    elapsed: float  # seconds since this run of the job started
    eta: float  # seconds still to go for the whole clip

    @property
    def fraction(self) -> float:
        return ((self.frame - 1) + self.progress.fraction) / self.frames


@dataclass(frozen=True)
class FrameDone:
    """A finished frame of an animation, to keep on disk (a job interrupted later resumes after
    it) and to show as a preview."""

    index: int  # 0-based
    frames: int
    png: bytes
