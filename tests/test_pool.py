"""The engine pool with real worker processes running the real engine on tiny pictures, on CPU.

One two-worker pool serves most stories (loading VGG-19 in a worker costs seconds); the shutdown
stories start one-worker pools of their own.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import os
import signal
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image

from engine.params import StyleParams
from engine.pool import (
    Done,
    EnginePool,
    EngineUnavailable,
    Failed,
    Job,
    JobEvent,
    Preview,
    Progress,
    Queued,
    QueueFull,
    Started,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

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


def worker_processes() -> list[multiprocessing.Process]:
    return [p for p in multiprocessing.active_children() if p.name.startswith("atelier-worker")]


def worker_pids() -> set[int]:
    return {p.pid for p in worker_processes()}


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


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool():
    async with EnginePool(
        devices=["cpu"], workers=2, max_queue=2, job_timeout=WAIT, preview_interval=0, stop_grace=2
    ) as pool:
        yield pool


@pytest_asyncio.fixture(loop_scope="module")
async def submit(pool):
    """pool.submit, with every job the test started cancelled afterwards, so workers are free."""
    jobs: list[Job] = []

    async def submit(content=CONTENT, style=STYLE, params=TINY, **options) -> Job:
        job = await pool.submit(content, style, params, **options)
        jobs.append(job)
        return job

    yield submit
    for job in jobs:
        await job.cancel()


async def test_job_streams_its_progress_in_order_and_ends_with_the_picture(pool, submit):
    job = await submit(params=TINY.with_changes(preview_every=2))
    events = await EventLog(job).to_the_end()

    assert [type(event) for event in events] == [
        Queued, Started, Progress, Progress, Preview, Progress, Progress, Done
    ]  # fmt: skip
    assert events[1] == Started("cpu")
    assert [e.iteration for e in events if isinstance(e, Progress)] == [1, 2, 3, 4]
    done = events[-1]
    picture = Image.open(io.BytesIO(done.png))
    assert picture.format == "PNG"
    assert picture.size == (done.width, done.height) == (SIDE, SIDE)
    assert (done.iterations, done.device, done.note) == (4, "cpu", None)
    assert pool.position(job) is None
    assert len(job.event_delays) == 6  # every event from the worker was timed on arrival


async def test_two_workers_paint_two_jobs_at_the_same_time(pool, submit):
    first, second = EventLog(await submit(params=ENDLESS)), EventLog(await submit(params=ENDLESS))

    await first.wait_for(Progress)
    await second.wait_for(Progress)

    assert pool.running == 2
    assert pool.queue_length == 0


async def test_cancelling_a_running_job_stops_it_and_frees_its_worker(pool, submit):
    job = await submit(params=ENDLESS)
    log = EventLog(job)
    await log.wait_for(Progress)

    await asyncio.wait_for(job.cancel(), WAIT)

    events = await log.to_the_end()
    assert events[-1] == Failed("cancelled", "the job was cancelled")
    assert max(e.iteration for e in events if isinstance(e, Progress)) < 100
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


async def test_pictures_given_as_files_are_read_only_when_a_worker_takes_the_job(
    pool, submit, tmp_path
):
    busy = [await submit(params=ENDLESS), await submit(params=ENDLESS)]
    for job in busy:
        await EventLog(job).wait_for(Started)
    (tmp_path / "content").write_bytes(CONTENT)
    (tmp_path / "style").write_bytes(STYLE)
    waiting = await submit(tmp_path / "content", tmp_path / "style")
    (tmp_path / "content").unlink()  # the file was not read yet: only its path waits in line

    for job in busy:
        await job.cancel()

    failure = await waiting.result()
    assert failure.kind == "error"
    assert failure.reason == "the job's pictures could not be read: No such file or directory"
    (tmp_path / "content").write_bytes(CONTENT)
    assert isinstance(await (await submit(tmp_path / "content", tmp_path / "style")).result(), Done)


async def test_unreadable_picture_fails_with_a_clear_reason_and_the_pool_keeps_serving(submit):
    broken = await submit(content=b"this is not a picture")

    failure = await broken.result()

    assert failure.kind == "invalid_image"
    assert failure.reason.startswith("content image: ")
    assert "Traceback" not in failure.reason
    assert isinstance(await (await submit()).result(), Done)


async def test_job_over_its_time_limit_is_stopped_and_its_worker_keeps_serving(pool, submit):
    workers_before = worker_pids()
    slow = await submit(params=ENDLESS, timeout=1.5)

    outcome = await asyncio.wait_for(slow.result(), WAIT)

    assert outcome == Failed("timeout", "the job took over 1.5 s and was stopped")
    assert isinstance(await (await submit()).result(), Done)
    assert worker_pids() == workers_before  # stopped, not killed


async def test_killed_worker_is_replaced_and_the_other_jobs_carry_on(pool, submit):
    jobs = [await submit(params=ENDLESS), await submit(params=ENDLESS)]
    logs = [EventLog(job) for job in jobs]
    for log in logs:
        await log.wait_for(Progress)
    victim = worker_processes()[0]

    os.kill(victim.pid, signal.SIGKILL)

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
    assert len(worker_pids()) == 2 and victim.pid not in worker_pids()


async def test_frozen_worker_is_killed_after_the_grace_period_and_replaced(pool, submit):
    stuck = await submit(params=ENDLESS, timeout=1.0)
    other = await submit(params=ENDLESS)
    for job in (stuck, other):
        await EventLog(job).wait_for(Progress)
    workers = worker_pids()
    for pid in workers:  # frozen mid-iteration: neither can notice a stop request
        os.kill(pid, signal.SIGSTOP)

    outcome = await asyncio.wait_for(stuck.result(), WAIT)

    assert outcome == Failed("timeout", "the job took over 1 s and was stopped")
    survivors = workers & worker_pids()
    assert len(survivors) == 1
    os.kill(survivors.pop(), signal.SIGCONT)
    await other.cancel()
    assert isinstance(await asyncio.wait_for((await submit()).result(), WAIT), Done)
    assert len(worker_pids()) == 2


async def test_shutdown_cancels_running_and_queued_jobs_and_leaves_no_process_behind():
    others = worker_pids()
    pool = EnginePool(devices=["cpu"], workers=1, on_shutdown="cancel")
    await pool.start()
    ours = worker_pids() - others
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
    others = worker_pids()
    async with EnginePool(devices=["cpu"], workers=1, on_shutdown="finish") as pool:
        ours = worker_pids() - others
        running = await pool.submit(CONTENT, STYLE, TINY.with_changes(iterations=8))
        queued = await pool.submit(CONTENT, STYLE, TINY)
        await EventLog(running).wait_for(Progress)

    assert isinstance(await running.result(), Done)
    assert await queued.result() == SHUTTING_DOWN
    assert len(ours) == 1 and not ours & child_processes().keys()
    assert "Z" not in child_processes().values()
