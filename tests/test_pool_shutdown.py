"""Shutting the pool down: what happens to running and queued jobs, and that no process is left."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from engine.params import StyleParams
from engine.pool import Done, EnginePool, EngineUnavailable, Failed, Progress, Started

EXAMPLES = Path(__file__).resolve().parents[1] / "engine" / "examples"
SIDE = 32
TINY = StyleParams(size=SIDE, iterations=6, min_scale=SIDE)
ENDLESS = TINY.with_changes(iterations=100_000)
SHUTTING_DOWN = Failed("cancelled", "the bot is shutting down")
WAIT = 120.0


def tiny_png(name: str) -> bytes:
    buffer = io.BytesIO()
    Image.open(EXAMPLES / name).convert("RGB").resize((SIDE, SIDE)).save(buffer, format="PNG")
    return buffer.getvalue()


CONTENT = tiny_png("astronaut.png")
STYLE = tiny_png("hubble_deep_field.jpg")


def children_left_behind() -> list[str]:
    """Our child processes that are spawned workers or zombies, read from /proc."""
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # it ended while we looked
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if int(parent) == os.getpid() and (state == "Z" or "spawn_main" in command):
            left.append(f"{pid} {state} {command}")
    return left


async def first_progress(job) -> None:
    async for event in job.events():
        if isinstance(event, Progress):
            return


async def test_shutdown_cancels_running_and_queued_jobs_and_leaves_no_process_behind():
    pool = EnginePool(devices=["cpu"], workers=1, on_shutdown="cancel")
    await pool.start()
    running = await pool.submit(CONTENT, STYLE, ENDLESS)
    queued = await pool.submit(CONTENT, STYLE, TINY)
    await asyncio.wait_for(first_progress(running), WAIT)

    await asyncio.wait_for(pool.close(), WAIT)

    assert await running.result() == SHUTTING_DOWN
    queued_events = [event async for event in queued.events()]
    assert queued_events[-1] == SHUTTING_DOWN
    assert not any(isinstance(event, Started) for event in queued_events)
    assert not pool.alive
    with pytest.raises(EngineUnavailable):
        await pool.submit(CONTENT, STYLE, TINY)
    assert children_left_behind() == []


async def test_shutdown_can_let_the_running_job_finish():
    async with EnginePool(devices=["cpu"], workers=1, on_shutdown="finish") as pool:
        running = await pool.submit(CONTENT, STYLE, TINY)
        queued = await pool.submit(CONTENT, STYLE, TINY)
        await asyncio.wait_for(first_progress(running), WAIT)

    assert isinstance(await running.result(), Done)
    assert await queued.result() == SHUTTING_DOWN
    assert children_left_behind() == []
