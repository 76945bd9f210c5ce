"""What travels between the pool and its worker processes: plain data only, pickled over pipes."""

from __future__ import annotations

from dataclasses import dataclass

from engine.events import FrameDone, FrameProgress, Preview, Progress
from engine.motion.settings import AnimationSettings
from engine.params import StyleParams
from engine.pool.events import Done, Failed
from engine.pool.inputs import Input


@dataclass(frozen=True)
class WorkerConfig:
    """How a worker process sets itself up before it takes jobs."""

    device: str
    weights: str
    threads: int  # torch intra-op threads, so CPU workers share the cores instead of fighting
    preview_interval: float  # seconds between previews sent back; the engine may render more
    max_pixels: int  # the pixel cap (the bot's MAX_INPUT_PIXELS), Pillow's own cap with it


@dataclass(frozen=True)
class AnimationWork:
    """What makes a job an animation: its settings, and the frames it already has (a job
    resumed after an interruption), in order from the first."""

    settings: AnimationSettings
    done: tuple[Input, ...] = ()


@dataclass(frozen=True)
class JobRequest:
    """One job, undecoded: the worker reads and decodes the images so the parent never holds
    pixels (and, for pictures given as paths, not even their bytes)."""

    serial: int  # unique per pool; the worker stops when the stop flag holds this number
    content: Input
    styles: tuple[Input, ...]
    params: StyleParams
    init: Input | None = None  # the picture to start from (Upscale ×2 starts from a result)
    animation: AnimationWork | None = None


@dataclass(frozen=True)
class WorkerReady:
    """The model is loaded; the worker waits for jobs."""

    device: str  # as the engine names it, e.g. "cuda:0"


@dataclass(frozen=True)
class WorkerStartFailed:
    """The model could not be loaded; the worker exits after sending this."""

    reason: str


@dataclass(frozen=True)
class JobUpdate:
    """An event of the job with this serial, stamped when the worker sent it."""

    serial: int
    event: Progress | Preview | FrameProgress | FrameDone | Done | Failed
    # time.monotonic() in a local worker (the clock is system-wide on Linux); time.time() in a Ray
    # actor, which may run on another machine.
    sent_at: float


FromWorker = WorkerReady | WorkerStartFailed | JobUpdate
