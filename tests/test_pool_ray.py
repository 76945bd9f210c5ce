"""What only a Ray cluster does: machines join and leave while the bot runs, and closing the
engine leaves no actor behind. A real cluster on this machine (one fake GPU per node); the
engine's other stories run against Ray and local workers alike in test_pool.py."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from engine_pool import CONTENT, ENDLESS, SHUTTING_DOWN, STYLE, TINY, WAIT, EventLog, eventually
from ray_cluster import NODE, atelier_actors, ray, ray_cluster

from engine.pool import Done, EngineUnavailable, Progress, Queued, Started
from engine.pool.ray_engine import RayEngine

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def cluster():
    with ray_cluster(nodes=1) as cluster:
        # Connected here first, so the tests can look at the cluster's actors themselves.
        ray.init(address=cluster.address, namespace="tests")
        yield cluster


@pytest_asyncio.fixture(loop_scope="module")
async def engine(cluster):
    """An engine of the story's own, so no story starts from what another left."""
    engine = RayEngine(
        cluster.address, device="cpu", preview_interval=0, stop_grace=2, node_check_interval=0.5
    )
    await engine.start()
    yield engine
    await engine.close()


@pytest.fixture
def join(cluster):
    """Adds a machine to the cluster for one story; it leaves again after the story."""
    joined = []

    def join():
        joined.append(cluster.add_node(**NODE))
        return joined[-1]

    yield join
    for node in joined:
        if node in cluster.worker_nodes:
            cluster.remove_node(node)


def ready_devices(engine: RayEngine) -> list[str]:
    return [slot.device for slot in engine._slots if slot.ready]


async def test_a_machine_that_joins_the_cluster_gets_a_worker_and_takes_jobs(engine, join):
    assert len(ready_devices(engine)) == 1

    join()
    await eventually(lambda: len(ready_devices(engine)) == 2)

    jobs = [await engine.submit(CONTENT, STYLE, ENDLESS) for _ in range(2)]
    logs = [EventLog(job) for job in jobs]
    started = [await log.wait_for(Started) for log in logs]
    assert {event.device for event in started} == set(ready_devices(engine))
    for log in logs:
        await log.wait_for(Progress)
    for job in jobs:
        await job.cancel()


async def test_a_machine_lost_mid_job_fails_that_job_and_the_others_carry_on(cluster, engine, join):
    joined = join()
    await eventually(lambda: len(ready_devices(engine)) == 2)
    jobs = [await engine.submit(CONTENT, STYLE, ENDLESS) for _ in range(2)]
    logs = [EventLog(job) for job in jobs]
    for log in logs:
        await log.wait_for(Progress)
    (lost,) = [slot.job for slot in engine._slots if slot.node.node_id == joined.node_id]
    (survivor,) = [job for job in jobs if job is not lost]

    cluster.remove_node(joined)

    assert (await asyncio.wait_for(lost.result(), WAIT)).kind == "worker_died"
    await eventually(lambda: len(engine._slots) == 1)
    assert not survivor.finished and engine.alive
    await survivor.cancel()
    assert isinstance(await (await engine.submit(CONTENT, STYLE, TINY)).result(), Done)


async def test_closing_ends_every_job_and_leaves_no_actor_behind(engine):
    assert atelier_actors()
    running = await engine.submit(CONTENT, STYLE, ENDLESS)
    queued = await engine.submit(CONTENT, STYLE, TINY)
    await EventLog(running).wait_for(Progress)

    await asyncio.wait_for(engine.close(), WAIT)

    assert await running.result() == SHUTTING_DOWN
    assert await EventLog(queued).to_the_end() == [Queued(1), SHUTTING_DOWN]
    assert not engine.alive
    assert atelier_actors() == []


async def test_when_no_actor_can_load_the_model_the_engine_refuses_to_start_and_says_why(cluster):
    engine = RayEngine(cluster.address, device="cpu", weights="/nowhere/vgg19.pth")

    with pytest.raises(EngineUnavailable, match=r"no Ray engine actor could start: .*vgg19\.pth"):
        await asyncio.wait_for(engine.start(), WAIT)

    assert not engine.alive
    await eventually(lambda: atelier_actors() == [])
