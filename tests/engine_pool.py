"""Shared by the engine pool's stories (test_pool*.py, and the bot's Ray stories): tiny
pictures and jobs, a reader of a job's events, and looks at this process's worker processes."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Callable
from pathlib import Path

import waiting
from PIL import Image

from engine.params import StyleParams
from engine.pool import Failed, Job, JobEvent
from engine.pool.scheduler import Scheduler

EXAMPLES = Path(__file__).resolve().parents[1] / "engine" / "examples"
SIDE = 40
TINY = StyleParams(size=SIDE, iterations=4, min_scale=SIDE)
# Far more work than any test waits for: these jobs run until cancelled.
ENDLESS = TINY.with_changes(iterations=100_000)
WAIT = 120.0  # generous: the machine is shared, and a replacement worker must load VGG-19
SHUTTING_DOWN = Failed("cancelled", "the bot is shutting down")


def tiny_png(name: str) -> bytes:
    image = Image.open(EXAMPLES / name).convert("RGB").resize((SIDE, SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


CONTENT = tiny_png("astronaut.png")
STYLE = tiny_png("hubble_deep_field.jpg")


class EventLog:
    """Reads one job's events as they arrive and keeps them."""

    def __init__(self, job: Job) -> None:
        self.events: list[JobEvent] = []
        self._stream = job.events()

    async def wait_for(self, kind: type) -> JobEvent:
        while True:
            event = await asyncio.wait_for(anext(self._stream), WAIT)
            self.events.append(event)
            if isinstance(event, kind):
                return event

    async def to_the_end(self) -> list[JobEvent]:
        async for event in self._stream:
            self.events.append(event)
        return self.events


def child_worker_pids() -> set[int]:
    """This process's engine worker processes, from their command lines."""
    return {pid for pid in child_processes() if b"engine.pool.worker_main" in command_line(pid)}


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""  # it ended while we looked


def worker_pids(engine: Scheduler) -> set[int]:
    """The processes of the engine's workers that are ready for jobs (a Ray actor's, too)."""
    return {slot.pid for slot in engine._slots if slot.ready and slot.pid is not None}


async def eventually(check: Callable[[], object], timeout: float = WAIT) -> None:
    """`waiting.eventually` with the pool's longer deadline: a replacement worker loads VGG-19."""
    await waiting.eventually(check, timeout=timeout)


def child_processes() -> dict[int, str]:
    """pid -> state ("Z" for a zombie) of every child of this process, read from /proc."""
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            state, parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:2]
        except OSError:
            continue  # it ended while we looked
        if int(parent) == os.getpid():
            children[int(pid)] = state
    return children
