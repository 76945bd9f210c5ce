"""The engine's contract, the same for both backends: EnginePool (real worker processes) and
RayEngine (real Ray actors on a two-node Ray cluster on this machine, one fake GPU per node), each
running the real engine on tiny pictures, on CPU.

One two-worker engine per backend serves most stories (loading VGG-19 in a worker costs
seconds); the shutdown stories start engines of their own.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal

import pytest
import pytest_asyncio
from engine_pool import (
    CONTENT,
    ENDLESS,
    SHUTTING_DOWN,
    SIDE,
    STYLE,
    TINY,
    WAIT,
    EventLog,
    child_processes,
    child_worker_pids,
    eventually,
    worker_pids,
)
from PIL import Image

from engine.pool import (
    Done,
    EnginePool,
    EngineUnavailable,
    Failed,
    Job,
    Preview,
    Progress,
    Queued,
    QueueFull,
    Started,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

OPTIONS = {"max_queue": 2, "job_timeout": WAIT, "preview_interval": 0, "stop_grace": 2}
# What Started and Done name: the device, and for Ray the machine (host name and node id).
DEVICE = {"local": re.compile(r"cpu"), "ray": re.compile(r"cpu of \S+ \([0-9a-f]{8}\)")}


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["local", "ray"])
async def pool(request):
    if request.param == "local":
        async with EnginePool(devices=["cpu"], workers=2, **OPTIONS) as pool:
            yield pool
        return
    from ray_cluster import ray_cluster  # skips the Ray stories where Ray is not installed

    from engine.pool.ray_engine import RayEngine

    with ray_cluster(nodes=2) as cluster:
        async with RayEngine(cluster.address, device="cpu", **OPTIONS) as pool:
            yield pool


@pytest.fixture
def device(request) -> re.Pattern[str]:
    return DEVICE[request.node.callspec.params["pool"]]


@pytest_asyncio.fixture(loop_scope="module")
async def submit(pool):
    """pool.submit on a whole pool (both workers ready and idle, whatever the story before left),
    with every job the test started cancelled afterwards, so workers are free."""
    await eventually(lambda: len(worker_pids(pool)) == 2 and pool.running == 0)
    jobs: list[Job] = []

    async def submit(content=CONTENT, style=STYLE, params=TINY, **options) -> Job:
        job = await pool.submit(content, style, params, **options)
        jobs.append(job)
        return job

    yield submit
    for job in jobs:
        await job.cancel()


async def test_job_streams_its_progress_in_order_and_ends_with_the_picture(pool, submit, device):
    job = await submit(params=TINY.with_changes(preview_every=2))
    events = await EventLog(job).to_the_end()

    assert [type(event) for event in events] == [
        Queued, Started, Progress, Progress, Preview, Progress, Progress, Done
    ]  # fmt: skip
    assert device.fullmatch(events[1].device)
    assert [e.iteration for e in events if isinstance(e, Progress)] == [1, 2, 3, 4]
    done = events[-1]
    picture = Image.open(io.BytesIO(done.png))
    assert picture.format == "PNG"
    assert picture.size == (done.width, done.height) == (SIDE, SIDE)
    assert (done.iterations, done.device, done.note) == (4, events[1].device, None)
    assert pool.position(job) is None
    assert len(job.event_delays) == 6  # every event from the worker was timed on arrival


async def test_two_workers_paint_two_jobs_at_the_same_time(pool, submit):
    first, second = EventLog(await submit(params=ENDLESS)), EventLog(await submit(params=ENDLESS))

    await first.wait_for(Progress)
    await second.wait_for(Progress)

    assert pool.running == 2
    assert pool.queue_length == 0
    if isinstance(pool, EnginePool):
        return
    (started_first,), (started_second,) = (
        [e for e in log.events if isinstance(e, Started)] for log in (first, second)
    )
    assert started_first.device != started_second.device  # two Ray nodes, one job each


async def test_cancelling_a_running_job_stops_it_within_an_iteration_and_frees_its_worker(
    pool, submit
):
    job = await submit(params=ENDLESS)
    log = EventLog(job)
    seen = (await log.wait_for(Progress)).iteration

    await asyncio.wait_for(job.cancel(), WAIT)

    events = await log.to_the_end()
    assert events[-1] == Failed("cancelled", "the job was cancelled")
    # At most the iterations already under way when cancel was called, and the one after.
    assert max(e.iteration for e in events if isinstance(e, Progress)) <= seen + 3
    assert pool.position(job) is None and pool.running == 0
    assert isinstance(await (await submit()).result(), Done)


async def test_cancelled_queued_job_never_starts_and_the_one_behind_moves_up(pool, submit):
    for busy in [await submit(params=ENDLESS), await submit(params=ENDLESS)]:
        await EventLog(busy).wait_for(Started)
    waiting, behind = await submit(), await submit()
    assert (pool.position(waiting), pool.position(behind)) == (1, 2)

    await waiting.cancel()

    assert await EventLog(waiting).to_the_end() == [
        Queued(1), Failed("cancelled", "the job was cancelled")
    ]  # fmt: skip
    behind_log = EventLog(behind)
    assert await behind_log.wait_for(Queued) == Queued(2)
    assert await behind_log.wait_for(Queued) == Queued(1)
    assert pool.position(behind) == 1 and pool.queue_length == 1


async def test_full_queue_refuses_a_job_with_a_clear_message(pool, submit):
    for busy in [await submit(params=ENDLESS), await submit(params=ENDLESS)]:
        await EventLog(busy).wait_for(Started)
    await submit()
    await submit()

    with pytest.raises(QueueFull, match="the queue is full"):
        await submit()
    assert pool.queue_length == 2


async def test_unreadable_picture_fails_with_a_clear_reason_and_the_pool_keeps_serving(submit):
    broken = await submit(content=b"this is not a picture")

    failure = await broken.result()

    assert failure.kind == "invalid_image"
    assert failure.reason.startswith("content image: ")
    assert "Traceback" not in failure.reason
    assert isinstance(await (await submit()).result(), Done)


async def test_pictures_given_as_paths_are_read_only_when_the_job_starts(pool, submit, tmp_path):
    busy = [await submit(params=ENDLESS), await submit(params=ENDLESS)]
    for job in busy:
        await EventLog(job).wait_for(Started)
    content, style = tmp_path / "content.png", tmp_path / "style.png"

    waiting = await submit(content=content, style=[style])  # neither file exists yet
    content.write_bytes(CONTENT)
    style.write_bytes(STYLE)
    for job in busy:
        await job.cancel()

    assert isinstance(await asyncio.wait_for(waiting.result(), WAIT), Done)


async def test_a_picture_file_gone_before_its_job_starts_fails_it_with_a_clear_reason(
    pool, submit, tmp_path
):
    job = await submit(content=tmp_path / "deleted.png")

    assert await asyncio.wait_for(job.result(), WAIT) == Failed(
        "error", "content image: its stored file could not be read (No such file or directory)"
    )
    assert isinstance(await (await submit()).result(), Done)


async def test_an_init_image_travels_to_the_worker_and_is_read_when_the_job_starts(
    submit, tmp_path
):
    start = tmp_path / "earlier_result.png"
    start.write_bytes(STYLE)
    assert isinstance(await asyncio.wait_for((await submit(init_image=start)).result(), WAIT), Done)

    gone = await submit(init_image=tmp_path / "deleted.png")

    assert await asyncio.wait_for(gone.result(), WAIT) == Failed(
        "error", "init image: its stored file could not be read (No such file or directory)"
    )


async def test_job_over_its_time_limit_is_stopped_and_its_worker_keeps_serving(pool, submit):
    workers_before = worker_pids(pool)
    slow = await submit(params=ENDLESS, timeout=1.5)

    outcome = await asyncio.wait_for(slow.result(), WAIT)

    assert outcome == Failed("timeout", "the job took over 1.5 s and was stopped")
    assert isinstance(await (await submit()).result(), Done)
    assert worker_pids(pool) == workers_before  # stopped, not killed


async def test_killed_worker_is_replaced_and_the_other_jobs_carry_on(pool, submit):
    jobs = [await submit(params=ENDLESS), await submit(params=ENDLESS)]
    logs = [EventLog(job) for job in jobs]
    for log in logs:
        await log.wait_for(Progress)
    victim = min(worker_pids(pool))

    os.kill(victim, signal.SIGKILL)

    finished, _ = await asyncio.wait(
        [asyncio.ensure_future(job.result()) for job in jobs],
        timeout=WAIT,
        return_when=asyncio.FIRST_COMPLETED,
    )
    assert [task.result().kind for task in finished] == ["worker_died"]
    survivor = next(log for job, log in zip(jobs, logs, strict=True) if not job.finished)
    await survivor.wait_for(Progress)  # still painting on the other worker
    # The survivor holds the old worker, so this job can only run on the replacement.
    assert isinstance(await asyncio.wait_for((await submit()).result(), WAIT), Done)
    assert len(worker_pids(pool)) == 2 and victim not in worker_pids(pool)


async def test_frozen_worker_is_killed_after_the_grace_period_and_replaced(pool, submit):
    # Long enough for a fresh worker's first iteration on a busy machine, so both jobs are seen
    # painting before they freeze.
    stuck = await submit(params=ENDLESS, timeout=10.0)
    other = await submit(params=ENDLESS)
    for job in (stuck, other):
        await EventLog(job).wait_for(Progress)
    workers = worker_pids(pool)
    for pid in workers:  # frozen mid-iteration: neither can notice a stop request
        os.kill(pid, signal.SIGSTOP)

    outcome = await asyncio.wait_for(stuck.result(), WAIT)

    assert outcome == Failed("timeout", "the job took over 10 s and was stopped")
    # Ray may report the time-out before its kill of the frozen actor has landed.
    await eventually(lambda: len(workers & worker_pids(pool)) == 1)
    survivors = workers & worker_pids(pool)
    os.kill(survivors.pop(), signal.SIGCONT)
    await other.cancel()
    assert isinstance(await asyncio.wait_for((await submit()).result(), WAIT), Done)
    await eventually(lambda: len(worker_pids(pool)) == 2)


async def test_shutdown_cancels_running_and_queued_jobs_and_leaves_no_process_behind():
    others = child_worker_pids()
    pool = EnginePool(devices=["cpu"], workers=1, on_shutdown="cancel")
    await pool.start()
    ours = child_worker_pids() - others
    running = await pool.submit(CONTENT, STYLE, ENDLESS)
    queued = await pool.submit(CONTENT, STYLE, TINY)
    await EventLog(running).wait_for(Progress)

    await asyncio.wait_for(pool.close(), WAIT)

    assert await running.result() == SHUTTING_DOWN
    queued_events = await EventLog(queued).to_the_end()
    assert queued_events == [Queued(1), SHUTTING_DOWN]  # never started
    assert not pool.alive
    with pytest.raises(EngineUnavailable):
        await pool.submit(CONTENT, STYLE, TINY)
    assert len(ours) == 1 and not ours & child_processes().keys()
    assert "Z" not in child_processes().values()


async def test_shutdown_can_let_the_running_job_finish():
    others = child_worker_pids()
    async with EnginePool(devices=["cpu"], workers=1, on_shutdown="finish") as pool:
        ours = child_worker_pids() - others
        running = await pool.submit(CONTENT, STYLE, TINY.with_changes(iterations=8))
        queued = await pool.submit(CONTENT, STYLE, TINY)
        await EventLog(running).wait_for(Progress)

    assert isinstance(await running.result(), Done)
    assert await queued.result() == SHUTTING_DOWN
    assert len(ours) == 1 and not ours & child_processes().keys()
    assert "Z" not in child_processes().values()
