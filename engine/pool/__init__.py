"""Run style-transfer jobs in worker processes behind a small asyncio interface.

Torch-free on purpose: the bot imports this; only the worker processes import torch. A program
that starts a pool must guard its entry point with `if __name__ == "__main__":`, because spawned
workers re-import the main module.
"""

from engine.events import FrameDone, FrameProgress, Preview, Progress
from engine.pool.errors import EngineUnavailable, QueueFull
from engine.pool.events import (
    AnimationDone,
    Done,
    Failed,
    FailureKind,
    JobEvent,
    Outcome,
    Queued,
    Started,
)
from engine.pool.job import Job
from engine.pool.pool import EnginePool
from engine.pool.service import EngineService

__all__ = [
    "AnimationDone",
    "Done",
    "EnginePool",
    "EngineService",
    "EngineUnavailable",
    "Failed",
    "FailureKind",
    "FrameDone",
    "FrameProgress",
    "Job",
    "JobEvent",
    "Outcome",
    "Preview",
    "Progress",
    "QueueFull",
    "Queued",
    "Started",
]
