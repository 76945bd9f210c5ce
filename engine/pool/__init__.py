"""Run style-transfer jobs in worker processes behind a small asyncio interface.

Torch-free on purpose: the bot imports this; only the worker processes import torch. Workers
are fresh interpreters (`python -m engine.pool.worker_main`) that see only an allow-listed part
of the environment (`worker_env`), never the bot's secrets.
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
from engine.pool.fair_queue import SHARED, Owner
from engine.pool.health import EngineHealth
from engine.pool.job import Job
from engine.pool.pool import EnginePool
from engine.pool.service import EngineService

__all__ = [
    "SHARED",
    "AnimationDone",
    "Done",
    "EngineHealth",
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
    "Owner",
    "Preview",
    "Progress",
    "QueueFull",
    "Queued",
    "Started",
]
