"""Animation jobs through both engine backends (real worker processes; real Ray actors on a
one-node Ray cluster on this machine), and a job that resumes from the next frame after its
worker is killed with SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
import pytest_asyncio

from engine.motion import AnimationSettings, decode_clip
from engine.params import StyleParams
from engine.pool import AnimationDone, EnginePool, Failed, FrameDone, FrameProgress, Job
from tests.engine_images import png_bytes
from tests.motion_clips import DURATIONS, SIDE, gif_bytes, panned, style

pytestmark = pytest.mark.asyncio(loop_scope="module")

PARAMS = StyleParams(size=SIDE, iterations=8, min_scale=SIDE)
CLIP = gif_bytes(panned(5), DURATIONS[:5])
STYLE = png_bytes(style())
WAIT = 300.0
OPTIONS = {"job_timeout": WAIT, "preview_interval": 0, "stop_grace": 2}


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["local", "ray"])
async def engine(request):
    if request.param == "local":
        async with EnginePool(devices=["cpu"], workers=1, **OPTIONS) as pool:
            yield pool
        return
    from ray_cluster import ray_cluster  # skips the Ray story where Ray is not installed

    from engine.pool.ray_engine import RayEngine

    with ray_cluster(nodes=1) as cluster:
        async with RayEngine(cluster.address, device="cpu", **OPTIONS) as ray_engine:
            yield ray_engine


async def events_of(job: Job) -> list:
    async def read() -> list:
        return [event async for event in job.events()]

    return await asyncio.wait_for(read(), WAIT)


async def test_a_gif_job_reports_each_frame_and_ends_with_a_gif_of_the_sources_frames_and_timing(
    engine, tmp_path
):
    job = await engine.submit(CLIP, STYLE, PARAMS, animation=AnimationSettings(),
                              frames_dir=tmp_path / "frames")  # fmt: skip

    events = await events_of(job)

    done = events[-1]
    assert isinstance(done, AnimationDone), done
    assert [e.index for e in events if isinstance(e, FrameDone)] == [0, 1, 2, 3, 4]
    frames_seen = [e.frame for e in events if isinstance(e, FrameProgress)]
    assert frames_seen == sorted(frames_seen) and set(frames_seen) == {1, 2, 3, 4, 5}
    assert done.format == "gif" and done.frames == 5 and done.note is None
    result = decode_clip(done.data)
    assert len(result.frames) == 5 and result.durations_ms == DURATIONS[:5] and result.loop == 0
    assert len(list((tmp_path / "frames").glob("frame-*.png"))) == 5


async def test_an_mp4_can_be_asked_for(engine):
    job = await engine.submit(CLIP, STYLE, PARAMS.with_changes(iterations=4),
                              animation=AnimationSettings(format="mp4", max_frames=3))  # fmt: skip

    done = (await events_of(job))[-1]

    assert isinstance(done, AnimationDone) and done.format == "mp4", done
    assert done.note == "painted the first 3 frames"
    assert decode_clip(done.data).durations_ms == DURATIONS[:3]


async def test_a_job_whose_worker_is_killed_resumes_from_the_next_frame(engine, tmp_path):
    if not isinstance(engine, EnginePool):
        pytest.skip("the local pool's story; a Ray actor's death is the same scheduler path")
    frames_dir = tmp_path / "frames"
    job = await engine.submit(CLIP, STYLE, PARAMS, animation=AnimationSettings(),
                              frames_dir=frames_dir)  # fmt: skip
    stream = job.events()
    async for event in stream:
        if isinstance(event, FrameDone) and event.index == 1:
            break
    worker = next(slot.pid for slot in engine._slots if slot.job is job)

    os.kill(worker, signal.SIGKILL)

    outcome = await asyncio.wait_for(job.result(), WAIT)
    assert isinstance(outcome, Failed) and outcome.kind == "worker_died"
    kept = sorted(path.name for path in frames_dir.glob("frame-*.png"))
    assert kept[:2] == ["frame-00000.png", "frame-00001.png"]
    again = await engine.submit(CLIP, STYLE, PARAMS, animation=AnimationSettings(),
                                frames_dir=frames_dir)  # fmt: skip
    events = await events_of(again)
    painted = [e.index for e in events if isinstance(e, FrameDone)]
    assert painted[0] == len(kept) and painted[-1] == 4  # from the next frame, not the first
    assert min(e.frame for e in events if isinstance(e, FrameProgress)) == len(kept) + 1
    done = events[-1]
    assert isinstance(done, AnimationDone) and done.frames == 5
