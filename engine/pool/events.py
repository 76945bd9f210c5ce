"""What a pool job reports to its caller. Plain, torch-free dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.events import FrameDone, FrameProgress, Preview, Progress

FailureKind = Literal[
    "invalid_image", "cancelled", "timeout", "worker_died", "out_of_memory", "too_large", "error"
]


@dataclass(frozen=True)
class Queued:
    """The job waits for a worker; sent on submit and again whenever its place changes."""

    position: int  # 1-based


@dataclass(frozen=True)
class Started:
    """A worker picked the job up."""

    device: str  # e.g. "cpu", "cuda:0"


@dataclass(frozen=True)
class Done:
    """The finished picture."""

    png: bytes
    width: int
    height: int
    iterations: int
    seconds: float  # time the worker spent on the job
    device: str
    note: str | None = None  # e.g. "ran out of GPU memory; finished at 384 px"


@dataclass(frozen=True)
class AnimationDone(Done):
    """The finished animation: `data` is the file in `format` (gif, mp4, webp), `png` its first
    frame (a thumbnail); `note` says what the limits cut or the size limit reduced, if anything."""

    data: bytes = b""
    format: str = "gif"
    frames: int = 0
    durations_ms: tuple[int, ...] = ()
    loop: int | None = 0  # as GIF counts it: 0 plays forever, None once


@dataclass(frozen=True)
class Failed:
    """The job ended without a picture. `reason` is a sentence safe to show to a user."""

    kind: FailureKind
    reason: str


Outcome = Done | Failed
JobEvent = Queued | Started | Progress | Preview | FrameProgress | FrameDone | Done | Failed
