"""A pool that heals: a worker that dies, or whose replacement cannot start, is started again
for as long as it takes, while the admin's health check says the engine is down and why, and a
member's job waits in the queue instead of failing. Real worker processes, killed for real; the
Ray story runs on a real one-node Ray cluster on this machine."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from engine_pool import CONTENT, ENDLESS, STYLE, TINY, WAIT, EventLog, child_worker_pids, eventually

from engine.pool import Done, EngineHealth, EnginePool, Progress, Queued, Started

pytestmark = pytest.mark.asyncio(loop_scope="module")

OPTIONS = {"job_timeout": WAIT, "preview_interval": 0, "stop_grace": 2, "respawn_backoff": 0.2}


async def a_new_worker(killed: set[int]) -> int:
    """The worker process started after those in `killed`, as soon as it exists."""
    await eventually(lambda: bool(child_worker_pids() - killed))
    (pid,) = child_worker_pids() - killed
    return pid


async def test_a_worker_killed_while_it_loads_is_started_again_until_one_loads_and_the_waiting_job_runs():
    others = child_worker_pids()
    async with EnginePool(devices=["cpu"], workers=1, **OPTIONS) as pool:
        killed = others | child_worker_pids()
        (first,) = killed - others
        os.kill(first, signal.SIGKILL)  # say the kernel's OOM killer took it
        await eventually(lambda: not pool.alive)

        waiting = EventLog(await pool.submit(CONTENT, STYLE, TINY))
        assert await waiting.wait_for(Queued) == Queued(1)
        for _ in range(2):  # its replacement, and the one after that, killed while loading
            loading = await a_new_worker(killed)
            assert not pool.alive
            os.kill(loading, signal.SIGKILL)
            killed.add(loading)
        await eventually(lambda: pool.health.failed_starts == 2)
        assert pool.health == EngineHealth(
            workers=1,
            ready=0,
            problem="worker 0 could not start: the worker process exited with code -9",
            failed_starts=2,
        )
        assert pool.health.line() == (
            "0 of 1 engine workers ready, 2 failed starts in a row "
            "(worker 0 could not start: the worker process exited with code -9)"
        )

        assert isinstance((await asyncio.wait_for(waiting.to_the_end(), WAIT))[-1], Done)
        assert [type(event) for event in waiting.events][:2] == [Queued, Started]
        assert pool.alive
        assert pool.health == EngineHealth(workers=1, ready=1)
        assert len(child_worker_pids() - killed) == 1


async def test_a_ray_actor_whose_model_cannot_load_is_replaced_until_it_can(tmp_path: Path):
    from ray_cluster import ray_cluster

    from engine.pool.ray_engine import RayEngine

    weights = tmp_path / "vgg19_caffe.pth"
    save_vgg19(weights)
    moved = tmp_path / "elsewhere.pth"
    with ray_cluster(nodes=1) as cluster:
        engine = RayEngine(
            cluster.address,
            device="cpu",
            weights=str(weights),
            node_check_interval=0.2,
            **OPTIONS,
        )
        async with engine:
            running = EventLog(await engine.submit(CONTENT, STYLE, ENDLESS))
            await running.wait_for(Progress)
            (actor,) = {slot.pid for slot in engine._slots}
            weights.rename(moved)  # an admin's volume went away; the actor is killed
            os.kill(actor, signal.SIGKILL)

            assert (await asyncio.wait_for(running.to_the_end(), WAIT))[-1].kind == "worker_died"
            await eventually(lambda: engine.health.failed_starts >= 2)
            assert not engine.alive
            health = engine.health
            assert (health.workers, health.ready) == (1, 0)
            assert f"could not start: FileNotFoundError: no weights file at {weights}" in (
                health.problem or ""
            )
            waiting = EventLog(await engine.submit(CONTENT, STYLE, TINY))
            assert await waiting.wait_for(Queued) == Queued(1)

            moved.rename(weights)  # back: the next new actor loads

            assert isinstance((await asyncio.wait_for(waiting.to_the_end(), WAIT))[-1], Done)
            assert engine.alive and engine.health == EngineHealth(workers=1, ready=1)


def save_vgg19(path: Path) -> None:
    """The embedded VGG-19 as a torchvision-style .pth file, a weights file an admin can move."""
    import torch

    from engine.weights import load_embedded

    torch.save(load_embedded().state_dict, path)
